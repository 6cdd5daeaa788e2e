/** The IoT SQL function table: each function's result, Undefined handling and arity (pure: no I/O). */
import { message, NOW } from './message';
import { compileSql, EXTERNAL_FUNCTIONS, resolveFunction, SqlError, SqlValue, SUPPORTED_FUNCTIONS } from '../../../../local/iot/sql';

function select(sql: string, payload: unknown): SqlValue | 'skip' | Buffer {
  const result = compileSql(sql).evaluate(message(payload));
  if (result.kind === 'skip') return 'skip';
  if (result.kind === 'raw') return result.payload;
  return result.value;
}

describe('IoT SQL functions', () => {
  test.each<[string, unknown, SqlValue]>([
    ['SELECT topic(1) AS first, topic(2) AS second, topic(3) AS third, topic(0) AS zero, topic(missing) AS m FROM \'#\'', {}, { first: 'iot-test-topic', second: 'dev-1' }],
    ['SELECT clientid() AS c, timestamp() AS ts, principal() AS p, accountid() AS a, traceid() AS t FROM \'#\'', {}, { c: 'thing-1', ts: NOW, p: 'abc123', a: '000000000000', t: 'trace-1' }],
    ['SELECT lower(s) AS l, upper(s) AS u, concat(s, \'-\', 1) AS c, abs(n) AS a, round(1.6) AS r FROM \'#\'', { s: 'Ab', n: -2 }, { l: 'ab', u: 'AB', c: 'Ab-1', a: 2, r: 2 }],
    ['SELECT floor(-1.5) AS f, ceil(1.2) AS c, abs(\'-3\') AS s, abs(\'x\') AS bad FROM \'#\'', {}, { f: -2, c: 2, s: 3 }],
    ['SELECT lower(1) AS l, concat(s, missing) AS c, concat(a, b) AS arr, concat(o) AS obj FROM \'#\'', { s: 'x', a: [1], b: [2, 3], o: { k: 1 } }, { l: '1', arr: [1, 2, 3], obj: '{"k":1}' }],
    ['SELECT isundefined(missing) AS u, isundefined(s) AS d, isnull(n) AS n, isnull(missing) AS m FROM \'#\'', { s: 'x', n: null }, { u: true, d: false, n: true, m: false }],
    ['SELECT parse_time(\'yyyy-MM-dd HH:mm:ss.SSS\', timestamp()) AS t FROM \'#\'', {}, { t: '2026-05-17 08:09:10.123' }],
    ['SELECT parse_time("yyyy/MM/dd/HH", 0, "UTC") AS t FROM \'#\'', {}, { t: '1970/01/01/00' }],
    // the era written in beside quoted text: one literal "ADat", not "AD'at" (two quoted runs side by side)
    ['SELECT parse_time("G\'at\'yyyy", 0) AS t FROM \'#\'', {}, { t: 'ADat1970' }],
    ['SELECT parse_time(\'HH\', 0, \'Asia/Tokyo\') AS t, parse_time(\'qq\', 0) AS bad, parse_time(\'HH\', \'x\') AS nan FROM \'#\'', {}, { t: '09' }],
  ])('GIVEN %s and payload %j WHEN evaluated THEN %j', (sql, payload, expected) => {
    expect(select(sql, payload)).toEqual(expected);
  });

  test('GIVEN newuuid() WHEN evaluated twice THEN two different v4 UUIDs', () => {
    const statement = compileSql('SELECT newuuid() AS id FROM \'#\'');
    const a = statement.evaluate(message({}));
    const b = statement.evaluate(message({}));
    expect(a).not.toEqual(b);
    expect((a as unknown as { value: { id: string } }).value.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('GIVEN traceid() on a message without a trace id WHEN evaluated twice THEN one id, kept on the message for the error action', () => {
    const m = { ...message({}), traceId: undefined };
    const statement = compileSql('SELECT traceid() AS t FROM \'#\'');
    const first = statement.evaluate(m);
    expect(statement.evaluate(m)).toEqual(first);
    expect(first).toEqual({ kind: 'json', value: { t: m.traceId } });
    expect(m.traceId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('IoT SQL function table', () => {
  test('GIVEN the table WHEN listed THEN it holds every function of the reference that calls no other service', () => {
    expect([...SUPPORTED_FUNCTIONS].sort()).toEqual([
      'abs', 'accountid', 'acos', 'asin', 'atan', 'atan2', 'bitand', 'bitnot', 'bitor', 'bitxor', 'cast', 'ceil', 'chr', 'clientid', 'concat',
      'cos', 'cosh', 'decode', 'encode', 'endswith', 'exp', 'floor', 'get', 'get_mqtt_property', 'get_or_default', 'get_user_properties',
      'indexof', 'isnull', 'isundefined', 'length', 'ln', 'log', 'lower', 'lpad', 'ltrim', 'md2', 'md5', 'mod', 'nanvl', 'newuuid', 'numbytes',
      'parse_time', 'power', 'principal', 'rand', 'regexp_matches', 'regexp_replace', 'regexp_substr', 'remainder', 'replace', 'round', 'rpad',
      'rtrim', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sign', 'sin', 'sinh', 'sourceip', 'sql_version', 'sqrt', 'startswith',
      'substring', 'tan', 'tanh', 'time_to_epoch', 'timestamp', 'topic', 'traceid', 'transform', 'trim', 'trunc', 'upper',
    ]);
    expect([...EXTERNAL_FUNCTIONS.keys()].sort()).toEqual(['aws_lambda', 'get_dynamodb', 'get_registry_data', 'get_secret', 'get_thing_shadow', 'machinelearning_predict']);
  });

  test.each<[string, number, RegExp]>([
    ['get_thing_shadow', 2, /get_thing_shadow\(\) \(column 5\) calls the AWS IoT Device Shadow service, which the local runner does not emulate/],
    ['tostring', 0, /function tostring\(\) \(column 5\) is not in the AWS IoT SQL reference/],
    ['constructor', 0, /function constructor\(\) .*not in the AWS IoT SQL reference/],
    ['topic', 2, /topic\(\) takes 0 to 1 argument\(s\), got 2 \(column 5\)/],
    ['clientid', 1, /clientid\(\) takes 0 argument\(s\), got 1/],
    ['substring', 1, /substring\(\) takes 2 to 3 argument\(s\), got 1/],
  ])('GIVEN %s() with %d argument(s) WHEN resolved THEN SqlError %s', (name, count, expected) => {
    expect(() => resolveFunction(name, count, 4)).toThrow(SqlError);
    expect(() => resolveFunction(name, count, 4)).toThrow(expected);
  });

  test('GIVEN a known name in upper case WHEN resolved THEN the function', () => {
    expect(resolveFunction('UPPER', 1, 0).evaluate(['a'], message({}))).toBe('A');
  });

  test('GIVEN functions given values of the wrong type WHEN evaluated THEN Undefined (the reference\'s "Other value" rows)', () => {
    const out = select('SELECT abs(true) AS a, sqrt(-1) AS b, chr(200) AS c, lpad(\'x\', \'y\') AS d, substring(null, 1) AS e, md5(null) AS f, '
      + 'regexp_matches(\'a\', \'(\') AS g, startswith(missing, \'a\') AS h, acos(2) AS i, mod(1, 0) AS j, ln(0) AS k FROM \'#\'', {});
    expect(out).toEqual({});
  });
});
