/**
 * `PayloadDecoder.delimited`: text lines of key/value fields, `temp=21.5;hum=40` → `{temp: 21.5, hum: 40}`.
 *
 * - A value is a number when it is a JSON number literal (`21.5`, `-3`, `1e3`), else a string (`on`, `0x1F`, `+1`,
 *   `21,5`); keys and values are trimmed of spaces and TABs; a value may contain the key/value separator
 *   (`a=b=c` → `{a: "b=c"}`: the first one splits).
 * - Empty fields (`a=1;;b=2`, a trailing `;`) are skipped.
 * - An empty key, a key given twice, or a field without the key/value separator fail the record.
 * - Several lines in one message: one row per line (the toolkit lets a record give several rows); blank lines are
 *   skipped; a message with no field at all fails.
 */
import { DecoderContext, linesOf, numberOrText, PayloadDecoder, setField } from './types';
import type { JsonObject } from '../../toolkit';

export interface DelimitedOptions {
  readonly fieldSeparator: string;
  readonly keyValueSeparator: string;
}

export function delimitedDecoder(options: DelimitedOptions, { fail }: DecoderContext): PayloadDecoder {
  const { fieldSeparator, keyValueSeparator } = options;
  const lineRow = (line: string, lineNumber: number): JsonObject => {
    const row: JsonObject = {};
    const seen = new Set<string>();
    const fields = line.split(fieldSeparator);
    for (let f = 0; f < fields.length; f++) {
      const field = fields[f];
      if (field.trim() === '') continue;
      const where = `line ${lineNumber}, field ${f + 1}`;
      const at = field.indexOf(keyValueSeparator);
      if (at === -1) throw fail(`delimited payload: ${where} has no key/value separator ${JSON.stringify(keyValueSeparator)}`);
      const key = field.slice(0, at).trim();
      if (key === '') throw fail(`delimited payload: ${where} has an empty key`);
      if (seen.has(key)) throw fail(`delimited payload: ${where} repeats a key of the same line`);
      seen.add(key);
      setField(row, key, numberOrText(field.slice(at + keyValueSeparator.length).trim()));
    }
    return row;
  };
  return (payload) => {
    const rows = linesOf(payload.text()).map(([line, n]) => lineRow(line, n)).filter(row => Object.keys(row).length > 0);
    if (rows.length === 0) throw fail('delimited payload has no key/value field');
    return rows.length === 1 ? rows[0] : rows;
  };
}
