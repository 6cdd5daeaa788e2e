/**
 * A minimal S3 API on loopback over the bucket folders, for Lambda functions that write to S3 themselves (a
 * parser in "direct" delivery mode): the runner points their SDK at it with `AWS_ENDPOINT_URL_S3`. Path-style
 * requests only (what the AWS SDKs use for an IP endpoint); signatures are not checked.
 *
 * Operations: PutObject (plain or `aws-chunked` bodies), GetObject, HeadObject, DeleteObject, HeadBucket,
 * CreateBucket (for known buckets). Anything else answers 501 NotImplemented.
 */
import { createHash } from 'crypto';
import { promises as fsp } from 'fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import type { FolderSink } from './sinks';
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

function xmlError(res: ServerResponse, status: number, code: string, message: string, resource: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource><RequestId>local</RequestId></Error>`);
}

/** The running API. */
export class LocalS3Api {
  public static async start(sink: FolderSink, buckets: ReadonlyMap<string, BucketRef>, log: Logger): Promise<LocalS3Api> {
    const api = new LocalS3Api(sink, buckets, log);
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

  private constructor(private readonly sink: FolderSink, private readonly buckets: ReadonlyMap<string, BucketRef>, private readonly log: Logger) {
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://local');
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const bucket = this.buckets.get(decodeURIComponent(bucketName));
    const key = rest.map(decodeURIComponent).join('/');
    const resource = `/${bucketName}/${key}`;
    if (!bucket) return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist (the local runner knows the buckets of the stack)', resource);
    const method = req.method ?? 'GET';
    if (key === '') {
      if (method === 'HEAD' || method === 'PUT') {
        res.writeHead(200);
        res.end();
        return;
      }
      return xmlError(res, 501, 'NotImplemented', `${method} on a bucket is not implemented by the local runner`, resource);
    }
    const path = this.sink.describe(bucket, key);
    switch (method) {
      case 'PUT': {
        let body: Buffer = Buffer.concat(chunks);
        if (String(req.headers['content-encoding'] ?? '').includes('aws-chunked') || String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')) {
          body = decodeAwsChunked(body);
        }
        await this.sink.put(bucket, key, body);
        this.log(`s3 api: PutObject ${path} (${body.length} bytes)`);
        res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
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
        res.writeHead(200, { 'content-length': data.length, 'etag': `"${createHash('md5').update(data).digest('hex')}"` });
        res.end(method === 'GET' ? data : undefined);
        return;
      }
      case 'DELETE':
        await fsp.rm(path, { force: true });
        res.writeHead(204);
        res.end();
        return;
      default:
        return xmlError(res, 501, 'NotImplemented', `${method} is not implemented by the local runner`, resource);
    }
  }
}
