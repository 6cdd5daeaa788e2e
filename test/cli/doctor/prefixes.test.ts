import { windowPrefixes } from '../../../cli/doctor/prefixes';
import { DEFAULT_DATA_OUTPUT_PREFIX, DEFAULT_ERROR_OUTPUT_PREFIX, RULE_ERRORS_LISTING_PREFIX } from '../../../src/contract';

const NOW = new Date('2026-03-04T05:06:07Z');
const HOUR_START = new Date('2026-03-04T05:00:00Z');

describe('windowPrefixes: one hour', () => {
  test.each<[string, string, string | undefined, string]>([
    ['the default data prefix', DEFAULT_DATA_OUTPUT_PREFIX, undefined, 'parsed/year=2026/month=03/day=04/hour=05/'],
    ['the default error prefix', DEFAULT_ERROR_OUTPUT_PREFIX, 'processing-failed', 'errors/processing-failed/year=2026/month=03/day=04/hour=05/'],
    ['the rule error action\'s keys', RULE_ERRORS_LISTING_PREFIX, undefined, 'iot-rule-errors/2026/03/04/05/'],
    ['an error-output-type and a year', 'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/', 'processing-failed', 'errors/processing-failed/year=2026/'],
    ['a prefix without a timestamp', 'raw/', undefined, 'raw/2026/03/04/05/'],
    ['no prefix', '', undefined, '2026/03/04/05/'],
    ['an error prefix without a timestamp', 'errors/', 'processing-failed', 'errors/processing-failed/2026/03/04/05/'],
    ['quoted text in a timestamp', "d/!{timestamp:yyyy-MM-dd'T'HH}/", undefined, 'd/2026-03-04T05/'],
    ['a partition key (listed up to it)', 'p/!{timestamp:yy}/!{partitionKeyFromLambda:device}/!{timestamp:HH}/', undefined, 'p/26/'],
    ['a random string (listed up to it)', 'r/!{timestamp:HH}/!{firehose:random-string}/', undefined, 'r/05/'],
  ])('GIVEN %s THEN the listing prefix of the hour', (_name, prefix, errorOutputType, expected) => {
    // WHEN / THEN
    expect(windowPrefixes(prefix, HOUR_START, NOW, { errorOutputType })).toEqual([expected]);
  });

  test('GIVEN dynamic partitioning and a prefix without a timestamp THEN no timestamp is appended (Firehose appends none)', () => {
    // WHEN / THEN
    expect(windowPrefixes('parsed/device=!{partitionKeyFromLambda:device}/', HOUR_START, NOW, { dynamicPartitioning: true })).toEqual(['parsed/device=']);
    expect(windowPrefixes('parsed/', HOUR_START, NOW, { dynamicPartitioning: true })).toEqual(['parsed/']);
  });
});

test('windowPrefixes lists one prefix per UTC hour of the window', () => {
  // GIVEN a 90-minute window from 03:40 to 05:10
  const start = new Date('2026-03-04T03:40:00Z');
  const end = new Date('2026-03-04T05:10:00Z');
  // WHEN
  const prefixes = windowPrefixes('x/!{timestamp:HH}/', start, end);
  // THEN
  expect(prefixes).toEqual(['x/03/', 'x/04/', 'x/05/']);
});

test('windowPrefixes lists a prefix that is the same every hour once', () => {
  // WHEN
  const prefixes = windowPrefixes('x/!{timestamp:yyyy}/', new Date('2026-03-04T01:00:00Z'), NOW);
  // THEN
  expect(prefixes).toEqual(['x/2026/']);
});
