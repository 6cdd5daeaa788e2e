import { compileSql, compileTemplate, parseSql, SqlError, SqlMessage, SqlValue, tokenize } from '../../../local/iot/sql';

const NOW = Date.UTC(2026, 4, 17, 8, 9, 10, 123);

function message(payload: unknown, topic = 'iot-test-topic/dev-1', clientId = 'thing-1'): SqlMessage {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return { topic, clientId, timestamp: NOW, payload: Buffer.from(text), principal: 'abc123', traceId: 'trace-1' };
}

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
    ['SELECT topic(1) AS first, topic(2) AS second, topic(3) AS third FROM \'#\'', {}, { first: 'iot-test-topic', second: 'dev-1' }],
    ['SELECT clientid() AS c, timestamp() AS ts, principal() AS p, accountid() AS a FROM \'#\'', {}, { c: 'thing-1', ts: NOW, p: 'abc123', a: '000000000000' }],
    ['SELECT t + 1 AS a, t - 1 AS b, t * 2 AS c, t / 4 AS d, t % 3 AS e, -t AS f FROM \'#\'', { t: 10 }, { a: 11, b: 9, c: 20, d: 2.5, e: 1, f: -10 }],
    ['SELECT (1 + 2) * 3 AS p, 1 + 2 * 3 AS q FROM \'#\'', {}, { p: 9, q: 7 }],
    ['SELECT \'a\' + \'b\' AS s, "dq" AS d, \'it\'\'s\' AS q FROM \'#\'', {}, { s: 'ab', d: 'dq', q: 'it\'s' }],
    ['SELECT true AS t, false AS f, null AS n, 1.5e2 AS e FROM \'#\'', {}, { t: true, f: false, n: null, e: 150 }],
    ['SELECT t / 0 AS div, missing + 1 AS m, \'x\' * 2 AS bad FROM \'#\'', { t: 1 }, {}],
    ['SELECT lower(s) AS l, upper(s) AS u, concat(s, \'-\', 1) AS c, abs(n) AS a, round(1.6) AS r FROM \'#\'', { s: 'Ab', n: -2 }, { l: 'ab', u: 'AB', c: 'Ab-1', a: 2, r: 2 }],
    ['SELECT parse_time(\'yyyy-MM-dd HH:mm:ss.SSS\', timestamp()) AS t FROM \'#\'', {}, { t: '2026-05-17 08:09:10.123' }],
    ['SELECT parse_time("yyyy/MM/dd/HH", 0, "UTC") AS t FROM \'#\'', {}, { t: '1970/01/01/00' }],
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

  test('GIVEN newuuid() WHEN evaluated twice THEN two different UUIDs', () => {
    const statement = compileSql('SELECT newuuid() AS id FROM \'#\'');
    const a = statement.evaluate(message({}));
    const b = statement.evaluate(message({}));
    expect(a).not.toEqual(b);
    expect((a as unknown as { value: { id: string } }).value.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
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
    ['temp = \'12\'', { temp: 12 }, true],
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

describe('IoT SQL: FROM', () => {
  test.each<[string, string, boolean]>([
    ['iot-test-topic/+', 'iot-test-topic/dev-1', true],
    ['iot-test-topic/+', 'iot-test-topic', false],
    ['iot-test-topic/+', 'iot-test-topic/a/b', false],
    ['iot-test-topic/#', 'iot-test-topic', true],
    ['iot-test-topic/#', 'iot-test-topic/a/b', true],
    ['+/status', 'x/status', true],
    ['#', '$aws/things/x', false],
  ])('GIVEN FROM \'%s\' WHEN compiled THEN the filter is kept for matching (%s matches: %s)', (filter, topic, matches) => {
    const statement = compileSql(`SELECT * FROM '${filter}'`);
    expect(statement.from).toBe(filter);
    // matching itself is MQTT matching (lambda/cli/topic-filter.ts), checked end to end in the runner tests
    const { topicMatches } = jest.requireActual('../../../local/iot/topic-filter');
    expect(topicMatches(statement.from, topic)).toBe(matches);
  });
});

describe('IoT SQL: what the local runner refuses at start', () => {
  test.each<[string, RegExp]>([
    ['SELECT * FROM \'a/#\' WHERE a IN (1, 2)', /IN operator .*not supported/],
    ['SELECT CASE a WHEN 1 THEN 2 END FROM \'a\'', /CASE keyword .*not supported/],
    ['SELECT encode(*, \'base64\') FROM \'a\'', /"\*" as an argument of encode\(\)/],
    ['SELECT get_thing_shadow(\'x\', \'role\') AS s FROM \'a\'', /function get_thing_shadow\(\) .*not supported/],
    ['SELECT * FROM \'a/#/b\'', /# must be/],
    ['SELECT * FROM a', /quoted topic filter after FROM/],
    ['SELECT * FROM \'a\' WHERE', /expected an expression/],
    ['SELECT a AS FROM \'a\'', /a name after AS/],
    ['SELECT * FROM \'a\' WHERE a = 1 = 2', /cannot be chained/],
    ['SELECT \'open FROM \'a\'', /unterminated string/],
    ['SELECT a FROM \'x\' trailing', /expected the end of the statement/],
    ['SET @a = 1 SELECT * FROM \'a\'', /SET clause/],
    ['SELECT * FROM \'a\' WHERE a IS NULL', /IS operator/],
    ['SELECT topic(1, 2, 3) FROM \'a\'', /topic\(\) takes 0 to 1 argument/],
    ['SELECT (SELECT a FROM b) FROM \'a\'', /nested SELECT/],
    ['SELECT 1abc FROM \'a\'', /invalid number/],
    ['SELECT a # b FROM \'a\'', /unexpected character "#"/],
  ])('GIVEN %s WHEN compiled THEN SqlError matching %s', (sql, expected) => {
    expect(() => compileSql(sql)).toThrow(SqlError);
    expect(() => compileSql(sql)).toThrow(expected);
  });

  test('GIVEN a statement WHEN tokenized THEN strings, numbers, names and operators are separate tokens with positions', () => {
    const tokens = tokenize('SELECT a.b AS x FROM \'t/+\' WHERE n >= 1.5');
    expect(tokens.map((t) => `${t.kind}:${t.text}`)).toEqual([
      'ident:SELECT', 'ident:a', 'op:.', 'ident:b', 'ident:AS', 'ident:x', 'ident:FROM', 'string:\'t/+\'', 'ident:WHERE', 'ident:n', 'op:>=', 'number:1.5', 'eof:',
    ]);
    expect(tokens[7].pos).toBe(21);
  });

  test('GIVEN keywords in any case WHEN parsed THEN they are keywords', () => {
    expect(parseSql('select a as b from \'x\' where c and not d or e').from).toBe('x');
  });
});

describe('substitution templates', () => {
  test.each<[string, string]>([
    ['iot-rule-errors/${parse_time("yyyy/MM/dd/HH", timestamp(), "UTC")}/x.json', 'iot-rule-errors/2026/05/17/08/x.json'],
    ['${topic()}/${topic(2)}/${clientid()}', 'iot-test-topic/dev-1/iot-test-topic/dev-1/thing-1'.replace('iot-test-topic/dev-1/iot-test-topic/', 'iot-test-topic/dev-1/')],
    ['plain/key.json', 'plain/key.json'],
    ['${missing}-${temp}', '-21.5'],
    ['${parse_time(\'yyyy-MM-dd\', timestamp(), \'America/New_York\')}', '2026-05-17'],
    ['${obj}', '{"a":1}'],
  ])('GIVEN the template %s WHEN rendered THEN %s', (template, expected) => {
    expect(compileTemplate(template).render(message({ temp: 21.5, obj: { a: 1 } }))).toBe(expected);
  });

  test('GIVEN ${newuuid()} WHEN rendered THEN a UUID', () => {
    expect(compileTemplate('k/${newuuid()}.json').render(message({}))).toMatch(/^k\/[0-9a-f-]{36}\.json$/);
  });

  test('GIVEN an unclosed ${ or an unsupported function WHEN compiled THEN SqlError', () => {
    expect(() => compileTemplate('a/${topic()')).toThrow(/unclosed/);
    expect(() => compileTemplate('a/${aws_lambda("arn", *)}')).toThrow(SqlError);
  });
});
