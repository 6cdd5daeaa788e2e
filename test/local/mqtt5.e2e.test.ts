/**
 * MQTT 5 against the local runner as AWS IoT Core documents it (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html):
 * CONNACK properties, PUBACK/DISCONNECT reason codes, topic aliases (maximum 8), message expiry (clamped to 604,800 s),
 * user properties / content type / response topic / correlation data forwarded, cross-version delivery, Receive
 * Maximum 100, and certificate status (INACTIVE / REVOKED disconnects open connections and refuses new ones).
 *
 * The app: a pipeline (thing `m5-device`, the construct's policy: connect as itself, publish under `m5/`) and a
 * `m5-listener` thing with an IoT policy that allows everything (to subscribe and receive).
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import * as tls from 'tls';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as mqtt from 'mqtt';
// eslint-disable-next-line import/no-extraneous-dependencies -- mqtt's own packet codec: writes what mqtt.js refuses to send
import * as mqttPacket from 'mqtt-packet';
import { connect, readJsonLines, useRunner, waitFor } from './helpers';
import type { IssuedCertificate } from '../../local/iot/certs';
import { setCertificateStatus } from '../../local/iot/registry';
import { IotCoreFirehosePipeline } from '../../src';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(120_000);

const DEVICE = 'm5-device';
const LISTENER = 'm5-listener';

function synth(outdir: string): void {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Mqtt5');
  new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'm5', thingName: DEVICE, monitoring: { alarms: false }, removalPolicy: RemovalPolicy.DESTROY });
  const principal = 'arn:aws:iot:us-east-1:000000000000:cert/listener';
  const thing = new iot.CfnThing(stack, 'Listener', { thingName: LISTENER });
  const policy = new iot.CfnPolicy(stack, 'ListenerPolicy', {
    policyName: 'listener-all',
    policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] },
  });
  new iot.CfnThingPrincipalAttachment(stack, 'ListenerThingCert', { thingName: thing.ref, principal });
  new iot.CfnPolicyPrincipalAttachment(stack, 'ListenerPolicyCert', { policyName: policy.ref, principal });
  app.synth();
}

async function connect5(port: number, cert: IssuedCertificate, clientId: string, extra: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  return connect(port, cert, clientId, { protocolVersion: 5, ...extra });
}

/** The CONNACK mqtt.js received (it keeps it in a private field). */
function connackOf(client: mqtt.MqttClient): mqtt.IConnackPacket {
  return (client as unknown as { connackPacket: mqtt.IConnackPacket }).connackPacket;
}

/** Resolves with the reason code of the server's DISCONNECT (or 'closed' when the connection just closes). */
function disconnected(client: mqtt.MqttClient): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    client.once('disconnect', (packet) => resolve(packet.reasonCode ?? 0));
    client.once('close', () => setTimeout(() => resolve('closed'), 50));
  });
}

describe('MQTT 5 against the local runner', () => {
  let listener: mqtt.MqttClient;
  const received: mqtt.IPublishPacket[] = [];

  // jest runs afterAll hooks in the order they are declared: the listener disconnects before the fixture stops the runner.
  afterAll(async () => {
    await listener?.endAsync();
  });

  const t = useRunner({
    name: 'mqtt5',
    app: (dir) => {
      synth(join(dir, 'cdk.out'));
      return join(dir, 'cdk.out');
    },
    things: () => [DEVICE, LISTENER],
  });

  beforeAll(async () => {
    listener = await connect5(t.runner.port, t.certOf(LISTENER), LISTENER);
    listener.on('message', (_topic, _payload, packet) => received.push(packet));
    await listener.subscribeAsync('m5/#', { qos: 1 });
  });

  test('GIVEN an MQTT 5 client WHEN it connects THEN CONNACK 0x00 advertises AWS IoT Core\'s Topic Alias Maximum 8 and Receive Maximum 100', async () => {
    const client = await connect5(t.runner.port, t.cert, DEVICE);
    try {
      const connack = connackOf(client);
      expect(connack.reasonCode).toBe(0);
      expect(connack.properties).toMatchObject({ topicAliasMaximum: 8, receiveMaximum: 100 });
    } finally {
      await client.endAsync();
    }
  });

  test('GIVEN an MQTT 5 publish with properties WHEN delivered THEN a subscriber gets user properties, content type, payload format, response topic, correlation data, and the expiry clamped to 604,800 s', async () => {
    const client = await connect5(t.runner.port, t.cert, DEVICE);
    try {
      const ack = await client.publishAsync('m5/props', JSON.stringify({ via: 'props' }), {
        qos: 1,
        properties: {
          userProperties: { site: 'berlin', tag: ['a', 'b'] },
          contentType: 'application/json',
          payloadFormatIndicator: true,
          responseTopic: 'm5/replies',
          correlationData: Buffer.from('req-1'),
          messageExpiryInterval: 10_000_000,
        },
      });
      expect((ack as mqttPacket.IPubackPacket | undefined)?.reasonCode ?? 0).toBe(0);
    } finally {
      await client.endAsync();
    }
    await waitFor('the listener to receive the message', () => received.some((p) => p.topic === 'm5/props'));
    const p = received.find((x) => x.topic === 'm5/props')!;
    expect(p.properties).toMatchObject({
      userProperties: { site: 'berlin', tag: ['a', 'b'] },
      contentType: 'application/json',
      payloadFormatIndicator: true,
      responseTopic: 'm5/replies',
      correlationData: Buffer.from('req-1'),
    });
    expect(p.properties!.messageExpiryInterval).toBeGreaterThan(604_700);
    expect(p.properties!.messageExpiryInterval).toBeLessThanOrEqual(604_800);
  });

  test('GIVEN topic aliases WHEN a publish sets alias 1 and the next uses it alone THEN both reach the rule and the subscriber with the topic; alias 9 is DISCONNECT 0x94', async () => {
    const client = await connect5(t.runner.port, t.cert, DEVICE);
    await client.publishAsync('m5/aliased', JSON.stringify({ via: 'alias', n: 1 }), { qos: 1, properties: { topicAlias: 1 } });
    await client.publishAsync('', JSON.stringify({ via: 'alias', n: 2 }), { qos: 1, properties: { topicAlias: 1 } });
    await waitFor('both aliased messages', () => received.filter((p) => p.topic === 'm5/aliased').length === 2);
    await t.runner.flush();
    const stream = [...t.runner.model.streams.values()][0];
    const raw = readJsonLines(join(t.dataDir, 's3', stream.backup!.bucket.folder), 'raw/').filter((r) => r.via === 'alias');
    expect(raw.map((r) => [r.topic, r.n]).sort()).toEqual([['m5/aliased', 1], ['m5/aliased', 2]]);

    // mqtt.js refuses an alias over the server's maximum, so the packet is written by hand
    const reason = disconnected(client);
    client.stream.write(mqttPacket.generate({ cmd: 'publish', topic: 'm5/x', payload: Buffer.from('{}'), qos: 0, dup: false, retain: false, properties: { topicAlias: 9 } }, { protocolVersion: 5 }));
    expect(await reason).toBe(0x94);
  });

  test('GIVEN a publish the policy does not allow WHEN sent over MQTT 5 THEN PUBACK 0x87 Not authorized, the connection stays, and a permitted publish still works', async () => {
    const client = await connect5(t.runner.port, t.cert, DEVICE);
    try {
      await expect(client.publishAsync('elsewhere/x', JSON.stringify({ via: 'denied' }), { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
      expect(client.connected).toBe(true);
      const ok = await client.publishAsync('m5/after-denied', JSON.stringify({ via: 'after-denied' }), { qos: 1 });
      expect((ok as mqttPacket.IPubackPacket | undefined)?.reasonCode ?? 0).toBe(0);
    } finally {
      await client.endAsync();
    }
    expect(t.logs.join('\n')).toMatch(/publish of m5-device to elsewhere\/x refused \(PUBACK 0x87\)/);
    expect(received.some((p) => p.topic === 'elsewhere/x')).toBe(false);
  });

  test('GIVEN a subscription the policy does not allow WHEN subscribing over MQTT 5 THEN SUBACK 0x87 Not authorized', async () => {
    const client = await connect5(t.runner.port, t.cert, DEVICE); // the construct's policy: Connect and Publish only
    try {
      // mqtt.js rejects a subscription whose SUBACK reason code is a failure, with the SUBACK
      await expect(client.subscribeAsync('m5/#', { qos: 1 })).rejects.toMatchObject({ packet: { cmd: 'suback', granted: [0x87] } });
      expect(client.connected).toBe(true);
    } finally {
      await client.endAsync();
    }
  });

  test.each<[string, (c: mqtt.MqttClient) => void, number]>([
    ['a QoS 2 publish (AWS IoT supports QoS 0 and 1) WHEN sent THEN DISCONNECT 0x9B QoS not supported', (c) => c.publish('m5/q2', '{}', { qos: 2 }), 0x9b],
    ['a payload over 128 KB WHEN sent THEN DISCONNECT 0x95 Packet too large', (c) => c.publish('m5/big', Buffer.alloc(128 * 1024 + 1, 0x61), { qos: 1 }), 0x95],
  ])('GIVEN MQTT 5 and %s', async (_name, send, code) => {
    const client = await connect5(t.runner.port, t.cert, DEVICE);
    const reason = disconnected(client);
    send(client);
    expect(await reason).toBe(code);
    client.end(true);
  });

  test('GIVEN an MQTT 5 client that sends 101 QoS 1 publishes without waiting WHEN the 101st arrives THEN DISCONNECT 0x93 Receive Maximum exceeded', async () => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: t.runner.port,
      servername: 'localhost',
      key: readFileSync(t.cert.keyPath),
      cert: readFileSync(t.cert.certPath),
      ca: readFileSync(t.cert.caPath),
    });
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const packets: mqttPacket.Packet[] = [];
    parser.on('packet', (p) => packets.push(p));
    socket.on('data', (d: Buffer) => parser.parse(d));
    await new Promise<void>((res, rej) => socket.once('secureConnect', res).once('error', rej));
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: DEVICE, clean: true, keepalive: 30 }));
    await waitFor('CONNACK', () => packets.some((p) => p.cmd === 'connack'));
    const burst = Buffer.concat([...Array(101).keys()].map((i) => mqttPacket.generate({
      cmd: 'publish', topic: 'm5/burst', payload: Buffer.from(JSON.stringify({ via: 'burst', i })), qos: 1, messageId: i + 1, dup: false, retain: false,
    }, { protocolVersion: 5 })));
    socket.write(burst);
    await waitFor('DISCONNECT', () => packets.some((p) => p.cmd === 'disconnect'));
    expect(packets.find((p) => p.cmd === 'disconnect')).toMatchObject({ reasonCode: 0x93 });
    socket.destroy();
  });

  test('GIVEN an MQTT 3.1.1 publisher and an MQTT 5 subscriber WHEN a message is published THEN it is delivered across versions', async () => {
    const client = await connect(t.runner.port, t.cert, DEVICE);
    await client.publishAsync('m5/from-311', JSON.stringify({ via: '311' }), { qos: 1 });
    await client.endAsync();
    await waitFor('the v3 message at the v5 subscriber', () => received.some((p) => p.topic === 'm5/from-311'));
  });

  test('GIVEN an open MQTT 5 connection WHEN its certificate is set INACTIVE THEN DISCONNECT 0x87 and reconnecting is refused (CONNACK 0x87 / 5) until it is ACTIVE again', async () => {
    const v5 = await connect5(t.runner.port, t.cert, DEVICE);
    const gone = disconnected(v5);

    setCertificateStatus(t.dataDir, { thing: DEVICE }, 'INACTIVE');

    expect(await gone).toBe(0x87);
    expect(t.logs.join('\n')).toMatch(/disconnecting m5-device: its certificate [0-9a-f]{64} is now INACTIVE/);
    await expect(connect5(t.runner.port, t.cert, DEVICE)).rejects.toMatchObject({ code: 0x87 });
    await expect(connect(t.runner.port, t.cert, DEVICE)).rejects.toMatchObject({ code: 5 });
    expect(listener.connected).toBe(true); // another certificate: untouched

    setCertificateStatus(t.dataDir, { thing: DEVICE }, 'ACTIVE');
    const again = await connect5(t.runner.port, t.cert, DEVICE);
    await again.endAsync();
  });

  test('GIVEN an open MQTT 3.1.1 connection WHEN its certificate is REVOKED THEN it is closed, reconnecting is refused, and it cannot be activated again', async () => {
    const v3 = await connect(t.runner.port, t.cert, DEVICE);
    const gone = new Promise<void>((res) => v3.once('close', () => res()));

    setCertificateStatus(t.dataDir, { thing: DEVICE }, 'REVOKED');

    await gone;
    await expect(connect(t.runner.port, t.cert, DEVICE)).rejects.toMatchObject({ code: 5 });
    await expect(connect5(t.runner.port, t.cert, DEVICE)).rejects.toMatchObject({ code: 0x87 });
    expect(() => setCertificateStatus(t.dataDir, { thing: DEVICE }, 'ACTIVE')).toThrow(/REVOKED, which AWS IoT makes final/);
  });
});
