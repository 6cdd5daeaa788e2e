/**
 * The reference parser's configuration, read from environment variables the construct sets.
 * Any problem is a misconfiguration (not data), so it throws at module init with a message saying what to fix.
 */

import {
  DEFAULT_ARRIVAL_TIMESTAMP_FIELD, DELIVERY_MODES, DeliveryModeName, PARSED_FORMATS, ParsedFormatName, PARSER_ENV, PARTITION_KEY_NAME_PATTERN,
} from '../../src/contract/parser';
import { DEFAULT_DIRECT_PREFIX } from '../../src/contract/prefixes';

export { DEFAULT_ARRIVAL_TIMESTAMP_FIELD, DEFAULT_DIRECT_PREFIX };
export type ParserFormat = ParsedFormatName;
export type ParserDelivery = DeliveryModeName;

/** A partition key (`PARSER_PARTITION_KEYS`): a topic level (0-based) or a field path of the message. */
export interface PartitionKeySpec {
  readonly name: string;
  readonly topicLevel?: number;
  readonly field?: string;
}

export interface ReferenceParserConfig {
  readonly format: ParserFormat;
  /** Field that receives the record's approximateArrivalTimestamp (epoch ms); '' = none. */
  readonly arrivalTimestampField: string;
  /** Field names for the topic levels after the first. */
  readonly topicSegmentFields: readonly string[];
  /** How many levels the pipeline's base topic has: `topicSegmentFields` name the levels below them (default 1). */
  readonly baseTopicLevels: number;
  /** csv only: the columns, each a field name or dotted path. */
  readonly columns: readonly string[];
  readonly delivery: ParserDelivery;
  /** direct only. */
  readonly directBucket: string;
  /** direct only. */
  readonly directPrefix: string;
  /** Partition keys returned in `metadata.partitionKeys` (dynamic partitioning); empty = none. */
  readonly partitionKeys: readonly PartitionKeySpec[];
}

export type Environment = { readonly [name: string]: string | undefined };

const FORMATS: readonly ParserFormat[] = Object.values(PARSED_FORMATS).map((f) => f.name);
const DELIVERIES: readonly ParserDelivery[] = Object.values(DELIVERY_MODES);
const JSON_LINES = PARSED_FORMATS.jsonLines.name;
const CSV = PARSED_FORMATS.csv.name;
const COMMON_OPTIONS = ['arrivalTimestampField', 'topicSegmentFields', 'baseTopicLevels'];
const OPTIONS_BY_FORMAT: Record<ParserFormat, readonly string[]> = {
  [JSON_LINES]: COMMON_OPTIONS,
  [CSV]: [...COMMON_OPTIONS, 'columns', 'header'],
};
/** Names that must never be assigned on a parsed object. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

export class ConfigError extends Error {
  public constructor(message: string) {
    super(`Reference parser misconfigured: ${message}`);
    this.name = 'ConfigError';
  }
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${name} is ${JSON.stringify(value)}; expected one of ${allowed.map(a => JSON.stringify(a)).join(', ')}`);
}

function fieldName(where: string, value: unknown, allowEmpty: boolean): string {
  if (typeof value !== 'string' || (!allowEmpty && value === '')) {
    throw new ConfigError(`${where} must be a${allowEmpty ? '' : ' non-empty'} string, got ${JSON.stringify(value)}`);
  }
  if (FORBIDDEN_NAMES.has(value)) throw new ConfigError(`${where} must not be ${JSON.stringify(value)}`);
  return value;
}

function parseOptions(raw: string | undefined, format: ParserFormat): Record<string, unknown> {
  if (raw === undefined || raw.trim() === '') return {};
  let options: unknown;
  try {
    options = JSON.parse(raw);
  } catch {
    throw new ConfigError('PARSER_OPTIONS is not valid JSON');
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError('PARSER_OPTIONS must be a JSON object');
  }
  const allowed = OPTIONS_BY_FORMAT[format];
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(`PARSER_OPTIONS has unknown key ${JSON.stringify(key)} for format ${format}; allowed: ${allowed.join(', ')}`);
    }
  }
  return options as Record<string, unknown>;
}

function stringList(where: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new ConfigError(`${where} must be an array of strings`);
  const list = value.map((v, i) => {
    if (typeof v !== 'string' || v === '') throw new ConfigError(`${where}[${i}] must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  });
  const duplicate = list.find((v, i) => list.indexOf(v) !== i);
  if (duplicate !== undefined) throw new ConfigError(`${where} names ${JSON.stringify(duplicate)} twice`);
  return list;
}

function readPartitionKeys(raw: string | undefined): PartitionKeySpec[] {
  if (raw === undefined || raw.trim() === '') return [];
  let specs: unknown;
  try {
    specs = JSON.parse(raw);
  } catch {
    throw new ConfigError('PARSER_PARTITION_KEYS is not valid JSON');
  }
  if (!Array.isArray(specs)) throw new ConfigError('PARSER_PARTITION_KEYS must be a JSON array');
  const names = new Set<string>();
  return specs.map((spec: unknown, i) => {
    const where = `PARSER_PARTITION_KEYS[${i}]`;
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new ConfigError(`${where} must be an object`);
    const { name, topicLevel, field } = spec as Record<string, unknown>;
    if (typeof name !== 'string' || !PARTITION_KEY_NAME_PATTERN.test(name)) {
      throw new ConfigError(`${where}.name must be 1-64 characters from a-z, A-Z, 0-9, "_" and "-"`);
    }
    if (names.has(name)) throw new ConfigError(`${where}.name ${JSON.stringify(name)} appears twice`);
    names.add(name);
    if (topicLevel !== undefined && field === undefined) {
      if (typeof topicLevel !== 'number' || !Number.isInteger(topicLevel) || topicLevel < 0) {
        throw new ConfigError(`${where}.topicLevel must be a whole number >= 0`);
      }
      return { name, topicLevel };
    }
    if (field !== undefined && topicLevel === undefined) {
      if (typeof field !== 'string' || field.split('.').includes('')) throw new ConfigError(`${where}.field must be a field name or dotted path`);
      return { name, field };
    }
    throw new ConfigError(`${where} needs exactly one of topicLevel or field`);
  });
}

/** Reads and validates the configuration; throws `ConfigError`. */
export function readConfig(env: Environment): ReferenceParserConfig {
  const format = oneOf(PARSER_ENV.format, env[PARSER_ENV.format], FORMATS, JSON_LINES);
  const options = parseOptions(env[PARSER_ENV.options], format);

  const arrivalTimestampField = options.arrivalTimestampField === undefined
    ? DEFAULT_ARRIVAL_TIMESTAMP_FIELD
    : fieldName('PARSER_OPTIONS.arrivalTimestampField', options.arrivalTimestampField, true);
  const topicSegmentFields = options.topicSegmentFields === undefined
    ? []
    : stringList('PARSER_OPTIONS.topicSegmentFields', options.topicSegmentFields)
      .map((name, i) => fieldName(`PARSER_OPTIONS.topicSegmentFields[${i}]`, name, false));
  if (arrivalTimestampField !== '' && topicSegmentFields.includes(arrivalTimestampField)) {
    throw new ConfigError(`PARSER_OPTIONS.topicSegmentFields and arrivalTimestampField both name ${JSON.stringify(arrivalTimestampField)}`);
  }

  let columns: string[] = [];
  if (format === CSV) {
    if (options.columns === undefined) throw new ConfigError('PARSER_OPTIONS.columns is required for format csv');
    columns = stringList('PARSER_OPTIONS.columns', options.columns);
    if (columns.length === 0) throw new ConfigError('PARSER_OPTIONS.columns must name at least one column');
    for (const column of columns) {
      if (column.split('.').includes('')) {
        throw new ConfigError(`PARSER_OPTIONS.columns entry ${JSON.stringify(column)} has an empty path segment`);
      }
    }
    if (options.header !== undefined && options.header !== false) {
      throw new ConfigError('PARSER_OPTIONS.header can only be false: Firehose concatenates records into one object, '
        + 'so a header per record would repeat inside the data. The column order is PARSER_OPTIONS.columns.');
    }
  }

  const delivery = oneOf(PARSER_ENV.delivery, env[PARSER_ENV.delivery], DELIVERIES, DELIVERY_MODES.firehose);
  let directBucket = '';
  let directPrefix = '';
  if (delivery === DELIVERY_MODES.direct) {
    directBucket = env[PARSER_ENV.directBucket] ?? '';
    if (directBucket === '') throw new ConfigError('PARSER_DIRECT_BUCKET is required when PARSER_DELIVERY is "direct"');
    directPrefix = env[PARSER_ENV.directPrefix] ?? DEFAULT_DIRECT_PREFIX;
    if (directPrefix.startsWith('/')) throw new ConfigError('PARSER_DIRECT_PREFIX must not start with "/"');
  }

  const partitionKeys = readPartitionKeys(env[PARSER_ENV.partitionKeys]);

  const baseTopicLevels = options.baseTopicLevels ?? 1;
  if (typeof baseTopicLevels !== 'number' || !Number.isInteger(baseTopicLevels) || baseTopicLevels < 1 || baseTopicLevels > 7) {
    throw new ConfigError(`PARSER_OPTIONS.baseTopicLevels must be a whole number from 1 to 7, got ${JSON.stringify(baseTopicLevels)}`);
  }

  return { format, arrivalTimestampField, topicSegmentFields, baseTopicLevels, columns, delivery, directBucket, directPrefix, partitionKeys };
}
