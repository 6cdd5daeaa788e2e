/**
 * The broker trusts no device: AWS IoT Core's MQTT 5 CONNACK properties
 * (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html), a 128 KB maximum packet size enforced before an
 * oversized packet is buffered, a cap on open connections, and a TLS handshake deadline.
 *
 * The app: one thing whose certificate may do everything (an IoT policy `iot:*`); no pipeline is needed.
 */
import { execFile } from 'child_process';
import { readFileSync } from 'fs';
import { connect as tcpConnect } from 'net';
import { join } from 'path';
import * as tls from 'tls';
import { promisify } from 'util';
import { App, Stack } from 'aws-cdk-lib';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as mqtt from 'mqtt';
// eslint-disable-next-line import/no-extraneous-dependencies -- mqtt's own packet codec: writes what mqtt.js would not send
import * as mqttPacket from 'mqtt-packet';
import type { IssuedCertificate } from '../../../local/iot/certs';
import { venvTool } from '../../support/venv';
import { cleanup, connect, issue, startRunner, tempDir, TestRunner, waitFor } from '../helpers';

jest.mock('aedes', () => jest.requireActual('../helpers').aedesCommonJs());
jest.setTimeout(120_000);

const DEVICE = 'limits-device';

function synth(outdir: string): void {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Limits');
  const principal = 'arn:aws:iot:us-east-1:000000000000:cert/limits';
  const thing = new iot.CfnThing(stack, 'Device', { thingName: DEVICE });
  const policy = new iot.CfnPolicy(stack, 'AllowAll', {
    policyName: 'limits-all',
    policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] },
  });
  new iot.CfnThingPrincipalAttachment(stack, 'ThingCert', { thingName: thing.ref, principal });
  new iot.CfnPolicyPrincipalAttachment(stack, 'PolicyCert', { policyName: policy.ref, principal });
  app.synth();
}

/** A mutual-TLS socket to the broker that has sent CONNECT and received CONNACK (packets it receives are kept). */
interface RawClient {
  readonly socket: tls.TLSSocket;
  readonly packets: mqttPacket.Packet[];
  readonly closed: Promise<void>;
}

async function rawClient(port: number, cert: IssuedCertificate, protocolVersion: 4 | 5): Promise<RawClient> {
  const socket = tls.connect({
    host: '127.0.0.1', port, servername: 'localhost', key: readFileSync(cert.keyPath), cert: readFileSync(cert.certPath), ca: readFileSync(cert.caPath),
  });
  const closed = new Promise<void>((res) => socket.once('close', () => res()));
  socket.on('error', () => undefined); // writes after the broker closed the connection (EPIPE, ECONNRESET)
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: mqttPacket.Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  socket.on('data', (d: Buffer) => parser.parse(d));
  await new Promise<void>((res, rej) => socket.once('secureConnect', res).once('error', rej));
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clientId: DEVICE, clean: true, keepalive: 30 }));
  await waitFor('CONNACK', () => packets.some((p) => p.cmd === 'connack'));
  return { socket, packets, closed };
}

describe('broker limits (defaults)', () => {
  let dir: string;
  let t: TestRunner;
  let device: IssuedCertificate;

  beforeAll(async () => {
    dir = tempDir('limits');
    synth(join(dir, 'cdk.out'));
    t = await startRunner({ app: join(dir, 'cdk.out'), dataDir: join(dir, 'data') });
    device = issue(t.dataDir, DEVICE);
  });

  afterAll(async () => {
    await t?.runner.stop();
    cleanup(dir);
  });

  test('GIVEN an MQTT 5 client WHEN it connects THEN the CONNACK carries AWS IoT Core\'s properties, and the connection works', async () => {
    const client = await connect(t.runner.port, device, DEVICE, { protocolVersion: 5 });
    try {
      const connack = (client as unknown as { connackPacket: mqtt.IConnackPacket }).connackPacket;
      expect(connack.reasonCode).toBe(0);
      expect(connack.properties).toEqual(expect.objectContaining({
        maximumQoS: 1,
        retainAvailable: true,
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: false,
        sharedSubscriptionAvailable: false, // AWS has them; the local broker refuses $share/ filters, and says so
        topicAliasMaximum: 8,
        maximumPacketSize: 128 * 1024,
        receiveMaximum: 100,
      }));
      // The rewritten CONNACK left the stream intact: a wildcard subscription and a QoS 1 round trip work.
      const got = new Promise<string>((res) => client.once('message', (_topic, payload) => res(payload.toString())));
      await client.subscribeAsync('limits/#', { qos: 1 });
      await client.publishAsync('limits/echo', 'after connack', { qos: 1 });
      expect(await got).toBe('after connack');
    } finally {
      await client.endAsync();
    }
  });

  test('GIVEN the AWS IoT Device SDK v2\'s MQTT 5 client (it checks CONNACK strictly) WHEN it connects and publishes THEN it is acknowledged', async () => {
    const { stdout } = await promisify(execFile)(venvTool('python'), [
      join(__dirname, '..', 'device-sdk', 'publish.py'), '--endpoint', 'localhost', '--port', String(t.runner.port),
      '--cert', device.certPath, '--key', device.keyPath, '--ca', device.caPath,
      '--client-id', DEVICE, '--topic', 'limits/sdk', '--count', '3', '--tag', 'limits-sdk', '--mqtt-version', '5',
    ], { timeout: 60_000 });
    const events = stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; reason_code?: number; acked?: number });
    expect(events[0]).toEqual({ event: 'connected', protocol: '5' });
    expect(events.filter((e) => e.event === 'puback').map((e) => e.reason_code)).toEqual([0, 0, 0]);
    expect(events[events.length - 1]).toEqual({ event: 'done', acked: 3 });
  });

  test('GIVEN an MQTT 3.1.1 client WHEN it connects THEN its CONNACK is the plain 3.1.1 one (no properties)', async () => {
    const c = await rawClient(t.runner.port, device, 4);
    const connack = c.packets.find((p) => p.cmd === 'connack') as mqttPacket.IConnackPacket;
    expect(connack.returnCode).toBe(0);
    expect(connack.properties).toBeUndefined();
    c.socket.end();
    await c.closed;
  });

  test.each<[string, 4 | 5]>([['MQTT 5', 5], ['MQTT 3.1.1', 4]])('GIVEN %s and a valid certificate WHEN a 1 MB PUBLISH is sent THEN the client is disconnected (MQTT 5: 0x95)', async (_name, version) => {
    const client = await connect(t.runner.port, device, `${DEVICE}`, { protocolVersion: version });
    const closed = new Promise<void>((res) => client.stream.once('close', () => res()));
    const reason = new Promise<number>((res) => client.once('disconnect', (p) => res(p.reasonCode ?? 0)));
    client.publish('limits/big', Buffer.alloc(1024 * 1024, 0x61), { qos: 1 });
    await closed;
    if (version === 5) expect(await reason).toBe(0x95);
    client.end(true);
    expect(t.logs.join('\n')).toMatch(/a packet exceeds AWS IoT Core's 128 KB payload limit \(maximum packet size 131072 bytes\); disconnected without reading it/);
  });

  test('GIVEN a PUBLISH that declares 256 MB WHEN its body streams in THEN the connection is closed after its header and the runner\'s RSS stays flat', async () => {
    const c = await rawClient(t.runner.port, device, 5);
    const declared = 256 * 1024 * 1024 - 1024; // within MQTT's largest Remaining Length
    const header = mqttPacket.generate({ cmd: 'publish', topic: 'limits/huge', payload: Buffer.alloc(0), qos: 0, dup: false, retain: false }, { protocolVersion: 5 });
    // The fixed header with the declared Remaining Length, then the variable header (topic, properties) as generated.
    const remaining: number[] = [];
    let n = declared;
    do {
      let byte = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) byte += 128; // continuation bit
      remaining.push(byte);
    } while (n > 0);
    const variableHeader = header.subarray(2); // generate() wrote a one-byte Remaining Length for the empty payload
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let open = true;
    void c.closed.then(() => {
      open = false;
    });
    c.socket.write(Buffer.concat([Buffer.from([0x30, ...remaining]), variableHeader]));
    const chunk = Buffer.alloc(1024 * 1024, 0x62);
    let sent = 0;
    // Keep streaming (up to 128 MB) while the connection is open; a broker that buffered the packet would grow by that.
    while (open && sent < 128) {
      if (!c.socket.write(chunk)) await new Promise<void>((res) => c.socket.once('drain', res).once('close', res));
      sent++;
    }
    await c.closed;
    const growthMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    expect(c.packets.some((p) => p.cmd === 'disconnect' && p.reasonCode === 0x95)).toBe(true);
    expect(sent).toBeLessThan(128); // closed long before the body was sent
    expect(growthMb).toBeLessThan(64);
  });
});

describe('broker limits (configured)', () => {
  let dir: string;
  let t: TestRunner;
  let device: IssuedCertificate;

  beforeAll(async () => {
    dir = tempDir('limits-configured');
    synth(join(dir, 'cdk.out'));
    t = await startRunner({ app: join(dir, 'cdk.out'), dataDir: join(dir, 'data'), maxConnections: 1, tlsHandshakeTimeoutMs: 500 });
    device = issue(t.dataDir, DEVICE);
  });

  afterAll(async () => {
    await t?.runner.stop();
    cleanup(dir);
  });

  test('GIVEN --max-connections 1 and one device connected WHEN a second connects THEN it is closed on accept; once the first leaves, it gets in', async () => {
    const first = await connect(t.runner.port, device, 'first');
    await expect(connect(t.runner.port, device, 'second')).rejects.toThrow();
    expect(t.runner.broker.stats.connectionsDropped).toBe(1);
    expect(t.logs.join('\n')).toMatch(/closed: 1 connections are open \(--max-connections\)/);
    await first.endAsync();
    let second: mqtt.MqttClient | undefined;
    await waitFor('a free connection slot', async () => {
      second = await connect(t.runner.port, device, 'second').catch(() => undefined);
      return second !== undefined;
    });
    await second!.endAsync();
  });

  test('GIVEN a TCP connection that never starts its TLS handshake WHEN the handshake timeout passes THEN the broker drops it', async () => {
    await waitFor('no open connection', () => new Promise<boolean>((res) => {
      (t.runner.broker as unknown as { server: import('net').Server }).server.getConnections((_e, count) => res(count === 0));
    }));
    const socket = tcpConnect({ host: '127.0.0.1', port: t.runner.port });
    socket.on('error', () => undefined);
    const closed = new Promise<void>((res) => socket.once('close', () => res()));
    await closed; // without the timeout this would hang until jest gives up
    expect(t.logs.join('\n')).toMatch(/TLS handshake from 127\.0\.0\.1 failed: .*timeout/i);
  });
});
