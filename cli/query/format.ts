/**
 * A query result as the user asked for it: an aligned table (default), one JSON array of row objects (`--json`),
 * or CSV with a header row (`--csv`, RFC 4180).
 */
import type { JsonValue, QueryResult } from '../../local/query/result';
import { isNumericType } from '../../local/query/result';
import { renderTable } from '../format';

export type OutputFormat = 'table' | 'json' | 'csv';

/** The result as text (ends with a newline). */
export function formatResult(result: QueryResult, format: OutputFormat): string {
  switch (format) {
    case 'json': return `${JSON.stringify(rowObjects(result), null, 2)}\n`;
    case 'csv': return formatCsv(result);
    case 'table': return formatTable(result);
  }
}

/** The rows as objects keyed by column name (a repeated name gets `_2`, `_3`, ... so no value is lost). */
export function rowObjects(result: QueryResult): Array<Record<string, JsonValue>> {
  const seen = new Map<string, number>();
  const keys = result.columns.map((c) => {
    const n = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, n);
    return n === 1 ? c.name : `${c.name}_${n}`;
  });
  return result.rows.map((row) => Object.fromEntries(keys.map((k, i) => [k, row[i] ?? null])));
}

function text(value: JsonValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function formatTable(result: QueryResult): string {
  const headers = result.columns.map((c) => c.name);
  const right = result.columns.map((c) => isNumericType(c.type));
  const rows = result.rows.map((row) => row.map((v) => text(v).replace(/\r?\n/g, '\\n')));
  const count = `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`;
  return `${renderTable(headers, rows, right)}\n${count}\n`;
}

function csvField(value: JsonValue): string {
  if (value === null) return '';
  const s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function formatCsv(result: QueryResult): string {
  const lines = [result.columns.map((c) => csvField(c.name)), ...result.rows.map((row) => row.map(csvField))];
  return lines.map((l) => l.join(',')).join('\r\n') + '\r\n';
}
