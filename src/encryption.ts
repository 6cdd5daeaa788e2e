import * as kms from 'aws-cdk-lib/aws-kms';

/**
 * Who manages the keys of a pipeline's encryption.
 */
export enum PipelineEncryptionKind {
  /** S3-managed keys for the buckets, an AWS-owned key for the stream, the AWS-managed keys of Secrets Manager and CloudWatch Logs. */
  AWS_MANAGED = 'AWS_MANAGED',
  /** One customer-managed KMS key for the buckets, the stream, the generated certificate's secret and the log groups. */
  CUSTOMER_MANAGED = 'CUSTOMER_MANAGED',
}

/**
 * How a pipeline encrypts what it creates at rest (its `encryption` prop).
 *
 * - `awsManaged()` (the default): S3-managed keys (SSE-S3), an AWS-owned key for the stream, the AWS-managed
 *   keys of Secrets Manager and CloudWatch Logs. No key to pay for or manage.
 * - `customerManaged(key?)`: one customer-managed KMS key for the parsed and raw buckets the construct creates
 *   (SSE-KMS with S3 Bucket Keys), the stream, the generated certificate's secret and the log groups.
 *   Without a key, one is created with rotation on. The access-log bucket stays SSE-S3 (S3 server access
 *   logging cannot write to SSE-KMS buckets).
 */
export class PipelineEncryption {
  /** AWS-managed encryption: no customer-managed key. */
  public static awsManaged(): PipelineEncryption {
    return new PipelineEncryption(PipelineEncryptionKind.AWS_MANAGED);
  }

  /**
   * One customer-managed KMS key for the buckets the construct creates, the stream, the generated certificate's
   * secret and the log groups.
   *
   * @param key the key to use. The pipeline adds a statement for CloudWatch Logs to the policy of a key created in
   * the app; an imported key's policy must already let `logs.<region>.amazonaws.com` use it (see README).
   * Without a key, the pipeline creates one with rotation on and the pipeline's removal policy.
   */
  public static customerManaged(key?: kms.IKey): PipelineEncryption {
    return new PipelineEncryption(PipelineEncryptionKind.CUSTOMER_MANAGED, key);
  }

  /** Who manages the keys. */
  public readonly kind: PipelineEncryptionKind;
  /**
   * The key given to `customerManaged(key)`.
   * @default - none: AWS-managed encryption, or a key the pipeline creates
   */
  public readonly key?: kms.IKey;

  private constructor(kind: PipelineEncryptionKind, key?: kms.IKey) {
    this.kind = kind;
    this.key = key;
  }
}
