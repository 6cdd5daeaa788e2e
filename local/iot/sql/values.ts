/**
 * The values of IoT SQL and the message a statement is evaluated against, with the conversions every operator and
 * function shares. Semantics from the AWS IoT SQL reference: `undefined` is Undefined (a missing field), booleans
 * also come as the strings "true"/"false", numbers also as numeric strings.
 */

/** A value of IoT SQL: `undefined` is Undefined. */
export type SqlValue = undefined | null | boolean | number | string | SqlValue[] | { [key: string]: SqlValue };

/** A JSON object of IoT SQL. */
export type SqlObject = { [key: string]: SqlValue };

/** What a message looks like to the SQL evaluator. */
export interface SqlMessage {
  /** The topic (for Basic Ingest without the `$aws/rules/<rule>/` prefix). */
  readonly topic: string;
  readonly clientId: string;
  /** Epoch milliseconds when the broker received the message. */
  readonly timestamp: number;
  readonly payload: Buffer;
  /** The certificate id of the connection (its SHA-256 fingerprint), if any. */
  readonly principal?: string;
  readonly accountId?: string;
  /** The trace id shared by the rule evaluation and its error action (created on first use). */
  traceId?: string;
  /** Cache for the parsed payload (filled on first use; `null` inside means "not JSON"). */
  parsed?: { value: SqlValue } | null;
}

/** Parses the payload as JSON once per message; `undefined` when it is not JSON. */
export function payloadJson(m: SqlMessage): SqlValue {
  if (m.parsed === undefined) {
    try {
      m.parsed = { value: JSON.parse(m.payload.toString('utf8')) as SqlValue };
    } catch {
      m.parsed = null;
    }
  }
  return m.parsed === null ? undefined : m.parsed.value;
}

export function isObject(v: SqlValue): v is SqlObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A boolean, or the strings "true"/"false" in any case; else Undefined. */
export function toBool(v: SqlValue): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const l = v.toLowerCase();
    if (l === 'true') return true;
    if (l === 'false') return false;
  }
  return undefined;
}

/** A number, or a string holding a finite number; else Undefined. */
export function toNumber(v: SqlValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function deepEqual(a: SqlValue, b: SqlValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** `=`: values of the same type, and a number with a numeric string numerically; Undefined if either side is. */
export function equals(a: SqlValue, b: SqlValue): boolean | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (typeof a === 'number' && typeof b === 'string') return toNumber(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return toNumber(a) === b;
  return deepEqual(a, b);
}

/** A field of an object; Undefined for a missing field or a value that is not an object. */
export function getField(obj: SqlValue, key: string): SqlValue {
  return isObject(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** How a value is rendered in a template or `concat()`: Undefined is empty, strings as they are, the rest as JSON. */
export function stringify(v: SqlValue): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
