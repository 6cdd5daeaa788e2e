/**
 * The S3 prefixes `doctor` lists to find recent objects: a Firehose prefix rendered for every UTC hour of the window,
 * by the contract's prefix renderer (the one the local runner writes keys with).
 */
import { compilePrefix } from '../../src/contract';

/** How a prefix is used by its delivery stream. */
export interface WindowPrefixOptions {
  /**
   * It is an error output prefix and this the error output type to list (`processing-failed`): a prefix without
   * a timestamp then gets `<error-output-type>/yyyy/MM/dd/HH/` appended, as Firehose does.
   */
  readonly errorOutputType?: string;
  /** The stream partitions dynamically: Firehose appends no timestamp. */
  readonly dynamicPartitioning?: boolean;
}

/**
 * The listing prefixes of every UTC hour in [start, end]: each rendered up to the first expression that cannot be
 * predicted (a random string or a partition key), without duplicates.
 */
export function windowPrefixes(prefix: string, start: Date, end: Date, options: WindowPrefixOptions = {}): string[] {
  const compiled = compilePrefix(prefix, { errorOutput: options.errorOutputType !== undefined, dynamicPartitioning: options.dynamicPartitioning });
  const out: string[] = [];
  const firstHour = Math.floor(start.getTime() / 3_600_000) * 3_600_000;
  for (let t = firstHour; t <= end.getTime(); t += 3_600_000) {
    const rendered = compiled.renderPredictable({ timestamp: t, errorOutputType: options.errorOutputType });
    if (!out.includes(rendered)) out.push(rendered);
  }
  return out;
}
