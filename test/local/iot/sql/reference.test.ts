/**
 * The AWS IoT SQL reference's own examples, input → output as documented, each with the page (and anchor) it comes
 * from (pure: no I/O). Where the reference contradicts itself, the case says which statement the runner follows.
 */
import { message, NOW } from './message';
import { compileSql, SqlMessage, SqlValue } from '../../../../local/iot/sql';

const FUNCTIONS = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html';

/** Evaluates `SELECT <expr> AS r` against a payload; the value of r (undefined when the item was left out). */
function value(expr: string, payload: unknown = {}, m: Partial<SqlMessage> = {}): SqlValue {
  const result = compileSql(`SELECT ${expr} AS r FROM '#'`).evaluate({ ...message(payload), ...m });
  if (result.kind !== 'json') throw new Error(`unexpected ${result.kind}`);
  return (result.value as { r?: SqlValue }).r;
}

function select(sql: string, payload: unknown, m: Partial<SqlMessage> = {}): SqlValue | 'skip' {
  const result = compileSql(sql).evaluate({ ...message(payload), ...m });
  if (result.kind === 'skip') return 'skip';
  if (result.kind === 'raw') throw new Error('raw');
  return result.value;
}

describe('IoT SQL functions: the examples of the reference', () => {
  // Each row: [anchor on the functions page, expression, expected result (undefined = Undefined)]
  test.each<[string, string, SqlValue]>([
    ['iot-func-abs', 'abs(-5)', 5],
    ['iot-func-acos', 'acos(0)', 1.5707963267948966],
    ['iot-func-asin', 'asin(0)', 0],
    ['iot-func-atan', 'atan(0)', 0],
    ['iot-func-atan2', 'atan2(1, 0)', 1.5707963267948966],
    ['iot-func-bitand', 'bitand(13, 5)', 5],
    ['iot-func-bitor', 'bitor(8, 5)', 13],
    // the page's bitxor example is written "bitor(13, 5) = 8"; 13 XOR 5 is 8
    ['iot-func-xbitor', 'bitxor(13, 5)', 8],
    // the page says bitnot(13) = 2; its table says "a bitwise NOT of the argument" of an Int (64-bit): ~13 = -14, which the runner follows
    ['iot-func-bitnot', 'bitnot(13)', -14],
    ['iot-sql-function-cast', 'cast(true as Int)', 1],
    ['iot-func-ceil', 'ceil(1.2)', 2],
    ['iot-func-ceil', 'ceil(-1.2)', -1],
    ['iot-func-chr', 'chr(65)', 'A'],
    ['iot-func-chr', 'chr(49)', '1'],
    ['iot-func-concat', 'concat()', undefined],
    ['iot-func-concat', 'concat(1)', '1'],
    ['iot-func-concat', 'concat([1, 2, 3], 4)', [1, 2, 3, 4]],
    ['iot-func-concat', 'concat([1, 2, 3], "hello")', [1, 2, 3, 'hello']],
    ['iot-func-concat', 'concat("con", "cat")', 'concat'],
    ['iot-func-concat', 'concat(1, "hello")', '1hello'],
    ['iot-func-concat', 'concat("he","is","man")', 'heisman'],
    ['iot-func-concat', 'concat([1, 2, 3], "hello", [4, 5, 6])', [1, 2, 3, 'hello', 4, 5, 6]],
    ['iot-func-cos', 'cos(0)', 1],
    ['iot-func-cosh', 'cosh(2.3)', 5.037220649268761],
    ['iot-func-endswith', 'endswith("cat","at")', true],
    ['iot-func-exp', 'exp(1)', Math.E],
    ['iot-func-floor', 'floor(1.2)', 1],
    ['iot-func-floor', 'floor(-1.2)', -2],
    ['iot-sql-function-get', 'get(["a", "b", "c"], 1)', 'b'],
    ['iot-sql-function-get', 'get({"a":"b"}, "a")', 'b'],
    // the page says get("abc", 1) = "a"; its table says "the character at the 0-based index", which the runner follows
    ['iot-sql-function-get', 'get("abc", 1)', 'b'],
    ['iot-sql-function-hash', 'md2("hello")', 'a9046c73e00331af68917d3804f70655'],
    ['iot-sql-function-hash', 'md5("hello")', '5d41402abc4b2a76b9719d911017c592'],
    // the page gives examples for md2 and md5 only; the others are the standard digests of "hello", lower-case hex
    ['iot-sql-function-hash', 'sha1("hello")', 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'],
    ['iot-sql-function-hash', 'sha224("hello")', 'ea09ae9cc6768c50fcee903ed054556e5bfc8347907f12598aa24193'],
    ['iot-sql-function-hash', 'sha256("hello")', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
    ['iot-sql-function-hash', 'sha384("hello")', '59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f'],
    ['iot-sql-function-hash', 'sha512("hello")', '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043'],
    ['iot-sql-function-hash', 'md5(12)', 'c20ad4d76fe97759aa27a0c99bff6710'], // "standard string conversions apply to non-string arguments": md5("12")
    ['iot-sql-function-indexof', 'indexof("abcd", "bc")', 1],
    ['iot-sql-function-isNull', 'isNull(5)', false],
    ['iot-sql-function-isNull', 'isNull(Null)', true],
    ['iot-sql-function-isUndefined', 'isUndefined(5)', false],
    ['iot-sql-function-isUndefined', 'isUndefined(floor([1,2,3]))', true],
    ['iot-sql-function-length', 'length("hi")', 2],
    ['iot-sql-function-length', 'length(false)', 5],
    ['iot-func-nln', 'ln(2.718281828459045)', 1],
    ['iot-func-log', 'log(100)', 2],
    ['iot-func-lower', 'lower("HELLO")', 'hello'],
    ['iot-func-lower', 'lower(["HELLO"])', '["hello"]'],
    ['iot-func-lpad', 'lpad("hello", 2)', '  hello'],
    ['iot-func-lpad', 'lpad(1, 3)', '   1'],
    ['iot-func-ltrim', 'Ltrim(" h i ")', 'h i '],
    ['iot-func-mod', 'mod(8, 3)', 2],
    ['iot-func-nanvl', 'Nanvl(8, 3)', 8],
    ['iot-sql-function-numbytes', 'numbytes("hi")', 2],
    ['iot-sql-function-numbytes', 'numbytes("€")', 3],
    ['iot-sql-function-parse-time', 'parse_time("yyyy.MM.dd G \'at\' HH:mm:ss z", 100000000, \'America/Belize\' )', '1970.01.01 AD at 21:46:40 CST'],
    ['iot-sql-function-parse-time', 'parse_time(\'yyyy\', timestamp(), \'UTC\')', '2026'],
    ['iot-func-power', 'power(2, 5)', 32],
    ['iot-func-regex-matches', 'regexp_matches("aaaa", "a{2,}")', true],
    ['iot-func-regex-matches', 'regexp_matches("aaaa", "b")', false],
    ['iot-func-regex-replace', 'regexp_replace("abcd", "bc", "x")', 'axd'],
    ['iot-func-regex-replace', 'regexp_replace("abcd", "b(.*)d", "$1")', 'ac'],
    ['iot-func-regex-substr', 'regexp_substr("hihihello", "hi")', 'hi'],
    ['iot-func-regex-substr', 'regexp_substr("hihihello", "(hi)*")', 'hihi'],
    ['iot-func-remainder', 'remainder(8, 3)', 2],
    ['iot-func-replace', 'replace("abcd", "bc", "x")', 'axd'],
    ['iot-func-replace', 'replace("abcdabcd", "b", "x")', 'axcdaxcd'],
    ['iot-func-rpad', 'rpad("hello", 2)', 'hello  '],
    ['iot-func-rpad', 'rpad(1, 3)', '1   '],
    ['iot-func-round', 'Round(1.2)', 1],
    ['iot-func-round', 'Round(1.5)', 2],
    ['iot-func-round', 'Round(1.7)', 2],
    ['iot-func-round', 'Round(-1.1)', -1],
    ['iot-func-round', 'Round(-1.5)', -2],
    ['iot-func-rtrim', 'rtrim(" h i ")', ' h i'],
    ['iot-func-sign', 'sign(-7)', -1],
    ['iot-func-sign', 'sign(0)', 0],
    ['iot-func-sign', 'sign(13)', 1],
    ['iot-func-sin', 'sin(0)', 0],
    ['iot-func-sinh', 'sinh(2.3)', 4.936961805545957],
    ['iot-func-substring', 'substring("012345", 0)', '012345'],
    ['iot-func-substring', 'substring("012345", 2)', '2345'],
    ['iot-func-substring', 'substring("012345", 2.745)', '2345'],
    ['iot-func-substring', 'substring(123, 2)', '3'],
    ['iot-func-substring', 'substring("012345", -1)', '012345'],
    ['iot-func-substring', 'substring(true, 1.2)', 'rue'],
    ['iot-func-substring', 'substring(false, -2.411E247)', 'false'],
    ['iot-func-substring', 'substring("012345", 1, 3)', '12'],
    ['iot-func-substring', 'substring("012345", -50, 50)', '012345'],
    ['iot-func-substring', 'substring("012345", 3, 1)', ''],
    ['iot-sql-function-sql-version', 'sql_version()', '2016-03-23'],
    ['iot-func-sqrt', 'sqrt(9)', 3],
    ['iot-func-startswith', 'startswith("ranger","ran")', true],
    ['iot-func-tan', 'tan(3)', -0.1425465430742778],
    ['iot-func-tanh', 'tanh(2.3)', 0.9800963962661914],
    ['iot-sql-function-time-to-epoch', 'time_to_epoch("2020-04-03 09:45:18 UTC+01:00", "yyyy-MM-dd HH:mm:ss VV")', 1585903518000],
    ['iot-sql-function-time-to-epoch', 'time_to_epoch("18 December 2015", "dd MMMM yyyy")', 1450396800000],
    ['iot-sql-function-time-to-epoch', 'time_to_epoch("2007-12-03 10:15:30.592 America/Los_Angeles", "yyyy-MM-dd HH:mm:ss.SSS z")', 1196705730592],
    ['iot-func-trim', 'Trim(" hi ")', 'hi'],
    ['iot-func-trunc', 'trunc(2.3, 0)', 2],
    ['iot-func-trunc', 'trunc(2.3123, 2)', 2.31],
    ['iot-func-trunc', 'trunc(2.888, 2)', 2.88],
    ['iot-func-trunc', 'trunc(2.00, 5)', 2],
    ['iot-sql-function-upper', 'upper("hello")', 'HELLO'],
    ['iot-sql-function-upper', 'upper(["hello"])', '["HELLO"]'],
  ])(`${FUNCTIONS}#%s: %s = %j`, (_anchor, expr, expected) => {
    expect(value(expr)).toEqual(expected);
  });

  test(`${FUNCTIONS}#iot-sql-decode-base64: decode(encoded_temp,"base64").temperature AS temp = 33`, () => {
    expect(select('SELECT decode(encoded_temp,"base64").temperature AS temp from \'topic/subtopic\'', { encoded_temp: 'eyAidGVtcGVyYXR1cmUiOiAzMyB9Cg==' })).toEqual({ temp: 33 });
  });

  test(`${FUNCTIONS}#iot-sql-encode-payload: encode(*, 'base64') is the payload's bytes, encode(value, 'base64') the value converted to a String`, () => {
    expect(value('encode(*, \'base64\')', { a: 1 })).toBe(Buffer.from('{"a":1}').toString('base64'));
    expect(value('encode(\'hello\', \'base64\')')).toBe('aGVsbG8=');
    expect(value('encode(a, \'base64\')', { a: 1.5 })).toBe(Buffer.from('1.5').toString('base64'));
  });

  test(`${FUNCTIONS}#iot-sql-function-accountid / clientid / principal / timestamp / traceid / topic / newuuid / rand / sourceip`, () => {
    const m = { accountId: '123456789012', sourceIp: '203.0.113.5' };
    expect(value('accountid()', {}, m)).toBe('123456789012');
    expect(value('clientid()')).toBe('thing-1');
    expect(value('principal()')).toBe('abc123');
    expect(value('timestamp()')).toBe(NOW);
    expect(value('traceid()')).toBe('trace-1');
    expect(value('sourceip()', {}, m)).toBe('203.0.113.5');
    expect(select('SELECT topic() AS a, topic(1) AS b FROM \'#\'', {}, { topic: 'things/myThings/thingOne' })).toEqual({ a: 'things/myThings/thingOne', b: 'things' });
    expect(value('newuuid()')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const r = value('rand()') as number;
    expect(r >= 0 && r < 1).toBe(true);
  });

  test(`${FUNCTIONS}#iot-func-transform: the three examples`, () => {
    const payload = { attributes: { data1: 1, data2: 2 }, values: [{ a: 3 }, { b: 4 }, { c: 5 }] };
    expect(select('select value transform("enrichArray", attributes, values) from \'A/B\'', payload)).toEqual([
      { a: 3, data1: 1, data2: 2 }, { b: 4, data1: 1, data2: 2 }, { c: 5, data1: 1, data2: 2 },
    ]);
    expect(select('select value transform("enrichArray", {"key": attributes.data1}, values) from \'A/B\'', payload)).toEqual([
      { a: 3, key: 1 }, { b: 4, key: 1 }, { c: 5, key: 1 },
    ]);
    const nested = {
      data1: 'example',
      data2: {
        a: 'first attribute',
        b: 'second attribute',
        c: [{ x: { someInt: 5, someString: 'hello' }, y: true }, { x: { someInt: 10, someString: 'world' }, y: false }],
      },
    };
    expect(select('select value transform(\'enrichArray\', (select a, b from data2), (select value c from data2)) from \'A/B\'', nested)).toEqual([
      { x: { someInt: 5, someString: 'hello' }, y: true, a: 'first attribute', b: 'second attribute' },
      { x: { someInt: 10, someString: 'world' }, y: false, a: 'first attribute', b: 'second attribute' },
    ]);
  });
});

describe('IoT SQL cast(): the reference\'s tables', () => {
  // https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html#iot-sql-function-cast
  test.each<[string, SqlValue]>([
    ['cast(true as Int)', 1],
    ['cast(false as Integer)', 0],
    ['cast(2.7 as Int)', 2],
    ['cast(-2.7 as Int)', -3],
    ['cast("5E-12" as Decimal)', 5e-12],
    ['cast("-1.2" as Double)', -1.2],
    ['cast("x" as Int)', undefined],
    ['cast("+1" as Int)', undefined], // the reference's pattern has no "+"
    ['cast(null as Int)', undefined],
    ['cast(0 as Boolean)', false],
    ['cast(0.5 as Bool)', true],
    ['cast("TRUE" as Boolean)', true],
    ['cast("yes" as Boolean)', undefined],
    ['cast(12 as String)', '12'],
    ['cast(true as varchar)', 'true'],
    ['cast([1, "a", null] as Text)', '[1,"a",null]'],
    ['cast({"k": 1} as Nvarchar)', '{"k":1}'],
    ['cast(null as String)', undefined],
  ])('%s = %j', (expr, expected) => {
    expect(value(expr)).toEqual(expected);
  });

  test('GIVEN a type the reference does not list WHEN compiled THEN SqlError naming the types', () => {
    expect(() => compileSql('SELECT cast(a AS Float) FROM \'#\'')).toThrow(/the type must be one of String, .*Boolean/);
  });
});

describe('IoT SQL get_or_default, get_mqtt_property, get_user_properties (MQTT 5)', () => {
  const mqtt = {
    contentType: 'application/json',
    payloadFormatIndicator: true,
    responseTopic: 'reply/to',
    correlationData: Buffer.from('abc'),
    userProperties: [['site', 'berlin'], ['tag', 'a'], ['tag', 'b']] as Array<[string, string]>,
  };

  test(`${FUNCTIONS}#iot-sql-function-get-or-default: the default when the expression is Undefined, else its value (Null included)`, () => {
    expect(value('get_or_default(missing, \'none\')')).toBe('none');
    expect(value('get_or_default(a, \'none\')', { a: 0 })).toBe(0);
    expect(value('get_or_default(a, \'none\')', { a: null })).toBe(null);
    expect(value('get_or_default(floor(\'x\'), -1)')).toBe(-1);
  });

  test(`${FUNCTIONS}#iot-sql-function-get-mqtt-property: content_type, format_indicator, response_topic, correlation_data (base64)`, () => {
    expect(select(
      'SELECT get_mqtt_property(\'content_type\') AS ct, get_mqtt_property(\'format_indicator\') AS fi, get_mqtt_property(\'response_topic\') AS rt, get_mqtt_property(\'correlation_data\') AS cd, get_mqtt_property(\'other\') AS o FROM \'#\'',
      {}, { mqtt },
    )).toEqual({ ct: 'application/json', fi: 'UTF8_DATA', rt: 'reply/to', cd: 'YWJj' });
    expect(value('get_mqtt_property(\'format_indicator\')', {}, { mqtt: { payloadFormatIndicator: false } })).toBe('UNSPECIFIED_BYTES');
    expect(value('get_mqtt_property(\'content_type\')')).toBeUndefined(); // MQTT 3.1.1: no properties
  });

  test(`${FUNCTIONS}#iot-sql-function-get-user-properties: the values of a user property, in order; Undefined when absent`, () => {
    expect(value('get_user_properties(\'site\')', {}, { mqtt })).toEqual(['berlin']);
    expect(value('get_user_properties(\'tag\')', {}, { mqtt })).toEqual(['a', 'b']);
    expect(value('get_user_properties(\'none\')', {}, { mqtt })).toBeUndefined();
    expect(value('get_user_properties(\'site\')')).toBeUndefined();
  });
});

describe('IoT SQL statements: the examples of the other reference pages', () => {
  test('https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-case.html: CASE color WHEN … ELSE … END', () => {
    const sql = `SELECT CASE color
        WHEN 'green' THEN 'go'
        WHEN 'yellow' THEN 'caution'
        WHEN 'red' THEN 'stop'
        ELSE 'you are not at a stop light' END as instructions
    FROM 'topic/subtopic'`;
    expect(select(sql, { color: 'yellow' })).toEqual({ instructions: 'caution' });
    expect(select(sql, { color: 'blue' })).toEqual({ instructions: 'you are not at a stop light' });
    expect(select(sql, {})).toEqual({}); // "If v is Undefined, the result of the case statement is Undefined"
    expect(select('SELECT CASE a WHEN 1 THEN \'one\' END AS r FROM \'#\'', { a: 2 })).toEqual({}); // no match, no ELSE: Undefined
  });

  test('https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-literals.html: object and array literals', () => {
    expect(select('SELECT {\'latitude\': get(lat_long, 0),\'longitude\':get(lat_long, 1)} as lat_long FROM \'topic/subtopic\'', { lat_long: [47.606, -122.332] }))
      .toEqual({ lat_long: { latitude: 47.606, longitude: -122.332 } });
    expect(select('SELECT [lat,long] as lat_long FROM \'topic/subtopic\'', { lat: 47.606, long: -122.332 })).toEqual({ lat_long: [47.606, -122.332] });
  });

  test('https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-nested-queries.html: the three examples', () => {
    const payload = { e: [{ n: 'temperature', u: 'Cel', t: 1234, v: 22.5 }, { n: 'light', u: 'lm', t: 1235, v: 135 }, { n: 'acidity', u: 'pH', t: 1235, v: 7 }] };
    expect(select('SELECT (SELECT VALUE n FROM e) as sensors FROM \'my/topic\'', payload)).toEqual({ sensors: ['temperature', 'light', 'acidity'] });
    expect(select('SELECT (SELECT v FROM e WHERE n = \'temperature\') as temperature FROM \'my/topic\'', payload)).toEqual({ temperature: [{ v: 22.5 }] });
    expect(select('SELECT get((SELECT v FROM e WHERE n = \'temperature\'), 0).v as temperature FROM \'topic\'', payload)).toEqual({ temperature: 22.5 });
  });

  test('https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-select.html: SELECT examples, VALUE, arithmetic on Ints', () => {
    const payload = { color: 'red', temperature: 50 };
    expect(select('SELECT color AS my_color FROM \'topic/subtopic\'', payload)).toEqual({ my_color: 'red' });
    expect(select('SELECT *, 15 as speed FROM \'topic/subtopic\'', payload)).toEqual({ color: 'red', temperature: 50, speed: 15 });
    expect(select('SELECT VALUE color FROM \'topic/subtopic\'', payload)).toBe('red');
    expect(select('SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as my_color FROM \'topic/subtopic\'', payload)).toEqual({ celsius: 10, my_color: 'RED' });
    expect(select('SELECT color.red as red_value FROM \'topic/subtopic\'', { color: { red: 255, green: 0, blue: 0 }, temperature: 50 })).toEqual({ red_value: 255 });
  });

  test('https://docs.aws.amazon.com/iot/latest/developerguide/iot-rule-sql-version.html: SELECT VALUE arr outputs the array', () => {
    expect(select('SELECT VALUE arr FROM \'topic\'', { a: { b: 'c' }, arr: [1, 2, 3, 4] })).toEqual([1, 2, 3, 4]);
  });

  test('https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-json.html: md5(deviceid) AS hashed_id', () => {
    const payload = { deviceid: 'iot123', temp: 54.98, humidity: 32.43, coords: { latitude: 47.615694, longitude: -122.3359976 } };
    expect(select('SELECT temp, md5(deviceid) AS hashed_id FROM \'topic/#\'', payload)).toEqual({ temp: 54.98, hashed_id: 'e37f81fb397e595c4aeb5645b8cbbbd1' });
    expect(select('SELECT * from \'iot/rules\' WHERE get(get(get(mydata,"item2"),"0"),"my-key") = "myValue"', { mydata: { item2: { 0: { 'my-key': 'myValue' } } } }))
      .not.toBe('skip');
  });

  test('https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-set.html: SET variables in SELECT, WHERE and later SET items', () => {
    const sql = 'SET @c = (temperature - 32) * 5 / 9, @hot = @c > 30 SELECT @c AS celsius, @hot AS hot FROM \'t\' WHERE @c > 0';
    expect(select(sql, { temperature: 104 })).toEqual({ celsius: 40, hot: true });
    expect(select(sql, { temperature: 14 })).toBe('skip');
    expect(() => compileSql('SET @a = 1, @a = 2 SELECT @a FROM \'t\'')).toThrow(/set twice; SET variables are immutable/);
    expect(() => compileSql('SELECT @nope FROM \'t\'')).toThrow(/variable @nope .* is not set/);
    expect(() => compileSql('SET @b = @a, @a = 1 SELECT @b FROM \'t\'')).toThrow(/variable @a .* is not set/);
  });

  test('https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-operators.html: the operator tables', () => {
    expect(value('10 / 4')).toBe(2); // Int / Int is an Int
    expect(value('10 / 4.5')).toBeCloseTo(2.2222222222, 8); // Int / Decimal is a Decimal
    expect(value('\'a\' + 1')).toBe('a1'); // String + any value: concatenation
    expect(value('1 + \'a\'')).toBe('1a');
    expect(value('\'5\' - 2')).toBe(3); // strings convert to Decimals
    expect(value('7 % 3')).toBe(1);
    expect(value('12 = \'12\'')).toBe(false); // mismatched types
    expect(value('12 <> \'12\'')).toBe(true);
    expect(value('null = null')).toBe(true);
    expect(value('{"a": 1, "b": 2} = {"b": 2, "a": 1}')).toBe(true);
    expect(value('[1, 2] = [2, 1]')).toBe(false);
    expect(value('\'9\' < 12')).toBe(true);
    expect(value('true < 2')).toBeUndefined();
  });
});

describe('IoT SQL: what calls another service is refused when the rule is loaded', () => {
  test.each<[string, RegExp]>([
    ['aws_lambda("arn:aws:lambda:us-east-1:123456789012:function:f", {"payload": a})', /aws_lambda\(\) \(column 8\) calls AWS Lambda, which the local runner does not emulate/],
    ['get_dynamodb("t", "k", id, "arn:aws:iam::123456789012:role/r")', /get_dynamodb\(\) .* calls Amazon DynamoDB/],
    ['get_thing_shadow("MyThing", "arn:aws:iam::123456789012:role/r")', /get_thing_shadow\(\) .* calls the AWS IoT Device Shadow service/],
    ['get_secret("s", "SecretString", "k", "arn:aws:iam::123456789012:role/r")', /get_secret\(\) .* calls AWS Secrets Manager/],
    ['get_registry_data("DescribeThing", "t", "arn:aws:iam::123456789012:role/r")', /get_registry_data\(\) .* calls the AWS IoT registry/],
    ['machinelearning_predict("m", "arn:aws:iam::123456789012:role/r", *)', /machinelearning_predict\(\) .* calls Amazon Machine Learning/],
  ])('SELECT %s', (expr, expected) => {
    expect(() => compileSql(`SELECT ${expr} AS r FROM '#'`)).toThrow(expected);
  });
});
