/**
 * `query --stack`: the statement runs in the pipeline's Athena workgroup (the stack's table outputs name the
 * database and the workgroup; the workgroup enforces where results go). StartQueryExecution, then
 * GetQueryExecution until the query ends (progress on stderr), then every page of GetQueryResults.
 */
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, QueryExecution, StartQueryExecutionCommand, StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { Output } from '@aws-sdk/client-cloudformation';
import { cellValue, JsonValue, QueryResult } from '../../local/query/result';
import { TABLE_OUTPUT_IDS, TableOutputName } from '../../src/contract';
import { AwsClients } from '../aws/clients';
import { explainAwsError } from '../aws/errors';
import type { AwsOptions } from '../aws/options';
import { findPipelines, owner, selectPipeline } from '../aws/pipeline';
import { describeStack } from '../aws/stack';
import { CliError } from '../errors';

export interface AthenaQueryOptions {
  readonly aws: AwsOptions;
  readonly stack: string;
  readonly pipeline?: string;
  /** Overrides the pipeline's database for unqualified names. */
  readonly database?: string;
  readonly timeoutMs: number;
  readonly progress?: (line: string) => void;
  /** Waits between polls (replaceable in tests). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock (replaceable in tests). */
  readonly now?: () => number;
  /** The Athena client (replaceable in tests). */
  readonly athena?: AthenaClient;
  /** Called with a function that stops the query (SIGINT while it runs). */
  readonly onInterrupt?: (stop: () => void) => () => void;
}

/** The table outputs of one pipeline in a stack (`<pipeline prefix><output id><hash>`). */
export function tableOutputs(outputs: readonly Output[], prefix: string, allPrefixes: readonly string[]): Partial<Record<TableOutputName, string>> {
  const result: Partial<Record<TableOutputName, string>> = {};
  for (const [name, id] of Object.entries(TABLE_OUTPUT_IDS) as Array<[TableOutputName, string]>) {
    const hit = outputs.find((o) => {
      const key = o.OutputKey ?? '';
      return new RegExp(`^${prefix}${id}(?:[0-9A-F]{8})?$`).test(key) && owner(key, allPrefixes) === prefix;
    });
    if (hit?.OutputValue !== undefined) result[name] = hit.OutputValue;
  }
  return result;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export async function runAthenaQuery(sql: string, o: AthenaQueryOptions): Promise<QueryResult> {
  const clients = new AwsClients(o.aws);
  const athena = o.athena ?? new AthenaClient({
    ...(o.aws.region ? { region: o.aws.region } : {}),
    ...(o.aws.profile ? { profile: o.aws.profile } : {}),
    ...(o.aws.endpointUrl ? { endpoint: o.aws.endpointUrl } : {}),
    maxAttempts: 3,
  });
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  try {
    const stack = await describeStack(clients, o.stack);
    if (!stack) throw new CliError(`Stack ${o.stack} does not exist (in this account and Region). Check --stack and --region.`);
    const pipelines = findPipelines(stack.outputs);
    const pipeline = selectPipeline(stack.stackName, pipelines, o.pipeline);
    const outputs = tableOutputs(stack.outputs, pipeline.prefix, pipelines.map((p) => p.prefix));
    if (!outputs.databaseName || !outputs.workGroupName) {
      throw new CliError(`The pipeline ${pipeline.prefix || '(unnamed)'} in stack ${stack.stackName} has no table outputs (${TABLE_OUTPUT_IDS.databaseName}, ${TABLE_OUTPUT_IDS.workGroupName}). `
        + 'Give it a table (the construct\'s `table` prop) and deploy again.');
    }
    const database = o.database ?? outputs.databaseName;
    o.progress?.(`Athena workgroup ${outputs.workGroupName}, database ${database} (stack ${stack.stackName})`);

    let id: string;
    try {
      const started = await athena.send(new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: outputs.workGroupName,
        QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: database },
      }));
      id = started.QueryExecutionId ?? '';
    } catch (e) {
      throw athenaError(e, 'Starting the query');
    }
    if (id === '') throw new CliError('Athena returned no query execution id.');
    o.progress?.(`query ${id} started`);

    const stopQuery = () => athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).then(() => undefined, () => undefined);
    const release = o.onInterrupt?.(() => void stopQuery());
    let execution: QueryExecution | undefined;
    const now = o.now ?? Date.now;
    const deadline = now() + o.timeoutMs;
    let wait = 250;
    let last = '';
    try {
      for (;;) {
        try {
          execution = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
        } catch (e) {
          throw athenaError(e, `Reading query ${id}`);
        }
        const state = execution?.Status?.State ?? 'UNKNOWN';
        const line = `${state}${describeStats(execution)}`;
        if (line !== last) o.progress?.(line);
        last = line;
        if (TERMINAL.has(state)) break;
        if (now() > deadline) {
          await stopQuery();
          throw new CliError(`The query ran longer than --timeout (${Math.round(o.timeoutMs / 1000)} s); it was stopped (query ${id}).`);
        }
        await sleep(wait);
        wait = Math.min(2000, wait * 2);
      }
    } finally {
      release?.();
    }
    const state = execution?.Status?.State;
    if (state !== 'SUCCEEDED') {
      const reason = execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage ?? 'no reason given';
      throw new CliError(`Athena: ${state === 'CANCELLED' ? 'the query was cancelled' : reason} (query ${id})`);
    }
    return await readResults(athena, id, execution?.StatementType === 'DML');
  } finally {
    clients.destroy();
    if (!o.athena) athena.destroy();
  }
}

function describeStats(execution: QueryExecution | undefined): string {
  const stats = execution?.Statistics;
  if (!stats) return '';
  const parts: string[] = [];
  if (stats.TotalExecutionTimeInMillis !== undefined) parts.push(`${(stats.TotalExecutionTimeInMillis / 1000).toFixed(1)} s`);
  if (stats.DataScannedInBytes !== undefined) parts.push(`${(stats.DataScannedInBytes / 1e6).toFixed(2)} MB scanned`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** Every page of the results; a SELECT's first row repeats the column names and is left out. */
async function readResults(athena: AthenaClient, id: string, hasHeaderRow: boolean): Promise<QueryResult> {
  let token: string | undefined;
  let columns: Array<{ name: string; type: string }> | undefined;
  const rows: JsonValue[][] = [];
  let first = true;
  do {
    let page;
    try {
      page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 }));
    } catch (e) {
      throw athenaError(e, `Reading the results of query ${id}`);
    }
    columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({ name: c.Label ?? c.Name ?? '', type: c.Type ?? 'varchar' }));
    const pageRows = page.ResultSet?.Rows ?? [];
    for (const [i, row] of pageRows.entries()) {
      if (first && i === 0 && hasHeaderRow) continue;
      rows.push(columns.map((c, j) => cellValue(c.type, row.Data?.[j]?.VarCharValue)));
    }
    first = false;
    token = page.NextToken;
  } while (token);
  return { columns: columns ?? [], rows };
}

/** Athena's own message for a request it rejected (InvalidRequestException: the SQL), or the setup hint. */
function athenaError(e: unknown, what: string): Error {
  const err = e as { name?: string; message?: string };
  if (err?.name === 'InvalidRequestException') return new CliError(`Athena: ${err.message}`);
  const explained = explainAwsError(e, what);
  return explained instanceof CliError ? explained : new CliError(`${what}: ${explained.message}`);
}
