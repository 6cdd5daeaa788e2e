/**
 * The demo: the synthesized example app run locally, end to end, through the shipped CLI only
 * (`node assets/cli/index.js`, the `cdk-iot-pipeline` command users get).
 *
 *   npx projen demo        # pre-compile (builds assets/cli), compile, synth:example, then this script
 *
 *   npx ts-node --project tsconfig.dev.json examples/demo/demo.ts [--app examples/app/cdk.out] [--stack IotTelemetryExample]
 *     [--count 20 (messages per device)] [--interval 2s] [--data-dir <dir>] [--cli assets/cli/index.js]
 *
 * Steps: start `cdk-iot-pipeline local` (free port, buffer interval shortened to 2 s), read the pipeline's thing,
 * publish topic and buckets from the runner's state.json, issue a device certificate with `local certs`, publish
 * with `cdk-iot-pipeline publish` over mutual TLS as three devices (one topic level each), wait until Firehose has
 * delivered, stop the runner with SIGTERM (it delivers what is still buffered), print the raw and parsed objects and
 * a parsed sample, and end with `cdk-iot-pipeline query`: messages and average temperature per device, by SQL over
 * the pipeline's Glue table (DuckDB over the runner's folders; the same SQL runs in Athena with --stack).
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative, resolve } from 'path';
import { promisify } from 'util';
import { gunzipSync } from 'zlib';
import { parseDuration, PIPELINE_OUTPUT_IDS, TABLE_OUTPUT_IDS } from '../../src/contract';

const REPO = resolve(__dirname, '..', '..');
const execFileAsync = promisify(execFile);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

function say(line: string): void {
  process.stdout.write(`demo: ${line}\n`);
}

/** Files under a directory, sorted (writes in progress excluded). */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!name.endsWith('.tmp')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** The objects of a bucket folder whose key starts with `prefix`. */
function objectsUnder(bucketDir: string, prefix: string): string[] {
  return files(bucketDir).filter((f) => relative(bucketDir, f).startsWith(prefix));
}

/** The lines of an object (gunzipped when it ends in .gz). */
function lines(path: string): string[] {
  const data = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8').split('\n').filter((l) => l !== '');
}

/** What the runner reports in `<data-dir>/state.json` (the parts the demo reads). */
interface RunnerState {
  readonly outputs: Record<string, string>;
  readonly buckets: Record<string, string>;
}

/** The devices the demo publishes as (each a topic level after the pipeline's topic: the parser's `device` field). */
const DEVICES = ['sensor-1', 'sensor-2', 'sensor-3'];

/** The output ids of a pipeline (and of its table), by name. */
const OUTPUT_IDS = { ...PIPELINE_OUTPUT_IDS, ...TABLE_OUTPUT_IDS };

/** The pipeline's output `name` in `stack` (logical id `<path prefix><output id><hash>`), resolved by the runner. */
function output(state: RunnerState, stack: string, name: keyof typeof OUTPUT_IDS): string {
  const found = optionalOutput(state, stack, name);
  if (found === undefined) throw new Error(`stack ${stack} has no ${OUTPUT_IDS[name]} output (${Object.keys(state.outputs).join(', ')})`);
  return found;
}

/** Like `output`, undefined when the stack has no such output. */
function optionalOutput(state: RunnerState, stack: string, name: keyof typeof OUTPUT_IDS): string | undefined {
  const id = OUTPUT_IDS[name];
  const ends = (outputId: string, key: string) => new RegExp(`^${stack}\\.[A-Za-z0-9]*${outputId}[0-9A-F]{8}$`).test(key);
  // `TopicOutput` is also the end of `PublishTopicOutput`: leave out the keys of longer ids that end with this one.
  const longer = Object.values(OUTPUT_IDS).filter((other) => other !== id && other.endsWith(id));
  const matches = Object.entries(state.outputs).filter(([key]) => ends(id, key) && !longer.some((other) => ends(other, key)));
  if (matches.length > 1) {
    throw new Error(`stack ${stack} has ${matches.length} ${id} outputs (${Object.keys(state.outputs).join(', ')}); give --stack a stack with one pipeline`);
  }
  return matches[0]?.[1];
}

/** `node <cli> <args>`; rejects with its stderr when it exits non-zero. */
async function cli(script: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 120000 });
    return stdout;
  } catch (e) {
    const failed = e as { code?: number; stderr?: string };
    throw new Error(`cdk-iot-pipeline ${args.join(' ')} exited with ${failed.code}: ${failed.stderr ?? e}`);
  }
}

/** Starts `cdk-iot-pipeline local` and waits for its readiness line. */
async function startRunner(script: string, args: string[]): Promise<{ child: ChildProcess; ready: string }> {
  const child = spawn(process.execPath, [script, 'local', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise<string>((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error('the runner printed no readiness line within 60 s')), 60000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('ready '));
      if (line) {
        clearTimeout(timer);
        res(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`cdk-iot-pipeline local exited with ${code} before it was ready`));
    });
  });
  return { child, ready };
}

/** SIGTERM: the runner delivers its buffers, then exits. */
async function stopRunner(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  child.kill('SIGTERM');
  const code = await exited;
  say(`runner stopped (SIGTERM): exit code ${code}`);
  if (code !== 0) throw new Error(`cdk-iot-pipeline local exited with ${code} on SIGTERM`);
}

async function main(): Promise<void> {
  const script = resolve(arg('cli', join(REPO, 'assets', 'cli', 'index.js')));
  const app = resolve(arg('app', join(REPO, 'examples', 'app', 'cdk.out')));
  const stack = arg('stack', 'IotTelemetryExample'); // the write-up's pipeline: the example app's first stack
  const count = Number(arg('count', '20'));
  const interval = arg('interval', '2s');
  const dataDir = resolve(arg('data-dir', mkdtempSync(join(tmpdir(), 'cdk-iot-local-demo-'))));
  if (!existsSync(script)) throw new Error(`${relative(process.cwd(), script)} is missing: run \`npx projen pre-compile\` to build the CLI bundle`);
  if (!existsSync(join(app, 'manifest.json'))) throw new Error(`${app} has no manifest.json: run \`npx projen synth:example\` first`);
  say(`app ${relative(process.cwd(), app) || app}, stack ${stack}; data dir ${dataDir}`);

  const args = ['--app', app, '--stack', stack, '--data-dir', dataDir, '--port', '0', '--buffer-interval', interval];
  say(`cdk-iot-pipeline local ${args.map((a) => (a === dataDir ? '<data-dir>' : a)).join(' ')}`);
  const { child, ready } = await startRunner(script, args);
  say(ready);
  const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as RunnerState;
  const thing = output(state, stack, 'thingName');
  const publishTopic = output(state, stack, 'publishTopic');
  const rawDir = state.buckets[output(state, stack, 'rawBucket')];
  const parsedDir = state.buckets[output(state, stack, 'parsedBucket')];
  const port = Number(/:(\d+) /.exec(ready)![1]);
  try {
    const certDir = join(dataDir, 'device');
    await cli(script, ['local', 'certs', '--data-dir', dataDir, '--thing', thing, '--out', certDir]);
    const cert = { ca: join(certDir, 'ca.pem'), cert: join(certDir, `${thing}.cert.pem`), key: join(certDir, `${thing}.key.pem`) };
    say(`cdk-iot-pipeline local certs: ${relative(dataDir, cert.cert)} and ${relative(dataDir, cert.key)} for thing ${thing} (CA ${relative(dataDir, cert.ca)})`);

    for (const device of DEVICES) {
      const publish = ['publish', '--endpoint', `127.0.0.1:${port}`, '--cert', cert.cert, '--key', cert.key, '--ca', cert.ca,
        '--client-id', thing, '--topic', `${publishTopic}/${device}`, '--count', String(count), '--rate', '100', '--quiet'];
      say(`cdk-iot-pipeline ${publish.map((a) => (a.startsWith(dataDir) ? join('<data-dir>', relative(dataDir, a)) : a)).join(' ')}`);
      process.stdout.write((await cli(script, publish)).split('\n').map((l) => (l ? `  ${l}` : l)).join('\n'));
    }
    const total = count * DEVICES.length;

    say(`waiting for Firehose to deliver (buffer interval ${interval})…`);
    const deadline = Date.now() + parseDuration(interval) * 3 + 30000;
    const recordsIn = (dir: string, prefix: string) => objectsUnder(dir, prefix).reduce((n, f) => n + lines(f).length, 0);
    while (Date.now() < deadline && (recordsIn(rawDir, 'raw/') < total || recordsIn(parsedDir, 'parsed/') < total)) {
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await stopRunner(child);
  }

  let parsedSample: string | undefined;
  const sections: Array<[string, string, string]> = [
    ['raw objects (source records, GZIP)', rawDir, 'raw/'],
    ['parsed objects (parser output, GZIP)', parsedDir, 'parsed/'],
    ['processing failures', parsedDir, 'errors/'],
    ['rule errors', rawDir, 'iot-rule-errors/'],
  ];
  for (const [title, dir, prefix] of sections) {
    const objects = objectsUnder(dir, prefix);
    if (objects.length === 0 && (prefix === 'errors/' || prefix === 'iot-rule-errors/')) continue;
    process.stdout.write(`\n${title}:\n`);
    for (const f of objects) process.stdout.write(`  ${relative(join(dataDir, 's3'), f)}   ${lines(f).length} records\n`);
    if (prefix === 'parsed/' && objects.length > 0) parsedSample = lines(objects[0])[0];
  }
  if (!parsedSample) throw new Error('no parsed object was delivered');
  process.stdout.write(`\nparsed sample:\n  ${JSON.stringify(JSON.parse(parsedSample), null, 2).split('\n').join('\n  ')}\n`);

  // The answer, by SQL over the pipeline's table (its Glue table in the template; DuckDB over the runner's folders).
  const database = optionalOutput(state, stack, 'databaseName');
  const table = optionalOutput(state, stack, 'tableName');
  if (database === undefined || table === undefined) {
    throw new Error(`stack ${stack} has no table outputs (${TABLE_OUTPUT_IDS.databaseName}, ${TABLE_OUTPUT_IDS.tableName}): give its pipeline a \`table\` to end the demo with a query`);
  }
  const sql = `SELECT device, count(*) AS messages, round(avg(temp), 3) AS avg_temp FROM ${database}.${table} GROUP BY device ORDER BY device`;
  const query = ['query', '--app', app, '--stack', stack, '--data-dir', dataDir, '--quiet', sql];
  say(`cdk-iot-pipeline ${query.map((a) => (a === dataDir ? '<data-dir>' : a === app ? relative(process.cwd(), app) || app : a === sql ? JSON.stringify(a) : a)).join(' ')}`);
  process.stdout.write(`\nmessages and average temperature per device (query over ${database}.${table}):\n`);
  process.stdout.write((await cli(script, query)).split('\n').map((l) => (l ? `  ${l}` : l)).join('\n'));
}

main().catch((e) => {
  process.stderr.write(`demo failed: ${(e as Error).message}\n`);
  process.exit(1);
});
