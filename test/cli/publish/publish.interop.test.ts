/**
 * `cdk-iot-pipeline publish` against a real MQTT broker over real mutual TLS: Eclipse Mosquitto (Debian package
 * `mosquitto`), started on 127.0.0.1 with `require_certificate true` and `use_identity_as_username true`, with a
 * CA, server and client certificates made by openssl. A third-party client, `mosquitto_sub` (package
 * `mosquitto-clients`), checks what arrived.
 */
import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir, userInfo } from 'os';
import { join } from 'path';
import type { PublishReport } from '../../../cli/publish/report';
import { cli, findExecutable, freePort, makePki, Pki, Server, startServer, tcpOpen, waitFor } from '../support';

// cbor-x's types are an ES module's; its CommonJS build is what jest loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { decode: decodeCbor } = require('cbor-x') as { decode(bytes: Uint8Array): unknown };

jest.setTimeout(60_000);

const INSTALL = 'Install it with `sudo apt-get install -y mosquitto mosquitto-clients` (Debian/Ubuntu), or set MOSQUITTO / MOSQUITTO_SUB to the binaries.';
let dir: string;
let pki: Pki;
let broker: Server;
let port: number;
let mosquittoSub: string;
let stdbuf: string;
const subscribers: ChildProcess[] = [];

beforeAll(async () => {
  const mosquitto = findExecutable('mosquitto', [process.env.MOSQUITTO, '/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/opt/homebrew/sbin/mosquitto'], INSTALL);
  mosquittoSub = findExecutable('mosquitto_sub', [process.env.MOSQUITTO_SUB, '/usr/bin/mosquitto_sub', '/usr/local/bin/mosquitto_sub', '/opt/homebrew/bin/mosquitto_sub'], INSTALL);
  // mosquitto_sub writes through stdio; line-buffer it so "received SUBACK" is seen as soon as it is printed.
  stdbuf = findExecutable('stdbuf', [process.env.STDBUF, '/usr/bin/stdbuf', '/bin/stdbuf'], 'It is part of GNU coreutils.');
  dir = mkdtempSync(join(tmpdir(), 'cli-mosquitto-'));
  pki = makePki(dir);
  port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  const acl = join(dir, 'acl');
  writeFileSync(acl, 'user device-1\ntopic write iot-test-topic/#\n\nuser subscriber\ntopic read #\n');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    `cafile ${pki.caCert}`,
    `certfile ${pki.serverCert}`,
    `keyfile ${pki.serverKey}`,
    'require_certificate true',
    'use_identity_as_username true',
    'allow_anonymous false',
    'persistence false',
    // device-1 may publish under iot-test-topic/ only (MQTT 5 clients get PUBACK "Not authorized" elsewhere);
    // a packet over 2,000 bytes makes the broker close the connection, as AWS IoT does on a policy violation.
    `acl_file ${acl}`,
    'max_packet_size 2000',
    'log_dest stdout',
    'log_type error',
    'log_type warning',
    'log_type notice',
    // When started as root, mosquitto drops to this user; it must be able to read the temp dir's keys.
    `user ${userInfo().username}`,
    '',
  ].join('\n'));
  broker = startServer(mosquitto, ['-c', conf]);
  await waitFor('mosquitto to listen', async () => {
    if (broker.exited()) throw new Error(`mosquitto exited:\n${broker.output()}`);
    return tcpOpen(port);
  }, 15_000).catch((e) => { throw new Error(`${(e as Error).message}\n${broker.output()}`); });
});

afterAll(async () => {
  for (const s of subscribers) if (s.exitCode === null) s.kill('SIGKILL');
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Received {
  readonly topic: string;
  readonly qos: number;
  readonly payload: string;
}

/**
 * Starts mosquitto_sub on `topic` and resolves once it is subscribed (SUBACK). `messages` resolves when `count`
 * messages arrived or mosquitto_sub gave up after `timeoutSeconds` of silence.
 */
async function subscribe(topic: string, count: number, timeoutSeconds = 15, payloadFormat: '%p' | '%x' = '%p'): Promise<{ messages: Promise<Received[]> }> {
  const child = spawn(stdbuf, ['-oL', mosquittoSub,
    '-h', '127.0.0.1', '-p', String(port), '--cafile', pki.caCert, '--cert', pki.subCert, '--key', pki.subKey,
    '-i', `sub-${Date.now()}`, '-t', topic, '-q', '1', '-C', String(count), '-W', String(timeoutSeconds), '-d',
    '-F', `MSG\t%t\t%q\t${payloadFormat}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  subscribers.push(child);
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor('mosquitto_sub to be subscribed', async () => {
    if (child.exitCode !== null) throw new Error(`mosquitto_sub exited early:\n${out}`);
    return out.includes('received SUBACK');
  }, 10_000, 20);
  const messages = exited.then(() => out.split('\n')
    .filter((l) => l.startsWith('MSG\t'))
    .map((l) => {
      const [, t, q, ...payload] = l.split('\t');
      return { topic: t, qos: Number(q), payload: payload.join('\t') };
    }));
  return { messages };
}

const connection = () => ['--endpoint', `127.0.0.1:${port}`, '--ca', pki.caCert, '--client-id', 'device-1'];
const TEMPLATE = '{"seq": {{seq}}, "ts": {{now}}, "at": "{{iso}}", "temp": {{random}}, "level": {{randomInt:1:5}}, "id": "{{uuid}}", "device": "{{clientId}}"}';

describe('cdk-iot-pipeline publish (mosquitto over mutual TLS)', () => {
  test.each<[string, '0' | '1', '3.1.1' | '5']>([
    ['QoS 1, MQTT 3.1.1', '1', '3.1.1'],
    ['QoS 0, MQTT 3.1.1', '0', '3.1.1'],
    ['QoS 1, MQTT 5', '1', '5'],
  ])('GIVEN %s WHEN 20 messages are published THEN the subscriber receives all of them, rendered from the template', async (_name, qos, version) => {
    // GIVEN
    const topic = `iot-test-topic/device-1/q${qos}v${version}`;
    const sub = await subscribe(topic, 20);
    // WHEN
    const { code, out, err } = await cli('publish', ...connection(), '--cert', pki.clientCert, '--key', pki.clientKey,
      '--topic', topic, '--count', '20', '--rate', '200', '--qos', qos, '--mqtt-version', version, '--template', TEMPLATE, '--json');
    // THEN
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    const report = JSON.parse(out) as PublishReport;
    expect(report).toMatchObject({
      endpoint: `127.0.0.1:${port}`,
      clientId: 'device-1',
      topic,
      qos: Number(qos),
      mqttVersion: version,
      requested: 20,
      sent: 20,
      acked: 20,
      failed: 0,
      errors: [],
      latencyMeasures: qos === '1' ? 'publish→PUBACK' : 'publish→written',
    });
    const l = report.latencyMs!;
    expect(l.count).toBe(20);
    expect(l.p50).toBeLessThanOrEqual(l.p90);
    expect(l.p90).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);
    // Every latency is measured inside the run: from its publish to its acknowledgement, both before the run ends.
    expect(l.max).toBeLessThanOrEqual(report.durationMs);

    const received = await sub.messages;
    expect(received).toHaveLength(20);
    const bodies = received.map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    expect(bodies.map((b) => b.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const m of received) {
      expect(m.topic).toBe(topic);
      expect(m.qos).toBe(Number(qos)); // delivered at min(publish QoS, subscription QoS 1)
    }
    for (const b of bodies) {
      expect(b).toEqual({
        seq: expect.any(Number),
        ts: expect.any(Number),
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        temp: expect.any(Number),
        level: expect.any(Number),
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        device: 'device-1',
      });
      expect(b.temp as number).toBeGreaterThanOrEqual(0);
      expect(b.temp as number).toBeLessThan(1);
      expect([1, 2, 3, 4, 5]).toContain(b.level);
      expect(new Date(b.at as string).getTime()).toBe(b.ts);
    }
    expect(new Set(bodies.map((b) => b.id)).size).toBe(20);
  });

  test('GIVEN --cbor over MQTT 5 WHEN 3 messages are published THEN the subscriber\'s bytes (mosquitto_sub, hex) decode to the template\'s messages', async () => {
    // GIVEN
    const topic = 'iot-test-topic/device-1/cbor';
    const sub = await subscribe(topic, 3, 15, '%x');
    // WHEN
    const { code, out, err } = await cli('publish', ...connection(), '--cert', pki.clientCert, '--key', pki.clientKey, '--topic', topic,
      '--count', '3', '--rate', '100', '--mqtt-version', '5', '--cbor', '--template', '{"seq": {{seq}}, "device": "{{clientId}}", "v": [1.5, -2]}', '--json', '--quiet');
    // THEN
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    const received = (await sub.messages).map((m) => Buffer.from(m.payload, 'hex'));
    expect(received.map((b) => decodeCbor(b))).toEqual([1, 2, 3].map((seq) => ({ seq, device: 'device-1', v: [1.5, -2] })));
    const report = JSON.parse(out) as PublishReport;
    expect(report).toMatchObject({ payloadKind: 'cbor', acked: 3, bytesSent: received.reduce((n, b) => n + b.length, 0) });
  });

  test('GIVEN --payload-file WHEN published THEN the subscriber receives exactly the file\'s bytes', async () => {
    // GIVEN bytes with NUL, newline, tab and invalid UTF-8
    const bytes = Buffer.from([0x00, 0x0a, 0x09, 0xff, 0xfe, 0x41, 0x0d]);
    const file = join(dir, 'frame.bin');
    writeFileSync(file, bytes);
    const topic = 'iot-test-topic/device-1/file';
    const sub = await subscribe(topic, 2, 15, '%x');
    // WHEN
    const { code } = await cli('publish', ...connection(), '--cert', pki.clientCert, '--key', pki.clientKey, '--topic', topic,
      '--count', '2', '--rate', '100', '--payload-file', file, '--quiet');
    // THEN
    expect(code).toBe(0);
    expect((await sub.messages).map((m) => m.payload)).toEqual([bytes.toString('hex'), bytes.toString('hex')]);
  });

  test('GIVEN text output WHEN publishing THEN the report names counts and latency percentiles, progress goes to stderr', async () => {
    // WHEN
    const { code, out, err } = await cli('publish', ...connection(), '--cert', pki.clientCert, '--key', pki.clientKey,
      '--topic', 'iot-test-topic/device-1', '--count', '3', '--rate', '100');
    // THEN
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Sent 3/3 messages to iot-test-topic/device-1 at QoS 1 \\(MQTT 3\\.1\\.1\\) on 127\\.0\\.0\\.1:${port} as device-1 in `));
    expect(lines[1]).toBe('acked (PUBACK) 3, failed 0');
    expect(lines[2]).toMatch(/^payload json: \d+ bytes sent \(first message \d+ bytes\)$/);
    expect(lines[3]).toMatch(/^latency publish→PUBACK \(ms\): p50 \d+\.\d  p90 \d+\.\d  p99 \d+\.\d  max \d+\.\d$/);
    expect(err).toContain(`… connecting to 127.0.0.1:${port} as device-1 (MQTT 3.1.1, mutual TLS)`);
    expect(err).toContain('… published 3/3');
  });

  test('GIVEN a topic the broker does not authorize (MQTT 5) WHEN publishing THEN every message fails with the PUBACK reason and the exit code is 1', async () => {
    // WHEN
    const { code, out } = await cli('publish', ...connection(), '--cert', pki.clientCert, '--key', pki.clientKey,
      '--topic', 'forbidden/device-1', '--count', '3', '--rate', '100', '--mqtt-version', '5', '--json', '--quiet');
    // THEN
    expect(code).toBe(1);
    const report = JSON.parse(out) as PublishReport;
    expect(report).toMatchObject({ sent: 3, acked: 0, failed: 3 });
    expect(report.errors).toEqual([1, 2, 3].map((seq) => ({ seq, error: 'Publish error: Not authorized' })));
    expect(report.latencyMs).toBeUndefined();
  });

  test('GIVEN the broker closes the connection mid-run WHEN publishing THEN the unacknowledged and unsent messages fail and the report says why', async () => {
    // GIVEN a message larger than the broker's max_packet_size (2,000 bytes)
    const template = `{"seq": {{seq}}, "pad": "${'x'.repeat(3000)}"}`;
    // WHEN
    const { code, out } = await cli('publish', ...connection(), '--cert', pki.clientCert, '--key', pki.clientKey,
      '--topic', 'iot-test-topic/device-1', '--count', '3', '--rate', '50', '--template', template, '--ack-timeout', '10s', '--quiet');
    // THEN
    expect(code).toBe(1);
    const lines = out.trim().split('\n');
    expect(lines[1]).toBe('acked (PUBACK) 0, failed 3');
    expect(lines).toContain('  message 1: the connection closed before the acknowledgement');
    expect(lines).toContain('  message 3: not sent: the connection is closed');
    expect(lines.at(-1)).toMatch(/^The broker closed the connection after [12] message\(s\)\. AWS IoT Core disconnects a client that publishes to a topic its policy does not allow/);
  });

  test('GIVEN a client certificate from a CA the broker does not trust WHEN publishing THEN it is refused with a clear error', async () => {
    // WHEN
    const { code, out, err } = await cli('publish', ...connection(), '--cert', pki.rogueCert, '--key', pki.rogueKey,
      '--topic', 'iot-test-topic/device-1', '--count', '1', '--quiet');
    // THEN
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/^error: The broker refused the TLS connection with this client certificate \(/);
    expect(err).toContain('Check that --cert/--key are the device\'s certificate and key, that the certificate is issued by a CA the broker trusts');
  });

  test('GIVEN no --ca for a broker with a private CA WHEN publishing THEN the default trust store rejects it and the error says to pass --ca', async () => {
    // WHEN
    const { code, err } = await cli('publish', '--endpoint', `127.0.0.1:${port}`, '--client-id', 'device-1', '--cert', pki.clientCert, '--key', pki.clientKey,
      '--topic', 'iot-test-topic/device-1', '--count', '1', '--quiet');
    // THEN
    expect(code).toBe(1);
    expect(err).toContain('error: The broker\'s server certificate is not trusted');
    expect(err).toContain('for another broker pass --ca <its CA file>');
  });

  test('GIVEN a template that does not render to JSON WHEN publishing THEN it fails before connecting', async () => {
    // GIVEN a port nothing listens on: a connection attempt would fail with "refused" instead
    const closed = await freePort();
    // WHEN
    const { code, err } = await cli('publish', '--endpoint', `127.0.0.1:${closed}`, '--client-id', 'device-1', '--cert', pki.clientCert, '--key', pki.clientKey,
      '--topic', 'iot-test-topic/device-1', '--template', '{"id": {{uuid}}}');
    // THEN
    expect(code).toBe(2);
    expect(err).toContain('error: The message template does not render to JSON');
    expect(err).not.toContain('connecting');
  });

  test('GIVEN nothing listening WHEN publishing THEN the error says to check --endpoint', async () => {
    // GIVEN
    const closed = await freePort();
    // WHEN
    const { code, err } = await cli('publish', '--endpoint', `127.0.0.1:${closed}`, '--ca', pki.caCert, '--client-id', 'device-1',
      '--cert', pki.clientCert, '--key', pki.clientKey, '--topic', 't/device-1', '--quiet');
    // THEN
    expect(code).toBe(1);
    expect(err).toBe(`error: Connection to 127.0.0.1:${closed} refused: nothing listens there. Check --endpoint (AWS IoT: the stack output IotDataAtsEndpoint, port 8883).\n`);
  });
});
