import { defineCheck } from '../check';
import { deviceTopic, publishBase } from '../derived';
import { evaluateDevicePolicies, POLICY_EVALUATION_READS } from '../policy-evaluation';

/** The policies attached to the certificate allow iot:Publish to the device topic (`<publish topic>/<thing name>`). */
export const policyPublishCheck = defineCheck({
  id: 'policy-publish',
  title: 'Policy allows iot:Publish to the device topic',
  reads: [...POLICY_EVALUATION_READS, 'publishTopic', 'topic', 'deviceTopic'],
  evaluate(facts) {
    const topic = deviceTopic(facts);
    const base = publishBase(facts) ?? '<topic>';
    return evaluateDevicePolicies(facts, {
      action: 'iot:Publish',
      resourceKind: 'topic',
      resourceName: topic,
      title: `Policy allows iot:Publish to ${topic ?? '?'}`,
      allowFix: `allow iot:Publish on topic/${topic} in a policy attached to the certificate `
        + `(the pipeline's device policy allows topic/${base} and topic/${base}/*)`,
    });
  },
});
