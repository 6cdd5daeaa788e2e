/**
 * Reads the V8 CPU profiles a process wrote with `node --cpu-prof --cpu-prof-dir <dir>` (one file per thread: the
 * runner runs in a worker thread of its CLI process) and sums the self time of each function inside a time window,
 * so the bench can say where the broker spent the connect storm. Timestamps in a `.cpuprofile` are microseconds
 * on the monotonic clock `process.hrtime` reads; the driver reports its phases on the same clock.
 */
import { existsSync, readdirSync, readFileSync } from 'fs';
import { SourceMap } from 'module';
import { basename, dirname, join, resolve } from 'path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
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

/** Source maps of the bundles (the CLI bundle is minified: its names mean nothing without one), by file path. */
const maps = new Map<string, SourceMap | undefined>();

function sourceMapOf(path: string): SourceMap | undefined {
  if (!maps.has(path)) {
    const mapPath = `${path}.map`;
    maps.set(path, existsSync(mapPath) ? new SourceMap(JSON.parse(readFileSync(mapPath, 'utf8'))) : undefined);
  }
  return maps.get(path);
}

const sources = new Map<string, string[]>();

/** Line `line` (1-based) of a source file, trimmed to 60 characters; undefined when the file is not here. */
function sourceLine(path: string, line: number): string | undefined {
  if (!sources.has(path)) sources.set(path, existsSync(path) ? readFileSync(path, 'utf8').split('\n') : []);
  const text = sources.get(path)![line - 1]?.trim();
  return text ? text.slice(0, 60) : undefined;
}

function describe(node: ProfileNode): string {
  const { functionName, url, lineNumber, columnNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  if (!url) return name;
  const path = url.replace(/^file:\/\//, '');
  type Entry = { originalSource?: string; originalLine?: number; name?: string };
  const entry = sourceMapOf(path)?.findEntry(lineNumber, columnNumber) as Entry | undefined;
  if (entry?.originalSource) {
    // the bundle's function at its place in the source, named by its source line (the minified name means nothing)
    const line = (entry.originalLine ?? 0) + 1;
    const source = entry.originalSource.replace(/^(\.\.\/)+/, '').replace(/^.*node_modules\//, '');
    return `${entry.name ?? sourceLine(resolve(dirname(path), entry.originalSource), line) ?? name} (${source}:${line})`;
  }
  const file = path.replace(/^.*\/node_modules\//, '').replace(/^.*\/assets\//, 'assets/');
  return `${name} (${file}:${lineNumber + 1})`;
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
