import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { buildSync } from 'esbuild';
import { cli } from './support';
import { COMMANDS } from '../../cli';

describe('help and usage (in-process)', () => {
  test.each([
    [[], ['publish', 'doctor', 'cost', 'local']],
    [['--help'], ['publish', 'doctor', 'cost', 'local']],
    [['publish', '--help'], ['--stack <name>', '--pipeline <id>', '--endpoint <host[:port]>', '--cert <file>', '--key <file>', '--ca <file>', '--secret-id <id>',
      '--client-id <id>', '--topic <topic>', '--count <n>', '--rate <n>', '--qos <qos>', '--mqtt-version <version>', '--template <json>', '--template-file <file>',
      '--json', '{{randomInt:min:max}}', 'Exit code: 0 when every message was acknowledged']],
    [['doctor', '--help'], ['--stack <name>', '--pipeline <id>', '--region <region>', '--endpoint-url <url>', '--since <duration>', '--json',
      'Exit code: 0 when nothing FAILs, 1 otherwise']],
    [['cost', '--help'], ['--devices <n>', '--interval <duration>', '--rate <n>', '--payload <size>', '--basic-ingest', '--no-backup', '--parser-memory <MB>',
      '--parser-ms-per-batch <ms>', '--buffer-mb <MiB>', '--buffer-seconds <s>', '--json', 'cli/cost/prices.ts']],
    [['local', '--help'], ['--app <dir>', '--stack <name>', '--data-dir <dir>', '--host <address>', '--port <n>', '--buffer-interval <duration>', '--s3-endpoint <url>',
      '--verbose', 'certs']],
    [['help', 'cost'], ['--devices <n>']],
  ])('GIVEN %j THEN help is printed with exit code 0', async (args, expected) => {
    // WHEN
    const { code, out } = await cli(...args);
    // THEN
    expect(code).toBe(0);
    for (const text of expected) expect(out).toContain(text);
  });

  test('GIVEN the commands THEN --help lists them in the order of COMMANDS, one module each', async () => {
    // WHEN
    const { out } = await cli('--help');
    // THEN
    const listed = out.slice(out.indexOf('Commands:')).split('\n').flatMap((line) => /^ {2}([a-z]+) /.exec(line)?.[1] ?? []).filter((name) => name !== 'help');
    expect(listed).toEqual(COMMANDS.map((c) => c.name));
  });

  test.each([
    [['nope'], "unknown command 'nope'"],
    [['doctor'], 'give the pipeline to check: --stack <name> for a deployed stack, or --app <cdk.out> --data-dir <dir> for the local runner'],
    [['publish', '--qos', '2'], "option '--qos <qos>' argument '2' is invalid. Allowed choices are 0, 1."],
    [['publish', '--count', '0', '--endpoint', 'h', '--client-id', 'c', '--topic', 't'], '--count must be between 1 and 10000000'],
  ])('GIVEN %j THEN exit code 2 and the error says %j', async (args, message) => {
    // WHEN
    const { code, err } = await cli(...args);
    // THEN
    expect(code).toBe(2);
    expect(err).toContain(message);
  });
});

describe('the bundled command (esbuild, as `npx projen bundle:cli` builds it)', () => {
  let dir: string;
  let bundle: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-bundle-'));
    bundle = join(dir, 'index.js');
    buildSync({
      entryPoints: [join(__dirname, '..', '..', 'cli', 'index.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      legalComments: 'none',
      banner: { js: '#!/usr/bin/env node' },
      external: ['@duckdb/node-api'], // native: `query --app` loads it from the user's project (as bundle:cli)
      outfile: bundle,
      logLevel: 'silent',
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const node = (...args: string[]) => spawnSync(process.execPath, [bundle, ...args], { encoding: 'utf8', timeout: 30_000 });

  test('GIVEN the bundle THEN it starts with a node shebang and needs no node_modules', () => {
    // THEN
    expect(readFileSync(bundle, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/require\("(mqtt|commander|@aws-sdk\/[a-z-]+)"\)/);
  });

  test.each([[['--help']], [['publish', '--help']], [['doctor', '--help']], [['cost', '--help']], [['local', '--help']], [['local', 'certs', '--help']]])('GIVEN %j THEN the bundle prints help and exits 0', (args) => {
    // WHEN
    const r = node(...args);
    // THEN
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: cdk-iot-pipeline/);
  });

  test('GIVEN the README cost example THEN the bundle prints the estimate', () => {
    // WHEN
    const r = node('cost', '--devices', '1000', '--interval', '10s', '--payload', '300B', '--json');
    // THEN
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).totalUsd).toBeCloseTo(378.93, 2);
  });

  test('GIVEN a wrong option THEN the bundle exits 2 with the message on stderr', () => {
    // WHEN
    const r = node('cost', '--devices', '10', '--payload', '1KB');
    // THEN
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('error: Give exactly one of --interval (e.g. 10s: one message per device every 10 seconds) and --rate (messages per second per device).\n');
  });

  test('GIVEN doctor without AWS credentials or Region THEN the error says what to set', () => {
    // WHEN
    const r = spawnSync(process.execPath, [bundle, 'doctor', '--stack', 'S'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH, HOME: dir, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') },
    });
    // THEN
    expect(r.status).toBe(2);
    expect(r.stderr.endsWith('error: Reading stack S: no AWS Region. Pass --region (e.g. --region eu-west-1) or set AWS_REGION.\n')).toBe(true);
  });
});
