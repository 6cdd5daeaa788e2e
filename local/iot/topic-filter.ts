/**
 * MQTT topic names, topic filters and the FROM clause of AWS IoT rules — pure functions, no I/O.
 *
 * MQTT 3.1.1 / 5 semantics (section 4.7): levels are separated by `/`; `+` matches exactly one level (which
 * may be empty), `#` matches the parent level and any number of levels below it and must be the last level;
 * both must occupy a whole level. Topics that start with `$` are not matched by a filter whose first level is
 * a wildcard. AWS IoT topic rules use the same matching for the topic filter in `FROM '<filter>'`.
 */
import { splitBasicIngest } from '../../src/contract';

/** Why a topic name is not valid for PUBLISH, or undefined when it is. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'the topic is empty';
  if (topic.includes('+') || topic.includes('#')) {
    return `"${topic}" contains a wildcard (+ or #); a topic to publish to names one topic`;
  }
  if (topic.includes('\u0000')) return 'the topic contains a NUL character';
  if (Buffer.byteLength(topic, 'utf8') > 65535) return 'the topic is longer than 65,535 bytes';
  return undefined;
}

/** Why a topic filter is not valid, or undefined when it is. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'the topic filter is empty';
  if (filter.includes('\u0000')) return 'the topic filter contains a NUL character';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return `"${filter}": # must be a whole level and the last one`;
    }
    if (level.includes('+') && level !== '+') {
      return `"${filter}": + must be a whole level`;
    }
  }
  return undefined;
}

/**
 * Does the topic filter match the topic name? Invalid filters and topic names match nothing.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topicFilterProblem(filter) !== undefined || topicNameProblem(topic) !== undefined) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true; // matches the parent level too: 'a/#' matches 'a'
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** The parts of an AWS IoT SQL statement the doctor needs. */
export interface RuleSql {
  /** The topic filter between the quotes of FROM '...'. */
  readonly topicFilter: string;
  /** The WHERE clause, when there is one (messages can be filtered out by it). */
  readonly where?: string;
}

/**
 * Reads the topic filter (and WHERE clause) of an IoT rule's SQL: `SELECT ... FROM '<filter>' [WHERE ...]`.
 * Returns undefined when the statement has no quoted FROM clause.
 */
export function parseRuleSql(sql: string): RuleSql | undefined {
  const match = /\bfrom\s+'((?:[^']|'')*)'(?:\s+where\s+([\s\S]*?))?\s*$/i.exec(sql.trim());
  if (!match) return undefined;
  const where = match[2]?.trim();
  return { topicFilter: match[1].replace(/''/g, '\''), ...(where ? { where } : {}) };
}

// The Basic Ingest topic shape is the contract's (src/contract/topics.ts); re-exported for `doctor`.
export { splitBasicIngest };

/**
 * Does a message published to `topic` reach the rule `ruleName` whose FROM clause is `topicFilter`?
 * With Basic Ingest (`$aws/rules/<ruleName>/<rest>`) the message goes to that rule only, and the rule's filter
 * is matched against `<rest>` (topic() does not include the prefix).
 */
export function ruleReceives(ruleName: string, topicFilter: string, topic: string): boolean {
  const basic = splitBasicIngest(topic);
  if (basic) return basic.ruleName === ruleName && topicMatches(topicFilter, basic.topic);
  return topicMatches(topicFilter, topic);
}
