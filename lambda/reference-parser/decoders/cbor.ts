/**
 * `PayloadDecoder.cbor`: a CBOR (RFC 8949, https://www.rfc-editor.org/rfc/rfc8949) map → the row's fields.
 *
 * The library is cbor-x's decoder without code generation (`cbor-x/decode-no-eval`, CommonJS): chosen over cborg for
 * speed and size (bench/results/parser.json; lambda/reference-parser/README.md). cbor-x's optional native addon
 * `cbor-extract` is never loaded: this entry point does not reference it, and the bundle marks it external anyway.
 *
 * What becomes of CBOR values JSON has no form for (applied at every depth):
 * - top level: only a map gives a row; any other item (array, number, string, …), an empty payload, invalid CBOR
 *   and bytes after the first item fail the record with the reason;
 * - byte strings (major type 2) → standard base64 strings (as the Protobuf JSON mapping writes `bytes`);
 *   other typed arrays (RFC 8746 tags) → arrays of numbers;
 * - dates (tag 0 text, tag 1 epoch) → ISO 8601 strings in UTC (`2024-07-13T08:38:43.841Z`); an invalid date fails;
 * - `undefined` (simple value 23) → `null`, so the field is kept; NaN and ±Infinity → `null` (JSON.stringify's rule);
 * - integers beyond ±2^53 − 1 (64-bit and bignum tags 2/3) → decimal strings, as the Protobuf JSON mapping writes
 *   64-bit integers; smaller ones stay numbers;
 * - map keys: text keys as they are (cbor-x renames `__proto__` to `__proto_`); integer, boolean and null keys → their
 *   text (`1` → `"1"`); an array or map as a key fails the record; CBOR sets (tag 258) → arrays;
 * - any other tag → the record fails, naming the tag number.
 */
import type { DecoderContext, PayloadDecoder } from './types';
import type { JsonObject } from '../../toolkit';

/** The part of cbor-x's decoder used here (its types describe the ESM entry; this CommonJS one has the same API). */
interface CborDecoder { decode(bytes: Uint8Array): unknown }
type CborX = { Decoder: new (options: { mapsAsObjects: boolean; useRecords: boolean }) => CborDecoder };

/** A tag cbor-x leaves undecoded (its `Tag` class: `{ value, tag }`). */
interface UnknownTag { readonly tag: number; readonly value: unknown }

function isUnknownTag(value: object): value is UnknownTag {
  return value.constructor?.name === 'Tag' && typeof (value as UnknownTag).tag === 'number';
}

/** Makes one decoded value JSON-safe (see the module comment); objects and arrays are converted in place. */
function jsonSafe(value: unknown, fail: DecoderContext['fail']): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
    case 'undefined':
      return null;
    case 'object':
      break;
    default:
      throw fail(`CBOR payload holds a ${typeof value}, which has no JSON form`);
  }
  if (value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = jsonSafe(value[i], fail);
    return value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const obj = value as JsonObject;
    for (const key of Object.keys(obj)) obj[key] = jsonSafe(obj[key], fail);
    return obj;
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, v => jsonSafe(v, fail));
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw fail('CBOR payload holds an invalid date');
    return value.toISOString();
  }
  if (value instanceof Set) return Array.from(value, v => jsonSafe(v, fail));
  if (isUnknownTag(value)) throw fail(`CBOR payload holds tag ${value.tag}, which this decoder does not map to JSON`);
  throw fail(`CBOR payload holds a ${proto?.constructor?.name ?? 'value'}, which this decoder does not map to JSON`);
}

/** What the top-level item is, for the reason of a payload that is not a map. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'a byte string';
  return typeof value === 'object' ? `a ${Object.getPrototypeOf(value)?.constructor?.name ?? 'value'}` : `a ${typeof value}`;
}

export function cborDecoder({ fail }: DecoderContext): PayloadDecoder {
  // mapsAsObjects: maps become plain objects (non-string keys as text, see above); useRecords: false: no cbor-x record
  // extension (not CBOR a device would send); a fresh decoder keeps no state between payloads.
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
  const { Decoder } = require('cbor-x/decode-no-eval') as CborX;
  const decoder = new Decoder({ mapsAsObjects: true, useRecords: false });
  return (payload) => {
    if (payload.bytes.length === 0) throw fail('CBOR payload is empty');
    let value: unknown;
    try {
      value = decoder.decode(payload.bytes);
    } catch (e) {
      // cbor-x's messages describe the structure ("Unexpected end of buffer"), never the data: kept, shortened.
      const why = e instanceof Error ? e.message.slice(0, 120) : 'unknown error';
      throw fail(`payload is not valid CBOR: ${why}`);
    }
    if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) {
      throw fail(`CBOR payload is ${describe(value)}, expected a map`);
    }
    return jsonSafe(value, fail) as JsonObject;
  };
}
