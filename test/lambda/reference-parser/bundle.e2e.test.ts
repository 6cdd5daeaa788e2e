/**
 * The reference parser's asset (assets/reference-parser/: index.js plus one file per payload decoder) and its budgets.
 * The asset is rebuilt here with the build's own commands (`bundle:reference-parser` in .projen/tasks.json) into a
 * temporary folder; then it runs from a folder where no package can be resolved: every library, and cbor-x's optional
 * native addon (cbor-extract) in particular, must be inside it or never asked for.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DESCRIPTOR_SET_FILE } from '../../../src/contract/payload';

const ROOT = path.join(__dirname, '..', '..', '..');
const KB = 1024;

/**
 * Budgets in bytes of minified output, per file of the asset. Measured when set: index.js 24.3 KB (the toolkit, the
 * reference parser, the contract; 18.3 KB before non-JSON payloads), decoders/cbor.js 19.5 KB (cbor-x's decoder
 * 17.7 KB), decoders/protobuf.js 79.1 KB (@bufbuild/protobuf 78 KB), decoders/delimited.js 1.6 KB, decoders/csv.js
 * 2.0 KB. A budget exceeded means: look at what grew (esbuild --metafile names every input) before raising it.
 */
const BUDGETS: Record<string, number> = {
  'index.js': 28 * KB,
  'decoders/cbor.js': 22 * KB,
  'decoders/protobuf.js': 88 * KB,
  'decoders/delimited.js': 3 * KB,
  'decoders/csv.js': 3 * KB,
};

let dir: string;
let asset: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-parser-bundle-'));
  asset = path.join(dir, 'assets', 'reference-parser');
  const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf8'));
  const steps: { exec: string }[] = tasks.tasks['bundle:reference-parser'].steps;
  const esbuild = path.join(ROOT, 'node_modules', '.bin', 'esbuild');
  for (const { exec } of steps) {
    const [tool, ...args] = exec.split(' ');
    if (tool !== 'esbuild') throw new Error(`unexpected step in bundle:reference-parser: ${exec}`);
    const r = spawnSync(esbuild, [...args.map(a => a.replace(/^--outfile=/, `--outfile=${dir}/`)), '--log-level=error'],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`esbuild failed: ${r.stderr}`);
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('GIVEN the build\'s commands WHEN the reference parser is bundled THEN index.js and each decoder\'s file stay within budget', () => {
  const files = fs.readdirSync(asset, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.js')).sort();
  expect(files).toEqual(Object.keys(BUDGETS).sort());
  for (const [file, budget] of Object.entries(BUDGETS)) {
    const bytes = fs.statSync(path.join(asset, file)).size;
    expect({ file, bytes, withinBudget: bytes <= budget }).toEqual({ file, bytes, withinBudget: true });
  }
});

test('GIVEN index.js WHEN read THEN it holds no decoding library: each decoder is required from its own file', () => {
  const index = fs.readFileSync(path.join(asset, 'index.js'), 'utf8');
  for (const kind of ['cbor', 'protobuf', 'delimited', 'csv']) expect(index).toContain(`require("./decoders/${kind}")`);
  expect(index).not.toMatch(/cbor-x|bufbuild|FileDescriptorSet/);
});

test('GIVEN the asset WHEN read THEN no file names cbor-x\'s native addon', () => {
  for (const file of Object.keys(BUDGETS)) expect(fs.readFileSync(path.join(asset, file), 'utf8')).not.toContain('cbor-extract');
});

/** Runs the asset's index.js in a separate Node process from `assetDir` (no node_modules above it) on one envelope per payload. */
interface BundleRun { code: number | null; answers: { result: string; data: string }[]; stdout: string }

function runBundle(assetDir: string, env: Record<string, string>, payloads: Buffer[]): BundleRun {
  const records = payloads.map((payload, i) => ({
    recordId: `r${i}`,
    approximateArrivalTimestamp: 5,
    data: Buffer.from(JSON.stringify({ payload: payload.toString('base64'), topic: 'factory/line-1', clientId: 'c', timestamp: 1 })).toString('base64'),
  }));
  const event = { invocationId: 'i', deliveryStreamArn: 'arn', region: 'eu-west-1', records };
  const script = `require('./index.js').handler(${JSON.stringify(event)}).then(r => process.stdout.write('RESULT ' + JSON.stringify(r.records) + '\\n'))`;
  const r = spawnSync(process.execPath, ['-e', script], {
    cwd: assetDir,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'WARN', ...env },
  });
  const line = r.stdout.split('\n').find(l => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result (exit ${r.status}): ${r.stdout} ${r.stderr}`);
  return { code: r.status, answers: JSON.parse(line.slice('RESULT '.length)), stdout: r.stdout };
}

const rowOf = (answer: { result: string; data: string }): unknown => JSON.parse(Buffer.from(answer.data, 'base64').toString('utf8'));

test('GIVEN the asset alone in a folder WHEN it decodes CBOR and Protobuf THEN it runs without any package (cbor-extract included)', () => {
  // GIVEN the asset and the FileDescriptorSet beside index.js, where the construct puts it, and nothing else
  const isolated = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-parser-alone-'));
  try {
    fs.cpSync(asset, isolated, { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'protobuf', 'telemetry.binpb'), path.join(isolated, DESCRIPTOR_SET_FILE));
    // WHEN CBOR {"a": 1}, a map cut short and {"b": 2}; and a Telemetry {seq: 7} (field 4, varint 7) are parsed
    const cbor = runBundle(isolated, { PARSER_PAYLOAD: 'binary', PARSER_DECODER: '{"kind":"cbor"}' },
      [Buffer.from('a1616101', 'hex'), Buffer.from('a2616101', 'hex'), Buffer.from('a1616202', 'hex')]);
    const proto = runBundle(isolated, { PARSER_PAYLOAD: 'binary', PARSER_DECODER: '{"kind":"protobuf","messageType":"factory.v1.Telemetry"}' },
      [Buffer.from('2007', 'hex')]);
    // THEN the rows, and the invalid CBOR fails alone with the decoder's reason (the decoder file throws the toolkit's ParseError)
    expect(cbor.code).toBe(0);
    expect(cbor.answers.map(a => a.result)).toEqual(['Ok', 'ProcessingFailed', 'Ok']);
    expect(rowOf(cbor.answers[0])).toEqual({ topic: 'factory/line-1', a: 1, arrival_timestamp: 5 });
    expect(rowOf(cbor.answers[2])).toEqual({ topic: 'factory/line-1', b: 2, arrival_timestamp: 5 });
    expect(cbor.stdout).toMatch(/"reason":"payload is not valid CBOR: /);
    expect(proto.code).toBe(0);
    expect(rowOf(proto.answers[0])).toEqual({ topic: 'factory/line-1', seq: 7, arrival_timestamp: 5 });
  } finally {
    fs.rmSync(isolated, { recursive: true, force: true });
  }
});
