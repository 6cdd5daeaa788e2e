/**
 * The runner's data dir: created for the user only (0700) with a `.gitignore`, by the runner and by `local certs`
 * alike (it holds the local CA's private key, device keys and every message).
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';

/** Entries only the runner (or `local certs`) creates in a data dir. */
const RUNNER_ENTRIES = ['state.json', 'ca', 'journal', 'runner.lock'];

/** What the data dir's `.gitignore` says: everything in it stays out of git (it holds the CA's private key). */
export const DATA_DIR_GITIGNORE = '# The local runner\'s data (CA private key, journal, S3 folders, logs): never commit it.\n*\n';

/**
 * Creates the data dir for the runner's user only (0700: it holds the local CA's private key, device keys and every
 * message) with a `.gitignore` that keeps all of it out of git. An existing data dir is left as it is (it may be a
 * folder the user chose), except that a data dir of the runner (empty, or with the runner's state, CA or journal)
 * gets the `.gitignore` when it has none; one that others can read is reported.
 */
export function prepareDataDir(dataDir: string, log: (line: string) => void): void {
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } else if (process.platform !== 'win32' && othersMayAccess(statSync(dataDir).mode)) {
    log(`warning: the data dir ${dataDir} can be read by other users (it holds the local CA's private key and every message); chmod 700 it`);
  }
  const gitignore = join(dataDir, '.gitignore');
  if (!existsSync(gitignore)) {
    const entries = readdirSync(dataDir);
    if (entries.length === 0 || RUNNER_ENTRIES.some((entry) => entries.includes(entry))) {
      writeFileSync(gitignore, DATA_DIR_GITIGNORE, { mode: 0o600 });
    }
  }
}

/** Whether a file mode grants anything to the group or others (its low six bits). */
function othersMayAccess(mode: number): boolean {
  return mode % 0o100 !== 0;
}
