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

/**
 * 1234567.8 → "1,234,568" (or with the given number of decimals), exactly as `toLocaleString('en-US')` writes it, but
 * without `Intl`, whose first use loads ICU's locale data (a sixth of a `cost` run): the shortest decimal digits of the
 * number (what ICU formats), rounded half away from zero, grouped by thousands. A property test compares the two.
 */
export function formatNumber(value: number, decimals = 0): string {
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21 || !Number.isInteger(decimals) || decimals < 0 || decimals > 20) {
    return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  }
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const point = Number(exponent) + 1; // digits[0..point) are the integer part
  const whole = point <= 0 ? '0' : digits.slice(0, point).padEnd(point, '0');
  const fraction = point >= 0 ? digits.slice(point) : '0'.repeat(-point) + digits;
  const roundUp = fraction.length > decimals && fraction.charCodeAt(decimals) >= 0x35; // '5'
  const scaled = (BigInt(whole + fraction.slice(0, decimals).padEnd(decimals, '0')) + (roundUp ? 1n : 0n)).toString().padStart(decimals + 1, '0');
  const int = scaled.slice(0, scaled.length - decimals).replace(/\B(?=(\d{3})+$)/g, ',');
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  return decimals === 0 ? `${sign}${int}` : `${sign}${int}.${scaled.slice(scaled.length - decimals)}`;
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
