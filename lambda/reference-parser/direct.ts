/**
 * Direct-to-S3 delivery: one gzipped object per invocation (per partition-key set), named so that a retry of
 * the same batch overwrites the object instead of adding a duplicate.
 *
 * Object key: `<prefix>[<k>=<v>/…]yyyy/MM/dd/HH/yyyyMMddTHHmmssZ-<hash><extension>`, where the time is the UTC
 * `approximateArrivalTimestamp` of the invocation's first record and `<hash>` is SHA-256 (first 32 hex digits)
 * over the delivery stream ARN and the recordIds written to the object, in order.
 *
 * Why not `invocationId`: the Firehose documentation does not say that a retried invocation keeps its
 * invocationId (it only documents that the batch is re-invoked, 3 times by default), while recordIds are
 * the ids of the buffered source records that the retry re-sends, and the response must echo them. A key
 * built from them (plus the arrival time of the first record, also a property of the records) is the same for
 * every attempt at the same batch. If Firehose ever re-batched records differently on a retry, the new
 * object would hold a different set of records under a different name — a duplicate, never a loss; Firehose
 * delivery is at-least-once anyway.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
// The AWS SDK is provided by the Lambda runtime (external to the bundle); these are type-only imports.
// eslint-disable-next-line import/no-extraneous-dependencies
import type { PutObjectCommand, PutObjectCommandInput } from '@aws-sdk/client-s3';
import type { Sink, SinkGroup, SinkInvocation } from '../toolkit';

/** The part of an S3 client the sink uses (`S3Client` fits; tests fake it at `send`). */
export interface PutObjectSender {
  send(command: PutObjectCommand): Promise<unknown>;
}

export interface DirectSinkOptions {
  readonly client: PutObjectSender;
  /** The SDK's PutObjectCommand class. */
  readonly putObjectCommand: new (input: PutObjectCommandInput) => PutObjectCommand;
  readonly bucket: string;
  readonly prefix: string;
  /** e.g. `.json.gz`. */
  readonly extension: string;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** The object key for one group of an invocation (see the module comment). */
export function directObjectKey(prefix: string, extension: string, group: SinkGroup, invocation: SinkInvocation): string {
  const first = invocation.firstArrivalTimestamp;
  let date = new Date(typeof first === 'number' && Number.isFinite(first) ? first : 0);
  if (!Number.isFinite(date.getTime())) date = new Date(0);
  const yyyy = pad(date.getUTCFullYear(), 4);
  const MM = pad(date.getUTCMonth() + 1, 2);
  const dd = pad(date.getUTCDate(), 2);
  const HH = pad(date.getUTCHours(), 2);
  const stamp = `${yyyy}${MM}${dd}T${HH}${pad(date.getUTCMinutes(), 2)}${pad(date.getUTCSeconds(), 2)}Z`;

  const hash = createHash('sha256');
  hash.update(`${invocation.deliveryStreamArn.length}:${invocation.deliveryStreamArn}`);
  for (const id of group.recordIds) hash.update(`${id.length}:${id}`);

  let partitions = '';
  if (group.partitionKeys) {
    for (const name of Object.keys(group.partitionKeys).sort()) {
      partitions += `${encodeURIComponent(name)}=${encodeURIComponent(group.partitionKeys[name])}/`;
    }
  }
  return `${prefix}${partitions}${yyyy}/${MM}/${dd}/${HH}/${stamp}-${hash.digest('hex').slice(0, 32)}${extension}`;
}

/** A toolkit sink that PUTs one gzipped object per group and resolves only when every PUT succeeded. */
export function createDirectSink(options: DirectSinkOptions): Sink {
  return async (groups, invocation) => {
    const results = await Promise.allSettled(groups.map(group => options.client.send(new options.putObjectCommand({
      Bucket: options.bucket,
      Key: directObjectKey(options.prefix, options.extension, group, invocation),
      // gzip output has no timestamp in Node's header, so the same rows give the same bytes on a retry.
      Body: gzipSync(Buffer.from(group.data, 'utf8')),
      ContentType: 'application/gzip',
      Metadata: { records: String(group.recordIds.length) },
    }))));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  };
}
