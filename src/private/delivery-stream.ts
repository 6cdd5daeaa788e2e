import { Annotations, Duration, RemovalPolicy, Size, Token } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  BUFFERING_DEFAULTS, BUFFERING_LIMITS, compressionExtension, DEFAULT_BACKUP_ERROR_PREFIX, DEFAULT_BACKUP_PREFIX,
  DEFAULT_DATA_OUTPUT_PREFIX, DEFAULT_ERROR_OUTPUT_PREFIX, partitionedDataOutputPrefix, PIPELINE_CONSTRUCT_IDS,
} from '../contract';
import { ParserConfig } from '../parser';
import { addCheckovSkips } from './checkov';
import { allowStream, createFirehoseRole } from './firehose-role';
import { PIPELINE_LOG_GROUP_WITHOUT_KEY } from './functions';
import { ExplicitLambdaProcessor } from './processor';
import { invalid, validateMebibytes, validatePrefixes, validateSeconds } from './validation';

/** The S3 destination's buffering, resolved and validated. */
export interface Buffering {
  readonly interval: Duration;
  readonly size: Size;
}

/**
 * The buffering of the S3 destination (and the raw backup): the given interval and size or the defaults (64 MiB
 * with dynamic partitioning), checked against Firehose's ranges before anything is created.
 */
export function resolveBuffering(
  scope: Construct, buffering: { readonly interval?: Duration; readonly size?: Size } | undefined, dynamicPartitioning: boolean,
  recordFormatConversion = false,
): Buffering {
  const interval = buffering?.interval ?? Duration.seconds(BUFFERING_DEFAULTS.intervalSeconds);
  const large = dynamicPartitioning || recordFormatConversion;
  const size = buffering?.size ?? Size.mebibytes(large ? BUFFERING_DEFAULTS.partitionedSizeMiB : BUFFERING_DEFAULTS.sizeMiB);
  const intervalSeconds = validateSeconds(scope, 'buffering.interval', interval, BUFFERING_LIMITS.intervalSeconds.min, BUFFERING_LIMITS.intervalSeconds.max);
  const sizeMib = validateMebibytes(scope, 'buffering.size', size, BUFFERING_LIMITS.sizeMiB.min, BUFFERING_LIMITS.sizeMiB.max);
  if (!Token.isUnresolved(size.toKibibytes()) && size.toKibibytes() % 1024 !== 0) {
    invalid(scope, 'buffering.size', `${size.toKibibytes()} KiB is not a whole number of MiB; Firehose takes the S3 buffer size in whole MiB.`);
  }
  if (recordFormatConversion && sizeMib < BUFFERING_LIMITS.partitionedSizeMiB.min) {
    const minSize = BUFFERING_LIMITS.partitionedSizeMiB.min;
    invalid(scope, 'buffering.size', `${sizeMib} MiB is too small for Parquet output (table.format TableFormat.parquet()); Firehose record format conversion requires at least ${minSize} MiB (give Size.mebibytes(${minSize}) or more, or leave buffering.size out).`);
  }
  if (dynamicPartitioning) {
    const minSize = BUFFERING_LIMITS.partitionedSizeMiB.min;
    const { min: minInterval, max: maxInterval } = BUFFERING_LIMITS.partitionedIntervalSeconds;
    if (sizeMib < minSize) {
      invalid(scope, 'buffering.size', `${sizeMib} MiB is too small for dynamic partitioning; Firehose requires at least ${minSize} MiB (give Size.mebibytes(${minSize}) or more, or turn dynamicPartitioning off).`);
    }
    if (intervalSeconds < minInterval) {
      invalid(scope, 'buffering.interval', `${intervalSeconds} s is too short for dynamic partitioning (zero buffering is not available); give ${minInterval} to ${maxInterval} seconds.`);
    }
  }
  return { interval, size };
}

/** The prefixes as the user gave them. */
export interface PrefixOptions {
  /** @default - the default (partitioned) prefix */
  readonly dataOutputPrefix?: string;
  /** @default - the default error prefix, unless a data prefix is given */
  readonly errorOutputPrefix?: string;
  readonly backup: {
    readonly enabled?: boolean;
    readonly prefix?: string;
    readonly errorPrefix?: string;
  };
  readonly dynamicPartitioning: boolean;
  /** The bound parser: its partition keys. */
  readonly parser: ParserConfig;
}

/** The stream's prefixes, resolved and checked. */
export interface DeliveryPrefixes {
  readonly dataOutputPrefix: string;
  readonly errorOutputPrefix?: string;
  readonly backupEnabled: boolean;
  readonly backupPrefix: string;
  readonly backupErrorPrefix?: string;
}

/**
 * Firehose record format conversion: the parser's JSON (OpenX JSON SerDe) to Parquet, with the schema of a Glue
 * table (`TableFormat.parquet()`).
 */
export interface RecordFormatConversion {
  readonly table: glue.CfnTable;
  readonly databaseName: string;
  readonly tableName: string;
  /** The compression inside the Parquet files: SNAPPY, GZIP or UNCOMPRESSED. */
  readonly parquetCompression: string;
}

/** Everything the delivery stream is made of. */
export interface DeliveryStreamOptions {
  readonly buffering: Buffering;
  readonly compression: firehose.Compression;
  readonly prefixes: DeliveryPrefixes;
  readonly dynamicPartitioning: boolean;
  /** The bound parser: the processor, the file extension and the partition keys. */
  readonly parser: ParserConfig;
  readonly parsedBucket: s3.IBucket;
  readonly rawBucket: s3.IBucket;
  readonly encryptionKey?: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** @default - the parser's output is delivered as it is */
  readonly recordFormatConversion?: RecordFormatConversion;
  /** The name prefix of the pipeline's log groups (`pipelineLogGroupPrefix`). */
  readonly logGroupPrefix: string;
}

/** The stream, its log group and its role. */
export interface PipelineDeliveryStream {
  readonly stream: firehose.DeliveryStream;
  readonly logGroup: logs.LogGroup;
  /** The stream's role (a plain role: grants to it land in its policy). */
  readonly role: iam.Role;
}

/**
 * The stream's prefixes: the given ones or the defaults (the partitioned data prefix with dynamic partitioning),
 * checked against Firehose's rules before anything is created.
 */
export function resolvePrefixes(pipeline: Construct, options: PrefixOptions): DeliveryPrefixes {
  const { dynamicPartitioning, parser } = options;
  const partitionKeys = parser.partitionKeys ?? [];
  if (dynamicPartitioning && partitionKeys.length === 0) {
    invalid(pipeline, 'dynamicPartitioning', 'the parser returns no partition keys; give them, e.g. Parser.reference({ partitionKeys: [PartitionKey.topicLevel(\'device\', 1)] }) or Parser.fromFunction(fn, { partitionKeys: [\'device\'] }).');
  }
  const dataOutputPrefix = options.dataOutputPrefix
    ?? (dynamicPartitioning ? partitionedDataOutputPrefix(partitionKeys) : DEFAULT_DATA_OUTPUT_PREFIX);
  const errorOutputPrefix = options.errorOutputPrefix ?? (options.dataOutputPrefix === undefined ? DEFAULT_ERROR_OUTPUT_PREFIX : undefined);
  validatePrefixes(pipeline, 'dataOutputPrefix', dataOutputPrefix, 'errorOutputPrefix', errorOutputPrefix, dynamicPartitioning ? partitionKeys : undefined);
  if (dynamicPartitioning && (errorOutputPrefix === undefined || errorOutputPrefix === '')) {
    invalid(pipeline, 'errorOutputPrefix', 'dynamic partitioning requires an error output prefix; give one with !{firehose:error-output-type}.');
  }
  const backupEnabled = options.backup.enabled ?? true;
  const backupPrefix = options.backup.prefix ?? DEFAULT_BACKUP_PREFIX;
  const backupErrorPrefix = options.backup.errorPrefix ?? (options.backup.prefix === undefined ? DEFAULT_BACKUP_ERROR_PREFIX : undefined);
  if (backupEnabled) {
    validatePrefixes(pipeline, 'backup.prefix', backupPrefix, 'backup.errorPrefix', backupErrorPrefix);
  }
  return { dataOutputPrefix, errorOutputPrefix, backupEnabled, backupPrefix, backupErrorPrefix };
}

/**
 * The Firehose delivery stream of a pipeline: DirectPut into the parsed bucket through the parser (explicit
 * processor parameters), raw backup of every record into the raw bucket, logging into `DeliveryLogGroup`, and
 * (with `recordFormatConversion`) Parquet output with the schema of the pipeline's Glue table.
 */
export function createDeliveryStream(pipeline: Construct, options: DeliveryStreamOptions): PipelineDeliveryStream {
  const { buffering, compression, dynamicPartitioning, parser, prefixes } = options;
  const conversion = options.recordFormatConversion;

  // --- the stream -----------------------------------------------------------------------------------
  const logGroup = new logs.LogGroup(pipeline, 'DeliveryLogGroup', {
    logGroupName: `${options.logGroupPrefix}delivery`,
    retention: options.logRetention,
    removalPolicy: options.removalPolicy,
    encryptionKey: options.encryptionKey,
  });
  if (!options.encryptionKey) addCheckovSkips(logGroup, [PIPELINE_LOG_GROUP_WITHOUT_KEY]);
  // The stream's own role. The aws-cdk-lib destination and stream get an immutable view of it, so their grants
  // (bucket.grantReadWrite, key.grantEncryptDecrypt, ...) cannot widen it; allowStream adds what the stream needs.
  const role = createFirehoseRole(pipeline, 'DeliveryStreamRole');
  allowStream(role, {
    buckets: [
      { bucket: options.parsedBucket, prefixes: [prefixes.dataOutputPrefix, prefixes.errorOutputPrefix] },
      ...(prefixes.backupEnabled ? [{ bucket: options.rawBucket, prefixes: [prefixes.backupPrefix, prefixes.backupErrorPrefix] }] : []),
    ],
    encryptionKey: options.encryptionKey,
    logGroup,
    parserFunction: parser.parserFunction,
    schemaTable: conversion,
  });
  const destinationRole = role.withoutPolicyUpdates();
  let fileExtension: string | undefined;
  if (conversion) {
    fileExtension = '.parquet';
  } else if (parser.fileExtension !== undefined) {
    fileExtension = `${parser.fileExtension}${compressionExtension(compression.value)}`;
  }
  const destination = new firehose.S3Bucket(options.parsedBucket, {
    role: destinationRole,
    bufferingInterval: buffering.interval,
    bufferingSize: buffering.size,
    // Converted output is compressed inside the Parquet files and Firehose requires UNCOMPRESSED at the S3 level:
    // the L2 refuses `compression` together with `dataFormatConversion` and leaves CompressionFormat out, whose
    // CloudFormation default is UNCOMPRESSED.
    compression: conversion ? undefined : compression,
    dataFormatConversion: conversion ? dataFormatConversion(conversion) : undefined,
    dataOutputPrefix: prefixes.dataOutputPrefix,
    errorOutputPrefix: prefixes.errorOutputPrefix,
    fileExtension,
    encryptionKey: options.encryptionKey,
    loggingConfig: new firehose.EnableLogging(logGroup),
    processors: [new ExplicitLambdaProcessor(parser)],
    s3Backup: prefixes.backupEnabled
      ? {
        mode: firehose.BackupMode.ALL,
        bucket: options.rawBucket,
        dataOutputPrefix: prefixes.backupPrefix,
        errorOutputPrefix: prefixes.backupErrorPrefix,
        compression,
        bufferingInterval: buffering.interval,
        bufferingSize: buffering.size,
        encryptionKey: options.encryptionKey,
        loggingConfig: new firehose.EnableLogging(logGroup),
      }
      : undefined,
  });
  // Dynamic partitioning can only be set when a stream is created, so the stream's id (and so its
  // logical id) differs with and without it: switching creates a new stream instead of a failed update.
  const id = dynamicPartitioning ? PIPELINE_CONSTRUCT_IDS.partitionedDeliveryStream : PIPELINE_CONSTRUCT_IDS.deliveryStream;
  const stream = new firehose.DeliveryStream(pipeline, id, {
    destination,
    role: destinationRole,
    encryption: options.encryptionKey
      ? firehose.StreamEncryption.customerManagedKey(options.encryptionKey)
      : firehose.StreamEncryption.awsOwnedKey(),
  });
  if (dynamicPartitioning) {
    // aws-cdk-lib's S3Bucket destination (2.222.0, this library's floor) has no dynamic-partitioning property.
    (stream.node.defaultChild as firehose.CfnDeliveryStream).addPropertyOverride(
      'ExtendedS3DestinationConfiguration.DynamicPartitioningConfiguration',
      { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
    );
    Annotations.of(pipeline).addInfo('dynamicPartitioning: Firehose can enable it only at stream creation; turning it on or off replaces the delivery stream.');
  }
  // The stream is created once its role may do what it needs (the role's policy, users' grants included).
  stream.node.addDependency(role);
  return { stream, logGroup, role };
}

/**
 * Parquet output through the L2's `dataFormatConversion`: the OpenX JSON SerDe reads the parser's records (JSON keys
 * match the lowercase Glue columns case-insensitively, as the table's own OpenX SerDe does; dots stay dots), the
 * Parquet SerDe writes them with the Glue table's columns (its latest version). The table is referenced (`Ref`), so
 * the stream is created after it. The role's Glue statement is added by `allowStream` (the destination's view of
 * the role is immutable).
 */
function dataFormatConversion(conversion: RecordFormatConversion): firehose.DataFormatConversionProps {
  return {
    schemaConfiguration: firehose.SchemaConfiguration.fromCfnTable(conversion.table, { versionId: 'LATEST' }),
    inputFormat: new firehose.OpenXJsonInputFormat({ lowercaseColumnNames: true, convertDotsInJsonKeysToUnderscores: false }),
    outputFormat: new firehose.ParquetOutputFormat({ compression: firehose.ParquetCompression.of(conversion.parquetCompression) }),
  };
}
