/**
 * `cdk-iot-pipeline local --host`: a non-loopback address needs `--allow-remote`, and then prints a warning.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { isLoopback } from '../../../cli/commands/local';
import { cli } from '../support';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-local-host-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])('GIVEN %s THEN it is loopback', (host) => {
  expect(isLoopback(host)).toBe(true);
});

test.each(['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', 'my-laptop.local', '128.0.0.1', '127.0.0.1.example.com'])('GIVEN %s THEN it is not loopback', (host) => {
  expect(isLoopback(host)).toBe(false);
});

test('GIVEN a non-loopback --host without --allow-remote THEN a usage error says what to add, and nothing starts', async () => {
  // WHEN
  const { code, out, err } = await cli('local', '--data-dir', join(dir, 'data'), '--app', '/nonexistent/cdk.out', '--host', '0.0.0.0');
  // THEN
  expect(code).toBe(2);
  expect(out).toBe('');
  expect(err).toBe('error: --host 0.0.0.0 is not a loopback address: other machines could connect to the runner. Add --allow-remote to do that on purpose, or use --host 127.0.0.1.\n');
});

test('GIVEN a non-loopback --host with --allow-remote THEN a warning is printed before the runner starts', async () => {
  // WHEN (the assembly does not exist: the runner stops right after the check)
  const { code, err } = await cli('local', '--data-dir', join(dir, 'data'), '--app', '/nonexistent/cdk.out', '--host', '0.0.0.0', '--allow-remote');
  // THEN
  const lines = err.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^warning: listening on 0\.0\.0\.0 \(--allow-remote\): other machines can reach the local broker/);
  expect(lines[1]).toMatch(/is not a cloud assembly/);
  expect(code).toBe(1);
});
