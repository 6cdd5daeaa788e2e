/** What `local certs` and `local certs --claim` print: the files of a certificate the local CA just issued. */
import { resolve } from 'path';
import { DEFAULT_DATA_DIR, prepareDataDir } from '../../local';
import type { CommandContext } from '../command';

/** The files of an issued certificate, as both issuers return them. */
export interface IssuedFiles {
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly fingerprint: string;
}

/**
 * Prepares the data dir as the runner does (for the user only, with a .gitignore; the CA key is created there on
 * first use), issues the certificate and prints its files, `owner` naming what it belongs to (`thing <name>` or
 * `claim <template>`).
 */
export function issueAndPrint<T extends IssuedFiles>(
  dataDirOption: string | undefined,
  issue: (dataDir: string) => T,
  owner: (issued: T) => readonly [label: string, value: string],
  context: CommandContext,
): void {
  const dataDir = resolve(dataDirOption ?? DEFAULT_DATA_DIR);
  prepareDataDir(dataDir, (line) => context.io.stderr(`[local] ${line}\n`));
  const issued = issue(dataDir);
  const [label, value] = owner(issued);
  context.io.stdout([
    `ca       ${issued.caPath}`,
    `cert     ${issued.certPath}`,
    `key      ${issued.keyPath}`,
    `${label.padEnd(8)} ${value}`,
    `id       ${issued.fingerprint}`,
  ].join('\n') + '\n');
  context.setExitCode(0);
}
