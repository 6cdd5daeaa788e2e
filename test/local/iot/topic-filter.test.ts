import { parseRuleSql, ruleReceives, splitBasicIngest, topicFilterProblem, topicMatches, topicNameProblem } from '../../../local/iot/topic-filter';

describe('topicMatches (MQTT topic filter semantics)', () => {
  // [filter, topic, expected]
  const cases: Array<[string, string, boolean]> = [
    // exact
    ['iot-test-topic', 'iot-test-topic', true],
    ['iot-test-topic', 'iot-test-topic/x', false],
    ['a/b', 'a/B', false], // case-sensitive
    // + : exactly one level, which may be empty
    ['iot-test-topic/+', 'iot-test-topic/device-1', true],
    ['iot-test-topic/+', 'iot-test-topic', false],
    ['iot-test-topic/+', 'iot-test-topic/a/b', false],
    ['iot-test-topic/+', 'iot-test-topic/', true],
    ['+/+', 'a/b', true],
    ['+', 'a', true],
    ['+', '/a', false],
    ['/+', '/a', true],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    // # : this level and everything below, including the parent itself
    ['a/#', 'a', true],
    ['a/#', 'a/b', true],
    ['a/#', 'a/b/c/d', true],
    ['a/#', 'ab', false],
    ['#', 'a/b', true],
    ['a/+/#', 'a/b', true],
    ['a/+/#', 'a', false],
    // $-topics are not matched by a leading wildcard
    ['#', '$aws/things/x/shadow/update', false],
    ['+/things/#', '$aws/things/x', false],
    ['$aws/things/+/shadow/update', '$aws/things/x/shadow/update', true],
    // invalid filters / topics match nothing
    ['a/#/b', 'a/x/b', false],
    ['a/b#', 'a/b#', false],
    ['a/b+', 'a/b+', false],
    ['a/+', 'a/+', false],
    ['', '', false],
  ];
  test.each(cases)('GIVEN filter %j and topic %j THEN match is %s', (filter, topic, expected) => {
    // WHEN
    const result = topicMatches(filter, topic);
    // THEN
    expect(result).toBe(expected);
  });
});

describe('topic filter and topic name validation', () => {
  test.each([
    ['a/#', undefined],
    ['a/+/b', undefined],
    ['#', undefined],
    ['a/#/b', '# must be a whole level and the last one'],
    ['a/b#', '# must be a whole level and the last one'],
    ['a/x+', '+ must be a whole level'],
    ['', 'the topic filter is empty'],
  ])('GIVEN filter %j THEN the problem is %j', (filter, problem) => {
    // WHEN
    const result = topicFilterProblem(filter);
    // THEN
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(problem);
  });

  test.each([
    ['iot-test-topic/device-1', undefined],
    ['a/+', 'wildcard'],
    ['a/#', 'wildcard'],
    ['', 'empty'],
  ])('GIVEN topic %j THEN the problem mentions %j', (topic, problem) => {
    // WHEN
    const result = topicNameProblem(topic);
    // THEN
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(problem);
  });
});

describe('parseRuleSql', () => {
  test.each([
    ["SELECT topic() as topic, * FROM 'iot-test-topic/+'", 'iot-test-topic/+', undefined],
    ["select * from 'a/#' where temp > 50", 'a/#', 'temp > 50'],
    ["SELECT *\nFROM\n  'plant/line-1/+'  ", 'plant/line-1/+', undefined],
    ["SELECT 'from' AS x FROM 'a/b'", 'a/b', undefined],
    ["SELECT * FROM 'it''s/+'", "it's/+", undefined],
  ])('GIVEN %j THEN the filter is %j and WHERE %j', (sql, filter, where) => {
    // WHEN
    const parsed = parseRuleSql(sql);
    // THEN
    expect(parsed?.topicFilter).toBe(filter);
    expect(parsed?.where).toBe(where);
  });

  test('GIVEN SQL without a quoted FROM THEN undefined', () => {
    // WHEN / THEN
    expect(parseRuleSql('SELECT * FROM a/b')).toBeUndefined();
  });
});

describe('Basic Ingest topics', () => {
  test.each([
    ['$aws/rules/Rule_1/iot-test-topic/dev-1', { ruleName: 'Rule_1', topic: 'iot-test-topic/dev-1' }],
    ['$aws/rules/Rule_1/', undefined],
    ['$aws/things/x/shadow/update', undefined],
    ['iot-test-topic/dev-1', undefined],
  ])('splitBasicIngest(%j) = %j', (topic, expected) => {
    expect(splitBasicIngest(topic)).toEqual(expected);
  });

  test.each([
    ['Rule_1', 'iot-test-topic/+', '$aws/rules/Rule_1/iot-test-topic/dev-1', true],
    ['Rule_1', 'iot-test-topic/+', '$aws/rules/Other/iot-test-topic/dev-1', false],
    ['Rule_1', 'iot-test-topic/+', '$aws/rules/Rule_1/other/dev-1', false],
    ['Rule_1', 'iot-test-topic/+', 'iot-test-topic/dev-1', true],
    ['Rule_1', '#', '$aws/rules/Rule_1/a/b', true],
  ])('GIVEN rule %s FROM %j and topic %j THEN the rule receives it: %s', (rule, filter, topic, expected) => {
    expect(ruleReceives(rule, filter, topic)).toBe(expected);
  });
});
