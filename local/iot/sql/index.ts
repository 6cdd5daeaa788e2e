/**
 * The part of AWS IoT SQL (version 2016-03-23) the local runner evaluates: a tokenizer, a recursive-descent
 * parser and a compiler to closures. Anything outside the subset is a `SqlError` when the rule is loaded, so a
 * rule never silently behaves differently from AWS.
 *
 * Supported:
 * - `SELECT` items: `*`, expressions with `AS alias`, nested fields `a.b`, `a[0]`, `a.b[1].c`.
 * - `FROM '<topic filter>'` with MQTT `+` and `#`; `WHERE <condition>`.
 * - Literals: strings in single or double quotes (`''`/`""` escape the quote), numbers, `true`, `false`, `null`;
 *   backticks quote a field name (`` `my-field` ``).
 * - Operators: `+ - * / %`, unary `-`, `= <> != < <= > >=`, `AND`, `OR`, `NOT`, parentheses.
 * - Functions: `topic()`, `topic(n)` (1-based level), `clientid()`, `timestamp()`, `newuuid()`, `principal()`,
 *   `accountid()`, `traceid()`, `parse_time(pattern, ms[, zone])`, `lower(s)`, `upper(s)`, `concat(...)`,
 *   `abs(n)`, `floor(n)`, `ceil(n)`, `round(n)`, `isundefined(v)`, `isnull(v)`.
 *
 * Semantics follow the AWS IoT SQL reference: a missing field is Undefined and any operator or function given
 * Undefined returns Undefined; `AND`/`OR`/`NOT` accept booleans and the strings "true"/"false"; `< <= > >=`
 * convert both sides to numbers (Undefined if either is not one); `=` compares values of the same type, and a
 * number with a numeric string numerically. `+` adds numbers and concatenates two strings. A `SELECT` item whose
 * value is Undefined is left out of the result. A WHERE clause must evaluate to true for the actions to run.
 */
import { randomUUID } from 'crypto';
import { compileTimeFormat, TimeFormatError } from '../../../src/contract/time-format';
import { topicFilterProblem } from '../topic-filter';

/** A value of IoT SQL: `undefined` is Undefined. */
export type SqlValue = undefined | null | boolean | number | string | SqlValue[] | { [key: string]: SqlValue };

/** A statement that cannot be parsed, or uses what the local runner does not evaluate. */
export class SqlError extends Error {
  constructor(message: string, public readonly position?: number) {
    super(message);
    this.name = 'SqlError';
  }
}

/** What a message looks like to the SQL evaluator. */
export interface SqlMessage {
  /** The topic (for Basic Ingest without the `$aws/rules/<rule>/` prefix). */
  readonly topic: string;
  readonly clientId: string;
  /** Epoch milliseconds when the broker received the message. */
  readonly timestamp: number;
  readonly payload: Buffer;
  /** The certificate id of the connection (its SHA-256 fingerprint), if any. */
  readonly principal?: string;
  readonly accountId?: string;
  /** The trace id shared by the rule evaluation and its error action (created on first use). */
  traceId?: string;
  /** Cache for the parsed payload (filled on first use; `null` inside means "not JSON"). */
  parsed?: { value: SqlValue } | null;
}

/** The result of evaluating a statement against a message. */
export type SelectResult =
  | { readonly kind: 'skip' } // WHERE not true
  | { readonly kind: 'json'; readonly value: SqlValue }
  | { readonly kind: 'raw'; readonly payload: Buffer }; // SELECT * of a payload that is not a JSON object

/** A compiled statement. */
export interface SqlStatement {
  readonly sql: string;
  /** The topic filter of FROM. */
  readonly from: string;
  readonly hasWhere: boolean;
  /** Evaluates WHERE and SELECT; throws SqlEvaluationError when the SELECT cannot be built (e.g. * of binary data with other items). */
  evaluate(message: SqlMessage): SelectResult;
}

/** Evaluating a statement failed for this message (AWS: the rule does not run its actions). */
export class SqlEvaluationError extends Error {}

// ------------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'ident' | 'quoted' | 'string' | 'number' | 'op' | 'eof';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly pos: number;
  readonly value?: string | number;
}

const OPERATORS = ['<>', '!=', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.', '[', ']', '{', '}', ':'];

function isIdentStart(ch: string): boolean {
  return /[A-Za-z_$]/.test(ch);
}

function isIdentPart(ch: string): boolean {
  return /[A-Za-z0-9_$]/.test(ch);
}

/** Splits SQL text into tokens. */
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

// ------------------------------------------------------------------------------------------------
// AST

export type Expr =
  | { readonly k: 'lit'; readonly value: SqlValue }
  | { readonly k: 'field'; readonly name: string }
  | { readonly k: 'get'; readonly obj: Expr; readonly key: string }
  | { readonly k: 'index'; readonly obj: Expr; readonly index: Expr }
  | { readonly k: 'call'; readonly name: string; readonly args: Expr[]; readonly pos: number }
  | { readonly k: 'unary'; readonly op: '-' | 'NOT'; readonly arg: Expr }
  | { readonly k: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly k: 'object'; readonly entries: Array<{ key: string; value: Expr }> }
  | { readonly k: 'array'; readonly items: Expr[] };

export type SelectItem = { readonly star: true } | { readonly star?: false; readonly expr: Expr; readonly name: string };

export interface ParsedStatement {
  readonly select: SelectItem[];
  readonly from: string;
  readonly where?: Expr;
}

const RESERVED = new Set(['SELECT', 'FROM', 'WHERE', 'AS', 'AND', 'OR', 'NOT', 'TRUE', 'FALSE', 'NULL']);
/** Keywords of IoT SQL the local runner does not evaluate, where they start an expression: named in the error. */
const UNSUPPORTED_PREFIX_KEYWORDS = new Set(['CASE', 'EXISTS']);
/** ... and where they follow an operand. */
const UNSUPPORTED_INFIX_KEYWORDS = new Set(['IN', 'IS', 'LIKE', 'BETWEEN']);

/** A recursive-descent parser over the tokens. */
class Parser {
  private i = 0;
  private unnamed = 0;

  constructor(private readonly tokens: Token[]) {}

  public statement(): ParsedStatement {
    if (this.isKeyword('SET')) throw this.unsupported('the SET clause (variables)');
    this.expectKeyword('SELECT');
    const select: SelectItem[] = [this.selectItem()];
    while (this.acceptOp(',')) select.push(this.selectItem());
    this.expectKeyword('FROM');
    const fromToken = this.peek();
    if (fromToken.kind !== 'string') throw this.error('a quoted topic filter after FROM, e.g. FROM \'my/topic/+\'');
    this.i++;
    const from = String(fromToken.value);
    const problem = topicFilterProblem(from);
    if (problem) throw new SqlError(`FROM ${fromToken.text}: ${problem}`, fromToken.pos);
    let where: Expr | undefined;
    if (this.acceptKeyword('WHERE')) where = this.expr();
    if (this.peek().kind !== 'eof') throw this.error('the end of the statement');
    return { select, from, where };
  }

  /** An expression alone (substitution templates). */
  public standalone(): Expr {
    const e = this.expr();
    if (this.peek().kind !== 'eof') throw this.error('the end of the expression');
    return e;
  }

  private selectItem(): SelectItem {
    if (this.peek().kind === 'op' && this.peek().text === '*') {
      this.i++;
      return { star: true };
    }
    const expr = this.expr();
    let name: string;
    if (this.acceptKeyword('AS')) {
      const t = this.peek();
      if (t.kind === 'ident' && !RESERVED.has(t.text.toUpperCase())) name = t.text;
      else if (t.kind === 'quoted' || t.kind === 'string') name = String(t.value);
      else throw this.error('a name after AS');
      this.i++;
    } else {
      name = this.defaultName(expr);
    }
    return { expr, name };
  }

  /** The key of an item without AS: the field's (last) name, the function's name, else `_<n>`. */
  private defaultName(expr: Expr): string {
    this.unnamed++;
    if (expr.k === 'field') return expr.name;
    if (expr.k === 'get') return expr.key;
    if (expr.k === 'call') return expr.name;
    return `_${this.unnamed}`;
  }

  private expr(): Expr {
    return this.or();
  }

  private or(): Expr {
    let left = this.and();
    while (this.acceptKeyword('OR')) left = { k: 'binary', op: 'OR', left, right: this.and() };
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.acceptKeyword('AND')) left = { k: 'binary', op: 'AND', left, right: this.not() };
    return left;
  }

  private not(): Expr {
    if (this.acceptKeyword('NOT')) return { k: 'unary', op: 'NOT', arg: this.not() };
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.additive();
    const t = this.peek();
    if (t.kind === 'ident' && UNSUPPORTED_INFIX_KEYWORDS.has(t.text.toUpperCase())) throw this.unsupported(`the ${t.text.toUpperCase()} operator`);
    if (t.kind === 'op' && ['=', '<>', '!=', '<', '<=', '>', '>='].includes(t.text)) {
      this.i++;
      const right = this.additive();
      const next = this.peek();
      if (next.kind === 'op' && ['=', '<>', '!=', '<', '<=', '>', '>='].includes(next.text)) {
        throw new SqlError(`comparisons cannot be chained ("${next.text}" at column ${next.pos + 1}); combine them with AND`, next.pos);
      }
      return { k: 'binary', op: t.text === '!=' ? '<>' : t.text, left, right };
    }
    return left;
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '+' || t.text === '-')) {
        this.i++;
        left = { k: 'binary', op: t.text, left, right: this.multiplicative() };
      } else {
        return left;
      }
    }
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '*' || t.text === '/' || t.text === '%')) {
        this.i++;
        left = { k: 'binary', op: t.text, left, right: this.unary() };
      } else {
        return left;
      }
    }
  }

  private unary(): Expr {
    if (this.acceptOp('-')) {
      const arg = this.unary();
      if (arg.k === 'lit' && typeof arg.value === 'number') return { k: 'lit', value: -arg.value };
      return { k: 'unary', op: '-', arg };
    }
    if (this.acceptOp('+')) return this.unary();
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.acceptOp('.')) {
        const t = this.peek();
        if (t.kind === 'ident') e = { k: 'get', obj: e, key: t.text };
        else if (t.kind === 'quoted') e = { k: 'get', obj: e, key: String(t.value) };
        else if (t.kind === 'op' && t.text === '*') throw this.unsupported('".*" on a nested object');
        else throw this.error('a field name after "."');
        this.i++;
      } else if (this.acceptOp('[')) {
        const index = this.expr();
        this.expectOp(']');
        e = { k: 'index', obj: e, index };
      } else {
        return e;
      }
    }
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'number':
        this.i++;
        return { k: 'lit', value: t.value as number };
      case 'string':
        this.i++;
        return { k: 'lit', value: t.value as string };
      case 'quoted':
        this.i++;
        return { k: 'field', name: String(t.value) };
      case 'ident': {
        const upper = t.text.toUpperCase();
        if (upper === 'TRUE' || upper === 'FALSE') {
          this.i++;
          return { k: 'lit', value: upper === 'TRUE' };
        }
        if (upper === 'NULL') {
          this.i++;
          return { k: 'lit', value: null };
        }
        if (UNSUPPORTED_PREFIX_KEYWORDS.has(upper) && this.tokens[this.i + 1]?.text !== '(') {
          throw this.unsupported(`the ${upper} keyword`);
        }
        if (RESERVED.has(upper)) throw this.error('an expression');
        this.i++;
        if (this.acceptOp('(')) {
          const args: Expr[] = [];
          if (!this.acceptOp(')')) {
            do {
              if (this.peek().kind === 'op' && this.peek().text === '*') throw this.unsupported(`"*" as an argument of ${t.text}()`);
              args.push(this.expr());
            } while (this.acceptOp(','));
            this.expectOp(')');
          }
          return { k: 'call', name: t.text.toLowerCase(), args, pos: t.pos };
        }
        return { k: 'field', name: t.text };
      }
      case 'op':
        if (t.text === '(') {
          this.i++;
          if (this.isKeyword('SELECT')) throw this.unsupported('nested SELECT queries');
          const e = this.expr();
          this.expectOp(')');
          return e;
        }
        if (t.text === '{') return this.objectLiteral();
        if (t.text === '[') return this.arrayLiteral();
        throw this.error('an expression');
      default:
        throw this.error('an expression');
    }
  }

  private objectLiteral(): Expr {
    this.expectOp('{');
    const entries: Array<{ key: string; value: Expr }> = [];
    if (!this.acceptOp('}')) {
      do {
        const k = this.peek();
        if (k.kind !== 'string' && k.kind !== 'ident' && k.kind !== 'quoted') throw this.error('a key in the object literal');
        this.i++;
        this.expectOp(':');
        entries.push({ key: k.kind === 'ident' ? k.text : String(k.value), value: this.expr() });
      } while (this.acceptOp(','));
      this.expectOp('}');
    }
    return { k: 'object', entries };
  }

  private arrayLiteral(): Expr {
    this.expectOp('[');
    const items: Expr[] = [];
    if (!this.acceptOp(']')) {
      do items.push(this.expr()); while (this.acceptOp(','));
      this.expectOp(']');
    }
    return { k: 'array', items };
  }

  private peek(): Token {
    return this.tokens[this.i];
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && t.text.toUpperCase() === word;
  }

  private acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.i++;
    return true;
  }

  private expectKeyword(word: string): void {
    if (!this.acceptKeyword(word)) throw this.error(word);
  }

  private acceptOp(op: string): boolean {
    const t = this.peek();
    if (t.kind === 'op' && t.text === op) {
      this.i++;
      return true;
    }
    return false;
  }

  private expectOp(op: string): void {
    if (!this.acceptOp(op)) throw this.error(`"${op}"`);
  }

  private error(expected: string): SqlError {
    const t = this.peek();
    const found = t.kind === 'eof' ? 'the end of the statement' : `"${t.text}"`;
    return new SqlError(`expected ${expected} but found ${found} at column ${t.pos + 1}`, t.pos);
  }

  private unsupported(what: string): SqlError {
    const t = this.peek();
    return new SqlError(`${what} (column ${t.pos + 1}) is not supported by the local runner`, t.pos);
  }
}

/** Parses a statement into its AST (throws SqlError). */
export function parseSql(sql: string): ParsedStatement {
  const first = sql.trimStart().slice(0, 4).toUpperCase();
  if (first === 'SET ' || first === 'SET@') throw new SqlError('the SET clause (variables) is not supported by the local runner', 0);
  return new Parser(tokenize(sql)).statement();
}

/** Parses one expression (throws SqlError). */
export function parseExpression(text: string): Expr {
  return new Parser(tokenize(text)).standalone();
}

// ------------------------------------------------------------------------------------------------
// Evaluation

type Compiled = (m: SqlMessage) => SqlValue;

/** Parses the payload as JSON once per message; `undefined` when it is not JSON. */
export function payloadJson(m: SqlMessage): SqlValue {
  if (m.parsed === undefined) {
    try {
      m.parsed = { value: JSON.parse(m.payload.toString('utf8')) as SqlValue };
    } catch {
      m.parsed = null;
    }
  }
  return m.parsed === null ? undefined : m.parsed.value;
}

function isObject(v: SqlValue): v is { [key: string]: SqlValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toBool(v: SqlValue): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const l = v.toLowerCase();
    if (l === 'true') return true;
    if (l === 'false') return false;
  }
  return undefined;
}

function toNumber(v: SqlValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function deepEqual(a: SqlValue, b: SqlValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function equals(a: SqlValue, b: SqlValue): boolean | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (typeof a === 'number' && typeof b === 'string') return toNumber(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return toNumber(a) === b;
  return deepEqual(a, b);
}

function get(obj: SqlValue, key: string): SqlValue {
  return isObject(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function binary(op: string, l: SqlValue, r: SqlValue): SqlValue {
  switch (op) {
    case '=': return equals(l, r);
    case '<>': {
      const e = equals(l, r);
      return e === undefined ? undefined : !e;
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const a = toNumber(l);
      const b = toNumber(r);
      if (a === undefined || b === undefined) return undefined;
      return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    }
    case '+':
      if (typeof l === 'string' && typeof r === 'string') return l + r;
      return arithmetic(op, l, r);
    default:
      return arithmetic(op, l, r);
  }
}

function arithmetic(op: string, l: SqlValue, r: SqlValue): SqlValue {
  const a = toNumber(l);
  const b = toNumber(r);
  if (a === undefined || b === undefined) return undefined;
  let v: number;
  switch (op) {
    case '+': v = a + b; break;
    case '-': v = a - b; break;
    case '*': v = a * b; break;
    case '/':
      if (b === 0) return undefined;
      v = a / b;
      break;
    default:
      if (b === 0) return undefined;
      v = a % b;
  }
  return Number.isFinite(v) ? v : undefined;
}

interface FunctionSpec {
  readonly min: number;
  readonly max: number;
  readonly fn: (m: SqlMessage, args: SqlValue[]) => SqlValue;
}

function numeric(f: (n: number) => number): FunctionSpec {
  return {
    min: 1,
    max: 1,
    fn: (_m, [v]) => {
      const n = toNumber(v);
      return n === undefined ? undefined : f(n);
    },
  };
}

const FUNCTIONS: Record<string, FunctionSpec> = {
  topic: {
    min: 0,
    max: 1,
    fn: (m, args) => {
      if (args.length === 0) return m.topic;
      const n = toNumber(args[0]);
      if (n === undefined || !Number.isInteger(n) || n < 1) return undefined;
      return m.topic.split('/')[n - 1];
    },
  },
  clientid: { min: 0, max: 0, fn: (m) => m.clientId },
  timestamp: { min: 0, max: 0, fn: (m) => m.timestamp },
  newuuid: { min: 0, max: 0, fn: () => randomUUID() },
  principal: { min: 0, max: 0, fn: (m) => m.principal },
  accountid: { min: 0, max: 0, fn: (m) => m.accountId ?? '000000000000' },
  traceid: { min: 0, max: 0, fn: (m) => m.traceId ?? (m.traceId = randomUUID()) },
  parse_time: {
    min: 2,
    max: 3,
    fn: (_m, [pattern, ts, zone]) => {
      const ms = toNumber(ts);
      if (typeof pattern !== 'string' || ms === undefined) return undefined;
      if (zone !== undefined && typeof zone !== 'string') return undefined;
      try {
        return compileTimeFormat(pattern).format(ms, zone);
      } catch (e) {
        if (e instanceof TimeFormatError) return undefined;
        throw e;
      }
    },
  },
  lower: { min: 1, max: 1, fn: (_m, [s]) => (typeof s === 'string' ? s.toLowerCase() : undefined) },
  upper: { min: 1, max: 1, fn: (_m, [s]) => (typeof s === 'string' ? s.toUpperCase() : undefined) },
  concat: {
    min: 1,
    max: 100,
    fn: (_m, args) => {
      if (args.some((a) => a === undefined)) return undefined;
      if (args.every((a) => Array.isArray(a))) return ([] as SqlValue[]).concat(...(args as SqlValue[][]));
      return args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join('');
    },
  },
  abs: numeric(Math.abs),
  floor: numeric(Math.floor),
  ceil: numeric(Math.ceil),
  round: numeric(Math.round),
  isundefined: { min: 1, max: 1, fn: (_m, [v]) => v === undefined },
  isnull: { min: 1, max: 1, fn: (_m, [v]) => v === null },
};

/** The functions the local runner evaluates. */
export const SUPPORTED_FUNCTIONS = Object.keys(FUNCTIONS);

/** Compiles an expression into a closure (throws SqlError for unknown functions or wrong arity). */
export function compileExpression(e: Expr): Compiled {
  switch (e.k) {
    case 'lit': {
      const v = e.value;
      return () => v;
    }
    case 'field': {
      const name = e.name;
      return (m) => get(payloadJson(m), name);
    }
    case 'get': {
      const obj = compileExpression(e.obj);
      const key = e.key;
      return (m) => get(obj(m), key);
    }
    case 'index': {
      const obj = compileExpression(e.obj);
      const index = compileExpression(e.index);
      return (m) => {
        const o = obj(m);
        const i = index(m);
        if (Array.isArray(o) && typeof i === 'number' && Number.isInteger(i)) return o[i];
        if (isObject(o) && typeof i === 'string') return get(o, i);
        return undefined;
      };
    }
    case 'call': {
      const spec = FUNCTIONS[e.name];
      if (!spec) {
        throw new SqlError(`function ${e.name}() (column ${e.pos + 1}) is not supported by the local runner; supported: ${SUPPORTED_FUNCTIONS.map((f) => `${f}()`).join(', ')}`, e.pos);
      }
      if (e.args.length < spec.min || e.args.length > spec.max) {
        const wanted = spec.min === spec.max ? `${spec.min}` : `${spec.min} to ${spec.max}`;
        throw new SqlError(`${e.name}() takes ${wanted} argument(s), got ${e.args.length} (column ${e.pos + 1})`, e.pos);
      }
      const args = e.args.map(compileExpression);
      const fn = spec.fn;
      if (args.length === 0) return (m) => fn(m, []);
      return (m) => fn(m, args.map((a) => a(m)));
    }
    case 'unary': {
      const arg = compileExpression(e.arg);
      if (e.op === 'NOT') {
        return (m) => {
          const b = toBool(arg(m));
          return b === undefined ? undefined : !b;
        };
      }
      return (m) => {
        const n = toNumber(arg(m));
        return n === undefined ? undefined : -n;
      };
    }
    case 'binary': {
      const left = compileExpression(e.left);
      const right = compileExpression(e.right);
      if (e.op === 'AND' || e.op === 'OR') {
        const and = e.op === 'AND';
        return (m) => {
          const a = toBool(left(m));
          const b = toBool(right(m));
          if (a === undefined || b === undefined) return undefined;
          return and ? a && b : a || b;
        };
      }
      const op = e.op;
      return (m) => binary(op, left(m), right(m));
    }
    case 'object': {
      const entries = e.entries.map(({ key, value }) => ({ key, value: compileExpression(value) }));
      return (m) => {
        const out: { [key: string]: SqlValue } = {};
        for (const { key, value } of entries) {
          const v = value(m);
          if (v !== undefined) out[key] = v;
        }
        return out;
      };
    }
    case 'array': {
      const items = e.items.map(compileExpression);
      return (m) => items.map((item) => item(m)).filter((v) => v !== undefined);
    }
  }
}

/** Compiles a statement (throws SqlError). */
export function compileSql(sql: string): SqlStatement {
  const parsed = parseSql(sql);
  const where = parsed.where ? compileExpression(parsed.where) : undefined;
  const items = parsed.select.map((item) => (item.star
    ? { star: true as const }
    : { star: false as const, name: item.name, value: compileExpression(item.expr) }));
  const onlyStar = items.length === 1 && items[0].star;
  return {
    sql,
    from: parsed.from,
    hasWhere: where !== undefined,
    evaluate(m: SqlMessage): SelectResult {
      if (where) {
        const w = where(m);
        if (w !== true && toBool(w) !== true) return { kind: 'skip' };
      }
      if (onlyStar) {
        const json = payloadJson(m);
        return isObject(json) ? { kind: 'json', value: json } : { kind: 'raw', payload: m.payload };
      }
      const out: { [key: string]: SqlValue } = {};
      for (const item of items) {
        if (item.star) {
          const json = payloadJson(m);
          if (!isObject(json)) {
            throw new SqlEvaluationError('the payload is not a JSON object, so "*" cannot be combined with other SELECT items');
          }
          for (const key of Object.keys(json)) out[key] = json[key];
        } else {
          const v = item.value(m);
          if (v !== undefined) out[item.name] = v;
        }
      }
      return { kind: 'json', value: out };
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Substitution templates: text with ${expression} parts (AWS IoT rule actions).

/** A compiled substitution template. */
export interface SubstitutionTemplate {
  readonly source: string;
  render(m: SqlMessage): string;
}

/** Compiles `text ${expr} text`; throws SqlError for an unclosed `${` or an unsupported expression. */
export function compileTemplate(source: string): SubstitutionTemplate {
  const parts: Array<string | Compiled> = [];
  let i = 0;
  let text = '';
  while (i < source.length) {
    if (source.startsWith('${', i)) {
      const end = findTemplateEnd(source, i + 2);
      if (end < 0) throw new SqlError(`unclosed "\${" at column ${i + 1} in "${source}"`, i);
      if (text) parts.push(text);
      text = '';
      parts.push(compileExpression(parseExpression(source.slice(i + 2, end))));
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

function findTemplateEnd(source: string, from: number): number {
  let quote = '';
  let depth = 0;
  for (let i = from; i < source.length; i++) {
    const ch = source[i];
    if (quote) {
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === '\'' || ch === '"' || ch === '`') {quote = ch;} else if (ch === '{') {depth++;} else if (ch === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** How a value is rendered in a template: Undefined is empty, strings as they are, the rest as JSON. */
export function stringify(v: SqlValue): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
