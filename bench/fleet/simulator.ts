/**
 * The fleet bench's load: the shipped simulator (`node assets/cli/index.js simulate`, in a process of its own, so the
 * broker under test does not share an event loop with 5,000 clients), with the same devices, messages and ramp for the
 * local runner and for Mosquitto: `--certs` (the cached device certificates), `--ca` (the CA that signed the broker's
 * certificate), QoS 1, one message in flight per device, `--json` for its summary.
 *
 * The summary says how long the run and its connect storm took, not when: the phases are placed on the machine's
 * monotonic clock (`process.hrtime`, the clock of V8's CPU profiles on Linux) from the moment the process exits, so a
 * profile of the broker can be cut to the storm (within the few milliseconds the simulator takes to print and exit).
 */
import { spawn } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';

/** The simulator's `--json` summary (the fields the bench reads). */
export interface SimulatorSummary {
  readonly devices: number;
  readonly connected: number;
  readonly connectFailures: number;
  readonly connectRetries: number;
  readonly disconnects: number;
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly durationMs: number;
  readonly connectStormMs: number;
  readonly publishMs: number;
  readonly msgPerSec: number;
  readonly pubackP50Ms?: number;
  readonly pubackP99Ms?: number;
  readonly pubackMaxMs?: number;
  readonly errors: ReadonlyArray<{ readonly device: string; readonly phase: string; readonly message: string }>;
  readonly errorCount: number;
}

/** A run of the simulator and where its phases fell on the monotonic clock (microseconds). */
export interface SimulatorRun {
  readonly summary: SimulatorSummary;
  readonly stormUs: readonly [number, number];
  readonly publishUs: readonly [number, number];
}

export interface SimulatorOptions {
  /** The CLI bundle (assets/cli/index.js). */
  readonly cli: string;
  readonly label: string;
  readonly work: string;
  readonly port: number;
  readonly caPath: string;
  readonly certsDir: string;
  readonly devices: number;
  readonly messages: number;
  readonly connectRate: number;
  readonly topic: string;
  /** Written into every payload, so the verification finds this run's messages. */
  readonly run: string;
  /** Called with each line the simulator writes on stderr. */
  readonly log: (line: string) => void;
}

export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** Runs `simulate` against 127.0.0.1:`port`; resolves with its summary (whatever its exit code: failures are figures). */
export async function runSimulator(o: SimulatorOptions): Promise<SimulatorRun> {
  const template = join(o.work, `payload-${o.run}.json`);
  // {{seq}} is 1..messages; the device is the client id (= the thing name)
  writeFileSync(template, `{"run": "${o.run}", "device": "{{clientId}}", "seq": {{seq}}, "ts": {{now}}, "temp": {{random}}}`);
  const args = [
    o.cli, 'simulate',
    '--endpoint', `127.0.0.1:${o.port}`,
    '--certs', o.certsDir,
    '--ca', o.caPath,
    '--topic', `${o.topic}/{{clientId}}`,
    '--devices', String(o.devices),
    '--messages', String(o.messages),
    // as fast as the broker acknowledges: AWS IoT Core's per-connection maximum, one message in flight per device
    '--rate', '100',
    '--max-in-flight', '1',
    '--qos', '1',
    '--mqtt-version', '3',
    '--connect-rate', String(o.connectRate),
    '--drain-timeout', '120s',
    '--payload-template', template,
    '--json',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    const lines = err.split('\n');
    err = lines.pop() ?? '';
    lines.filter((l) => l.trim() !== '').forEach((l) => o.log(l));
  });
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  const endUs = monotonicUs();
  let summary: SimulatorSummary;
  try {
    summary = JSON.parse(out) as SimulatorSummary;
  } catch {
    throw new Error(`the simulator (${o.label}) exited with ${code} without a JSON summary:\n${out}${err}`);
  }
  const startUs = endUs - summary.durationMs * 1000;
  const stormEndUs = startUs + summary.connectStormMs * 1000;
  return { summary, stormUs: [startUs, stormEndUs], publishUs: [stormEndUs, Math.min(endUs, stormEndUs + summary.publishMs * 1000)] };
}
