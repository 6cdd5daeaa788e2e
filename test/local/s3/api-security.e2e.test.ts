/**
 * The loopback S3 API trusts no caller: a foreign Host, an unsigned request or one signed with other keys gets S3's
 * 403; values in its XML errors are escaped; every response forbids sniffing and script; the run's own keys (what
 * the functions get) work through the real AWS SDK; keys S3 or the folder cannot take fail cleanly and leave nothing.
 */
import { execFile } from 'child_process';
import { createHash, createHmac } from 'crypto';
import { readdirSync } from 'fs';
import { request } from 'http';
import { join } from 'path';
import { promisify } from 'util';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
// The AWS SDK's own signer (a dependency of @aws-sdk/client-s3), to presign URLs as an SDK would.
// eslint-disable-next-line import/no-extraneous-dependencies
import { SignatureV4 } from '@smithy/signature-v4';
import type { BucketRef } from '../../../local/assembly/model';
import { LocalS3Api } from '../../../local/s3/api';
import { randomRunCredentials, RunCredentials } from '../../../local/s3/sigv4';
import { FolderSink } from '../../../local/s3/sinks';
import { venvTool } from '../../support/venv';
import { cleanup, tempDir } from '../helpers';

const BUCKET: BucketRef = { name: 'ParsedBucket', folder: 'ParsedBucket', endpointName: 'parsedbucket' };

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A raw HTTP request to the API (no SDK, so nothing is signed unless the test signs it). */
function send(endpoint: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: url.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A presigned GET URL (path and query) for bucket/key, signed by the SDK's signer with `keys`. */
async function presignedGet(endpoint: string, keys: RunCredentials, bucket: string, key: string): Promise<URL> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({ credentials: keys, region: 'eu-west-1', service: 's3', sha256: Sha256, uriEscapePath: false });
  const path = `/${bucket}/${key.split('/').map((s) => encodeURIComponent(s)).join('/')}`;
  const signed = await signer.presign(
    // S3's presigned URLs sign UNSIGNED-PAYLOAD (what @aws-sdk/s3-request-presigner sets); the header itself is not sent.
    { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path, query: {}, headers: { 'host': url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
    { expiresIn: 60, unsignableHeaders: new Set(['x-amz-content-sha256']) },
  );
  const query = Object.entries(signed.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  return new URL(`${endpoint}${signed.path}?${query}`);
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** SHA-256 for the signer (the Checksum interface over node:crypto). */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  public update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  public async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  public reset(): void {}
}

function client(endpoint: string, credentials: RunCredentials): S3Client {
  return new S3Client({ endpoint, forcePathStyle: true, region: 'eu-west-1', credentials, maxAttempts: 1 });
}

/** Every file under a folder, recursively, as paths relative to it. */
/** Puts the body under the key of the test bucket and returns what a GET of that key answers. */
async function putAndRead(s3: S3Client, key: string, body: string): Promise<string> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET.name, Key: key, Body: body }));
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET.name, Key: key }));
  return got.Body!.transformToString();
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

let dir: string;
let api: LocalS3Api;
let credentials: RunCredentials;
let port: string;

beforeAll(async () => {
  dir = tempDir('s3-api');
  const sink = new FolderSink(dir);
  await sink.prepare([BUCKET]);
  credentials = randomRunCredentials();
  api = await LocalS3Api.start(sink, new Map([[BUCKET.name, BUCKET]]), () => undefined, credentials);
  port = new URL(api.endpoint).port;
});

afterAll(async () => {
  await api.close();
  cleanup(dir);
});

describe('who may call', () => {
  test('GIVEN a foreign Host (a rebound DNS name) WHEN a request arrives THEN 403 AccessDenied, whatever it carries', async () => {
    const answer = await send(api.endpoint, 'GET', '/ParsedBucket/x', { host: `attacker.example:${port}` });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('<Code>AccessDenied</Code>');
    expect(answer.body).toContain('answers only Host 127.0.0.1:&lt;port&gt; or localhost:&lt;port&gt;');
  });

  test('GIVEN the right port on another loopback name or port WHEN a request arrives THEN 403', async () => {
    expect((await send(api.endpoint, 'GET', '/ParsedBucket/x', { host: `127.0.0.1:${Number(port) + 1}` })).status).toBe(403);
    expect((await send(api.endpoint, 'GET', '/ParsedBucket/x', { host: '127.0.0.1' })).status).toBe(403);
  });

  test('GIVEN an unsigned request WHEN it reads or writes THEN 403 AccessDenied and nothing is written', async () => {
    const get = await send(api.endpoint, 'GET', '/ParsedBucket/x', { host: `127.0.0.1:${port}` });
    expect(get.status).toBe(403);
    expect(get.body).toContain('<Code>AccessDenied</Code>');
    const put = await send(api.endpoint, 'PUT', '/ParsedBucket/unsigned', { 'host': `localhost:${port}`, 'content-length': '5' }, Buffer.from('hello'));
    expect(put.status).toBe(403);
    expect(filesUnder(join(dir, BUCKET.folder))).not.toContain('unsigned');
  });

  test('GIVEN a request signed with another access key id WHEN it arrives THEN 403 InvalidAccessKeyId naming that id', async () => {
    const other = client(api.endpoint, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: credentials.secretAccessKey });
    await expect(other.send(new PutObjectCommand({ Bucket: 'ParsedBucket', Key: 'k', Body: 'x' }))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
      $metadata: { httpStatusCode: 403 },
    });
    other.destroy();
  });

  test('GIVEN the run\'s access key id with a wrong secret WHEN it arrives THEN 403 SignatureDoesNotMatch', async () => {
    const forged = client(api.endpoint, { accessKeyId: credentials.accessKeyId, secretAccessKey: 'not-the-secret' });
    await expect(forged.send(new GetObjectCommand({ Bucket: 'ParsedBucket', Key: 'k' }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    forged.destroy();
  });

  test('GIVEN the run\'s credentials WHEN the AWS SDK puts, gets and deletes THEN it works (header signatures)', async () => {
    const s3 = client(api.endpoint, credentials);
    expect(await putAndRead(s3, 'parsed/year=2026/a b+c.json', '{"a":1}')).toBe('{"a":1}');
    await s3.send(new DeleteObjectCommand({ Bucket: 'ParsedBucket', Key: 'parsed/year=2026/a b+c.json' }));
    expect(filesUnder(join(dir, BUCKET.folder))).not.toContain(join('parsed', 'year=2026', 'a b+c.json'));
    s3.destroy();
  });

  test('GIVEN a presigned URL of the run\'s credentials WHEN fetched THEN served; tampered THEN 403', async () => {
    const s3 = client(api.endpoint, credentials);
    await s3.send(new PutObjectCommand({ Bucket: 'ParsedBucket', Key: 'presigned.txt', Body: 'via query' }));
    const url = await presignedGet(api.endpoint, credentials, 'ParsedBucket', 'presigned.txt');
    const ok = await send(api.endpoint, 'GET', url.pathname + url.search, { host: url.host });
    expect(ok.body).toBe('via query');
    expect(ok.status).toBe(200);
    const tampered = await send(api.endpoint, 'GET', url.pathname.replace('presigned', 'other') + url.search, { host: url.host });
    expect(tampered.status).toBe(403);
    expect(tampered.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    s3.destroy();
  });
});

describe('what it answers', () => {
  test('GIVEN a <script> path WHEN the error names it THEN the XML holds it escaped, with nosniff and a sandbox CSP', async () => {
    const answer = await send(api.endpoint, 'GET', '/nobucket/%3Cscript%3Ealert(1)%3C/script%3E', { host: `127.0.0.1:${port}` });
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain('<script>');
    expect(answer.body).toContain('&lt;script&gt;');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
  });

  test('GIVEN a signed request for a <script> key in an unknown bucket WHEN answered THEN the Resource is escaped', async () => {
    const s3 = client(api.endpoint, credentials);
    const url = await presignedGet(api.endpoint, credentials, 'nobucket', '<script>alert("x")</script>');
    const answer = await send(api.endpoint, 'GET', url.pathname + url.search, { host: url.host });
    expect(answer.status).toBe(404);
    expect(answer.body).toContain('<Code>NoSuchBucket</Code>');
    expect(answer.body).toContain('<Resource>/nobucket/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</Resource>');
    expect(answer.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    s3.destroy();
  });

  test('GIVEN a served object WHEN answered THEN it carries nosniff and the sandbox CSP too', async () => {
    const s3 = client(api.endpoint, credentials);
    await s3.send(new PutObjectCommand({ Bucket: 'ParsedBucket', Key: 'page.html', Body: '<script>alert(1)</script>', ContentType: 'text/html' }));
    const url = await presignedGet(api.endpoint, credentials, 'ParsedBucket', 'page.html');
    const answer = await send(api.endpoint, 'GET', url.pathname + url.search, { host: url.host });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/octet-stream');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    s3.destroy();
  });
});

describe('keys', () => {
  test('GIVEN a key of 1,025 UTF-8 bytes WHEN put THEN S3\'s KeyTooLongError and nothing written; 1,024 bytes are fine', async () => {
    const s3 = client(api.endpoint, credentials);
    const before = filesUnder(join(dir, BUCKET.folder)).length;
    const tooLong = `k/${'é'.repeat(200)}/${'x'.repeat(1025 - 2 - 400 - 1)}`;
    expect(Buffer.byteLength(tooLong)).toBe(1025);
    await expect(s3.send(new PutObjectCommand({ Bucket: 'ParsedBucket', Key: tooLong, Body: 'x' }))).rejects.toMatchObject({
      name: 'KeyTooLongError',
      $metadata: { httpStatusCode: 400 },
    });
    expect(filesUnder(join(dir, BUCKET.folder))).toHaveLength(before);
    const longest = `${`${'a'.repeat(200)}/`.repeat(5)}${'é'.repeat(9)}x`;
    expect(Buffer.byteLength(longest)).toBe(1024);
    await s3.send(new PutObjectCommand({ Bucket: 'ParsedBucket', Key: longest, Body: 'x' }));
    s3.destroy();
  });

  test('GIVEN a key segment over 255 bytes WHEN put THEN an S3-shaped 400 saying what to change, and no file or .tmp left', async () => {
    const s3 = client(api.endpoint, credentials);
    const before = filesUnder(join(dir, BUCKET.folder));
    for (const key of [`seg/${'a'.repeat(300)}`, `${'b'.repeat(256)}/file.json`]) {
      await expect(s3.send(new PutObjectCommand({ Bucket: 'ParsedBucket', Key: key, Body: 'x' }))).rejects.toMatchObject({
        name: 'InvalidArgument',
        message: expect.stringMatching(/at most 255 bytes/),
        $metadata: { httpStatusCode: 400 },
      });
    }
    expect(filesUnder(join(dir, BUCKET.folder))).toEqual(before);
    // Such a key was never stored: reading it is NoSuchKey, deleting it succeeds as for any missing key.
    await expect(s3.send(new GetObjectCommand({ Bucket: 'ParsedBucket', Key: `seg/${'a'.repeat(300)}` }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    await s3.send(new DeleteObjectCommand({ Bucket: 'ParsedBucket', Key: `seg/${'a'.repeat(300)}` }));
    s3.destroy();
  });

  test('GIVEN a key with NUL WHEN put THEN stored under an escaped name and read back, nothing else left', async () => {
    const s3 = client(api.endpoint, credentials);
    expect(await putAndRead(s3, 'nul/a\u0000b', 'nul')).toBe('nul');
    expect(filesUnder(join(dir, BUCKET.folder, 'nul'))).toEqual(['a%00b']);
    s3.destroy();
  });
});

describe('boto3 (Python parsers in direct delivery)', () => {
  test('GIVEN the run\'s credentials in the environment WHEN boto3 puts, gets and presigns (Version 4) THEN all work; a Version 2 URL gets S3\'s 400 InvalidRequest', async () => {
    const key = 'py/year=2026/a b+c~d.json';
    // Asynchronously: the API answers from this process.
    const result = await promisify(execFile)(venvTool('python'), [join(__dirname, 'boto3_client.py'), 'ParsedBucket', key], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_ENDPOINT_URL_S3: api.endpoint,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGION: 'eu-west-1',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_CONFIG_FILE: '/dev/null',
      },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(result.stderr).toBe('');
    const { body, presigned, presignedV2 } = JSON.parse(result.stdout) as { body: string; presigned: string; presignedV2: string };
    expect(body).toBe('from boto3');
    const url = new URL(presigned);
    const answer = await send(api.endpoint, 'GET', url.pathname + url.search, { host: url.host });
    expect(answer.body).toBe('from boto3');
    const v2 = new URL(presignedV2);
    expect(v2.searchParams.has('AWSAccessKeyId')).toBe(true);
    const refused = await send(api.endpoint, 'GET', v2.pathname + v2.search, { host: v2.host });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('<Code>InvalidRequest</Code>');
  });
});
