/**
 * Firehose S3 prefixes: the construct's defaults, and one parser and renderer of Firehose's prefix expressions
 * for everything that must predict a key — the local runner writing objects, `doctor` listing them, the
 * construct validating prefixes.
 * (docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html, .../basic-deliver.html)
 *
 * - No prefix: `YYYY/MM/dd/HH/` (UTC unless a time zone is configured).
 * - A prefix without a `!{timestamp:...}` expression gets `yyyy/MM/dd/HH/` appended, except with dynamic
 *   partitioning.
 * - Expressions: `!{timestamp:<java pattern>}`, `!{firehose:random-string}` (11 characters),
 *   `!{firehose:error-output-type}`, `!{partitionKeyFromLambda:<key>}`, `!{partitionKeyFromQuery:<key>}`.
 */
import { compileTimeFormat, TimeFormat } from './time-format';

/** Hive-style hourly partitions (UTC): `year=…/month=…/day=…/hour=…/`. */
export const HOURLY_PARTITIONS = 'year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
/** Default prefix of parsed objects. */
export const DEFAULT_DATA_OUTPUT_PREFIX = `parsed/${HOURLY_PARTITIONS}`;
/** Default prefix of records Firehose could not process or deliver. */
export const DEFAULT_ERROR_OUTPUT_PREFIX = `errors/!{firehose:error-output-type}/${HOURLY_PARTITIONS}`;
/** Default prefix of the raw source-record backup. */
export const DEFAULT_BACKUP_PREFIX = `raw/${HOURLY_PARTITIONS}`;
/** Default error prefix of the raw source-record backup. */
export const DEFAULT_BACKUP_ERROR_PREFIX = `raw-errors/!{firehose:error-output-type}/${HOURLY_PARTITIONS}`;
/** Default key prefix under which the reference parser writes in direct delivery. */
export const DEFAULT_DIRECT_PREFIX = 'direct/';

/** Key prefix of the topic rule's error action in the raw bucket. */
export const RULE_ERRORS_PREFIX = 'iot-rule-errors/';
/** The error action's key (an IoT substitution template): `iot-rule-errors/yyyy/MM/dd/HH/<uuid>.json`. */
export const RULE_ERRORS_KEY = `${RULE_ERRORS_PREFIX}\${parse_time("yyyy/MM/dd/HH", timestamp(), "UTC")}/\${newuuid()}.json`;
/** The same key as a Firehose-style prefix, for tools that list rule errors by hour. */
export const RULE_ERRORS_LISTING_PREFIX = `${RULE_ERRORS_PREFIX}!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/`;

/** The data prefix with dynamic partitioning unless given: `parsed/<key>=!{partitionKeyFromLambda:<key>}/…/<hourly>`. */
export function partitionedDataOutputPrefix(partitionKeys: readonly string[]): string {
  return `parsed/${partitionKeys.map((key) => `${key}=!{partitionKeyFromLambda:${key}}/`).join('')}${HOURLY_PARTITIONS}`;
}

/** What `!{firehose:error-output-type}` becomes, per kind of failure. */
export const ERROR_OUTPUT_TYPES = {
  processingFailed: 'processing-failed',
  activePartitionExceeded: 'activePartitionExceeded',
  partitionKeyMissing: 'partitionKeyMissing',
  formatConversionFailed: 'format-conversion-failed',
} as const;

/** A prefix that Firehose would reject; the message names the expression. */
export class PrefixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrefixError';
  }
}

/** One piece of a parsed prefix. */
export type PrefixPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'timestamp'; readonly pattern: string }
  | { readonly kind: 'randomString' }
  | { readonly kind: 'errorOutputType' }
  | { readonly kind: 'partitionKeyFromLambda'; readonly key: string }
  | { readonly kind: 'partitionKeyFromQuery'; readonly key: string };

/** Splits a prefix into text and `!{namespace:value}` expressions; throws `PrefixError` for malformed ones. */
export function parsePrefix(source: string): PrefixPart[] {
  const parts: PrefixPart[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    if (!source.startsWith('!{', i)) {
      text += source[i++];
      continue;
    }
    const end = source.indexOf('}', i + 2);
    if (end < 0) throw new PrefixError(`"${source}": "!{" at column ${i + 1} is not closed; close it with "}".`);
    const body = source.slice(i + 2, end);
    const colon = body.indexOf(':');
    if (colon < 0) throw new PrefixError(`"${source}": "!{${body}}" is not of the form !{namespace:value}.`);
    if (text) parts.push({ kind: 'text', text });
    text = '';
    parts.push(expression(source, body.slice(0, colon).trim(), body.slice(colon + 1).trim()));
    i = end + 1;
  }
  if (text) parts.push({ kind: 'text', text });
  return parts;
}

function expression(source: string, namespace: string, value: string): PrefixPart {
  switch (namespace) {
    case 'timestamp':
      if (!value) throw new PrefixError(`"${source}": !{timestamp:} has no pattern; write e.g. !{timestamp:yyyy}.`);
      return { kind: 'timestamp', pattern: value };
    case 'firehose':
      if (value === 'random-string') return { kind: 'randomString' };
      if (value === 'error-output-type') return { kind: 'errorOutputType' };
      throw new PrefixError(`"${source}": !{firehose:${value}} is unknown; Firehose knows !{firehose:random-string} and !{firehose:error-output-type}.`);
    case 'partitionKeyFromLambda':
    case 'partitionKeyFromQuery':
      if (!value) throw new PrefixError(`"${source}": !{${namespace}:} names no key.`);
      return { kind: namespace, key: value };
    default:
      throw new PrefixError(`"${source}": the namespace "${namespace}" is unknown; Firehose knows timestamp, firehose, partitionKeyFromLambda and partitionKeyFromQuery.`);
  }
}

/** What a prefix is rendered with. */
export interface PrefixContext {
  /** Epoch ms of the oldest record in the object. */
  readonly timestamp: number;
  /** The stream's time zone (IANA name). @default UTC */
  readonly timeZone?: string;
  readonly errorOutputType?: string;
  readonly partitionKeys?: Readonly<Record<string, string>>;
  /** Source of `!{firehose:random-string}`. @default 11 random letters and digits (Math.random) */
  readonly randomString?: () => string;
}

/** A prefix parsed once and rendered many times. */
export interface CompiledPrefix {
  readonly source: string;
  readonly parts: readonly PrefixPart[];
  /** The partition keys the prefix needs from the processor's metadata. */
  readonly partitionKeys: readonly string[];
  readonly usesErrorOutputType: boolean;
  /** The key prefix of an object. */
  render(ctx: PrefixContext): string;
  /**
   * The longest prefix that is the same for every object of that hour (and error output type): rendered up to the
   * first expression that cannot be predicted (a random string or a partition key). What a listing uses.
   */
  renderPredictable(ctx: Omit<PrefixContext, 'partitionKeys' | 'randomString'>): string;
}

const DEFAULT_TIMESTAMP_SUFFIX = 'yyyy/MM/dd/HH/';

/** How a prefix is used. */
export interface CompilePrefixOptions {
  /** The stream partitions dynamically (no timestamp is appended then). @default false */
  readonly dynamicPartitioning?: boolean;
  /**
   * It is an error output prefix: without a timestamp expression Firehose also appends the error output type
   * (`<prefix><error-output-type>/yyyy/MM/dd/HH/`) unless the prefix names it. @default false
   */
  readonly errorOutput?: boolean;
}

/**
 * Compiles a Firehose prefix. `undefined` or empty means the default `YYYY/MM/dd/HH/`; a prefix without a timestamp
 * expression gets `yyyy/MM/dd/HH/` appended unless `dynamicPartitioning` (Firehose does the same).
 */
export function compilePrefix(source: string | undefined, options: CompilePrefixOptions = {}): CompiledPrefix {
  const parts = parsePrefix(source ?? '');
  if (!parts.some((p) => p.kind === 'timestamp') && !options.dynamicPartitioning) {
    if (options.errorOutput && !parts.some((p) => p.kind === 'errorOutputType')) {
      parts.push({ kind: 'errorOutputType' }, { kind: 'text', text: '/' });
    }
    for (const level of DEFAULT_TIMESTAMP_SUFFIX.split('/').filter(Boolean)) {
      parts.push({ kind: 'timestamp', pattern: level }, { kind: 'text', text: '/' });
    }
  }
  const formats = new Map<string, TimeFormat>();
  for (const p of parts) {
    if (p.kind === 'timestamp' && !formats.has(p.pattern)) {
      try {
        formats.set(p.pattern, compileTimeFormat(p.pattern));
      } catch (e) {
        throw new PrefixError(`"${source}": !{timestamp:${p.pattern}}: ${(e as Error).message}`);
      }
    }
  }
  const renderPart = (p: PrefixPart, ctx: PrefixContext): string | undefined => {
    switch (p.kind) {
      case 'text': return p.text;
      case 'timestamp': return formats.get(p.pattern)!.format(ctx.timestamp, ctx.timeZone);
      case 'errorOutputType': return ctx.errorOutputType ?? '';
      case 'randomString': return ctx.randomString ? ctx.randomString() : randomAlphanumeric(11);
      default: return ctx.partitionKeys?.[p.key];
    }
  };
  return {
    source: source ?? '',
    parts,
    partitionKeys: parts.flatMap((p) => (p.kind === 'partitionKeyFromLambda' || p.kind === 'partitionKeyFromQuery' ? [p.key] : [])),
    usesErrorOutputType: parts.some((p) => p.kind === 'errorOutputType'),
    render: (ctx) => parts.map((p) => renderPart(p, ctx) ?? '').join(''),
    renderPredictable(ctx) {
      let out = '';
      for (const p of parts) {
        if (p.kind === 'randomString' || p.kind === 'partitionKeyFromLambda' || p.kind === 'partitionKeyFromQuery') break;
        out += renderPart(p, ctx);
      }
      return out;
    },
  };
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Letters and digits, as `!{firehose:random-string}` gives them (not for secrets). */
export function randomAlphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[Math.floor(Math.random() * ALPHANUMERIC.length)];
  return out;
}

/** The suffix Firehose adds for a compression format when no file extension is configured. */
export function compressionExtension(compression: string | undefined): string {
  switch (compression) {
    case 'GZIP': return '.gz';
    case 'ZIP': return '.zip';
    case 'Snappy':
    case 'HADOOP_SNAPPY': return '.snappy';
    default: return '';
  }
}
