/**
 * `cdk-iot-pipeline query`, once its options are parsed: pick the engine (local DuckDB with --app/--data-dir,
 * Athena with --stack), run the statement, print the result. A failed query prints the engine's message and exits
 * 1; a missing engine says how to install it.
 */
import { existsSync } from 'fs';
import { join, resolve } from 'path';
import {
  AssemblyError, loadTableModels, QueryEngineMissingError, QueryError, queryLocal, QueryResult, TableError,
} from '../../local/query';
import type { AwsOptions } from '../aws/options';
import { awsOptionsOf } from '../aws/options';
import type { CommandContext } from '../command';
import { CliError, UsageError } from '../errors';
import { progressLines } from '../io';
import { parseDuration } from '../units';
import { QUERY_DEFAULT_APP, QUERY_DEFAULT_DATA_DIR } from './defaults';
import { formatResult, OutputFormat } from './format';

/** The query command's options as given. */
export interface QueryOptions extends AwsOptions {
  readonly app?: string;
  readonly dataDir?: string;
  readonly stack?: string;
  readonly pipeline?: string;
  readonly database?: string;
  readonly json?: boolean;
  readonly csv?: boolean;
  readonly timeout: string;
  readonly quiet?: boolean;
}

export async function runQuery(sql: string, o: QueryOptions, context: CommandContext): Promise<void> {
  const format: OutputFormat = o.json ? 'json' : o.csv ? 'csv' : 'table';
  const progress = progressLines(context.io, o.quiet);
  if (sql.trim() === '') throw new UsageError('Give the SQL statement to run, e.g. "SELECT count(*) FROM plant.telemetry".');
  // Locally when --app or --data-dir is given, or when neither nor --stack is and both defaults are here.
  const local = o.app !== undefined || o.dataDir !== undefined
    || (o.stack === undefined && existsSync(join(QUERY_DEFAULT_APP, 'manifest.json')) && existsSync(join(QUERY_DEFAULT_DATA_DIR, 's3')));
  let result: QueryResult;
  if (local) {
    if (o.region !== undefined || o.profile !== undefined || o.endpointUrl !== undefined || o.pipeline !== undefined) {
      throw new UsageError('--region, --profile, --endpoint-url and --pipeline are for Athena (--stack without --app/--data-dir); a local query reads --app and --data-dir.');
    }
    result = await runLocalQuery(sql, o, progress);
  } else if (o.stack !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the Athena client loads only for an Athena query
    const { runAthenaQuery } = require('./athena') as typeof import('./athena');
    result = await runAthenaQuery(sql, {
      aws: awsOptionsOf(o),
      stack: o.stack,
      pipeline: o.pipeline,
      database: o.database,
      timeoutMs: parseDuration(o.timeout, '--timeout'),
      progress,
      onInterrupt: (stop) => {
        // Ctrl-C while the query runs stops it in Athena (it would run on, and be billed, otherwise).
        const handler = () => {
          progress?.('stopping the query (SIGINT)…');
          stop();
        };
        process.once('SIGINT', handler);
        return () => process.removeListener('SIGINT', handler);
      },
    });
  } else {
    throw new UsageError('Where should the query run? Locally: --app <cdk.out> and/or --data-dir <runner data dir> (DuckDB; without options, '
      + `./${QUERY_DEFAULT_APP} and ./${QUERY_DEFAULT_DATA_DIR} when both are here); in AWS: --stack <stack> (Athena).`);
  }
  context.io.stdout(formatResult(result, format));
}

async function runLocalQuery(sql: string, o: QueryOptions, progress: ((line: string) => void) | undefined): Promise<QueryResult> {
  const app = resolve(o.app ?? QUERY_DEFAULT_APP);
  const dataDir = resolve(o.dataDir ?? QUERY_DEFAULT_DATA_DIR);
  if (!existsSync(join(app, 'manifest.json'))) {
    throw new UsageError(`${app} is not a cloud assembly (no manifest.json): run \`cdk synth\` first, or pass --app <the cdk.out directory>.`);
  }
  const s3Dir = join(dataDir, 's3');
  if (!existsSync(s3Dir)) {
    throw new UsageError(`${dataDir} holds no bucket folders (no s3/): pass the --data-dir \`cdk-iot-pipeline local\` ran with.`);
  }
  let tables;
  try {
    tables = loadTableModels({ app, stack: o.stack });
  } catch (e) {
    if (e instanceof AssemblyError) throw new CliError(e.message);
    throw e;
  }
  if (tables.size === 0) {
    throw new CliError(`The assembly ${app} has no Glue table (AWS::Glue::Table). Give the pipeline a table (the construct's \`table\` prop) and synthesize again.`);
  }
  const database = o.database?.toLowerCase();
  if (database !== undefined && ![...tables.values()].some((t) => t.database === database)) {
    throw new UsageError(`--database ${o.database}: the assembly's databases are ${[...new Set([...tables.values()].map((t) => t.database))].join(', ')}.`);
  }
  try {
    return await queryLocal(sql, { tables, s3Dir, database, progress });
  } catch (e) {
    if (e instanceof QueryError || e instanceof TableError || e instanceof QueryEngineMissingError) throw new CliError(e.message);
    throw e;
  }
}
