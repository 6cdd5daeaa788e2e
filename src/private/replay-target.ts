import { RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** What the pipeline tells its replay: its layout and settings (set by `IotCoreFirehosePipeline`). */
export interface ReplayTarget {
  readonly parsedBucket: s3.IBucket;
  readonly rawBucket: s3.IBucket;
  readonly parserFunction: lambda.IFunction;
  readonly deliveryStreamArn: string;
  readonly dataOutputPrefix: string;
  readonly errorOutputPrefix: string;
  /** Absent without a raw backup. */
  readonly backupPrefix?: string;
  readonly dynamicPartitioning: boolean;
  /** Data objects' extension, compression suffix included. */
  readonly extension: string;
  /** Error objects' extension (the compression suffix). */
  readonly errorExtension: string;
  /** Record format conversion (Parquet): a replay cannot write what the table reads. */
  readonly convertsRecords: boolean;
  /** The processor's buffer size in bytes: the largest event Firehose sends the parser. */
  readonly eventLimitBytes: number;
  readonly encryptionKey?: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly logGroupPrefix: string;
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /** The pipeline's alarms, to which the replay adds its own. */
  readonly alarms?: cloudwatch.IAlarm[];
}

