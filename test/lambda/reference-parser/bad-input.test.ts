/**
 * Bad-input matrix: whatever the records hold, the reference parser answers with a valid contract response
 * (every recordId once, in order; only Ok / Dropped / ProcessingFailed; Ok data decodes; below 6,000,000 B),
 * never a thrown error.
 */
import { createReferenceHandler, Environment } from '../../../lambda/reference-parser';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from '../../../lambda/toolkit';
import {
  assertValidResponse,
  b64,
  capturingLogger,
  capturingMetrics,
  event,
  eventOf,
  LIMIT,
  record,
  results,
  text,
} from '../fixtures/contract';

const CSV: Environment = { PARSER_FORMAT: 'csv', PARSER_OPTIONS: '{"columns":["topic","v","missing","n.x"]}' };
const PLAIN: Environment = { PARSER_OPTIONS: '{"arrivalTimestampField":""}' };

interface Case {
  readonly name: string;
  readonly env?: Environment;
  readonly input: () => FirehoseTransformationEvent;
  /** Expected results in order, or a custom check. */
  readonly expected: string[] | ((response: FirehoseTransformationResult, input: FirehoseTransformationEvent) => void);
  /** Expected logged reason of the first failed record. */
  readonly reason?: RegExp;
}

const one = (data: string | Uint8Array) => () => eventOf([data]);
const raw = (data: unknown) => () => event([{ recordId: 'r0', approximateArrivalTimestamp: 1, data } as never]);
const bytes = (...b: number[]) => one(Uint8Array.from(b));
const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** ~5.99 MB of ~150 B telemetry messages: the added arrival_timestamp makes the answer larger than 6,000,000 B. */
function overflowingBatch(): FirehoseTransformationEvent {
  const records = [];
  let size = 200;
  for (let i = 0; size < 5_990_000; i++) {
    const r = record(`{"topic":"iot-test-topic/device-${i % 100}","seq":${i},"temperature":21.5,"humidity":40.1,"status":"ok","fw":"1.4.2"}\n`,
      `49653879352194574551977745507220068608511091278050492418${String(i).padStart(6, '0')}`, { at: 1720859923841 + i });
    size += JSON.stringify(r).length + 1;
    records.push(r);
  }
  return event(records);
}

const CASES: Case[] = [
  // base64
  { name: 'invalid base64 characters', input: raw('!!!!'), expected: ['ProcessingFailed'], reason: /not valid base64/ },
  { name: 'base64 with embedded whitespace', input: raw('eyJh IjoxfQ=='), expected: ['ProcessingFailed'], reason: /not valid base64/ },
  { name: 'base64url alphabet', input: raw(b64('{"a":"~~~"}').replace(/\+/g, '-').replace(/\//g, '_') + '-_-_'), expected: ['ProcessingFailed'] },
  { name: 'base64 without padding', input: raw('eyJhIjoxfQ'), expected: ['ProcessingFailed'], reason: /not valid base64/ },
  { name: 'padding in the middle', input: raw('eyJh==IjoxfQ=='), expected: ['ProcessingFailed'] },
  { name: 'data is a number', input: raw(42), expected: ['ProcessingFailed'], reason: /not valid base64/ },
  { name: 'data is missing', input: raw(undefined), expected: ['ProcessingFailed'] },
  // UTF-8
  { name: 'lone continuation byte', input: bytes(0x7b, 0x80, 0x7d), expected: ['ProcessingFailed'], reason: /not valid UTF-8/ },
  { name: 'overlong encoding', input: bytes(0x22, 0xc0, 0xaf, 0x22), expected: ['ProcessingFailed'], reason: /not valid UTF-8/ },
  { name: 'UTF-8-encoded surrogate', input: bytes(0x22, 0xed, 0xa0, 0x80, 0x22), expected: ['ProcessingFailed'], reason: /not valid UTF-8/ },
  { name: 'truncated multi-byte sequence', input: bytes(0x7b, 0x7d, 0xe2, 0x82), expected: ['ProcessingFailed'], reason: /not valid UTF-8/ },
  { name: 'Latin-1 bytes', input: bytes(...Buffer.from('{"n":"caf\u00e9"}', 'latin1')), expected: ['ProcessingFailed'], reason: /not valid UTF-8/ },
  // JSON
  { name: 'truncated JSON', input: one('{"topic":"t/a","v":'), expected: ['ProcessingFailed'], reason: /^invalid JSON/ },
  { name: 'raw control character in a JSON string', input: one('{"v":"a\u0001b"}'), expected: ['ProcessingFailed'], reason: /^invalid JSON/ },
  { name: 'JSON number', input: one('42'), expected: ['ProcessingFailed'], reason: /a JSON number, expected a JSON object/ },
  { name: 'JSON string', input: one('"topic"'), expected: ['ProcessingFailed'], reason: /a JSON string/ },
  { name: 'JSON null', input: one('null'), expected: ['ProcessingFailed'], reason: /JSON null/ },
  { name: 'JSON boolean', input: one('true\n'), expected: ['ProcessingFailed'], reason: /a JSON boolean/ },
  { name: 'JSON array', input: one('[{"topic":"t/a"}]'), expected: ['ProcessingFailed'], reason: /a JSON array/ },
  { name: 'one bad message among good ones fails the record', input: one('{"v":1}\n[]\n{"v":2}\n'), expected: ['ProcessingFailed'] },
  { name: 'deep nesting (10,000 levels)', input: one(nested(10_000)), expected: ['ProcessingFailed'], reason: /RangeError/ },
  { name: 'deep array nesting (10,000 levels)', input: one('['.repeat(10_000) + ']'.repeat(10_000)), expected: ['ProcessingFailed'] },
  {
    name: 'moderate nesting (500 levels) is fine',
    env: PLAIN,
    input: one(nested(500)),
    expected: r => expect(text(r, 0)).toBe(nested(500) + '\n'),
  },
  // empty
  { name: 'empty data', input: one(''), expected: ['Dropped'] },
  { name: 'only newlines', input: one('\n\n\r\n'), expected: ['Dropped'] },
  { name: 'only whitespace', input: one('  \t \n '), expected: ['Dropped'] },
  // size
  {
    name: 'a 1,000 KiB record',
    env: PLAIN,
    input: one(`{"blob":"${'x'.repeat(1_000 * 1024 - 11)}"}`),
    expected: (r, input) => {
      expect(Buffer.from(input.records[0].data, 'base64').length).toBe(1_000 * 1024);
      expect(results(r)).toEqual(['Ok']);
      expect(text(r, 0).length).toBe(1_000 * 1024 + 1);
    },
  },
  { name: 'a 1,000 KiB record of invalid JSON', input: one(`{"blob":"${'x'.repeat(1_000 * 1024 - 12)}`), expected: ['ProcessingFailed'] },
  {
    name: '20,000 records',
    input: () => eventOf(Array.from({ length: 20_000 }, (_, i) => `{"topic":"t/d${i}","i":${i}}\n`)),
    expected: r => {
      expect(r.records.every(a => a.result === 'Ok')).toBe(true);
      expect(JSON.parse(text(r, 19_999))).toEqual({ topic: 't/d19999', i: 19999, arrival_timestamp: 1720859923841 });
    },
  },
  {
    name: 'a batch whose answer would exceed 6,000,000 bytes',
    input: overflowingBatch,
    expected: (r, input) => {
      const failedAt = r.records.findIndex(a => a.result === 'ProcessingFailed');
      expect(failedAt).toBeGreaterThan(input.records.length / 2);
      expect(r.records.slice(0, failedAt).every(a => a.result === 'Ok')).toBe(true);
      expect(r.records.slice(failedAt).every(a => a.result === 'ProcessingFailed')).toBe(true);
      expect(Buffer.byteLength(JSON.stringify(r))).toBeGreaterThan(LIMIT - 1_000);
    },
    reason: /response size limit/,
  },
  // unicode and odd content
  {
    name: 'emoji, CJK and combining marks',
    env: PLAIN,
    input: one('{"m":"🚀👍🏽 中文 e\u0301"}'),
    expected: r => expect(JSON.parse(text(r, 0))).toEqual({ m: '🚀👍🏽 中文 e\u0301' }),
  },
  {
    name: 'lone surrogate escape',
    env: PLAIN,
    input: one('{"m":"\\ud800"}'),
    expected: r => expect(text(r, 0)).toBe('{"m":"\\ud800"}\n'),
  },
  {
    name: 'NUL escape',
    env: PLAIN,
    input: one('{"m":"a\\u0000b"}'),
    expected: r => expect(JSON.parse(text(r, 0)).m).toBe('a\u0000b'),
  },
  { name: 'byte order mark', env: PLAIN, input: one('\ufeff{"v":1}'), expected: r => expect(text(r, 0)).toBe('{"v":1}\n') },
  { name: 'CRLF separators', env: PLAIN, input: one('{"v":1}\r\n{"v":2}\r\n'), expected: r => expect(text(r, 0)).toBe('{"v":1}\n{"v":2}\n') },
  {
    name: '__proto__ key does not pollute',
    env: PLAIN,
    input: one('{"__proto__":{"polluted":1},"v":1}'),
    expected: r => {
      expect(text(r, 0)).toBe('{"__proto__":{"polluted":1},"v":1}\n');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  },
  { name: 'number out of double range', env: PLAIN, input: one('{"v":1e400}'), expected: r => expect(text(r, 0)).toBe('{"v":null}\n') },
  {
    name: 'missing approximateArrivalTimestamp',
    input: () => event([{ recordId: 'r0', data: b64('{"v":1}') } as never]),
    expected: r => expect(text(r, 0)).toBe('{"v":1}\n'),
  },
  // CSV
  {
    name: 'CSV-injection strings',
    env: CSV,
    input: one('{"topic":"=HYPERLINK(\\"http://evil\\")","v":"@SUM(A1)","n":{"x":"+1"}}'),
    expected: r => expect(text(r, 0)).toBe('"\'=HYPERLINK(""http://evil"")",\'@SUM(A1),,\'+1\n'),
  },
  { name: 'CSV with every field missing', env: CSV, input: one('{}'), expected: r => expect(text(r, 0)).toBe(',,,\n') },
  { name: 'CSV of a JSON array', env: CSV, input: one('[1,2]'), expected: ['ProcessingFailed'] },
  // ids and batches
  {
    name: 'duplicate recordIds',
    input: () => event([record('{"v":1}', 'dup'), record('nope', 'dup'), record('', 'dup')]),
    expected: ['Ok', 'ProcessingFailed', 'Dropped'],
  },
  {
    name: 'recordIds with quotes, backslashes and non-ASCII',
    input: () => event([record('{}', 'a"b\\c'), record('{}', 'é\u2028')]),
    expected: ['Ok', 'Ok'],
  },
  { name: 'a 10,000-character recordId', input: () => event([record('{}', 'x'.repeat(10_000))]), expected: ['Ok'] },
  { name: 'empty batch', input: () => event([]), expected: [] },
  {
    name: 'a mixed batch',
    input: () => eventOf(['{"v":1}', '', '[]', '{"v":2}\n{"v":3}', '\u00ff']),
    expected: ['Ok', 'Dropped', 'ProcessingFailed', 'Ok', 'ProcessingFailed'],
  },
];

describe('bad-input matrix', () => {
  test('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  test.each(CASES.map(c => [c.name, c] as const))('GIVEN %s WHEN parsed THEN the response keeps the contract', async (_name, c) => {
    // GIVEN
    const logger = capturingLogger();
    const handler = createReferenceHandler(c.env ?? {}, { logger, metrics: capturingMetrics() });
    const input = c.input();
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    if (typeof c.expected === 'function') c.expected(response, input);
    else expect(results(response)).toEqual(c.expected);
    if (c.reason) {
      const failure = logger.lines.find(l => l.message === 'Record answered ProcessingFailed');
      expect(failure?.extra.reason).toMatch(c.reason);
    }
  });
});
