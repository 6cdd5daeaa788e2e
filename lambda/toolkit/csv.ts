/**
 * CSV cells and lines: RFC 4180 quoting plus formula-injection protection.
 *
 * - `null` / `undefined` → empty cell.
 * - strings are written as-is, except a string whose first character is `=` `+` `-` `@` TAB or CR gets a
 *   single quote prepended (`=1+2` → `'=1+2`) so spreadsheet programs show it as text instead of
 *   evaluating it (OWASP "CSV injection"). Numbers and booleans are never prefixed: a JSON number such as
 *   `-5` cannot carry a formula, and prefixing it would turn a numeric column into text.
 * - numbers → `String(n)` (non-finite → empty), booleans → `true` / `false`, bigint → decimal digits.
 * - objects and arrays → their JSON text.
 * - a cell containing `"` `,` CR or LF is wrapped in double quotes, inner quotes doubled (RFC 4180 §2.6–2.7).
 *
 * Lines are joined with `,` and carry no terminator: the toolkit terminates every row with LF (not the
 * CRLF of RFC 4180 §2.1, so CSV and JSON Lines output look alike to line-based readers such as Athena).
 */

/** The character prepended to a string cell that would otherwise start a spreadsheet formula. */
export const CSV_FORMULA_ESCAPE = "'";

const NEEDS_QUOTES = /[",\r\n]/;
const QUOTES = /"/g;

function startsLikeFormula(s: string): boolean {
  switch (s.charCodeAt(0)) {
    case 0x3d: // =
    case 0x2b: // +
    case 0x2d: // -
    case 0x40: // @
    case 0x09: // TAB
    case 0x0d: // CR
      return true;
    default:
      return false;
  }
}

/** One CSV cell for `value` (see the module comment for the rules). */
export function csvCell(value: unknown): string {
  let s: string;
  switch (typeof value) {
    case 'string':
      s = startsLikeFormula(value) ? CSV_FORMULA_ESCAPE + value : value;
      break;
    case 'number':
      return Number.isFinite(value) ? String(value) : '';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object':
      if (value === null) return '';
      s = JSON.stringify(value);
      break;
    default: // undefined, function, symbol
      return '';
  }
  return NEEDS_QUOTES.test(s) ? '"' + s.replace(QUOTES, '""') + '"' : s;
}

/** One CSV line (without terminator) for `values`. */
export function csvLine(values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += csvCell(values[i]);
  }
  return line;
}
