/**
 * The IoT SQL evaluator: compiles the AST into closures once, when a rule is loaded, so evaluating a message is
 * a few function calls. Operators follow the AWS IoT SQL reference:
 *
 * - Any operator given Undefined returns Undefined (a missing field is Undefined).
 * - `AND`/`OR`/`NOT` accept booleans and the strings "true"/"false".
 * - `< <= > >=` convert both sides to numbers (Undefined if either is not one); `=` compares values of the same
 *   type, and a number with a numeric string numerically; `<>`/`!=` is its negation.
 * - `+` adds numbers and concatenates two strings; `/` and `%` by zero are Undefined.
 * - A SELECT item whose value is Undefined is left out of the result; a WHERE clause must be true for the
 *   actions to run.
 */
import { SqlEvaluationError } from './errors';
import { resolveFunction } from './functions';
import { Expr, parseSql } from './parser';
import { equals, getField, isObject, payloadJson, SqlMessage, SqlObject, SqlValue, toBool, toNumber } from './values';

/** A compiled expression. */
export type CompiledExpression = (m: SqlMessage) => SqlValue;

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

/** Compiles an expression into a closure (throws SqlError for unknown functions or wrong arity). */
export function compileExpression(e: Expr): CompiledExpression {
  switch (e.k) {
    case 'lit': {
      const v = e.value;
      return () => v;
    }
    case 'field': {
      const name = e.name;
      return (m) => getField(payloadJson(m), name);
    }
    case 'get': {
      const obj = compileExpression(e.obj);
      const key = e.key;
      return (m) => getField(obj(m), key);
    }
    case 'index': {
      const obj = compileExpression(e.obj);
      const index = compileExpression(e.index);
      return (m) => {
        const o = obj(m);
        const i = index(m);
        if (Array.isArray(o) && typeof i === 'number' && Number.isInteger(i)) return o[i];
        if (isObject(o) && typeof i === 'string') return getField(o, i);
        return undefined;
      };
    }
    case 'call': {
      const fn = resolveFunction(e.name, e.args.length, e.pos);
      const args = e.args.map(compileExpression);
      if (args.length === 0) return (m) => fn.evaluate([], m);
      return (m) => fn.evaluate(args.map((a) => a(m)), m);
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
        const out: SqlObject = {};
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

/** A compiled SELECT item: `*`, or a named expression. */
type SelectItem = { readonly star: true } | { readonly star: false; readonly name: string; readonly value: CompiledExpression };

/**
 * Builds the SELECT output of `*` combined with named items. When a payload key of `*` has the name of a named item
 * (`SELECT *, topic() AS topic` on a payload with its own `topic`), the AWS IoT SQL reference does not say which
 * value wins (iot-sql-select.html documents only that `SELECT *, 15 AS speed` adds `speed` to the payload). The
 * local runner lets the named item win, wherever it stands in the list, and keeps the key at its first position; a
 * named item whose value is Undefined is left out and the payload's value stays. Do not rely on this on AWS: the
 * construct's default rule keeps such payloads out with `WHERE isUndefined(topic)` (WHERE sees the payload's keys,
 * not the aliases: iot-sql-where.html), so the collision never happens there.
 */
function mergeSelect(items: readonly SelectItem[], m: SqlMessage): SqlObject {
  const named = new Map<string, SqlValue>();
  for (const item of items) {
    if (!item.star) {
      const v = item.value(m);
      if (v !== undefined) named.set(item.name, v);
    }
  }
  const out: SqlObject = {};
  for (const item of items) {
    if (item.star) {
      const json = payloadJson(m);
      if (!isObject(json)) {
        throw new SqlEvaluationError('the payload is not a JSON object, so "*" cannot be combined with other SELECT items');
      }
      for (const key of Object.keys(json)) out[key] = named.has(key) ? named.get(key) : json[key];
    } else if (named.has(item.name)) {
      out[item.name] = named.get(item.name);
    }
  }
  return out;
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
      return { kind: 'json', value: mergeSelect(items, m) };
    },
  };
}
