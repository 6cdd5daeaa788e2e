/**
 * Benchmark of `cdk-iot-pipeline query` (the local engine): N parsed rows over H hourly partitions, as JSON Lines
 * GZIP (the reference parser's output) and as Parquet (the runner's record format conversion), laid out in bucket
 * folders exactly as the runner writes them. For each format:
 *
 * - `query`: the shipped CLI end to end (`node assets/cli/index.js query --app … --data-dir … --json SQL`: process
 *   start, the bundle, reading the Glue table from the template, listing the partitions, DuckDB, JSON output);
 * - `DuckDB direct`: DuckDB reading the same files by glob with the same aggregation, as a command of its own (a
 *   fresh `node` process that loads @duckdb/node-api and runs the SQL: what a script of one's own costs, process
 *   start and loading the native library included) — the ratio query / direct compares these two commands;
 * - `DuckDB in process`: the same SQL in this process (the library loaded, a new in-memory instance per run): the
 *   floor, the engine's own work;
 * - and the bytes each format occupies.
 *
 *   npx projen bench:query [--rows 1000000] [--hours 24] [--devices 100] [--runs 5] [--json] [--keep <dir>]
 *
 * Times are medians of --runs runs after one warm-up run each (the files are in the page cache). Both answers are
 * compared: the benchmark fails if they differ. With --json the last line is one JSON object with the figures.
 */
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join, resolve } from 'path';
import { performance } from 'perf_hooks';
import { gzipSync } from 'zlib';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { fmt, median, table } from './lib';
import { loadModel } from '../local/assembly/model';
import { compileConversion } from '../local/firehose/conversion';
import { loadTableModels } from '../local/query';
import { ColumnType, IotCoreFirehosePipeline, ParsedFormat, Parser, TableFormat } from '../src';

const REPO = resolve(__dirname, '..');
const CLI = join(REPO, 'assets', 'cli', 'index.js');

interface Options {
  readonly rows: number;
  readonly hours: number;
  readonly devices: number;
  readonly runs: number;
  readonly json: boolean;
  /** Keep the app and the data in this directory (default: a temporary one, removed at the end). */
  readonly keep?: string;
}

function options(argv: string[]): Options {
  const get = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
    return v;
  };
  const keep = argv.indexOf('--keep') >= 0 ? argv[argv.indexOf('--keep') + 1] : undefined;
  return { rows: get('rows', 1_000_000), hours: get('hours', 24), devices: get('devices', 100), runs: get('runs', 5), json: argv.includes('--json'), keep };
}

const STACK = 'QueryBench';
const COLUMNS = [
  { name: 'device', type: ColumnType.STRING },
  { name: 'temp', type: ColumnType.DOUBLE },
  { name: 'seq', type: ColumnType.BIGINT },
];

/** Two pipelines with a table each: JSON Lines (GZIP) and Parquet (record format conversion). */
function synth(outdir: string): string {
  const app = new App({ outdir });
  const stack = new Stack(app, STACK, { env: { region: 'eu-west-1' } });
  const parser = Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) });
  new IotCoreFirehosePipeline(stack, 'Json', {
    topic: 'bench-json',
    buffering: { interval: Duration.seconds(900), size: Size.mebibytes(128) },
    parser,
    table: { databaseName: 'bench', tableName: 'json_lines', columns: COLUMNS },
  });
  new IotCoreFirehosePipeline(stack, 'Parquet', {
    topic: 'bench-parquet',
    buffering: { interval: Duration.seconds(900), size: Size.mebibytes(128) },
    parser,
    table: { databaseName: 'bench', tableName: 'parquet', columns: COLUMNS, format: TableFormat.parquet() },
  });
  return app.synth().directory;
}

/** A deterministic temperature (no Math.random: both runs of a comparison read the same data anyway). */
function temp(i: number): number {
  return Math.round((20 + 10 * Math.sin(i / 7) + ((i * 7919) % 1000) / 1000) * 1000) / 1000;
}

function write(path: string, body: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
}

function bytesUnder(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) {walk(p);} else {
        files++;
        bytes += s.size;
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return { files, bytes };
}

/** Writes the rows: one object per hour and format, as the runner names and places them. */
function generate(app: string, dataDir: string, o: Options): Record<'json' | 'parquet', { dir: string; files: number; bytes: number }> {
  const tables = loadTableModels({ app });
  const json = tables.get('bench.json_lines')!;
  const parquet = tables.get('bench.parquet')!;
  const model = loadModel({ app });
  const conversion = [...model.streams.values()].find((s) => s.conversion)!.conversion!;
  const converter = compileConversion(conversion);
  const start = Date.UTC(2025, 5, 1, 0, 0, 0);
  const perHour = Math.ceil(o.rows / o.hours);
  let seq = 0;
  for (let h = 0; h < o.hours && seq < o.rows; h++) {
    const at = start + h * 3_600_000;
    const d = new Date(at);
    const folder = `parsed/year=${d.getUTCFullYear()}/month=${String(d.getUTCMonth() + 1).padStart(2, '0')}/day=${String(d.getUTCDate()).padStart(2, '0')}/hour=${String(d.getUTCHours()).padStart(2, '0')}/`;
    const lines: string[] = [];
    for (let k = 0; k < perHour && seq < o.rows; k++, seq++) {
      const device = `device-${String(seq % o.devices).padStart(3, '0')}`;
      // What the reference parser writes: the message, the topic, the device level, the arrival time.
      lines.push(JSON.stringify({ seq, ts: at + k, temp: temp(seq), topic: `bench/${device}`, device, arrival_timestamp: at + k }));
    }
    const text = `${lines.join('\n')}\n`;
    const stamp = `${d.toISOString().slice(0, 19).replace(/[-T:]/g, '-')}`;
    write(join(dataDir, 's3', json.bucket.folder, folder, `Json-1-${stamp}-00000000-0000-0000-0000-${String(h).padStart(12, '0')}.json.gz`), gzipSync(text));
    write(join(dataDir, 's3', parquet.bucket.folder, folder, `Parquet-1-${stamp}-00000000-0000-0000-0000-${String(h).padStart(12, '0')}.parquet`),
      converter.write(converter.rows(Buffer.from(text))));
  }
  const jsonDir = join(dataDir, 's3', json.bucket.folder, 'parsed');
  const parquetDir = join(dataDir, 's3', parquet.bucket.folder, 'parsed');
  return { json: { dir: jsonDir, ...bytesUnder(jsonDir) }, parquet: { dir: parquetDir, ...bytesUnder(parquetDir) } };
}

const AGGREGATE = 'SELECT device, count(*) AS n, avg(temp) AS t FROM %s GROUP BY device ORDER BY device';

/** `query` end to end: the shipped CLI in its own process. Returns ms and the rows. */
function viaCli(app: string, dataDir: string, tableName: string): { ms: number; rows: unknown[] } {
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [CLI, 'query', '--app', app, '--data-dir', dataDir, '--json', '--quiet', AGGREGATE.replace('%s', tableName)],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  return { ms, rows: JSON.parse(out) as unknown[] };
}

interface Answer {
  readonly device: string;
  readonly n: number;
  readonly t: number;
}

/** The same devices and counts, and averages equal up to float summation order (DuckDB sums in parallel). */
function sameAnswer(a: readonly Answer[], b: readonly Answer[]): boolean {
  return a.length === b.length && a.every((r, i) => r.device === b[i].device && r.n === b[i].n && Math.abs(r.t - b[i].t) <= 1e-9 * Math.abs(b[i].t));
}

/** The direct read of the same files (a glob of the partition folders), in SQL. */
function directSql(format: 'json' | 'parquet', dir: string): string {
  const glob = `${dir}/*/*/*/*/*`;
  const from = format === 'json'
    ? `read_json('${glob}', format = 'newline_delimited', columns = {'device': 'VARCHAR', 'temp': 'DOUBLE', 'seq': 'BIGINT'})`
    : `read_parquet('${glob}')`;
  return AGGREGATE.replace('%s', from);
}

/** DuckDB directly in this process (a new in-memory instance each run). */
async function directInProcess(sql: string): Promise<{ ms: number; rows: unknown[] }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const duckdb = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const t0 = performance.now();
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(sql);
  const rows = reader.getRowObjectsJson().map((r) => ({ device: r.device, n: Number(r.n), t: r.t }));
  connection.closeSync();
  instance.closeSync();
  return { ms: performance.now() - t0, rows };
}

/** DuckDB directly in a fresh node process (process start and loading DuckDB included). */
function directProcess(sql: string): number {
  const script = 'const d=require(\'@duckdb/node-api\');(async()=>{const i=await d.DuckDBInstance.create(\':memory:\');const c=await i.connect();'
    + `const r=await c.runAndReadAll(${JSON.stringify(sql)});process.stdout.write(String(r.getRowsJson().length));})()`;
  const t0 = performance.now();
  const result = spawnSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (result.status !== 0) throw new Error(`direct DuckDB process failed: ${result.stderr}`);
  return ms;
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  if (!existsSync(CLI)) throw new Error('assets/cli/index.js is missing: run `npx projen pre-compile` to build the CLI bundle');
  const work = o.keep !== undefined ? resolve(o.keep) : mkdtempSync(join(tmpdir(), 'query-bench-'));
  mkdirSync(work, { recursive: true });
  try {
    const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
    say(`synthesizing ${STACK} (a JSON Lines and a Parquet pipeline, each with a table)…`);
    const app = synth(join(work, 'cdk.out'));
    const dataDir = join(work, 'data');
    say(`writing ${o.rows.toLocaleString('en-US')} rows over ${o.hours} hourly partitions, ${o.devices} devices…`);
    const t0 = performance.now();
    const data = generate(app, dataDir, o);
    say(`data written in ${fmt((performance.now() - t0) / 1000)} s`);

    const results: Record<string, unknown> = {};
    const rows: string[][] = [];
    for (const format of ['json', 'parquet'] as const) {
      const tableName = format === 'json' ? 'bench.json_lines' : 'bench.parquet';
      const sql = directSql(format, data[format].dir);
      // warm-up (page cache, DuckDB's first load)
      const reference = await directInProcess(sql);
      const answer = viaCli(app, dataDir, tableName);
      if (!sameAnswer(answer.rows as Answer[], reference.rows as Answer[])) {
        throw new Error(`${format}: query and DuckDB direct disagree:\n${JSON.stringify(answer.rows).slice(0, 400)}\n${JSON.stringify(reference.rows).slice(0, 400)}`);
      }
      const total = (answer.rows as Array<{ n: number }>).reduce((s, r) => s + r.n, 0);
      if (total !== o.rows) throw new Error(`${format}: the query counted ${total} rows, not ${o.rows}`);
      directProcess(sql);
      const cli: number[] = [];
      const direct: number[] = [];
      const fresh: number[] = [];
      for (let i = 0; i < o.runs; i++) {
        cli.push(viaCli(app, dataDir, tableName).ms);
        direct.push((await directInProcess(sql)).ms);
        fresh.push(directProcess(sql));
      }
      const f = { queryMs: median(cli), directMs: median(fresh), directInProcessMs: median(direct) };
      const figures = {
        ...f,
        ratio: f.queryMs / f.directMs,
        ratioToInProcess: f.queryMs / f.directInProcessMs,
        files: data[format].files,
        bytes: data[format].bytes,
        bytesPerRow: data[format].bytes / o.rows,
      };
      results[format] = figures;
      rows.push([format === 'json' ? 'JSON Lines GZIP' : 'Parquet (SNAPPY)', fmt(figures.queryMs, 0), fmt(figures.directMs, 0), `${fmt(figures.ratio, 2)}×`,
        fmt(figures.directInProcessMs, 0), `${fmt(figures.bytes / 1e6, 1)} MB`, fmt(figures.bytesPerRow, 1), String(figures.files)]);
    }
    process.stdout.write(`\n${o.rows.toLocaleString('en-US')} rows, ${o.hours} hourly partitions, ${o.devices} devices; median of ${o.runs} runs (ms); `
      + `SQL: ${AGGREGATE.replace('%s', '<table>')}\n\n`);
    process.stdout.write(`${table(['format', 'query (CLI, end to end)', 'DuckDB direct (own process)', 'ratio', 'DuckDB in process (floor)', 'size', 'bytes/row', 'objects'], rows)}\n`);
    process.stdout.write('\nratio = `cdk-iot-pipeline query` end to end / DuckDB reading the same files as a command of its own (goal ≤ 1.5×);\n'
      + 'the floor is the engine\'s work alone, without starting a process or loading the native library.\n');
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ rows: o.rows, hours: o.hours, devices: o.devices, runs: o.runs, ...results, node: process.version })}\n`);
    }
  } finally {
    if (o.keep === undefined) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench:query failed: ${(e as Error).message}\n`);
  process.exit(1);
});
