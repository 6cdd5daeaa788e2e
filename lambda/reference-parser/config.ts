/**
 * The reference parser's configuration, read from environment variables the construct sets.
 * Any problem is a misconfiguration (not data), so it throws at module init with a message saying what to fix.
 */

import {
  DEFAULT_ARRIVAL_TIMESTAMP_FIELD, DELIVERY_MODES, DeliveryModeName, PARSED_FORMATS, ParsedFormatName, PARSER_ENV, PARTITION_KEY_NAME_PATTERN,
} from '../../src/contract/parser';
import { PAYLOAD_DECODERS, PAYLOAD_FORMATS, PayloadDecoderName, PayloadDecoderSpec, PayloadFormatName } from '../../src/contract/payload';
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
  /** What the devices send (`PARSER_PAYLOAD`): json (the rule's JSON rows), binary (the envelope) or protobuf (decoded in the rule). */
  readonly payload: PayloadFormatName;
  /** binary only: how to decode the payload bytes (`PARSER_DECODER`); undefined = the bytes are a JSON object. */
  readonly decoder?: DecoderConfig;
}

/** A validated decoder: every field of its kind set (defaults applied). */
export type DecoderConfig =
  | { readonly kind: typeof PAYLOAD_DECODERS.cbor }
  | { readonly kind: typeof PAYLOAD_DECODERS.protobuf; readonly messageType: string }
  | { readonly kind: typeof PAYLOAD_DECODERS.delimited; readonly fieldSeparator: string; readonly keyValueSeparator: string }
  | { readonly kind: typeof PAYLOAD_DECODERS.csv; readonly columns: readonly string[]; readonly separator: string };

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

const PAYLOADS: readonly PayloadFormatName[] = Object.values(PAYLOAD_FORMATS);
const DECODERS: readonly PayloadDecoderName[] = Object.values(PAYLOAD_DECODERS);
/** The fields each decoder kind accepts in `PARSER_DECODER` (besides `kind`). */
const DECODER_FIELDS: Record<PayloadDecoderName, readonly (keyof PayloadDecoderSpec)[]> = {
  cbor: [],
  protobuf: ['messageType'],
  delimited: ['fieldSeparator', 'keyValueSeparator'],
  csv: ['columns', 'separator'],
};
/** A protobuf full name: dot-separated identifiers (`factory.v1.Telemetry`). */
const MESSAGE_TYPE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function separator(where: string, value: unknown, fallback: string, oneCharacter: boolean): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '' || /[\r\n]/.test(value) || (oneCharacter && value.length !== 1)) {
    throw new ConfigError(`${where} must be ${oneCharacter ? 'one character' : 'a non-empty string'} other than CR or LF, got ${JSON.stringify(value)}`);
  }
  return value;
}

function readDecoder(raw: string | undefined): DecoderConfig | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let spec: unknown;
  try {
    spec = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${PARSER_ENV.decoder} is not valid JSON`);
  }
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new ConfigError(`${PARSER_ENV.decoder} must be a JSON object`);
  const fields = spec as Record<string, unknown>;
  const kind = oneOf(`${PARSER_ENV.decoder}.kind`, typeof fields.kind === 'string' ? fields.kind : JSON.stringify(fields.kind ?? null), DECODERS, PAYLOAD_DECODERS.cbor);
  for (const key of Object.keys(fields)) {
    if (key !== 'kind' && !(DECODER_FIELDS[kind] as readonly string[]).includes(key)) {
      const allowed = DECODER_FIELDS[kind].length === 0 ? 'none' : DECODER_FIELDS[kind].join(', ');
      throw new ConfigError(`${PARSER_ENV.decoder} has unknown key ${JSON.stringify(key)} for decoder ${kind}; allowed: ${allowed}`);
    }
  }
  switch (kind) {
    case PAYLOAD_DECODERS.cbor:
      return { kind };
    case PAYLOAD_DECODERS.protobuf: {
      const messageType = fields.messageType;
      if (typeof messageType !== 'string' || !MESSAGE_TYPE.test(messageType)) {
        throw new ConfigError(`${PARSER_ENV.decoder}.messageType must be a message's full name such as "factory.v1.Telemetry", got ${JSON.stringify(messageType)}`);
      }
      return { kind, messageType };
    }
    case PAYLOAD_DECODERS.delimited: {
      const fieldSeparator = separator(`${PARSER_ENV.decoder}.fieldSeparator`, fields.fieldSeparator, ';', false);
      const keyValueSeparator = separator(`${PARSER_ENV.decoder}.keyValueSeparator`, fields.keyValueSeparator, '=', false);
      if (fieldSeparator.includes(keyValueSeparator) || keyValueSeparator.includes(fieldSeparator)) {
        throw new ConfigError(`${PARSER_ENV.decoder}: fieldSeparator ${JSON.stringify(fieldSeparator)} and keyValueSeparator ${JSON.stringify(keyValueSeparator)} must not contain each other`);
      }
      return { kind, fieldSeparator, keyValueSeparator };
    }
    default: {
      if (fields.columns === undefined) throw new ConfigError(`${PARSER_ENV.decoder}.columns is required for decoder csv`);
      const columns = stringList(`${PARSER_ENV.decoder}.columns`, fields.columns).map((name, i) => fieldName(`${PARSER_ENV.decoder}.columns[${i}]`, name, false));
      if (columns.length === 0) throw new ConfigError(`${PARSER_ENV.decoder}.columns must name at least one column`);
      const sep = separator(`${PARSER_ENV.decoder}.separator`, fields.separator, ',', true);
      if (sep === '"') throw new ConfigError(`${PARSER_ENV.decoder}.separator cannot be '"' (it quotes fields)`);
      return { kind, columns, separator: sep };
    }
  }
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

  const payload = oneOf(PARSER_ENV.payload, env[PARSER_ENV.payload], PAYLOADS, PAYLOAD_FORMATS.json);
  const decoder = readDecoder(env[PARSER_ENV.decoder]);
  if (decoder !== undefined && payload !== PAYLOAD_FORMATS.binary) {
    throw new ConfigError(`${PARSER_ENV.decoder} is set but ${PARSER_ENV.payload} is ${JSON.stringify(payload)}: a decoder reads the payload bytes `
      + `of a binary pipeline; set ${PARSER_ENV.payload} to "${PAYLOAD_FORMATS.binary}"${payload === PAYLOAD_FORMATS.protobuf ? ' (a protobuf pipeline decodes in the rule)' : ''}`);
  }

  const config = {
    format, arrivalTimestampField, topicSegmentFields, baseTopicLevels, columns, delivery, directBucket, directPrefix, partitionKeys, payload,
  };
  return decoder === undefined ? config : { ...config, decoder };
}
