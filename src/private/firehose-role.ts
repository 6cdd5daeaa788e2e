import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { grantKeyThroughS3 } from './key-grants';
import { addNagSuppressions, NAG_BUCKET_ARN } from './nag';

/** The S3 actions Firehose needs on an S3 destination (Firehose developer guide, "Grant Firehose access to an Amazon S3 destination"). */
export const FIREHOSE_BUCKET_ACTIONS = ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'];
/** The object actions of the same list, granted on the prefixes Firehose writes under only. */
export const FIREHOSE_OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'];

/** Where Firehose writes in one bucket: the data and error prefixes (a prefix that is not given counts as ''). */
export interface FirehoseBucketAccess {
  readonly bucket: s3.IBucket;
  readonly prefixes: ReadonlyArray<string | undefined>;
}

/** Everything the delivery stream's role must reach. */
export interface FirehoseRoleAccess {
  readonly buckets: FirehoseBucketAccess[];
  /** The customer-managed key of the buckets, if any. */
  readonly encryptionKey?: kms.IKey;
  /** The stream's log group. */
  readonly logGroup: logs.ILogGroup;
  /** The parser Firehose invokes. */
  readonly parserFunction: lambda.IFunction;
  /** The Glue table record format conversion reads its schema from. */
  readonly schemaTable?: { readonly databaseName: string; readonly tableName: string };
}

/**
 * The delivery stream's role (`<pipeline>/DeliveryStreamRole`): a plain `iam.Role` that only Firehose may assume, for
 * this account only (`sts:ExternalId` = the account id, as the Firehose developer guide's trust policy for an S3
 * destination has it: https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3; AWS documents no `aws:SourceArn`/`aws:SourceAccount` for
 * firehose.amazonaws.com).
 *
 * It is public (`pipeline.deliveryStreamRole`), so a user's grant to it lands in its policy as for any role. The
 * aws-cdk-lib destination and stream get `role.withoutPolicyUpdates()` instead: their own grants
 * (`bucket.grantReadWrite()` with `s3:DeleteObject*`, retention and legal hold; `key.grantEncryptDecrypt()` without
 * a "through which service") cannot widen it, and `allowStream` adds the least-privilege statements explicitly.
 */
export function createFirehoseRole(scope: Construct, id: string): iam.Role {
  return new iam.Role(scope, id, {
    // https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
    assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
      conditions: { StringEquals: { 'sts:ExternalId': Aws.ACCOUNT_ID } },
    }),
    description: 'Lets the pipeline\'s Firehose delivery stream write to its buckets (no deletes), invoke its parser and log',
  });
}

/**
 * The stream's least-privilege statements on its role: the S3 actions Firehose needs on the destination and backup
 * buckets, object actions only under the prefixes the stream writes to (their part before the first `!{...}`);
 * the customer-managed key's data keys through S3 for those buckets; writing to its log group; invoking the parser;
 * and, with record format conversion, reading the Glue table's schema.
 */
export function allowStream(role: iam.Role, access: FirehoseRoleAccess): void {
  const buckets = unique(access.buckets.map((a) => a.bucket));
  const objectArns = unique(access.buckets.flatMap((a) => objectScopes(a.prefixes).map((scope) => a.bucket.arnForObjects(`${scope}*`))));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'BucketsOfTheStream', actions: FIREHOSE_BUCKET_ACTIONS, resources: buckets.map((b) => b.bucketArn) }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ObjectsUnderTheStreamPrefixes', actions: FIREHOSE_OBJECT_ACTIONS, resources: objectArns }));
  if (access.encryptionKey) {
    grantKeyThroughS3(access.encryptionKey, role, ['kms:Decrypt', 'kms:GenerateDataKey'], buckets, 'DataKeysThroughS3');
  }
  // What aws-cdk-lib's logging config grants (logGroup.grantWrite), here because the destination's role view is immutable.
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'WriteTheDeliveryLog',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [access.logGroup.logGroupArn],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'InvokeTheParser',
    actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
    resources: [access.parserFunction.functionArn],
  }));
  if (access.schemaTable) {
    // What the L2 SchemaConfiguration grants, without its glue:GetSchemaVersion on "*" (a Schema Registry action
    // a Glue table schema does not use): https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-glue
    const stack = Stack.of(role);
    const { databaseName, tableName } = access.schemaTable;
    const glueArn = (resource: string, resourceName?: string) => stack.formatArn({ service: 'glue', resource, resourceName });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadTheTableSchema',
      actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
      resources: [glueArn('catalog'), glueArn('database', databaseName), glueArn('table', `${databaseName}/${tableName}`)],
    }));
  }
  addNagSuppressions(role.node.findChild('DefaultPolicy'), [{
    id: 'AwsSolutions-IAM5',
    reason: 'Firehose writes objects whose keys it generates per batch under the stream\'s data, error and backup prefixes; the object actions are limited to those prefixes.',
    appliesTo: [{ regex: `/^Resource::${NAG_BUCKET_ARN}\\/[^*]*\\*$/g` }],
  }]);
}

/** The object key scopes of a list of prefixes: each one's part before its first expression; '' (everything) when one is not given. */
export function objectScopes(prefixes: ReadonlyArray<string | undefined>): string[] {
  const scopes = prefixes.map((prefix) => {
    if (prefix === undefined || Token.isUnresolved(prefix)) return '';
    const expression = prefix.indexOf('!{');
    return expression === -1 ? prefix : prefix.slice(0, expression);
  });
  if (scopes.some((s) => s === '')) return [''];
  // A scope that another one starts with is already covered.
  return unique(scopes).filter((s, _, all) => !all.some((other) => other !== s && s.startsWith(other)));
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
