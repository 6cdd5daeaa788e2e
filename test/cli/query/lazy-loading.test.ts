/**
 * What `query` loads: `--help` loads no engine; a local query loads neither the Athena client nor the runner
 * (aedes, node-forge) nor MQTT; an Athena query loads the Athena client but not DuckDB.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import type { run as runCli } from '../../../cli';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const mockLoaded: string[] = [];
jest.mock('@duckdb/node-api', () => { mockLoaded.push('@duckdb/node-api'); return jest.requireActual('@duckdb/node-api'); });
jest.mock('@aws-sdk/client-athena', () => { mockLoaded.push('@aws-sdk/client-athena'); return jest.requireActual('@aws-sdk/client-athena'); });
jest.mock('aedes', () => { mockLoaded.push('aedes'); return {}; });
jest.mock('node-forge', () => { mockLoaded.push('node-forge'); return jest.requireActual('node-forge'); });
jest.mock('mqtt', () => { mockLoaded.push('mqtt'); return jest.requireActual('mqtt'); });

async function freshCli(...args: string[]): Promise<{ code: number; err: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { run } = require('../../../cli') as { run: typeof runCli };
  let err = '';
  const code = await run(args, { stdout: () => undefined, stderr: (t) => { err += t; } });
  return { code, err };
}

beforeEach(() => {
  jest.resetModules();
  mockLoaded.length = 0;
});

test('GIVEN query --help THEN no engine loads', async () => {
  expect((await freshCli('query', '--help')).code).toBe(0);
  expect(mockLoaded).toEqual([]);
});

test('GIVEN a local query THEN neither the Athena client nor the runner nor MQTT loads', async () => {
  // a directory that is no assembly: the command fails after choosing the engine, before reading data
  const { code, err } = await freshCli('query', '--app', __dirname, 'SELECT 1');
  expect({ code, err }).toEqual({ code: 2, err: expect.stringContaining('is not a cloud assembly') });
  expect(mockLoaded).toEqual([]);
});

test('GIVEN an Athena query THEN the Athena client loads, and not DuckDB', async () => {
  // GIVEN (the SDK module registry is fresh: mock the client the CLI will load)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cfn = mockClient((require('@aws-sdk/client-cloudformation') as { CloudFormationClient: typeof CloudFormationClient }).CloudFormationClient);
  cfn.onAnyCommand().rejects(new Error('Stack with id Nope does not exist'));
  // WHEN
  const { code, err } = await freshCli('query', '--stack', 'Nope', '--region', 'eu-west-1', 'SELECT 1');
  // THEN
  expect({ code, err }).toEqual({ code: 1, err: 'error: Stack Nope does not exist (in this account and Region). Check --stack and --region.\n' });
  expect(mockLoaded).toContain('@aws-sdk/client-athena');
  expect(mockLoaded).not.toContain('@duckdb/node-api');
});
