/**
 * Shared pieces of the local-runner tests: a CommonJS build of aedes for jest, fixture assemblies synthesized
 * with the library from ../../src, runners on free loopback ports with temp data dirs, MQTT clients over mutual
 * TLS, bounded waits, and readers for the S3 folders.
 */
import { spawnSync } from 'child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative, resolve } from 'path';
import { gunzipSync } from 'zlib';
import * as mqtt from 'mqtt';
import { issueDeviceCertificate, IssuedCertificate } from '../../local/iot/certs';
import { LocalRunner, RunnerOptions } from '../../local/runner';

export const REPO = resolve(__dirname, '..', '..');
export const EXAMPLE_APP = join(REPO, 'examples', 'app');
export const EXAMPLE_ASSEMBLY = join(EXAMPLE_APP, 'cdk.out');

/**
 * aedes (2.0.0-beta.1) is an ES module, which jest's CommonJS runtime cannot load; the CLI bundles it with esbuild, and so
 * do the tests: `jest.mock('aedes', () => require('./helpers').aedesCommonJs())`.
 */
export function aedesCommonJs(): unknown {
  const version = JSON.parse(readFileSync(join(REPO, 'node_modules', 'aedes', 'package.json'), 'utf8')).version as string;
  const out = join(tmpdir(), `cdk-iot-local-aedes-${version}-${process.getuid?.() ?? 0}.cjs`);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}.tmp`;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    esbuild.buildSync({
      entryPoints: [join(REPO, 'node_modules', 'aedes', 'aedes.js')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: tmp,
      logLevel: 'error',
    });
    renameSync(tmp, out);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(out);
}

/** A fresh temp directory (removed by `cleanup`). */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cdk-iot-local-${prefix}-`));
}

export function cleanup(...dirs: Array<string | undefined>): void {
  for (const dir of dirs) if (dir) rmSync(dir, { recursive: true, force: true });
}

let exampleCopy: string | undefined;

/**
 * The example app's cloud assembly, synthesized (`npx projen synth:example`) when it is missing, and copied once
 * per test file into a temp dir, so a re-synthesis running meanwhile cannot pull the parser asset away.
 */
export function exampleAssembly(): string {
  if (!exampleCopy) {
    if (exampleAssemblyIsStale()) {
      const result = spawnSync('npx', ['projen', 'synth:example'], { cwd: REPO, stdio: 'pipe', timeout: 300000 });
      if (result.status !== 0) throw new Error(`npx projen synth:example failed: ${result.stderr?.toString()}`);
    }
    exampleCopy = join(mkdtempSync(join(tmpdir(), 'cdk-iot-local-example-')), 'cdk.out');
    cpSync(EXAMPLE_ASSEMBLY, exampleCopy, { recursive: true });
    process.once('exit', () => rmSync(join(exampleCopy!, '..'), { recursive: true, force: true }));
  }
  return exampleCopy;
}

/**
 * The example's cloud assembly must be synthesized (again) when it is missing or older than what it is made from: the
 * built library (lib/), the app and the bundled handlers. A stale cdk.out from before a change would test old templates.
 */
function exampleAssemblyIsStale(): boolean {
  const manifest = join(EXAMPLE_ASSEMBLY, 'manifest.json');
  if (!existsSync(manifest)) return true;
  const synthesized = statSync(manifest).mtimeMs;
  const sources = [join(REPO, 'lib', 'index.js'), join(EXAMPLE_APP, 'main.ts'), join(REPO, 'assets', 'reference-parser', 'index.js')];
  return sources.some((source) => existsSync(source) && statSync(source).mtimeMs > synthesized);
}

/** The thing name of the example app (from its template). */
export function exampleThing(assembly: string): string {
  const template = JSON.parse(readFileSync(join(assembly, 'IotTelemetryExample.template.json'), 'utf8'));
  const thing = Object.values(template.Resources as Record<string, { Type: string; Properties: { ThingName: string } }>)
    .find((r) => r.Type === 'AWS::IoT::Thing');
  return thing!.Properties.ThingName;
}

/** A runner on a free loopback port with its log captured. */
export interface TestRunner {
  readonly runner: LocalRunner;
  readonly logs: string[];
  readonly dataDir: string;
}

export async function startRunner(options: Partial<RunnerOptions> & { app: string; dataDir: string }): Promise<TestRunner> {
  const logs: string[] = [];
  const runner = await LocalRunner.start({ host: '127.0.0.1', port: 0, bufferIntervalMs: 60000, log: (line) => logs.push(line), ...options });
  return { runner, logs, dataDir: options.dataDir };
}

/** What a suite's runner fixture starts. */
export interface RunnerFixtureOptions extends Partial<Omit<RunnerOptions, 'app' | 'dataDir'>> {
  /** Names the suite's temp dir. */
  readonly name: string;
  /** The cloud assembly to run, given the suite's temp dir (synthesize into it, or return `exampleAssembly()`). */
  readonly app: (dir: string) => string;
  /** The things to issue device certificates for once the runner is up (none when left out). */
  readonly things?: (app: string) => string[];
  /** Runner options read when the runner starts: values an earlier `beforeAll` makes, such as a server's endpoint. */
  readonly startOptions?: () => Partial<RunnerOptions>;
}

/**
 * One runner shared by the tests of a suite, with its temp dir, assembly and device certificates. Read it inside
 * tests and hooks (it exists from the fixture's `beforeAll` to its `afterAll`).
 */
export interface RunnerFixture extends TestRunner {
  /** The suite's temp dir; the runner's data dir is `<dir>/data`. */
  readonly dir: string;
  /** The cloud assembly the runner runs. */
  readonly app: string;
  /** The first of `things`. */
  readonly thing: string;
  /** The certificate of the first of `things`. */
  readonly cert: IssuedCertificate;
  /** The certificate issued for one of `things`. */
  certOf(thing: string): IssuedCertificate;
}

/**
 * Registers the suite's runner fixture: `beforeAll` makes a temp dir, gets the assembly, starts a runner on a free
 * loopback port with its data dir inside, and issues the things' certificates; `afterAll` stops the runner and removes
 * the temp dir. Call it in a `describe` (or at the top of a file); later `beforeAll` hooks of the suite see it started.
 */
export function useRunner(options: RunnerFixtureOptions): RunnerFixture {
  const { name, app: appOf, things: thingsOf, startOptions, ...runnerOptions } = options;
  let dir: string | undefined;
  let started: { app: string; t: TestRunner; certs: Map<string, IssuedCertificate> } | undefined;
  beforeAll(async () => {
    dir = tempDir(name);
    const app = appOf(dir);
    const t = await startRunner({ ...runnerOptions, ...startOptions?.(), app, dataDir: join(dir, 'data') });
    started = { app, t, certs: new Map() };
    for (const thing of thingsOf?.(app) ?? []) started.certs.set(thing, issue(t.dataDir, thing));
  });
  afterAll(async () => {
    await started?.t.runner.stop();
    started = undefined;
    cleanup(dir);
  });
  const get = () => {
    if (!started || !dir) throw new Error(`the runner fixture "${name}" is read outside its tests: read it in a test or a hook after useRunner()`);
    return { ...started, dir };
  };
  const certOf = (thing: string): IssuedCertificate => {
    const cert = get().certs.get(thing);
    if (!cert) throw new Error(`the runner fixture "${name}" issued no certificate for "${thing}": name it in \`things\``);
    return cert;
  };
  const firstThing = (): string => {
    const [thing] = get().certs.keys();
    if (thing === undefined) throw new Error(`the runner fixture "${name}" has no things: name them in \`things\``);
    return thing;
  };
  return {
    get dir() { return get().dir; },
    get app() { return get().app; },
    get runner() { return get().t.runner; },
    get logs() { return get().t.logs; },
    get dataDir() { return get().t.dataDir; },
    get thing() { return firstThing(); },
    get cert() { return certOf(firstThing()); },
    certOf,
  };
}

/** The runner fixture of the example app's `IotTelemetryExample` stack, with its thing's certificate. */
export function useExampleRunner(name: string): RunnerFixture {
  return useRunner({ name, app: () => exampleAssembly(), stack: 'IotTelemetryExample', things: (app) => [exampleThing(app)] });
}

/** Issues a device certificate into `<dataDir>/../certs-<thing>`. */
export function issue(dataDir: string, thing: string): IssuedCertificate {
  return issueDeviceCertificate(dataDir, thing, join(dataDir, '..', `certs-${thing}`));
}

/** An MQTT client over mutual TLS (no reconnects): MQTT 3.1.1 unless `options` say otherwise (`protocolVersion: 5`). */
export async function connect(port: number, cert: IssuedCertificate, clientId: string, options: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    clientId,
    key: readFileSync(cert.keyPath),
    cert: readFileSync(cert.certPath),
    ca: readFileSync(cert.caPath),
    rejectUnauthorized: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10000,
    clean: true,
    ...options,
  });
}

/** Waits until the predicate holds, polling; fails after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Files under a directory, as paths relative to it (sorted). */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!name.endsWith('.tmp')) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** The text of an object (gunzipped when it ends in .gz). */
export function readObject(path: string): string {
  const data = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8');
}

/** All JSON lines of all objects under a directory (optionally only keys starting with a prefix). */
export function readJsonLines(dir: string, keyPrefix = ''): Array<Record<string, unknown>> {
  return listFiles(dir)
    .filter((k) => k.startsWith(keyPrefix))
    .flatMap((k) => readObject(join(dir, k)).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>));
}

/** The shipped CLI bundle (`cdk-iot-pipeline`), built by `npx projen pre-compile` (task bundle:cli). */
export const CLI_BUNDLE = join(REPO, 'assets', 'cli', 'index.js');

/**
 * The shipped CLI, for tests that run the runner as a child process (`node assets/cli/index.js local …`: kill -9,
 * signals, exit codes) exactly as users run it. Fails with what to run when the bundle has not been built.
 */
export function runnerScript(): string {
  if (!existsSync(CLI_BUNDLE)) {
    throw new Error(`${relative(process.cwd(), CLI_BUNDLE)} is missing: run \`npx projen pre-compile\` (or \`npx projen bundle:cli\`) to build the CLI bundle the process tests run`);
  }
  return CLI_BUNDLE;
}

/** A runner child process. */
export interface RunnerProcess {
  readonly child: import('child_process').ChildProcess;
  readonly port: number;
  readonly readyLine: string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node assets/cli/index.js local ...args` and waits (bounded) for its readiness line. */
export async function spawnRunner(args: string[], timeoutMs = 60000): Promise<RunnerProcess> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require('child_process') as typeof import('child_process');
  const child = spawn(process.execPath, [runnerScript(), 'local', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  const readyLine = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`the runner printed no readiness line within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: string) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.startsWith('ready '));
      if (line) {
        clearTimeout(timer);
        res(line);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      rej(new Error(`the runner exited with ${code} before it was ready; stderr:\n${stderr}`));
    });
  });
  const port = Number(/:(\d+) /.exec(readyLine)![1]);
  return { child, port, readyLine, stderr: () => stderr, exited };
}

/** Kills a child (if still running) and waits for it, bounded. */
export async function killRunner(p: RunnerProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.exited, new Promise((r) => {
    timer = setTimeout(r, 30000);
  })]);
  clearTimeout(timer);
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}
