import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** What differs between the buckets the construct creates. */
export interface HardenedBucketOptions {
  readonly removalPolicy: RemovalPolicy;
  /** SSE-KMS with this key (and an S3 Bucket Key); SSE-S3 without one. */
  readonly encryptionKey?: kms.IKey;
  readonly lifecycleRules: s3.LifecycleRule[];
}

/**
 * The settings every bucket the construct creates shares: no public access, TLS only, no ACLs, versioned, encrypted,
 * and emptied before it is deleted with `RemovalPolicy.DESTROY`.
 */
export function hardenedBucketProps(options: HardenedBucketOptions): s3.BucketProps {
  const key = options.encryptionKey;
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: key ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
    encryptionKey: key,
    bucketKeyEnabled: key ? true : undefined,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    removalPolicy: options.removalPolicy,
    autoDeleteObjects: options.removalPolicy === RemovalPolicy.DESTROY,
    lifecycleRules: options.lifecycleRules,
  };
}
