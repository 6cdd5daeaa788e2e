import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
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

/**
 * A Lambda execution role without managed policies that may write only to its own log group (finite
 * retention): what every function of the library uses instead of AWSLambdaBasicExecutionRole.
 */
export function loggingRole(scope: Construct, id: string, props: {
  readonly description: string;
  readonly retention: logs.RetentionDays;
  readonly removalPolicy?: RemovalPolicy;
  readonly encryptionKey?: kms.IKey;
}): { role: iam.Role; logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
    retention: props.retention,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    encryptionKey: props.encryptionKey,
  });
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
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment?: { [key: string]: string };
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy?: RemovalPolicy;
  readonly encryptionKey?: kms.IKey;
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
      removalPolicy: props.removalPolicy,
      encryptionKey: props.encryptionKey,
    });
    this.role = role;
    this.logGroup = logGroup;
    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(assetDir(props.asset)),
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
  }
}
