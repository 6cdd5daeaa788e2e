/** IoT SQL parser: the statement's shape, precedence, and what the local runner refuses at load (pure: no I/O). */
import { compileSql, parseExpression, parseSql, SqlError } from '../../../../local/iot/sql';
import { topicMatches } from '../../../../local/iot/topic-filter';

describe('IoT SQL parser: FROM', () => {
  test.each<[string, string, boolean]>([
    ['iot-test-topic/+', 'iot-test-topic/dev-1', true],
    ['iot-test-topic/+', 'iot-test-topic', false],
    ['iot-test-topic/+', 'iot-test-topic/a/b', false],
    ['iot-test-topic/#', 'iot-test-topic', true],
    ['iot-test-topic/#', 'iot-test-topic/a/b', true],
    ['+/status', 'x/status', true],
    ['#', '$aws/things/x', false],
  ])('GIVEN FROM \'%s\' WHEN parsed THEN the filter is kept for MQTT matching (%s matches: %s)', (filter, topic, matches) => {
    const statement = parseSql(`SELECT * FROM '${filter}'`);
    expect(statement.from).toBe(filter);
    expect(topicMatches(statement.from, topic)).toBe(matches);
  });
});

describe('IoT SQL parser: structure', () => {
  test('GIVEN keywords in any case WHEN parsed THEN they are keywords', () => {
    expect(parseSql('select a as b from \'x\' where c and not d or e').from).toBe('x');
  });

  test('GIVEN items with and without AS WHEN parsed THEN each is named by AS, else its field or function, else _<n> (n counts the items without AS)', () => {
    const { select } = parseSql('SELECT a AS x, b.c, topic(), 1 + 1, * FROM \'t\'');
    expect(select.map((item) => (item.star ? '*' : item.name))).toEqual(['x', 'c', 'topic', '_3', '*']);
  });

  test('GIVEN OR, AND and NOT without parentheses WHEN parsed THEN NOT binds tighter than AND, AND tighter than OR', () => {
    expect(parseExpression('NOT a AND b OR c')).toEqual({
      k: 'binary',
      op: 'OR',
      left: { k: 'binary', op: 'AND', left: { k: 'unary', op: 'NOT', arg: { k: 'field', name: 'a' } }, right: { k: 'field', name: 'b' } },
      right: { k: 'field', name: 'c' },
    });
  });

  test('GIVEN a negative number and != WHEN parsed THEN a negative literal and <>', () => {
    expect(parseExpression('a != -2')).toEqual({ k: 'binary', op: '<>', left: { k: 'field', name: 'a' }, right: { k: 'lit', value: -2 } });
  });

  test('GIVEN a function name in any case WHEN parsed THEN the call is lowercase', () => {
    expect(parseExpression('TOPIC(2)')).toMatchObject({ k: 'call', name: 'topic', args: [{ k: 'lit', value: 2 }] });
  });
});

describe('IoT SQL: what the local runner refuses at load', () => {
  test.each<[string, RegExp]>([
    ['SELECT * FROM \'a/#\' WHERE a IN (1, 2)', /the IN operator \(column 29\) is not supported: it is not in the AWS IoT SQL reference/],
    ['SELECT CASE WHEN a > 1 THEN 2 END FROM \'a\'', /CASE WHEN <condition> \(the searched CASE.*write CASE true WHEN <condition>/],
    ['SELECT CASE a ELSE 2 END FROM \'a\'', /expected WHEN \(a CASE needs at least one WHEN clause\)/],
    ['SELECT lower(*) FROM \'a\'', /"\*" is an argument of encode/],
    ['SELECT VALUE a, b FROM \'a\'', /SELECT VALUE takes exactly one expression/],
    ['SET @a = 1 SET @b = 2 SELECT * FROM \'a\'', /SET can appear only once/],
    ['SET a = 1 SELECT * FROM \'a\'', /a variable \(@name\) after SET/],
    ['SELECT * FROM \'a/#/b\'', /# must be/],
    ['SELECT * FROM a', /quoted topic filter after FROM/],
    ['SELECT * FROM \'a\' WHERE', /expected an expression/],
    ['SELECT a AS FROM \'a\'', /a name after AS/],
    ['SELECT * FROM \'a\' WHERE a = 1 = 2', /cannot be chained/],
    ['SELECT a FROM \'x\' trailing', /expected the end of the statement/],
    ['SELECT * FROM \'a\' WHERE a IS NULL', /IS operator/],
    ['SELECT a.* FROM \'a\'', /"\.\*" on a nested object/],
  ])('GIVEN %s WHEN parsed THEN SqlError matching %s', (sql, expected) => {
    expect(() => compileSql(sql)).toThrow(SqlError);
    expect(() => compileSql(sql)).toThrow(expected);
  });

  test.each<[string, RegExp]>([
    ['SELECT \'open FROM \'a\'', /unterminated string/],
    ['SELECT 1abc FROM \'a\'', /invalid number/],
    ['SELECT a # b FROM \'a\'', /unexpected character "#"/],
    ['SELECT get_thing_shadow(\'x\', \'role\') AS s FROM \'a\'', /get_thing_shadow\(\) \(column 8\) calls the AWS IoT Device Shadow service/],
    ['SELECT tostring(a) FROM \'a\'', /function tostring\(\) \(column 8\) is not in the AWS IoT SQL reference/],
    ['SELECT topic(1, 2, 3) FROM \'a\'', /topic\(\) takes 0 to 1 argument/],
  ])('GIVEN %s WHEN compiled THEN SqlError matching %s (lexer and function table errors reach compileSql)', (sql, expected) => {
    expect(() => compileSql(sql)).toThrow(SqlError);
    expect(() => compileSql(sql)).toThrow(expected);
  });
});
