/**
 * The IoT SQL tokenizer: identifiers, backtick-quoted names, SET variables (`@name`), strings in single or double
 * quotes (`''`/`""` escape the quote), numbers (with fraction and exponent) and operators, each with its position for
 * error messages.
 */
import { SqlError } from './errors';

export type TokenKind = 'ident' | 'quoted' | 'string' | 'number' | 'var' | 'op' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** 0-based offset in the statement. */
  readonly pos: number;
  /** The value of a string, quoted name or number; a variable's name without `@`. */
  readonly value?: string | number;
}

/** Longest first where one is a prefix of another (`<>` before `<`). */
const OPERATORS = ['<>', '!=', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.', '[', ']', '{', '}', ':'];

function isIdentStart(ch: string): boolean {
  return /[A-Za-z_$]/.test(ch);
}

function isIdentPart(ch: string): boolean {
  return /[A-Za-z0-9_$]/.test(ch);
}

/** Splits SQL text into tokens, ending with an `eof` token; throws SqlError for what is not a token. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '\'' || ch === '"' || ch === '`') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new SqlError(`unterminated ${ch === '`' ? 'quoted name' : 'string'} starting at column ${start + 1}`, start);
        if (text[i] === ch) {
          if (text[i + 1] === ch) {
            value += ch;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      tokens.push({ kind: ch === '`' ? 'quoted' : 'string', text: text.slice(start, i), pos: start, value });
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      while (i < text.length && /[0-9]/.test(text[i])) i++;
      if (text[i] === '.' && /[0-9]/.test(text[i + 1] ?? '')) {
        i++;
        while (i < text.length && /[0-9]/.test(text[i])) i++;
      }
      if ((text[i] === 'e' || text[i] === 'E') && /[0-9+-]/.test(text[i + 1] ?? '')) {
        i++;
        if (text[i] === '+' || text[i] === '-') i++;
        while (i < text.length && /[0-9]/.test(text[i])) i++;
      }
      if (i < text.length && isIdentStart(text[i])) throw new SqlError(`invalid number "${text.slice(start, i + 1)}" at column ${start + 1}`, start);
      tokens.push({ kind: 'number', text: text.slice(start, i), pos: start, value: Number(text.slice(start, i)) });
      continue;
    }
    if (ch === '@') {
      i++;
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) i++;
      const name = text.slice(start + 1, i);
      if (name === '') throw new SqlError(`"@" at column ${start + 1} must start a variable name (letters, digits, underscores)`, start);
      tokens.push({ kind: 'var', text: text.slice(start, i), pos: start, value: name });
      continue;
    }
    if (isIdentStart(ch)) {
      while (i < text.length && isIdentPart(text[i])) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), pos: start });
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw new SqlError(`unexpected character "${ch}" at column ${i + 1}`, i);
    tokens.push({ kind: 'op', text: op, pos: i });
    i += op.length;
  }
  tokens.push({ kind: 'eof', text: '', pos: text.length });
  return tokens;
}
