import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { REJECTED_MESSAGES_PREFIX, RULE_ERRORS_PREFIX } from './contract';
import { createAccessLogsBucket, logInto } from './private/access-logs';
import { addCheckovSkips } from './private/checkov';
import { hardenedBucketProps } from './private/hardened-bucket';
import { invalid } from './private/validation';

/**
 * How long S3 keeps what accumulates in the buckets the construct creates (S3 lifecycle rules). Buckets you give
 * (`parsedBucket`, `rawBucket`) are left as they are.
 */
export interface StorageLifecycleOptions {
  /**
   * How long a noncurrent object version (overwritten or deleted) stays in the parsed and raw buckets before S3
   * deletes it. The buckets are versioned so that a delete or overwrite can be undone for this long.
   * @default Duration.days(30)
   */
  readonly noncurrentVersionExpiration?: Duration;
  /**
   * How long IoT rule errors (`iot-rule-errors/`) and rejected messages (`iot-rule-rejected/`) stay in the raw bucket.
   * @default Duration.days(90)
   */
  readonly ruleErrorExpiration?: Duration;
  /**
   * How long S3 server access logs stay in the access-log bucket (their noncurrent versions follow
   * `noncurrentVersionExpiration`).
   * @default Duration.days(365)
   */
  readonly accessLogExpiration?: Duration;
}

/** The lifecycle defaults, in days. */
export const LIFECYCLE_DEFAULT_DAYS = { noncurrentVersionExpiration: 30, ruleErrorExpiration: 90, accessLogExpiration: 365 } as const;

/** Days after which S3 aborts a multipart upload that was never completed (Firehose writes large objects in parts). */
export const ABORT_INCOMPLETE_UPLOADS_DAYS = 7;

/**
 * Options for the buckets a pipeline creates when the caller gives none.
 */
export interface PipelineStorageProps {
  /**
   * What happens to the created buckets when they leave the stack. With `RemovalPolicy.DESTROY` the buckets are
   * emptied first (every object version; aws-cdk-lib's auto-delete-objects custom resource), so the stack deletes.
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
  /**
   * Lifecycle rules of the created buckets.
   * @default - noncurrent versions 30 days, rule errors 90 days, access logs 365 days
   */
  readonly lifecycle?: StorageLifecycleOptions;
}

/**
 * The hardened buckets of one pipeline: a parsed bucket and a raw bucket (or the caller's own), and an
 * access-log bucket that receives the server access logs of the buckets the pipeline creates.
 *
 * Created buckets: all public access blocked, TLS-only bucket policy, S3-managed (or customer-managed KMS) encryption,
 * bucket-owner-enforced object ownership (no ACLs), versioning with expiry of noncurrent versions, incomplete
 * multipart uploads aborted after 7 days, server access logs into the log bucket, delivered through the log bucket's
 * policy (never an ACL, whatever the app's feature flags), and emptied on delete with `RemovalPolicy.DESTROY`.
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
    const autoDeleteObjects = removalPolicy === RemovalPolicy.DESTROY;
    const lifecycle = props.lifecycle ?? {};
    const noncurrentDays = days(scope, 'lifecycle.noncurrentVersionExpiration', lifecycle.noncurrentVersionExpiration, LIFECYCLE_DEFAULT_DAYS.noncurrentVersionExpiration);
    const ruleErrorDays = days(scope, 'lifecycle.ruleErrorExpiration', lifecycle.ruleErrorExpiration, LIFECYCLE_DEFAULT_DAYS.ruleErrorExpiration);
    const accessLogDays = days(scope, 'lifecycle.accessLogExpiration', lifecycle.accessLogExpiration, LIFECYCLE_DEFAULT_DAYS.accessLogExpiration);
    const noncurrentVersions: s3.LifecycleRule = {
      id: 'expire-noncurrent-versions',
      noncurrentVersionExpiration: noncurrentDays,
      expiredObjectDeleteMarker: true,
      abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOADS_DAYS),
    };

    let logs: s3.Bucket | undefined;
    if (!props.parsedBucket || !props.rawBucket) {
      logs = createAccessLogsBucket(this, 'AccessLogsBucket', { removalPolicy, expiration: accessLogDays, noncurrentVersions });
      this.accessLogsBucket = logs;
    }

    const hardened = (bucketId: string, prefix: string, rules: s3.LifecycleRule[]): s3.IBucket => {
      const bucket = new s3.Bucket(this, bucketId, hardenedBucketProps({
        removalPolicy, encryptionKey: props.encryptionKey, lifecycleRules: [noncurrentVersions, ...rules],
      }));
      logInto(bucket, logs!, prefix);
      return bucket;
    };

    this.parsedBucket = props.parsedBucket ?? hardened('ParsedBucket', 'parsed-bucket/', []);
    this.rawBucket = props.rawBucket ?? hardened('RawBucket', 'raw-bucket/', [
      { id: 'expire-rule-errors', prefix: RULE_ERRORS_PREFIX, expiration: ruleErrorDays },
      { id: 'expire-rejected-messages', prefix: REJECTED_MESSAGES_PREFIX, expiration: ruleErrorDays },
    ]);
    if (autoDeleteObjects && logs) explainAutoDeleteProvider(this);
  }
}

/**
 * aws-cdk-lib's auto-delete-objects provider (one per stack, created with the first bucket that auto-deletes): its
 * function runs only when a bucket is deleted. checkov's findings on it, each with its reason, on exactly that
 * function.
 */
function explainAutoDeleteProvider(scope: Construct): void {
  const handler = Stack.of(scope).node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider')?.node.tryFindChild('Handler');
  if (!handler) return;
  addCheckovSkips(handler, [
    { id: 'CKV_AWS_116', comment: 'aws-cdk-lib\'s auto-delete-objects provider: invoked synchronously by CloudFormation when a bucket is deleted; a dead-letter queue applies to asynchronous invocations only.' },
    { id: 'CKV_AWS_117', comment: 'aws-cdk-lib\'s auto-delete-objects provider: calls the public S3 API only; a VPC would add NAT or endpoints without isolating anything.' },
    { id: 'CKV_AWS_115', comment: 'aws-cdk-lib\'s auto-delete-objects provider: runs only when CloudFormation deletes a bucket; reserved concurrency would take from the account\'s pool.' },
  ]);
}

/** A lifecycle duration in whole days (at least 1), or the default. */
function days(scope: Construct, prop: string, value: Duration | undefined, defaultDays: number): Duration {
  if (value === undefined) return Duration.days(defaultDays);
  const n = value.toDays({ integral: false });
  if (!Token.isUnresolved(n) && (!Number.isInteger(n) || n < 1)) {
    invalid(scope, prop, `${value.toHumanString()} is not a whole number of days of at least 1; S3 lifecycle rules count in days, e.g. Duration.days(30).`);
  }
  return value;
}
