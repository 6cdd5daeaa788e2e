import { defineCheck, fail, notChecked, pass } from '../check';

/** The rule has a Firehose action that forwards to the pipeline's delivery stream. */
export const ruleActionCheck = defineCheck({
  id: 'rule-action',
  title: 'Rule forwards to the delivery stream',
  reads: ['rule', 'ruleName', 'streamName'],
  evaluate(facts) {
    if (!facts.rule?.ok) return notChecked('no rule');
    const streams = facts.rule.value.firehoseStreams;
    if (streams.length === 0) return fail(`rule ${facts.ruleName} has no Firehose action`, 'redeploy the stack (the construct adds a Firehose action)');
    if (facts.streamName !== undefined && !streams.includes(facts.streamName)) {
      return fail(`rule ${facts.ruleName} forwards to ${streams.join(', ')}, not to the pipeline's stream ${facts.streamName}`, 'redeploy the stack');
    }
    return pass(`rule ${facts.ruleName} forwards to ${streams.join(', ')}`);
  },
});
