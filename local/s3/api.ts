/**
 * A minimal S3 API on loopback over the bucket folders, for Lambda functions that write to S3 themselves (a
 * parser in "direct" delivery mode): the runner points their SDK at it with `AWS_ENDPOINT_URL_S3`. Path-style
 * requests only (what the AWS SDKs use for an IP endpoint).
 *
 * It trusts no caller: a web page that finds the port (a scan, DNS rebinding) must not read or write the buckets.
 * - Only `Host: 127.0.0.1:<port>` or `localhost:<port>` is answered (403 otherwise: a rebound DNS name is refused).
 * - Only requests signed (Signature Version 4, header or presigned URL, sigv4.ts) with the run's own random
 *   credentials, which only the functions the runner starts receive, are served (403 AccessDenied,
 *   InvalidAccessKeyId, SignatureDoesNotMatch, as S3 answers).
 * - Every value written into an XML error is escaped; every response says `X-Content-Type-Options: nosniff` and
 *   `Content-Security-Policy: sandbox; default-src 'none'`, so no browser renders or runs what it returns.
 * - A key over 1,024 bytes (UTF-8) gets S3's KeyTooLongError
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html: "up to 1,024 bytes long"); a key the
 *   bucket folder cannot hold as a file gets an S3-shaped error, and a failed PUT leaves no file behind (sinks.ts).
 *
 * Operations: PutObject (plain or `aws-chunked` bodies), GetObject, HeadObject, DeleteObject, HeadBucket,
 * CreateBucket (for known buckets). Anything else answers 501 NotImplemented.
 */
import { createHash } from 'crypto';
import { promises as fsp } from 'fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { payloadMismatch, RunCredentials, verifySignature } from './sigv4';
import { checkStorableKey, FolderSink, KeyNotStorableError } from './sinks';
import type { BucketRef } from '../assembly/model';
import type { Logger } from '../firehose/delivery-stream';

/** Decodes an `aws-chunked` body: `<hex size>[;chunk-signature=...]\r\n<data>\r\n ... 0\r\n[trailers]\r\n`. */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < body.length) {
    const eol = body.indexOf('\r\n', pos);
    if (eol < 0) break;
    const size = parseInt(body.subarray(pos, eol).toString('latin1').split(';')[0], 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** S3's limit on an object key (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). */
export const MAX_KEY_BYTES = 1024;

/** Headers on every response: never sniffed as HTML, never rendered with script (a browser that reaches the port). */
export const SAFE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'",
} as const;

/** Escapes a value for XML text (the five predefined entities). */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** An S3 error document (`<Error><Code>…`), every value escaped. */
export function errorXml(code: string, message: string, resource: string, extra: Record<string, string> = {}): string {
  const fields = { Code: code, Message: message, Resource: resource, ...extra, RequestId: 'local' };
  const body = Object.entries(fields).map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${body}</Error>`;
}

function xmlError(res: ServerResponse, status: number, code: string, message: string, resource: string, extra?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { ...SAFE_HEADERS, 'content-type': 'application/xml' });
  res.end(errorXml(code, message, resource, extra));
}

function storable(key: string): boolean {
  try {
    checkStorableKey(key);
    return true;
  } catch {
    return false;
  }
}

function decodeOrRaw(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The HTTP status S3 answers each signature failure with. */
const SIGNATURE_STATUS: Record<string, number> = {
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  XAmzContentSHA256Mismatch: 400,
  InvalidRequest: 400,
};

/** The running API. */
export class LocalS3Api {
  /** Listens on a free port of 127.0.0.1; only requests signed with `credentials` are served. */
  public static async start(
    sink: FolderSink,
    buckets: ReadonlyMap<string, BucketRef>,
    log: Logger,
    credentials: RunCredentials,
  ): Promise<LocalS3Api> {
    const api = new LocalS3Api(sink, buckets, log, credentials);
    await new Promise<void>((resolve, reject) => {
      api.server.once('error', reject);
      api.server.listen(0, '127.0.0.1', () => {
        api.server.off('error', reject);
        resolve();
      });
    });
    return api;
  }

  private readonly server: Server;

  private constructor(
    private readonly sink: FolderSink,
    private readonly buckets: ReadonlyMap<string, BucketRef>,
    private readonly log: Logger,
    private readonly credentials: RunCredentials,
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => xmlError(res, 500, 'InternalError', String((e as Error).message), req.url ?? ''));
    });
    this.server.unref();
  }

  /** `http://127.0.0.1:<port>`. */
  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops listening and closes the connections (functions' SDK clients keep theirs alive). */
  public async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** The Host values the API answers: its own address, by IP or as localhost. */
  private allowedHost(host: string | undefined): boolean {
    const port = (this.server.address() as AddressInfo).port;
    const h = (host ?? '').toLowerCase();
    return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawPath = (req.url ?? '/').split('?')[0];
    const shownPath = decodeOrRaw(rawPath); // as S3 names the resource (escaped when written into XML)
    if (!this.allowedHost(req.headers.host)) {
      req.resume();
      return xmlError(res, 403, 'AccessDenied', 'Access Denied: the local runner\'s S3 API answers only Host 127.0.0.1:<port> or localhost:<port>', shownPath);
    }
    const signed = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    let refused = verifySignature(signed, this.credentials);
    if (refused) req.resume(); // the body of a refused request is never buffered
    let raw = Buffer.alloc(0);
    if (!refused) {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      raw = Buffer.concat(chunks);
      refused = payloadMismatch(signed, raw);
    }
    if (refused) {
      this.log(`s3 api: ${req.method} ${rawPath} refused: ${refused.code}`);
      return xmlError(res, SIGNATURE_STATUS[refused.code] ?? 403, refused.code, refused.message, shownPath,
        refused.code === 'InvalidAccessKeyId' && refused.accessKeyId ? { AWSAccessKeyId: refused.accessKeyId } : {});
    }
    let bucketName: string;
    let key: string;
    try {
      const [, first = '', ...rest] = rawPath.split('/');
      bucketName = decodeURIComponent(first);
      key = rest.map(decodeURIComponent).join('/');
    } catch {
      return xmlError(res, 400, 'InvalidURI', 'Couldn\'t parse the specified URI.', rawPath);
    }
    const resource = `/${bucketName}/${key}`;
    if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
      return xmlError(res, 400, 'KeyTooLongError', 'Your key is too long', resource);
    }
    const bucket = this.buckets.get(bucketName);
    if (!bucket) return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist (the local runner knows the buckets of the stack)', resource);
    const method = req.method ?? 'GET';
    if (key === '') {
      if (method === 'HEAD' || method === 'PUT') {
        res.writeHead(200, SAFE_HEADERS);
        res.end();
        return;
      }
      return xmlError(res, 501, 'NotImplemented', `${method} on a bucket is not implemented by the local runner`, resource);
    }
    const path = this.sink.describe(bucket, key);
    switch (method) {
      case 'PUT': {
        let body: Buffer = raw;
        if (String(req.headers['content-encoding'] ?? '').includes('aws-chunked') || String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')) {
          body = decodeAwsChunked(body);
        }
        try {
          await this.sink.put(bucket, key, body);
        } catch (e) {
          if (e instanceof KeyNotStorableError) return xmlError(res, 400, 'InvalidArgument', e.message, resource);
          throw e;
        }
        this.log(`s3 api: PutObject ${path} (${body.length} bytes)`);
        res.writeHead(200, { ...SAFE_HEADERS, etag: `"${createHash('md5').update(body).digest('hex')}"` });
        res.end();
        return;
      }
      case 'GET':
      case 'HEAD': {
        let data: Buffer;
        try {
          data = await fsp.readFile(path);
        } catch {
          return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', resource);
        }
        res.writeHead(200, { ...SAFE_HEADERS, 'content-type': 'application/octet-stream', 'content-length': data.length, 'etag': `"${createHash('md5').update(data).digest('hex')}"` });
        res.end(method === 'GET' ? data : undefined);
        return;
      }
      case 'DELETE':
        // A key the folder cannot hold was never stored: deleting it is deleting a missing key (204, as S3).
        if (storable(key)) await fsp.rm(path, { force: true });
        res.writeHead(204, SAFE_HEADERS);
        res.end();
        return;
      default:
        return xmlError(res, 501, 'NotImplemented', `${method} is not implemented by the local runner`, resource);
    }
  }
}
