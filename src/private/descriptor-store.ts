import * as fs from 'fs';
import { basename, dirname, join } from 'path';
import { AssetHashType, Duration, ILocalBundling, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, IDependable } from 'constructs';
import { DESCRIPTOR_SET_PREFIX } from '../contract';
import { createAccessLogsBucket, logInto } from './access-logs';
import { addFunctionCheckovSkips, loggingRole, STACK_LOG_GROUP_WITHOUT_KEY } from './functions';
import { hardenedBucketProps } from './hardened-bucket';
import { addNagSuppressions, NAG_BUCKET_ARN } from './nag';
import { CheckedDescriptorSet } from './payload-schema';

/** Where a Protobuf pipeline's FileDescriptorSet lives once deployed, and what to wait for before the rule uses it. */
export interface DeployedDescriptorSet {
  readonly bucket: s3.IBucket;
  /** The object key: `DESCRIPTOR_SET_PREFIX` + a hash of the file + `.desc`. */
  readonly key: string;
  /** The deployment the rule must depend on. */
  readonly deployment: IDependable;
}

export interface DescriptorStoreProps {
  readonly descriptor: CheckedDescriptorSet;
  readonly removalPolicy: RemovalPolicy;
  /** The pipeline's access-log bucket, or none (then the store logs into one of its own). */
  readonly accessLogsBucket?: s3.IBucket;
  /** How long overwritten or deleted versions stay. */
  readonly noncurrentVersionExpiration: Duration;
}

/**
 * Copies one file into the deployment's asset as `<name>` (CDK's local bundling, which always succeeds: the image is
 * never used), so that the asset holds that one file under its content-hashed name and nothing else of its folder.
 */
export class SingleFileBundling implements ILocalBundling {
  constructor(private readonly file: string, private readonly name: string) {}

  public tryBundle(outputDir: string): boolean {
    fs.copyFileSync(this.file, join(outputDir, this.name));
    return true;
  }
}

/**
 * The bucket a Protobuf pipeline's rule reads its FileDescriptorSet from (`decode(*, 'proto', <bucket>, <key>, ...)`),
 * and the file deployed into it.
 *
 * AWS IoT reads the descriptor itself, as the service principal `iot.amazonaws.com`, through the bucket's policy
 * (`s3:Get*` on the object); with SSE-S3 nothing more is needed, while SSE-KMS would need the key's policy to let
 * IoT decrypt and SSE-C is not supported
 * (https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html): so the bucket is SSE-S3 whatever the
 * pipeline's encryption (the descriptor is a schema, not telemetry). The statement carries the conditions AWS IoT
 * documents against the confused deputy, `aws:SourceArn` = `arn:<partition>:iot:<region>:<account>:*` and
 * `aws:SourceAccount` = the account
 * (https://docs.aws.amazon.com/iot/latest/developerguide/cross-service-confused-deputy-prevention.html).
 *
 * The key is content-hashed: AWS IoT may take up to 15 minutes to see a changed descriptor under the same key and
 * recommends a new key (binary-payloads.html, "Best practices"); old keys are kept (no pruning) so that the rule in
 * service until the update reads a descriptor that still exists.
 */
export function createDescriptorStore(scope: Construct, id: string, props: DescriptorStoreProps): DeployedDescriptorSet {
  const store = new Construct(scope, id);
  const autoDeleteObjects = props.removalPolicy === RemovalPolicy.DESTROY;
  const noncurrentVersions: s3.LifecycleRule = {
    id: 'expire-noncurrent-versions',
    noncurrentVersionExpiration: props.noncurrentVersionExpiration,
    expiredObjectDeleteMarker: true,
    abortIncompleteMultipartUploadAfter: Duration.days(7),
  };
  // SSE-S3: AWS IoT reads the descriptor with no key policy (binary-payloads.html)
  const bucket = new s3.Bucket(store, 'Bucket', hardenedBucketProps({ removalPolicy: props.removalPolicy, lifecycleRules: [noncurrentVersions] }));
  const logsBucket = props.accessLogsBucket ?? createAccessLogsBucket(store, 'AccessLogsBucket', {
    removalPolicy: props.removalPolicy,
    expiration: Duration.days(365),
    noncurrentVersions,
  });
  logInto(bucket, logsBucket, 'payload-schemas-bucket/');

  const key = `${DESCRIPTOR_SET_PREFIX}${props.descriptor.hash}.desc`;
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AwsIotReadsDescriptorSets',
    principals: [new iam.ServicePrincipal('iot.amazonaws.com')],
    actions: ['s3:Get*'],
    resources: [bucket.arnForObjects(`${DESCRIPTOR_SET_PREFIX}*`)],
    conditions: {
      ArnLike: { 'aws:SourceArn': Stack.of(store).formatArn({ service: 'iot', resource: '*' }) },
      StringEquals: { 'aws:SourceAccount': Stack.of(store).account },
    },
  }));

  const { role, logGroup } = deploymentRole(store);
  const deployment = new s3deploy.BucketDeployment(store, 'Deployment', {
    sources: [s3deploy.Source.asset(dirname(props.descriptor.path), {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never used: local bundling always succeeds. CDK requires an image next to a local bundler.
        image: lambda.Runtime.NODEJS_22_X.bundlingImage,
        local: new SingleFileBundling(props.descriptor.path, basename(key)),
      },
    })],
    destinationBucket: bucket,
    destinationKeyPrefix: DESCRIPTOR_SET_PREFIX,
    prune: false,
    retainOnDelete: !autoDeleteObjects,
    role,
    logGroup,
  });
  explainDeploymentFunction(store, role);
  return { bucket, key, deployment };
}

/**
 * The role and log group of aws-cdk-lib's BucketDeployment function, one per stack like the function itself (a
 * singleton): no AWS-managed policy, logs with finite retention. BucketDeployment adds its own S3 grants to the role.
 */
function deploymentRole(scope: Construct): { role: iam.Role; logGroup: logs.LogGroup } {
  const stack = Stack.of(scope);
  const id = 'IotCoreFirehosePipelineDescriptorDeployment';
  const existing = stack.node.tryFindChild(id);
  if (existing) {
    return { role: existing.node.findChild('Role') as iam.Role, logGroup: existing.node.findChild('LogGroup') as logs.LogGroup };
  }
  const holder = new Construct(stack, id);
  return loggingRole(holder, '', {
    description: 'Copies the pipelines\' Protobuf FileDescriptorSets into their buckets (aws-cdk-lib BucketDeployment)',
    retention: logs.RetentionDays.ONE_YEAR,
    unencryptedLogReason: STACK_LOG_GROUP_WITHOUT_KEY,
  });
}

/** cdk-nag and checkov findings on BucketDeployment's function and on the grants it adds to the role, each with its reason. */
function explainDeploymentFunction(scope: Construct, role: iam.Role): void {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (policy) {
    addNagSuppressions(policy, [{
      id: 'AwsSolutions-IAM5',
      reason: 'aws-cdk-lib\'s BucketDeployment copies the FileDescriptorSet from the CDK asset bucket into the descriptor bucket: it reads the asset object and lists, writes and (on delete) removes objects of the descriptor bucket; the grants are aws-cdk-lib\'s own (grantRead of the asset, grantReadWrite of the destination).',
      appliesTo: [
        'Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*',
        { regex: `/^Resource::${NAG_BUCKET_ARN}\\/\\*$/g` },
        { regex: '/^Resource::arn:<AWS::Partition>:s3:::cdk-[^/]+\\/\\*$/g' },
      ],
    }]);
  }
  const fn = Stack.of(scope).node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (fn) {
    addNagSuppressions(fn, [
      { id: 'AwsSolutions-L1', reason: 'aws-cdk-lib\'s BucketDeployment function: its runtime is chosen by aws-cdk-lib.' },
    ]);
    // Its environment holds aws-cdk-lib's AWS_CA_BUNDLE path only (CKV_AWS_173).
    addFunctionCheckovSkips(fn, true);
  }
}
