/**
 * Date/time for the IoT SQL functions `parse_time(pattern, ms[, zone])` (formatting; the contract's Java pattern
 * formatter, plus the era `G` and zone name `z` letters its examples use) and `time_to_epoch(timestamp, pattern)`
 * (parsing with a JDK 11 DateTimeFormatter pattern; https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html#iot-sql-function-time-to-epoch).
 *
 * Parsing: `y`/`u`/`Y` year (`yy`: 2000–2099), `M`/`L` month (number, `MMM` Jan, `MMMM` January, any case), `d`, `D`
 * (day of year), `H`, `k`, `h`/`K` with `a` (AM/PM), `m`, `s`, `S` (fraction), `E` (day name, checked for form only),
 * `G` (AD), `z`/`VV`/`v` (a zone id such as `America/Los_Angeles`, `UTC`, `UTC+01:00`, `GMT-5`, or a common
 * abbreviation), `Z`/`X`/`x`/`O` (offsets). Text in single quotes and other non-letters are literal. A timestamp
 * without a zone is UTC. Anything that does not match is Undefined.
 */
import { compileTimeFormat, normalizeZone, TimeFormatError, tokenizeTimePattern, TimePatternPart } from '../../../src/contract';

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
/** Zone abbreviations Java's `z` parses, as fixed offsets in minutes (the common North American and European ones). */
const ABBREVIATIONS: Record<string, number> = {
  UTC: 0,
  GMT: 0,
  UT: 0,
  Z: 0,
  WET: 0,
  BST: 60,
  CET: 60,
  CEST: 120,
  EET: 120,
  EEST: 180,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
  AKST: -540,
  AKDT: -480,
  HST: -600,
  JST: 540,
  KST: 540,
  IST: 330,
};

/** The pattern's parts (the contract's tokenizer); undefined for an unclosed quote. */
function parsePattern(pattern: string): TimePatternPart[] | undefined {
  try {
    return tokenizeTimePattern(pattern);
  } catch (e) {
    if (e instanceof TimeFormatError) return undefined;
    throw e;
  }
}

/** The zone's offset from UTC in minutes at an instant (IANA names through Intl). */
function zoneOffsetMinutes(epochMillis: number, zone: string): number | undefined {
  try {
    const f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    const p = Object.fromEntries(f.formatToParts(new Date(epochMillis)).map((x) => [x.type, x.value]));
    const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
    return Math.round((asUtc - Math.floor(epochMillis / 1000) * 1000) / 60000);
  } catch {
    return undefined;
  }
}

/** A zone text: a fixed offset in minutes, or an IANA zone name; undefined when unknown. */
function zoneOf(text: string): { offset: number } | { zone: string } | undefined {
  const fixed = /^(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(text);
  if (fixed) {
    const minutes = Number(fixed[2]) * 60 + Number(fixed[3] ?? 0);
    return { offset: fixed[1] === '-' ? -minutes : minutes };
  }
  const upper = text.toUpperCase();
  if (upper in ABBREVIATIONS) return { offset: ABBREVIATIONS[upper] };
  if (zoneOffsetMinutes(0, text) !== undefined) return { zone: text };
  return undefined;
}

interface Fields {
  year: number;
  month: number;
  day: number;
  dayOfYear?: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  pm?: boolean;
  twelveHour: boolean;
  zone?: { offset: number } | { zone: string };
}

/** `time_to_epoch(timestamp, pattern)`: epoch milliseconds, or undefined when the timestamp does not match. */
export function timeToEpoch(timestamp: string, pattern: string): number | undefined {
  const parts = parsePattern(pattern);
  if (!parts) return undefined;
  const f: Fields = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, millis: 0, twelveHour: false };
  let pos = 0;
  const rest = () => timestamp.slice(pos);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if ('text' in part) {
      if (!timestamp.startsWith(part.text, pos)) return undefined;
      pos += part.text.length;
      continue;
    }
    const next = parts[i + 1];
    const adjacentNumber = next !== undefined && 'letter' in next && /[yuYMLdDHhkKmsS]/.test(next.letter);
    const digits = (min: number, max: number): number | undefined => {
      const m = new RegExp(`^\\d{${min},${adjacentNumber ? Math.max(min, part.count) : max}}`).exec(rest());
      if (!m) return undefined;
      pos += m[0].length;
      return Number(m[0]);
    };
    const word = (names: string[], short: boolean): number | undefined => {
      const r = rest().toLowerCase();
      for (let k = 0; k < names.length; k++) {
        const name = short ? names[k].slice(0, 3) : names[k];
        if (r.startsWith(name)) {
          pos += name.length;
          return k;
        }
      }
      return undefined;
    };
    const { letter, count } = part;
    let v: number | undefined;
    switch (letter) {
      case 'y': case 'u': case 'Y':
        v = digits(count === 2 ? 2 : 1, count === 2 ? 2 : 9);
        if (v === undefined) return undefined;
        f.year = count === 2 ? 2000 + v : v;
        break;
      case 'M': case 'L':
        v = count >= 3 ? word(MONTHS, count === 3) : digits(1, 2);
        if (v === undefined) return undefined;
        f.month = count >= 3 ? v + 1 : v;
        break;
      case 'd': v = digits(1, 2); if (v === undefined) return undefined; f.day = v; break;
      case 'D': v = digits(1, 3); if (v === undefined) return undefined; f.dayOfYear = v; break;
      case 'H': v = digits(1, 2); if (v === undefined) return undefined; f.hour = v; break;
      case 'k': v = digits(1, 2); if (v === undefined) return undefined; f.hour = v % 24; break;
      case 'h': case 'K': v = digits(1, 2); if (v === undefined) return undefined; f.hour = v % 12; f.twelveHour = true; break;
      case 'm': v = digits(1, 2); if (v === undefined) return undefined; f.minute = v; break;
      case 's': v = digits(1, 2); if (v === undefined) return undefined; f.second = v; break;
      case 'S': {
        const m = new RegExp(`^\\d{${count}}`).exec(rest());
        if (!m) return undefined;
        pos += m[0].length;
        f.millis = Number(m[0].padEnd(3, '0').slice(0, 3));
        break;
      }
      case 'a': {
        const m = /^(am|pm)/i.exec(rest());
        if (!m) return undefined;
        pos += 2;
        f.pm = m[1].toLowerCase() === 'pm';
        break;
      }
      case 'E':
        if (word(DAYS, count <= 3) === undefined) return undefined;
        break;
      case 'G': {
        const m = /^(AD|BC|Anno Domini|Before Christ)/i.exec(rest());
        if (!m) return undefined;
        pos += m[0].length;
        break;
      }
      case 'z': case 'V': case 'v': case 'Z': case 'X': case 'x': case 'O': {
        const m = /^(Z(?![A-Za-z])|[+-]\d{1,2}(?::?\d{2})?|(?:UTC|GMT|UT)(?:[+-]\d{1,2}(?::?\d{2})?)?|[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*)/.exec(rest());
        if (!m) return undefined;
        const zone = m[1] === 'Z' ? { offset: 0 } : zoneOf(m[1]);
        if (!zone) return undefined;
        pos += m[1].length;
        f.zone = zone;
        break;
      }
      default:
        return undefined;
    }
  }
  if (pos !== timestamp.length) return undefined;
  if (f.twelveHour && f.pm) f.hour += 12;
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31 || f.hour > 23 || f.minute > 59 || f.second > 59) return undefined;
  let local = f.dayOfYear !== undefined
    ? Date.UTC(f.year, 0, f.dayOfYear, f.hour, f.minute, f.second, f.millis)
    : Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, f.millis);
  if (f.dayOfYear === undefined && new Date(local).getUTCDate() !== f.day) return undefined; // e.g. 31 February
  const zone = f.zone ?? { offset: 0 };
  if ('offset' in zone) return local - zone.offset * 60000;
  const first = zoneOffsetMinutes(local, zone.zone)!;
  const guess = local - first * 60000;
  const second = zoneOffsetMinutes(guess, zone.zone)!;
  local -= second * 60000;
  return local;
}

/**
 * `parse_time(pattern, ms[, zone])`: the contract's formatter, with `G` (era, "AD") and `z` (the zone's short name,
 * e.g. CST) written in as literals for this instant. Undefined for a pattern the formatter does not know.
 */
export function formatTime(pattern: string, epochMillis: number, zone: string | undefined): string | undefined {
  let effective = pattern;
  if (/[Gz]/.test(pattern)) {
    const parts = parsePattern(pattern);
    if (!parts) return undefined;
    const tz = normalizeZone(zone);
    // The era and the zone name become literal text; each run of literal text is quoted once (two quoted runs side
    // by side would read as one with a quote in it).
    let literal = '';
    effective = '';
    for (const p of parts) {
      if ('text' in p) {
        literal += p.text;
      } else if (p.letter === 'G') {
        literal += epochMillis >= -62135596800000 ? 'AD' : 'BC';
      } else if (p.letter === 'z') {
        literal += zoneName(epochMillis, tz);
      } else {
        effective += quoted(literal) + p.letter.repeat(p.count);
        literal = '';
      }
    }
    effective += quoted(literal);
  }
  try {
    return compileTimeFormat(effective).format(epochMillis, zone);
  } catch (e) {
    if (e instanceof TimeFormatError || e instanceof RangeError) return undefined;
    throw e;
  }
}

/** Literal text as a pattern: quoted (with `''` for a quote) when it holds a letter or a quote. */
function quoted(text: string): string {
  return /[A-Za-z']/.test(text) ? `'${text.replace(/'/g, '\'\'')}'` : text;
}

function zoneName(epochMillis: number, zone: string): string {
  if (zone === 'UTC') return 'UTC';
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' }).formatToParts(new Date(epochMillis));
    return parts.find((p) => p.type === 'timeZoneName')?.value ?? zone;
  } catch {
    return zone;
  }
}
