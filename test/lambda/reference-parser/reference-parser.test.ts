import { ConfigError, createReferenceHandler, Environment, readConfig } from '../../../lambda/reference-parser';
import type { FirehoseTransformationHandler } from '../../../lambda/toolkit';
import {
  assertValidResponse,
  capturingLogger,
  capturingMetrics,
  event,
  eventOf,
  record,
  results,
  seedEvent,
  text,
} from '../fixtures/contract';

type ReferenceModule = typeof import('../../../lambda/reference-parser');

/** Loads the module fresh, with `env` as its environment at init (like a Lambda cold start). */
function loadModule(env: Environment): ReferenceModule {
  const saved = process.env;
  process.env = { ...saved, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', ...env };
  try {
    let mod: ReferenceModule | undefined;
    jest.isolateModules(() => {
      mod = jest.requireActual<ReferenceModule>('../../../lambda/reference-parser');
    });
    return mod!;
  } finally {
    process.env = saved;
  }
}

function handlerFor(env: Environment): FirehoseTransformationHandler {
  return createReferenceHandler(env, { logger: capturingLogger(), metrics: capturingMetrics() });
}

const SEED_ROW = (at: number) => `{"topic":"iot-test-topic/asdasd","message":"Hello, world!","arrival_timestamp":${at}}\n`;

describe('the exported handler on the seed event', () => {
  test('GIVEN the seed fixture and default configuration WHEN the module handler runs THEN it answers the NDJSON rows', async () => {
    // GIVEN
    const { handler } = loadModule({});
    const input = seedEvent();
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(results(response)).toEqual(['Ok', 'Ok', 'Ok', 'Ok']);
    expect(response.records.map((_, i) => text(response, i))).toEqual([
      SEED_ROW(1720859923841),
      SEED_ROW(1720859926070),
      SEED_ROW(1720859927903),
      SEED_ROW(1720859929724),
    ]);
  });

  test('GIVEN the seed fixture and topicSegmentFields ["device"] WHEN the module handler runs THEN each row names the device', async () => {
    // GIVEN
    const { handler } = loadModule({ PARSER_FORMAT: 'jsonl', PARSER_OPTIONS: '{"topicSegmentFields":["device"],"arrivalTimestampField":"received"}' });
    const input = seedEvent();
    // WHEN
    const response = await handler(input);
    // THEN
    expect(text(response, 0)).toBe('{"topic":"iot-test-topic/asdasd","message":"Hello, world!","device":"asdasd","received":1720859923841}\n');
  });

  test.each([
    [{ PARSER_FORMAT: 'xml' }, /PARSER_FORMAT is "xml"; expected one of "jsonl", "csv"/],
    [{ PARSER_OPTIONS: '{nope' }, /PARSER_OPTIONS is not valid JSON/],
  ])('GIVEN the misconfiguration %p WHEN the module initializes THEN it throws a clear message', (env, message) => {
    expect(() => loadModule(env)).toThrow(message);
  });
});

describe('jsonl', () => {
  test('GIVEN arrivalTimestampField "" WHEN a message is parsed THEN it is written unchanged', async () => {
    // GIVEN
    const handler = handlerFor({ PARSER_OPTIONS: '{"arrivalTimestampField":""}' });
    // WHEN
    const response = await handler(eventOf(['{"topic":"t/a","nested":{"x":[1,2]},"s":"é🚀"}\n']));
    // THEN
    expect(text(response, 0)).toBe('{"topic":"t/a","nested":{"x":[1,2]},"s":"é🚀"}\n');
  });

  test('GIVEN several topic segment fields WHEN topics have fewer, more or no levels THEN only existing levels are added', async () => {
    // GIVEN
    const handler = handlerFor({ PARSER_OPTIONS: '{"topicSegmentFields":["site","device"],"arrivalTimestampField":""}' });
    const input = eventOf([
      '{"topic":"t/s1/d1/extra"}',
      '{"topic":"t/s1"}',
      '{"topic":"t"}',
      '{"topic":42}',
      '{"no":"topic"}',
      '{"topic":"t//d"}',
    ]);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(response.records.map((_, i) => text(response, i))).toEqual([
      '{"topic":"t/s1/d1/extra","site":"s1","device":"d1"}\n',
      '{"topic":"t/s1","site":"s1"}\n',
      '{"topic":"t"}\n',
      '{"topic":42}\n',
      '{"no":"topic"}\n',
      '{"topic":"t//d","site":"","device":"d"}\n',
    ]);
  });

  test('GIVEN a payload field named like an added field WHEN parsed THEN the AWS-derived value wins', async () => {
    // GIVEN
    const handler = handlerFor({ PARSER_OPTIONS: '{"topicSegmentFields":["device"]}' });
    // WHEN
    const response = await handler(event([record('{"topic":"t/real","device":"spoofed","arrival_timestamp":1}', 'r0', { at: 99 })]));
    // THEN
    expect(JSON.parse(text(response, 0))).toEqual({ topic: 't/real', device: 'real', arrival_timestamp: 99 });
  });

  test('GIVEN a record with two messages WHEN parsed THEN both rows are in the record', async () => {
    const handler = handlerFor({ PARSER_OPTIONS: '{"arrivalTimestampField":""}' });
    const response = await handler(eventOf(['{"topic":"t/a","n":1}\n{"topic":"t/a","n":2}\n']));
    expect(text(response, 0)).toBe('{"topic":"t/a","n":1}\n{"topic":"t/a","n":2}\n');
  });
});

describe('csv', () => {
  const csv = (columns: string[], extra = '') => handlerFor({
    PARSER_FORMAT: 'csv',
    PARSER_OPTIONS: `{"columns":${JSON.stringify(columns)}${extra}}`,
  });

  test('GIVEN columns with dotted paths WHEN messages are parsed THEN one line per message in column order, no header', async () => {
    // GIVEN
    const handler = csv(['topic', 'sensor.temp', 'sensor.meta.unit', 'missing', 'arrival_timestamp']);
    const input = event([
      record('{"topic":"t/a","sensor":{"temp":21.5,"meta":{"unit":"C"}}}\n', 'r0', { at: 5 }),
      record('{"topic":"t/b","sensor":7}\n', 'r1', { at: 6 }),
    ]);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(text(response, 0)).toBe('t/a,21.5,C,,5\n');
    expect(text(response, 1)).toBe('t/b,,,,6\n');
  });

  test('GIVEN values needing quotes or that look like formulas WHEN written THEN cells are RFC 4180 quoted and formula-safe', async () => {
    // GIVEN
    const handler = csv(['a', 'b', 'c', 'd', 'e', 'f']);
    const message = JSON.stringify({ a: 'x,y', b: 'say "hi"', c: '=cmd|calc', d: { k: [1, 'v'] }, e: 'multi\nline', f: -12 });
    // WHEN
    const response = await handler(eventOf([message]));
    // THEN
    expect(text(response, 0)).toBe('"x,y","say ""hi""",\'=cmd|calc,"{""k"":[1,""v""]}","multi\nline",-12\n');
  });

  test('GIVEN an own key containing a dot WHEN it is a column THEN the literal key wins over the path', async () => {
    const handler = csv(['a.b']);
    const response = await handler(eventOf(['{"a.b":"literal","a":{"b":"path"}}', '{"a":{"b":"path"}}']));
    expect(text(response, 0)).toBe('literal\n');
    expect(text(response, 1)).toBe('path\n');
  });

  test('GIVEN inherited property names as columns WHEN read THEN nothing from the prototype leaks into cells', async () => {
    const handler = csv(['constructor', 'toString', 'a.constructor.name', '__proto__']);
    const response = await handler(eventOf(['{"a":{}}']));
    expect(text(response, 0)).toBe(',,,\n');
  });

  test('GIVEN csv with topic segments WHEN a column names the segment field THEN it is filled', async () => {
    const handler = csv(['device', 'v'], ',"topicSegmentFields":["device"]');
    const response = await handler(eventOf(['{"topic":"t/pump-9","v":1}']));
    expect(text(response, 0)).toBe('pump-9,1\n');
  });

  test('GIVEN header false WHEN configured THEN it is accepted (and no header is ever written)', async () => {
    const handler = csv(['v'], ',"header":false');
    const response = await handler(eventOf(['{"v":1}', '{"v":2}']));
    expect([text(response, 0), text(response, 1)]).toEqual(['1\n', '2\n']);
  });
});

describe('configuration', () => {
  test('GIVEN no environment WHEN read THEN the defaults apply', () => {
    expect(readConfig({})).toEqual({
      format: 'jsonl',
      arrivalTimestampField: 'arrival_timestamp',
      topicSegmentFields: [],
      baseTopicLevels: 1,
      columns: [],
      delivery: 'firehose',
      directBucket: '',
      directPrefix: '',
      partitionKeys: [],
      payload: 'json',
    });
  });

  test.each([[0], [8], [1.5], ['2']])('GIVEN baseTopicLevels %j WHEN read THEN a ConfigError names the range', (levels) => {
    expect(() => readConfig({ PARSER_OPTIONS: JSON.stringify({ baseTopicLevels: levels }) })).toThrow(/baseTopicLevels must be a whole number from 1 to 7/);
  });

  test('GIVEN a two-level base topic WHEN a message is parsed THEN the topic fields name the levels below the base topic', async () => {
    const handler = createReferenceHandler({
      PARSER_OPTIONS: JSON.stringify({ topicSegmentFields: ['device', 'sensor'], baseTopicLevels: 2, arrivalTimestampField: '' }),
    }, { logger: capturingLogger(), metrics: capturingMetrics() });
    const response = await handler(eventOf(['{"topic":"factory/telemetry/d7/t1","v":1}', '{"topic":"factory/telemetry","v":2}']));
    expect(JSON.parse(text(response, 0))).toEqual({ topic: 'factory/telemetry/d7/t1', v: 1, device: 'd7', sensor: 't1' });
    expect(JSON.parse(text(response, 1))).toEqual({ topic: 'factory/telemetry', v: 2 });
  });

  test('GIVEN direct delivery WHEN read THEN the bucket is required and the prefix defaults to direct/', () => {
    expect(readConfig({ PARSER_DELIVERY: 'direct', PARSER_DIRECT_BUCKET: 'b' })).toEqual(expect.objectContaining({
      delivery: 'direct', directBucket: 'b', directPrefix: 'direct/',
    }));
    expect(readConfig({ PARSER_DELIVERY: 'direct', PARSER_DIRECT_BUCKET: 'b', PARSER_DIRECT_PREFIX: 'x/' }).directPrefix).toBe('x/');
  });

  test.each([
    [{ PARSER_FORMAT: 'JSONL' }, /PARSER_FORMAT is "JSONL"/],
    [{ PARSER_OPTIONS: '[]' }, /PARSER_OPTIONS must be a JSON object/],
    [{ PARSER_OPTIONS: '{"columns":["a"]}' }, /unknown key "columns" for format jsonl/],
    [{ PARSER_OPTIONS: '{"topicSegmentFields":"device"}' }, /topicSegmentFields must be an array of strings/],
    [{ PARSER_OPTIONS: '{"topicSegmentFields":[""]}' }, /topicSegmentFields\[0\] must be a non-empty string/],
    [{ PARSER_OPTIONS: '{"topicSegmentFields":["a","a"]}' }, /names "a" twice/],
    [{ PARSER_OPTIONS: '{"topicSegmentFields":["__proto__"]}' }, /must not be "__proto__"/],
    [{ PARSER_OPTIONS: '{"arrivalTimestampField":5}' }, /arrivalTimestampField must be a string/],
    [{ PARSER_OPTIONS: '{"topicSegmentFields":["t"],"arrivalTimestampField":"t"}' }, /both name "t"/],
    [{ PARSER_FORMAT: 'csv' }, /columns is required for format csv/],
    [{ PARSER_FORMAT: 'csv', PARSER_OPTIONS: '{"columns":[]}' }, /must name at least one column/],
    [{ PARSER_FORMAT: 'csv', PARSER_OPTIONS: '{"columns":["a..b"]}' }, /has an empty path segment/],
    [{ PARSER_FORMAT: 'csv', PARSER_OPTIONS: '{"columns":["a"],"header":true}' }, /header can only be false: Firehose concatenates records/],
    [{ PARSER_DELIVERY: 's3' }, /PARSER_DELIVERY is "s3"; expected one of "firehose", "direct"/],
    [{ PARSER_DELIVERY: 'direct' }, /PARSER_DIRECT_BUCKET is required/],
    [{ PARSER_DELIVERY: 'direct', PARSER_DIRECT_BUCKET: 'b', PARSER_DIRECT_PREFIX: '/abs' }, /must not start with "\/"/],
  ])('GIVEN %p WHEN read THEN a ConfigError says what to fix', (env, message) => {
    expect(() => readConfig(env)).toThrow(ConfigError);
    expect(() => readConfig(env)).toThrow(message);
    expect(() => readConfig(env)).toThrow(/^Reference parser misconfigured: /);
  });
});
