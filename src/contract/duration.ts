/**
 * Durations as people type them on a command line: `10s`, `500ms`, `5m`, `1h`, `1d`, or a bare number of
 * seconds. One parser for the CLI's options and the local runner's; callers add the option name to the message.
 */

/** A text that is not a duration; the message says what to write instead. */
export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

const MILLISECONDS_PER_UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a positive duration and returns milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)?\s*$/i.exec(text);
  if (!match) {
    throw new DurationError(`${JSON.stringify(text)} is not a duration; write e.g. 10s, 500ms, 5m, 1h (a bare number is seconds).`);
  }
  const milliseconds = Number(match[1]) * MILLISECONDS_PER_UNIT[(match[2] ?? 's').toLowerCase()];
  if (!(milliseconds > 0)) throw new DurationError(`${JSON.stringify(text)} must be greater than zero.`);
  return milliseconds;
}
