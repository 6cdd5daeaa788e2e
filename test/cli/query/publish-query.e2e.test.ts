/**
 * Done when (issue 13): after publishing through the local runner, `query --json` returns the right counts and
 * averages per device. Everything runs through the shipped CLI bundle, as users run it: `local` (the JSON Lines and
 * the Parquet pipeline of the fixture app in one runner), `local certs`, `publish` per device, SIGTERM (the runner
 * delivers its buffers), then `query --json` over each table. And the bundle alone, without DuckDB next to it,
 * says how to install the engine.
 */
import { execFile } from 'child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { promisify } from 'util';
import { cleanup, killRunner, runnerScript, RunnerProcess, spawnRunner, tempDir } from '../../local/helpers';
import { QUERY_STACKS, synthQueryFixture } from '../../local/query/fixture';

jest.setTimeout(180000);
const execFileAsync = promisify(execFile);

let dir: string;
let app: string;
let dataDir: string;
let runner: RunnerProcess | undefined;

/** `node assets/cli/index.js …args`: exit code and output (never throws on a non-zero exit). */
async function cdkIotPipeline(args: string[], options: { cwd?: string; script?: string } = {}): Promise<{
  code: number; stdout: string; stderr: string;
}> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [options.script ?? runnerScript(), ...args], { cwd: options.cwd, encoding: 'utf8', timeout: 120000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Devices and the temperatures each publishes (template `{"seq": n, "temp": n}`: 1..count). */
const DEVICES = { 'dev-a': 4, 'dev-b': 2, 'dev-c': 1 };
const EXPECTED = Object.entries(DEVICES).map(([device, count]) => ({ device, n: count, t: (count + 1) / 2 }));

beforeAll(async () => {
  dir = tempDir('publish-query');
  app = synthQueryFixture(join(dir, 'cdk.out'));
  dataDir = join(dir, 'data');
  // Every stack of the app: both pipelines' rules read telemetry/+, so both tables get every message.
  runner = await spawnRunner(['--app', app, '--data-dir', dataDir, '--port', '0', '--buffer-interval', '1s']);
  const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as { outputs: Record<string, string> };
  const thing = Object.entries(state.outputs).find(([k]) => new RegExp(`^${QUERY_STACKS.json}\\.PipelineThingNameOutput`).test(k))![1];
  const device = join(dataDir, 'device');
  const certs = await cdkIotPipeline(['local', 'certs', '--data-dir', dataDir, '--thing', thing, '--out', device]);
  expect(certs.code).toBe(0);
  for (const [name, count] of Object.entries(DEVICES)) {
    const published = await cdkIotPipeline(['publish', '--endpoint', `127.0.0.1:${runner.port}`,
      '--cert', join(device, `${thing}.cert.pem`), '--key', join(device, `${thing}.key.pem`), '--ca', join(device, 'ca.pem'),
      '--client-id', thing, '--topic', `telemetry/${name}`, '--count', String(count), '--rate', '100', '--quiet',
      '--template', '{"seq": {{seq}}, "temp": {{seq}}}']);
    expect(published).toMatchObject({ code: 0 });
  }
  runner.child.kill('SIGTERM');
  expect(await runner.exited).toEqual({ code: 0, signal: null });
});

afterAll(async () => {
  await killRunner(runner);
  cleanup(dir);
});

test.each(['plant.telemetry', 'plant_parquet.telemetry'])('GIVEN messages published through the runner THEN `query --json` over %s returns the counts and averages per device', async (table) => {
  // WHEN
  const { code, stdout, stderr } = await cdkIotPipeline(['query', '--app', app, '--data-dir', dataDir, '--json',
    `SELECT device, count(*) AS n, avg(temp) AS t FROM ${table} GROUP BY device ORDER BY device`]);
  // THEN
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(stdout)).toEqual(EXPECTED);
});

test('GIVEN the Parquet pipeline THEN the runner wrote real Parquet objects (.parquet, PAR1) into its hourly partitions', async () => {
  // WHEN
  const { stdout } = await cdkIotPipeline(['query', '--app', app, '--data-dir', dataDir, '--json', '--quiet',
    'SELECT count(DISTINCT filename) AS files, bool_and(filename LIKE \'%.parquet\') AS parquet FROM read_parquet(\'' + join(dataDir, 's3') + '/ParquetPipeline*/parsed/*/*/*/*/*\', filename = true)']);
  // THEN
  expect(JSON.parse(stdout)).toEqual([{ files: expect.any(Number), parquet: true }]);
  expect(JSON.parse(stdout)[0].files).toBeGreaterThan(0);
});

test('GIVEN the CLI bundle without DuckDB next to it THEN `query --app` exits 1 saying how to install the engine', async () => {
  // GIVEN: the shipped bundle alone, outside this repository (no node_modules above it)
  const lonely = join(dir, 'lonely');
  mkdirSync(lonely, { recursive: true });
  copyFileSync(runnerScript(), join(lonely, 'index.js'));
  // WHEN
  const { code, stdout, stderr } = await cdkIotPipeline(['query', '--app', app, '--data-dir', dataDir, 'SELECT 1'], { cwd: lonely, script: join(lonely, 'index.js') });
  // THEN
  expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
  expect(stderr).toContain('error: The local query engine is DuckDB (@duckdb/node-api), a native package the construct does not install for you. '
    + 'Install it in your project: npm install --save-dev @duckdb/node-api@1.5.6-r.1  (not found)');
  expect(stderr).not.toMatch(/\n\s+at /);
});
