/**
 * The fleet bench's load, run in a process of its own (so the broker under test does not share an event loop with
 * 5,000 clients): connect every device over mutual TLS at a bounded rate (retrying with exponential backoff and full
 * jitter), then every device publishes its messages at QoS 1, one in flight at a time, as a device would. The same
 * input drives the local runner and Mosquitto.
 *
 *   node -r ts-node/register/transpile-only bench/fleet/driver.ts <input.json>
 *
 * Progress goes to stderr every 2 s; the last stdout line is one JSON object (`DriverSummary`).
 *
 * Backoff and jitter: AWS's device guidance ("Exponential Backoff And Jitter",
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/, the "full jitter" variant) — a client
 * that fails to connect waits random(0, min(cap, base × 2^attempt)) before the next attempt.
 */
import { readFileSync } from 'fs';
import { performance } from 'perf_hooks';
import * as mqtt from 'mqtt';

/** What the bench hands the driver (as a JSON file). */
export interface DriverInput {
  readonly label: string;
  readonly host: string;
  readonly port: number;
  readonly caPath: string;
  readonly devices: ReadonlyArray<{ readonly thing: string; readonly certPath: string; readonly keyPath: string }>;
  /** Devices publish to `<topicBase>/<thing>`. */
  readonly topicBase: string;
  readonly messages: number;
  /** New connections started per second at most. */
  readonly connectRate: number;
  /** Connection attempts in progress at once at most (TLS handshake + CONNECT/CONNACK). */
  readonly maxPendingConnects: number;
  /** Attempts per device before it counts as a connect failure. */
  readonly connectAttempts: number;
  /** A tag written into every payload, so the verification finds this run's messages. */
  readonly run: string;
}

/** What the driver measured. */
export interface DriverSummary {
  readonly label: string;
  readonly devices: number;
  readonly connected: number;
  readonly connectFailures: number;
  /** Connection attempts that failed and were retried. */
  readonly connectRetries: number;
  /** From the first connection attempt to the last CONNACK. */
  readonly connectStormMs: number;
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
  /** From the first publish to the last PUBACK. */
  readonly publishSeconds: number;
  /** Acknowledged messages per second of the publish phase. */
  readonly msgPerSec: number;
  readonly pubackP50Ms: number;
  readonly pubackP99Ms: number;
  readonly pubackMaxMs: number;
  /** The first failed publishes and connect errors, to say what went wrong. */
  readonly errors: readonly string[];
  /** `<thing>/<seq>` of every publish that got no PUBACK (at most 1,000). */
  readonly unacknowledged: readonly string[];
  /**
   * The phases on the machine's monotonic clock in microseconds (`process.hrtime`, the clock V8's CPU profiles
   * use on Linux), so a profile of the broker can be cut to the storm: [start, end] of connecting and publishing.
   */
  readonly clock: { readonly stormUs: [number, number]; readonly publishUs: [number, number] };
}

const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 5000;

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs the load described by `input`. */
export async function drive(input: DriverInput, progress: (line: string) => void = () => undefined): Promise<DriverSummary> {
  const ca = readFileSync(input.caPath);
  const n = input.devices.length;
  const clients: Array<mqtt.MqttClient | undefined> = new Array(n);
  const errors: string[] = [];
  const noteError = (text: string) => {
    if (errors.length < 20) errors.push(text);
  };
  let connected = 0;
  let connectFailures = 0;
  let connectRetries = 0;
  let sent = 0;
  let acknowledged = 0;
  let failed = 0;
  const timer = setInterval(() => progress(`${input.label}: connected ${connected}/${n} (failures ${connectFailures}, retries ${connectRetries}), sent ${sent}, acknowledged ${acknowledged}, failed ${failed}`), 2000);

  // --- connect storm: a bounded rate and a bounded number of handshakes in progress -------------------------
  const connectOne = async (i: number): Promise<void> => {
    const device = input.devices[i];
    const key = readFileSync(device.keyPath);
    const cert = readFileSync(device.certPath);
    for (let attempt = 0; attempt < input.connectAttempts; attempt++) {
      try {
        clients[i] = await mqtt.connectAsync(`mqtts://${input.host}:${input.port}`, {
          clientId: device.thing,
          key,
          cert,
          ca,
          protocolVersion: 4,
          reconnectPeriod: 0,
          connectTimeout: 60000,
          keepalive: 600,
          clean: true,
        }, false);
        clients[i]!.on('error', (e) => noteError(`${device.thing}: ${e.message}`));
        connected++;
        return;
      } catch (e) {
        noteError(`${device.thing} connect attempt ${attempt + 1}: ${(e as Error).message}`);
        if (attempt + 1 < input.connectAttempts) {
          connectRetries++;
          await sleep(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
        }
      }
    }
    connectFailures++;
  };
  const stormStart = performance.now();
  const stormStartUs = monotonicUs();
  let lastConnack = stormStart;
  let lastConnackUs = stormStartUs;
  {
    let next = 0;
    const interval = 1000 / input.connectRate;
    const lanes = Array.from({ length: Math.min(input.maxPendingConnects, n) }, async () => {
      while (next < n) {
        const i = next++;
        // the i-th connection starts no earlier than i / rate seconds after the first
        const due = stormStart + i * interval - performance.now();
        if (due > 0) await sleep(due);
        await connectOne(i);
        lastConnack = performance.now();
        lastConnackUs = monotonicUs();
      }
    });
    await Promise.all(lanes);
  }
  const connectStormMs = lastConnack - stormStart;
  progress(`${input.label}: ${connected} of ${n} devices connected in ${(connectStormMs / 1000).toFixed(2)} s (${connectFailures} failed, ${connectRetries} retries)`);

  // --- publish: every connected device, one message in flight at a time -----------------------------------
  const latencies = new Float64Array(n * input.messages);
  let measured = 0;
  const unacknowledged: string[] = [];
  const publishStart = performance.now();
  const publishStartUs = monotonicUs();
  await Promise.all(clients.map(async (client, d) => {
    if (!client) return;
    const thing = input.devices[d].thing;
    const topic = `${input.topicBase}/${thing}`;
    // a QoS 1 publish whose connection closes is never answered: the close fails it (and every later one)
    const closed = new Promise<never>((_, reject) => client.once('close', () => reject(new Error('the connection closed'))));
    closed.catch(() => undefined);
    for (let seq = 0; seq < input.messages; seq++) {
      const payload = `{"run":"${input.run}","device":"${thing}","seq":${seq},"ts":${Date.now()},"temp":${(20 + (seq % 10) / 10).toFixed(1)}}`;
      const t0 = performance.now();
      sent++;
      try {
        await Promise.race([client.publishAsync(topic, payload, { qos: 1 }), closed]);
        latencies[measured++] = performance.now() - t0;
        acknowledged++;
      } catch (e) {
        failed++;
        if (unacknowledged.length < 1000) unacknowledged.push(`${thing}/${seq}`);
        noteError(`${thing} publish ${seq}: ${(e as Error).message}`);
      }
    }
  }));
  const publishSeconds = (performance.now() - publishStart) / 1000;
  const publishEndUs = monotonicUs();
  clearInterval(timer);
  await Promise.all(clients.map((c) => c?.endAsync().catch(() => undefined)));
  const sorted = latencies.slice(0, measured).sort();
  return {
    label: input.label,
    devices: n,
    connected,
    connectFailures,
    connectRetries,
    connectStormMs,
    sent,
    acknowledged,
    failed,
    publishSeconds,
    msgPerSec: acknowledged / publishSeconds,
    pubackP50Ms: percentile(sorted, 50),
    pubackP99Ms: percentile(sorted, 99),
    pubackMaxMs: sorted.length > 0 ? sorted[sorted.length - 1] : 0,
    errors,
    unacknowledged,
    clock: { stormUs: [stormStartUs, lastConnackUs], publishUs: [publishStartUs, publishEndUs] },
  };
}

if (require.main === module) {
  const input = JSON.parse(readFileSync(process.argv[2], 'utf8')) as DriverInput;
  drive(input, (line) => process.stderr.write(`  ${line}\n`)).then((summary) => {
    process.stdout.write(JSON.stringify(summary) + '\n');
    // the clients are ended; sockets still closing must not hold the process
    process.exit(0);
  }, (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
