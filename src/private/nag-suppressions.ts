import { IConstruct } from 'constructs';
import { RULE_ERRORS_PREFIX } from '../contract';
import { addNagSuppressions } from './nag';

/**
 * How cdk-nag renders the ARN of one of the pipeline's buckets: `<LogicalId.Arn>` for a bucket in the stack,
 * `arn:<AWS::Partition>:s3:::name` for an imported one.
 */
const BUCKET_ARN = '(<[^>*]+\\.Arn>|arn:<AWS::Partition>:s3:::[^/*]+)';

/**
 * The cdk-nag findings that remain on a pipeline's resources are inherent to the services; each suppression
 * names the findings it covers (`appliesTo`) and why. Applied to every resource under the pipeline.
 */
export function addPipelineNagSuppressions(pipeline: IConstruct): void {
  addNagSuppressions(pipeline, [
    {
      id: 'AwsSolutions-IAM5',
      reason: 'Firehose (aws-cdk-lib S3 destination grant) reads and writes objects of its own destination/backup buckets, whose keys are generated per batch.',
      appliesTo: [
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:List*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
        { regex: `/^Resource::${BUCKET_ARN}\\/\\*$/g` },
      ],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: `The IoT rule error action writes one object per failed message under the ${RULE_ERRORS_PREFIX} prefix of the raw bucket.`,
      appliesTo: [{ regex: `/^Resource::${BUCKET_ARN}\\/${RULE_ERRORS_PREFIX.replace('/', '\\/')}\\*$/g` }],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: 'The parser writes its own objects (direct delivery) under its prefix of the parsed bucket; keys are derived per batch.',
      appliesTo: [{ regex: `/^Resource::${BUCKET_ARN}\\/[^*]+\\*$/g` }],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: 'The topic rule role\'s trust policy is scoped to rules of this account; the rule ARN cannot be referenced without a cycle.',
      appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:rule\\/\\*$/g' }],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: 'KMS grants for the pipeline key (aws-cdk-lib grants kms:GenerateDataKey* and kms:ReEncrypt* to Firehose for SSE-KMS writes).',
      appliesTo: ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'],
    },
  ], true);
}
