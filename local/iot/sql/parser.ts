/**
 * The IoT SQL parser: a recursive-descent parser from tokens to an AST (`Expr`). Precedence, loosest first:
 * `OR`, `AND`, `NOT`, comparisons (not chainable), `+ -`, `* / %`, unary `- +`, postfix `.name` / `[index]`,
 * primaries (literals, fields, `@variables`, calls, `cast(x AS type)`, `CASE`, parentheses, nested `(SELECT …)`,
 * object and array literals).
 *
 * Statements: `[SET @a = expr, …] SELECT [VALUE] items FROM '<topic filter>' [WHERE cond]`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html). Keywords that are not in the AWS
 * IoT SQL reference (EXISTS, IN, IS, LIKE, BETWEEN, the searched `CASE WHEN <condition>`) are named in the SqlError,
 * so a rule never silently behaves differently from AWS. Function names are checked later, by the evaluator against
 * the function table.
 */
import { SqlError } from './errors';
import { Token, tokenize } from './lexer';
import type { SqlValue } from './values';
import { topicFilterProblem } from '../topic-filter';

/** An expression: literal, field of the payload, nested access, call, operator, object or array literal, … */
export type Expr =
  | { readonly k: 'lit'; readonly value: SqlValue }
  | { readonly k: 'field'; readonly name: string }
  | { readonly k: 'var'; readonly name: string }
  | { readonly k: 'get'; readonly obj: Expr; readonly key: string }
  | { readonly k: 'index'; readonly obj: Expr; readonly index: Expr }
  | { readonly k: 'call'; readonly name: string; readonly args: Expr[]; readonly pos: number }
  | { readonly k: 'star' }
  | { readonly k: 'cast'; readonly arg: Expr; readonly type: string; readonly pos: number }
  | { readonly k: 'case'; readonly value: Expr; readonly whens: Array<{ when: Expr; then: Expr }>; readonly otherwise?: Expr }
  | { readonly k: 'select'; readonly query: Query }
  | { readonly k: 'unary'; readonly op: '-' | 'NOT'; readonly arg: Expr }
  | { readonly k: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly k: 'object'; readonly entries: Array<{ key: string; value: Expr }> }
  | { readonly k: 'array'; readonly items: Expr[] };

/** A SELECT item: `*`, or an expression with its key in the result (AS, else derived). */
export type SelectItem = { readonly star: true } | { readonly star?: false; readonly expr: Expr; readonly name: string };

/** A nested `(SELECT [VALUE] items FROM <expression> [WHERE cond])`. */
export interface Query {
  readonly value: boolean;
  readonly select: SelectItem[];
  readonly from: Expr;
  readonly where?: Expr;
}

/** A parsed `[SET …] SELECT [VALUE] … FROM '<filter>' [WHERE …]`. */
export interface ParsedStatement {
  /** The SET variables in order. */
  readonly set: Array<{ readonly name: string; readonly expr: Expr }>;
  /** SELECT VALUE: the one item's value is the output (not an object). */
  readonly value: boolean;
  readonly select: SelectItem[];
  readonly from: string;
  readonly where?: Expr;
}

const RESERVED = new Set(['SELECT', 'FROM', 'WHERE', 'AS', 'AND', 'OR', 'NOT', 'TRUE', 'FALSE', 'NULL', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'SET']);
/** Keywords that are not in the AWS IoT SQL reference, where they start an expression: named in the error. */
const UNSUPPORTED_PREFIX_KEYWORDS = new Set(['EXISTS']);
/** ... and where they follow an operand. */
const UNSUPPORTED_INFIX_KEYWORDS = new Set(['IN', 'IS', 'LIKE', 'BETWEEN']);
const COMPARISONS = ['=', '<>', '!=', '<', '<=', '>', '>='];

/** A recursive-descent parser over the tokens. */
class Parser {
  private i = 0;
  private unnamed = 0;
  /** The SET variables defined so far (statement mode); undefined for a standalone expression (templates). */
  private variables?: Set<string>;

  constructor(private readonly tokens: Token[]) {}

  public statement(): ParsedStatement {
    this.variables = new Set();
    const set: Array<{ name: string; expr: Expr }> = [];
    if (this.acceptKeyword('SET')) {
      do {
        const t = this.peek();
        if (t.kind !== 'var') throw this.error('a variable (@name) after SET');
        const name = String(t.value);
        if (name.length > 64) throw new SqlError(`variable ${t.text} (column ${t.pos + 1}) is longer than 64 characters`, t.pos);
        if (this.variables.has(name)) throw new SqlError(`variable ${t.text} (column ${t.pos + 1}) is set twice; SET variables are immutable`, t.pos);
        this.i++;
        this.expectOp('=');
        set.push({ name, expr: this.expr() });
        this.variables.add(name);
      } while (this.acceptOp(','));
    }
    if (this.isKeyword('SET')) throw this.error('SELECT (SET can appear only once per statement)');
    this.expectKeyword('SELECT');
    const value = this.acceptValueKeyword();
    const select: SelectItem[] = [this.selectItem()];
    while (this.acceptOp(',')) select.push(this.selectItem());
    if (value && (select.length > 1 || select[0].star)) throw new SqlError('SELECT VALUE takes exactly one expression', 0);
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
    return { set, value, select, from, where };
  }

  /** `VALUE` right after SELECT, when an expression follows it (else it is a field named "value"). */
  private acceptValueKeyword(): boolean {
    const t = this.peek();
    const next = this.tokens[this.i + 1];
    if (t.kind !== 'ident' || t.text.toUpperCase() !== 'VALUE' || !next) return false;
    if (next.kind === 'eof' || (next.kind === 'op' && [',', '.', '['].includes(next.text))) return false;
    if (next.kind === 'ident' && ['FROM', 'AS'].includes(next.text.toUpperCase())) return false;
    this.i++;
    return true;
  }

  /** A nested query, after its `(`: `SELECT [VALUE] items FROM <expression> [WHERE cond])`. */
  private nestedQuery(): Query {
    this.expectKeyword('SELECT');
    const value = this.acceptValueKeyword();
    const select: SelectItem[] = [this.selectItem()];
    while (this.acceptOp(',')) select.push(this.selectItem());
    if (value && (select.length > 1 || select[0].star)) throw this.error('one expression after SELECT VALUE');
    this.expectKeyword('FROM');
    const from = this.expr();
    let where: Expr | undefined;
    if (this.acceptKeyword('WHERE')) where = this.expr();
    this.expectOp(')');
    return { value, select, from, where };
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
    if (t.kind === 'ident' && UNSUPPORTED_INFIX_KEYWORDS.has(t.text.toUpperCase())) {
      throw this.notInReference(`the ${t.text.toUpperCase()} operator`);
    }
    if (t.kind === 'op' && COMPARISONS.includes(t.text)) {
      this.i++;
      const right = this.additive();
      const next = this.peek();
      if (next.kind === 'op' && COMPARISONS.includes(next.text)) {
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
      case 'var': {
        const name = String(t.value);
        if (this.variables && !this.variables.has(name)) {
          throw new SqlError(`variable ${t.text} (column ${t.pos + 1}) is not set; define it in the SET clause before it is used`, t.pos);
        }
        this.i++;
        return { k: 'var', name };
      }
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
          throw this.notInReference(`the ${upper} keyword`);
        }
        if (upper === 'CASE') return this.caseExpression();
        if (upper === 'CAST' && this.tokens[this.i + 1]?.text === '(') return this.castExpression();
        if (RESERVED.has(upper)) throw this.error('an expression');
        this.i++;
        if (this.acceptOp('(')) {
          const args: Expr[] = [];
          if (!this.acceptOp(')')) {
            do {
              if (this.peek().kind === 'op' && this.peek().text === '*') {
                this.i++;
                args.push({ k: 'star' }); // encode(*, 'base64'): the whole payload
              } else {
                args.push(this.expr());
              }
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
          if (this.isKeyword('SELECT')) return { k: 'select', query: this.nestedQuery() };
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

  /** `CASE v WHEN t THEN r … [ELSE e] END` (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-case.html). */
  private caseExpression(): Expr {
    this.expectKeyword('CASE');
    if (this.isKeyword('WHEN')) {
      throw this.notInReference('CASE WHEN <condition> (the searched CASE; the reference documents CASE <value> WHEN <value> THEN …, so write CASE true WHEN <condition> THEN …)');
    }
    const value = this.expr();
    const whens: Array<{ when: Expr; then: Expr }> = [];
    while (this.acceptKeyword('WHEN')) {
      const when = this.expr();
      this.expectKeyword('THEN');
      whens.push({ when, then: this.expr() });
    }
    if (whens.length === 0) throw this.error('WHEN (a CASE needs at least one WHEN clause)');
    const otherwise = this.acceptKeyword('ELSE') ? this.expr() : undefined;
    this.expectKeyword('END');
    return { k: 'case', value, whens, otherwise };
  }

  /** `cast(value AS type)`. */
  private castExpression(): Expr {
    const pos = this.peek().pos;
    this.i++;
    this.expectOp('(');
    const arg = this.expr();
    this.expectKeyword('AS');
    const t = this.peek();
    if (t.kind !== 'ident') throw this.error('a type after AS, e.g. cast(x AS Int)');
    this.i++;
    this.expectOp(')');
    return { k: 'cast', arg, type: t.text, pos };
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

  private notInReference(what: string): SqlError {
    const t = this.peek();
    return new SqlError(`${what} (column ${t.pos + 1}) is not supported: it is not in the AWS IoT SQL reference (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html)`, t.pos);
  }

  private unsupported(what: string): SqlError {
    const t = this.peek();
    return new SqlError(`${what} (column ${t.pos + 1}) is not supported by the local runner`, t.pos);
  }
}

/** Parses a statement into its AST (throws SqlError). */
export function parseSql(sql: string): ParsedStatement {
  return new Parser(tokenize(sql)).statement();
}

/** Parses one expression (throws SqlError). */
export function parseExpression(text: string): Expr {
  return new Parser(tokenize(text)).standalone();
}
