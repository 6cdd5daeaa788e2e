/**
 * Fleet benchmark: D devices (default 5,000), each with its own certificate, connect over mutual TLS to the local
 * runner and each publishes M messages (default 20) at QoS 1; then the same devices and messages against Mosquitto
 * with TLS client certificates (`require_certificate true`), in the same run. Zero loss is checked: every PUBACKed
 * message must be in the raw backup and in the parsed data.
 *
 *   npx projen bench:fleet [-- --devices 5000] [--messages 20] [--json] [--profile] [--connect-rate 100]
 *                          [--out bench/results/fleet.json] [--no-mosquitto]
 *
 * - The app: the library's pipeline with fleet provisioning (its fleet policy, `${iot:Connection.Thing.ThingName}`),
 *   synthesized from src/. The runner is the shipped CLI bundle (`node assets/cli/index.js local`).
 * - Certificates: RSA 2048 under a CA of the bench's own, cached in `bench/.data/fleet-<D>/` (bench/fleet/certs.ts);
 *   each device is registered in the runner's data dir as a thing under the stack's fleet policy, as fleet
 *   provisioning's RegisterThing leaves it. The first run of a size issues them (minutes for 5,000; the figure is
 *   printed and recorded), later runs reuse them.
 * - Load: the shipped simulator (`cdk-iot-pipeline simulate`, bench/fleet/simulator.ts) in a process of its own:
 *   connections ramp at `--connect-rate` per second, retrying with backoff and jitter; then every device publishes
 *   its messages one in flight at a time. Connect-storm time is first attempt → last device connected; durable
 *   throughput is PUBACKed messages per second of the publish phase (the runner PUBACKs after the journal's fsync).
 * - RSS: the runner's VmRSS once ready (idle, the devices registered) and its VmHWM after the load (peak);
 *   (peak − idle) / connected devices is the memory a connection costs.
 * - `--profile` runs the runner with `--cpu-prof` and prints the top self-time functions of its busiest thread
 *   during the connect storm and during the publish phase.
 *
 * Budgets: storm ≤ 2× Mosquitto's; throughput ≥ 0.5× Mosquitto's; ≤ 64 KiB per connected device above idle. The run
 * writes its JSON object to bench/results/fleet.json (or `--out`); with `--json` it is also the last line printed.
 */
import { ChildProcess, spawn } from 'child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative, resolve } from 'path';
import { performance } from 'perf_hooks';
import { gunzipSync } from 'zlib';
import { App, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { cacheDir, ensureFleetCertificates, FleetCertificates, registerFleet } from './fleet/certs';
import { checkOpenFiles, openFilesLimit } from './fleet/limits';
import { busiestThread, WindowSummary } from './fleet/profile';
import { monotonicUs, runSimulator, SimulatorRun, SimulatorSummary } from './fleet/simulator';
import { cliBundle, findMosquitto, listGz, rssMiB, startMosquitto, waitForLine } from './lib';
import { machine, printJson, round, wantsJson } from './report';
import { ensureServerCertificate } from '../local/iot/certs';
import { IotCoreFirehosePipeline } from '../src';

/** Issue 25's budgets for the runner holding a fleet, against Mosquitto in the same run. */
const BUDGETS = { stormRatioMax: 2, throughputRatioMin: 0.5, kibPerDeviceMax: 64 } as const;

const REPO = resolve(__dirname, '..');
const TOPIC = 'fleet';
const THING_PREFIX = 'fleet-';
const TEMPLATE = 'fleet-bench';
/** The runner's own default for `--max-connections` (cli/commands/local.ts). */
const RUNNER_DEFAULT_MAX_CONNECTIONS = 10000;

interface Options {
  readonly devices: number;
  readonly messages: number;
  readonly connectRate: number;
  readonly profile: boolean;
  readonly mosquitto: boolean;
  readonly out: string;
}

function options(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const positive = (name: string, fallback: number) => {
    const text = value(name);
    const v = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer (got ${text})`);
    return v;
  };
  return {
    devices: positive('devices', 5000),
    messages: positive('messages', 20),
    connectRate: positive('connect-rate', 100),
    profile: argv.includes('--profile'),
    mosquitto: !argv.includes('--no-mosquitto'),
    out: resolve(value('out') ?? join(REPO, 'bench', 'results', 'fleet.json')),
  };
}

/** The pipeline with fleet provisioning (which brings the fleet policy), synthesized into `outdir`; returns the policy's key. */
function synthesize(outdir: string): string {
  const app = new App({ outdir });
  const stack = new Stack(app, 'FleetBench');
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
    topic: TOPIC,
    thingName: `${THING_PREFIX}primary`,
    buffering: { interval: Duration.seconds(60), size: Size.mebibytes(1) },
    monitoring: { alarms: false },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  pipeline.addFleetProvisioning('Fleet', { templateName: TEMPLATE, thingNamePrefix: THING_PREFIX });
  app.synth();
  // The runner names a policy without PolicyName by its logical id (local/assembly/model.ts).
  const template = JSON.parse(readFileSync(join(outdir, 'FleetBench.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties?: { PolicyName?: unknown } }> };
  const fleetPolicy = Object.entries(template.Resources)
    .find(([id, r]) => r.Type === 'AWS::IoT::Policy' && id.includes('FleetPolicy') && r.Properties?.PolicyName === undefined);
  if (!fleetPolicy) throw new Error('the synthesized FleetBench stack has no fleet policy (AWS::IoT::Policy …FleetPolicy…)');
  return fleetPolicy[0];
}

/** `<device>/<seq>` of every record of run `run` in the JSON Lines objects under `dir`, and the record count. */
function recordsOf(dir: string, run: string): { records: number; keys: Set<string> } {
  const keys = new Set<string>();
  let records = 0;
  for (const file of listGz(dir)) {
    for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
      if (!line) continue;
      const m = JSON.parse(line) as { run?: string; device?: string; seq?: number };
      if (m.run !== run) continue;
      records++;
      keys.add(`${m.device}/${m.seq}`);
    }
  }
  return { records, keys };
}

/** The bucket folder whose name (the bucket's logical id) starts with `prefix`. */
function bucketDir(dataDir: string, prefix: string): string {
  const s3 = join(dataDir, 's3');
  const name = readdirSync(s3).find((n) => n.startsWith(prefix));
  if (!name) throw new Error(`no bucket folder ${prefix}… in ${s3}`);
  return join(s3, name);
}

interface RunnerResult {
  readonly summary: SimulatorSummary;
  readonly idleRssMiB: number;
  readonly peakRssMiB: number;
  /** The highest RSS sampled (every 250 ms) from the first connection to the first publish. */
  readonly connectedRssMiB: number;
  readonly stopExitCode: number | null;
  readonly stopSeconds: number;
  readonly raw: { records: number; missing: number };
  readonly parsed: { records: number; missing: number };
  readonly journalFilesLeft: number;
  /** The broker's log lines, by kind (numbers and names left out), most frequent first. */
  readonly brokerEvents: Record<string, number>;
  readonly storm?: WindowSummary;
  readonly publish?: WindowSummary;
}

async function runRunner(
  work: string, o: Options, fleet: FleetCertificates, app: string, policyKey: string, children: ChildProcess[],
): Promise<RunnerResult> {
  const dataDir = join(work, 'data');
  const t0 = performance.now();
  registerFleet(fleet, dataDir, policyKey, TEMPLATE);
  process.stdout.write(`  registered ${fleet.devices.length} things under policy ${policyKey} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const profileDir = join(work, 'profile');
  const nodeArgs = o.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const maxConnections = Math.max(RUNNER_DEFAULT_MAX_CONNECTIONS, o.devices + 100);
  const runner = spawn(process.execPath, [...nodeArgs, cliBundle(), 'local', '--app', app, '--data-dir', dataDir, '--port', '0', '--max-connections', String(maxConnections)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(runner);
  let log = '';
  // what the broker logged, counted by kind: why connections were refused or dropped during the storm
  const brokerEvents = new Map<string, number>();
  let partial = '';
  runner.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    log += text;
    if (log.length > 200000) log = log.slice(-100000);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = /broker: (.*)$/.exec(line);
      if (!m) continue;
      const kind = m[1].replace(/"[^"]*"/g, '"…"').replace(/\b(from|client|of|disconnecting) [\w.:-]+/g, '$1 …').replace(/\d+/g, 'N').slice(0, 160);
      brokerEvents.set(kind, (brokerEvents.get(kind) ?? 0) + 1);
    }
  });
  const ready = await waitForLine(runner, /^ready /, 180000);
  const port = Number(/:(\d+) /.exec(ready)![1]);
  await new Promise((res) => setTimeout(res, 2000));
  const idle = rssMiB(runner.pid!).rss;
  process.stdout.write(`  runner ready on 127.0.0.1:${port}, idle RSS ${idle.toFixed(1)} MiB\n`);
  // RSS over time, on the driver's clock: what the connections alone cost (before the first publish)
  const samples: Array<[number, number]> = [];
  const sampler = setInterval(() => samples.push([monotonicUs(), rssMiB(runner.pid!).rss]), 250);
  const load = await simulate(o, work, fleet, port, 'local runner', 'runner');
  const summary = load.summary;
  clearInterval(sampler);
  const peak = rssMiB(runner.pid!).hwm;
  const beforePublishing = samples.filter(([us]) => us >= load.stormUs[0] && us <= load.publishUs[0]);
  const connectionsRss = Math.max(idle, ...beforePublishing.map(([, rss]) => rss));
  // SIGTERM: the runner delivers its buffered records, then exits; a bounded wait.
  const stopStart = performance.now();
  runner.kill('SIGTERM');
  const exitCode = await new Promise<number | null>((res) => {
    const timer = setTimeout(() => {
      runner.kill('SIGKILL');
      res(null);
    }, 180000);
    runner.once('exit', (code) => {
      clearTimeout(timer);
      res(code);
    });
  });
  const stopSeconds = (performance.now() - stopStart) / 1000;
  if (exitCode !== 0) process.stdout.write(`  runner exited with ${exitCode}; its last log lines:\n${log.split('\n').slice(-20).join('\n')}\n`);

  // zero loss: every PUBACKed message in the raw backup and in the parsed data
  const raw = recordsOf(join(bucketDir(dataDir, 'PipelineStorageRawBucket'), 'raw'), 'runner');
  const parsed = recordsOf(join(bucketDir(dataDir, 'PipelineStorageParsedBucket'), 'parsed'), 'runner');
  let rawMissing = 0;
  let parsedMissing = 0;
  for (const device of fleet.devices) {
    for (let seq = 1; seq <= o.messages; seq++) {
      const key = `${device.thing}/${seq}`;
      if (!raw.keys.has(key)) rawMissing++;
      if (!parsed.keys.has(key)) parsedMissing++;
    }
  }
  // the simulator counts what it did not get a PUBACK for (refused, lost with its connection, never sent): those may be
  // missing; any missing beyond them were acknowledged and lost
  const unacknowledged = o.devices * o.messages - summary.acknowledged;
  rawMissing = Math.max(0, rawMissing - unacknowledged);
  parsedMissing = Math.max(0, parsedMissing - unacknowledged);
  const journalDir = join(dataDir, 'journal');
  const journalFilesLeft = existsSync(journalDir) ? readdirSync(journalDir).length : 0;

  let storm: WindowSummary | undefined;
  let publish: WindowSummary | undefined;
  if (o.profile && existsSync(profileDir)) {
    storm = busiestThread(profileDir, load.stormUs[0], load.stormUs[1]);
    publish = busiestThread(profileDir, load.publishUs[0], load.publishUs[1]);
  }
  return {
    summary,
    idleRssMiB: idle,
    peakRssMiB: peak,
    connectedRssMiB: connectionsRss,
    stopExitCode: exitCode,
    stopSeconds,
    raw: { records: raw.records, missing: rawMissing },
    parsed: { records: parsed.records, missing: parsedMissing },
    journalFilesLeft,
    brokerEvents: Object.fromEntries([...brokerEvents.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)),
    storm,
    publish,
  };
}

/**
 * Mosquitto with TLS client certificates, the fleet's CA as `cafile`, on 127.0.0.1 and a free port, without
 * persistence — the same durability as bench:local's reference (bench/results/README.md).
 */
async function runMosquitto(
  bin: string, work: string, o: Options, fleet: FleetCertificates, children: ChildProcess[],
): Promise<{ summary: SimulatorSummary; peakRssMiB: number }> {
  const dir = join(work, 'mosquitto');
  mkdirSync(dir, { recursive: true });
  // its own copy of the CA: mosquitto drops root privileges to its own user, which may not reach the bench cache
  copyFileSync(fleet.caPath, join(dir, 'ca.pem'));
  const ca = { certPem: readFileSync(fleet.caPath, 'utf8'), keyPem: readFileSync(join(fleet.dir, 'ca', 'ca.key.pem'), 'utf8') };
  mkdirSync(join(dir, 'ca'), { recursive: true });
  const server = ensureServerCertificate(dir, ca, '127.0.0.1');
  const { process: mosquitto, port } = await startMosquitto({
    bin, work, dir, cafile: join(dir, 'ca.pem'), server, maxConnections: o.devices + 100, children,
  });
  const { summary } = await simulate(o, work, fleet, port, 'mosquitto', 'mosquitto');
  const peakRssMiB = rssMiB(mosquitto.pid!).hwm;
  mosquitto.kill('SIGTERM');
  return { summary, peakRssMiB };
}

/** The simulator on 127.0.0.1:`port` with the fleet's devices; its stderr lines are shown, indented. */
function simulate(o: Options, work: string, fleet: FleetCertificates, port: number, label: string, run: string): Promise<SimulatorRun> {
  return runSimulator({
    cli: cliBundle(),
    label,
    work,
    port,
    caPath: fleet.caPath,
    certsDir: fleet.devicesDir,
    devices: o.devices,
    messages: o.messages,
    connectRate: o.connectRate,
    topic: TOPIC,
    run,
    log: (line) => process.stdout.write(`  ${label}: ${line}\n`),
  });
}

const ms = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(1)} ms`);

function describeLoad(s: SimulatorSummary): string {
  return `${s.connected}/${s.devices} connected in ${(s.connectStormMs / 1000).toFixed(2)} s (${s.connectRetries} retries, ${s.connectFailures} failed); `
    + `${s.acknowledged.toLocaleString('en-US')} of ${s.sent.toLocaleString('en-US')} PUBACKed in ${(s.publishMs / 1000).toFixed(2)} s = ${Math.round(s.msgPerSec).toLocaleString('en-US')} msg/s, `
    + `publish→PUBACK p50 ${ms(s.pubackP50Ms)}, p99 ${ms(s.pubackP99Ms)}`;
}

function printProfile(title: string, w: WindowSummary | undefined): void {
  if (!w) return;
  process.stdout.write(`  profile, ${title}: ${w.file}, ${w.busyMs} ms busy of ${w.windowMs} ms\n`);
  for (const f of w.top) process.stdout.write(`    ${(f.share * 100).toFixed(1).padStart(5)} %  ${String(f.selfMs).padStart(8)} ms  ${f.function}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = options(argv);
  const json = wantsJson(argv);
  checkOpenFiles(o.devices, openFilesLimit());
  const host = machine();
  const work = mkdtempSync(join(tmpdir(), 'cdk-iot-fleet-bench-'));
  const children: ChildProcess[] = [];
  const kill = () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  process.on('exit', kill);
  try {
    process.stdout.write(`fleet benchmark: ${o.devices.toLocaleString('en-US')} devices × ${o.messages} messages (QoS 1, one in flight per device), MQTT 3.1.1 over mutual TLS, `
      + `connect ramp ${o.connectRate}/s; ${host.cpus} CPUs, load average ${host.loadAverage1m}\n`);
    const issueStart = performance.now();
    const fleet = ensureFleetCertificates(cacheDir(REPO, o.devices), o.devices, THING_PREFIX, (n, total) => process.stdout.write(`  issued ${n}/${total} certificates\n`));
    process.stdout.write(`  certificates: ${fleet.issuedNow > 0 ? `issued ${fleet.issuedNow} in ${fleet.issueSecondsNow.toFixed(1)} s` : `${fleet.devices.length} reused`} `
      + `from ${relative(REPO, fleet.dir)}: one per device, over ${fleet.keysGenerated} RSA 2048 keys (issuing all of them took ${fleet.issueSeconds.toFixed(1)} s; `
      + `${((performance.now() - issueStart) / 1000).toFixed(1)} s now)\n`);
    const app = join(work, 'cdk.out');
    const policyKey = synthesize(app);

    process.stdout.write('local runner:\n');
    const ours = await runRunner(work, o, fleet, app, policyKey, children);
    const lost = Math.max(ours.raw.missing, ours.parsed.missing);
    process.stdout.write(`  ${describeLoad(ours.summary)}\n`);
    process.stdout.write(`  RSS idle ${ours.idleRssMiB.toFixed(1)} MiB, all connected ${ours.connectedRssMiB.toFixed(1)} MiB, peak ${ours.peakRssMiB.toFixed(1)} MiB; SIGTERM → exit ${ours.stopExitCode} in ${ours.stopSeconds.toFixed(1)} s; `
      + `raw backup ${ours.raw.records.toLocaleString('en-US')} records (${ours.raw.missing} PUBACKed missing), parsed ${ours.parsed.records.toLocaleString('en-US')} (${ours.parsed.missing} missing); journal files left ${ours.journalFilesLeft}\n`);
    for (const [kind, count] of Object.entries(ours.brokerEvents)) process.stdout.write(`  runner log: ${String(count).padStart(6)} × ${kind}\n`);
    printProfile('connect storm', ours.storm);
    printProfile('publish phase', ours.publish);

    const bin = o.mosquitto ? findMosquitto() : undefined;
    if (o.mosquitto && !bin) process.stdout.write('mosquitto: not installed (e.g. apt-get install mosquitto): no reference, no ratios\n');
    const reference = bin ? await runMosquitto(bin, work, o, fleet, children) : undefined;
    if (reference) {
      process.stdout.write('mosquitto:\n');
      process.stdout.write(`  ${describeLoad(reference.summary)}; peak RSS ${reference.peakRssMiB.toFixed(1)} MiB\n`);
    }

    const connected = ours.summary.connected;
    const kibPerDevice = connected > 0 ? ((ours.peakRssMiB - ours.idleRssMiB) * 1024) / connected : NaN;
    const stormRatio = reference ? ours.summary.connectStormMs / reference.summary.connectStormMs : undefined;
    const throughputRatio = reference ? ours.summary.msgPerSec / reference.summary.msgPerSec : undefined;
    const zeroLoss = lost === 0 && ours.stopExitCode === 0;
    const everyMessage = ours.summary.failed === 0 && ours.summary.connectFailures === 0;
    const met = {
      stormRatio: stormRatio === undefined ? null : stormRatio <= BUDGETS.stormRatioMax,
      throughputRatio: throughputRatio === undefined ? null : throughputRatio >= BUDGETS.throughputRatioMin,
      kibPerDevice: kibPerDevice <= BUDGETS.kibPerDeviceMax,
      zeroLoss,
      everyDeviceConnectedAndAcknowledged: everyMessage,
    };
    const verdict = (ok: boolean | null) => (ok === null ? 'no reference' : ok ? 'met' : 'MISSED');
    process.stdout.write('\n');
    if (stormRatio !== undefined) process.stdout.write(`connect storm:  ${stormRatio.toFixed(2)} × Mosquitto's time (budget ≤ ${BUDGETS.stormRatioMax}: ${verdict(met.stormRatio)})\n`);
    if (throughputRatio !== undefined) process.stdout.write(`throughput:     ${throughputRatio.toFixed(2)} × Mosquitto's (budget ≥ ${BUDGETS.throughputRatioMin}: ${verdict(met.throughputRatio)})\n`);
    process.stdout.write(`memory:         ${kibPerDevice.toFixed(1)} KiB per connected device above idle (budget ≤ ${BUDGETS.kibPerDeviceMax}: ${verdict(met.kibPerDevice)})\n`);
    process.stdout.write(`zero loss:      ${zeroLoss ? 'yes' : `NO (${lost} PUBACKed messages missing from raw or parsed, runner exit ${ours.stopExitCode})`}; `
      + `${everyMessage ? 'every device connected and every message was acknowledged' : `${ours.summary.connectFailures} devices never connected, ${ours.summary.failed} messages not acknowledged`}\n`);
    if (!zeroLoss || !everyMessage) process.exitCode = 1;

    const figures = (s: SimulatorSummary) => ({
      devices: s.devices,
      connected: s.connected,
      connectFailures: s.connectFailures,
      connectRetries: s.connectRetries,
      connectStormSeconds: round(s.connectStormMs / 1000, 3),
      sent: s.sent,
      acknowledged: s.acknowledged,
      failed: s.failed,
      publishSeconds: round(s.publishMs / 1000, 3),
      durableMsgPerSecond: Math.round(s.msgPerSec),
      pubackP50Ms: s.pubackP50Ms === undefined ? null : round(s.pubackP50Ms),
      pubackP99Ms: s.pubackP99Ms === undefined ? null : round(s.pubackP99Ms),
      pubackMaxMs: s.pubackMaxMs === undefined ? null : round(s.pubackMaxMs),
      disconnects: s.disconnects,
      ...(s.errorCount > 0 ? { errorCount: s.errorCount, firstErrors: s.errors.slice(0, 5).map((e) => `${e.device} ${e.phase}: ${e.message}`) } : {}),
    });
    const report = {
      bench: 'fleet',
      machine: { ...host, loadAverage1mAtEnd: machine().loadAverage1m },
      options: { devices: o.devices, messages: o.messages, qos: 1, mqttVersion: '3.1.1', inFlightPerDevice: 1, connectRatePerSecond: o.connectRate, simulator: 'cdk-iot-pipeline simulate', profile: o.profile },
      certificates: {
        keyAlgorithm: 'RSA 2048',
        keysGenerated: fleet.keysGenerated,
        issuedNow: fleet.issuedNow,
        issueSecondsNow: round(fleet.issueSecondsNow, 1),
        issueSecondsTotal: round(fleet.issueSeconds, 1),
        cached: fleet.issuedNow === 0,
      },
      devices: o.devices,
      messagesAcknowledged: ours.summary.acknowledged,
      messagesLost: lost,
      runner: {
        ...figures(ours.summary),
        idleRssMiB: round(ours.idleRssMiB, 1),
        peakRssMiB: round(ours.peakRssMiB, 1),
        kibPerConnectedDevice: round(kibPerDevice, 1),
        connectedRssMiB: round(ours.connectedRssMiB, 1),
        kibPerConnectionBeforePublishing: connected > 0 ? round(((ours.connectedRssMiB - ours.idleRssMiB) * 1024) / connected, 1) : null,
        stopExitCode: ours.stopExitCode,
        stopSeconds: round(ours.stopSeconds, 1),
        rawRecords: ours.raw.records,
        rawMissing: ours.raw.missing,
        parsedRecords: ours.parsed.records,
        parsedMissing: ours.parsed.missing,
        journalFilesLeft: ours.journalFilesLeft,
        brokerLog: ours.brokerEvents,
        ...(ours.storm ? { stormProfile: ours.storm } : {}),
        ...(ours.publish ? { publishProfile: ours.publish } : {}),
      },
      mosquitto: reference ? { ...figures(reference.summary), peakRssMiB: round(reference.peakRssMiB, 1), persistence: false } : null,
      ratios: {
        connectStormToMosquitto: stormRatio === undefined ? null : round(stormRatio, 3),
        throughputToMosquitto: throughputRatio === undefined ? null : round(throughputRatio, 3),
      },
      budgets: {
        connectStormToMosquittoMax: BUDGETS.stormRatioMax,
        throughputToMosquittoMin: BUDGETS.throughputRatioMin,
        kibPerConnectedDeviceMax: BUDGETS.kibPerDeviceMax,
      },
      met,
    };
    mkdirSync(resolve(o.out, '..'), { recursive: true });
    writeFileSync(o.out, JSON.stringify(report, null, 2) + '\n');
    process.stdout.write(`recorded:       ${relative(process.cwd(), o.out)}\n`);
    if (json) printJson(report);
  } finally {
    kill();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
