import { Annotations, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { DATA_ENDPOINT_OUTPUT_ID } from '../contract';
import { addFunctionCheckovSkips, loggingRole, STACK_LOG_GROUP_WITHOUT_KEY } from './functions';
import { addNagSuppressions } from './nag';

/**
 * The account's AWS IoT data endpoint (`iot:Data-ATS`), looked up once per stack at deploy time with
 * `iot:DescribeEndpoint` and published as the stack output `IotDataAtsEndpoint` (`DATA_ENDPOINT_OUTPUT_ID`).
 */
export class DataAtsEndpoint extends Construct {
  public static of(scope: Construct): DataAtsEndpoint {
    const stack = Stack.of(scope);
    const id = 'IotCoreFirehosePipelineDataEndpoint';
    return (stack.node.tryFindChild(id) as DataAtsEndpoint | undefined) ?? new DataAtsEndpoint(stack, id);
  }

  /** The endpoint host name, e.g. `abc123-ats.iot.eu-west-1.amazonaws.com`. */
  public readonly address: string;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const call: cr.AwsSdkCall = {
      service: 'IoT',
      action: 'DescribeEndpoint',
      parameters: { endpointType: 'iot:Data-ATS' },
      physicalResourceId: cr.PhysicalResourceId.fromResponse('endpointAddress'),
      outputPaths: ['endpointAddress'],
    };
    // Own role and log group (finite retention) instead of the singleton's AWS-managed basic execution policy.
    const { role, logGroup } = loggingRole(this, '', {
      description: 'Looks up the AWS IoT data endpoint (iot:DescribeEndpoint)',
      retention: logs.RetentionDays.ONE_YEAR,
      unencryptedLogReason: STACK_LOG_GROUP_WITHOUT_KEY,
    });
    const lookup = new cr.AwsCustomResource(this, 'Lookup', {
      role,
      logGroup,
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['iot:DescribeEndpoint'], resources: ['*'] }),
      ]),
    });
    this.address = lookup.getResponseField('endpointAddress');
    new CfnOutput(Stack.of(this), DATA_ENDPOINT_OUTPUT_ID, {
      description: 'AWS IoT data endpoint (iot:Data-ATS) devices connect to over MQTT/TLS on port 8883',
      value: this.address,
    });

    addNagSuppressions(lookup.node.findChild('CustomResourcePolicy'), [
      { id: 'AwsSolutions-IAM5', reason: 'iot:DescribeEndpoint supports no resource-level permission.', appliesTo: ['Resource::*'] },
    ]);
    // The AwsCustomResource singleton function lives at stack level; suppress its findings there. Its construct id
    // is derived from aws-cdk-lib's public PROVIDER_FUNCTION_UUID as SingletonFunction names it: the purpose "AWS"
    // followed by the uuid without its dashes.
    const singleton = Stack.of(this).node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/[^a-zA-Z0-9]/g, '')}`);
    if (!singleton) {
      Annotations.of(this).addWarningV2('cdk-iot-core-firehose-pipeline:endpointSingletonNotFound',
        'aws-cdk-lib\'s AwsCustomResource singleton function was not found by its id; its cdk-nag and checkov findings are not suppressed.');
    } else {
      addNagSuppressions(singleton, [
        { id: 'AwsSolutions-L1', reason: 'The AwsCustomResource singleton function\'s runtime is chosen by aws-cdk-lib.' },
      ]);
      addFunctionCheckovSkips(singleton, false);
    }
  }
}
