/**
 * `cdk-iot-pipeline simulate` against the local runner on the example app's QueryableParquetExample stack (its
 * pipeline has the `lathes` fleet template): 20 devices that onboard themselves by fleet provisioning and 20 devices
 * with certificates issued under the fleet policy each publish 5 messages; every acknowledged message is then in the
 * raw backup and in the parsed Parquet data. Assertions are on counts, never on timings.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { gunzipSync } from 'zlib';
import { exampleAssembly, issue, listFiles, readJsonLines, useRunner, waitFor } from './helpers';
import { cli, freePort } from '../cli/support';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(180_000);

type Hyparquet = typeof import('hyparquet', { with: { 'resolution-mode': 'import' } });
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an ES module, compiled for jest
const { parquetReadObjects } = require('hyparquet') as Hyparquet;

const STACK = 'QueryableParquetExample';
const DEVICES = 20;
const MESSAGES = 5;

interface Summary {
  readonly devices: number;
  readonly connected: number;
  readonly connectFailures: number;
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly errors: Array<{ device: string; phase: string; message: string }>;
}

describe('simulate: a fleet against the local runner', () => {
  const t = useRunner({ name: 'simulate', app: () => exampleAssembly(), stack: STACK, bufferIntervalMs: 1000 });
  let rawDir: string;
  let parsedDir: string;

  beforeAll(() => {
    const stream = [...t.runner.model.streams.values()][0];
    parsedDir = join(t.dataDir, 's3', stream.destination.bucket.folder);
    rawDir = join(t.dataDir, 's3', stream.backup!.bucket.folder);
  });

  async function simulate(...args: string[]): Promise<{ code: number; summary: Summary; err: string }> {
    const { code, out, err } = await cli('simulate', '--app', t.app, '--stack', STACK, '--data-dir', t.dataDir,
      '--endpoint', `127.0.0.1:${t.runner.port}`, '--devices', String(DEVICES), '--messages', String(MESSAGES), '--rate', '5', '--json', ...args);
    let summary: Summary;
    try {
      summary = JSON.parse(out) as Summary;
    } catch {
      throw new Error(`simulate printed no JSON summary (exit ${code}):\n${out}\n${err}`);
    }
    return { code, summary, err };
  }

  /** The raw backup's records of the devices whose thing names start with `prefix`, as `<thing>#<seq>`. */
  function rawMessages(prefix: string): string[] {
    return readJsonLines(rawDir, 'raw/')
      .filter((r) => String(r.topic).startsWith(`factory/telemetry/${prefix}`))
      .map((r) => `${String(r.topic).split('/').pop()}#${String(r.seq)}`);
  }

  /** The parsed rows (Parquet) of those devices, as `<device>#<seq>`. */
  async function parsedMessages(prefix: string): Promise<string[]> {
    const rows: string[] = [];
    for (const key of listFiles(parsedDir).filter((k) => k.startsWith('parsed/'))) {
      const body = readFileSync(join(parsedDir, key));
      const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
      const objects = await parquetReadObjects({ file, compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) } });
      for (const o of objects) if (String(o.device).startsWith(prefix)) rows.push(`${String(o.device)}#${String(o.seq)}`);
    }
    return rows;
  }

  /** Waits until `count` distinct messages of the prefix are in both raw and parsed, and that no more arrive. */
  async function expectDelivered(prefix: string, count: number): Promise<void> {
    await waitFor(`${count} raw records of ${prefix}*`, () => new Set(rawMessages(prefix)).size >= count, 30_000);
    let parsed: string[] = [];
    await waitFor(`${count} parsed rows of ${prefix}*`, async () => {
      parsed = await parsedMessages(prefix);
      return new Set(parsed).size >= count;
    }, 30_000);
    const raw = rawMessages(prefix);
    expect(raw).toHaveLength(count);
    expect(new Set(raw).size).toBe(count);
    expect(parsed).toHaveLength(count);
    expect(new Set(parsed)).toEqual(new Set(raw));
  }

  test('GIVEN --provision lathes WHEN 20 devices onboard by claim and send 5 messages each THEN all connect, all 100 are acknowledged, and each is in raw and parsed once', async () => {
    // The example's pre-provisioning hook accepts serial numbers LT-<6 digits> only.
    const { code, summary, err } = await simulate('--provision', 'lathes', '--serial', 'LT-{{n}}');
    expect({ code, err: summary.errors }).toEqual({ code: 0, err: [] });
    expect(err).toContain('onboard themselves with template lathes');
    expect(summary).toMatchObject({
      devices: DEVICES, connected: DEVICES, connectFailures: 0, sent: DEVICES * MESSAGES, acknowledged: DEVICES * MESSAGES, failed: 0,
    });
    // The template names the things lathe-<SerialNumber>.
    await expectDelivered('lathe-LT-', DEVICES * MESSAGES);
  });

  test('GIVEN no --provision WHEN 20 devices with certificates under the fleet policy send 5 messages each over MQTT 5 THEN all 100 are acknowledged and each is in raw and parsed once', async () => {
    const { code, summary } = await simulate('--mqtt-version', '5');
    expect({ code, errors: summary.errors }).toEqual({ code: 0, errors: [] });
    expect(summary).toMatchObject({ connected: DEVICES, connectFailures: 0, acknowledged: DEVICES * MESSAGES, failed: 0 });
    await expectDelivered('lathe-SIM-', DEVICES * MESSAGES);
  });

  test('GIVEN the example hook WHEN the serial numbers are not of its form THEN no device connects, the exit code is 1 and the error says to use --serial', async () => {
    const { code, summary } = await simulate('--provision', 'lathes', '--devices', '2');
    expect(code).toBe(1);
    expect(summary).toMatchObject({ devices: 2, connected: 0, connectFailures: 2, sent: 0 });
    expect(summary.errors[0].message).toMatch(/pre-provisioning hook refused.*--serial/);
  });

  test('GIVEN a certificates folder with a certificate under no policy WHEN it connects THEN it is refused at once (no retries): 1 connect failure, exit 1', async () => {
    issue(t.dataDir, 'not-in-the-fleet'); // <thing>.cert.pem, .key.pem and ca.pem in <dataDir>/../certs-not-in-the-fleet/
    const certs = join(t.dataDir, '..', 'certs-not-in-the-fleet');
    const { code, out } = await cli('simulate', '--app', t.app, '--stack', STACK, '--data-dir', t.dataDir, '--endpoint', `127.0.0.1:${t.runner.port}`,
      '--certs', certs, '--devices', '1', '--messages', '1', '--json');
    const summary = JSON.parse(out) as Summary & { connectRetries: number };
    expect(code).toBe(1);
    expect(summary).toMatchObject({ connected: 0, connectFailures: 1, connectRetries: 0, sent: 0 });
    expect(summary.errors[0]).toMatchObject({ device: 'not-in-the-fleet', phase: 'connect' });
  });

  test('GIVEN no runner on the port WHEN simulating THEN it exits 1 saying to start the runner', async () => {
    const port = await freePort();
    const { code, err } = await cli('simulate', '--app', t.app, '--stack', STACK, '--data-dir', t.dataDir, '--endpoint', `127.0.0.1:${port}`,
      '--devices', '1', '--messages', '1');
    expect(code).toBe(1);
    expect(err).toMatch(/is the local runner running\? Start it with `cdk-iot-pipeline local --app/);
  });

  test('GIVEN a template that is not in the stack WHEN --provision names it THEN it exits 1 naming the templates there are', async () => {
    const { code, err } = await cli('simulate', '--app', t.app, '--stack', STACK, '--data-dir', t.dataDir, '--endpoint', `127.0.0.1:${t.runner.port}`,
      '--provision', 'drills', '--devices', '1', '--messages', '1');
    expect(code).toBe(1);
    expect(err).toMatch(/no provisioning template "drills"; they have lathes/);
  });
});
