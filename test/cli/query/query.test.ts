/**
 * `cdk-iot-pipeline query` with the local engine, in process: options, output formats, errors (exit codes, one
 * line, no stack trace), and what loads when.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'fs';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { QUERY_DEFAULT_DATA_DIR } from '../../../cli/query/defaults';
import { DEFAULT_DATA_DIR } from '../../../local';
import { loadTableModels } from '../../../local/query';
import { cleanup, tempDir } from '../../local/helpers';
import { synthQueryFixture } from '../../local/query/fixture';
import { cli } from '../support';

jest.setTimeout(60000);

let dir: string;
let app: string;
let dataDir: string;

beforeAll(() => {
  dir = tempDir('cli-query');
  app = synthQueryFixture(join(dir, 'cdk.out'));
  dataDir = join(dir, 'data');
  const table = loadTableModels({ app }).get('plant.telemetry')!;
  const folder = join(dataDir, 's3', table.bucket.folder, 'parsed', 'year=2025', 'month=03', 'day=04', 'hour=05');
  mkdirSync(folder, { recursive: true });
  const rows = [{ device: 'a', temp: 1, seq: 1 }, { device: 'a', temp: 2, seq: 2 }, { device: 'b', temp: 10, seq: 1 }];
  writeFileSync(join(folder, 'QueryJson-Pipeline-1-2025-03-04-05-06-07-x.gz'), gzipSync(rows.map((r) => JSON.stringify(r)).join('\n')));
});

afterAll(() => cleanup(dir));

const SQL = 'SELECT device, count(*) AS n, avg(temp) AS t FROM plant.telemetry GROUP BY device ORDER BY device';

test('GIVEN --app and --data-dir THEN the aligned table on stdout, progress on stderr', async () => {
  // WHEN
  const { code, out, err } = await cli('query', '--app', app, '--data-dir', dataDir, SQL);
  // THEN
  expect({ code, out }).toEqual({ code: 0, out: 'device  n    t\n------  -  ---\na       2  1.5\nb       1   10\n(2 rows)\n' });
  expect(err).toContain('… plant.telemetry: 1 object(s) under');
});

test('GIVEN --json THEN one JSON array of row objects; GIVEN --csv THEN CSV', async () => {
  // WHEN
  const json = await cli('query', '--app', app, '--data-dir', dataDir, '--json', '--quiet', SQL);
  const csv = await cli('query', '--app', app, '--data-dir', dataDir, '--csv', '--quiet', SQL);
  // THEN
  expect(json.code).toBe(0);
  expect(JSON.parse(json.out)).toEqual([{ device: 'a', n: 2, t: 1.5 }, { device: 'b', n: 1, t: 10 }]);
  expect(json.err).toBe('');
  expect(csv.out).toBe('device,n,t\r\na,2,1.5\r\nb,1,10\r\n');
});

test('GIVEN --stack with --app THEN only that stack\'s tables exist', async () => {
  // WHEN
  const { code, err } = await cli('query', '--app', app, '--data-dir', dataDir, '--stack', 'QueryCustom', SQL);
  // THEN
  expect(code).toBe(1);
  expect(err).toContain('error: Catalog Error: Table with name "plant.telemetry" does not exist because schema "plant" does not exist.');
});

test.each([
  ['SELECT nope FROM plant.telemetry', 'error: Binder Error: Referenced column "nope" not found'],
  ['SELEC 1', 'error: Parser Error: syntax error at or near "SELEC"'],
])('GIVEN the bad query %j THEN exit 1 with the engine\'s message and no stack trace', async (sql, message) => {
  // WHEN
  const { code, out, err } = await cli('query', '--app', app, '--data-dir', dataDir, '--quiet', sql);
  // THEN
  expect({ code, out }).toEqual({ code: 1, out: '' });
  expect(err.startsWith(message)).toBe(true);
  expect(err).not.toMatch(/\n\s+at /);
});

test.each([
  [['SELECT 1'], 2, 'Where should the query run? Locally: --app <cdk.out> and/or --data-dir <runner data dir> (DuckDB; without options, '
    + './cdk.out and ./.iot-local when both are here); in AWS: --stack <stack> (Athena).'],
  [['--app', '/nonexistent', 'SELECT 1'], 2, '/nonexistent is not a cloud assembly (no manifest.json)'],
  [['--app', '.', '--data-dir', '/nonexistent', 'SELECT 1'], 2, ''],
  [['--data-dir', '/tmp', '--region', 'eu-west-1', 'SELECT 1'], 2, '--region, --profile, --endpoint-url and --pipeline are for Athena'],
  [['--json', '--csv', '--stack', 'S', 'SELECT 1'], 2, "option '--json' cannot be used with option '--csv'"],
  [['--app', 'APP', '--data-dir', 'DATA', '--database', 'nope', 'SELECT 1'], 2, '--database nope: the assembly\'s databases are'],
])('GIVEN %j THEN exit %i saying what to change', async (args, exitCode, message) => {
  // WHEN
  const { code, err } = await cli('query', ...args.map((a) => (a === 'APP' ? app : a === 'DATA' ? dataDir : a)));
  // THEN
  expect(code).toBe(exitCode);
  expect(err).toContain(message);
});

test('GIVEN ./cdk.out and ./.iot-local in the working directory WHEN query has no --app, --data-dir or --stack THEN it runs locally on them', async () => {
  // GIVEN a project folder with the assembly and the runner's data dir under their default names
  const project = join(dir, 'project');
  mkdirSync(project);
  symlinkSync(app, join(project, 'cdk.out'));
  symlinkSync(dataDir, join(project, '.iot-local'));
  const cwd = process.cwd();
  process.chdir(project);
  try {
    // WHEN
    const { code, out } = await cli('query', '--json', '--quiet', 'SELECT count(*) AS n FROM plant.telemetry');
    // THEN
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([{ n: 3 }]);
  } finally {
    process.chdir(cwd);
  }
});

test('GIVEN the default data dir THEN it is the runner\'s', () => {
  expect(QUERY_DEFAULT_DATA_DIR).toBe(DEFAULT_DATA_DIR);
});
