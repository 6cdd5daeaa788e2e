/**
 * Loading DuckDB (`@duckdb/node-api`), the local query engine. It is a native package, so the construct does not
 * depend on it: `cdk-iot-pipeline query --app` loads it when it runs, from the project it runs in (or next to the
 * CLI), and says how to install it when it is not there.
 */
import { createRequire } from 'module';
import { join } from 'path';

/** The package, and the version the tests prove (the CLI's install hint pins it). */
export const DUCKDB_PACKAGE = '@duckdb/node-api';
export const DUCKDB_VERSION = '1.5.6-r.1';
/** The command that installs it into the user's project. */
export const DUCKDB_INSTALL_COMMAND = `npm install --save-dev ${DUCKDB_PACKAGE}@${DUCKDB_VERSION}`;

/** The part of `@duckdb/node-api` the engine uses. */
export type DuckDbModule = typeof import('@duckdb/node-api');

/** DuckDB is not installed (or does not load on this platform); the message says how to install it. */
export class QueryEngineMissingError extends Error {
  constructor(detail: string) {
    super(`The local query engine is DuckDB (${DUCKDB_PACKAGE}), a native package the construct does not install for you. `
      + `Install it in your project: ${DUCKDB_INSTALL_COMMAND}  (${detail})`);
    this.name = 'QueryEngineMissingError';
  }
}

/**
 * Loads `@duckdb/node-api`: next to this code first (a project that has the construct and DuckDB installed),
 * then from the current directory's project (a CLI installed elsewhere). Throws `QueryEngineMissingError`.
 */
export function loadDuckDb(resolveFrom: readonly string[] = [join(process.cwd(), 'package.json')]): DuckDbModule {
  const attempts: Array<() => unknown> = [
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- native and optional: loaded when a local query runs
    () => require('@duckdb/node-api'),
    ...resolveFrom.map((from) => () => createRequire(from)(DUCKDB_PACKAGE)),
  ];
  let last: Error | undefined;
  for (const attempt of attempts) {
    try {
      return attempt() as DuckDbModule;
    } catch (e) {
      last = e as Error;
      if ((e as { code?: string }).code !== 'MODULE_NOT_FOUND') break; // found but failed to load: say why
    }
  }
  const detail = (last as { code?: string } | undefined)?.code === 'MODULE_NOT_FOUND'
    ? 'not found'
    : `it did not load: ${(last?.message ?? 'unknown error').split('\n')[0]}`;
  throw new QueryEngineMissingError(detail);
}
