/**
 * The README tells the truth about files and figures: every repository path it names exists, every path it names
 * in the built package is produced by a build task, and the sizes it quotes from recorded benchmark runs are those
 * runs' figures. (The size of today's CLI bundle is compared in test/cli/bundle.e2e.test.ts, which has the bundle.)
 */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';

const REPO = join(__dirname, '..');
const README = readFileSync(join(REPO, 'README.md'), 'utf8');

/** Folders and files of the repository a README path can start with. */
const REPOSITORY_ROOTS = ['src/', 'lambda/', 'cli/', 'local/', 'test/', 'examples/', 'bench/', 'docs/', 'projenrc/', '.projenrc.ts', 'CHANGELOG.md', 'CONTRIBUTING.md'];
/** What the build makes (git-ignored): named in the README as the package holds them. */
const BUILT_ROOTS = ['assets/'];

/** Backticked words and relative link targets of the README (anchors dropped), without placeholders or globs. */
function namedPaths(): string[] {
  const words = [...README.matchAll(/`([^`\s]+)`/g), ...README.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1].split('#')[0]);
  return [...new Set(words)].filter((w) => w !== '' && !/[<>*…]/.test(w) && !/^[a-z]+:\/\//.test(w));
}

/** A figure the README quotes, as written (e.g. "186 KB"), found by the text around it. */
function quoted(pattern: RegExp): number {
  const m = pattern.exec(README);
  if (!m) throw new Error(`the README no longer has ${pattern}`);
  return Number(m[1]);
}

test('GIVEN the README WHEN it names a repository path THEN the path exists', () => {
  const paths = namedPaths().filter((p) => REPOSITORY_ROOTS.some((root) => p.startsWith(root)));
  expect(paths.length).toBeGreaterThan(10);
  expect(paths.filter((p) => !existsSync(join(REPO, p)))).toEqual([]);
});

test('GIVEN the README WHEN it names a file of the built package THEN a build task writes it', () => {
  const tasks = readFileSync(join(REPO, '.projen', 'tasks.json'), 'utf8');
  const built = namedPaths().filter((p) => BUILT_ROOTS.some((root) => p.startsWith(root)));
  expect(built).toEqual(expect.arrayContaining(['assets/parser-toolkit/README.md', 'assets/cli/index.js']));
  expect(built.filter((p) => !tasks.includes(p))).toEqual([]);
});

test('GIVEN the recorded CLI benchmark WHEN the README quotes its program size THEN it is that run\'s size', () => {
  const recorded = JSON.parse(readFileSync(join(REPO, 'bench', 'results', 'cli.json'), 'utf8')) as { builds: Array<{ build: string; bundle: { programBytes: number } }> };
  const cli = recorded.builds.find((b) => b.build === 'cli')!;
  expect(quoted(/(\d+) KB in the recorded run/)).toBe(Math.round(cli.bundle.programBytes / 1024));
});

test('GIVEN the recorded parser benchmark WHEN the README quotes the bundle sizes THEN they are that run\'s', () => {
  const recorded = JSON.parse(readFileSync(join(REPO, 'bench', 'results', 'parser.json'), 'utf8')) as {
    bundle: { referenceParserMinifiedBytes: number; compare: { bytes: number } };
  };
  const row = /\| bundle, minified \| ([\d.]+) KB \| +\| ([\d.]+) KB \|/.exec(README);
  expect(row).not.toBeNull();
  expect(Number(row![1])).toBe(Number((recorded.bundle.referenceParserMinifiedBytes / 1024).toFixed(1)));
  expect(Number(row![2])).toBe(Number((recorded.bundle.compare.bytes / 1024).toFixed(1)));
});

test('GIVEN the recorded fleet benchmark WHEN the README\'s fleet rows quote it THEN they are that run\'s figures', () => {
  const recorded = JSON.parse(readFileSync(join(REPO, 'bench', 'results', 'fleet.json'), 'utf8')) as {
    machine: { loadAverage1m: number };
    devices: number;
    messagesAcknowledged: number;
    messagesLost: number;
    runner: { connectStormSeconds: number; durableMsgPerSecond: number; kibPerConnectedDevice: number };
    mosquitto: { connectStormSeconds: number; durableMsgPerSecond: number };
    ratios: { connectStormToMosquitto: number; throughputToMosquitto: number };
  };
  const number = (text: string) => Number(text.replace(/,/g, ''));
  const storm = /\| connect storm, first attempt → last device connected \| ([\d.]+) s \| ([\d.]+) s \| ([\d.]+)× \|/.exec(README);
  const throughput = /\| durable throughput \| ([\d,]+) msg\/s \| ([\d,]+) msg\/s \| ([\d.]+)× \|/.exec(README);
  const memory = /\| RSS per connected device above idle \| ([\d.]+) KiB \|/.exec(README);
  const loss = /\| devices, messages acknowledged, lost \| ([\d,]+), ([\d,]+), (\d+) \|/.exec(README);
  const load = /fleet run at load average ([\d.]+)/.exec(README);
  expect([storm, throughput, memory, loss, load]).not.toContain(null);
  const storms = [recorded.runner.connectStormSeconds, recorded.mosquitto.connectStormSeconds, recorded.ratios.connectStormToMosquitto];
  expect([Number(storm![1]), Number(storm![2]), Number(storm![3])]).toEqual(storms.map((v) => Number(v.toFixed(2))));
  expect([number(throughput![1]), number(throughput![2]), Number(throughput![3])])
    .toEqual([recorded.runner.durableMsgPerSecond, recorded.mosquitto.durableMsgPerSecond, Number(recorded.ratios.throughputToMosquitto.toFixed(2))]);
  expect(Number(memory![1])).toBe(recorded.runner.kibPerConnectedDevice);
  expect([number(loss![1]), number(loss![2]), Number(loss![3])]).toEqual([recorded.devices, recorded.messagesAcknowledged, recorded.messagesLost]);
  expect(Number(load![1])).toBe(recorded.machine.loadAverage1m);
});
