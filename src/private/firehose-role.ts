import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, DependencyGroup, IDependable } from 'constructs';
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

/**
 * The delivery stream's role (`<pipeline>/DeliveryStreamRole`): only Firehose for a delivery stream of this account and
 * region may assume it (`aws:SourceAccount`, `aws:SourceArn`), and it holds only what the stream needs: the S3 actions of the Firehose developer guide on the
 * destination and backup buckets, object actions only under the prefixes the stream writes to; `kms:GenerateDataKey`
 * and `kms:Decrypt` through S3 for those buckets when a customer-managed key encrypts them; and whatever else the
 * aws-cdk-lib destination grants (writing to its log group, invoking the processor, record format conversion's Glue
 * table).
 *
 * aws-cdk-lib's S3 destination grants its role `bucket.grantReadWrite()` (which includes `s3:DeleteObject*`,
 * `s3:PutObjectRetention`, `s3:PutObjectLegalHold`, ...) and `key.grantEncryptDecrypt()`: this role ignores every
 * S3 and KMS statement added through `addToPrincipalPolicy` and holds the ones above instead (`allowBuckets`).
 */
export class FirehoseRole extends iam.Role {
  private readonly ownStatements = new DependencyGroup();

  constructor(scope: Construct, id: string) {
    super(scope, id, {
      // The conditions aws-cdk-lib's own HTTP endpoint destination puts on Firehose's trust (confused deputy):
      // this account, its delivery streams (the stream's ARN cannot be named: the stream references the role).
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': Stack.of(scope).formatArn({ service: 'firehose', resource: 'deliverystream', resourceName: '*' }) },
        },
      }),
      description: 'Lets the pipeline\'s Firehose delivery stream write to its buckets (no deletes), invoke its parser and log',
    });
  }

  /**
   * Ignores S3 and KMS statements (aws-cdk-lib's destination grants; `allowBuckets` adds the least-privilege ones);
   * adds any other statement.
   */
  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    const actions = statement.actions;
    if (actions.length > 0 && actions.every((action) => action.startsWith('s3:') || action.startsWith('kms:'))) {
      return { statementAdded: true, policyDependable: this.ownStatements };
    }
    return super.addToPrincipalPolicy(statement);
  }

  /**
   * Grants the S3 actions Firehose needs on the buckets, object actions only under the given prefixes (their part
   * before the first `!{...}` expression), and the customer-managed key's data keys through S3 for these buckets.
   */
  public allowBuckets(access: FirehoseBucketAccess[], encryptionKey?: kms.IKey): void {
    const buckets = unique(access.map((a) => a.bucket));
    const objectArns = unique(access.flatMap((a) => objectScopes(a.prefixes).map((scope) => a.bucket.arnForObjects(`${scope}*`))));
    this.own(new iam.PolicyStatement({ sid: 'BucketsOfTheStream', actions: FIREHOSE_BUCKET_ACTIONS, resources: buckets.map((b) => b.bucketArn) }));
    this.own(new iam.PolicyStatement({ sid: 'ObjectsUnderTheStreamPrefixes', actions: FIREHOSE_OBJECT_ACTIONS, resources: objectArns }));
    if (encryptionKey) {
      this.own(new iam.PolicyStatement({
        sid: 'DataKeysThroughS3',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [encryptionKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` },
          // With S3 Bucket Keys the context is the bucket's ARN, without them the object's.
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': buckets.flatMap((b) => [b.bucketArn, b.arnForObjects('*')]) },
        },
      }));
    }
    const policy = this.node.findChild('DefaultPolicy');
    addNagSuppressions(policy, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Firehose writes objects whose keys it generates per batch under the stream\'s data, error and backup prefixes; the object actions are limited to those prefixes.',
      appliesTo: [{ regex: `/^Resource::${NAG_BUCKET_ARN}\\/[^*]*\\*$/g` }],
    }]);
  }

  private own(statement: iam.PolicyStatement): void {
    const result = super.addToPrincipalPolicy(statement);
    if (result.policyDependable) this.ownStatements.add(result.policyDependable as IDependable);
  }
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
