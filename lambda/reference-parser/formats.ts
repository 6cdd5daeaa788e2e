import { partitionKeyValueProblem, PARTITION_KEY_VALUE_SAFE_SET } from '../../src/contract/partition-keys';
import { csvCell, JsonObject, ParseError, ParserMessage, PartitionKeys } from '../toolkit';
import type { ReferenceParserConfig } from './config';
import type { RowReader } from './payload';

/** Parses one message into its row (or rows, when a binary payload holds several lines) and adds the configured fields. */
export type MessageParser = (message: ParserMessage) => JsonObject | readonly JsonObject[];

/**
 * Each row from `read` (payload.ts: the message object, or a binary payload's decoded fields, with `topic`) plus, when
 * configured, one field per topic level below the base topic (`topicSegmentFields`; the base topic has
 * `baseTopicLevels` levels) and the record's arrival time in epoch milliseconds (`arrivalTimestampField`).
 * Added fields overwrite payload fields of the same name: the topic and arrival time come from AWS, not
 * from the device. Topic levels that do not exist (or a missing / non-string `topic`) add nothing.
 */
export function messageParser(config: ReferenceParserConfig, read: RowReader = message => message.jsonObject()): MessageParser {
  const segmentFields = config.topicSegmentFields;
  const baseLevels = config.baseTopicLevels;
  const arrivalField = config.arrivalTimestampField;
  const addFields = (obj: JsonObject, arrival: number): JsonObject => {
    if (segmentFields.length > 0) {
      const topic = obj.topic;
      if (typeof topic === 'string') {
        let slash = topic.indexOf('/');
        for (let level = 1; level < baseLevels && slash !== -1; level++) slash = topic.indexOf('/', slash + 1);
        for (let k = 0; k < segmentFields.length && slash !== -1; k++) {
          const next = topic.indexOf('/', slash + 1);
          obj[segmentFields[k]] = next === -1 ? topic.slice(slash + 1) : topic.slice(slash + 1, next);
          slash = next;
        }
      }
    }
    if (arrivalField !== '') obj[arrivalField] = arrival;
    return obj;
  };
  return (message) => {
    const rows = read(message);
    if (Array.isArray(rows)) return (rows as readonly JsonObject[]).map(row => addFields(row, message.approximateArrivalTimestamp));
    return addFields(rows as JsonObject, message.approximateArrivalTimestamp);
  };
}

/** Reads a column: an own field with exactly that name, else the dotted path (`a.b` → `obj.a.b`). */
function columnReader(column: string): (obj: JsonObject) => unknown {
  const path = column.split('.');
  if (path.length === 1) return obj => (Object.hasOwn(obj, column) ? obj[column] : undefined);
  return obj => {
    if (Object.hasOwn(obj, column)) return obj[column];
    let value: unknown = obj;
    for (const segment of path) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
      value = (value as JsonObject)[segment];
    }
    return value;
  };
}

/** One CSV line per message, columns in `config.columns` order (see toolkit/csv.ts for the cell rules). */
export function csvSerializer(config: ReferenceParserConfig): (row: JsonObject) => string {
  const readers = config.columns.map(columnReader);
  return row => {
    let line = csvCell(readers[0](row));
    for (let i = 1; i < readers.length; i++) line += ',' + csvCell(readers[i](row));
    return line;
  };
}

/**
 * The partition keys of one parsed message (`PARSER_PARTITION_KEYS`): a topic level (0-based, from the
 * message's `topic`) or a field (name or dotted path). A missing or empty value, or one that is not a string
 * or number, fails the record (`ProcessingFailed`) instead of creating a partition named "undefined"; so does a value
 * outside the safe set (`PARTITION_KEY_VALUE_SAFE_SET`), which could otherwise add levels to, or climb out of, the
 * S3 prefix (`a/b`, `..`) or overflow the S3 key (the reason is logged, the value is not: it comes from a device).
 */
export function partitionKeysOf(config: ReferenceParserConfig): ((row: JsonObject) => PartitionKeys) | undefined {
  if (config.partitionKeys.length === 0) return undefined;
  const readers = config.partitionKeys.map((spec) => {
    if (spec.topicLevel !== undefined) {
      const level = spec.topicLevel;
      return (row: JsonObject) => (typeof row.topic === 'string' ? row.topic.split('/')[level] : undefined);
    }
    return columnReader(spec.field!);
  });
  return (row) => {
    const keys: { [name: string]: string } = {};
    for (let i = 0; i < readers.length; i++) {
      const value = readers[i](row);
      if ((typeof value !== 'string' && typeof value !== 'number') || value === '') {
        throw new ParseError(`partition key "${config.partitionKeys[i].name}" has no string or number value in this message`);
      }
      const text = String(value);
      const problem = partitionKeyValueProblem(text);
      if (problem !== undefined) {
        throw new ParseError(`partition key "${config.partitionKeys[i].name}" ${problem}; allowed: ${PARTITION_KEY_VALUE_SAFE_SET}`);
      }
      keys[config.partitionKeys[i].name] = text;
    }
    return keys;
  };
}
