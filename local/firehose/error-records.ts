/**
 * Every error record the local delivery stream writes under its error output prefix: one JSON line per source record,
 * with the error output type that names its folder (`!{firehose:error-output-type}`).
 */
import { ERROR_OUTPUT_TYPES } from '../../src/contract';

/** What `!{firehose:error-output-type}` becomes. */
export type ErrorOutputType = (typeof ERROR_OUTPUT_TYPES)[keyof typeof ERROR_OUTPUT_TYPES];

/** One error record: its line and the error output type it is written under. */
export interface ErrorRecord {
  readonly type: ErrorOutputType;
  readonly data: Buffer;
}

/** Why the processor failed a record (or the whole invocation). */
export interface ProcessingProblem {
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** The fields of a processing-failed record (rawData as bytes). */
export interface ProcessingFailedFields extends ProcessingProblem {
  readonly attemptsMade: number;
  readonly arrivalTimestamp: number;
  readonly attemptEndingTimestamp: number;
  readonly rawData: Buffer;
  readonly lambdaArn: string;
}

/**
 * A record the processor failed (`ProcessingFailed`, or every attempt failed). The fields are those AWS documents:
 * https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html
 */
export function processingFailedRecord(fields: ProcessingFailedFields): ErrorRecord {
  return line(ERROR_OUTPUT_TYPES.processingFailed, {
    attemptsMade: fields.attemptsMade,
    arrivalTimestamp: fields.arrivalTimestamp,
    errorCode: fields.errorCode,
    errorMessage: fields.errorMessage,
    attemptEndingTimestamp: fields.attemptEndingTimestamp,
    rawData: fields.rawData.toString('base64'),
    lambdaArn: fields.lambdaArn,
  });
}

/**
 * A record whose processor response has no value for a partition key of the prefix. Firehose delivers such records
 * to the error prefix, organized by error type, with information about the error
 * (https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-error-handling.html); the page lists no
 * fields, so the record carries those of a processing-failed record without `lambdaArn`.
 */
export function partitionKeyMissingRecord(fields: {
  readonly arrivalTimestamp: number;
  readonly rawData: Buffer;
  /** The partition key the response did not give. */
  readonly key: string;
}): ErrorRecord {
  return line(ERROR_OUTPUT_TYPES.partitionKeyMissing, {
    attemptsMade: 1,
    arrivalTimestamp: fields.arrivalTimestamp,
    errorCode: 'DynamicPartitioning.MissingPartitionKey',
    errorMessage: `The processor returned no partition key "${fields.key}" for the record`,
    attemptEndingTimestamp: Date.now(),
    rawData: fields.rawData.toString('base64'),
  });
}

/** The Glue table a conversion-failed record names (`dataCatalogTable`). */
export interface CatalogTable {
  readonly catalogId?: string;
  readonly databaseName: string;
  readonly tableName: string;
  readonly region: string;
  readonly versionId: string;
}

/**
 * A record record format conversion could not convert, with the schema's table
 * (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion-error-handling.html).
 */
export function formatConversionFailedRecord(fields: {
  readonly arrivalTimestamp: number;
  readonly rawData: Buffer;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly catalog: CatalogTable;
}): ErrorRecord {
  return line(ERROR_OUTPUT_TYPES.formatConversionFailed, {
    attemptsMade: 1,
    arrivalTimestamp: fields.arrivalTimestamp,
    lastErrorCode: fields.errorCode,
    lastErrorMessage: fields.errorMessage,
    attemptEndingTimestamp: Date.now(),
    rawData: fields.rawData.toString('base64'),
    sequenceNumber: '0',
    subSequenceNumber: null,
    dataCatalogTable: {
      catalogId: fields.catalog.catalogId ?? null,
      databaseName: fields.catalog.databaseName,
      tableName: fields.catalog.tableName,
      region: fields.catalog.region,
      versionId: fields.catalog.versionId,
      catalogArn: null,
    },
  });
}

function line(type: ErrorOutputType, record: object): ErrorRecord {
  return { type, data: Buffer.from(JSON.stringify(record) + '\n', 'utf8') };
}
