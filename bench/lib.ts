/**
 * Shared pieces of the benchmarks: the parser benchmark's events, floors and timing (parser-bench.ts and its drivers),
 * and the processes the runner benchmarks start (local-bench.ts, fleet-bench.ts): the shipped CLI, Mosquitto, free
 * ports, waiting for a child's line or port, memory of a process, and the objects a run wrote.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FirehoseTransformationEvent, FirehoseTransformationResult, FirehoseTransformationResultRecord } from '../lambda/toolkit';

/** A ~200 B telemetry message as the IoT rule emits it (topic first, "\n" separator). */
export function message(i: number): string {
  return JSON.stringify({
    topic: `iot-test-topic/device-${String(i % 250).padStart(4, '0')}`,
    ts: 1720859923841 + i * 37,
    seq: i,
    temperature: Math.round((20 + Math.sin(i) * 5) * 100) / 100,
    humidity: Math.round((45 + Math.cos(i) * 10) * 10) / 10,
    voltage: 3.3 - (i % 10) / 100,
    status: i % 97 === 0 ? 'warn' : 'ok',
    fw: '1.4.2-build.20240712',
    rssi: -67 - (i % 20),
    loc: { lat: 52.52 + (i % 7) / 1000, lon: 13.405 },
  }) + '\n';
}

/** A Firehose event whose JSON is at most `eventBytes` long. */
export function buildEvent(eventBytes: number): FirehoseTransformationEvent {
  const records = [];
  let size = 200; // envelope
  for (let i = 0; ; i++) {
    const record = {
      recordId: `4965387935219457455197774550722${String(i).padStart(10, '0')}0608511091278050492418000000`.slice(0, 62),
      approximateArrivalTimestamp: 1720859923841 + i * 11,
      data: Buffer.from(message(i), 'utf8').toString('base64'),
    };
    const recordSize = JSON.stringify(record).length + 1;
    if (size + recordSize > eventBytes) break;
    size += recordSize;
    records.push(record);
  }
  return {
    invocationId: '08ef5d48-b830-41f6-b5c6-087bec91a044',
    deliveryStreamArn: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/bench',
    region: 'eu-west-1',
    records,
  };
}

/**
 * The floor: what any JSON-to-JSON transformation must do per record — base64 decode, JSON.parse,
 * JSON.stringify, base64 encode — plus the answer object.
 */
export function floor(event: FirehoseTransformationEvent): FirehoseTransformationResult {
  const answers: FirehoseTransformationResultRecord[] = new Array(event.records.length);
  for (let i = 0; i < event.records.length; i++) {
    const record = event.records[i];
    const obj = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8'));
    const data = Buffer.from(JSON.stringify(obj) + '\n', 'utf8').toString('base64');
    answers[i] = { recordId: record.recordId, result: 'Ok', data };
  }
  return { records: answers };
}

export { median } from './report';

/** Each candidate's wall time per run and its CPU time as a ratio to the first candidate's in the same round. */
export interface CandidateTimes {
  readonly times: number[][];
  readonly cpuRatios: number[][];
}

/**
 * Runs every candidate `warmup` times, then `runs` rounds of each in turn, timing wall clock and process CPU; the CPU
 * of each round is divided by the first candidate's, so a busy machine scales both sides of the ratio alike.
 */
export async function timeCandidates(candidates: readonly (() => unknown)[], warmup: number, runs: number): Promise<CandidateTimes> {
  for (let i = 0; i < warmup; i++) for (const run of candidates) await run();
  const times: number[][] = candidates.map(() => []);
  const cpuRatios: number[][] = candidates.map(() => []);
  for (let i = 0; i < runs; i++) {
    const cpu: number[] = [];
    for (let c = 0; c < candidates.length; c++) {
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      await candidates[c]();
      times[c].push(performance.now() - start);
      const used = process.cpuUsage(cpu0);
      cpu.push(used.user + used.system);
    }
    cpu.forEach((us, c) => cpuRatios[c].push(us / cpu[0]));
  }
  return { times, cpuRatios };
}

export function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (cells: readonly string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(headers), '|' + widths.map(w => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

/** The line prefix a child process reports its result with (on stderr; stdout carries the handler's logs). */
export const RESULT_MARKER = 'BENCH-RESULT ';

const REPO = resolve(__dirname, '..');

/** The shipped CLI (`cdk-iot-pipeline`, assets/cli/index.js), or the bundle `--cli <file>` names: the runner is benchmarked as users run it. */
export function cliBundle(argv: readonly string[] = []): string {
  const i = argv.indexOf('--cli');
  if (i >= 0) {
    const other = resolve(argv[i + 1] ?? '');
    if (!existsSync(other)) throw new Error(`--cli ${argv[i + 1] ?? ''}: no such file; give the path of a CLI bundle (index.js next to its node-worker.js)`);
    return other;
  }
  const script = join(REPO, 'assets', 'cli', 'index.js');
  if (!existsSync(script)) throw new Error('assets/cli/index.js is missing: run `npx projen pre-compile` to build the CLI bundle');
  return script;
}

/** The Mosquitto broker binary, if installed. */
export function findMosquitto(): string | undefined {
  return ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto', '/opt/homebrew/sbin/mosquitto']
    .find((p) => existsSync(p)) ?? (spawnSync('mosquitto', ['-h'], { stdio: 'ignore' }).error ? undefined : 'mosquitto');
}

/** A TCP port free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => res(port));
    });
  });
}

/** The first line of the child's `stream` that matches `pattern`; rejects with what it printed if it exits or times out first. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  return new Promise((res, rej) => {
    let text = '';
    const timer = setTimeout(() => rej(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${text}`)), timeoutMs);
    child[stream]!.on('data', (d: Buffer) => {
      text += d.toString();
      const line = text.split('\n').find((l) => pattern.test(l));
      if (line) {
        clearTimeout(timer);
        res(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`exited with ${code} before printing ${pattern}:\n${text}`));
    });
  });
}

/** Resolves once 127.0.0.1:`port` accepts a connection (Mosquitto prints nothing when it listens). */
export function waitForPort(port: number, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((res, rej) => {
    const attempt = () => {
      const socket = netConnect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        res();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) rej(new Error(`mosquitto did not listen on ${port}: ${log()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Resident set (VmRSS) and its high-water mark (VmHWM) of a process, in MiB (Linux /proc). */
export function rssMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Every .gz object under `dir` (none when it does not exist yet). */
export function listGz(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.gz')) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** How the runner benchmarks start their Mosquitto reference. */
export interface MosquittoOptions {
  /** The mosquitto binary (findMosquitto()). */
  readonly bin: string;
  /** The bench's work folder, and the folder below it for mosquitto's files. */
  readonly work: string;
  readonly dir: string;
  /** The CA file that signed the devices' certificates (`cafile`). */
  readonly cafile: string;
  /** The server certificate and key, PEM. */
  readonly server: { readonly certPem: string; readonly keyPem: string };
  /** Further files or folders mosquitto must read (the CA's folder when it is not `dir`). */
  readonly readable?: readonly string[];
  /** @default mosquitto's own (no limit) */
  readonly maxConnections?: number;
  /** The started process is pushed here, so the bench stops it however it ends. */
  readonly children: ChildProcess[];
}

/**
 * Mosquitto with TLS client certificates on 127.0.0.1 and a free port, without persistence (bench/results/README.md):
 * resolves with its process and port once it accepts connections.
 */
export async function startMosquitto(o: MosquittoOptions): Promise<{ process: ChildProcess; port: number }> {
  const conf = join(o.dir, 'mosquitto.conf');
  writeFileSync(join(o.dir, 'server.pem'), o.server.certPem);
  writeFileSync(join(o.dir, 'server.key'), o.server.keyPem);
  const port = await freePort();
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    `cafile ${o.cafile}`,
    `certfile ${join(o.dir, 'server.pem')}`,
    `keyfile ${join(o.dir, 'server.key')}`,
    'require_certificate true',
    'use_identity_as_username true',
    'allow_anonymous true',
    ...(o.maxConnections === undefined ? [] : [`max_connections ${o.maxConnections}`]),
    'persistence false',
    'max_inflight_messages 0',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n'));
  // mosquitto drops root privileges to its own user: let it read the generated files
  for (const path of [o.work, o.dir, ...(o.readable ?? []), o.cafile, join(o.dir, 'server.pem'), join(o.dir, 'server.key'), conf]) {
    chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  }
  const mosquitto = spawn(o.bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  o.children.push(mosquitto);
  let log = '';
  mosquitto.stderr!.on('data', (d: Buffer) => {
    log += d.toString();
  });
  await waitForPort(port, 20000, () => log);
  return { process: mosquitto, port };
}
