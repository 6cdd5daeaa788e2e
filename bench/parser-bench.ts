/**
 * Reference-parser benchmark. Prints figures; asserts nothing (tests never assert wall-clock time).
 *
 *   npx ts-node --project tsconfig.dev.json bench/parser-bench.ts
 *
 * Everything runs from esbuild bundles (minified, as deployed) in child `node` processes, one parser
 * configuration per process as in Lambda, with real Powertools logging and metrics (their output discarded).
 *
 * 1. Throughput: median ms per batch after warm-up, for ~1 MB and ~6 MB Firehose events of ~200 B telemetry
 *    messages, against a floor timed in the same process, interleaved: per record base64 decode + JSON.parse +
 *    JSON.stringify + base64 encode (+ the answer object). Target: ≤ 1.25× floor (default configuration).
 * 2. Bundle size: the reference parser bundled with the flags below. Target: ≤ 50 KB.
 * 3. Cold start: a fresh `node` process that requires the bundle and answers its first ~1 MB batch, against an
 *    empty (pass-through) handler, and the floor as a handler for reference. Target: ≤ 1.5× the empty handler.
 *
 * Set BENCH_RUNS=<n> to change the number of timed runs (default 15; 9 for the 6 MB batch and cold starts).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildEvent, fmt, median, RESULT_MARKER, table } from './lib';

const ROOT = path.join(__dirname, '..');
const KB = 1024;
const TARGET_RATIO = 1.25;
const TARGET_BUNDLE_BYTES = 50 * KB;
const TARGET_COLD_RATIO = 1.5;
/** The flags the build should use for the handler bundles. */
const ESBUILD_FLAGS = ['--bundle', '--platform=node', '--target=node20', '--format=cjs', '--external:@aws-sdk/*', '--minify'];
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

const VARIANTS: { name: string; env: Record<string, string> }[] = [
  { name: 'jsonl (defaults)', env: {} },
  { name: 'jsonl + device field', env: { PARSER_OPTIONS: '{"topicSegmentFields":["device"]}' } },
  { name: 'jsonl, no added fields', env: { PARSER_OPTIONS: '{"arrivalTimestampField":""}' } },
  { name: 'csv, 6 columns', env: { PARSER_FORMAT: 'csv', PARSER_OPTIONS: '{"columns":["topic","ts","temperature","humidity","loc.lat","status"]}' } },
];
const BATCHES = [
  { name: '1 MB', eventBytes: 1_000_000, warmup: 10, runs: RUNS },
  { name: '6 MB', eventBytes: 5_990_000, warmup: 4, runs: Math.max(3, Math.round(RUNS * 0.6)) },
];

const EMPTY_HANDLER = `exports.handler = async (event) => ({
  records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })),
});
`;

/** The floor as a handler file, for reference in the cold-start table. */
const FLOOR_HANDLER = `exports.handler = async (event) => ({
  records: event.records.map((r) => ({
    recordId: r.recordId,
    result: 'Ok',
    data: Buffer.from(JSON.stringify(JSON.parse(Buffer.from(r.data, 'base64').toString('utf8'))) + '\\n', 'utf8').toString('base64'),
  })),
});
`;

const COLD_CHILD = `
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');
const [bundle, eventFile] = process.argv.slice(1);
const event = JSON.parse(fs.readFileSync(eventFile, 'utf8'));
const start = performance.now();
const { handler } = require(bundle);
Promise.resolve(handler(event, { awsRequestId: 'cold' })).then((r) => {
  const ms = performance.now() - start;
  process.stderr.write('\\n${RESULT_MARKER}' + JSON.stringify({ ms, records: r.records.length }) + '\\n');
});
`;

function esbuild(entry: string, outfile: string, flags: string[]): number {
  const bin = path.join(ROOT, 'node_modules', '.bin', 'esbuild');
  const res = spawnSync(bin, [entry, ...flags, `--outfile=${outfile}`, '--log-level=warning'], { cwd: ROOT, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`esbuild failed: ${res.stderr}`);
  return fs.statSync(outfile).size;
}

/** Runs node with `args`, returns the wall time and the JSON the child reported. */
function child<T>(args: string[], env: Record<string, string>): { wallMs: number; result: T } {
  const start = performance.now();
  const res = spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', ...env },
  });
  const wallMs = performance.now() - start;
  const line = res.stderr.split('\n').find(l => l.startsWith(RESULT_MARKER));
  if (res.status !== 0 || !line) throw new Error(`child failed (${res.status}): ${res.stderr.slice(0, 800)}`);
  return { wallMs, result: JSON.parse(line.slice(RESULT_MARKER.length)) as T };
}

interface ThroughputResult {
  readonly records: number;
  readonly floorMs: number;
  readonly parserMs: number;
  readonly ok: number;
  readonly responseBytes: number;
  readonly avgMessageBytes: number;
}

function main(): void {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'parser-bench-'));
  try {
    const driver = path.join(out, 'driver.js');
    esbuild(path.join(ROOT, 'bench', 'throughput-driver.ts'), driver, ESBUILD_FLAGS);
    console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu?'} x${os.cpus().length}`);

    const rows: string[][] = [];
    let avgMessage = 0;
    for (const batch of BATCHES) {
      for (let v = 0; v < VARIANTS.length; v++) {
        const { result: r } = child<ThroughputResult>(
          [driver, String(batch.eventBytes), String(batch.warmup), String(batch.runs)], VARIANTS[v].env);
        avgMessage = r.avgMessageBytes;
        const ratio = r.parserMs / r.floorMs;
        const target = v === 0 ? (ratio <= TARGET_RATIO ? 'ok' : 'MISSED') : '';
        rows.push([batch.name, VARIANTS[v].name, String(r.records), fmt(r.floorMs, 2), fmt(r.parserMs, 2),
          fmt(r.records / r.parserMs, 0) + 'k', fmt(ratio, 2), `${r.ok}/${r.records} Ok, ${fmt(r.responseBytes / 1e6, 2)} MB`, target]);
      }
    }
    console.log(`\nThroughput: median ms per batch (messages ~${Math.round(avgMessage)} B; ratio = parser / floor; `
      + `target ≤ ${TARGET_RATIO} for the defaults)`);
    console.log(table(['batch', 'configuration', 'records', 'floor ms', 'parser ms', 'records/s', 'ratio', 'answer', 'target'], rows));

    const entry = path.join(ROOT, 'lambda', 'reference-parser', 'index.ts');
    const parserBundle = path.join(out, 'reference-parser.js');
    const minified = esbuild(entry, parserBundle, ESBUILD_FLAGS);
    const unminified = esbuild(entry, path.join(out, 'plain.js'),
      ESBUILD_FLAGS.filter(f => f !== '--minify').concat('--legal-comments=none'));
    const toolkit = esbuild(path.join(ROOT, 'lambda', 'toolkit', 'index.ts'), path.join(out, 'toolkit.js'), ESBUILD_FLAGS);
    console.log('\nBundle size (esbuild ' + ESBUILD_FLAGS.join(' ') + ')');
    console.log(table(['bundle', 'bytes', 'KB', 'budget', 'target'], [
      ['reference-parser, minified', String(minified), fmt(minified / KB), '50 KB', minified <= TARGET_BUNDLE_BYTES ? 'ok' : 'MISSED'],
      ['reference-parser, not minified (--legal-comments=none)', String(unminified), fmt(unminified / KB), '', ''],
      ['toolkit alone, minified', String(toolkit), fmt(toolkit / KB), '', ''],
    ]));

    const emptyBundle = path.join(out, 'empty.js');
    fs.writeFileSync(emptyBundle, EMPTY_HANDLER);
    const floorBundle = path.join(out, 'floor.js');
    fs.writeFileSync(floorBundle, FLOOR_HANDLER);
    const eventFile = path.join(out, 'event-1mb.json');
    fs.writeFileSync(eventFile, JSON.stringify(buildEvent(BATCHES[0].eventBytes)));
    const bundles = [parserBundle, emptyBundle, floorBundle];
    const cold = (bundle: string) => {
      const { wallMs, result } = child<{ ms: number }>(['-e', COLD_CHILD, bundle, eventFile], {});
      return { wallMs, inProcessMs: result.ms };
    };
    bundles.forEach(cold); // warm the file cache
    const runs = bundles.map(() => [] as { wallMs: number; inProcessMs: number }[]);
    for (let i = 0; i < Math.max(3, Math.round(RUNS * 0.6)); i++) bundles.forEach((b, j) => runs[j].push(cold(b)));
    const [pw, ew, fw] = runs.map(r => median(r.map(x => x.wallMs)));
    const [pi, ei, fi] = runs.map(r => median(r.map(x => x.inProcessMs)));
    console.log(`\nCold start: fresh node process, require + first ~1 MB batch (median of ${runs[0].length}; `
      + `target ≤ ${TARGET_COLD_RATIO}× the empty handler, process spawn → exit)`);
    console.log(table(['measure', 'reference parser', 'empty handler', 'floor handler', 'ratio to empty', 'ratio to floor', 'target'], [
      ['process spawn → exit, ms', fmt(pw), fmt(ew), fmt(fw), fmt(pw / ew, 2), fmt(pw / fw, 2), pw / ew <= TARGET_COLD_RATIO ? 'ok' : 'MISSED'],
      ['in process: require + first batch, ms', fmt(pi), fmt(ei), fmt(fi), fmt(pi / ei, 2), fmt(pi / fi, 2), ''],
    ]));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

main();
