/** Text output helpers. */

/** Renders rows as a plain-text table; `right` marks right-aligned columns. */
export function renderTable(headers: string[], rows: string[][], right: boolean[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells
    .map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
    .join('  ')
    .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One formatter per number of decimals: `toLocaleString` with options builds a new one (ICU) at every call. */
const numberFormats = new Map<number, Intl.NumberFormat>();

/** 1234567.8 → "1,234,568" (or with the given number of decimals). */
export function formatNumber(value: number, decimals = 0): string {
  let format = numberFormats.get(decimals);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    numberFormats.set(decimals, format);
  }
  return format.format(value);
}

/** USD with two decimals, or more for amounts under a cent so they do not read as zero. */
export function formatUsd(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.01) return `$${value.toPrecision(2)}`;
  return `$${formatNumber(value, 2)}`;
}

/** A price: "$1.00", "$0.15", "$0.029", "$0.0000133334" (at least two decimals, no float noise). */
export function formatPrice(value: number): string {
  const text = Number(value.toPrecision(6)).toString();
  const decimals = text.includes('.') ? text.split('.')[1].length : 0;
  return `$${decimals >= 2 ? text : value.toFixed(2)}`;
}
