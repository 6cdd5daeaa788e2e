import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { addNagSuppressions } from './private/nag';

/**
 * Options for the buckets a pipeline creates when the caller gives none.
 */
export interface PipelineStorageProps {
  /**
   * What happens to the created buckets when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Use this bucket for parsed records instead of creating one.
   * @default - a hardened bucket is created
   */
  readonly parsedBucket?: s3.IBucket;
  /**
   * Use this bucket for raw records and IoT rule errors instead of creating one.
   * @default - a hardened bucket is created
   */
  readonly rawBucket?: s3.IBucket;
  /**
   * Customer-managed key for the parsed and raw buckets the construct creates (SSE-KMS with S3 Bucket Keys).
   * The access-log bucket stays SSE-S3: S3 server access logging cannot deliver to SSE-KMS buckets.
   * @default - SSE-S3
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The hardened buckets of one pipeline: a parsed bucket and a raw bucket (or the caller's own), and an
 * access-log bucket that receives the server access logs of the buckets the pipeline creates.
 *
 * Created buckets: all public access blocked, TLS-only bucket policy, S3-managed (or customer-managed KMS) encryption,
 * bucket-owner-enforced object ownership, versioning, server access logs into the log bucket.
 */
export class PipelineStorage extends Construct {
  /** The bucket that receives parsed records. */
  public readonly parsedBucket: s3.IBucket;
  /** The bucket that receives raw source records (Firehose source backup) and IoT rule errors. */
  public readonly rawBucket: s3.IBucket;
  /** The server-access-log bucket, when the construct created at least one bucket. */
  public readonly accessLogsBucket?: s3.IBucket;

  constructor(scope: Construct, id: string, props: PipelineStorageProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    let logs: s3.Bucket | undefined;
    if (!props.parsedBucket || !props.rawBucket) {
      logs = new s3.Bucket(this, 'AccessLogsBucket', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        encryption: s3.BucketEncryption.S3_MANAGED,
        // Object ownership is left to aws-cdk-lib: it depends on whether the app delivers access logs by
        // bucket policy (feature flag @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy) or by ACL.
        removalPolicy,
        lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      });
      addNagSuppressions(logs, [
        { id: 'AwsSolutions-S1', reason: 'This is the server-access-log bucket itself; logging it into itself would loop.' },
      ]);
      this.accessLogsBucket = logs;
    }

    const hardened = (bucketId: string, prefix: string): s3.IBucket =>
      new s3.Bucket(this, bucketId, {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
        encryptionKey: props.encryptionKey,
        bucketKeyEnabled: props.encryptionKey ? true : undefined,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: true,
        serverAccessLogsBucket: logs,
        serverAccessLogsPrefix: prefix,
        removalPolicy,
      });

    this.parsedBucket = props.parsedBucket ?? hardened('ParsedBucket', 'parsed-bucket/');
    this.rawBucket = props.rawBucket ?? hardened('RawBucket', 'raw-bucket/');
  }
}
