/**
 * The client real devices use, against the local runner: the AWS IoT Device SDK v2 for Python (awsiotsdk, on the
 * AWS Common Runtime) from the project's venv publishes over mutual TLS with a certificate from `local certs`, and
 * the messages land in the raw and parsed bucket folders.
 */
import { execFile } from 'child_process';
import { join } from 'path';
import { promisify } from 'util';
import { cleanup, exampleAssembly, exampleThing, issue, readJsonLines, startRunner, tempDir, TestRunner } from './helpers';
import type { IssuedCertificate } from '../../local/iot/certs';
import { venvTool } from '../support/venv';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(120_000);

const run = promisify(execFile);
const SCRIPT = join(__dirname, 'device-sdk', 'publish.py');

interface SdkEvent { readonly event: string; readonly seq?: number; readonly acked?: number; readonly message?: string }

/** Runs the SDK publisher; resolves with its events (it prints one JSON object per line). */
async function devicePublish(
  port: number, cert: IssuedCertificate, clientId: string, topic: string, count: number, tag: string,
): Promise<SdkEvent[]> {
  const { stdout } = await run(venvTool('python'), [
    SCRIPT, '--endpoint', 'localhost', '--port', String(port), '--cert', cert.certPath, '--key', cert.keyPath, '--ca', cert.caPath,
    '--client-id', clientId, '--topic', topic, '--count', String(count), '--tag', tag,
  ], { timeout: 60_000 });
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as SdkEvent);
}

describe('the AWS IoT Device SDK v2 (MQTT 3.1.1) against the local runner', () => {
  let dir: string;
  let t: TestRunner;
  let thing: string;
  let cert: IssuedCertificate;

  beforeAll(async () => {
    const app = exampleAssembly();
    thing = exampleThing(app);
    dir = tempDir('device-sdk');
    t = await startRunner({ app, dataDir: join(dir, 'data'), stack: 'IotTelemetryExample' });
    cert = issue(t.dataDir, thing);
  });

  afterAll(async () => {
    await t?.runner.stop();
    cleanup(dir);
  });

  test('GIVEN a certificate from `local certs` WHEN the SDK publishes 25 messages at QoS 1 THEN all are acknowledged and land raw and parsed', async () => {
    const events = await devicePublish(t.runner.port, cert, thing, 'iot-test-topic/sdk-device', 25, 'device-sdk-311');
    expect(events[0]).toEqual({ event: 'connected', protocol: '3.1.1' });
    expect(events.filter((e) => e.event === 'puback').map((e) => e.seq)).toEqual([...Array(25).keys()]);
    expect(events[events.length - 1]).toEqual({ event: 'done', acked: 25 });

    await t.runner.flush();
    const stream = [...t.runner.model.streams.values()][0];
    const raw = readJsonLines(join(t.dataDir, 's3', stream.backup!.bucket.folder), 'raw/').filter((r) => r.via === 'device-sdk-311');
    const parsed = readJsonLines(join(t.dataDir, 's3', stream.destination.bucket.folder), 'parsed/').filter((r) => r.via === 'device-sdk-311');
    expect(raw.map((r) => r.seq).sort((a, b) => Number(a) - Number(b))).toEqual([...Array(25).keys()]);
    expect(parsed).toHaveLength(25);
    expect(parsed[0]).toEqual({ topic: 'iot-test-topic/sdk-device', via: 'device-sdk-311', seq: expect.any(Number), device: 'sdk-device', arrival_timestamp: expect.any(Number) });
  });

  test('GIVEN the thing\'s certificate WHEN the SDK connects with another client id THEN the connection is refused and nothing is published', async () => {
    await expect(devicePublish(t.runner.port, cert, 'not-the-thing', 'iot-test-topic/x', 1, 'refused')).rejects.toMatchObject({
      stdout: expect.stringMatching(/"event": "error"/),
    });
    expect(t.logs.join('\n')).toMatch(/connect denied for client id "not-the-thing"/);
  });
});
