/**
 * Start-up cost: defining the commands (what `--help` needs) must not load a command's implementation. Each heavy
 * package is mocked to record that it was loaded (and then loads for real).
 */
import { join } from 'path';
import type { run as runCli } from '../../cli';

const mockLoaded: string[] = [];
jest.mock('mqtt', () => { mockLoaded.push('mqtt'); return jest.requireActual('mqtt'); });
jest.mock('@aws-sdk/client-cloudformation', () => { mockLoaded.push('@aws-sdk/client-cloudformation'); return jest.requireActual('@aws-sdk/client-cloudformation'); });
jest.mock('@aws-sdk/client-iot', () => { mockLoaded.push('@aws-sdk/client-iot'); return jest.requireActual('@aws-sdk/client-iot'); });
jest.mock('@aws-sdk/client-secrets-manager', () => { mockLoaded.push('@aws-sdk/client-secrets-manager'); return jest.requireActual('@aws-sdk/client-secrets-manager'); });
jest.mock('node-forge', () => { mockLoaded.push('node-forge'); return jest.requireActual('node-forge'); });

/** The CLI from a fresh module registry (beforeEach resets it), and what it printed. */
async function freshCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { run } = require('../../cli') as { run: typeof runCli };
  let out = '';
  let err = '';
  const code = await run(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, out, err };
}

beforeEach(() => {
  jest.resetModules();
  mockLoaded.length = 0;
});

test.each([
  [['--help']], [['publish', '--help']], [['doctor', '--help']], [['cost', '--help']], [['local', '--help']], [['local', 'certs', '--help']],
  [['simulate', '--help']],
  [['cost', '--devices', '1000', '--interval', '10s', '--payload', '300B']],
])('GIVEN %j THEN no AWS SDK client, mqtt or node-forge is loaded', async (args) => {
  // WHEN
  const { code } = await freshCli(...args);
  // THEN
  expect(code).toBe(0);
  expect(mockLoaded).toEqual([]);
});

test('GIVEN publish runs THEN mqtt and the AWS SDK load then (the check above can see them)', async () => {
  // WHEN
  const { code, err } = await freshCli('publish', '--endpoint', 'h', '--client-id', 'c', '--topic', 't');
  // THEN
  expect({ code, err }).toEqual({ code: 2, err: expect.stringContaining('No client certificate') });
  expect(mockLoaded).toEqual(expect.arrayContaining(['mqtt', '@aws-sdk/client-secrets-manager']));
});

test('GIVEN local certs runs THEN the runner (node-forge) loads then', async () => {
  // WHEN
  const { code, err } = await freshCli('local', 'certs', '--thing', 'not a thing name', '--out', join(__dirname, 'never-written'));
  // THEN
  expect(code).toBe(2);
  expect(err).toContain('--thing "not a thing name" is not a valid thing name');
  expect(mockLoaded).toContain('node-forge');
});
