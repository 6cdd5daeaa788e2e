import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/**
 * Every principal that gets the pipeline's customer-managed key gets it through one of these two functions: only
 * through the service that encrypts with it (`kms:ViaService`,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service) and only
 * for the resources of the pipeline (the encryption context that service documents). aws-cdk-lib's `key.grant*()`
 * and `bucket.grant*()` put no such condition, so they are not used for the pipeline key.
 */

/**
 * Lets `grantee` use the key through S3 only, for objects of these buckets only. S3's encryption context
 * `aws:s3:arn` is the object's ARN, or the bucket's ARN when the bucket uses an S3 Bucket Key
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context), so both are
 * allowed.
 */
export function grantKeyThroughS3(key: kms.IKey, grantee: iam.IGrantable, actions: string[], buckets: s3.IBucket[], sid?: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(keyThroughS3Statement(key, actions, buckets, sid));
}

/** The statement of `grantKeyThroughS3`, for a policy of its own. */
export function keyThroughS3Statement(key: kms.IKey, actions: string[], buckets: s3.IBucket[], sid?: string): iam.PolicyStatement {
  const region = Stack.of(key).region;
  const contexts = [...new Set(buckets)].flatMap((bucket) => [bucket.bucketArn, bucket.arnForObjects('*')]);
  return new iam.PolicyStatement({
    sid,
    actions,
    resources: [key.keyArn],
    conditions: {
      StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
      StringLike: { 'kms:EncryptionContext:aws:s3:arn': contexts },
    },
  });
}

/**
 * Lets `grantee` use the key through Secrets Manager only, for this secret only: Secrets Manager's encryption
 * context is `SecretARN` (and `SecretVersionId`), and PutSecretValue needs `kms:GenerateDataKey`
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
 */
export function grantKeyThroughSecretsManager(key: kms.IKey, grantee: iam.IGrantable, actions: string[], secret: secretsmanager.ISecret): void {
  const region = Stack.of(key).region;
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    actions,
    resources: [key.keyArn],
    conditions: {
      StringEquals: {
        'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
        'kms:EncryptionContext:SecretARN': secret.secretArn,
      },
    },
  }));
}
