/**
 * What the benchmarks share: `--json` (the last line printed is then one JSON object with every figure, so a run can
 * be compared with the next), the machine they ran on, and medians of interleaved runs.
 */
import { cpus, loadavg } from 'os';

/** True when the arguments ask for the JSON line (`--json`). */
export function wantsJson(argv: readonly string[] = process.argv.slice(2)): boolean {
  return argv.includes('--json');
}

/** The machine and the moment: figures from a shared 2-core machine mean little without the load next to them. */
export function machine(): { node: string; cpuModel: string; cpus: number; loadAverage1m: number; at: string } {
  return {
    node: process.version,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
    at: new Date().toISOString(),
  };
}

/** Prints the report as the last line (one JSON object). */
export function printJson(report: object): void {
  process.stdout.write(JSON.stringify(report) + '\n');
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A number rounded to `digits` decimals, for the JSON report. */
export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
