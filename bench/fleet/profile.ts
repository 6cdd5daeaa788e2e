/**
 * Reads the V8 CPU profiles a process wrote with `node --cpu-prof --cpu-prof-dir <dir>` (one file per thread: the
 * runner runs in a worker thread of its CLI process) and sums the self time of each function inside a time window,
 * so the bench can say where the broker spent the connect storm. Timestamps in a `.cpuprofile` are microseconds
 * on the monotonic clock `process.hrtime` reads; the driver reports its phases on the same clock.
 */
import { readdirSync, readFileSync } from 'fs';
import { basename, join } from 'path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One function's self time inside the window. */
export interface HotFunction {
  /** `name (file:line)`; V8's own buckets are `(garbage collector)`, `(program)`, `(idle)`. */
  readonly function: string;
  readonly selfMs: number;
  /** Share of the window's busy (non-idle) samples, 0..1. */
  readonly share: number;
}

/** The busiest thread's profile inside the window. */
export interface WindowSummary {
  readonly file: string;
  readonly windowMs: number;
  /** Sampled time not idle, in the window. */
  readonly busyMs: number;
  readonly top: readonly HotFunction[];
}

function describe(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (!url) return functionName === '' ? '(anonymous)' : functionName;
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/assets\//, 'assets/');
  return `${functionName === '' ? '(anonymous)' : functionName} (${file}:${lineNumber + 1})`;
}

function summarize(path: string, fromUs: number, toUs: number, topN: number): WindowSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let t = profile.startTime;
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    // a sample stands for the time until the next one
    const span = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
    if (t < fromUs || t > toUs) continue;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    const name = describe(node);
    if (name === '(idle)') continue;
    busy += span;
    self.set(name, (self.get(name) ?? 0) + span);
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, topN)
    .map(([fn, us]) => ({ function: fn, selfMs: Math.round(us / 100) / 10, share: busy > 0 ? Math.round((us / busy) * 1000) / 1000 : 0 }));
  return { file: basename(path), windowMs: Math.round((toUs - fromUs) / 1000), busyMs: Math.round(busy / 1000), top };
}

/** The profile in `dir` busiest inside [fromUs, toUs], with its top self-time functions. */
export function busiestThread(dir: string, fromUs: number, toUs: number, topN = 12): WindowSummary | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  return files.map((f) => summarize(f, fromUs, toUs, topN)).sort((a, b) => b.busyMs - a.busyMs)[0];
}
