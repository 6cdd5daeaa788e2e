/**
 * The Firehose data-transformation contract, as plain TypeScript types.
 *
 * Declared here (instead of re-exported from `@types/aws-lambda`) so users of the toolkit get the types
 * without another dependency. They are structurally compatible with `@types/aws-lambda`'s
 * `FirehoseTransformationEvent` / `FirehoseTransformationResult` (a test checks it).
 *
 * @see https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
 */
import type { RecordResult } from '../../src/contract/parser';

/** Kinesis metadata Firehose adds when its source is a Kinesis data stream (absent for Direct PUT). */
export interface FirehoseKinesisRecordMetadata {
  readonly shardId: string;
  readonly partitionKey: string;
  readonly approximateArrivalTimestamp: number;
  readonly sequenceNumber: string;
  readonly subsequenceNumber: string;
}

/** One source record of a transformation invocation. */
export interface FirehoseTransformationEventRecord {
  /** Opaque id; the response must answer it exactly once. */
  readonly recordId: string;
  /** When Firehose received the record, epoch milliseconds. */
  readonly approximateArrivalTimestamp: number;
  /** The record bytes, base64-encoded. */
  readonly data: string;
  readonly kinesisRecordMetadata?: FirehoseKinesisRecordMetadata;
}

/** What Firehose sends the transformation Lambda (synchronously, at most 6 MB). */
export interface FirehoseTransformationEvent {
  readonly invocationId: string;
  readonly deliveryStreamArn: string;
  readonly sourceKinesisStreamArn?: string;
  readonly region: string;
  readonly records: readonly FirehoseTransformationEventRecord[];
}

/** `Ok` and `Dropped` count as processed; `ProcessingFailed` goes to `<errorOutputPrefix>processing-failed/`. */
export type FirehoseRecordTransformationStatus = RecordResult;

/** Dynamic-partitioning keys, used by the `!{partitionKeyFromLambda:<key>}` prefix expression. */
export interface FirehoseTransformationMetadata {
  partitionKeys: { [name: string]: string };
}

/** One answered record. */
export interface FirehoseTransformationResultRecord {
  recordId: string;
  result: FirehoseRecordTransformationStatus;
  /** Transformed bytes, base64-encoded ('' for `Dropped` and `ProcessingFailed`). */
  data: string;
  metadata?: FirehoseTransformationMetadata;
}

/** The handler's answer: every input record, once, in input order. */
export interface FirehoseTransformationResult {
  records: FirehoseTransformationResultRecord[];
}

/** The bits of the Lambda context the toolkit reads (the real `Context` fits). */
export interface LambdaContextLike {
  readonly awsRequestId?: string;
}

/** A Lambda handler for the Firehose transformation contract. */
export type FirehoseTransformationHandler = (
  event: FirehoseTransformationEvent,
  context?: LambdaContextLike,
) => Promise<FirehoseTransformationResult>;
