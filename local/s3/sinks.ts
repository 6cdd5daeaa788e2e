/**
 * Where objects are written: folders (`<data-dir>/s3/<bucket logical id>/<key>`, default) or any S3-compatible
 * server (`--s3-endpoint`, @aws-sdk/client-s3 with path-style addressing). A folder write is durable when it
 * returns: temp file, fsync, rename, fsync of the directory.
 */
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import { dirname, join, sep } from 'path';
import type { BucketRef } from '../assembly/model';

/** Writes objects. */
export interface ObjectSink {
  /** Human-readable location of an object (for logs). */
  describe(bucket: BucketRef, key: string): string;
  put(bucket: BucketRef, key: string, body: Buffer): Promise<void>;
  /** Prepares the buckets (creates folders / buckets). */
  prepare(buckets: BucketRef[]): Promise<void>;
  /** Releases connections (an S3 client's sockets). */
  close?(): void;
}

/**
 * Maps a key to a relative path that cannot leave the bucket folder (`.`/`..`/empty segments are escaped, and so
 * are the characters no file name may hold: `\` and NUL).
 */
export function keyToPath(key: string): string {
  return keyToSegments(key).join(sep);
}

function keyToSegments(key: string): string[] {
  return key.split('/').map((segment, i, all) => {
    if (segment === '' && i === all.length - 1) return '_';
    if (segment === '') return '%2F';
    if (segment === '.' || segment === '..') return segment.replace(/\./g, '%2E');
    return segment.replace(/\\/g, '%5C').replace(/\0/g, '%00');
  });
}

/**
 * The longest file or folder name the bucket folders hold, in bytes: 255 on the file systems the runner meets (ext4,
 * XFS, APFS; NTFS counts 255 UTF-16 units, which is never fewer than 255 UTF-8 bytes would need).
 */
export const MAX_SEGMENT_BYTES = 255;

/** A key the bucket folder cannot hold as a file (S3 would store it); nothing was written. */
export class KeyNotStorableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyNotStorableError';
  }
}

/** Throws KeyNotStorableError when a segment of the key's path is longer than a file name can be. */
export function checkStorableKey(key: string): void {
  for (const segment of keyToSegments(key)) {
    const bytes = Buffer.byteLength(segment, 'utf8');
    if (bytes > MAX_SEGMENT_BYTES) {
      throw new KeyNotStorableError(`the key segment "${segment.slice(0, 40)}…" is ${bytes} bytes; the local runner stores objects as files, whose names hold at most ${MAX_SEGMENT_BYTES} bytes, so keep every part of the key between slashes within ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
}

/** Buckets as folders. */
export class FolderSink implements ObjectSink {
  constructor(private readonly root: string) {}

  public bucketDir(bucket: BucketRef): string {
    return join(this.root, bucket.folder);
  }

  public describe(bucket: BucketRef, key: string): string {
    return join(this.bucketDir(bucket), keyToPath(key));
  }

  public async prepare(buckets: BucketRef[]): Promise<void> {
    for (const b of buckets) await fsp.mkdir(this.bucketDir(b), { recursive: true });
  }

  /**
   * Writes the object durably. A key the folder cannot hold fails before anything is created (KeyNotStorableError);
   * any other failure removes the temp file, so a failed write leaves no file behind.
   */
  public async put(bucket: BucketRef, key: string, body: Buffer): Promise<void> {
    checkStorableKey(key);
    const path = this.describe(bucket, key);
    const dir = dirname(path);
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (e) {
      throw storageError(e, key);
    }
    const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await fsp.open(tmp, 'w');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsp.rename(tmp, path);
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw storageError(e, key);
    }
    try {
      const d = await fsp.open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    } catch {
      // directories cannot be fsynced on every platform
    }
  }
}

/** A file-system refusal caused by the key (a path too long, a name the file system rejects) as KeyNotStorableError. */
function storageError(e: unknown, key: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENAMETOOLONG' || code === 'EINVAL' || code === 'EILSEQ' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new KeyNotStorableError(`the key "${key.slice(0, 80)}" cannot be stored as a file under the bucket folder (${code}: ${(e as Error).message}); the local runner keeps objects as files, so choose a key whose path the file system can hold`);
  }
  return e;
}

/** Buckets on an S3-compatible server. */
export class EndpointSink implements ObjectSink {
  private client: import('@aws-sdk/client-s3').S3Client | undefined;
  private sdk: typeof import('@aws-sdk/client-s3') | undefined;

  constructor(private readonly endpoint: string, private readonly region: string) {}

  public describe(bucket: BucketRef, key: string): string {
    return `${this.endpoint.replace(/\/$/, '')}/${bucket.endpointName}/${key}`;
  }

  public async prepare(buckets: BucketRef[]): Promise<void> {
    const { client, sdk } = await this.connect();
    for (const b of buckets) {
      try {
        await client.send(new sdk.HeadBucketCommand({ Bucket: b.endpointName }));
      } catch {
        try {
          await client.send(new sdk.CreateBucketCommand({ Bucket: b.endpointName }));
        } catch (e) {
          const name = (e as { name?: string }).name;
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
            throw new Error(`cannot create bucket ${b.endpointName} at ${this.endpoint}: ${(e as Error).message}`);
          }
        }
      }
    }
  }

  public async put(bucket: BucketRef, key: string, body: Buffer): Promise<void> {
    const { client, sdk } = await this.connect();
    await client.send(new sdk.PutObjectCommand({ Bucket: bucket.endpointName, Key: key, Body: body }));
  }

  public close(): void {
    this.client?.destroy();
    this.client = undefined;
  }

  private async connect(): Promise<{ client: import('@aws-sdk/client-s3').S3Client; sdk: typeof import('@aws-sdk/client-s3') }> {
    if (!this.client || !this.sdk) {
      // Loaded on demand: the SDK is only needed with --s3-endpoint.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      this.sdk = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
      const hasCredentials = process.env.AWS_ACCESS_KEY_ID !== undefined || process.env.AWS_PROFILE !== undefined;
      this.client = new this.sdk.S3Client({
        endpoint: this.endpoint,
        forcePathStyle: true,
        region: this.region,
        ...(hasCredentials ? {} : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      });
    }
    return { client: this.client, sdk: this.sdk };
  }
}
