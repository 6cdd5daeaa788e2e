/**
 * The packed npm tarball, as a user installs it: what it ships, and the parser-toolkit subpath export used by
 * a custom parser written in a user's project (type-checked against the shipped declarations, then run).
 * Needs the build's outputs (lib/, assets/): `npx projen build` runs this after compile.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const SEED = path.join(ROOT, 'test', 'fixtures', 'seed-firehose-event.json');
const BIN = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);

/** "JSON in, CSV out with 3 columns": the README's custom parser (its one `tsx` block writing CSV), exactly as a user copies it. */
function readmeParser(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```tsx\n([\s\S]*?)^```$/gm)].map((m) => m[1]).filter((b) => b.includes('csvLine'));
  expect(blocks).toHaveLength(1);
  return blocks[0];
}

let work: string;
let files: string[];

beforeAll(() => {
  for (const built of ['lib/index.js', '.jsii', 'assets/parser-toolkit/index.js', 'assets/parser-toolkit/index.d.ts', 'assets/reference-parser/index.js']) {
    if (!fs.existsSync(path.join(ROOT, built))) {
      throw new Error(`${built} is missing: run \`npx projen build\` (or pre-compile + compile) before this test`);
    }
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-iot-pack-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 }));
  files = packed[0].files.map((f: { path: string }) => f.path);
  const install = path.join(work, 'node_modules', 'cdk-iot-core-firehose-pipeline');
  fs.mkdirSync(install, { recursive: true });
  execFileSync('tar', ['xzf', path.join(work, packed[0].filename), '-C', install, '--strip-components=1'], { timeout: 60_000 });
}, 180_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the npm tarball', () => {
  test('GIVEN the packed tarball WHEN listed THEN it ships the library, the handler bundles, the toolkit and the CLI, and no sources of them', () => {
    for (const expected of ['lib/index.js', 'lib/index.d.ts', '.jsii', 'README.md', 'LICENSE', 'assets/reference-parser/index.js',
      'assets/certificate-provider/index.js', 'assets/parser-toolkit/index.js', 'assets/parser-toolkit/index.d.ts', 'assets/cli/index.js',
      'assets/parser-toolkit-python/cdk_iot_parser_toolkit/__init__.py', 'assets/parser-toolkit-python/README.md']) {
      expect(files).toContain(expected);
    }
    expect(files.filter((f) => /^(lambda|test|examples|bench|src|\.ci)\//.test(f))).toEqual([]);
  });

  test('GIVEN the README\'s parser importing the parser-toolkit subpath WHEN type-checked and run on the seed event THEN it answers CSV rows', () => {
    // GIVEN a user's project with the tarball installed, and the README's parser in it
    const parser = readmeParser();
    expect(parser).toContain("from 'cdk-iot-core-firehose-pipeline/parser-toolkit'");
    expect(parser.trim().split('\n').length).toBeLessThanOrEqual(20);
    fs.writeFileSync(path.join(work, 'parser.ts'), parser);
    // WHEN it compiles against the shipped declarations (strict, Node16 resolution of the "exports" map)
    execFileSync(BIN('tsc'), [
      '--ignoreConfig', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'ES2022', '--skipLibCheck',
      '--typeRoots', path.join(ROOT, 'node_modules', '@types'), '--types', 'node', '--outDir', 'out', 'parser.ts',
    ], { cwd: work, encoding: 'utf8', timeout: 120_000 });
    // AND runs on the write-up's sample event (test/fixtures)
    const out = execFileSync(process.execPath, ['-e', `
      process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
      const { handler } = require('./out/parser.js');
      const event = JSON.parse(require('fs').readFileSync(${JSON.stringify(SEED)}, 'utf8'));
      handler(event).then((r) => process.stdout.write(JSON.stringify(r)));
    `], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    // THEN every record is Ok with a 3-column CSV line
    const response = JSON.parse(out) as { records: Array<{ recordId: string; result: string; data: string }> };
    const seed = JSON.parse(fs.readFileSync(SEED, 'utf8')) as { records: Array<{ recordId: string; approximateArrivalTimestamp: number }> };
    expect(response.records.map((r) => r.recordId)).toEqual(seed.records.map((r) => r.recordId));
    const lines = response.records.map((r) => Buffer.from(r.data, 'base64').toString('utf8'));
    expect(lines[0]).toEqual(`asdasd,"Hello, world!",${new Date(seed.records[0].approximateArrivalTimestamp).toISOString()}\n`);
    expect(response.records.every((r) => r.result === 'Ok')).toBe(true);
  });

  test('GIVEN the installed package WHEN the main entry is required THEN the construct classes load', () => {
    const out = execFileSync(process.execPath, ['-e', `
      const lib = require('cdk-iot-core-firehose-pipeline');
      process.stdout.write([typeof lib.IotCoreFirehosePipeline, typeof lib.Parser.reference].join(','));
    `], { cwd: work, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') } });
    expect(out).toEqual('function,function');
  });
});
