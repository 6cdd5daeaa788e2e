/**
 * `cdk-iot-pipeline local` and `local certs` in-process: options, errors, and output through the injected Io.
 * Starting and stopping the runner (ready line, SIGTERM) is tested on the bundled CLI in test/local/process.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DEFAULT_DATA_DIR } from '../../../local';
import { cli } from '../support';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-local-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each([[['local', '--help']], [['local', 'certs', '--help']]])('GIVEN %j THEN the help names the runner\'s default data dir', async (args) => {
  // WHEN
  const { code, out } = await cli(...args);
  // THEN
  expect(code).toBe(0);
  expect(out.replace(/\s+/g, ' ')).toContain(`(default: ${DEFAULT_DATA_DIR})`);
});

describe('local certs', () => {
  test('GIVEN --data-dir after certs THEN the certificate is issued from that CA and the paths go to stdout', async () => {
    // WHEN
    const { code, out, err } = await cli('local', 'certs', '--thing', 'thing-1', '--out', join(dir, 'out-1'), '--data-dir', join(dir, 'data-1'));
    // THEN
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out.split('\n').map((line) => line.split(/\s+/)[0])).toEqual(['ca', 'cert', 'key', 'thing', 'id', '']);
    expect(out).toContain(`cert     ${join(dir, 'out-1', 'thing-1.cert.pem')}`);
    expect(out).toMatch(/^thing {4}thing-1$/m);
    expect(existsSync(join(dir, 'out-1', 'thing-1.key.pem'))).toBe(true);
    // AND the data dir it created (it holds the CA key) is the runner's: for the user only, kept out of git
    expect(statSync(join(dir, 'data-1')).mode % 0o1000).toBe(0o700);
    expect(readFileSync(join(dir, 'data-1', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  test('GIVEN --data-dir before certs (taken by local) THEN that data dir holds the CA', async () => {
    // WHEN
    const { code } = await cli('local', '--data-dir', join(dir, 'data-2'), 'certs', '--thing', 'thing-2', '--out', join(dir, 'out-2'));
    // THEN
    expect(code).toBe(0);
    expect(existsSync(join(dir, 'data-2'))).toBe(true);
    expect(existsSync(join(dir, DEFAULT_DATA_DIR))).toBe(false);
  });
});

describe('local certs status', () => {
  test('GIVEN issued certificates WHEN listed, set INACTIVE, ACTIVE, REVOKED THEN the registry follows and REVOKED is final', async () => {
    // GIVEN
    const data = join(dir, 'data-status');
    await cli('local', 'certs', '--thing', 'dev-a', '--out', join(dir, 'out-a'), '--data-dir', data);
    await cli('local', 'certs', '--thing', 'dev-b', '--out', join(dir, 'out-b'), '--data-dir', data);
    // WHEN listed
    const list = await cli('local', 'certs', 'status', '--data-dir', data);
    // THEN
    expect(list.code).toBe(0);
    expect(list.out.trim().split('\n').map((l) => l.split(/\s+/).slice(1, 3))).toEqual([['ACTIVE', 'dev-a'], ['ACTIVE', 'dev-b']]);
    const idA = list.out.split('\n')[0].split(/\s+/)[0];

    // WHEN set INACTIVE by thing (the option after status), then ACTIVE by an id prefix
    const inactive = await cli('local', 'certs', 'status', '--thing', 'dev-a', '--status', 'INACTIVE', '--data-dir', data);
    expect(inactive.code).toBe(0);
    expect(inactive.out).toMatch(/ INACTIVE +dev-a /);
    expect((await cli('local', 'certs', 'status', '--id', idA.slice(0, 10), '--status', 'ACTIVE', '--data-dir', data)).out).toMatch(/ ACTIVE +dev-a /);

    // WHEN revoked, then activated again
    expect((await cli('local', '--data-dir', data, 'certs', 'status', '--thing', 'dev-a', '--status', 'REVOKED')).code).toBe(0);
    const again = await cli('local', 'certs', 'status', '--thing', 'dev-a', '--status', 'ACTIVE', '--data-dir', data);
    // THEN refused, with what to do instead
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/is REVOKED, which AWS IoT makes final; issue a new certificate with `local certs --thing dev-a --out <dir>`/);
    expect((await cli('local', 'certs', 'status', '--thing', 'dev-b', '--data-dir', data)).out).toMatch(/ ACTIVE +dev-b /);
  });

  test.each<[string, string[], number, RegExp]>([
    ['--status without a selector', ['--status', 'REVOKED'], 2, /--status needs the certificate\(s\) to change: --thing <name>/],
    ['an unknown thing', ['--thing', 'nobody', '--status', 'INACTIVE'], 1, /no certificate issued by `local certs` in .* matches thing "nobody"/],
    ['an unknown status', ['--thing', 'x', '--status', 'DELETED'], 2, /argument 'DELETED' is invalid. Allowed choices are ACTIVE, INACTIVE, REVOKED/],
  ])('GIVEN %s THEN exit code %s and the message', async (_name, args, exitCode, message) => {
    const { code, err } = await cli('local', 'certs', 'status', '--data-dir', join(dir, 'data-status-errors'), ...args);
    expect(code).toBe(exitCode);
    expect(err).toMatch(message);
  });
});

describe('local: errors are one line on stderr', () => {
  test.each<[string, number, string[], string]>([
    ['no cloud assembly', 1, ['--app', '/nonexistent/cdk.out'], 'error: /nonexistent/cdk.out is not a cloud assembly: it has no manifest.json.'],
    ['a buffer interval over 900 s', 2, ['--app', '/nonexistent/cdk.out', '--buffer-interval', '1000s'], 'error: --buffer-interval 1000s is longer than Firehose\'s maximum of 900 seconds.'],
    ['a buffer interval that is no duration', 2, ['--buffer-interval', 'soon'], 'error: --buffer-interval "soon" is not a duration'],
    ['a port out of range', 2, ['--port', '70000'], 'error: --port 70000 is not a port number'],
    ['an S3 endpoint that is no URL', 2, ['--s3-endpoint', 'ftp://x'], 'error: --s3-endpoint ftp://x is not a URL'],
    ['a connection limit of 0', 2, ['--max-connections', '0'], 'error: --max-connections 0 is not a positive whole number of connections (default 10000).'],
  ])('GIVEN %s THEN exit code %s and the message', async (_name, exitCode, args, message) => {
    // WHEN
    const { code, out, err } = await cli('local', '--data-dir', join(dir, 'data-errors'), ...args);
    // THEN
    expect(code).toBe(exitCode);
    expect(out).toBe('');
    expect(err.startsWith(message)).toBe(true);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
  });
});
