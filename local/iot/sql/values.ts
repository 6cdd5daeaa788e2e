/**
 * The values of IoT SQL and the message a statement is evaluated against, with the conversions every operator and
 * function shares. Semantics from the AWS IoT SQL reference (2016-03-23):
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-data-types.html
 *
 * - `undefined` is Undefined (a missing field); `null` is Null.
 * - Int and Decimal are JavaScript numbers: a whole number is an Int, any other number a Decimal. This is SQL V2's
 *   documented rule ("numeric values that are whole numbers, such as 10.0, are processed as an Int value"), so
 *   `10.0 / 4` is `10 / 4` = 2 (Int / Int is an Int). Local limits: numbers are IEEE doubles (AWS: 34 digits), so
 *   Ints beyond 2^53 lose precision.
 * - Conversions ("Conversions" tables): a String becomes a Decimal only when it matches
 *   `^-?\d+(\.\d+)?((?i)E-?\d+)?$`; booleans also come as the strings "true"/"false"; to String: Int in standard
 *   notation, Decimal possibly in scientific notation, Boolean "true"/"false", Array and Object as JSON, Null and
 *   Undefined stay Undefined.
 */
import type { FileRegistry } from '@bufbuild/protobuf';
import type { MessageProperties } from '../mqtt5';

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
  /** The IP address of the connection (`sourceip()`). */
  readonly sourceIp?: string;
  /** The MQTT 5 PUBLISH properties (`get_mqtt_property`, `get_user_properties`); undefined for MQTT 3.1.1. */
  readonly mqtt?: MessageProperties;
  /**
   * The descriptor sets `decode(*, 'proto', <bucket>, <key>, …)` reads (the runner's buckets, compiled and cached:
   * protobuf.ts's DescriptorCache); without it such a decode fails the message.
   */
  readonly descriptors?: { registry(bucket: string, key: string): FileRegistry };
  /** The trace id shared by the rule evaluation and its error action (created on first use). */
  traceId?: string;
  /** Cache for the parsed payload (filled on first use; `null` inside means "not JSON"). */
  parsed?: { value: SqlValue } | null;
  /** The values of the statement's SET variables (filled when the statement is evaluated). */
  variables?: Map<string, SqlValue>;
  /** The element a nested SELECT is evaluating (its FROM), which field names refer to instead of the payload. */
  row?: { value: SqlValue };
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

/** What field names refer to: the nested SELECT's element, else the payload. */
export function currentRow(m: SqlMessage): SqlValue {
  return m.row !== undefined ? m.row.value : payloadJson(m);
}

export function isObject(v: SqlValue): v is SqlObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An Int: a whole number (see the file comment). */
export function isInt(v: SqlValue): v is number {
  return typeof v === 'number' && Number.isInteger(v);
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

/** The strings the rules engine converts to a Decimal (the reference's regular expression). */
const DECIMAL_STRING = /^-?\d+(\.\d+)?([eE]-?\d+)?$/;

/** A number, or a string the reference converts to a Decimal; else Undefined. */
export function toNumber(v: SqlValue): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && DECIMAL_STRING.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A number, or a numeric string, rounded down to an Int ("rounded down to the nearest Int" of the function tables). */
export function toIntFloor(v: SqlValue): number | undefined {
  const n = toNumber(v);
  return n === undefined ? undefined : Math.floor(n);
}

/** The standard conversion to String; Undefined for Null and Undefined. */
export function toSqlString(v: SqlValue): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

/** Int in standard notation; a Decimal as JavaScript prints it (scientific notation for very small or large values). */
export function numberToString(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) >= 1e21) return BigInt(n).toString();
  return String(n);
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

/**
 * `=` (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-operators.html#iot-sql-operators-eq): values of
 * the same type (Int and Decimal compare as numbers; arrays in order; objects regardless of key order); mismatched
 * types are false (so `12 = '12'` is false); Undefined if either side is.
 */
export function equals(a: SqlValue, b: SqlValue): boolean | undefined {
  if (a === undefined || b === undefined) return undefined;
  return deepEqual(a, b);
}

/** A field of an object; Undefined for a missing field or a value that is not an object. */
export function getField(obj: SqlValue, key: string): SqlValue {
  return isObject(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * How a value is rendered in a substitution template: Undefined is empty ("Undefined is converted to an empty string
 * when serialized by itself"), strings as they are, the rest as JSON.
 */
export function stringify(v: SqlValue): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  return JSON.stringify(v);
}
