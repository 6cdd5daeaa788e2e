import { compileStreamPrefix as compilePrefix, objectKey, objectName, randomString } from '../../../local/firehose/keys';
import { compileTimeFormat, compressionExtension, PrefixError, TimeFormatError } from '../../../src/contract';

// 2026-03-04 05:06:07.089 UTC
const T = Date.UTC(2026, 2, 4, 5, 6, 7, 89);
const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('Firehose object keys', () => {
  test.each<[string | undefined, Record<string, unknown>, string]>([
    // the construct's defaults
    ['parsed/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/', {}, 'parsed/year=2026/month=03/day=04/hour=05/'],
    ['raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/', {}, 'raw/year=2026/month=03/day=04/hour=05/'],
    ['errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
      { errorOutputType: 'processing-failed' }, 'errors/processing-failed/year=2026/month=03/day=04/hour=05/'],
    // no prefix: YYYY/MM/dd/HH/
    [undefined, {}, '2026/03/04/05/'],
    ['', {}, '2026/03/04/05/'],
    // a prefix without a timestamp expression gets yyyy/MM/dd/HH/ appended
    ['static/', {}, 'static/2026/03/04/05/'],
    ['!{timestamp:yyyy-MM-dd\'T\'HH:mm:ss.SSS}/', {}, '2026-03-04T05:06:07.089/'],
    ['!{timestamp:yy/M/d/H/m/s/D/EEE/EEEE/MMM/MMMM/a/h}/', {}, '26/3/4/5/6/7/63/Wed/Wednesday/Mar/March/AM/5/'],
    ['!{timestamp:HH}/', { timeZone: 'Asia/Kolkata' }, '10/'],
    ['!{timestamp:yyyy-MM-dd HH:mm Z}', { timeZone: 'America/New_York' }, '2026-03-04 00:06 -0500'],
    ['p/!{partitionKeyFromLambda:device}/!{partitionKeyFromLambda:site}/!{timestamp:yyyy}/', { partitionKeys: { device: 'd1', site: 's9' } }, 'p/d1/s9/2026/'],
  ])('GIVEN prefix %j and %j WHEN rendered THEN %s', (prefix, ctx, expected) => {
    expect(compilePrefix(prefix).render({ timestamp: T, ...ctx })).toBe(expected);
  });

  test('GIVEN dynamic partitioning and a prefix without a timestamp WHEN rendered THEN nothing is appended', () => {
    const prefix = compilePrefix('parsed/device=!{partitionKeyFromLambda:device}/', { dynamicPartitioning: true });
    expect(prefix.partitionKeys).toEqual(['device']);
    expect(prefix.render({ timestamp: T, partitionKeys: { device: 'x' } })).toBe('parsed/device=x/');
  });

  test.each<[string | undefined, string]>([
    [undefined, 'processing-failed/2026/03/04/05/'],
    ['errors/', 'errors/processing-failed/2026/03/04/05/'],
    ['errors/!{firehose:error-output-type}/', 'errors/processing-failed/2026/03/04/05/'],
    ['errors/!{timestamp:yyyy}/', 'errors/2026/'],
  ])('GIVEN ErrorOutputPrefix %j WHEN an error object is keyed THEN %s (Firehose adds the type and the hour when the prefix has no timestamp)', (prefix, expected) => {
    expect(compilePrefix(prefix, { errorOutput: true }).render({ timestamp: T, errorOutputType: 'processing-failed' })).toBe(expected);
  });

  test('GIVEN random strings WHEN drawn THEN letters and digits of the length asked for', () => {
    expect(randomString(64)).toMatch(/^[A-Za-z0-9]{64}$/);
  });

  test('GIVEN !{firehose:random-string} WHEN rendered THEN 11 letters or digits, different each time', () => {
    const prefix = compilePrefix('r/!{firehose:random-string}/!{timestamp:yyyy}/');
    const a = prefix.render({ timestamp: T });
    const b = prefix.render({ timestamp: T });
    expect(a).toMatch(/^r\/[A-Za-z0-9]{11}\/2026\/$/);
    expect(a).not.toBe(b);
  });

  test('GIVEN a stream WHEN an object is named THEN <prefix><stream>-<version>-YYYY-MM-dd-HH-mm-ss-<uuid><extension>', () => {
    expect(objectName('MyStream', 1, T, '.json.gz', UUID)).toBe(`MyStream-1-2026-03-04-05-06-07-${UUID}.json.gz`);
    const key = objectKey(compilePrefix('parsed/year=!{timestamp:yyyy}/'), { timestamp: T, streamName: 'S', extension: '.gz', uuid: UUID });
    expect(key).toBe(`parsed/year=2026/S-1-2026-03-04-05-06-07-${UUID}.gz`);
    expect(objectName('S', 1, T, '')).toMatch(/^S-1-2026-03-04-05-06-07-[0-9a-f-]{36}$/);
  });

  test.each([['GIVEN GZIP', 'GZIP', '.gz'], ['GIVEN UNCOMPRESSED', 'UNCOMPRESSED', ''], ['GIVEN Snappy', 'Snappy', '.snappy'], ['GIVEN none', undefined, '']])(
    '%s WHEN no FileExtension THEN the compression extension', (_name, compression, ext) => {
      expect(compressionExtension(compression)).toBe(ext);
    });

  test.each<[string, RegExp]>([
    ['p/!{partitionKeyFromQuery:id}/', /partitionKeyFromQuery.*not supported/],
    ['p/!{firehose:nope}/', /firehose:nope.*unknown/],
    ['p/!{nope:x}/', /namespace "nope" is unknown/],
    ['p/!{timestamp:yyyy', /not closed/],
    ['p/!{timestamp:qqq}/', /uses "q"/],
    ['p/!{timestamp}/', /not of the form/],
  ])('GIVEN prefix %s WHEN compiled THEN PrefixError %s', (prefix, message) => {
    expect(() => compilePrefix(prefix)).toThrow(PrefixError);
    expect(() => compilePrefix(prefix)).toThrow(message);
  });
});

describe('Java time patterns', () => {
  test.each<[string, string]>([
    ['yyyy/MM/dd/HH', '2026/03/04/05'],
    ['\'literal\' yyyy \'\'', 'literal 2026 \''],
    ['SSS|S|SSSSSS', '089|0|089000'],
    ['XXX|X|Z', 'Z|Z|+0000'],
    ['k K', '5 5'],
  ])('GIVEN %s WHEN formatted in UTC THEN %s', (pattern, expected) => {
    expect(compileTimeFormat(pattern).format(T)).toBe(expected);
  });

  test('GIVEN an unknown zone or an unclosed quote WHEN used THEN TimeFormatError', () => {
    expect(() => compileTimeFormat('HH').format(T, 'Mars/Olympus')).toThrow(TimeFormatError);
    expect(() => compileTimeFormat('\'open')).toThrow(/unclosed quote/);
  });
});
