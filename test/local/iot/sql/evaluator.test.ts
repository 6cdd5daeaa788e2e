/** IoT SQL semantics: SELECT and WHERE evaluated against messages (pure: no I/O). */
import { message, NOW } from './message';
import { compileSql, SqlValue } from '../../../../local/iot/sql';

function select(sql: string, payload: unknown, topic?: string): SqlValue | 'skip' | Buffer {
  const result = compileSql(sql).evaluate(message(payload, topic));
  if (result.kind === 'skip') return 'skip';
  if (result.kind === 'raw') return result.payload;
  return result.value;
}

describe('IoT SQL: SELECT', () => {
  test.each<[string, unknown, SqlValue | 'skip']>([
    ['SELECT topic() as topic, * FROM \'iot-test-topic/+\'', { t: 21.5 }, { topic: 'iot-test-topic/dev-1', t: 21.5 }],
    ['SELECT * FROM \'iot-test-topic/+\'', { a: 1, b: 'x' }, { a: 1, b: 'x' }],
    ['SELECT a AS x, b FROM \'#\'', { a: 1, b: 2, c: 3 }, { x: 1, b: 2 }],
    ['SELECT a.b.c AS deep, a.b FROM \'#\'', { a: { b: { c: 7 } } }, { deep: 7, b: { c: 7 } }],
    ['SELECT arr[1] AS second, arr[5] AS missing FROM \'#\'', { arr: [10, 20, 30] }, { second: 20 }],
    // Int / Int is an Int (the / operator's table); a Decimal operand gives a Decimal
    ['SELECT t + 1 AS a, t - 1 AS b, t * 2 AS c, t / 4 AS d, t % 3 AS e, -t AS f, t / 4.0 AS g, 2.5 * t AS h FROM \'#\'', { t: 10 }, { a: 11, b: 9, c: 20, d: 2, e: 1, f: -10, g: 2, h: 25 }],
    ['SELECT t / 4 AS d FROM \'#\'', { t: 10.5 }, { d: 2.625 }],
    ['SELECT (1 + 2) * 3 AS p, 1 + 2 * 3 AS q FROM \'#\'', {}, { p: 9, q: 7 }],
    ['SELECT \'a\' + \'b\' AS s, "dq" AS d, \'it\'\'s\' AS q, \'n=\' + 1.5 AS c FROM \'#\'', {}, { s: 'ab', d: 'dq', q: 'it\'s', c: 'n=1.5' }],
    ['SELECT true AS t, false AS f, null AS n, 1.5e2 AS e FROM \'#\'', {}, { t: true, f: false, n: null, e: 150 }],
    ['SELECT t / 0 AS div, missing + 1 AS m, \'x\' * 2 AS bad FROM \'#\'', { t: 1 }, {}],
    ['SELECT `odd-name` AS o FROM \'#\'', { 'odd-name': 5 }, { o: 5 }],
    ['SELECT {\'lat\': a, \'missing\': z} AS o, [a, z, 2] AS arr FROM \'#\'', { a: 1 }, { o: { lat: 1 }, arr: [1, 2] }],
    ['SELECT temp, status FROM \'#\'', { temp: 3, status: 'ok' }, { temp: 3, status: 'ok' }],
    ['SELECT timestamp(), topic() FROM \'#\'', {}, { timestamp: NOW, topic: 'iot-test-topic/dev-1' }],
    ['SELECT 1 + 1 FROM \'#\'', {}, { _1: 2 }],
  ])('GIVEN %s and payload %j WHEN evaluated THEN the result is %j', (sql, payload, expected) => {
    expect(select(sql, payload)).toEqual(expected);
  });

  test('GIVEN SELECT topic() as topic, * WHEN evaluated THEN the topic comes first, like the construct\'s rule output', () => {
    const out = select('SELECT topic() as topic, * FROM \'iot-test-topic/+\'', { seq: 1 });
    expect(JSON.stringify(out)).toBe('{"topic":"iot-test-topic/dev-1","seq":1}');
  });

  test('GIVEN SELECT * and a payload that is not JSON WHEN evaluated THEN the raw payload passes through (binary payloads)', () => {
    const out = select('SELECT * FROM \'#\'', 'not json \u0001');
    expect(Buffer.isBuffer(out)).toBe(true);
    expect((out as Buffer).toString()).toBe('not json \u0001');
  });

  test('GIVEN * with other items and a payload that is not a JSON object WHEN evaluated THEN it is a rule evaluation error', () => {
    expect(() => select('SELECT topic() as topic, * FROM \'#\'', 'plain text')).toThrow(/not a JSON object/);
    expect(() => select('SELECT topic() as topic, * FROM \'#\'', [1, 2])).toThrow(/not a JSON object/);
  });
});

describe('IoT SQL: WHERE', () => {
  test.each<[string, unknown, boolean]>([
    ['temp > 10', { temp: 11 }, true],
    ['temp > 10', { temp: 10 }, false],
    ['temp >= 10 AND temp <= 20', { temp: 10 }, true],
    ['temp < 0 OR temp > 100', { temp: 50 }, false],
    ['NOT (temp = 5)', { temp: 6 }, true],
    ['status = \'ok\'', { status: 'ok' }, true],
    ['status <> \'ok\'', { status: 'ok' }, false],
    ['status != \'ok\'', { status: 'warn' }, true],
    ['temp = \'12\'', { temp: 12 }, false], // the = operator: mismatched types are false
    ['temp = 12.0', { temp: 12 }, true],
    ['temp > \'9\'', { temp: 12 }, true],
    ['flag', { flag: true }, true],
    ['flag', { flag: 'TRUE' }, true],
    ['flag AND other', { flag: true, other: 'false' }, false],
    ['missing > 1', {}, false],
    ['NOT missing', {}, false],
    ['NOT (missing = 1)', {}, false],
    ['topic(2) = \'dev-1\'', {}, true],
    ['clientid() = \'thing-1\' AND (a.b = 1 OR a.c = 2)', { a: { b: 0, c: 2 } }, true],
    // AWS IoT SQL: Undefined OR true is Undefined (the OR table's "other value" row), so the actions do not run
    ['clientid() = \'thing-1\' AND (a.b = 1 OR a.c = 2)', { a: { c: 2 } }, false],
    ['obj = obj2', { obj: { x: [1, 2] }, obj2: { x: [1, 2] } }, true],
    ['temp % 2 = 0', { temp: 4 }, true],
  ])('GIVEN WHERE %s and payload %j WHEN evaluated THEN the actions run: %s', (where, payload, runs) => {
    const out = select(`SELECT * FROM 'iot-test-topic/+' WHERE ${where}`, payload);
    expect(out !== 'skip').toBe(runs);
  });
});

