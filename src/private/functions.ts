import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { addCheckovSkips, CheckovSkip } from './checkov';
import { addNagSuppressions } from './nag';

/**
 * The Lambda runtime every bundled handler runs on. Pinned (not "latest") so that a runtime change is a
 * deliberate, tested release of this library; the bundles target Node.js 20 syntax.
 */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_22_X;

/** Directory of a handler bundled at build time (assets/<name>/index.js in the package). */
export function assetDir(name: string): string {
  return path.join(__dirname, '..', '..', 'assets', name);
}

/** checkov CKV_AWS_158 on a pipeline log group without the customer-managed key. */
export const PIPELINE_LOG_GROUP_WITHOUT_KEY: CheckovSkip = {
  id: 'CKV_AWS_158',
  comment: 'CloudWatch Logs encrypts it with its own key by default (`encryption: PipelineEncryption.awsManaged()`); `PipelineEncryption.customerManaged()` encrypts the pipeline\'s log groups with the pipeline key.',
};

/** checkov CKV_AWS_158 on a per-stack log group (certificate provider, endpoint lookup). */
export const STACK_LOG_GROUP_WITHOUT_KEY: CheckovSkip = {
  id: 'CKV_AWS_158',
  comment: 'A per-stack log group shared by every pipeline of the stack (there is no one pipeline key for it); it holds request and certificate ids, never key material, and CloudWatch Logs encrypts it with its own key.',
};

/**
 * A Lambda execution role without managed policies that may write only to its own log group (finite
 * retention): what every function of the library uses instead of AWSLambdaBasicExecutionRole.
 */
export function loggingRole(scope: Construct, id: string, props: {
  readonly description: string;
  readonly retention: logs.RetentionDays;
  /** @default - a generated name */
  readonly logGroupName?: string;
  readonly removalPolicy?: RemovalPolicy;
  readonly encryptionKey?: kms.IKey;
  /** Why the log group has no customer-managed key (checkov CKV_AWS_158). @default PIPELINE_LOG_GROUP_WITHOUT_KEY */
  readonly unencryptedLogReason?: CheckovSkip;
}): { role: iam.Role; logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
    logGroupName: props.logGroupName,
    retention: props.retention,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    encryptionKey: props.encryptionKey,
  });
  if (!props.encryptionKey) addCheckovSkips(logGroup, [props.unencryptedLogReason ?? PIPELINE_LOG_GROUP_WITHOUT_KEY]);
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.description,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  }));
  return { role, logGroup };
}

export interface BundledFunctionProps {
  readonly asset: string;
  /** @default - the bundle `assets/<asset>/` as it is */
  readonly code?: lambda.Code;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment?: { [key: string]: string };
  readonly logRetention: logs.RetentionDays;
  /** @default - a generated name */
  readonly logGroupName?: string;
  readonly removalPolicy?: RemovalPolicy;
  readonly encryptionKey?: kms.IKey;
  /** @default PIPELINE_LOG_GROUP_WITHOUT_KEY */
  readonly unencryptedLogReason?: CheckovSkip;
}

/**
 * A Lambda function for one of the library's bundled handlers: arm64, pinned runtime, its own role with
 * no managed policies (write access to its own log group only), its own log group with finite
 * retention, and Lambda's JSON log format: the platform lines (START, END, REPORT with the init duration)
 * are JSON, `console` output is structured with the request id, and the JSON lines the handlers write
 * themselves (the parser toolkit's logs, with their `level`) are filtered by the function's application log
 * level (INFO).
 */
export class BundledFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    const { role, logGroup } = loggingRole(this, '', {
      description: props.description,
      retention: props.logRetention,
      logGroupName: props.logGroupName,
      removalPolicy: props.removalPolicy,
      encryptionKey: props.encryptionKey,
      unencryptedLogReason: props.unencryptedLogReason,
    });
    this.role = role;
    this.logGroup = logGroup;
    this.function = new lambda.Function(this, 'Function', {
      code: props.code ?? lambda.Code.fromAsset(assetDir(props.asset)),
      handler: 'index.handler',
      runtime: HANDLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: props.environment,
    });
    addNagSuppressions(this.function, [
      { id: 'AwsSolutions-L1', reason: 'The runtime is pinned on purpose (HANDLER_RUNTIME) so that runtime upgrades are deliberate, tested releases of this library.' },
    ]);
    addFunctionCheckovSkips(this.function, props.environment !== undefined && Object.keys(props.environment).length > 0);
  }
}

/**
 * The checkov checks that do not apply to the library's functions (the parser, the certificate provider, the
 * custom-resource frameworks), each with its reason, on exactly that function. `environment`: whether the function
 * has environment variables (CKV_AWS_173 looks at them).
 */
export function addFunctionCheckovSkips(fn: IConstruct, environment: boolean): void {
  addCheckovSkips(fn, [
    { id: 'CKV_AWS_116', comment: 'Invoked synchronously (by Firehose, or by CloudFormation through a custom-resource framework), which retries itself; a dead-letter queue applies to asynchronous invocations only.' },
    { id: 'CKV_AWS_117', comment: 'Calls public AWS APIs only (S3, IoT, Secrets Manager) and needs no private network; a VPC would add NAT or endpoints without isolating anything.' },
    { id: 'CKV_AWS_115', comment: 'Firehose and CloudFormation bound the invocations themselves; reserved concurrency would take from the account\'s unreserved pool and could throttle the stream.' },
    ...(environment ? [{ id: 'CKV_AWS_173', comment: 'The environment holds configuration only (format, prefixes, bucket name, function ARN), no secrets; Lambda encrypts it at rest with its AWS-managed key.' }] : []),
  ]);
}
