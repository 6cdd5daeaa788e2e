/**
 * The shipped CLI (`assets/cli/`, `npx projen bundle:cli`) with the payload options: cbor-x and @bufbuild/protobuf work
 * from their own vendor files, and only the option that needs one reads it.
 */
import { join } from 'path';
import { useShippedCli } from '../../support/shipped-cli';

const DESCRIPTOR_SET = join(__dirname, '..', '..', 'fixtures', 'protobuf', 'telemetry.binpb');
/** Options that get publish as far as the certificate check, after the payload was built and checked. */
const NO_CERTIFICATE = ['--endpoint', 'h', '--client-id', 'c', '--topic', 't'];

const cli = useShippedCli('cli-publish-bundle-');
const run = cli.run;

test('GIVEN publish --help THEN it lists the payload options and reads the program file only', () => {
  // WHEN
  const r = run('publish', '--help');
  // THEN
  expect(r.code).toBe(0);
  for (const option of ['--raw <text>', '--payload-file <file>', '--cbor', '--protobuf', '--descriptor-set <file>', '--message-type <name>']) {
    expect(r.stdout).toContain(option);
  }
  expect(r.loaded).toEqual(['index.js']);
});

test('GIVEN publish with JSON or --raw THEN neither vendor/cbor.js nor vendor/protobuf.js is read', () => {
  // WHEN
  const json = run('publish', ...NO_CERTIFICATE);
  const raw = run('publish', '--raw', 'temp={{random}}', ...NO_CERTIFICATE);
  // THEN
  for (const r of [json, raw]) {
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No client certificate');
    expect(r.loaded).not.toContain('vendor/cbor.js');
    expect(r.loaded).not.toContain('vendor/protobuf.js');
  }
});

test('GIVEN publish --cbor THEN the message is encoded from vendor/cbor.js (and protobuf is not read)', () => {
  // WHEN
  const r = run('publish', '--cbor', ...NO_CERTIFICATE);
  // THEN it got past the payload check to the certificate check
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('No client certificate');
  expect(r.loaded).toContain('vendor/cbor.js');
  expect(r.loaded).not.toContain('vendor/protobuf.js');
});

test('GIVEN publish --protobuf with a field the message lacks THEN the error comes from vendor/protobuf.js and names the field', () => {
  // WHEN
  const r = run('publish', '--protobuf', '--descriptor-set', DESCRIPTOR_SET, '--message-type', 'factory.v1.Telemetry', '--template', '{"seq": 1, "pressure": 2}', ...NO_CERTIFICATE);
  // THEN
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('The message does not fit factory.v1.Telemetry: cannot decode message factory.v1.Telemetry from JSON: key "pressure" is unknown');
  expect(r.loaded).toContain('vendor/protobuf.js');
  expect(r.loaded).not.toContain('vendor/cbor.js');
});
