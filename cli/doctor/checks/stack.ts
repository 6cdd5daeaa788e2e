import { defineCheck, fail, pass, warn } from '../check';

/** The stack exists, is not failed or rolling back, and holds the pipeline. Without it no other check runs. */
export const stackCheck = defineCheck({
  id: 'stack',
  title: 'Stack',
  reads: ['stackName', 'stack', 'pipelineProblem', 'pipelinePrefix', 'thingName', 'topic'],
  evaluate(facts) {
    if (!facts.stack) {
      return fail(`stack ${facts.stackName} does not exist in this account/Region`,
        'check --stack and --region (or AWS_REGION); deploy the app with `cdk deploy`');
    }
    const status = facts.stack.status;
    if (facts.pipelineProblem !== undefined) {
      return fail(`stack ${facts.stackName} (${status}): ${facts.pipelineProblem}`, 'pass the stack that holds the IotCoreFirehosePipeline');
    }
    const detail = `stack ${facts.stackName} is ${status}; `
      + `pipeline ${facts.pipelinePrefix || '(unnamed)'}: thing ${facts.thingName ?? '?'}, topic ${facts.topic ?? '?'}`;
    if (/(ROLLBACK|FAILED)/.test(status) && status !== 'UPDATE_ROLLBACK_COMPLETE') {
      return fail(detail, 'see the stack events in the CloudFormation console, fix the cause and deploy again');
    }
    if (status === 'UPDATE_ROLLBACK_COMPLETE') return warn(detail, 'the last update was rolled back; see the stack events');
    if (/IN_PROGRESS$/.test(status)) return warn(detail, 'wait for the deployment to finish and run doctor again');
    return pass(detail);
  },
});
