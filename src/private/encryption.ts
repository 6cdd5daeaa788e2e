import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { PipelineEncryption, PipelineEncryptionKind } from '../encryption';

/**
 * The pipeline's customer-managed key: the given one, or one created as `<pipeline>/Key` (rotation on), or none
 * for AWS-managed encryption. A key used for log groups must let CloudWatch Logs use it, so the key policy gets
 * that statement for the pipeline's log groups only (`logGroupPrefix`; a no-op for imported keys, whose policy the
 * caller manages).
 */
export function pipelineKey(
  pipeline: Construct, encryption: PipelineEncryption, removalPolicy: RemovalPolicy, logGroupPrefix: string,
): kms.IKey | undefined {
  if (encryption.kind !== PipelineEncryptionKind.CUSTOMER_MANAGED) {
    return undefined;
  }
  const key = encryption.key ?? new kms.Key(pipeline, 'Key', {
    enableKeyRotation: true,
    description: `IotCoreFirehosePipeline ${pipeline.node.path}: buckets, stream, secrets and logs`,
    removalPolicy,
  });
  allowCloudWatchLogs(key, logGroupPrefix);
  return key;
}

/**
 * Lets CloudWatch Logs in this account and region use the key for the log groups whose names start with
 * `logGroupPrefix` (the encryption context CloudWatch Logs passes is the log group's ARN). No-op for imported keys.
 */
function allowCloudWatchLogs(key: kms.IKey, logGroupPrefix: string): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
          service: 'logs', resource: 'log-group', resourceName: `${logGroupPrefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    },
  }));
}
