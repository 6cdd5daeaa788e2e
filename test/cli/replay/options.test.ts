/**
 * `cdk-iot-pipeline replay`: options that cannot work are refused before anything is read, with what to change,
 * exit code 2 and no stack trace.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { cleanup, tempDir } from '../../local/helpers';
import { cli } from '../support';

describe('cdk-iot-pipeline replay: option errors', () => {
  let dir: string;
  let app: string;
  let data: string;

  beforeAll(() => {
    dir = tempDir('replay-options');
    app = join(dir, 'cdk.out');
    data = join(dir, 'data');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'manifest.json'), '{}');
    mkdirSync(join(data, 's3'), { recursive: true });
  });
  afterAll(() => cleanup(dir));

  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown source', ['--source', 'parsed'], /--source parsed: replay one of processing-failed, raw/],
    ['raw without --output-prefix', ['--source', 'raw'], /--source raw .* give --output-prefix under backfill\//],
    ['--from after --to', ['--source', 'processing-failed', '--from', '2026-03-04T06', '--to', '2026-03-04T05'], /--from 2026-03-04T06 is after --to 2026-03-04T05; swap them/],
    ['a time that is not an ISO hour', ['--source', 'processing-failed', '--from', 'yesterday'], /--from must be an hour in ISO 8601 UTC such as "2026-03-04T05"/],
    ['an hour that does not exist', ['--source', 'processing-failed', '--to', '2026-02-30T05'], /--to: "2026-02-30T05" is not a date and hour that exists/],
  ];

  test.each(cases)('GIVEN %s WHEN replaying locally THEN exit 2 with what to change', async (_what, args, message) => {
    // WHEN
    const { code, out, err } = await cli('replay', '--app', app, '--data-dir', data, ...args);
    // THEN
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /);
  });

  test('GIVEN neither --app/--data-dir nor --stack THEN it asks where to run', async () => {
    const { code, err } = await cli('replay', '--source', 'processing-failed');
    expect(code).toBe(2);
    expect(err).toMatch(/Locally: --app <cdk.out> --data-dir <runner data dir>; in AWS: --stack <stack>/);
  });

  test('GIVEN --app without --data-dir THEN it asks for both', async () => {
    const { code, err } = await cli('replay', '--source', 'processing-failed', '--app', app);
    expect(code).toBe(2);
    expect(err).toMatch(/needs both --app <cdk.out> .* and --data-dir <dir>/);
  });

  test('GIVEN a data dir without bucket folders THEN it names the --data-dir to pass', async () => {
    const { code, err } = await cli('replay', '--source', 'processing-failed', '--app', app, '--data-dir', dir);
    expect(code).toBe(2);
    expect(err).toMatch(/holds no bucket folders \(no s3\/\)/);
  });
});
