/**
 * Firehose S3 object keys: custom prefixes with `!{namespace:value}` expressions and the object name
 * `<DeliveryStreamName>-<DeliveryStreamVersion>-YYYY-MM-dd-HH-mm-ss-<random><extension>`
 * (docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html, basic-deliver.html).
 *
 * - No prefix: `YYYY/MM/dd/HH/` (the oldest record's arrival time, UTC unless a time zone is configured).
 * - A prefix without a `!{timestamp:...}` expression gets `yyyy/MM/dd/HH/` appended, except with dynamic
 *   partitioning.
 * - `!{timestamp:<java pattern>}`, `!{firehose:random-string}` (11 characters), `!{firehose:error-output-type}`,
 *   `!{partitionKeyFromLambda:<key>}`. `!{partitionKeyFromQuery:<key>}` (JQ) is rejected when loading.
 */
import { randomBytes, randomUUID } from 'crypto';
import { compileTimeFormat, TimeFormat } from '../../src/contract/time-format';

/** A prefix that cannot be used. */
export class PrefixError extends Error {}

type Part =
  | { readonly text: string }
  | { readonly timestamp: TimeFormat }
  | { readonly randomString: true }
  | { readonly errorOutputType: true }
  | { readonly partitionKey: string };

/** What a prefix is rendered with. */
export interface PrefixContext {
  /** Epoch ms of the oldest record in the object. */
  readonly timestamp: number;
  readonly timeZone?: string;
  readonly errorOutputType?: string;
  readonly partitionKeys?: Readonly<Record<string, string>>;
}

/** A compiled prefix. */
export interface CompiledPrefix {
  readonly source: string;
  /** The partition keys the prefix needs from the processor's metadata. */
  readonly partitionKeys: readonly string[];
  readonly usesErrorOutputType: boolean;
  render(ctx: PrefixContext): string;
}

const DEFAULT_TIMESTAMP = 'yyyy/MM/dd/HH/';

/**
 * Compiles a Firehose prefix. `undefined`/empty means the default `YYYY/MM/dd/HH/`; a prefix without a
 * timestamp expression gets `yyyy/MM/dd/HH/` appended unless `dynamicPartitioning`.
 */
export function compilePrefix(source: string | undefined, options: { dynamicPartitioning?: boolean } = {}): CompiledPrefix {
  const parts = parseExpressions(source ?? '');
  if (!parts.some((p) => 'timestamp' in p) && !options.dynamicPartitioning) {
    parts.push({ timestamp: compileTimeFormat(DEFAULT_TIMESTAMP) });
  }
  const partitionKeys = parts.flatMap((p) => ('partitionKey' in p ? [p.partitionKey] : []));
  return {
    source: source ?? '',
    partitionKeys,
    usesErrorOutputType: parts.some((p) => 'errorOutputType' in p),
    render(ctx: PrefixContext): string {
      let out = '';
      for (const p of parts) {
        if ('text' in p) out += p.text;
        else if ('timestamp' in p) out += p.timestamp.format(ctx.timestamp, ctx.timeZone);
        else if ('randomString' in p) out += randomString(11);
        else if ('errorOutputType' in p) out += ctx.errorOutputType ?? '';
        else out += ctx.partitionKeys?.[p.partitionKey] ?? '';
      }
      return out;
    },
  };
}

function parseExpressions(source: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  let text = '';
  while (i < source.length) {
    if (source.startsWith('!{', i)) {
      const end = source.indexOf('}', i + 2);
      if (end < 0) throw new PrefixError(`"${source}": "!{" at column ${i + 1} is not closed`);
      const body = source.slice(i + 2, end);
      const colon = body.indexOf(':');
      if (colon < 0) throw new PrefixError(`"${source}": "!{${body}}" is not of the form !{namespace:value}`);
      const namespace = body.slice(0, colon).trim();
      const value = body.slice(colon + 1).trim();
      if (text) parts.push({ text });
      text = '';
      parts.push(expression(source, namespace, value));
      i = end + 1;
    } else {
      text += source[i++];
    }
  }
  if (text) parts.push({ text });
  return parts;
}

function expression(source: string, namespace: string, value: string): Part {
  switch (namespace) {
    case 'timestamp':
      try {
        return { timestamp: compileTimeFormat(value) };
      } catch (e) {
        throw new PrefixError(`"${source}": !{timestamp:${value}}: ${(e as Error).message}`);
      }
    case 'firehose':
      if (value === 'random-string') return { randomString: true };
      if (value === 'error-output-type') return { errorOutputType: true };
      throw new PrefixError(`"${source}": !{firehose:${value}} is unknown; Firehose knows random-string and error-output-type`);
    case 'partitionKeyFromLambda':
      if (!value) throw new PrefixError(`"${source}": !{partitionKeyFromLambda:} names no key`);
      return { partitionKey: value };
    case 'partitionKeyFromQuery':
      throw new PrefixError(`"${source}": !{partitionKeyFromQuery:${value}} (inline JQ parsing) is not supported by the local runner; use partition keys from the Lambda processor`);
    default:
      throw new PrefixError(`"${source}": the namespace "${namespace}" is unknown; Firehose knows timestamp, firehose, partitionKeyFromLambda and partitionKeyFromQuery`);
  }
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A random string of letters and digits. */
export function randomString(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[bytes[i] % ALPHANUMERIC.length];
  return out;
}

const OBJECT_TIME = compileTimeFormat('yyyy-MM-dd-HH-mm-ss');

/** The object name Firehose gives: `<stream>-<version>-YYYY-MM-dd-HH-mm-ss-<uuid><extension>` (UTC). */
export function objectName(streamName: string, version: number, timestamp: number, extension: string, uuid: string = randomUUID()): string {
  return `${streamName}-${version}-${OBJECT_TIME.format(timestamp)}-${uuid}${extension}`;
}

export interface ObjectKeyContext extends PrefixContext {
  readonly streamName: string;
  readonly version?: number;
  readonly extension: string;
  readonly uuid?: string;
}

/** The full key: rendered prefix + object name. */
export function objectKey(prefix: CompiledPrefix, ctx: ObjectKeyContext): string {
  return prefix.render(ctx) + objectName(ctx.streamName, ctx.version ?? 1, ctx.timestamp, ctx.extension, ctx.uuid);
}

/** The extension Firehose adds for a compression format when no FileExtension is configured. */
export function compressionExtension(compression: string | undefined): string {
  switch (compression) {
    case 'GZIP': return '.gz';
    case 'ZIP': return '.zip';
    case 'Snappy':
    case 'HADOOP_SNAPPY': return '.snappy';
    default: return '';
  }
}
