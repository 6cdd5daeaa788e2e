/**
 * The IoT SQL functions: one table, name → arity, implementation and the anchor of its entry in the AWS IoT SQL
 * reference (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html, SQL version 2016-03-23).
 *
 * Every function of the reference that does not call another AWS service is here, with the reference's argument
 * tables: the standard conversions of values.ts, Undefined for arguments of the wrong type, numbers that must be Ints
 * "rounded down to the nearest Int". Functions that call another service (`EXTERNAL_FUNCTIONS`) are refused when
 * the rule is loaded, naming the function and the service.
 *
 * To add a function: one entry in `FUNCTIONS` (lowercase name, fewest/most arguments, `evaluate`, `anchor`) and its
 * cases, with the reference's examples, in `test/local/iot/sql/functions.test.ts`; the conformance table in
 * local/README.md is generated from this table by local/conformance.ts (`UPDATE_CONFORMANCE=1 npx jest
 * test/local/conformance.test.ts` rewrites it).
 */
import { createHash, randomUUID } from 'crypto';
import { SqlError, SqlEvaluationError } from './errors';
import { decodeProtobuf, findMessage } from './protobuf';
import { formatTime, timeToEpoch } from './time';
import { isInt, isObject, SqlMessage, SqlValue, toBool, toIntFloor, toNumber, toSqlString } from './values';
import { IOT_SQL_VERSION, LOCAL_ACCOUNT } from '../../../src/contract';

/** One function. */
export interface SqlFunction {
  /** The fewest arguments. */
  readonly minArgs: number;
  /** The most arguments. */
  readonly maxArgs: number;
  /** The anchor of the function's entry in the reference page. */
  readonly anchor: string;
  /** Computes the value from the evaluated arguments (their count is within the arity) and the message. */
  evaluate(args: readonly SqlValue[], message: SqlMessage): SqlValue;
}

/** The reference page of the functions. */
export const FUNCTIONS_PAGE = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html';

function fn(anchor: string, minArgs: number, maxArgs: number, evaluate: SqlFunction['evaluate']): SqlFunction {
  return { minArgs, maxArgs, evaluate, anchor };
}

/** A function of one number (or numeric string) giving a Decimal (double precision); Undefined for anything else and for imaginary results. */
function double(anchor: string, f: (n: number) => number): SqlFunction {
  return fn(anchor, 1, 1, ([v]) => {
    const n = toNumber(v);
    if (n === undefined) return undefined;
    const r = f(n);
    return Number.isFinite(r) ? r : undefined;
  });
}

/** A function of one number giving an Int (ceil, floor, …). */
function toInt(anchor: string, f: (n: number) => number): SqlFunction {
  return fn(anchor, 1, 1, ([v]) => {
    const n = toNumber(v);
    return n === undefined ? undefined : f(n) + 0; // + 0: no -0
  });
}

/** A function of strings: every argument by the standard conversion; Undefined if one cannot be converted (Null, Undefined). */
function strings(anchor: string, count: number, f: (...s: string[]) => SqlValue): SqlFunction {
  return fn(anchor, count, count, (args) => {
    const s = args.map(toSqlString);
    return s.some((x) => x === undefined) ? undefined : f(...(s as string[]));
  });
}

/** Two numbers: Int op Int is an Int; otherwise a Decimal; strings converted; Undefined otherwise. */
function numeric2(anchor: string, f: (a: number, b: number, ints: boolean) => number | undefined): SqlFunction {
  return fn(anchor, 2, 2, ([x, y]) => {
    const a = toNumber(x);
    const b = toNumber(y);
    if (a === undefined || b === undefined) return undefined;
    const r = f(a, b, isInt(x) && isInt(y));
    return r !== undefined && Number.isFinite(r) ? r + 0 : undefined;
  });
}

/** Two Ints (numbers and numeric strings rounded down) for the bit functions, as 64-bit integers. */
function bits(anchor: string, f: (a: bigint, b: bigint) => bigint): SqlFunction {
  return fn(anchor, 2, 2, ([x, y]) => {
    const a = toIntFloor(x);
    const b = toIntFloor(y);
    if (a === undefined || b === undefined) return undefined;
    return Number(BigInt.asIntN(64, f(BigInt(a), BigInt(b))));
  });
}

function hash(anchor: string, algorithm: string): SqlFunction {
  return strings(anchor, 1, (s) => (algorithm === 'md2' ? md2(Buffer.from(s, 'utf8')) : createHash(algorithm).update(s, 'utf8').digest('hex')));
}

/** Java's String.trim(): code points up to U+0020 at either end. */
function trimJava(s: string, start: boolean, end: boolean): string {
  let a = 0;
  let b = s.length;
  if (start) while (a < b && s.charCodeAt(a) <= 0x20) a++;
  if (end) while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return s.slice(a, b);
}

function pad(left: boolean): SqlFunction {
  return fn(left ? 'iot-func-lpad' : 'iot-func-rpad', 2, 2, ([v, n]) => {
    const s = toSqlString(v);
    const count = toIntFloor(n);
    if (s === undefined || count === undefined) return undefined;
    const spaces = ' '.repeat(Math.min(1000, Math.max(0, count)));
    return left ? spaces + s : s + spaces;
  });
}

/** A Java regular expression as a JavaScript one (inline `(?i)`/`(?s)`/`(?m)` flags at the start become flags); undefined when invalid. */
function regex(pattern: string, global: boolean): RegExp | undefined {
  let flags = global ? 'g' : '';
  let source = pattern;
  const inline = /^\(\?([imsx]+)\)/.exec(source);
  if (inline) {
    if (inline[1].includes('x')) return undefined;
    flags += inline[1];
    source = source.slice(inline[0].length);
  }
  try {
    return new RegExp(source, flags + 'u');
  } catch {
    try {
      return new RegExp(source, flags);
    } catch {
      return undefined;
    }
  }
}

/** Truncates a number to `places` decimal places, on its decimal digits (no binary rounding artefacts). */
function truncate(n: number, places: number): number {
  if (Number.isInteger(n)) return n;
  const text = Math.abs(n).toFixed(20).replace(/0+$/, '');
  const [whole, fraction = ''] = text.split('.');
  const kept = Number(`${whole}.${fraction.slice(0, places) || '0'}`);
  return (n < 0 ? -kept : kept) + 0;
}

/** Java's RoundingMode.HALF_UP: halves away from zero (`round(-1.5)` = -2). */
function roundHalfUp(n: number): number {
  return (n < 0 ? -Math.round(-n) : Math.round(n)) + 0;
}

/**
 * The functions. Names are lowercase (IoT SQL function names are case-insensitive). `cast(value AS type)` has its
 * own syntax and is compiled by the evaluator (`castValue` below); `encode(*, …)` and `decode(*, 'proto', …)` get the payload's bytes.
 */
const FUNCTIONS: ReadonlyMap<string, SqlFunction> = new Map(Object.entries({
  // numbers
  abs: fn('iot-func-abs', 1, 1, ([v]) => {
    const n = toNumber(v);
    return n === undefined ? undefined : Math.abs(n);
  }),
  acos: double('iot-func-acos', Math.acos),
  asin: double('iot-func-asin', Math.asin),
  atan: double('iot-func-atan', Math.atan),
  atan2: numeric2('iot-func-atan2', (y, x) => Math.atan2(y, x)),
  /* eslint-disable no-bitwise -- the bit functions */
  bitand: bits('iot-func-bitand', (a, b) => a & b),
  bitor: bits('iot-func-bitor', (a, b) => a | b),
  bitxor: bits('iot-func-xbitor', (a, b) => a ^ b),
  bitnot: fn('iot-func-bitnot', 1, 1, ([v]) => {
    const a = toIntFloor(v);
    return a === undefined ? undefined : Number(BigInt.asIntN(64, ~BigInt(a)));
  }),
  /* eslint-enable no-bitwise */
  ceil: toInt('iot-func-ceil', Math.ceil),
  cos: double('iot-func-cos', Math.cos),
  cosh: double('iot-func-cosh', Math.cosh),
  exp: double('iot-func-exp', Math.exp),
  floor: toInt('iot-func-floor', Math.floor),
  ln: double('iot-func-nln', Math.log),
  log: double('iot-func-log', Math.log10),
  mod: numeric2('iot-func-mod', (a, b) => (b === 0 ? undefined : a % b)),
  nanvl: fn('iot-func-nanvl', 2, 2, ([a, b]) => (a === undefined || a === null || (typeof a === 'number' && Number.isNaN(a)) ? b : a)),
  power: numeric2('iot-func-power', Math.pow),
  rand: fn('iot-sql-function-rand', 0, 0, () => Math.random()),
  remainder: numeric2('iot-func-remainder', (a, b) => (b === 0 ? undefined : a % b)),
  round: toInt('iot-func-round', roundHalfUp),
  sign: toInt('iot-func-sign', Math.sign),
  sin: double('iot-func-sin', Math.sin),
  sinh: double('iot-func-sinh', Math.sinh),
  sqrt: double('iot-func-sqrt', Math.sqrt),
  tan: double('iot-func-tan', Math.tan),
  tanh: double('iot-func-tanh', Math.tanh),
  trunc: fn('iot-func-trunc', 2, 2, ([v, p]) => {
    const n = toNumber(v);
    const places = toIntFloor(p);
    if (n === undefined || places === undefined) return undefined;
    return truncate(n, Math.min(34, Math.max(0, places)));
  }),

  // strings
  chr: fn('iot-func-chr', 1, 1, ([v]) => {
    const code = toIntFloor(v);
    return code !== undefined && code >= 0 && code <= 127 ? String.fromCharCode(code) : undefined;
  }),
  concat: fn('iot-func-concat', 0, Infinity, (args) => {
    if (args.length === 0) return undefined;
    if (args.some(Array.isArray)) {
      if (args.some((a) => a === undefined)) return undefined;
      return args.flatMap((a) => (Array.isArray(a) ? a : [a]));
    }
    const s = args.map(toSqlString);
    return s.some((x) => x === undefined) ? undefined : s.join('');
  }),
  endswith: strings('iot-func-endswith', 2, (s, suffix) => s.endsWith(suffix)),
  indexof: strings('iot-sql-function-indexof', 2, (s, sub) => s.indexOf(sub)),
  length: strings('iot-sql-function-length', 1, (s) => [...s].length),
  lower: strings('iot-func-lower', 1, (s) => s.toLowerCase()),
  lpad: pad(true),
  ltrim: strings('iot-func-ltrim', 1, (s) => trimJava(s, true, false)),
  numbytes: strings('iot-sql-function-numbytes', 1, (s) => Buffer.byteLength(s, 'utf8')),
  regexp_matches: strings('iot-func-regex-matches', 2, (s, p) => {
    const re = regex(p, false);
    return re ? re.test(s) : undefined;
  }),
  regexp_replace: strings('iot-func-regex-replace', 3, (s, p, replacement) => {
    const re = regex(p, true);
    return re ? s.replace(re, replacement) : undefined;
  }),
  regexp_substr: strings('iot-func-regex-substr', 2, (s, p) => {
    const re = regex(p, false);
    if (!re) return undefined;
    return re.exec(s)?.[0] ?? '';
  }),
  replace: strings('iot-func-replace', 3, (s, find, replacement) => s.split(find).join(replacement)),
  rpad: pad(false),
  rtrim: strings('iot-func-rtrim', 1, (s) => trimJava(s, false, true)),
  startswith: strings('iot-func-startswith', 2, (s, prefix) => s.startsWith(prefix)),
  substring: fn('iot-func-substring', 2, 3, ([v, from, to]) => {
    const s = toSqlString(v);
    const a = toIntFloor(from);
    const b = to === undefined ? undefined : toIntFloor(to);
    if (s === undefined || a === undefined || (to !== undefined && b === undefined)) return undefined;
    const clamp = (i: number) => Math.min(s.length, Math.max(0, i));
    const start = clamp(a);
    const end = b === undefined ? s.length : clamp(b);
    return start >= end ? '' : s.slice(start, end);
  }),
  trim: strings('iot-func-trim', 1, (s) => trimJava(s, true, true)),
  upper: strings('iot-sql-function-upper', 1, (s) => s.toUpperCase()),

  // hashing (lowercase hex of the UTF-8 bytes)
  md2: hash('iot-sql-function-hash', 'md2'),
  md5: hash('iot-sql-function-hash', 'md5'),
  sha1: hash('iot-sql-function-hash', 'sha1'),
  sha224: hash('iot-sql-function-hash', 'sha224'),
  sha256: hash('iot-sql-function-hash', 'sha256'),
  sha384: hash('iot-sql-function-hash', 'sha384'),
  sha512: hash('iot-sql-function-hash', 'sha512'),

  // encoding
  encode: fn('iot-sql-encode-payload', 2, 2, ([v, scheme]) => {
    if (scheme !== 'base64') return undefined;
    if (Buffer.isBuffer(v)) return v.toString('base64'); // encode(*, 'base64'): the payload bytes
    const s = toSqlString(v);
    return s === undefined ? undefined : Buffer.from(s, 'utf8').toString('base64');
  }),
  decode: fn('iot-sql-decode-base64', 2, 6, ([v, scheme, bucket, key, protoFile, messageType], m) => {
    if (scheme === 'proto') return decodeProto(v, [bucket, key, protoFile, messageType], m);
    if (scheme !== 'base64' || typeof v !== 'string') return undefined;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 === 1) return null; // "returns NULL if the string cannot be decoded"
    const text = Buffer.from(v, 'base64').toString('utf8');
    try {
      return JSON.parse(text) as SqlValue;
    } catch {
      return text;
    }
  }),

  // values and collections
  get: fn('iot-sql-function-get', 2, 2, ([c, k]) => {
    if (Array.isArray(c) || typeof c === 'string') {
      const i = toIntFloor(k);
      if (i === undefined || i < 0 || i >= c.length) return undefined;
      return c[i];
    }
    if (isObject(c) && typeof k === 'string') return Object.hasOwn(c, k) ? c[k] : undefined;
    return undefined;
  }),
  get_or_default: fn('iot-sql-function-get-or-default', 2, 2, ([v, fallback]) => (v === undefined ? fallback : v)),
  isnull: fn('iot-sql-function-isNull', 1, 1, ([v]) => v === null),
  isundefined: fn('iot-sql-function-isUndefined', 1, 1, ([v]) => v === undefined),
  transform: fn('iot-func-transform', 3, 3, ([mode, obj, arr]) => {
    if (mode !== 'enrichArray' || !isObject(obj) || !Array.isArray(arr)) return undefined;
    return arr.map((item) => (isObject(item) ? { ...item, ...obj } : item));
  }),

  // time
  parse_time: fn('iot-sql-function-parse-time', 2, 3, ([pattern, ts, zone]) => {
    const ms = toNumber(ts);
    if (typeof pattern !== 'string' || ms === undefined) return undefined;
    if (zone !== undefined && typeof zone !== 'string') return undefined;
    return formatTime(pattern, ms, zone);
  }),
  time_to_epoch: fn('iot-sql-function-time-to-epoch', 2, 2, ([ts, pattern]) => (
    typeof ts === 'string' && typeof pattern === 'string' ? timeToEpoch(ts, pattern) : undefined)),
  timestamp: fn('iot-function-timestamp', 0, 0, (_args, m) => m.timestamp),

  // the message and the rule
  accountid: fn('iot-sql-function-accountid', 0, 0, (_args, m) => m.accountId ?? LOCAL_ACCOUNT),
  clientid: fn('iot-sql-function-clientid', 0, 0, (_args, m) => m.clientId),
  get_mqtt_property: fn('iot-sql-function-get-mqtt-property', 1, 1, ([name], m) => mqttProperty(m, name)),
  get_user_properties: fn('iot-sql-function-get-user-properties', 1, 1, ([key], m) => {
    if (typeof key !== 'string') return undefined;
    const values = (m.mqtt?.userProperties ?? []).filter(([k]) => k === key).map(([, v]) => v);
    return values.length > 0 ? values : undefined;
  }),
  newuuid: fn('iot-sql-function-newuuid', 0, 0, () => randomUUID()),
  principal: fn('iot-sql-function-principal', 0, 0, (_args, m) => m.principal),
  sourceip: fn('iot-sql-function-sourceip', 0, 0, (_args, m) => m.sourceIp),
  sql_version: fn('iot-sql-function-sql-version', 0, 0, () => IOT_SQL_VERSION),
  topic: fn('iot-function-topic', 0, 1, (args, m) => {
    if (args.length === 0) return m.topic;
    const n = toIntFloor(args[0]);
    if (n === undefined || n < 1) return undefined;
    return m.topic.split('/')[n - 1];
  }),
  traceid: fn('iot-sql-function-traceid', 0, 0, (_args, m) => m.traceId ?? (m.traceId = randomUUID())),
}));

/**
 * `decode(*, 'proto', '<bucket>', '<key>', '<proto file>', '<message>')`: the payload (`*`, the bytes) decoded with the
 * message type of the FileDescriptorSet at s3://bucket/key (protobuf.ts; limits and field naming there).
 */
function decodeProto(payload: SqlValue, names: SqlValue[], m: SqlMessage): SqlValue {
  if (!Buffer.isBuffer(payload)) throw new SqlEvaluationError('decode(…, \'proto\') decodes the payload: give * as its first argument');
  if (names.some((n) => typeof n !== 'string' || n === '')) {
    throw new SqlEvaluationError('decode(*, \'proto\', <bucket>, <key>, <proto file>, <message>): the bucket, key, proto file and message must be non-empty strings');
  }
  const [bucket, key, protoFile, messageType] = names as string[];
  if (!m.descriptors) throw new SqlEvaluationError(`decode(*, 'proto'): no bucket to read s3://${bucket}/${key} from (the rule runs without the runner's buckets)`);
  return decodeProtobuf(findMessage(m.descriptors.registry(bucket, key), protoFile, messageType), payload);
}

/** `get_mqtt_property(name)`: the MQTT 5 headers a rule can read, by the names the reference gives them. */
function mqttProperty(m: SqlMessage, name: SqlValue): SqlValue {
  const p = m.mqtt;
  if (!p || typeof name !== 'string') return undefined;
  switch (name) {
    case 'content_type': return p.contentType;
    case 'format_indicator':
      return p.payloadFormatIndicator === undefined ? undefined : p.payloadFormatIndicator ? 'UTF8_DATA' : 'UNSPECIFIED_BYTES';
    case 'response_topic': return p.responseTopic;
    case 'correlation_data': return p.correlationData?.toString('base64');
    default: return undefined;
  }
}

/** The `cast` target keywords (case-insensitive) → the type. */
const CAST_TYPES: Readonly<Record<string, 'string' | 'int' | 'decimal' | 'boolean'>> = {
  string: 'string',
  nvarchar: 'string',
  text: 'string',
  ntext: 'string',
  varchar: 'string',
  int: 'int',
  integer: 'int',
  double: 'decimal',
  decimal: 'decimal',
  bool: 'boolean',
  boolean: 'boolean',
};

/** The type a `cast(… AS <keyword>)` names; throws SqlError for a keyword the reference does not list. */
export function castType(keyword: string, pos: number): 'string' | 'int' | 'decimal' | 'boolean' {
  const t = CAST_TYPES[keyword.toLowerCase()];
  if (!t) throw new SqlError(`cast(... AS ${keyword}) (column ${pos + 1}): the type must be one of String, Nvarchar, Text, Ntext, varchar, Int, Integer, Double, Decimal, Bool, Boolean`, pos);
  return t;
}

/** `cast(value AS type)` (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html#iot-sql-function-cast). */
export function castValue(v: SqlValue, type: 'string' | 'int' | 'decimal' | 'boolean'): SqlValue {
  switch (type) {
    case 'string':
      return toSqlString(v);
    case 'int':
    case 'decimal': {
      const n = typeof v === 'boolean' ? (v ? 1 : 0) : toNumber(v);
      if (n === undefined) return undefined;
      return type === 'int' ? Math.floor(n) + 0 : n;
    }
    case 'boolean':
      if (typeof v === 'number') return v !== 0;
      return toBool(v);
  }
}

/** Functions of the reference that call another AWS service, with that service: refused when the rule is loaded. */
export const EXTERNAL_FUNCTIONS: ReadonlyMap<string, { readonly service: string; readonly anchor: string }> = new Map(Object.entries({
  aws_lambda: { service: 'AWS Lambda', anchor: 'iot-func-aws-lambda' },
  get_dynamodb: { service: 'Amazon DynamoDB', anchor: 'iot-sql-function-get-dynamodb' },
  get_registry_data: { service: 'the AWS IoT registry', anchor: 'iot-sql-function-get-registry_data' },
  get_secret: { service: 'AWS Secrets Manager', anchor: 'iot-sql-function-get-secret' },
  get_thing_shadow: { service: 'the AWS IoT Device Shadow service', anchor: 'iot-sql-function-get-thing-shadow' },
  machinelearning_predict: { service: 'Amazon Machine Learning', anchor: 'iot-sql-function-machine-learning' },
}));

/** The names of the functions the local runner evaluates (cast included). */
export const SUPPORTED_FUNCTIONS: readonly string[] = [...FUNCTIONS.keys(), 'cast'].sort();

/** The anchor of an implemented function's reference entry. */
export function functionAnchor(name: string): string | undefined {
  return name === 'cast' ? 'iot-sql-function-cast' : FUNCTIONS.get(name)?.anchor;
}

/**
 * The function a call names, checked against its arity; throws SqlError (with the column) for a function that calls
 * another service, an unknown name, or a wrong number of arguments.
 */
export function resolveFunction(name: string, argCount: number, pos: number): SqlFunction {
  const lower = name.toLowerCase();
  const external = EXTERNAL_FUNCTIONS.get(lower);
  if (external) {
    throw new SqlError(`${name}() (column ${pos + 1}) calls ${external.service}, which the local runner does not emulate; remove it from the rule to run the stack locally (${FUNCTIONS_PAGE}#${external.anchor})`, pos);
  }
  const fnc = FUNCTIONS.get(lower);
  if (!fnc) {
    throw new SqlError(`function ${name}() (column ${pos + 1}) is not in the AWS IoT SQL reference (${FUNCTIONS_PAGE})`, pos);
  }
  if (argCount < fnc.minArgs || argCount > fnc.maxArgs) {
    const wanted = fnc.minArgs === fnc.maxArgs ? `${fnc.minArgs}` : fnc.maxArgs === Infinity ? `${fnc.minArgs} or more` : `${fnc.minArgs} to ${fnc.maxArgs}`;
    throw new SqlError(`${name}() takes ${wanted} argument(s), got ${argCount} (column ${pos + 1})`, pos);
  }
  return fnc;
}

// MD2 (RFC 1319), which Node's OpenSSL 3 no longer provides: the permutation of pi's digits and the digest.
const MD2_S = [
  41, 46, 67, 201, 162, 216, 124, 1, 61, 54, 84, 161, 236, 240, 6, 19, 98, 167, 5, 243, 192, 199, 115, 140,
  152, 147, 43, 217, 188, 76, 130, 202, 30, 155, 87, 60, 253, 212, 224, 22, 103, 66, 111, 24, 138, 23, 229, 18,
  190, 78, 196, 214, 218, 158, 222, 73, 160, 251, 245, 142, 187, 47, 238, 122, 169, 104, 121, 145, 21, 178, 7, 63,
  148, 194, 16, 137, 11, 34, 95, 33, 128, 127, 93, 154, 90, 144, 50, 39, 53, 62, 204, 231, 191, 247, 151, 3,
  255, 25, 48, 179, 72, 165, 181, 209, 215, 94, 146, 42, 172, 86, 170, 198, 79, 184, 56, 210, 150, 164, 125, 182,
  118, 252, 107, 226, 156, 116, 4, 241, 69, 157, 112, 89, 100, 113, 135, 32, 134, 91, 207, 101, 230, 45, 168, 2,
  27, 96, 37, 173, 174, 176, 185, 246, 28, 70, 97, 105, 52, 64, 126, 15, 85, 71, 163, 35, 221, 81, 175, 58,
  195, 92, 249, 206, 186, 197, 234, 38, 44, 83, 13, 110, 133, 40, 132, 9, 211, 223, 205, 244, 65, 129, 77, 82,
  106, 220, 55, 200, 108, 193, 171, 250, 36, 225, 123, 8, 12, 189, 177, 74, 120, 136, 149, 139, 227, 99, 232, 109,
  233, 203, 213, 254, 59, 0, 29, 57, 242, 239, 183, 14, 102, 88, 208, 228, 166, 119, 114, 248, 235, 117, 75, 10,
  49, 68, 80, 180, 143, 237, 31, 26, 219, 153, 141, 51, 159, 17, 131, 20,
];

/* eslint-disable no-bitwise -- a digest */
function md2(input: Buffer): string {
  const padLength = 16 - (input.length % 16);
  const data = Buffer.concat([input, Buffer.alloc(padLength, padLength)]);
  const checksum = Buffer.alloc(16);
  let l = 0;
  for (let i = 0; i < data.length / 16; i++) {
    for (let j = 0; j < 16; j++) {
      checksum[j] ^= MD2_S[data[i * 16 + j] ^ l];
      l = checksum[j];
    }
  }
  const message = Buffer.concat([data, checksum]);
  const x = Buffer.alloc(48);
  for (let i = 0; i < message.length / 16; i++) {
    for (let j = 0; j < 16; j++) {
      x[16 + j] = message[i * 16 + j];
      x[32 + j] = x[16 + j] ^ x[j];
    }
    let t = 0;
    for (let j = 0; j < 18; j++) {
      for (let k = 0; k < 48; k++) {
        x[k] ^= MD2_S[t];
        t = x[k];
      }
      t = (t + j) % 256;
    }
  }
  return x.subarray(0, 16).toString('hex');
}
/* eslint-enable no-bitwise */
