/**
 * Whether the topic `publish` sends to reaches a topic rule. AWS IoT (and the local runner) acknowledge a message
 * that no rule selects and drop it; this says so before the messages are sent: with `--stack`, against the
 * pipeline's rule (GetTopicRule), with `--app`, against every enabled rule of the synthesized assembly. A rule is
 * triggered only by messages on topics its FROM filter matches (docs.aws.amazon.com/iot/latest/developerguide/iot-sql-from.html).
 */
import { GetTopicRuleCommand } from '@aws-sdk/client-iot';
import { loadModel } from '../../local/assembly/model';
import { parseRuleSql, ruleReceives } from '../../local/iot/topic-filter';
import type { AwsClients } from '../aws/clients';

/** A rule as far as reaching it goes. */
export interface RuleFilter {
  readonly name: string;
  /** The rule's FROM topic filter. */
  readonly from: string;
  readonly disabled?: boolean;
}

/** Why a message on `topic` reaches none of `rules` (undefined when one of them selects it, or there are none). */
export function unreachedRules(topic: string, rules: readonly RuleFilter[]): string | undefined {
  const enabled = rules.filter((r) => !r.disabled);
  if (enabled.length === 0 || enabled.some((r) => ruleReceives(r.name, r.from, topic))) return undefined;
  const filters = enabled.map((r) => `${r.name} reads FROM '${r.from}'`).join('; ');
  return `no topic rule selects topic ${topic} (${filters}): the broker acknowledges these messages and they land nowhere. `
    + 'Publish to a topic a rule\'s filter matches, e.g. one level below the pipeline\'s base topic (<topic>/<device>).';
}

/** The pipeline's rule from AWS (GetTopicRule); undefined when it cannot be read (the warning is then skipped). */
export async function awsRule(clients: AwsClients, ruleName: string): Promise<RuleFilter | undefined> {
  try {
    const rule = (await clients.iot.send(new GetTopicRuleCommand({ ruleName }))).rule;
    const sql = rule?.sql !== undefined ? parseRuleSql(rule.sql) : undefined;
    return sql ? { name: ruleName, from: sql.topicFilter, disabled: rule?.ruleDisabled === true } : undefined;
  } catch {
    return undefined;
  }
}

/** Every rule of a synthesized assembly, as the local runner reads them. */
export function assemblyRules(app: string, stack: string | undefined): RuleFilter[] {
  return loadModel({ app, stack }).rules.map((r) => ({ name: r.name, from: r.sql.from, disabled: r.disabled }));
}
