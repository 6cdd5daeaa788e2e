/**
 * MQTT topics and the topic rule: the shape of Basic Ingest topics and the rule the construct creates by default.
 * (docs.aws.amazon.com/iot/latest/developerguide/iot-basic-ingest.html)
 */

/** Devices publish to `$aws/rules/<ruleName>/<topic>` with Basic Ingest. */
export const BASIC_INGEST_PREFIX = '$aws/rules/';

/** The topic a device publishes to with Basic Ingest to reach `ruleName` with `topic`. */
export function basicIngestTopic(ruleName: string, topic: string): string {
  return `${BASIC_INGEST_PREFIX}${ruleName}/${topic}`;
}

/** A Basic Ingest topic split into the rule name and the topic the rule sees (`topic()`); undefined for any other topic. */
export function splitBasicIngest(topic: string): { ruleName: string; topic: string } | undefined {
  if (!topic.startsWith(BASIC_INGEST_PREFIX)) return undefined;
  const rest = topic.slice(BASIC_INGEST_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return { ruleName: rest.slice(0, slash), topic: rest.slice(slash + 1) };
}

/** The IoT SQL version of the construct's rules. */
export const IOT_SQL_VERSION = '2016-03-23';

/** The separator the rule's Firehose action appends to every message. */
export const FIREHOSE_ACTION_SEPARATOR = '\n';

/**
 * The topic rule's SQL unless given: every message one level below the base topic, with its topic, unless the
 * payload carries a top-level `topic` key of its own.
 *
 * The `topic` of a parsed row must be the topic AWS IoT authorized the publish on (`topic()`), never a payload key
 * of the same name. The AWS IoT SQL reference documents that `SELECT *, <expr> AS <name>` adds items to the payload
 * (iot-sql-select.html) but not which value wins when the payload already has `<name>`; it does document that WHERE
 * cannot reference SELECT aliases and is evaluated first (iot-sql-where.html), so `topic` in WHERE is the payload's
 * key. The WHERE below therefore keeps such messages out of this rule, whatever the collision semantics: the
 * pipeline's second rule (`rejectedRuleSql`) keeps them in the raw bucket instead.
 */
export function defaultRuleSql(topic: string): string {
  return `SELECT topic() as topic, * FROM '${topic}/+' WHERE isUndefined(topic)`;
}
