/**
 * Firehose S3 object keys: `<prefix><DeliveryStreamName>-<DeliveryStreamVersion>-YYYY-MM-dd-HH-mm-ss-<uuid><extension>`
 * (docs.aws.amazon.com/firehose/latest/dev/basic-deliver.html).
 *
 * Prefixes (`!{timestamp:…}`, `!{firehose:random-string}`, `!{firehose:error-output-type}`,
 * `!{partitionKeyFromLambda:…}`, the appended `yyyy/MM/dd/HH/`) are parsed and rendered by the contract's
 * `compilePrefix` (src/contract/prefixes.ts) — the same code `doctor` and the construct use to predict keys.
 * What this file adds is what only the runner needs: random strings from `crypto`, the refusal of
 * `!{partitionKeyFromQuery:…}` (JQ is not evaluated locally), and the object name.
 */
import { randomBytes, randomUUID } from 'crypto';
import { CompiledPrefix, compilePrefix, CompilePrefixOptions, compileTimeFormat, PrefixContext, PrefixError, PrefixPart } from '../../src/contract';

/** A prefix of a local delivery stream. */
export type StreamPrefix = CompiledPrefix;

/**
 * Compiles a stream's prefix for the runner (throws `PrefixError`): the contract's prefix, with
 * `!{firehose:random-string}` drawn from `crypto`, and `!{partitionKeyFromQuery:…}` refused.
 */
export function compileStreamPrefix(source: string | undefined, options: CompilePrefixOptions = {}): StreamPrefix {
  const compiled = compilePrefix(source, options);
  const query = compiled.parts.find((p): p is Extract<PrefixPart, { kind: 'partitionKeyFromQuery' }> => p.kind === 'partitionKeyFromQuery');
  if (query) {
    throw new PrefixError(`"${source}": !{partitionKeyFromQuery:${query.key}} (inline JQ parsing) is not supported by the local runner; use partition keys from the Lambda processor (!{partitionKeyFromLambda:…})`);
  }
  return {
    ...compiled,
    render: (ctx: PrefixContext) => compiled.render({ randomString: () => randomString(11), ...ctx }),
  };
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A random string of letters and digits (what `!{firehose:random-string}` gives), from `crypto`. */
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
export function objectKey(prefix: StreamPrefix, ctx: ObjectKeyContext): string {
  return prefix.render(ctx) + objectName(ctx.streamName, ctx.version ?? 1, ctx.timestamp, ctx.extension, ctx.uuid);
}
