import { PIPELINE_OUTPUT_IDS } from '../../../src/contract';
import { defineCheck, fail, pass, warn } from '../check';

/** The delivery stream exists and is ACTIVE. */
export const streamCheck = defineCheck({
  id: 'stream',
  title: 'Delivery stream is ACTIVE',
  reads: ['streamName', 'stream'],
  evaluate(facts) {
    const streamName = facts.streamName;
    if (streamName === undefined) {
      return fail(`no delivery stream in the stack outputs (${PIPELINE_OUTPUT_IDS.deliveryStreamName}) or resources`, 'redeploy the stack');
    }
    if (!facts.stream?.ok) {
      return facts.stream?.notFound
        ? fail(`delivery stream ${streamName} does not exist`, 'it was deleted outside CloudFormation: redeploy the stack')
        : fail(`delivery stream ${streamName}: ${facts.stream?.error}`, 'allow firehose:DescribeDeliveryStream');
    }
    const { status, failure } = facts.stream.value;
    if (status === 'ACTIVE') return pass(`delivery stream ${streamName} is ACTIVE`);
    if (status === 'CREATING' || status === 'UPDATING') return warn(`delivery stream ${streamName} is ${status}`, 'wait a few minutes and run doctor again');
    return fail(`delivery stream ${streamName} is ${status}${failure ? ` (${failure})` : ''}`,
      'fix the failure named (often the stream\'s role or KMS key), then redeploy');
  },
});
