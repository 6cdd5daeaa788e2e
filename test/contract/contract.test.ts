/**
 * The contract's own behaviour: prefix parsing and rendering (what the runner writes and doctor lists), Basic Ingest
 * topics, durations, strict base64. (Java time patterns: test/local/firehose/keys.test.ts.)
 */
import {
  basicIngestTopic, compilePrefix, decodeBase64Strict, DEFAULT_BACKUP_PREFIX, DEFAULT_DATA_OUTPUT_PREFIX, DEFAULT_ERROR_OUTPUT_PREFIX,
  defaultRuleSql, DurationError, parseDuration, parsePrefix, partitionedDataOutputPrefix, PrefixError, splitBasicIngest,
} from '../../src/contract';

// 2026-03-04 05:06:07.089 UTC
const T = Date.UTC(2026, 2, 4, 5, 6, 7, 89);

describe('prefixes', () => {
  test('GIVEN the default prefixes WHEN rendered THEN Hive-style hourly partitions, the error type in the error prefix', () => {
    expect(compilePrefix(DEFAULT_DATA_OUTPUT_PREFIX).render({ timestamp: T })).toEqual('parsed/year=2026/month=03/day=04/hour=05/');
    expect(compilePrefix(DEFAULT_BACKUP_PREFIX).render({ timestamp: T })).toEqual('raw/year=2026/month=03/day=04/hour=05/');
    expect(compilePrefix(DEFAULT_ERROR_OUTPUT_PREFIX).render({ timestamp: T, errorOutputType: 'processing-failed' }))
      .toEqual('errors/processing-failed/year=2026/month=03/day=04/hour=05/');
  });

  test('GIVEN dynamic partitioning keys WHEN the default data prefix is built THEN one key=value level per key before the hour levels', () => {
    const prefix = partitionedDataOutputPrefix(['site', 'device']);
    expect(prefix).toEqual('parsed/site=!{partitionKeyFromLambda:site}/device=!{partitionKeyFromLambda:device}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/');
    const compiled = compilePrefix(prefix, { dynamicPartitioning: true });
    expect(compiled.partitionKeys).toEqual(['site', 'device']);
    expect(compiled.render({ timestamp: T, partitionKeys: { site: 'a', device: 'd7' } })).toEqual('parsed/site=a/device=d7/year=2026/month=03/day=04/hour=05/');
  });

  test('GIVEN a prefix without a timestamp WHEN compiled THEN Firehose\'s yyyy/MM/dd/HH/ is appended (and the error type for an error prefix), not with dynamic partitioning', () => {
    expect(compilePrefix('static/').render({ timestamp: T })).toEqual('static/2026/03/04/05/');
    expect(compilePrefix('failed/', { errorOutput: true }).render({ timestamp: T, errorOutputType: 'processing-failed' })).toEqual('failed/processing-failed/2026/03/04/05/');
    expect(compilePrefix('p/!{partitionKeyFromLambda:k}/', { dynamicPartitioning: true }).render({ timestamp: T, partitionKeys: { k: 'v' } })).toEqual('p/v/');
  });

  test('GIVEN an expression that cannot be predicted WHEN the predictable part is rendered THEN it stops right before it', () => {
    expect(compilePrefix('a/!{timestamp:yyyy}/!{firehose:random-string}/b/').renderPredictable({ timestamp: T })).toEqual('a/2026/');
    expect(compilePrefix('p/!{partitionKeyFromLambda:k}/!{timestamp:HH}/').renderPredictable({ timestamp: T })).toEqual('p/');
    const random = compilePrefix('r/!{firehose:random-string}/').render({ timestamp: T });
    expect(random).toMatch(/^r\/[a-zA-Z0-9]{11}\/2026\/03\/04\/05\/$/);
  });

  test.each([
    ['a/!{timestamp:yyyy', /is not closed/],
    ['a/!{nonsense}/', /is not of the form !\{namespace:value\}/],
    ['a/!{firehose:other}/', /!\{firehose:other\} is unknown/],
    ['a/!{mystery:x}/', /namespace "mystery" is unknown/],
    ['a/!{partitionKeyFromLambda:}/', /names no key/],
  ])('GIVEN %j WHEN parsed THEN a PrefixError says what is wrong', (source, message) => {
    expect(() => parsePrefix(source)).toThrow(PrefixError);
    expect(() => parsePrefix(source)).toThrow(message);
  });
});

describe('topics', () => {
  test('GIVEN a rule and a topic WHEN the Basic Ingest topic is built and split THEN the round trip holds', () => {
    expect(basicIngestTopic('MyRule', 'plant/line-1/d7')).toEqual('$aws/rules/MyRule/plant/line-1/d7');
    expect(splitBasicIngest('$aws/rules/MyRule/plant/line-1/d7')).toEqual({ ruleName: 'MyRule', topic: 'plant/line-1/d7' });
    expect(splitBasicIngest('$aws/rules/MyRule')).toBeUndefined();
    expect(splitBasicIngest('$aws/rules/MyRule/')).toBeUndefined();
    expect(splitBasicIngest('plant/line-1')).toBeUndefined();
  });

  test('GIVEN a base topic WHEN the default SQL is built THEN it reads one level below it', () => {
    expect(defaultRuleSql('iot-test-topic')).toMatch(/ FROM 'iot-test-topic\/\+'/);
  });
});

describe('durations', () => {
  test.each([['10s', 10_000], ['500ms', 500], ['5m', 300_000], ['2min', 120_000], ['1h', 3_600_000], ['1d', 86_400_000], ['1.5', 1500], [' 3 S ', 3000]])(
    'GIVEN %j WHEN parsed THEN %d ms', (text, ms) => {
      expect(parseDuration(text)).toEqual(ms);
    });

  test.each([['0s'], ['-1s'], ['ten'], ['10 parsecs'], ['']])('GIVEN %j WHEN parsed THEN a DurationError says what to write', (text) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
  });
});

describe('strict base64', () => {
  test.each([['aGk=', 'hi'], ['aGVsbG8=', 'hello'], ['', '']])('GIVEN %j WHEN decoded THEN %j', (data, text) => {
    expect(decodeBase64Strict(data)?.toString('utf8')).toEqual(text);
  });

  test.each([['aGk'], ['a-k='], ['a_k='], ['aG=k'], ['aGk=aGk='], ['a Gk']])('GIVEN %j (not standard padded base64) WHEN decoded THEN undefined', (data) => {
    expect(decodeBase64Strict(data)).toBeUndefined();
  });
});
