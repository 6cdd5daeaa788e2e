/**
 * Start-up benchmark of the shipped CLI (`assets/cli/index.js`, built by `npx projen pre-compile`). Prints figures;
 * asserts nothing.
 *
 *   npx projen bench:cli [-- --json] [--runs 21] [--ready-runs 5] [--app examples/app/cdk.out] [--compare <other/index.js>]
 *
 * 1. Start: process spawn → exit of `cdk-iot-pipeline --help` and `cdk-iot-pipeline cost …`, against `node -e 0`
 *    (the floor any Node.js program pays), median of `--runs` fresh processes, all commands interleaved.
 *    Targets: ≤ 150 ms each.
 * 2. Runner ready: spawn of `cdk-iot-pipeline local --app <example app> --port 0` → its `ready` line, with a fresh
 *    data folder (first start: the local CA and the broker's key are generated) and again with that folder (later
 *    starts), median of `--ready-runs`. Targets: ≤ 1000 ms first, ≤ 500 ms later. The example app's cloud
 *    assembly comes from `npx projen synth:example`.
 * 3. Bundle: the bytes of the program file and of each vendor file.
 *
 * `--compare <index.js>` times another build of the CLI (e.g. a copy of an earlier assets/cli/) in the same runs,
 * interleaved, so a before/after is measured under the same load. With `--json` the last line is one JSON object
 * with every figure, the ratios, the targets and the machine (CPU count, load). On a shared machine absolute
 * milliseconds move with the load: compare figures from one run.
 */
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { basename, dirname, join, resolve } from 'path';
import { performance } from 'perf_hooks';
import { fmt, table } from './lib';
import { machine, median, printJson, round, wantsJson } from './report';

const REPO = resolve(__dirname, '..');
const TARGETS = { helpMs: 150, costMs: 150, readyFirstMs: 1000, readyLaterMs: 500 } as const;
const COST_ARGS = ['cost', '--devices', '1000', '--interval', '10s', '--payload', '300B'];

interface Options {
  readonly runs: number;
  readonly readyRuns: number;
  readonly app: string;
  readonly cli: string;
  readonly compare?: string;
  readonly json: boolean;
}

function options(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const count = (name: string, fallback: number): number => {
    const v = Number(value(name) ?? fallback);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
    return v;
  };
  const cli = resolve(value('cli') ?? join(REPO, 'assets', 'cli', 'index.js'));
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npx projen pre-compile\` to build the CLI bundle`);
  const app = resolve(value('app') ?? join(REPO, 'examples', 'app', 'cdk.out'));
  if (!existsSync(join(app, 'manifest.json'))) {
    throw new Error(`${app} holds no cloud assembly: run \`npx projen synth:example\` (or pass --app <cdk.out>)`);
  }
  const compare = value('compare');
  if (compare !== undefined && !existsSync(compare)) throw new Error(`--compare ${compare}: no such file`);
  return { runs: count('runs', 21), readyRuns: count('ready-runs', 5), app, cli, compare: compare && resolve(compare), json: wantsJson(argv) };
}

/** Wall time of one process, spawn → exit. */
function timeProcess(args: string[]): number {
  const start = performance.now();
  const res = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - start;
  if (res.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${res.status}: ${res.stderr.slice(0, 500)}`);
  return ms;
}

/** Spawn → the runner's `ready` line; then SIGTERM and wait for its exit. */
function timeReady(cli: string, app: string, dataDir: string): Promise<number> {
  return new Promise((res, rej) => {
    const start = performance.now();
    const child = spawn(process.execPath, [cli, 'local', '--app', app, '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let readyMs: number | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (readyMs === undefined && /^ready /m.test(out)) {
        readyMs = performance.now() - start;
        child.kill('SIGTERM');
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (readyMs === undefined) rej(new Error(`the runner exited (${code ?? signal}) before printing ready:\n${err.slice(-1000)}`));
      else res(readyMs);
    });
  });
}

/** Sizes of the program file and the vendor files next to it. */
function bundleSizes(cli: string): { programBytes: number; vendor: Record<string, number>; totalBytes: number } {
  const programBytes = statSync(cli).size;
  const vendorDir = join(dirname(cli), 'vendor');
  const vendor: Record<string, number> = {};
  if (existsSync(vendorDir)) {
    for (const name of readdirSync(vendorDir).filter((n) => n.endsWith('.js')).sort()) vendor[name] = statSync(join(vendorDir, name)).size;
  }
  return { programBytes, vendor, totalBytes: programBytes + Object.values(vendor).reduce((a, b) => a + b, 0) };
}

const verdict = (ms: number, target: number) => (ms <= target ? 'ok' : 'MISSED');

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const host = machine();
  const builds = [{ label: 'cli', file: o.cli }, ...(o.compare ? [{ label: '--compare', file: o.compare }] : [])];
  console.log(`CLI start benchmark: node ${host.node}, ${host.cpuModel} x${host.cpus}, load average ${host.loadAverage1m}; `
    + `${o.runs} starts per command, ${o.readyRuns} runner starts per case, interleaved`);

  // --- start: --help and cost, against node -e 0 -----------------------------------------------------------------
  const cases = [
    { key: 'nodeEmpty', label: 'node -e 0', args: () => ['-e', '0'], builds: [builds[0]] },
    { key: 'help', label: 'cdk-iot-pipeline --help', args: (file: string) => [file, '--help'], builds },
    { key: 'cost', label: `cdk-iot-pipeline ${COST_ARGS.join(' ')}`, args: (file: string) => [file, ...COST_ARGS], builds },
  ];
  const runs = new Map<string, number[]>();
  const jobs = cases.flatMap((c) => c.builds.map((b) => ({ id: `${c.key}/${b.label}`, args: c.args(b.file) })));
  jobs.forEach((j) => timeProcess(j.args)); // warm the file cache
  for (let i = 0; i < o.runs; i++) {
    for (const j of jobs) {
      if (!runs.has(j.id)) runs.set(j.id, []);
      runs.get(j.id)!.push(timeProcess(j.args));
    }
  }
  const start = (key: string, build: string) => median(runs.get(`${key}/${build}`)!);
  const floor = start('nodeEmpty', 'cli');

  // --- the runner: first start (fresh data folder), then a later start ------------------------------------------
  const ready = new Map<string, { first: number[]; later: number[] }>(builds.map((b) => [b.label, { first: [], later: [] }]));
  for (let i = 0; i < o.readyRuns; i++) {
    for (const b of builds) {
      const dataDir = mkdtempSync(join(tmpdir(), 'cli-bench-'));
      try {
        ready.get(b.label)!.first.push(await timeReady(b.file, o.app, dataDir));
        ready.get(b.label)!.later.push(await timeReady(b.file, o.app, dataDir));
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  }

  // --- report ----------------------------------------------------------------------------------------------------
  const figures = builds.map((b) => {
    const r = ready.get(b.label)!;
    return {
      build: b.label,
      file: b.file,
      helpMs: start('help', b.label),
      costMs: start('cost', b.label),
      readyFirstMs: median(r.first),
      readyLaterMs: median(r.later),
      bundle: bundleSizes(b.file),
    };
  });
  console.log(`\nStart: process spawn → exit, median of ${o.runs} (node -e 0: ${fmt(floor)} ms, the floor of any Node.js program)`);
  const startRows: string[][] = [];
  for (const f of figures) {
    const tag = builds.length > 1 ? ` (${f.build})` : '';
    startRows.push([`--help${tag}`, fmt(f.helpMs), fmt(f.helpMs - floor), fmt(f.helpMs / floor, 2), `${TARGETS.helpMs} ms`, verdict(f.helpMs, TARGETS.helpMs)]);
    startRows.push([`cost …${tag}`, fmt(f.costMs), fmt(f.costMs - floor), fmt(f.costMs / floor, 2), `${TARGETS.costMs} ms`, verdict(f.costMs, TARGETS.costMs)]);
  }
  console.log(table(['command', 'ms', 'over node -e 0', 'ratio to node -e 0', 'target', ''], startRows));
  console.log(`\nRunner: spawn → \`ready\` for ${basename(dirname(o.app))}/${basename(o.app)}, median of ${o.readyRuns}`);
  const readyRows: string[][] = [];
  for (const f of figures) {
    const tag = builds.length > 1 ? ` (${f.build})` : '';
    readyRows.push([`first start (new data folder)${tag}`, fmt(f.readyFirstMs), `${TARGETS.readyFirstMs} ms`, verdict(f.readyFirstMs, TARGETS.readyFirstMs)]);
    readyRows.push([`later start (data folder exists)${tag}`, fmt(f.readyLaterMs), `${TARGETS.readyLaterMs} ms`, verdict(f.readyLaterMs, TARGETS.readyLaterMs)]);
  }
  console.log(table(['case', 'ms', 'target', ''], readyRows));
  console.log('\nBundle');
  console.log(table(['build', 'program (index.js)', 'vendor files', 'total'], figures.map((f) => [
    f.build, `${fmt(f.bundle.programBytes / 1024)} KB`,
    Object.entries(f.bundle.vendor).map(([n, b]) => `${n} ${fmt(b / 1024, 0)} KB`).join(', ') || '-',
    `${fmt(f.bundle.totalBytes / 1024)} KB`,
  ])));

  if (o.json) {
    printJson({
      bench: 'cli',
      machine: host,
      runs: { start: o.runs, ready: o.readyRuns },
      app: o.app,
      nodeEmptyMs: round(floor),
      targets: TARGETS,
      builds: figures.map((f) => ({
        build: f.build,
        file: f.file,
        helpMs: round(f.helpMs),
        costMs: round(f.costMs),
        helpRatioToNodeEmpty: round(f.helpMs / floor, 3),
        costRatioToNodeEmpty: round(f.costMs / floor, 3),
        readyFirstMs: round(f.readyFirstMs),
        readyLaterMs: round(f.readyLaterMs),
        bundle: f.bundle,
        met: {
          help: f.helpMs <= TARGETS.helpMs,
          cost: f.costMs <= TARGETS.costMs,
          readyFirst: f.readyFirstMs <= TARGETS.readyFirstMs,
          readyLater: f.readyLaterMs <= TARGETS.readyLaterMs,
        },
      })),
    });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
