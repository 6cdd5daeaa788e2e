/**
 * `PayloadDecoder.csv`: text lines of comma-separated values, `21.5,40` with columns `[temp, hum]` →
 * `{temp: 21.5, hum: 40}`. RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180): a field may be quoted with `"`, a quote
 * inside a quoted field is doubled (`""`), and a quoted field may hold the separator, CR and LF.
 *
 * - An unquoted field is a number when it is a JSON number literal, else a string; a quoted field is always a string
 *   (quoting marks text: `"007"` stays `"007"`); an empty unquoted field is `null` (the column is there, the value is not).
 * - Each record must have exactly as many fields as there are columns, else the message fails (the reason gives both
 *   counts); so do an unterminated quote and a quote inside an unquoted field or after a closing quote.
 * - Several records (lines) in one message: one row per record; blank lines are skipped.
 *
 * Hand-written (about 50 lines) because none of the project's dependencies parses CSV and a CSV package would add
 * more to the bundle than this file.
 */
import { DecoderContext, numberOrText, PayloadDecoder, setField } from './types';
import type { JsonObject } from '../../toolkit';

export interface CsvOptions {
  readonly columns: readonly string[];
  readonly separator: string;
}

/** One field: its text and whether it was quoted. */
type Field = readonly [string, boolean];

/** Splits text into records of fields (RFC 4180); blank lines give no record. */
function records(text: string, sep: string, fail: DecoderContext['fail']): Array<{ fields: Field[]; line: number }> {
  const out: Array<{ fields: Field[]; line: number }> = [];
  let fields: Field[] = [];
  let line = 1;
  let start = 1;
  let i = 0;
  const n = text.length;
  const endRecord = () => {
    if (!(fields.length === 1 && !fields[0][1] && fields[0][0].trim() === '')) out.push({ fields, line: start });
    fields = [];
  };
  while (i <= n) {
    if (text.charCodeAt(i) === 0x22 /* " */) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) throw fail(`csv payload: the quoted field starting on line ${line} is not closed`);
        value += text.slice(i, q);
        for (let k = i; k < q; k++) if (text.charCodeAt(k) === 0x0a) line++;
        if (text.charCodeAt(q + 1) === 0x22) { value += '"'; i = q + 2; continue; }
        i = q + 1;
        break;
      }
      fields.push([value, true]);
      const c = text[i];
      if (i < n && c !== sep && c !== '\n' && !(c === '\r' && text[i + 1] === '\n')) {
        throw fail(`csv payload: line ${line} has text after a closing quote`);
      }
    } else {
      let j = i;
      while (j < n && text[j] !== sep && text[j] !== '\n') j++;
      let value = text.slice(i, j);
      if (text[j] === '\n' && value.endsWith('\r')) value = value.slice(0, -1);
      if (value.includes('"')) throw fail(`csv payload: line ${line} has a quote inside an unquoted field`);
      fields.push([value, false]);
      i = j;
    }
    if (i >= n) { endRecord(); break; }
    if (text[i] === sep) { i++; continue; }
    if (text[i] === '\r') i++;
    i++; // the LF
    endRecord();
    line++;
    start = line;
    if (i === n) break;
  }
  return out;
}

export function csvDecoder(options: CsvOptions, { fail }: DecoderContext): PayloadDecoder {
  const { columns, separator } = options;
  return (payload) => {
    const rows: JsonObject[] = records(payload.text(), separator, fail).map(({ fields, line }) => {
      if (fields.length !== columns.length) {
        throw fail(`csv payload: line ${line} has ${fields.length} fields, expected ${columns.length} (${columns.join(', ')})`);
      }
      const row: JsonObject = {};
      for (let c = 0; c < columns.length; c++) {
        const [value, quoted] = fields[c];
        setField(row, columns[c], quoted ? value : value === '' ? null : numberOrText(value));
      }
      return row;
    });
    if (rows.length === 0) throw fail('csv payload has no record');
    return rows.length === 1 ? rows[0] : rows;
  };
}
