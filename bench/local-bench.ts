/**
 * Benchmark of the local runner: D devices × M messages, MQTT 3.1.1 over mutual TLS, QoS 1, each publish timed
 * until its PUBACK — which the runner sends only after the message is fsynced in its journal — so the figures are
 * publish-to-durable. Then the same client load against a plain Mosquitto broker (TLS with a generated cert set,
 * no persistence) as the reference, and the ratio. Finally the runner is stopped with SIGTERM (it delivers its
 * buffers) and the raw backup objects are counted: zero loss means exactly D × M records.
 *
 *   npx projen bench:local [-- --json] [--devices 100] [--messages 1000] [--inflight 32] [--bytes 200] [--cli <bundle>]
 *
 * `--cli <bundle>` runs another build of the CLI (e.g. a copy of `assets/cli/` from before a change, with the runtime
 * files next to it) instead of `assets/cli/index.js`: alternate the two in consecutive runs to compare builds.
 *
 * The app: the library's pipeline with D devices (`addDevice`, the fleet policy with
 * ${iot:Connection.Thing.ThingName}), synthesized from src/; the runner is the shipped CLI bundle
 * (`node assets/cli/index.js local`, built by `npx projen pre-compile`) in its own process. Without Mosquitto
 * installed the reference is left out (the runner's figures and the loss check still run).
 *
 * Budgets (issue 14): peak RSS ≤ 160 MiB; ≥ 0.6× Mosquitto's rate with several messages in flight per device, ≥ 0.5×
 * with one. With `--json` the last line is one JSON object with every figure, the ratio, the budgets and the machine
 * (CPU count, load).
 */
import { ChildProcess, spawn } from 'child_process';
import { createHash } from 'crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { performance } from 'perf_hooks';
import { gunzipSync } from 'zlib';
import { App, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as mqtt from 'mqtt';
import { cliBundle, findMosquitto, listGz, rssMiB, startMosquitto, waitForLine } from './lib';
import { machine, printJson, round, wantsJson } from './report';
import { ensureCa, ensureServerCertificate, issueDeviceCertificate, IssuedCertificate } from '../local/iot/certs';
import { DeviceCertificate, IotCoreFirehosePipeline } from '../src';

/** Issue 14's budgets for the runner at the bench load. */
const BUDGETS = { peakRssMiB: 160, ratioSeveralInFlight: 0.6, ratioOneInFlight: 0.5, rate: 10000 } as const;

const REPO = resolve(__dirname, '..');

interface Options {
  devices: number;
  messages: number;
  inflight: number;
  bytes: number;
}

function options(argv: string[]): Options {
  const get = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(argv[i + 1]) : Number(process.env[`BENCH_${name.toUpperCase()}`] ?? fallback);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
    return v;
  };
  return { devices: get('devices', 100), messages: get('messages', 1000), inflight: get('inflight', 32), bytes: get('bytes', 200) };
}

function thingName(i: number): string {
  return `bench-device-${String(i).padStart(4, '0')}`;
}

/** The pipeline with D devices, synthesized into `outdir`. */
function synthesize(outdir: string, devices: number): void {
  const app = new App({ outdir });
  const stack = new Stack(app, 'LocalBench');
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
    topic: 'bench',
    thingName: 'bench-primary',
    buffering: { interval: Duration.seconds(60), size: Size.mebibytes(1) },
    monitoring: { alarms: false },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // Certificates by ARN: three resources per device (thing and two attachments), so ~150 devices fit in one stack.
  for (let i = 0; i < devices; i++) {
    const id = createHash('sha256').update(thingName(i)).digest('hex');
    pipeline.addDevice(`Device${i}`, { thingName: thingName(i), certificate: DeviceCertificate.fromCertificateArn(`arn:aws:iot:us-east-1:123456789012:cert/${id}`) });
  }
  app.synth();
}

interface LoadResult {
  readonly messages: number;
  readonly seconds: number;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Connects D clients, then each publishes M QoS 1 messages with at most `inflight` unacknowledged. */
async function load(port: number, certs: IssuedCertificate[], o: Options, label: string, run: string): Promise<LoadResult> {
  const ca = readFileSync(certs[0].caPath);
  const clients = await Promise.all(certs.map((c) => mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    clientId: c.thing,
    key: readFileSync(c.keyPath),
    cert: readFileSync(c.certPath),
    ca,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 30000,
    keepalive: 300,
  })));
  const latencies = new Float64Array(o.devices * o.messages);
  let n = 0;
  const filler = 'x'.repeat(Math.max(0, o.bytes - 90));
  const start = performance.now();
  await Promise.all(clients.map(async (client, d) => {
    let next = 0;
    const worker = async () => {
      while (next < o.messages) {
        const seq = next++;
        const payload = `{"run":"${run}","device":${d},"seq":${seq},"ts":${Date.now()},"temp":${(20 + (seq % 10) / 10).toFixed(1)},"pad":"${filler}"}`;
        const t0 = performance.now();
        await client.publishAsync(`bench/${certs[d].thing}`, payload, { qos: 1 });
        latencies[n++] = performance.now() - t0;
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.inflight, o.messages) }, worker));
  }));
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(clients.map((c) => c.endAsync()));
  const sorted = latencies.slice(0, n).sort();
  const result = {
    messages: n, seconds, rate: n / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1],
  };
  process.stdout.write(`${label.padEnd(28)} ${String(n).padStart(7)} msgs in ${seconds.toFixed(2)} s = ${Math.round(result.rate).toLocaleString('en-US').padStart(7)} msg/s`
    + `   publish→PUBACK p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, max ${result.max.toFixed(1)} ms\n`);
  return result;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = options(argv);
  const json = wantsJson(argv);
  const host = machine();
  const work = mkdtempSync(join(tmpdir(), 'cdk-iot-local-bench-'));
  const children: ChildProcess[] = [];
  const kill = () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  process.on('exit', kill);
  try {
    process.stdout.write(`local runner benchmark: ${o.devices} devices × ${o.messages} messages (QoS 1, ~${o.bytes} B, ≤ ${o.inflight} in flight per device), MQTT 3.1.1 over mutual TLS, ${host.cpus} CPUs, load average ${host.loadAverage1m}\n`);
    const app = join(work, 'cdk.out');
    synthesize(app, o.devices);
    const script = cliBundle(argv);

    // --- the local runner ---------------------------------------------------------------------------
    const dataDir = join(work, 'data');
    const certs: IssuedCertificate[] = [];
    for (let i = 0; i < o.devices; i++) certs.push(issueDeviceCertificate(dataDir, thingName(i), join(work, 'certs')));
    const nodeArgs = (process.env.BENCH_RUNNER_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''); // e.g. --cpu-prof
    const runner = spawn(process.execPath, [...nodeArgs, script, 'local', '--app', app, '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(runner);
    let runnerLog = '';
    runner.stderr!.on('data', (d: Buffer) => {
      runnerLog += d.toString();
    });
    const ready = await waitForLine(runner, /^ready /, 120000);
    const port = Number(/:(\d+) /.exec(ready)![1]);
    await load(port, certs.slice(0, Math.min(4, o.devices)), { ...o, devices: Math.min(4, o.devices), messages: Math.min(200, o.messages) }, 'warm-up (runner)', 'warmup');
    const ours = await load(port, certs, o, 'local runner (durable)', 'main');
    const rss = rssMiB(runner.pid!).hwm;
    const stopStart = performance.now();
    runner.kill('SIGTERM');
    const exitCode = await new Promise<number | null>((res) => runner.once('exit', (code) => res(code)));
    const stopSeconds = (performance.now() - stopStart) / 1000;
    const s3 = join(dataDir, 's3');
    const rawBucket = readdirSync(s3).find((n) => n.startsWith('PipelineStorageRawBucket'))!;
    let records = 0;
    const seen = new Set<string>();
    for (const file of listGz(join(s3, rawBucket))) {
      for (const line of gunzipSync(readFileSync(file)).toString().split('\n')) {
        if (!line) continue;
        const m = JSON.parse(line) as { run: string; device: number; seq: number };
        records++;
        seen.add(`${m.run}/${m.device}/${m.seq}`);
      }
    }
    const warmup = Math.min(4, o.devices) * Math.min(200, o.messages);
    const expected = o.devices * o.messages + warmup;
    const lost = expected - seen.size;
    const journalLeft = readdirSync(join(dataDir, 'journal')).length;
    process.stdout.write(`  runner: peak RSS ${rss.toFixed(0)} MiB; SIGTERM → exit ${exitCode} in ${stopSeconds.toFixed(2)} s; raw backup holds ${records} records `
      + `(${seen.size} distinct of ${expected} acknowledged, lost ${lost}); journal files left ${journalLeft}\n`);
    if (exitCode !== 0) process.stdout.write(runnerLog.split('\n').slice(-20).join('\n') + '\n');

    // --- Mosquitto, same client load ----------------------------------------------------------------
    const mosquittoBin = findMosquitto();
    const reference = mosquittoBin ? await mosquittoReference(mosquittoBin, work, o, children) : undefined;

    process.stdout.write('\n');
    const ratioTarget = o.inflight === 1 ? BUDGETS.ratioOneInFlight : BUDGETS.ratioSeveralInFlight;
    const ratio = reference ? ours.rate / reference.rate : undefined;
    process.stdout.write(`local runner:  ${Math.round(ours.rate).toLocaleString('en-US')} msg/s, p50 ${ours.p50.toFixed(2)} ms, p99 ${ours.p99.toFixed(2)} ms, peak RSS ${rss.toFixed(0)} MiB`
      + ` (budget ≤ ${BUDGETS.peakRssMiB} MiB: ${rss <= BUDGETS.peakRssMiB ? 'met' : 'missed'})\n`);
    if (reference) {
      process.stdout.write(`mosquitto:     ${Math.round(reference.rate).toLocaleString('en-US')} msg/s, p50 ${reference.p50.toFixed(2)} ms, p99 ${reference.p99.toFixed(2)} ms, peak RSS ${reference.rss.toFixed(0)} MiB\n`);
      process.stdout.write(`ratio:         ${ratio!.toFixed(2)} × Mosquitto's rate (budget ≥ ${ratioTarget} with ${o.inflight} in flight: ${ratio! >= ratioTarget ? 'met' : 'missed'}); `
        + `target ≥ 10,000 msg/s: ${ours.rate >= BUDGETS.rate ? 'met' : 'missed'}\n`);
    } else {
      process.stdout.write('mosquitto:     not installed (e.g. apt-get install mosquitto): no reference, no ratio\n');
      process.stdout.write(`target:        ≥ 10,000 msg/s: ${ours.rate >= BUDGETS.rate ? 'met' : 'missed'}\n`);
    }
    process.stdout.write(`zero loss:     ${lost === 0 && exitCode === 0 ? 'yes' : `NO (${lost} lost)`}\n`);
    if (lost !== 0 || exitCode !== 0) process.exitCode = 1;
    if (json) {
      const figures = (r: LoadResult) => ({
        messages: r.messages,
        seconds: round(r.seconds, 3),
        ratePerSecond: Math.round(r.rate),
        p50Ms: round(r.p50),
        p99Ms: round(r.p99),
        maxMs: round(r.max),
      });
      printJson({
        bench: 'local',
        machine: host,
        options: { ...o, ...(script !== join(REPO, 'assets', 'cli', 'index.js') ? { cli: script } : {}) },
        runner: {
          ...figures(ours),
          peakRssMiB: round(rss, 1),
          stopExitCode: exitCode,
          stopSeconds: round(stopSeconds, 3),
          rawRecords: records,
          distinctRecords: seen.size,
          acknowledged: expected,
          lost,
          journalFilesLeft: journalLeft,
        },
        mosquitto: reference ? { ...figures(reference), peakRssMiB: round(reference.rss, 1) } : null,
        ratioToMosquitto: ratio === undefined ? null : round(ratio, 3),
        budgets: { peakRssMiB: BUDGETS.peakRssMiB, ratioToMosquitto: ratioTarget, ratePerSecond: BUDGETS.rate },
        met: {
          peakRss: rss <= BUDGETS.peakRssMiB,
          ratio: ratio === undefined ? null : ratio >= ratioTarget,
          rate: ours.rate >= BUDGETS.rate,
          zeroLoss: lost === 0 && exitCode === 0,
        },
      });
    }
  } finally {
    kill();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The same client load against Mosquitto (TLS with a generated cert set, no persistence): the reference. */
async function mosquittoReference(mosquittoBin: string, work: string, o: Options, children: ChildProcess[]): Promise<LoadResult & { rss: number }> {
  const mqDir = join(work, 'mosquitto');
  const ca = ensureCa(mqDir);
  const server = ensureServerCertificate(mqDir, ca, '127.0.0.1');
  const mqCerts: IssuedCertificate[] = [];
  for (let i = 0; i < o.devices; i++) mqCerts.push(issueDeviceCertificate(mqDir, thingName(i), join(mqDir, 'certs')));
  const { process: mosquitto, port: mqPort } = await startMosquitto({
    bin: mosquittoBin, work, dir: mqDir, cafile: join(mqDir, 'ca', 'ca.pem'), readable: [join(mqDir, 'ca')], server, children,
  });
  await load(mqPort, mqCerts.slice(0, Math.min(4, o.devices)), { ...o, devices: Math.min(4, o.devices), messages: Math.min(200, o.messages) }, 'warm-up (mosquitto)', 'warmup');
  const reference = await load(mqPort, mqCerts, o, 'mosquitto 2 (no persistence)', 'main');
  const rss = rssMiB(mosquitto.pid!).hwm;
  mosquitto.kill('SIGTERM');
  return { ...reference, rss };
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
