/** AWS IoT Core's CONNACK properties appended to the CONNACK aedes writes (pure: bytes in, bytes out). */
// eslint-disable-next-line import/no-extraneous-dependencies -- mqtt's own packet codec, to write and read CONNACKs
import * as mqttPacket from 'mqtt-packet';
import { appendConnackProperties, AWS_CONNACK_BYTE_PROPERTIES, packetLength } from '../../../local/iot/limits';

function decode(packet: Buffer): mqttPacket.IConnackPacket {
  const parser = mqttPacket.parser({ protocolVersion: 5 });
  const packets: mqttPacket.Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  parser.on('error', (e) => {
    throw e;
  });
  parser.parse(packet);
  expect(packets).toHaveLength(1);
  return packets[0] as mqttPacket.IConnackPacket;
}

const AWS_VALUES = { maximumQoS: 1, retainAvailable: true, wildcardSubscriptionAvailable: true, subscriptionIdentifiersAvailable: false };

describe('CONNACK properties', () => {
  test('GIVEN the CONNACK aedes writes WHEN AWS\'s properties are appended THEN it decodes with all of them, its own kept', () => {
    const connack = mqttPacket.generate({
      cmd: 'connack',
      sessionPresent: false,
      reasonCode: 0,
      properties: { sharedSubscriptionAvailable: false, topicAliasMaximum: 8, maximumPacketSize: 131072, receiveMaximum: 100 },
    }, { protocolVersion: 5 });
    const decoded = decode(appendConnackProperties(connack, AWS_CONNACK_BYTE_PROPERTIES));
    expect(decoded.reasonCode).toBe(0);
    expect(decoded.properties).toEqual({
      sharedSubscriptionAvailable: false, topicAliasMaximum: 8, maximumPacketSize: 131072, receiveMaximum: 100, ...AWS_VALUES,
    });
  });

  test('GIVEN a CONNACK whose property length grows past 127 bytes WHEN appended THEN both lengths take a second byte and it still decodes', () => {
    const responseInformation = 'r'.repeat(118); // 1 + 2 + 118 = 121 bytes of properties; +8 = 129
    const connack = mqttPacket.generate({ cmd: 'connack', sessionPresent: true, reasonCode: 0, properties: { responseInformation } }, { protocolVersion: 5 });
    const out = appendConnackProperties(connack, AWS_CONNACK_BYTE_PROPERTIES);
    expect(out.length).toBe(connack.length + 8 + 2); // 8 property bytes, one more byte in each of the two lengths
    expect(packetLength(out)).toBe(out.length);
    const decoded = decode(out);
    expect(decoded.sessionPresent).toBe(true);
    expect(decoded.properties).toEqual({ responseInformation, ...AWS_VALUES });
  });

  test('GIVEN a refusal (0x87 Not authorized) WHEN appended THEN it is left as it was', () => {
    const refusal = mqttPacket.generate({ cmd: 'connack', sessionPresent: false, reasonCode: 0x87 }, { protocolVersion: 5 });
    expect(appendConnackProperties(refusal, AWS_CONNACK_BYTE_PROPERTIES)).toEqual(refusal);
  });

  test('GIVEN the first bytes of a packet WHEN its length is asked THEN undefined until the Remaining Length is complete', () => {
    expect(packetLength(Buffer.from([0x30]))).toBeUndefined();
    expect(packetLength(Buffer.from([0x30, 0x80]))).toBeUndefined();
    expect(packetLength(Buffer.from([0x30, 0x80, 0x01]))).toBe(3 + 128);
  });
});
