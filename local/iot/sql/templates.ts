/**
 * Substitution templates of AWS IoT rule actions: text with `${expression}` parts (e.g. the S3 action's key
 * `iot-rule-errors/${parse_time("yyyy/MM/dd/HH", timestamp(), "UTC")}/${newuuid()}.json`). Each expression is
 * an IoT SQL expression, compiled once; Undefined renders as nothing, strings as they are, the rest as JSON.
 */
import { SqlError } from './errors';
import { CompiledExpression, compileExpression, countProtoDecodes } from './evaluator';
import { parseExpression } from './parser';
import { SqlMessage, stringify } from './values';

/** A compiled substitution template. */
export interface SubstitutionTemplate {
  readonly source: string;
  render(m: SqlMessage): string;
}

/** Compiles `text ${expr} text`; throws SqlError for an unclosed `${` or an unsupported expression. */
export function compileTemplate(source: string): SubstitutionTemplate {
  const parts: Array<string | CompiledExpression> = [];
  let i = 0;
  let text = '';
  while (i < source.length) {
    if (source.startsWith('${', i)) {
      const end = findTemplateEnd(source, i + 2);
      if (end < 0) throw new SqlError(`unclosed "\${" at column ${i + 1} in "${source}"`, i);
      if (text) parts.push(text);
      text = '';
      const expr = parseExpression(source.slice(i + 2, end));
      if (countProtoDecodes(expr) > 0) {
        // AWS IoT lists decode(…, 'proto') in substitution templates among its limits (binary-payloads.html).
        throw new SqlError(`decode(…, 'proto') at column ${i + 1} in "${source}": AWS IoT does not allow it in substitution templates; decode in the rule's SELECT instead`, i);
      }
      parts.push(compileExpression(expr));
      i = end + 1;
    } else {
      text += source[i++];
    }
  }
  if (text) parts.push(text);
  return {
    source,
    render: (m) => parts.map((p) => (typeof p === 'string' ? p : stringify(p(m)))).join(''),
  };
}

/** The `}` that closes the expression starting at `from` (quotes and nested object literals skipped), or -1. */
function findTemplateEnd(source: string, from: number): number {
  let quote = '';
  let depth = 0;
  for (let i = from; i < source.length; i++) {
    const ch = source[i];
    if (quote) {
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === '\'' || ch === '"' || ch === '`') {
      quote = ch;
    } else if (ch === '{') {
      depth++;
    } else if (ch === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}
