import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IotCoreFirehosePipeline } from '../../src';

function newStack(): Stack {
  return new Stack(new App(), 'GrantStack', { env: { account: '123456789012', region: 'eu-west-1' } });
}

/** The statements of the delivery stream role's policies, resolved. */
function roleStatements(stack: Stack, pipeline: IotCoreFirehosePipeline): any[] {
  const roleId = stack.getLogicalId(pipeline.deliveryStreamRole.node.defaultChild as iam.CfnRole);
  const policies = Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]));
  return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

const actionsOf = (statement: any): string[] => [statement.Action].flat();

describe('grants to the delivery stream role', () => {
  test('GIVEN a pipeline and another bucket WHEN the bucket grants write to pipeline.deliveryStreamRole THEN s3:PutObject on its objects is in that role\'s policy', () => {
    // GIVEN
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet' });
    const extra = new s3.Bucket(stack, 'Extra');
    // WHEN
    const grant = extra.grantWrite(pipeline.deliveryStreamRole);
    // THEN
    expect(grant.success).toBe(true);
    const extraObjects = stack.resolve(extra.arnForObjects('*'));
    const statements = roleStatements(stack, pipeline);
    expect(statements.filter((st) => actionsOf(st).includes('s3:PutObject') && JSON.stringify(st.Resource).includes(JSON.stringify(extraObjects))))
      .toHaveLength(1);
    // ... while the pipeline's own buckets keep their least-privilege statements: no deletes, retention or legal hold
    const pipelineBuckets = [pipeline.parsedBucket, pipeline.rawBucket].map((b) => JSON.stringify(stack.resolve(b.bucketArn)));
    const onPipelineBuckets = statements.filter((st) => pipelineBuckets.some((arn) => JSON.stringify(st.Resource).includes(arn)));
    expect(onPipelineBuckets.map((st) => st.Sid).sort()).toEqual(['BucketsOfTheStream', 'ObjectsUnderTheStreamPrefixes']);
    expect(onPipelineBuckets.flatMap(actionsOf).filter((a) => /Delete|Retention|LegalHold|\*/.test(a))).toEqual([]);
  });

  test('GIVEN a user grant WHEN synthesized THEN the stream is created after the role\'s policy that holds it', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet' });
    new s3.Bucket(stack, 'Extra').grantRead(pipeline.deliveryStreamRole);
    const stream = Object.values<any>(Template.fromStack(stack).findResources('AWS::KinesisFirehose::DeliveryStream'))[0];
    const policyId = stack.getLogicalId(pipeline.deliveryStreamRole.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy);
    expect(stream.DependsOn).toContain(policyId);
  });

  test('GIVEN a pipeline WHEN synthesized THEN aws-cdk-lib\'s destination and stream widened nothing: one Firehose role, no unconditioned key or bucket-wide object grant', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet' });
    const template = Template.fromStack(stack);
    const firehoseRoles = Object.values<any>(template.findResources('AWS::IAM::Role'))
      .filter((role) => JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('firehose.amazonaws.com'));
    expect(firehoseRoles).toHaveLength(1);
    const statements = roleStatements(stack, pipeline);
    expect(statements.map((st) => st.Sid).sort()).toEqual(['BucketsOfTheStream', 'InvokeTheParser', 'ObjectsUnderTheStreamPrefixes', 'WriteTheDeliveryLog']);
  });
});
