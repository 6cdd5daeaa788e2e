/**
 * `query --stack`: Athena at the SDK boundary (aws-sdk-client-mock): the stack's table outputs pick the workgroup
 * and database, the query is started, polled until it ends (progress on stderr) and its results read page by page.
 */
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, GetQueryResultsOutput, QueryExecutionState, StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand, Output } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { runAthenaQuery, tableOutputs } from '../../../cli/query/athena';
import { cli } from '../support';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const athena = mockClient(AthenaClient);
const cfn = mockClient(CloudFormationClient);

const OUTPUTS: Output[] = [
  { OutputKey: 'PipelineThingNameOutput5D9ECC65', OutputValue: 'thing-1' },
  { OutputKey: 'PipelineDatabaseNameOutput1A2B3C4D', OutputValue: 'plant' },
  { OutputKey: 'PipelineTableNameOutput5E6F7A8B', OutputValue: 'telemetry' },
  { OutputKey: 'PipelineWorkGroupNameOutput9C0D1E2F', OutputValue: 'plant-telemetry' },
  // another pipeline in the same stack, whose prefix starts like the first one's
  { OutputKey: 'PipelineTwoThingNameOutputAAAAAAAA', OutputValue: 'thing-2' },
  { OutputKey: 'PipelineTwoDatabaseNameOutputBBBBBBBB', OutputValue: 'other' },
  { OutputKey: 'PipelineTwoWorkGroupNameOutputCCCCCCCC', OutputValue: 'other-wg' },
];
const stack = (outputs: Output[]) => ({
  Stacks: [{ StackName: 'Telemetry', StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Telemetry/x', StackStatus: 'CREATE_COMPLETE' as const, CreationTime: new Date(0), Outputs: outputs }],
});

const column = (Name: string, Type: string) => ({ Name, Label: Name, Type });
const row = (...values: Array<string | undefined>) => ({ Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })) });
const METADATA = { ColumnInfo: [column('device', 'varchar'), column('n', 'bigint'), column('t', 'double')] };
const PAGE_1: GetQueryResultsOutput = { ResultSet: { ResultSetMetadata: METADATA, Rows: [row('device', 'n', 't'), row('a', '2', '21.0')] }, NextToken: 'page-2' };
const PAGE_2: GetQueryResultsOutput = { ResultSet: { ResultSetMetadata: METADATA, Rows: [row('b', '2', '31.0'), row('c', '1', undefined)] } };

function executions(...states: QueryExecutionState[]): void {
  const mock = athena.on(GetQueryExecutionCommand);
  states.forEach((state, i) => {
    const out = {
      QueryExecution: {
        QueryExecutionId: 'q-1',
        StatementType: 'DML' as const,
        Status: { State: state, ...(state === 'FAILED' ? { StateChangeReason: 'COLUMN_NOT_FOUND: line 1:8: Column \'nope\' cannot be resolved' } : {}) },
        Statistics: { TotalExecutionTimeInMillis: 400 * (i + 1), DataScannedInBytes: 1_500_000 * i },
      },
    };
    if (i === states.length - 1) mock.resolves(out);
    else mock.resolvesOnce(out);
  });
}

beforeEach(() => {
  athena.reset();
  cfn.reset();
  cfn.on(DescribeStacksCommand).resolves(stack(OUTPUTS));
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined }).resolves(PAGE_1);
  athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'page-2' }).resolves(PAGE_2);
});

const options = (over: Partial<Parameters<typeof runAthenaQuery>[1]> = {}) => ({
  aws: { region: 'eu-west-1' }, stack: 'Telemetry', pipeline: 'Pipeline', timeoutMs: 60000, sleep: async () => undefined, ...over,
});

test('GIVEN a stack with two pipelines THEN each one\'s table outputs are its own', () => {
  const prefixes = ['Pipeline', 'PipelineTwo'];
  expect(tableOutputs(OUTPUTS, 'Pipeline', prefixes)).toEqual({ databaseName: 'plant', tableName: 'telemetry', workGroupName: 'plant-telemetry' });
  expect(tableOutputs(OUTPUTS, 'PipelineTwo', prefixes)).toEqual({ databaseName: 'other', workGroupName: 'other-wg' });
});

test('GIVEN a query that succeeds THEN it runs in the pipeline\'s workgroup and database, progress goes to stderr, and every page is read (header row once)', async () => {
  // GIVEN
  executions('QUEUED', 'RUNNING', 'SUCCEEDED');
  const progress: string[] = [];
  // WHEN
  const result = await runAthenaQuery('SELECT device, count(*) AS n, avg(temp) AS t FROM telemetry GROUP BY device', options({ progress: (l) => progress.push(l) }));
  // THEN
  expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input).toEqual({
    QueryString: 'SELECT device, count(*) AS n, avg(temp) AS t FROM telemetry GROUP BY device',
    WorkGroup: 'plant-telemetry',
    QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: 'plant' },
  });
  expect(result).toEqual({
    columns: [{ name: 'device', type: 'varchar' }, { name: 'n', type: 'bigint' }, { name: 't', type: 'double' }],
    rows: [['a', 2, 21], ['b', 2, 31], ['c', 1, null]],
  });
  expect(progress).toEqual([
    'Athena workgroup plant-telemetry, database plant (stack Telemetry)',
    'query q-1 started',
    'QUEUED (0.4 s, 0.00 MB scanned)',
    'RUNNING (0.8 s, 1.50 MB scanned)',
    'SUCCEEDED (1.2 s, 3.00 MB scanned)',
  ]);
  expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(2);
});

test('GIVEN --database THEN it is the query\'s database', async () => {
  executions('SUCCEEDED');
  await runAthenaQuery('SELECT 1', options({ database: 'elsewhere' }));
  expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input.QueryExecutionContext).toEqual({ Catalog: 'AwsDataCatalog', Database: 'elsewhere' });
});

test('GIVEN a query that runs past --timeout THEN it is stopped in Athena and the error says so', async () => {
  // GIVEN
  executions('RUNNING');
  athena.on(StopQueryExecutionCommand).resolves({});
  // WHEN
  let clock = 0;
  const failed = await runAthenaQuery('SELECT 1', options({ timeoutMs: 600000, now: () => clock, sleep: async () => { clock += 200000; } })).catch((e: unknown) => e);
  // THEN
  expect((failed as Error).message).toBe('The query ran longer than --timeout (600 s); it was stopped (query q-1).');
  expect(athena.commandCalls(StopQueryExecutionCommand)[0].args[0].input).toEqual({ QueryExecutionId: 'q-1' });
});

test('GIVEN an interrupt while the query runs THEN it is stopped in Athena', async () => {
  // GIVEN
  executions('RUNNING', 'CANCELLED');
  athena.on(StopQueryExecutionCommand).resolves({});
  let released = false;
  // WHEN
  const failed = await runAthenaQuery('SELECT 1', options({
    onInterrupt: (stop) => {
      stop();
      return () => { released = true; };
    },
  })).catch((e: unknown) => e);
  // THEN
  expect((failed as Error).message).toBe('Athena: the query was cancelled (query q-1)');
  expect(athena.commandCalls(StopQueryExecutionCommand)).toHaveLength(1);
  expect(released).toBe(true);
});

describe('through the CLI', () => {
  test('GIVEN a query that fails in Athena THEN exit 1 with Athena\'s reason on stderr, nothing on stdout, no stack trace', async () => {
    // GIVEN
    executions('RUNNING', 'FAILED');
    // WHEN
    const { code, out, err } = await cli('query', '--stack', 'Telemetry', '--pipeline', 'Pipeline', '--region', 'eu-west-1', '--quiet', 'SELECT nope FROM telemetry');
    // THEN
    expect({ code, out }).toEqual({ code: 1, out: '' });
    expect(err).toBe('error: Athena: COLUMN_NOT_FOUND: line 1:8: Column \'nope\' cannot be resolved (query q-1)\n');
  }, 20000);

  test('GIVEN SQL Athena rejects at once (InvalidRequestException) THEN exit 1 with its message', async () => {
    // GIVEN
    athena.on(StartQueryExecutionCommand).rejects(Object.assign(new Error('line 1:1: mismatched input \'SELEC\''), { name: 'InvalidRequestException' }));
    // WHEN
    const { code, err } = await cli('query', '--stack', 'Telemetry', '--pipeline', 'Pipeline', '--region', 'eu-west-1', 'SELEC 1');
    // THEN
    expect(code).toBe(1);
    expect(err).toContain('error: Athena: line 1:1: mismatched input \'SELEC\'\n');
  });

  test('GIVEN a query that succeeds THEN --json prints one array of row objects', async () => {
    // GIVEN
    executions('SUCCEEDED');
    // WHEN
    const { code, out, err } = await cli('query', '--stack', 'Telemetry', '--pipeline', 'Pipeline', '--region', 'eu-west-1', '--json', 'SELECT 1');
    // THEN
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([{ device: 'a', n: 2, t: 21 }, { device: 'b', n: 2, t: 31 }, { device: 'c', n: 1, t: null }]);
    expect(err).toContain('… SUCCEEDED');
  });

  test('GIVEN a pipeline without a table THEN exit 1 saying to give it one', async () => {
    // GIVEN
    cfn.on(DescribeStacksCommand).resolves(stack([OUTPUTS[0]]));
    // WHEN
    const { code, err } = await cli('query', '--stack', 'Telemetry', '--region', 'eu-west-1', 'SELECT 1');
    // THEN
    expect(code).toBe(1);
    expect(err).toContain('has no table outputs (DatabaseNameOutput, WorkGroupNameOutput). Give it a table (the construct\'s `table` prop) and deploy again.');
  });
});
