/**
 * A query's result as both engines return it to the CLI: the columns with the engine's type names, and the rows
 * as JSON values (numbers for integer and floating-point columns where JSON can hold them exactly, text otherwise).
 */

/** A JSON value of a result cell. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One result column: its name and the engine's type (`BIGINT`, `DOUBLE`, `varchar`, ...). */
export interface ResultColumn {
  readonly name: string;
  readonly type: string;
}

/** What a query returned. */
export interface QueryResult {
  readonly columns: readonly ResultColumn[];
  /** One array per row, a value per column (in column order: duplicate names stay apart). */
  readonly rows: ReadonlyArray<readonly JsonValue[]>;
}

const INTEGER_TYPES = /^(tinyint|smallint|int|integer|bigint|hugeint|utinyint|usmallint|uinteger|ubigint|uhugeint)$/i;
const FLOAT_TYPES = /^(float|real|double|double precision)$/i;
const DECIMAL_TYPE = /^decimal/i;

/** Whether a column's values are numbers (for right-aligned text output). */
export function isNumericType(type: string): boolean {
  return INTEGER_TYPES.test(type) || FLOAT_TYPES.test(type) || DECIMAL_TYPE.test(type);
}

/**
 * A cell given as text (Athena's `VarCharValue`, DuckDB's JSON form of wide numbers) → its JSON value by the
 * column's type: integers as numbers when they are safe integers, floating-point as numbers, exact decimals as
 * numbers when the number prints back the same, booleans as booleans, everything else as the text.
 */
export function cellValue(type: string, text: string | null | undefined): JsonValue {
  if (text === null || text === undefined) return null;
  if (INTEGER_TYPES.test(type)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  if (FLOAT_TYPES.test(type)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (DECIMAL_TYPE.test(type)) {
    const n = Number(text);
    return Number.isFinite(n) && sameDecimal(n, text) ? n : text;
  }
  if (/^boolean$/i.test(type)) return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

/** `12.50` and 12.5 are the same decimal; `0.1000000000000000055` is not 0.1. */
function sameDecimal(n: number, text: string): boolean {
  const canonical = (s: string) => s.replace(/^(-?)0+(?=\d)/, '$1').replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  return canonical(String(n)) === canonical(text.trim());
}
