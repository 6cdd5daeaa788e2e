import { PIPELINE_OUTPUT_IDS } from '../../../src/contract';
import { defineCheck, fail, pass } from '../check';

/** The topic rule exists and is enabled. */
export const ruleCheck = defineCheck({
  id: 'rule',
  title: 'Topic rule exists and is enabled',
  reads: ['ruleName', 'rule'],
  evaluate(facts) {
    const ruleName = facts.ruleName;
    if (ruleName === undefined) {
      return fail(`no topic rule in the stack outputs (${PIPELINE_OUTPUT_IDS.topicRuleName}) or resources`, 'redeploy the stack');
    }
    if (!facts.rule?.ok) {
      return facts.rule?.notFound
        ? fail(`rule ${ruleName} does not exist`, 'it was deleted outside CloudFormation: redeploy the stack')
        : fail(`rule ${ruleName}: ${facts.rule?.error}`, 'allow iot:GetTopicRule');
    }
    if (facts.rule.value.disabled) {
      return fail(`rule ${ruleName} is disabled: messages are not forwarded`, `\`aws iot enable-topic-rule --rule-name ${ruleName}\``);
    }
    return pass(`rule ${ruleName} is enabled${facts.rule.value.hasErrorAction ? ' and has an error action' : ''}`);
  },
});
