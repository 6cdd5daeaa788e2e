/**
 * The IoT SQL evaluator: compiles the AST into closures once, when a rule is loaded, so evaluating a message is
 * a few function calls. Operators follow the AWS IoT SQL reference
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-operators.html):
 *
 * - Any operator given Undefined returns Undefined (a missing field is Undefined).
 * - `AND`/`OR`/`NOT` accept booleans and the strings "true"/"false".
 * - `< <= > >=` convert both sides to Decimals (Undefined if either is not one); `=` compares values of the same
 *   type (mismatched types are false); `<>`/`!=` is its negation.
 * - `+` concatenates when either side is a String (the other converted to a String), else adds; `- * / %` convert
 *   strings to Decimals; Int op Int is an Int (`/` truncates), otherwise a Decimal; `/` and `%` by zero are
 *   Undefined.
 * - `CASE v WHEN t THEN r … ELSE e END` compares with `=`; Undefined `v` gives Undefined.
 * - `SET @v = …` variables are evaluated once per message, in order, before WHERE and SELECT; templates of the
 *   rule's actions see them too.
 * - A SELECT item whose value is Undefined is left out of the result; a WHERE clause must be true for the
 *   actions to run. `SELECT VALUE x` outputs x itself; a nested `(SELECT … FROM <array>)` gives an array of
 *   results, `(SELECT … FROM <object>)` one result.
 */
import { NonJsonPayloadError, SqlError } from './errors';
import { castType, castValue, resolveFunction } from './functions';
import { Expr, parseSql, Query, SelectItem } from './parser';
import { PROTOBUF_DECODE_PAGE } from './protobuf';
import {
  currentRow, equals, getField, isInt, isObject, payloadJson, SqlMessage, SqlObject, SqlValue, toBool, toNumber, toSqlString,
} from './values';
import { PROTOBUF_RULE_LIMITS } from '../../../src/contract';

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
  /** The names of the functions the statement calls (lowercase; `cast` included). */
  readonly functions: ReadonlySet<string>;
  /** Evaluates SET, WHERE and SELECT; throws SqlEvaluationError when the SELECT cannot be built (e.g. * of binary data with other items). */
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
      if (typeof l === 'string' || typeof r === 'string') {
        const a = toSqlString(l);
        const b = toSqlString(r);
        return a === undefined || b === undefined ? undefined : a + b;
      }
      return arithmetic(op, l, r);
    default:
      return arithmetic(op, l, r);
  }
}

function arithmetic(op: string, l: SqlValue, r: SqlValue): SqlValue {
  const a = toNumber(l);
  const b = toNumber(r);
  if (a === undefined || b === undefined) return undefined;
  const ints = isInt(l) && isInt(r);
  let v: number;
  switch (op) {
    case '+': v = a + b; break;
    case '-': v = a - b; break;
    case '*': v = a * b; break;
    case '/':
      if (b === 0) return undefined;
      v = ints ? Math.trunc(a / b) : a / b;
      break;
    default:
      if (b === 0) return undefined;
      v = a % b;
  }
  return Number.isFinite(v) ? v + 0 : undefined;
}

/** Functions called by the expressions compiled while it is set (collected per statement). */
let calledFunctions: Set<string> | undefined;

/** Compiles an expression into a closure (throws SqlError for unknown functions or wrong arity). */
export function compileExpression(e: Expr): CompiledExpression {
  switch (e.k) {
    case 'lit': {
      const v = e.value;
      return () => v;
    }
    case 'field': {
      const name = e.name;
      return (m) => getField(currentRow(m), name);
    }
    case 'var': {
      const name = e.name;
      return (m) => m.variables?.get(name);
    }
    case 'star':
      throw new SqlError('"*" is an argument of encode(*, \'base64\') and decode(*, \'proto\', …) only', 0);
    case 'cast': {
      const arg = compileExpression(e.arg);
      const type = castType(e.type, e.pos);
      calledFunctions?.add('cast');
      return (m) => castValue(arg(m), type);
    }
    case 'case': {
      const value = compileExpression(e.value);
      const whens = e.whens.map(({ when, then }) => ({ when: compileExpression(when), then: compileExpression(then) }));
      const otherwise = e.otherwise ? compileExpression(e.otherwise) : undefined;
      return (m) => {
        const v = value(m);
        if (v === undefined) return undefined;
        for (const w of whens) if (equals(v, w.when(m)) === true) return w.then(m);
        return otherwise?.(m);
      };
    }
    case 'select':
      return compileQuery(e.query);
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
      calledFunctions?.add(e.name.toLowerCase());
      if (e.name.toLowerCase() === 'decode') checkDecodeScheme(e);
      const takesPayload = e.name.toLowerCase() === 'encode' || e.name.toLowerCase() === 'decode';
      const args = e.args.map((a) => (a.k === 'star' && takesPayload
        ? (m: SqlMessage) => m.payload as unknown as SqlValue // the payload bytes, JSON or not
        : compileExpression(a)));
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

/**
 * decode's schemes: `decode(value, 'base64')` and `decode(*, 'proto', <bucket>, <key>, <proto file>, <message>)`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html#iot-sql-decode-base64); anything else,
 * or the wrong number of arguments for the scheme, fails when the rule is loaded.
 */
function checkDecodeScheme(e: Extract<Expr, { k: 'call' }>): void {
  const scheme = e.args[1];
  if (scheme?.k !== 'lit' || typeof scheme.value !== 'string') return;
  const column = `column ${e.pos + 1}`;
  if (scheme.value === 'base64') {
    if (e.args.length !== 2) throw new SqlError(`decode(…, 'base64') (${column}) takes 2 arguments, got ${e.args.length}`, e.pos);
  } else if (scheme.value === 'proto') {
    if (e.args.length !== 6) {
      throw new SqlError(`decode(…, 'proto') (${column}) takes 6 arguments: decode(*, 'proto', '<bucket>', '<key>', '<proto file>', '<message>'), got ${e.args.length}`, e.pos);
    }
  } else {
    throw new SqlError(`decode(…, '${scheme.value}') (${column}): the decoding scheme is 'base64' or 'proto'`, e.pos);
  }
}

/** Whether a call is `decode(…, 'proto', …)`. */
function isProtoDecode(node: { k?: unknown; name?: unknown; args?: Expr[] }): boolean {
  if (node.k !== 'call' || node.name !== 'decode') return false;
  const scheme = node.args?.[1];
  return scheme?.k === 'lit' && scheme.value === 'proto';
}

/** How many `decode(…, 'proto', …)` calls an AST (or part of one) holds. */
export function countProtoDecodes(node: unknown): number {
  if (node === null || typeof node !== 'object') return 0;
  if (Array.isArray(node)) return node.reduce((n: number, item) => n + countProtoDecodes(item), 0);
  const own = isProtoDecode(node as { k?: unknown }) ? 1 : 0;
  return own + Object.values(node).reduce((n: number, child) => n + countProtoDecodes(child), 0);
}

/** The compiled SELECT items of a statement or nested query. */
type CompiledItem = { readonly star: true } | { readonly star: false; readonly name: string; readonly value: CompiledExpression };

function compileItems(select: SelectItem[]): CompiledItem[] {
  return select.map((item) => (item.star
    ? { star: true as const }
    : { star: false as const, name: item.name, value: compileExpression(item.expr) }));
}

/**
 * The object a SELECT list builds: `*` copies the payload's keys, each other item adds its key (an Undefined value
 * is left out), in the order written. When a payload key of `*` has the name of a named item (`SELECT *, topic() AS
 * topic` on a payload with its own `topic`), the AWS IoT SQL reference does not say which value wins
 * (iot-sql-select.html documents only that `SELECT *, 15 AS speed` adds `speed` to the payload). The local runner lets
 * the named item win, wherever it stands in the list, and keeps the key at its first position; a named item whose
 * value is Undefined is left out and the payload's value stays. Do not rely on this on AWS: the construct's default
 * rule keeps such payloads out with `WHERE isUndefined(topic)` (WHERE sees the payload's keys, not the aliases:
 * iot-sql-where.html), so the collision never happens there.
 */
function selectObject(items: CompiledItem[], m: SqlMessage): SqlObject {
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
      if (m.payload.length === 0) continue; // an empty payload: * adds nothing (binary-payloads.html allows data added to it)
      const json = payloadJson(m);
      if (!isObject(json)) throw new NonJsonPayloadError(NON_JSON_STAR);
      for (const key of Object.keys(json)) out[key] = named.has(key) ? named.get(key) : json[key];
    } else if (named.has(item.name)) {
      out[item.name] = named.get(item.name);
    }
  }
  return out;
}

/**
 * Why a payload that is not a JSON object fails `SELECT *, <more> …`. AWS IoT documents that data can be added to `*`
 * only for an empty or JSON payload and lists `SELECT *` alone or `encode(*, 'base64') AS …` for binary ones
 * (https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html); it does not document what the rules
 * engine then does with the message. The local runner does not run the rule's actions for it (nothing reaches the
 * delivery stream) and counts it per topic (rules.ts), so the user learns what to change.
 */
const NON_JSON_STAR = 'the payload is not a JSON object, so "*" cannot be combined with other SELECT items (AWS IoT adds data to * only for JSON '
  + 'or empty payloads); select * alone or encode(*, \'base64\') AS …';

/** A nested `(SELECT … FROM <expression> [WHERE …])`: evaluated for each element of an array FROM, or once for an object. */
function compileQuery(q: Query): CompiledExpression {
  const from = compileExpression(q.from);
  const where = q.where ? compileExpression(q.where) : undefined;
  const items = compileItems(q.select);
  const first = items[0];
  const evaluateRow = (m: SqlMessage, row: SqlValue): SqlValue => {
    const saved = m.row;
    m.row = { value: row };
    try {
      if (where && toBool(where(m)) !== true) return undefined;
      if (q.value) return first.star ? undefined : first.value(m);
      const out: SqlObject = {};
      for (const item of items) {
        if (item.star) {
          if (isObject(row)) Object.assign(out, row);
        } else {
          const v = item.value(m);
          if (v !== undefined) out[item.name] = v;
        }
      }
      return out;
    } finally {
      m.row = saved;
    }
  };
  return (m) => {
    const source = from(m);
    if (Array.isArray(source)) return source.map((row) => evaluateRow(m, row)).filter((v) => v !== undefined);
    if (isObject(source)) return evaluateRow(m, source);
    return undefined;
  };
}

/** Compiles a statement (throws SqlError). */
export function compileSql(sql: string): SqlStatement {
  const parsed = parseSql(sql);
  const functions = new Set<string>();
  calledFunctions = functions;
  let set: Array<{ name: string; value: CompiledExpression }>;
  let where: CompiledExpression | undefined;
  let items: CompiledItem[];
  try {
    set = parsed.set.map(({ name, expr }) => ({ name, value: compileExpression(expr) }));
    where = parsed.where ? compileExpression(parsed.where) : undefined;
    items = compileItems(parsed.select);
  } finally {
    calledFunctions = undefined;
  }
  const protoDecodes = countProtoDecodes(parsed);
  if (protoDecodes > PROTOBUF_RULE_LIMITS.decodeCallsPerExpression) {
    throw new SqlError(`the statement calls decode(…, 'proto') ${protoDecodes} times; AWS IoT allows at most `
      + `${PROTOBUF_RULE_LIMITS.decodeCallsPerExpression} per SQL expression (${PROTOBUF_DECODE_PAGE})`, 0);
  }
  const onlyStar = items.length === 1 && items[0].star;
  const value = parsed.value ? (items[0] as Extract<CompiledItem, { star: false }>).value : undefined;
  return {
    sql,
    from: parsed.from,
    hasWhere: where !== undefined,
    functions,
    evaluate(m: SqlMessage): SelectResult {
      if (set.length > 0) {
        const variables = new Map<string, SqlValue>();
        m.variables = variables;
        for (const v of set) variables.set(v.name, v.value(m));
      }
      if (where) {
        const w = where(m);
        if (w !== true && toBool(w) !== true) return { kind: 'skip' };
      }
      if (value) {
        const v = value(m);
        return v === undefined ? { kind: 'skip' } : { kind: 'json', value: v };
      }
      if (onlyStar) {
        const json = payloadJson(m);
        return isObject(json) ? { kind: 'json', value: json } : { kind: 'raw', payload: m.payload };
      }
      return { kind: 'json', value: selectObject(items, m) };
    },
  };
}
