/**
 * The local runner on the synthesized example app (examples/app/cdk.out), in-process, on a free loopback port.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import * as tls from 'tls';
import * as mqtt from 'mqtt';
import { cleanup, connect, issue, listFiles, readJsonLines, readObject, tempDir, useExampleRunner, waitFor } from './helpers';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(120000);

describe('local runner: the example app end to end', () => {
  const t = useExampleRunner('e2e-example');
  let parsedDir: string;
  let rawDir: string;

  beforeAll(() => {
    const stream = [...t.runner.model.streams.values()][0];
    parsedDir = join(t.dataDir, 's3', stream.destination.bucket.folder);
    rawDir = join(t.dataDir, 's3', stream.backup!.bucket.folder);
  });

  test('GIVEN the synthesized example WHEN the runner starts THEN one readiness line names the endpoint, stack, thing, rule and stream', () => {
    expect(t.runner.readyLine).toMatch(new RegExp(`^ready mqtts://127\\.0\\.0\\.1:${t.runner.port} stack=IotTelemetryExample things=${t.thing} rules=IotTelemetryExample_Pipeline_(\\w+),IotTelemetryExample_Pipeline_\\1_Rejected streams=PipelineDeliveryStream\\w+ data-dir=`));
    expect(t.runner.port).toBeGreaterThan(0);
  });

  test('GIVEN a device certificate WHEN mqtt.js publishes QoS 1 over mutual TLS THEN raw .gz and parsed .json.gz objects land with Firehose keys and the parsed records', async () => {
    const client = await connect(t.runner.port, t.cert, t.thing);
    try {
      for (let i = 1; i <= 5; i++) {
        await client.publishAsync(`iot-test-topic/sensor-${i % 2}`, JSON.stringify({ seq: i, temp: 20 + i, via: 'mqtt.js' }), { qos: 1 });
      }
    } finally {
      await client.endAsync();
    }
    await t.runner.flush();

    const parsedKeys = listFiles(parsedDir).filter((k) => k.startsWith('parsed/'));
    const rawKeys = listFiles(rawDir).filter((k) => k.startsWith('raw/'));
    const keyPattern = (prefix: string, ext: string) =>
      new RegExp(`^${prefix}/year=\\d{4}/month=\\d{2}/day=\\d{2}/hour=\\d{2}/PipelineDeliveryStream\\w+-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}${ext.replace(/\./g, '\\.')}$`);
    expect(parsedKeys.length).toBeGreaterThanOrEqual(1);
    for (const k of parsedKeys) expect(k).toMatch(keyPattern('parsed', '.json.gz'));
    for (const k of rawKeys) expect(k).toMatch(keyPattern('raw', '.gz'));

    const parsed = readJsonLines(parsedDir, 'parsed/').filter((r) => r.via === 'mqtt.js');
    expect(parsed.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(parsed[0]).toEqual({ topic: 'iot-test-topic/sensor-1', seq: 1, temp: 21, via: 'mqtt.js', device: 'sensor-1', arrival_timestamp: expect.any(Number) });
    const raw = readJsonLines(rawDir, 'raw/').filter((r) => r.via === 'mqtt.js');
    expect(raw[0]).toEqual({ topic: 'iot-test-topic/sensor-1', seq: 1, temp: 21, via: 'mqtt.js' });
    expect(raw).toHaveLength(5);
    // the raw object is exactly the rule output with the "\n" separator
    expect(readObject(join(rawDir, rawKeys[0])).endsWith('}\n')).toBe(true);
  });

  test('GIVEN the thing\'s certificate and another client id WHEN connecting THEN CONNACK "not authorized" and a logged reason', async () => {
    await expect(connect(t.runner.port, t.cert, 'not-the-thing')).rejects.toThrow(/Not authorized/i);
    expect(t.logs.join('\n')).toMatch(/connect denied for client id "not-the-thing": .*IsAttached is false/);
  });

  test('GIVEN a topic the policy does not allow WHEN publishing THEN the client is disconnected, the reason logged, and nothing is delivered', async () => {
    const client = await connect(t.runner.port, t.cert, t.thing);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('forbidden/topic', JSON.stringify({ via: 'denied' }), { qos: 1 });
    await closed;
    client.end(true);
    await t.runner.flush();
    expect(t.logs.join('\n')).toMatch(/disconnecting .*publish denied: iot:Publish on arn:aws:iot:us-east-1:000000000000:topic\/forbidden\/topic is not allowed/);
    expect(readJsonLines(rawDir).filter((r) => r.via === 'denied')).toEqual([]);
    expect(readJsonLines(parsedDir).filter((r) => r.via === 'denied')).toEqual([]);
  });

  test('GIVEN a payload over AWS IoT\'s 128 KB WHEN published THEN the client is disconnected and nothing is delivered', async () => {
    const client = await connect(t.runner.port, t.cert, t.thing);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('iot-test-topic/big', JSON.stringify({ via: 'too-big', pad: 'x'.repeat(130 * 1024) }), { qos: 1 });
    await closed;
    client.end(true);
    await t.runner.flush();
    expect(t.logs.join('\n')).toMatch(/exceeds AWS IoT Core's 128 KB payload limit/);
    expect(readJsonLines(rawDir).filter((r) => r.via === 'too-big')).toEqual([]);
  });

  test('GIVEN a message to <topic>/a/b (the default rule matches one level) WHEN published THEN nothing is delivered for it', async () => {
    const client = await connect(t.runner.port, t.cert, t.thing);
    await client.publishAsync('iot-test-topic/a/b', JSON.stringify({ via: 'two-levels' }), { qos: 1 });
    await client.endAsync();
    await t.runner.flush();
    expect(readJsonLines(rawDir).filter((r) => r.via === 'two-levels')).toEqual([]);
  });

  test('GIVEN a client certificate from another CA WHEN connecting THEN the TLS handshake is refused and logged', async () => {
    const other = tempDir('other-ca');
    try {
      const foreign = issue(join(other, 'data'), t.thing);
      // The server verifies the client certificate and aborts the handshake; with TLS 1.3 the client learns it
      // when the server's alert arrives, so wait for the connection to close rather than for a connect error.
      const socket = tls.connect({
        host: '127.0.0.1',
        port: t.runner.port,
        key: readFileSync(foreign.keyPath),
        cert: readFileSync(foreign.certPath),
        ca: readFileSync(t.cert.caPath),
        servername: 'localhost',
      });
      const outcome = await new Promise<string>((resolve) => {
        socket.once('error', (e) => resolve(`error: ${e.message}`));
        socket.once('close', () => resolve('closed'));
        setTimeout(() => resolve('still open'), 20_000).unref();
      });
      socket.destroy();
      expect(outcome).not.toEqual('still open');
      await waitFor('the TLS failure to be logged', () => t.logs.some((l) => /TLS handshake from .* failed/.test(l)));
    } finally {
      cleanup(other);
    }
  });

  test('GIVEN an MQTT 5 client WHEN it connects and publishes THEN it is accepted on the same port (aedes 2.0.0-beta.1 speaks 3.1.1 and 5)', async () => {
    const client = await connect(t.runner.port, t.cert, t.thing, { protocolVersion: 5, connectTimeout: 5000 });
    try {
      expect((client as unknown as { connackPacket: mqtt.IConnackPacket }).connackPacket.reasonCode).toBe(0);
      await client.publishAsync('iot-test-topic/v5', JSON.stringify({ via: 'v5' }), { qos: 1 });
    } finally {
      await client.endAsync();
    }
    await t.runner.flush();
    expect(readJsonLines(parsedDir).filter((r) => r.via === 'v5')).toHaveLength(1);
  });

  test('GIVEN QoS 0 messages WHEN published THEN they are delivered too (best effort, not journaled)', async () => {
    const client = await connect(t.runner.port, t.cert, t.thing);
    const journaledBefore = t.runner.broker.stats.journaled;
    await client.publishAsync('iot-test-topic/q0', JSON.stringify({ via: 'qos0' }), { qos: 0 });
    await client.endAsync();
    await waitFor('the message to reach the stream', () => t.runner.broker.stats.published > 0 && [...t.runner.streams.values()][0].stats.recordsIn > 0);
    await t.runner.flush();
    expect(readJsonLines(parsedDir).filter((r) => r.via === 'qos0')).toHaveLength(1);
    expect(t.runner.broker.stats.journaled).toBe(journaledBefore);
  });
});
