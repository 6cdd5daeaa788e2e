/**
 * Interop (optional suite, `npx projen test:interop`): Mosquitto's own client, `mosquitto_pub` from Debian's
 * mosquitto-clients, publishes to the local runner with the files `local certs` issues — the runner speaks plain
 * MQTT over mutual TLS that any client accepts. The main suite's third-party client is the AWS IoT Device SDK
 * (device-sdk.e2e.test.ts); this one needs `apt install mosquitto-clients`, which only CI does.
 */
import { execFile } from 'child_process';
import { join } from 'path';
import { promisify } from 'util';
import { cleanup, issue, readJsonLines, tempDir, useExampleRunner, waitFor } from './helpers';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(120_000);

const run = promisify(execFile);

describe('mosquitto_pub against the local runner', () => {
  const t = useExampleRunner('mosquitto-interop');

  test('GIVEN the issued certificate files WHEN mosquitto_pub publishes THEN the message lands parsed', async () => {
    await run('mosquitto_pub', [
      '-h', '127.0.0.1', '-p', String(t.runner.port), '--cafile', t.cert.caPath, '--cert', t.cert.certPath, '--key', t.cert.keyPath,
      '-i', t.thing, '-q', '1', '-t', 'iot-test-topic/mosquitto', '-m', JSON.stringify({ via: 'mosquitto_pub', n: 1 }),
    ], { timeout: 20000 });
    await t.runner.flush();
    const stream = [...t.runner.model.streams.values()][0];
    const parsed = readJsonLines(join(t.dataDir, 's3', stream.destination.bucket.folder), 'parsed/').filter((r) => r.via === 'mosquitto_pub');
    expect(parsed).toEqual([{ topic: 'iot-test-topic/mosquitto', via: 'mosquitto_pub', n: 1, device: 'mosquitto', arrival_timestamp: expect.any(Number) }]);
  });

  test('GIVEN a client certificate from another CA WHEN mosquitto_pub connects THEN it fails and the TLS failure is logged', async () => {
    const other = tempDir('other-ca');
    try {
      const foreign = issue(join(other, 'data'), t.thing);
      await expect(run('mosquitto_pub', [
        '-h', '127.0.0.1', '-p', String(t.runner.port), '--cafile', t.cert.caPath, '--cert', foreign.certPath, '--key', foreign.keyPath,
        '-i', t.thing, '-q', '1', '-t', 'iot-test-topic/foreign', '-m', '{"via":"foreign"}',
      ], { timeout: 20000 })).rejects.toMatchObject({ code: expect.any(Number) });
      await waitFor('the TLS failure to be logged', () => t.logs.some((l) => /TLS handshake from .* failed/.test(l)));
    } finally {
      cleanup(other);
    }
  });
});
