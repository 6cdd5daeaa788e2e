import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { addNagSuppressions } from './nag';

/**
 * Account-wide AWS IoT logging (AWS::IoT::Logging) at `level`, created once per stack. A second pipeline in the
 * stack may ask for the same level; another level is an error (AWS IoT has one per account and region).
 * `level` is an `IotLogLevel` value.
 */
export function enableIotLogging(scope: Construct, level: string): void {
  const stack = Stack.of(scope);
  const id = 'IotCoreFirehosePipelineIotLogging';
  const existing = stack.node.tryFindChild(id) as iot.CfnLogging | undefined;
  if (existing) {
    if (existing.defaultLogLevel !== level) {
      throw new Error(`${scope.node.path}: invalid \`iotLogging\`: another pipeline in this stack set IoT logging to ${existing.defaultLogLevel}; AWS IoT has one log level per account and region, so give the same level (or set it in one pipeline only).`);
    }
    return;
  }
  const role = new iam.Role(stack, `${id}Role`, {
    // AWS IoT's confused deputy prevention: aws:SourceArn in the form arn:<partition>:iot:<region>:<account>:*, and
    // aws:SourceAccount (https://docs.aws.amazon.com/iot/latest/developerguide/cross-service-confused-deputy-prevention.html).
    assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'iot', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }) },
      },
    }),
    description: 'Lets AWS IoT write its logs to CloudWatch Logs (AWSIotLogsV2)',
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:PutMetricFilter', 'logs:PutRetentionPolicy'],
    resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: 'AWSIotLogsV2:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
  }));
  addNagSuppressions(role.node.findChild('DefaultPolicy'), [{
    id: 'AwsSolutions-IAM5',
    reason: 'AWS IoT creates its log streams inside the AWSIotLogsV2 log group.',
    appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:AWSIotLogsV2:\\*$/g' }],
  }]);
  new iot.CfnLogging(stack, id, { accountId: Aws.ACCOUNT_ID, defaultLogLevel: level, roleArn: role.roleArn });
}
