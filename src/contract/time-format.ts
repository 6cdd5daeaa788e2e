/**
 * A subset of Java's DateTimeFormatter patterns — what Firehose's `!{timestamp:<pattern>}` and the IoT SQL
 * function `parse_time(pattern, timestamp[, zone])` accept — compiled once, formatted many times.
 *
 * Letters: `y`/`u` year (`yy` two digits), `M` month (`MMM` Jan, `MMMM` January), `d` day of month, `D` day of
 * year, `H` hour 0–23, `h` hour 1–12, `k` hour 1–24, `K` hour 0–11, `m` minute, `s` second, `S` fraction of a
 * second (milliseconds, padded/truncated to the count), `a` AM/PM, `E` day of week (`E`–`EEE` Mon, `EEEE`
 * Monday), `Z` offset `+0000`, `X` offset `Z`/`+00`/`+0000`/`+00:00`, `Y` (week-based year; treated as the
 * calendar year). Text in single quotes is literal (`''` is a quote); other non-letters are literal.
 */

/** A compiled pattern. */
export interface TimeFormat {
  readonly pattern: string;
  /** Formats epoch milliseconds in the zone (`UTC` unless given; IANA names like `Europe/Berlin` work). */
  format(epochMillis: number, timeZone?: string): string;
}

/** Thrown for a pattern with letters this formatter does not know. */
export class TimeFormatError extends Error {}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const SUPPORTED = new Set(['y', 'u', 'Y', 'M', 'L', 'd', 'D', 'H', 'h', 'k', 'K', 'm', 's', 'S', 'a', 'E', 'Z', 'X']);

const cache = new Map<string, TimeFormat>();

/** Compiles a pattern (cached); throws TimeFormatError for unsupported letters or an unclosed quote. */
export function compileTimeFormat(pattern: string): TimeFormat {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const parts = parsePattern(pattern);
  const compiled: TimeFormat = {
    pattern,
    format: (epochMillis, timeZone) => render(parts, fieldsOf(epochMillis, timeZone)),
  };
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

/** A piece of a time pattern: literal text, or a run of one pattern letter. */
export type TimePatternPart = { readonly text: string } | { readonly letter: string; readonly count: number };

/**
 * Splits a pattern into literal text (quoted text unquoted, `''` a quote, other non-letters as they are; adjacent
 * text merged) and runs of one letter, whatever the letter. Throws TimeFormatError for an unclosed quote.
 */
export function tokenizeTimePattern(pattern: string): TimePatternPart[] {
  const parts: TimePatternPart[] = [];
  let i = 0;
  let text = '';
  const flush = () => {
    if (text) parts.push({ text });
    text = '';
  };
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === '\'') {
      if (pattern[i + 1] === '\'') {
        text += '\'';
        i += 2;
        continue;
      }
      const end = findQuoteEnd(pattern, i + 1);
      if (end < 0) throw new TimeFormatError(`the time pattern "${pattern}" has an unclosed quote`);
      text += pattern.slice(i + 1, end).replace(/''/g, '\'');
      i = end + 1;
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      let count = 1;
      while (pattern[i + count] === ch) count++;
      flush();
      parts.push({ letter: ch, count });
      i += count;
      continue;
    }
    text += ch;
    i++;
  }
  flush();
  return parts;
}

/** The pattern's parts, every letter one this formatter knows. */
function parsePattern(pattern: string): TimePatternPart[] {
  const parts = tokenizeTimePattern(pattern);
  const unsupported = parts.find((part) => 'letter' in part && !SUPPORTED.has(part.letter));
  if (unsupported && 'letter' in unsupported) {
    throw new TimeFormatError(`the time pattern "${pattern}" uses "${unsupported.letter}", which the local runner does not support (supported: ${[...SUPPORTED].join(' ')}, 'quoted text')`);
  }
  return parts;
}

function findQuoteEnd(pattern: string, from: number): number {
  for (let i = from; i < pattern.length; i++) {
    if (pattern[i] === '\'') {
      if (pattern[i + 1] === '\'') {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

interface Fields {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  weekday: number; // 0 = Sunday
  dayOfYear: number;
  offsetMinutes: number;
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function fieldsOf(epochMillis: number, timeZone?: string): Fields {
  const zone = normalizeZone(timeZone);
  if (zone === 'UTC') return utcFields(epochMillis, 0);
  let formatter = zoneFormatters.get(zone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      throw new TimeFormatError(`unknown time zone "${timeZone}"`);
    }
    zoneFormatters.set(zone, formatter);
  }
  const values: Record<string, number> = {};
  for (const part of formatter.formatToParts(new Date(epochMillis))) {
    if (part.type !== 'literal') values[part.type] = Number(part.value);
  }
  const wallClock = Date.UTC(values.year, values.month - 1, values.day, values.hour, values.minute, values.second);
  const offsetMinutes = Math.round((wallClock - (epochMillis - (((epochMillis % 1000) + 1000) % 1000))) / 60000);
  return utcFields(epochMillis + offsetMinutes * 60000, offsetMinutes);
}

function utcFields(millis: number, offsetMinutes: number): Fields {
  const d = new Date(millis);
  const year = d.getUTCFullYear();
  const startOfYear = Date.UTC(year, 0, 1);
  return {
    year,
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millis: d.getUTCMilliseconds(),
    weekday: d.getUTCDay(),
    dayOfYear: Math.floor((Date.UTC(year, d.getUTCMonth(), d.getUTCDate()) - startOfYear) / 86400000) + 1,
    offsetMinutes,
  };
}

/** `UTC`, `GMT`, `Z`, empty and undefined all mean UTC. */
export function normalizeZone(timeZone: string | undefined): string {
  if (timeZone === undefined) return 'UTC';
  const z = timeZone.trim();
  if (z === '' || /^(utc|gmt|z|etc\/utc|etc\/gmt)$/i.test(z)) return 'UTC';
  return z;
}

function pad(value: number, width: number): string {
  const s = String(value);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

function offset(minutes: number, colon: boolean, zForZero: boolean): string {
  if (minutes === 0 && zForZero) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60), 2)}${colon ? ':' : ''}${pad(abs % 60, 2)}`;
}

function render(parts: TimePatternPart[], f: Fields): string {
  let out = '';
  for (const part of parts) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const n = part.count;
    switch (part.letter) {
      case 'y':
      case 'u':
      case 'Y':
        out += n === 2 ? pad(f.year % 100, 2) : pad(f.year, n);
        break;
      case 'M':
      case 'L':
        if (n >= 4) out += MONTHS[f.month - 1];
        else if (n === 3) out += MONTHS[f.month - 1].slice(0, 3);
        else out += pad(f.month, n);
        break;
      case 'd': out += pad(f.day, n); break;
      case 'D': out += pad(f.dayOfYear, n); break;
      case 'H': out += pad(f.hour, n); break;
      case 'k': out += pad(f.hour === 0 ? 24 : f.hour, n); break;
      case 'K': out += pad(f.hour % 12, n); break;
      case 'h': out += pad(f.hour % 12 === 0 ? 12 : f.hour % 12, n); break;
      case 'm': out += pad(f.minute, n); break;
      case 's': out += pad(f.second, n); break;
      case 'S': out += pad(f.millis, 3).padEnd(n, '0').slice(0, n); break;
      case 'a': out += f.hour < 12 ? 'AM' : 'PM'; break;
      case 'E': out += n >= 4 ? DAYS[f.weekday] : DAYS[f.weekday].slice(0, 3); break;
      case 'Z': out += offset(f.offsetMinutes, n >= 4, false); break;
      case 'X':
        if (n === 1) out += f.offsetMinutes === 0 ? 'Z' : offset(f.offsetMinutes, false, true).slice(0, 3);
        else out += offset(f.offsetMinutes, n >= 3, true);
        break;
      default: break;
    }
  }
  return out;
}
