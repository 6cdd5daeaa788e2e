import { parseRuleSql, ruleReceives } from '../../../local/iot/topic-filter';
import { splitBasicIngest } from '../../../src/contract';
import { defineCheck, fail, notChecked, pass } from '../check';
import { deviceTopic } from '../derived';

/** The rule's FROM filter matches the topic devices publish to (with Basic Ingest: the rule the topic names). */
export const ruleTopicCheck = defineCheck({
  id: 'rule-topic',
  title: 'Rule FROM matches the device topic',
  reads: ['rule', 'ruleName', 'publishTopic', 'topic', 'thingName', 'deviceTopic'],
  evaluate(facts) {
    const rule = facts.rule?.ok ? facts.rule.value : undefined;
    const ruleName = facts.ruleName;
    if (!rule || ruleName === undefined) return notChecked('no rule');
    const sql = parseRuleSql(rule.sql);
    if (!sql) return fail(`cannot read the topic filter of "${rule.sql}"`, 'write the SQL as SELECT … FROM \'<topic filter>\' [WHERE …]');
    const topic = deviceTopic(facts);
    if (topic === undefined) return notChecked('topic or thing name unknown');
    if (ruleReceives(ruleName, sql.topicFilter, topic)) {
      return pass(`FROM '${sql.topicFilter}' matches ${topic}${sql.where ? ` (WHERE ${sql.where} may still drop messages)` : ''}`);
    }
    const basicIngest = splitBasicIngest(topic);
    if (basicIngest && basicIngest.ruleName !== ruleName) {
      return fail(`devices publish with Basic Ingest to rule ${basicIngest.ruleName}, not to ${ruleName}`, 'redeploy the stack');
    }
    return fail(`FROM '${sql.topicFilter}' does not match ${topic}, the topic devices publish to`,
      `change the rule's SQL (the construct's \`sql\` prop) to a filter that matches, e.g. '${facts.topic}/+', or publish to a topic it matches`);
  },
});
