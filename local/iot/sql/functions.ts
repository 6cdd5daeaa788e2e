/**
 * The IoT SQL functions the local runner evaluates: one table, name → arity and implementation.
 *
 * To add a function of the AWS IoT SQL reference (docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html):
 * add one entry to `FUNCTIONS` below — the lowercase name, the fewest and most arguments, and `evaluate`, which gets
 * the evaluated arguments and the message. Follow the reference's rule for Undefined (most functions return
 * Undefined when an argument is Undefined or of the wrong type) and add a case to
 * `test/local/iot/sql/functions.test.ts`. Nothing else changes: the parser accepts any name, the evaluator looks it
 * up here when the rule is loaded, and a name that is not here is a SqlError naming the supported ones.
 */
import { randomUUID } from 'crypto';
import { SqlError } from './errors';
import { SqlMessage, SqlValue, stringify, toNumber } from './values';
import { compileTimeFormat, TimeFormatError } from '../../../src/contract';

/** One function. */
export interface SqlFunction {
  /** The fewest arguments. */
  readonly minArgs: number;
  /** The most arguments. */
  readonly maxArgs: number;
  /** Computes the value from the evaluated arguments (their count is within the arity) and the message. */
  evaluate(args: readonly SqlValue[], message: SqlMessage): SqlValue;
}

/** A function of exactly `count` arguments. */
function fixed(count: number, evaluate: SqlFunction['evaluate']): SqlFunction {
  return { minArgs: count, maxArgs: count, evaluate };
}

/** A function of `minArgs` to `maxArgs` arguments. */
function between(minArgs: number, maxArgs: number, evaluate: SqlFunction['evaluate']): SqlFunction {
  return { minArgs, maxArgs, evaluate };
}

/** A function of one number (or numeric string); Undefined for anything else. */
function numeric(f: (n: number) => number): SqlFunction {
  return fixed(1, ([v]) => {
    const n = toNumber(v);
    return n === undefined ? undefined : f(n);
  });
}

/** A function of one string; Undefined for anything else. */
function text(f: (s: string) => SqlValue): SqlFunction {
  return fixed(1, ([s]) => (typeof s === 'string' ? f(s) : undefined));
}

/** The table. Names are lowercase (IoT SQL function names are case-insensitive). */
const FUNCTIONS: ReadonlyMap<string, SqlFunction> = new Map(Object.entries({
  // the message
  topic: between(0, 1, (args, m) => {
    if (args.length === 0) return m.topic;
    const n = toNumber(args[0]);
    if (n === undefined || !Number.isInteger(n) || n < 1) return undefined;
    return m.topic.split('/')[n - 1];
  }),
  clientid: fixed(0, (_args, m) => m.clientId),
  timestamp: fixed(0, (_args, m) => m.timestamp),
  principal: fixed(0, (_args, m) => m.principal),
  accountid: fixed(0, (_args, m) => m.accountId ?? '000000000000'),
  traceid: fixed(0, (_args, m) => m.traceId ?? (m.traceId = randomUUID())),
  newuuid: fixed(0, () => randomUUID()),

  // time
  parse_time: between(2, 3, ([pattern, ts, zone]) => {
    const ms = toNumber(ts);
    if (typeof pattern !== 'string' || ms === undefined) return undefined;
    if (zone !== undefined && typeof zone !== 'string') return undefined;
    try {
      return compileTimeFormat(pattern).format(ms, zone);
    } catch (e) {
      if (e instanceof TimeFormatError) return undefined;
      throw e;
    }
  }),

  // strings
  lower: text((s) => s.toLowerCase()),
  upper: text((s) => s.toUpperCase()),
  concat: between(1, 100, (args) => {
    if (args.some((a) => a === undefined)) return undefined;
    if (args.every((a) => Array.isArray(a))) return ([] as SqlValue[]).concat(...(args as SqlValue[][]));
    return args.map(stringify).join('');
  }),

  // numbers
  abs: numeric(Math.abs),
  floor: numeric(Math.floor),
  ceil: numeric(Math.ceil),
  round: numeric(Math.round),

  // types
  isundefined: fixed(1, ([v]) => v === undefined),
  isnull: fixed(1, ([v]) => v === null),
}));

/** The names of the functions the local runner evaluates. */
export const SUPPORTED_FUNCTIONS: readonly string[] = [...FUNCTIONS.keys()];

/**
 * The function a call names, checked against its arity; throws SqlError (with the column) for an unknown name or a
 * wrong number of arguments.
 */
export function resolveFunction(name: string, argCount: number, pos: number): SqlFunction {
  const fn = FUNCTIONS.get(name.toLowerCase());
  if (!fn) {
    throw new SqlError(`function ${name}() (column ${pos + 1}) is not supported by the local runner; supported: ${SUPPORTED_FUNCTIONS.map((f) => `${f}()`).join(', ')}`, pos);
  }
  if (argCount < fn.minArgs || argCount > fn.maxArgs) {
    const wanted = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `${fn.minArgs} to ${fn.maxArgs}`;
    throw new SqlError(`${name}() takes ${wanted} argument(s), got ${argCount} (column ${pos + 1})`, pos);
  }
  return fn;
}
