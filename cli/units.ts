/**
 * Option values people type: durations, sizes and bounded numbers. Bad values are `UsageError`s that name the option.
 */
import { UsageError } from './errors';
import { DurationError, parseDuration as parseContractDuration } from '../src/contract';

/**
 * Parses a duration: `10s`, `500ms`, `5m`, `1h`, `1d`, or a bare number of seconds (the contract's parser, shared with
 * the local runner). Returns milliseconds.
 */
export function parseDuration(text: string, option: string): number {
  try {
    return parseContractDuration(text);
  } catch (e) {
    if (e instanceof DurationError) throw new UsageError(`${option} ${e.message}`);
    throw e;
  }
}

/**
 * Parses a size: `300B`, `300`, `1.5KB` (1,000 bytes), `1KiB` (1,024), `2MB`, `1MiB`. Returns bytes (rounded up).
 */
export function parseSize(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${option} ${JSON.stringify(text)} is not a size; write e.g. 300B, 2KB, 1KiB.`);
  const factor: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1_048_576 };
  const bytes = Math.ceil(Number(m[1]) * factor[(m[2] ?? 'b').toLowerCase()]);
  if (!(bytes > 0)) throw new UsageError(`${option} must be at least 1 byte.`);
  return bytes;
}

/** Parses a number within bounds. */
export function parseNumber(text: string, option: string, min: number, max: number, integer = false): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${option} ${JSON.stringify(text)} is not ${integer ? 'an integer' : 'a number'}.`);
  }
  if (value < min || value > max) throw new UsageError(`${option} must be between ${min} and ${max} (got ${text}).`);
  return value;
}
