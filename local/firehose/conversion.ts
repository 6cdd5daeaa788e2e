/**
 * Firehose record format conversion, run locally: JSON records in (the OpenX or Hive JSON SerDe's rules), one
 * Parquet object out per delivered buffer, with the schema of the Glue table the stream names
 * (docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html).
 *
 * - A record may hold several JSON objects (`{"a":1}{"a":2}`, or one per line); each becomes a row. A JSON array
 *   is not valid input, as in Firehose.
 * - Keys match columns case-insensitively (OpenX `CaseInsensitive`, default on), through `ColumnToJsonKeyMappings`,
 *   with `.` read as `_` when `ConvertDotsInJsonKeysToUnderscores` is on. Fields that are not columns are dropped;
 *   missing ones are null.
 * - Timestamps: ISO-8601 with `Z`, `yyyy-M-d HH:mm:ss[.f]`, epoch seconds (integer or fractional) and epoch
 *   milliseconds, as the OpenX SerDe reads them (the Hive SerDe: `millis` and the `java.sql.Timestamp` form).
 * - A record with a value that does not fit its column (text in an `int`, an object in an `array`) fails as a
 *   whole and goes to the error output as `format-conversion-failed`, with the fields Firehose writes.
 *
 * Parquet is written by hyparquet-writer (pure JavaScript, so the runner needs no native code): the columns in
 * table order, all OPTIONAL, compressed as `ParquetSerDe.Compression` says. One difference from Firehose:
 * timestamps are INT64 milliseconds (Firehose writes Hive's INT96); Athena and DuckDB read both as timestamps.
 */
import { gzipSync } from 'zlib';
import type { ConversionModel } from '../assembly/model';
import { GlueType, parseGlueType, TableError } from '../assembly/table';

/** hyparquet-writer's API (an ES module: loaded with require, which Node 20.19+ and the bundle support). */
type HyparquetWriter = typeof import('hyparquet-writer', { with: { 'resolution-mode': 'import' } });
type SchemaElement = Parameters<HyparquetWriter['parquetWriteBuffer']>[0] extends { schema?: Array<infer E> } ? E : never;

/** A record's value that does not fit the schema; the message names the column. */
export class ConversionError extends Error {
  constructor(public readonly errorCode: string, message: string) {
    super(message);
    this.name = 'ConversionError';
  }
}

/** One record to convert. */
export interface ConversionInput {
  readonly data: Buffer;
}

/** A compiled conversion: rows out of records, Parquet out of rows. */
export interface RecordConverter {
  /** The rows of one record (throws `ConversionError`). */
  rows(data: Buffer): Array<Record<string, unknown>>;
  /** One Parquet file of the rows. */
  write(rows: ReadonlyArray<Record<string, unknown>>): Buffer;
}

interface CompiledColumn {
  readonly name: string;
  readonly type: GlueType;
  /** The JSON key to read (already normalized like the object's keys). */
  readonly key: string;
}

/** Compiles the conversion of a stream (throws `TableError` for a column type the runner cannot write). */
export function compileConversion(model: ConversionModel): RecordConverter {
  const d = model.deserializer;
  const normalizeKey = (key: string): string => {
    let k = key;
    if (d.kind === 'openx' && d.dotsToUnderscores) k = k.replace(/\./g, '_');
    if (d.kind === 'hive' || d.caseInsensitive) k = k.toLowerCase();
    return k;
  };
  const columns: CompiledColumn[] = model.table.columns.map((c) => {
    const type = parseGlueType(c.type);
    assertWritable(type, c.name);
    const mapped = d.kind === 'openx' ? d.mappings[c.name] : undefined;
    return { name: c.name, type, key: normalizeKey(mapped ?? c.name) };
  });
  const timestamps = d.kind === 'hive' ? d.timestampFormats : [];
  const schema = parquetSchema(columns);
  return {
    rows(data) {
      const objects = splitJson(data.toString('utf8'));
      return objects.map((obj) => {
        const keyed = new Map<string, unknown>();
        for (const [k, v] of Object.entries(obj)) {
          const key = normalizeKey(k);
          if (!keyed.has(key)) keyed.set(key, v);
        }
        const row: Record<string, unknown> = {};
        for (const c of columns) row[c.name] = convert(c.type, keyed.get(c.key), c.name, timestamps, d.kind === 'hive' || d.caseInsensitive);
        return row;
      });
    },
    write(rows) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- an ES module, loaded when a stream converts (see the type above)
      const hyparquet = require('hyparquet-writer') as HyparquetWriter;
      const codec = model.compression;
      const buffer = hyparquet.parquetWriteBuffer({
        columnData: columns.map((c) => ({ name: c.name, data: rows.map((r) => r[c.name]) })),
        schema,
        codec,
        ...(codec === 'GZIP' ? { compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)) } } : {}),
        pageSize: model.pageSizeBytes,
        rowGroupSize: Math.max(1, rows.length),
        kvMetadata: [{ key: 'writer', value: 'cdk-iot-pipeline local (Firehose record format conversion)' }],
      } as Parameters<HyparquetWriter['parquetWriteBuffer']>[0]);
      return Buffer.from(buffer);
    },
  };
}

/** The columns the runner can write: every Glue type, with map keys of a primitive type (JSON object keys are text). */
function assertWritable(type: GlueType, column: string): void {
  if (type.kind === 'map') {
    if (['array', 'map', 'struct'].includes(type.key.kind)) throw new TableError(`column ${column}: a map key must be a primitive type`);
    assertWritable(type.value, `${column} value`);
  }
  if (type.kind === 'array') assertWritable(type.element, column);
  if (type.kind === 'struct') for (const f of type.fields) assertWritable(f.type, `${column}.${f.name}`);
}

/** The Parquet schema (flattened depth first, as the format stores it): every field OPTIONAL, lists and maps in the 3-level form. */
function parquetSchema(columns: readonly CompiledColumn[]): SchemaElement[] {
  const out: SchemaElement[] = [{ name: 'root', num_children: columns.length } as SchemaElement];
  const add = (name: string, type: GlueType): void => {
    switch (type.kind) {
      case 'array':
        out.push({ name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 } as SchemaElement);
        out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 } as SchemaElement);
        add('element', type.element);
        return;
      case 'struct':
        out.push({ name, repetition_type: 'OPTIONAL', num_children: type.fields.length } as SchemaElement);
        for (const f of type.fields) add(f.name, f.type);
        return;
      case 'map':
        out.push({ name, repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 } as SchemaElement);
        out.push({ name: 'key_value', repetition_type: 'REPEATED', num_children: 2 } as SchemaElement);
        out.push({ name: 'key', repetition_type: 'REQUIRED', ...primitive(type.key) } as SchemaElement);
        add('value', type.value);
        return;
      default:
        out.push({ name, repetition_type: 'OPTIONAL', ...primitive(type) } as SchemaElement);
    }
  };
  for (const c of columns) add(c.name, c.type);
  return out;
}

function primitive(type: GlueType): Record<string, unknown> {
  switch (type.kind) {
    case 'string': return { type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'binary': return { type: 'BYTE_ARRAY' };
    case 'boolean': return { type: 'BOOLEAN' };
    case 'tinyint': return { type: 'INT32', converted_type: 'INT_8' };
    case 'smallint': return { type: 'INT32', converted_type: 'INT_16' };
    case 'int': return { type: 'INT32' };
    case 'bigint': return { type: 'INT64' };
    case 'float': return { type: 'FLOAT' };
    case 'double': return { type: 'DOUBLE' };
    case 'date': return { type: 'INT32', converted_type: 'DATE' };
    case 'timestamp': return { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' };
    case 'decimal': return type.precision <= 18
      ? { type: 'INT64', converted_type: 'DECIMAL', precision: type.precision, scale: type.scale }
      : { type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalBytes(type.precision), converted_type: 'DECIMAL', precision: type.precision, scale: type.scale };
    default: throw new TableError(`no Parquet type for ${type.kind}`);
  }
}

/** The bytes a FIXED_LEN_BYTE_ARRAY decimal of this precision needs. */
function decimalBytes(precision: number): number {
  return Math.ceil((Math.log2(10 ** precision) + 1) / 8);
}

const INT_RANGES: Record<string, [number, number]> = {
  tinyint: [-128, 127],
  smallint: [-32768, 32767],
  int: [-2147483648, 2147483647],
};

/** Converts one JSON value to its column's type (throws `ConversionError`). */
function convert(type: GlueType, value: unknown, column: string, timestampFormats: readonly string[], caseInsensitive: boolean): unknown {
  if (value === null || value === undefined) return null;
  const fail = (what: string): never => {
    throw new ConversionError('DataFormatConversion.MalformedData', `column ${column} (${describe(type)}): ${what} ${JSON.stringify(value).slice(0, 80)}`);
  };
  switch (type.kind) {
    case 'string':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'binary':
      return typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'utf8')) : fail('cannot store');
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      return fail('is not a boolean:');
    case 'tinyint': case 'smallint': case 'int': {
      const n = integer(value) ?? fail('is not an integer:');
      const [min, max] = INT_RANGES[type.kind];
      if (n < BigInt(min) || n > BigInt(max)) fail('is out of range:');
      return Number(n);
    }
    case 'bigint': {
      const n = integer(value) ?? fail('is not an integer:');
      if (n < -(2n ** 63n) || n >= 2n ** 63n) fail('is out of range:');
      return n;
    }
    case 'float': case 'double': {
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
      return fail('is not a number:');
    }
    case 'decimal': {
      const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : fail('is not a number:');
      return scaledDecimal(text, type.precision, type.scale) ?? fail('does not fit:');
    }
    case 'timestamp':
      return timestamp(value, timestampFormats) ?? fail('is not a timestamp:');
    case 'date': {
      if (typeof value === 'string' && /^\d{4}-\d{1,2}-\d{1,2}$/.test(value)) {
        const [y, m, dd] = value.split('-').map(Number);
        return new Date(Date.UTC(y, m - 1, dd));
      }
      return fail('is not a date (yyyy-MM-dd):');
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return fail('is not an object:');
      return Object.entries(value as Record<string, unknown>).map(([k, v]) => ({
        key: convert(type.key, k, `${column} key`, timestampFormats, caseInsensitive),
        value: convert(type.value, v, `${column}.${k}`, timestampFormats, caseInsensitive),
      }));
    }
    case 'array':
      if (!Array.isArray(value)) return fail('is not an array:');
      return value.map((v, i) => convert(type.element, v, `${column}[${i}]`, timestampFormats, caseInsensitive));
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) return fail('is not an object:');
      const source = new Map<string, unknown>();
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const key = caseInsensitive ? k.toLowerCase() : k;
        if (!source.has(key)) source.set(key, v);
      }
      const out: Record<string, unknown> = {};
      for (const f of type.fields) out[f.name] = convert(f.type, source.get(f.name), `${column}.${f.name}`, timestampFormats, caseInsensitive);
      return out;
    }
    default:
      return fail('cannot store');
  }
}

function describe(type: GlueType): string {
  switch (type.kind) {
    case 'decimal': return `decimal(${type.precision},${type.scale})`;
    case 'array': return `array<${describe(type.element)}>`;
    case 'map': return `map<${describe(type.key)},${describe(type.value)}>`;
    case 'struct': return `struct<${type.fields.map((f) => `${f.name}:${describe(f.type)}`).join(',')}>`;
    default: return type.kind;
  }
}

function integer(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return BigInt(value.trim());
  return undefined;
}

/** `12.345` as decimal(p, s) → the unscaled integer (rounded half up), or undefined when it does not fit. */
export function scaledDecimal(text: string, precision: number, scale: number): bigint | undefined {
  const m = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  let digits = `${m[2]}${m[3] ?? ''}`.replace(/^0+(?=\d)/, '');
  let exponent = Number(m[4] ?? 0) - (m[3] ?? '').length + scale;
  if (exponent >= 0) {
    digits += '0'.repeat(exponent);
    exponent = 0;
  }
  let unscaled = BigInt(digits === '' ? '0' : digits);
  if (exponent < 0) {
    const divisor = 10n ** BigInt(-exponent);
    const rest = unscaled % divisor;
    unscaled = unscaled / divisor + (rest * 2n >= divisor ? 1n : 0n);
  }
  if (unscaled >= 10n ** BigInt(precision)) return undefined;
  return m[1] === '-' ? -unscaled : unscaled;
}

const ISO_Z = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;
const SQL_TIMESTAMP = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** A JSON timestamp as Firehose's deserializers read it; undefined when it is none of the accepted forms. */
export function timestamp(value: unknown, formats: readonly string[] = []): Date | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (formats.includes('millis')) return new Date(Math.trunc(value));
    // Epoch milliseconds have 13 digits today; epoch seconds 10 (fractional seconds allowed).
    return new Date(Number.isInteger(value) && Math.abs(value) >= 1e11 ? value : Math.round(value * 1000));
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return timestamp(Number(text), formats);
  const m = ISO_Z.exec(text) ?? SQL_TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const ms = Math.round(Number(`0.${m[7] ?? '0'}`) * 1000);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The JSON objects of a record: one or more objects, separated by whitespace or nothing (`{"a":1}{"a":2}`,
 * JSON Lines). Anything else (an array, a bare value, broken JSON) throws `ConversionError`.
 */
export function splitJson(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i])) i++;
    if (i >= n) break;
    if (text[i] !== '{') {
      throw new ConversionError('DataFormatConversion.MalformedData', `the record is not JSON objects: unexpected ${JSON.stringify(text.slice(i, i + 20))} at offset ${i}`);
    }
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') {
        inString = true;
      } else if (c === '{' || c === '[') {
        depth++;
      } else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      }
    }
    if (depth !== 0) throw new ConversionError('DataFormatConversion.MalformedData', `the record ends inside a JSON object (offset ${start})`);
    try {
      out.push(JSON.parse(text.slice(start, i)) as Record<string, unknown>);
    } catch (e) {
      throw new ConversionError('DataFormatConversion.MalformedData', `the record is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (out.length === 0) throw new ConversionError('DataFormatConversion.MalformedData', 'the record holds no JSON object');
  return out;
}
