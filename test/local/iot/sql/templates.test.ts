/** Substitution templates of rule actions (pure: no I/O). */
import { message } from './message';
import { compileSql, compileTemplate, SqlError } from '../../../../local/iot/sql';

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

  test('GIVEN a statement with SET WHEN its template renders @c THEN the variable\'s value for that message (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-set.html)', () => {
    const m = message({ t: 212 });
    compileSql('SET @c = (t - 32) * 5 / 9 SELECT * FROM \'#\'').evaluate(m);
    expect(compileTemplate('celsius/${@c}/${topic(2)}.json').render(m)).toBe('celsius/100/dev-1.json');
  });

  test('GIVEN an unclosed ${ or an unsupported function WHEN compiled THEN SqlError', () => {
    expect(() => compileTemplate('a/${topic()')).toThrow(/unclosed/);
    expect(() => compileTemplate('a/${aws_lambda("arn", *)}')).toThrow(SqlError);
  });
});
