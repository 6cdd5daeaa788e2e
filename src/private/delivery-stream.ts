import { Annotations, Duration, RemovalPolicy, Size, Token } from 'aws-cdk-lib';
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
import { FirehoseRole } from './firehose-role';
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
): Buffering {
  const interval = buffering?.interval ?? Duration.seconds(BUFFERING_DEFAULTS.intervalSeconds);
  const size = buffering?.size ?? Size.mebibytes(dynamicPartitioning ? BUFFERING_DEFAULTS.partitionedSizeMiB : BUFFERING_DEFAULTS.sizeMiB);
  const intervalSeconds = validateSeconds(scope, 'buffering.interval', interval, BUFFERING_LIMITS.intervalSeconds.min, BUFFERING_LIMITS.intervalSeconds.max);
  const sizeMib = validateMebibytes(scope, 'buffering.size', size, BUFFERING_LIMITS.sizeMiB.min, BUFFERING_LIMITS.sizeMiB.max);
  if (!Token.isUnresolved(size.toKibibytes()) && size.toKibibytes() % 1024 !== 0) {
    invalid(scope, 'buffering.size', `${size.toKibibytes()} KiB is not a whole number of MiB; Firehose takes the S3 buffer size in whole MiB.`);
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

/** Everything the delivery stream is made of. */
export interface DeliveryStreamOptions {
  readonly buffering: Buffering;
  readonly compression: firehose.Compression;
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
  /** The bound parser: the processor, the file extension and the partition keys. */
  readonly parser: ParserConfig;
  readonly parsedBucket: s3.IBucket;
  readonly rawBucket: s3.IBucket;
  readonly encryptionKey?: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** The name prefix of the pipeline's log groups (`pipelineLogGroupPrefix`). */
  readonly logGroupPrefix: string;
}

/** The stream, its log group and its role. */
export interface PipelineDeliveryStream {
  readonly stream: firehose.DeliveryStream;
  readonly logGroup: logs.LogGroup;
  /**
   * The stream's role. It ignores S3 and KMS grants (see `FirehoseRole`): add statements for anything else to it
   * (aws-cdk-lib's grants through the destination, e.g. record format conversion's Glue table, reach it as they are).
   */
  readonly role: FirehoseRole;
}

/**
 * The Firehose delivery stream of a pipeline: DirectPut into the parsed bucket through the parser (explicit
 * processor parameters), raw backup of every record into the raw bucket, logging into `DeliveryLogGroup`.
 * Prefixes are resolved and checked here, once the parser's partition keys are known.
 */
export function createDeliveryStream(pipeline: Construct, options: DeliveryStreamOptions): PipelineDeliveryStream {
  const { buffering, compression, dynamicPartitioning, parser } = options;
  const partitionKeys = parser.partitionKeys ?? [];
  if (dynamicPartitioning && partitionKeys.length === 0) {
    invalid(pipeline, 'dynamicPartitioning', 'the parser returns no partition keys; give them, e.g. Parser.reference({ partitionKeys: [PartitionKey.topicLevel(\'device\', 1)] }) or Parser.fromFunction(fn, { partitionKeys: [\'device\'] }).');
  }

  // --- prefixes -----------------------------------------------------------------------------------
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

  // --- the stream -----------------------------------------------------------------------------------
  const logGroup = new logs.LogGroup(pipeline, 'DeliveryLogGroup', {
    logGroupName: `${options.logGroupPrefix}delivery`,
    retention: options.logRetention,
    removalPolicy: options.removalPolicy,
    encryptionKey: options.encryptionKey,
  });
  if (!options.encryptionKey) addCheckovSkips(logGroup, [PIPELINE_LOG_GROUP_WITHOUT_KEY]);
  // The stream's own least-privilege role instead of the one the destination would create (see FirehoseRole).
  const role = new FirehoseRole(pipeline, 'DeliveryStreamRole');
  role.allowBuckets([
    { bucket: options.parsedBucket, prefixes: [dataOutputPrefix, errorOutputPrefix] },
    ...(backupEnabled ? [{ bucket: options.rawBucket, prefixes: [backupPrefix, backupErrorPrefix] }] : []),
  ], options.encryptionKey);
  const destination = new firehose.S3Bucket(options.parsedBucket, {
    role,
    bufferingInterval: buffering.interval,
    bufferingSize: buffering.size,
    compression,
    dataOutputPrefix,
    errorOutputPrefix,
    fileExtension: parser.fileExtension !== undefined ? `${parser.fileExtension}${compressionExtension(compression.value)}` : undefined,
    encryptionKey: options.encryptionKey,
    loggingConfig: new firehose.EnableLogging(logGroup),
    processors: [new ExplicitLambdaProcessor(parser)],
    s3Backup: backupEnabled
      ? {
        mode: firehose.BackupMode.ALL,
        bucket: options.rawBucket,
        dataOutputPrefix: backupPrefix,
        errorOutputPrefix: backupErrorPrefix,
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
    role,
    encryption: options.encryptionKey
      ? firehose.StreamEncryption.customerManagedKey(options.encryptionKey)
      : firehose.StreamEncryption.awsOwnedKey(),
  });
  if (dynamicPartitioning) {
    (stream.node.defaultChild as firehose.CfnDeliveryStream).addPropertyOverride(
      'ExtendedS3DestinationConfiguration.DynamicPartitioningConfiguration',
      { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
    );
    Annotations.of(pipeline).addInfo('dynamicPartitioning: Firehose can enable it only at stream creation; turning it on or off replaces the delivery stream.');
  }
  return { stream, logGroup, role };
}
