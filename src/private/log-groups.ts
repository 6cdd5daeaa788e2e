import { Aws, Fn, Names } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * The name prefix of a pipeline's log groups: `/iot-pipeline/<pipeline's unique name>/<stack uuid>/`.
 *
 * Named, not generated, so that the customer-managed key's policy can let CloudWatch Logs use the key for exactly
 * these log groups (the key cannot reference them: they reference the key). The stack's uuid (from `AWS::StackId`)
 * makes the names differ between two creations of the same stack, so retained log groups of a deleted stack never
 * block the next deployment.
 */
export function pipelineLogGroupPrefix(pipeline: Construct): string {
  const unique = Names.uniqueResourceName(pipeline, { maxLength: 100, separator: '-', allowedSpecialCharacters: '-_' });
  const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  return `/iot-pipeline/${unique}/${stackUuid}/`;
}
