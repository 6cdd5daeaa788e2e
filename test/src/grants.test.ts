import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  actionsOf, IamRoleProperties, logicalIdOf, mentions, onlyResourceOfType, propertiesOfType, Statement, statementResources,
  statementsOfRole, stringsIn, testStack,
} from './template';
import { IotCoreFirehosePipeline } from '../../src';

const newStack = (): Stack => testStack('GrantStack');

/** The resolved statements of the delivery stream role's policies. */
function roleStatements(stack: Stack, pipeline: IotCoreFirehosePipeline): Statement[] {
  return statementsOfRole(stack, Template.fromStack(stack), logicalIdOf(pipeline.deliveryStreamRole));
}

/** Whether a statement's resources hold this resolved ARN, as itself or inside a formatted one. */
const isOn = (statement: Statement, arn: unknown): boolean => statementResources(statement).some((resource) => mentions(resource, arn));

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
    expect(statements.filter((st) => actionsOf(st).includes('s3:PutObject') && isOn(st, extraObjects))).toHaveLength(1);
    // ... while the pipeline's own buckets keep their least-privilege statements: no deletes, retention or legal hold
    const pipelineBuckets = [pipeline.parsedBucket, pipeline.rawBucket].map((b) => stack.resolve(b.bucketArn));
    const onPipelineBuckets = statements.filter((st) => pipelineBuckets.some((arn) => isOn(st, arn)));
    expect(onPipelineBuckets.map((st) => st.Sid).sort()).toEqual(['BucketsOfTheStream', 'ObjectsUnderTheStreamPrefixes']);
    expect(onPipelineBuckets.flatMap(actionsOf).filter((a) => /Delete|Retention|LegalHold|\*/.test(a))).toEqual([]);
  });

  test('GIVEN a user grant WHEN synthesized THEN the stream is created after the role\'s policy that holds it', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet' });
    new s3.Bucket(stack, 'Extra').grantRead(pipeline.deliveryStreamRole);
    const stream = onlyResourceOfType<unknown>(Template.fromStack(stack), 'AWS::KinesisFirehose::DeliveryStream');
    const policyId = logicalIdOf(pipeline.deliveryStreamRole.node.findChild('DefaultPolicy'));
    expect(stream.DependsOn).toContain(policyId);
  });

  test('GIVEN a pipeline WHEN synthesized THEN aws-cdk-lib\'s destination and stream widened nothing: one Firehose role, no unconditioned key or bucket-wide object grant', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet' });
    const template = Template.fromStack(stack);
    const firehoseRoles = propertiesOfType<IamRoleProperties>(template, 'AWS::IAM::Role')
      .filter((role) => stringsIn(role.AssumeRolePolicyDocument).some((s) => s.includes('firehose.amazonaws.com')));
    expect(firehoseRoles).toHaveLength(1);
    const statements = roleStatements(stack, pipeline);
    expect(statements.map((st) => st.Sid).sort()).toEqual(['BucketsOfTheStream', 'InvokeTheParser', 'ObjectsUnderTheStreamPrefixes', 'WriteTheDeliveryLog']);
  });
});
