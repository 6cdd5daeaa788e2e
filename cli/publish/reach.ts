/**
 * Whether the topic `publish` sends to reaches a topic rule. AWS IoT (and the local runner) acknowledge a message
 * that no rule selects and drop it; this says so before the messages are sent: with `--stack`, against the
 * pipeline's rule (GetTopicRule), with `--app`, against every enabled rule of the synthesized assembly. A rule is
 * triggered only by messages on topics its FROM filter matches (docs.aws.amazon.com/iot/latest/developerguide/iot-sql-from.html).
 */
import { GetTopicRuleCommand } from '@aws-sdk/client-iot';
import type { PayloadKind } from './payload';
import { loadModel } from '../../local/assembly/model';
import { compileSql, SqlEvaluationError } from '../../local/iot/sql';
import { parseRuleSql, ruleReceives, splitBasicIngest } from '../../local/iot/topic-filter';
import type { AwsClients } from '../aws/clients';

/** A rule as far as reaching it goes. */
export interface RuleFilter {
  readonly name: string;
  /** The rule's FROM topic filter. */
  readonly from: string;
  readonly disabled?: boolean;
  /** The rule's SQL statement, when known: it says whether the rule takes non-JSON payloads. */
  readonly sql?: string;
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
    return sql ? { name: ruleName, from: sql.topicFilter, disabled: rule?.ruleDisabled === true, sql: rule!.sql } : undefined;
  } catch {
    return undefined;
  }
}

/** Every rule of a synthesized assembly, as the local runner reads them. */
export function assemblyRules(app: string, stack: string | undefined): RuleFilter[] {
  return loadModel({ app, stack }).rules.map((r) => ({ name: r.name, from: r.sql.from, disabled: r.disabled, sql: r.sql.sql }));
}

/** The first message `publish` will send, as far as the rules see it. */
export interface SamplePayload {
  readonly kind: PayloadKind;
  readonly bytes: Buffer;
  readonly clientId: string;
}

/**
 * Why the rules that receive `topic` will not forward a non-JSON payload (undefined when one of them forwards it, or
 * nothing is known). AWS IoT can add fields to `*` only for a JSON or an empty payload; a binary payload needs `*`
 * alone, or functions such as `encode(*, 'base64')`, or `decode(*, 'proto', …)`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html). The pipeline's default JSON rule,
 * `SELECT topic() as topic, * …`, therefore drops a text, CBOR or Protobuf message after the broker acknowledged it.
 *
 * A rule whose SQL calls `encode(*` or `decode(*, 'proto'` (the binary and Protobuf pipelines' rules) forwards any
 * payload; any other rule is evaluated on the sample with the local runner's SQL engine (the same evaluation the
 * runner does): a rule that selects it forwards it, one that cannot build its SELECT from it drops it.
 */
export function nonJsonPayloadWarning(topic: string, rules: readonly RuleFilter[], sample: SamplePayload): string | undefined {
  if (sample.kind === 'json') return undefined;
  const receiving = rules.filter((r) => !r.disabled && r.sql !== undefined && ruleReceives(r.name, r.from, topic));
  const verdicts = receiving.map((rule) => ({ rule, verdict: verdictOn(rule.sql!, topic, sample) }));
  if (verdicts.some((v) => v.verdict === 'forwards')) return undefined;
  const dropping = verdicts.filter((v) => v.verdict === 'drops').map((v) => v.rule);
  if (dropping.length === 0) return undefined;
  const what = sample.kind === 'file' ? 'the --payload-file bytes are not JSON' : `the ${sample.kind === 'text' ? '--raw text' : sample.kind === 'cbor' ? 'CBOR' : 'Protobuf'} payload is not JSON`;
  return `${what}, and ${dropping.map((r) => `rule ${r.name} (${r.sql})`).join('; ')} takes JSON only: `
    + 'AWS IoT adds fields to * only for a JSON payload, so the rule drops these messages after the broker acknowledges them. '
    + "Deploy the pipeline with `payload: PayloadFormat.binary()` (its rule wraps any payload: SELECT encode(*, 'base64') AS payload, topic() AS topic, ...), "
    + 'or send JSON (--template, without --raw, --payload-file, --cbor or --protobuf).';
}

type Verdict = 'forwards' | 'drops' | 'filters' | 'unknown';

function verdictOn(sql: string, topic: string, sample: SamplePayload): Verdict {
  if (/\bencode\s*\(\s*\*/i.test(sql) || /\bdecode\s*\(\s*\*\s*,\s*'proto'/i.test(sql)) return 'forwards';
  let statement;
  try {
    statement = compileSql(sql);
  } catch {
    return 'unknown'; // a rule the runner cannot evaluate (a function that calls another service): claim nothing
  }
  try {
    const message = { topic: splitBasicIngest(topic)?.topic ?? topic, clientId: sample.clientId, timestamp: Date.now(), payload: sample.bytes };
    const result = statement.evaluate(message);
    return result.kind === 'skip' ? 'filters' : 'forwards';
  } catch (e) {
    return e instanceof SqlEvaluationError ? 'drops' : 'unknown';
  }
}
