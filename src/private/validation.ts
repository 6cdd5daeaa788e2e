import { Duration, Size, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { MonitoringOptions } from '../monitoring';

/** AWS IoT: a topic name is at most 256 UTF-8 bytes and holds at most 7 forward slashes (8 levels). */
export const MAX_TOPIC_BYTES = 256;
export const MAX_TOPIC_LEVELS = 8;

/**
 * Thrown for props that cannot work. The message always says what to change.
 */
export function invalid(scope: IConstruct, prop: string, message: string): never {
  throw new Error(`${scope.node.path}: invalid \`${prop}\`: ${message}`);
}

/**
 * Validates the pipeline's base topic. Devices publish to `<topic>` and `<topic>/<anything>`, and the
 * default rule matches `<topic>/+`, so the base topic leaves room for one more level.
 */
export function validateTopic(scope: IConstruct, topic: string): void {
  if (Token.isUnresolved(topic)) {
    return;
  }
  if (topic.length === 0) {
    invalid(scope, 'topic', 'it is empty; give the MQTT topic your devices publish to, e.g. "telemetry/site-a".');
  }
  if (topic.includes('+') || topic.includes('#')) {
    invalid(scope, 'topic', `"${topic}" contains an MQTT wildcard (+ or #); give a concrete topic name — the construct adds the "/+" filter itself.`);
  }
  if (topic.includes('*') || topic.includes('?')) {
    invalid(scope, 'topic', `"${topic}" contains "*" or "?", which are wildcards in IoT policy resources and would widen the device policy; remove them.`);
  }
  if (topic.includes("'")) {
    invalid(scope, 'topic', `"${topic}" contains a single quote, which cannot appear inside the rule's FROM clause; remove it.`);
  }
  if (topic.startsWith('$')) {
    invalid(scope, 'topic', `"${topic}" starts with "$", which AWS IoT reserves for its own topics ($aws/...); choose a topic that does not start with "$".`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(topic)) {
    invalid(scope, 'topic', `"${topic}" contains a control character; use printable characters only.`);
  }
  const levels = topic.split('/');
  if (levels.some((level) => level.length === 0)) {
    invalid(scope, 'topic', `"${topic}" has an empty level (a leading, trailing or double "/"); write it like "a/b/c".`);
  }
  if (levels.length > MAX_TOPIC_LEVELS - 1) {
    invalid(scope, 'topic', `"${topic}" has ${levels.length} levels; AWS IoT allows ${MAX_TOPIC_LEVELS} and the rule's "/+" filter needs one, so use at most ${MAX_TOPIC_LEVELS - 1}.`);
  }
  const bytes = Buffer.byteLength(topic, 'utf8');
  if (bytes > MAX_TOPIC_BYTES - 2) {
    invalid(scope, 'topic', `"${topic.slice(0, 32)}..." is ${bytes} UTF-8 bytes; AWS IoT allows ${MAX_TOPIC_BYTES} including the "/<sub-topic>" devices add, so use at most ${MAX_TOPIC_BYTES - 2}.`);
  }
}

/** IoT thing names: 1–128 characters of [a-zA-Z0-9:_-]. */
export function validateThingName(scope: IConstruct, thingName: string): void {
  if (Token.isUnresolved(thingName)) {
    return;
  }
  if (!/^[a-zA-Z0-9:_-]{1,128}$/.test(thingName)) {
    invalid(scope, 'thingName', `"${thingName}" is not a valid IoT thing name; use 1-128 characters from a-z, A-Z, 0-9, ":", "_" and "-".`);
  }
}

/** Checks a duration against an inclusive range of whole seconds. */
export function validateSeconds(scope: IConstruct, prop: string, value: Duration, min: number, max: number): number {
  if (Token.isUnresolved(value.toSeconds({ integral: false }))) {
    return NaN;
  }
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    invalid(scope, prop, `${value.toHumanString()} is out of range; Firehose accepts whole seconds from ${min} to ${max}.`);
  }
  return seconds;
}

/** Checks a size against an inclusive range in MiB (fractions allowed). Returns the size in MiB. */
export function validateMebibytes(scope: IConstruct, prop: string, value: Size, min: number, max: number): number {
  const kib = value.toKibibytes();
  if (Token.isUnresolved(kib)) {
    return NaN;
  }
  const mib = kib / 1024;
  if (mib < min || mib > max) {
    invalid(scope, prop, `${mib} MiB is out of range; Firehose accepts ${min} to ${max} MiB here.`);
  }
  return mib;
}

const EXPRESSION = /!\{([^}]*)\}/g;
const NAMESPACES = ['timestamp:', 'firehose:random-string', 'firehose:error-output-type', 'partitionKeyFromLambda:', 'partitionKeyFromQuery:'];

/** True when the prefix holds any `!{...}` expression. */
export function hasExpressions(prefix: string): boolean {
  return /!\{/.test(prefix);
}

/**
 * Validates a pair of Firehose S3 prefixes (data and error) against the service's rules:
 * known expressions only, `!{firehose:error-output-type}` only in the error prefix and required there
 * whenever the data prefix holds expressions, no partition keys without dynamic partitioning,
 * no leading "/", at most 1024 characters.
 */
export function validatePrefixes(
  scope: IConstruct, propPrefix: string, dataPrefix: string, propError: string, errorPrefix: string | undefined,
  partitionKeys?: string[],
): void {
  if (Token.isUnresolved(dataPrefix) || (errorPrefix !== undefined && Token.isUnresolved(errorPrefix))) {
    return;
  }
  for (const [prop, value] of [[propPrefix, dataPrefix], [propError, errorPrefix]] as Array<[string, string | undefined]>) {
    if (value === undefined) {
      continue;
    }
    if (value.startsWith('/')) {
      invalid(scope, prop, `"${value}" starts with "/"; S3 keys have no leading slash, remove it.`);
    }
    if (value.length > 1024) {
      invalid(scope, prop, `it is ${value.length} characters long; Firehose allows at most 1024.`);
    }
    if (/!\{[^}]*$/.test(value)) {
      invalid(scope, prop, `"${value}" has an unterminated "!{" expression; close it with "}".`);
    }
    for (const match of value.matchAll(EXPRESSION)) {
      const body = match[1];
      if (!NAMESPACES.some((ns) => (ns.endsWith(':') ? body.startsWith(ns) && body.length > ns.length : body === ns))) {
        invalid(scope, prop, `"!{${body}}" is not a Firehose expression; use !{timestamp:<pattern>}, !{firehose:random-string} or !{firehose:error-output-type}.`);
      }
      if (body.startsWith('partitionKeyFrom')) {
        if (partitionKeys === undefined) {
          invalid(scope, prop, `"!{${body}}" needs dynamic partitioning, which is not enabled here; set \`dynamicPartitioning: true\` or remove the expression.`);
        }
        if (prop !== propPrefix) {
          invalid(scope, prop, `"!{${body}}" cannot be used in the error output prefix; use it in \`${propPrefix}\` only.`);
        }
        if (body.startsWith('partitionKeyFromQuery:')) {
          invalid(scope, prop, `"!{${body}}" needs a JQ metadata-extraction processor, which this pipeline does not configure; use !{partitionKeyFromLambda:<key>} with the parser's partition keys.`);
        }
        const key = body.slice('partitionKeyFromLambda:'.length);
        if (!partitionKeys.includes(key)) {
          invalid(scope, prop, `"!{${body}}" names a key the parser does not return; the parser returns ${partitionKeys.length ? partitionKeys.join(', ') : 'no keys'}.`);
        }
      }
    }
  }
  if (partitionKeys !== undefined && !/!\{partitionKeyFromLambda:/.test(dataPrefix)) {
    invalid(scope, propPrefix, `"${dataPrefix}" has no !{partitionKeyFromLambda:<key>} expression; with dynamic partitioning the prefix must use the parser's keys (${partitionKeys.join(', ')}).`);
  }
  if (dataPrefix.includes('!{firehose:error-output-type}')) {
    invalid(scope, propPrefix, `"${dataPrefix}" uses !{firehose:error-output-type}, which Firehose allows only in the error output prefix; move it to \`${propError}\`.`);
  }
  if (hasExpressions(dataPrefix)) {
    if (errorPrefix === undefined || errorPrefix === '') {
      invalid(scope, propError, `it is required because \`${propPrefix}\` ("${dataPrefix}") holds expressions; give one that contains !{firehose:error-output-type}.`);
    }
  }
  if (errorPrefix !== undefined && (hasExpressions(dataPrefix) || hasExpressions(errorPrefix)) && !errorPrefix.includes('!{firehose:error-output-type}')) {
    invalid(scope, propError, `"${errorPrefix}" must contain !{firehose:error-output-type} when the prefixes hold expressions (Firehose rejects the stream otherwise).`);
  }
}

/**
 * The monitoring options that cannot work together: the dashboard shows the alarms, so it needs them; the
 * put-request quota must be a positive number.
 */
export function validateMonitoring(scope: IConstruct, options: MonitoringOptions): void {
  if (options.dashboard && options.alarms === false) {
    invalid(scope, 'monitoring.dashboard', 'the dashboard shows the alarms that `monitoring.alarms: false` turns off; remove `dashboard` or set `alarms: true`.');
  }
  const quota = options.putRequestQuotaPerSecond;
  if (quota !== undefined && !Token.isUnresolved(quota) && (!Number.isFinite(quota) || quota <= 0)) {
    invalid(scope, 'monitoring.putRequestQuotaPerSecond', `${quota} is not a request quota; give the stream's PutRecord/PutRecordBatch quota per second from Service Quotas, e.g. 2000.`);
  }
}
