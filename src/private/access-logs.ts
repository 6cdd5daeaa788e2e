import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { addCheckovSkips } from './checkov';
import { hardenedBucketProps } from './hardened-bucket';
import { addNagSuppressions } from './nag';

/** What an access-log bucket keeps, and what happens to it with the stack. */
export interface AccessLogsBucketProps {
  readonly removalPolicy: RemovalPolicy;
  /** How long access logs are kept. */
  readonly expiration: Duration;
  /** The lifecycle rule for noncurrent versions the pipeline's other buckets have too. */
  readonly noncurrentVersions: s3.LifecycleRule;
}

/**
 * A server-access-log bucket: no ACLs (S3 delivers the logs through its bucket policy, see `logInto`), versioned,
 * with the logs and their old versions expiring, emptied on delete with `RemovalPolicy.DESTROY`.
 */
export function createAccessLogsBucket(scope: Construct, id: string, props: AccessLogsBucketProps): s3.Bucket {
  const logs = new s3.Bucket(scope, id, hardenedBucketProps({
    removalPolicy: props.removalPolicy,
    lifecycleRules: [
      { id: 'expire-access-logs', expiration: props.expiration },
      props.noncurrentVersions,
    ],
  }));
  addNagSuppressions(logs, [
    { id: 'AwsSolutions-S1', reason: 'This is the server-access-log bucket itself; logging it into itself would loop.' },
  ]);
  addCheckovSkips(logs, [
    { id: 'CKV_AWS_18', comment: 'This is the server-access-log bucket itself; logging it into itself would loop.' },
  ]);
  return logs;
}

/**
 * Sends the server access logs of `source` to `logs` under `prefix`: the source bucket's logging configuration plus
 * a statement in the log bucket's policy for the S3 logging service, limited to this source bucket and account (the
 * delivery AWS recommends). Written out instead of `serverAccessLogsBucket`, which falls back to the
 * `LogDeliveryWrite` ACL unless the app sets the feature flag `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`.
 */
export function logInto(source: s3.Bucket, logs: s3.IBucket, prefix: string): void {
  logs.addToResourcePolicy(new iam.PolicyStatement({
    sid: `S3ServerAccessLogs${source.node.id}`,
    principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
    actions: ['s3:PutObject'],
    resources: [logs.arnForObjects(`${prefix}*`)],
    conditions: {
      ArnLike: { 'aws:SourceArn': source.bucketArn },
      StringEquals: { 'aws:SourceAccount': Stack.of(source).account },
    },
  }));
  (source.node.defaultChild as s3.CfnBucket).loggingConfiguration = { destinationBucketName: logs.bucketName, logFilePrefix: prefix };
}
