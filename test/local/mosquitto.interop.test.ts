/**
 * Interop (optional suite, `npx projen test:interop`): Mosquitto's own client, `mosquitto_pub` from Debian's
 * mosquitto-clients, publishes to the local runner with the files `local certs` issues — the runner speaks plain
 * MQTT over mutual TLS that any client accepts. The main suite's third-party client is the AWS IoT Device SDK
 * (device-sdk.e2e.test.ts); this one needs `apt install mosquitto-clients`, which only CI does.
 */
import { execFile } from 'child_process';
import { join } from 'path';
import { promisify } from 'util';
import { cleanup, exampleAssembly, exampleThing, issue, readJsonLines, startRunner, tempDir, TestRunner, waitFor } from './helpers';
import type { IssuedCertificate } from '../../local/iot/certs';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(120_000);

const run = promisify(execFile);

describe('mosquitto_pub against the local runner', () => {
  let dir: string;
  let t: TestRunner;
  let thing: string;
  let cert: IssuedCertificate;

  beforeAll(async () => {
    const app = exampleAssembly();
    thing = exampleThing(app);
    dir = tempDir('mosquitto-interop');
    t = await startRunner({ app, dataDir: join(dir, 'data'), stack: 'IotTelemetryExample' });
    cert = issue(t.dataDir, thing);
  });

  afterAll(async () => {
    await t?.runner.stop();
    cleanup(dir);
  });

  test('GIVEN the issued certificate files WHEN mosquitto_pub publishes THEN the message lands parsed', async () => {
    await run('mosquitto_pub', [
      '-h', '127.0.0.1', '-p', String(t.runner.port), '--cafile', cert.caPath, '--cert', cert.certPath, '--key', cert.keyPath,
      '-i', thing, '-q', '1', '-t', 'iot-test-topic/mosquitto', '-m', JSON.stringify({ via: 'mosquitto_pub', n: 1 }),
    ], { timeout: 20000 });
    await t.runner.flush();
    const stream = [...t.runner.model.streams.values()][0];
    const parsed = readJsonLines(join(t.dataDir, 's3', stream.destination.bucket.folder), 'parsed/').filter((r) => r.via === 'mosquitto_pub');
    expect(parsed).toEqual([{ topic: 'iot-test-topic/mosquitto', via: 'mosquitto_pub', n: 1, device: 'mosquitto', arrival_timestamp: expect.any(Number) }]);
  });

  test('GIVEN a client certificate from another CA WHEN mosquitto_pub connects THEN it fails and the TLS failure is logged', async () => {
    const other = tempDir('other-ca');
    try {
      const foreign = issue(join(other, 'data'), thing);
      await expect(run('mosquitto_pub', [
        '-h', '127.0.0.1', '-p', String(t.runner.port), '--cafile', cert.caPath, '--cert', foreign.certPath, '--key', foreign.keyPath,
        '-i', thing, '-q', '1', '-t', 'iot-test-topic/foreign', '-m', '{"via":"foreign"}',
      ], { timeout: 20000 })).rejects.toMatchObject({ code: expect.any(Number) });
      await waitFor('the TLS failure to be logged', () => t.logs.some((l) => /TLS handshake from .* failed/.test(l)));
    } finally {
      cleanup(other);
    }
  });
});
