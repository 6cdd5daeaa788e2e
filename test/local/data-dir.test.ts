/** The runner's data dir: created 0700 with a .gitignore; an existing folder of the user's is left alone. */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { cleanup, tempDir } from './helpers';
import { DATA_DIR_GITIGNORE, prepareDataDir } from '../../local/data-dir';

let dir: string;
beforeEach(() => {
  dir = tempDir('data-dir');
});
afterEach(() => cleanup(dir));

const posix = process.platform !== 'win32';

/** The permission bits of a path (mode modulo 0o1000). */
function permissions(path: string): number {
  return statSync(path).mode % 0o1000;
}

test('GIVEN no data dir WHEN prepared THEN it is created for the user only (0700) with a .gitignore that ignores everything', () => {
  const logs: string[] = [];
  const data = join(dir, 'nested', '.iot-local');
  prepareDataDir(data, (line) => logs.push(line));
  if (posix) expect(permissions(data)).toBe(0o700);
  expect(readFileSync(join(data, '.gitignore'), 'utf8')).toBe(DATA_DIR_GITIGNORE);
  expect(DATA_DIR_GITIGNORE.split('\n')).toContain('*');
  expect(logs).toEqual([]);
});

test('GIVEN an existing runner data dir without .gitignore (an older runner) WHEN prepared THEN it gets one', () => {
  const data = join(dir, 'old');
  mkdirSync(join(data, 'ca'), { recursive: true, mode: 0o700 });
  prepareDataDir(data, () => undefined);
  expect(existsSync(join(data, '.gitignore'))).toBe(true);
});

test('GIVEN an existing folder of the user\'s that others can read WHEN prepared THEN nothing is written or changed, and a warning says chmod 700', () => {
  const data = join(dir, 'project');
  mkdirSync(data);
  chmodSync(data, 0o755);
  writeFileSync(join(data, 'notes.txt'), 'mine');
  const logs: string[] = [];
  prepareDataDir(data, (line) => logs.push(line));
  expect(existsSync(join(data, '.gitignore'))).toBe(false);
  if (posix) {
    expect(permissions(data)).toBe(0o755);
    expect(logs).toEqual([expect.stringMatching(/can be read by other users .*chmod 700/)]);
  }
});
