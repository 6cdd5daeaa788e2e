/**
 * Runs the shipped CLI (`assets/cli/index.js`, built by `npx projen bundle:cli`) as a user's node would, and reports
 * which files of `assets/cli/` the process loaded, so a test can prove a command reads only the vendor files it needs.
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

export const SHIPPED_CLI_ASSETS = join(__dirname, '..', '..', 'assets', 'cli');
export const SHIPPED_CLI_PROGRAM = join(SHIPPED_CLI_ASSETS, 'index.js');

/** One run of the shipped program: its exit code, output and the `assets/cli/` files it loaded. */
export interface ShippedCliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly loaded: string[];
}

/** The shipped CLI for one test file: `run(...)` and a scratch directory (`dir()`), removed after the file's tests. */
export interface ShippedCli {
  run(...args: string[]): ShippedCliRun;
  dir(): string;
}

/** Registers the beforeAll/afterAll that make a scratch directory and the preload that reports the loaded files. */
export function useShippedCli(tmpPrefix: string): ShippedCli {
  let dir: string | undefined;
  let preload: string;
  beforeAll(() => {
    if (!existsSync(SHIPPED_CLI_PROGRAM)) throw new Error('assets/cli/index.js is missing: run `npx projen bundle:cli` (or `npx projen pre-compile`)');
    dir = mkdtempSync(join(tmpdir(), tmpPrefix));
    // Reports, at exit, which files of assets/cli/ the process loaded.
    preload = join(dir, 'loaded.js');
    writeFileSync(preload, [
      `const dir = ${JSON.stringify(SHIPPED_CLI_ASSETS + '/')};`,
      'process.on("exit", () => {',
      '  const files = Object.keys(require.cache).filter((f) => f.startsWith(dir)).map((f) => f.slice(dir.length)).sort();',
      '  process.stderr.write("\\nLOADED " + JSON.stringify(files) + "\\n");',
      '});',
    ].join('\n'));
  });
  afterAll(() => { if (dir !== undefined) rmSync(dir, { recursive: true, force: true }); });
  return {
    run(...args: string[]): ShippedCliRun {
      const r = spawnSync(process.execPath, ['--require', preload, SHIPPED_CLI_PROGRAM, ...args], {
        encoding: 'utf8', timeout: 60_000, env: { ...process.env, AWS_REGION: 'us-east-1' },
      });
      const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
      if (!line) throw new Error(`no LOADED line: ${r.stderr}`);
      return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/\n?LOADED .*\n/, ''), loaded: JSON.parse(line.slice('LOADED '.length)) as string[] };
    },
    dir(): string {
      if (dir === undefined) throw new Error('the scratch directory exists only while the tests run (after beforeAll)');
      return dir;
    },
  };
}
