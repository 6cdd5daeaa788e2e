/**
 * The reference parser's bundle (assets/reference-parser/index.js) and its budgets. The bundle is rebuilt here with
 * the build's own command (`bundle:reference-parser` in .projen/tasks.json) plus esbuild's metafile, into a temporary
 * folder, so each decoder's share of the bytes can be read. Then the bundle runs from a folder where no package can
 * be resolved: cbor-x's optional native addon (cbor-extract) and every library must be inside it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DESCRIPTOR_SET_FILE } from '../../../src/contract/payload';

const ROOT = path.join(__dirname, '..', '..', '..');
const KB = 1024;

/**
 * Budgets in bytes of minified output. Measured when set: the parser without decoders 24.4 KB (the toolkit, the
 * reference parser and the contract), cbor 19.6 KB (cbor-x's decoder 17.7 KB), protobuf 83.9 KB (@bufbuild/protobuf
 * 82.8 KB), the text decoders (delimited, csv) 2.6 KB, the whole bundle 131 KB. A budget exceeded means: look at what
 * grew (the metafile names every input) before raising it.
 */
const BUDGETS = {
  core: 28 * KB,
  cbor: 22 * KB,
  protobuf: 92 * KB,
  text: 4 * KB,
  total: 144 * KB,
};

/** Which share an input of the bundle counts towards. */
function shareOf(input: string): keyof typeof BUDGETS {
  if (/node_modules\/cbor-x\//.test(input) || input.endsWith('decoders/cbor.ts')) return 'cbor';
  if (/node_modules\/@bufbuild\/protobuf\//.test(input) || input.endsWith('decoders/protobuf.ts')) return 'protobuf';
  if (/decoders\/(csv|delimited|types)\.ts$/.test(input)) return 'text';
  if (input.includes('node_modules/')) throw new Error(`the reference parser bundles ${input}, which no budget covers: give it one`);
  return 'core';
}

let dir: string;
let shares: Record<keyof typeof BUDGETS, number>;
let bundle: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-parser-bundle-'));
  const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf8'));
  const command: string = tasks.tasks['bundle:reference-parser'].steps[0].exec;
  const out = path.join(dir, 'asset');
  bundle = path.join(out, 'index.js');
  const metafile = path.join(dir, 'meta.json');
  const args = command.split(' ').slice(1).map(a => (a.startsWith('--outfile=') ? `--outfile=${bundle}` : a));
  const esbuild = path.join(ROOT, 'node_modules', '.bin', 'esbuild');
  const r = spawnSync(esbuild, [...args, `--metafile=${metafile}`, '--log-level=error'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`esbuild failed: ${r.stderr}`);
  const meta = JSON.parse(fs.readFileSync(metafile, 'utf8')) as { outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }> };
  const output = Object.values(meta.outputs)[0];
  shares = { core: 0, cbor: 0, protobuf: 0, text: 0, total: output.bytes };
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) shares[shareOf(input)] += bytesInOutput;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('GIVEN the build\'s command WHEN the reference parser is bundled THEN the bundle and each decoder\'s share stay within budget', () => {
  for (const share of Object.keys(BUDGETS) as (keyof typeof BUDGETS)[]) {
    expect({ share, bytes: shares[share], within: shares[share] <= BUDGETS[share] }).toEqual({ share, bytes: shares[share], within: true });
  }
  // Each decoder is in the bundle (a share of 0 would mean a decoder silently missing, and a budget never checked).
  expect(shares.cbor).toBeGreaterThan(10 * KB);
  expect(shares.protobuf).toBeGreaterThan(40 * KB);
});

test('GIVEN the bundle WHEN read THEN it never names cbor-x\'s native addon', () => {
  expect(fs.readFileSync(bundle, 'utf8')).not.toContain('cbor-extract');
});

/** Runs the bundle in a separate Node process from `assetDir` (no node_modules anywhere above it) on one envelope. */
function runBundle(assetDir: string, env: Record<string, string>, payload: Buffer): { code: number | null; stdout: string; stderr: string } {
  const record = JSON.stringify({ payload: payload.toString('base64'), topic: 'factory/line-1', clientId: 'c', timestamp: 1 });
  const event = { invocationId: 'i', deliveryStreamArn: 'arn', region: 'eu-west-1', records: [{ recordId: 'r0', approximateArrivalTimestamp: 5, data: Buffer.from(record).toString('base64') }] };
  const script = `require('./index.js').handler(${JSON.stringify(event)}).then(r => process.stdout.write('RESULT ' + JSON.stringify(r.records[0])))`;
  const r = spawnSync(process.execPath, ['-e', script], {
    cwd: assetDir,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function rowOf(stdout: string): unknown {
  const line = stdout.split('\n').find(l => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result: ${stdout}`);
  const answer = JSON.parse(line.slice('RESULT '.length)) as { result: string; data: string };
  expect(answer.result).toBe('Ok');
  return JSON.parse(Buffer.from(answer.data, 'base64').toString('utf8'));
}

test('GIVEN the bundle alone in a folder WHEN it decodes CBOR and Protobuf THEN it runs without any package (cbor-extract included)', () => {
  // GIVEN the bundle and the FileDescriptorSet beside it, where the construct puts it, and nothing else
  const isolated = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-parser-alone-'));
  try {
    fs.copyFileSync(bundle, path.join(isolated, 'index.js'));
    fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'protobuf', 'telemetry.binpb'), path.join(isolated, DESCRIPTOR_SET_FILE));
    // WHEN a CBOR map {"a": 1} and a Telemetry {seq: 7} (field 4, varint 7) are parsed
    const cbor = runBundle(isolated, { PARSER_PAYLOAD: 'binary', PARSER_DECODER: '{"kind":"cbor"}' }, Buffer.from('a1616101', 'hex'));
    const proto = runBundle(isolated, { PARSER_PAYLOAD: 'binary', PARSER_DECODER: '{"kind":"protobuf","messageType":"factory.v1.Telemetry"}' }, Buffer.from('2007', 'hex'));
    // THEN
    expect(cbor.code).toBe(0);
    expect(rowOf(cbor.stdout)).toEqual({ topic: 'factory/line-1', a: 1, arrival_timestamp: 5 });
    expect(proto.code).toBe(0);
    expect(rowOf(proto.stdout)).toEqual({ topic: 'factory/line-1', seq: 7, arrival_timestamp: 5 });
  } finally {
    fs.rmSync(isolated, { recursive: true, force: true });
  }
});
