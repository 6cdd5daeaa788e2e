import type * as awsLambda from 'aws-lambda';
import {
  createParser,
  FirehoseTransformationEvent,
  FirehoseTransformationHandler,
  FirehoseTransformationResult,
  JsonObject,
  ParseError,
  ParserMessage,
  ParserOptions,
  RESPONSE_SIZE_REASON,
  SinkGroup,
  SinkInvocation,
} from '../../../lambda/toolkit';
import {
  assertValidResponse,
  b64,
  batchSummary,
  capturingLogger,
  capturingMetrics,
  event,
  eventOf,
  record,
  results,
  text,
} from '../fixtures/contract';

/** A parser with capturing logger and metrics. */
function build<Row>(options: Omit<ParserOptions<Row>, 'logger' | 'metrics'> & Partial<Pick<ParserOptions<Row>, 'maxLoggedFailures'>>) {
  const logger = capturingLogger();
  const metrics = capturingMetrics();
  const handler = createParser<Row>({ ...options, logger, metrics });
  return { handler, logger, metrics };
}

const jsonEcho = () => build<JsonObject>({ parse: m => m.jsonObject() });

describe('decoding and splitting', () => {
  test('GIVEN one JSON message per record WHEN invoked THEN each record is Ok with the row newline-terminated', async () => {
    // GIVEN
    const { handler } = jsonEcho();
    const input = eventOf(['{"a":1}', '{"b":"x"}\n']);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(results(response)).toEqual(['Ok', 'Ok']);
    expect(text(response, 0)).toBe('{"a":1}\n');
    expect(text(response, 1)).toBe('{"b":"x"}\n');
  });

  test('GIVEN a record with several newline-separated messages WHEN invoked THEN each becomes a row, in order, with its index', async () => {
    // GIVEN
    const seen: [number, string][] = [];
    const { handler } = build<string>({ parse: m => { seen.push([m.index, m.text]); return m.text.toUpperCase(); } });
    const input = eventOf(['a\nb\r\n\n  \nc\n']);
    // WHEN
    const response = await handler(input);
    // THEN blank lines are skipped, \r\n is a separator too
    assertValidResponse(input, response);
    expect(text(response, 0)).toBe('A\nB\nC\n');
    expect(seen).toEqual([[0, 'a'], [1, 'b'], [2, 'c']]);
  });

  test('GIVEN splitLines false WHEN a record holds newlines THEN the whole record is one message', async () => {
    // GIVEN
    const { handler } = build<string>({ splitLines: false, parse: m => JSON.stringify(m.text) });
    const input = eventOf(['line1\nline2\n']);
    // WHEN
    const response = await handler(input);
    // THEN
    expect(text(response, 0)).toBe('"line1\\nline2\\n"\n');
  });

  test('GIVEN record metadata WHEN parse runs THEN the message carries recordId, arrival time and the invocation', async () => {
    // GIVEN
    let got: [ParserMessage, string] | undefined;
    const { handler } = build<string>({ parse: (m, inv) => { got = [m, inv.invocationId]; return 'x'; } });
    // WHEN
    await handler(event([record('{}', 'rec-7', { at: 42 })], 'inv-9'));
    // THEN
    expect(got?.[0].recordId).toBe('rec-7');
    expect(got?.[0].approximateArrivalTimestamp).toBe(42);
    expect(got?.[1]).toBe('inv-9');
  });

  test.each([
    ['not base64 at all', '!!!!', 'data is not valid base64'],
    ['base64url alphabet', b64(Buffer.from([0xfb, 0xff])).replace('+', '-').replace('/', '_'), 'data is not valid base64'],
    ['missing padding', 'YQ', 'data is not valid base64'],
    ['invalid UTF-8', b64(Buffer.from([0x7b, 0xc3, 0x28, 0x7d])), 'data is not valid UTF-8'],
  ])('GIVEN %s (%p) WHEN invoked THEN ProcessingFailed with reason %p', async (_name, data, reason) => {
    // GIVEN
    const { handler, logger } = jsonEcho();
    const input = event([record(data, 'bad', { raw: true })]);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(results(response)).toEqual(['ProcessingFailed']);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', extra: expect.objectContaining({ recordId: 'bad', reason }) }));
  });
});

describe('outcomes', () => {
  test('GIVEN parse returns nothing for every message WHEN invoked THEN the record is Dropped', async () => {
    // GIVEN
    const { handler } = build<string>({ parse: m => (m.text === 'keep' ? 'kept' : m.text === 'none' ? [] : null) });
    const input = eventOf(['skip', 'none', 'skip\nkeep', '']);
    // WHEN
    const response = await handler(input);
    // THEN an empty record has no message and is dropped too
    assertValidResponse(input, response);
    expect(results(response)).toEqual(['Dropped', 'Dropped', 'Ok', 'Dropped']);
    expect(text(response, 2)).toBe('kept\n');
    expect(response.records[0].data).toBe('');
  });

  test('GIVEN parse returns several rows WHEN invoked THEN all are serialized into the record', async () => {
    // GIVEN
    const { handler } = build<{ v: number }>({ parse: () => [{ v: 1 }, { v: 2 }], serialize: r => `v=${r.v}` });
    // WHEN
    const response = await handler(eventOf(['x']));
    // THEN
    expect(text(response, 0)).toBe('v=1\nv=2\n');
  });

  test('GIVEN a throwing parse WHEN one message of a record fails THEN the whole record fails, the rest of the batch is Ok', async () => {
    // GIVEN
    const { handler, logger } = build<string>({
      parse: m => { if (m.text === 'boom') throw new ParseError('no boom allowed'); return m.text; },
    });
    const input = eventOf(['ok', 'fine\nboom', 'ok2']);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(results(response)).toEqual(['Ok', 'ProcessingFailed', 'Ok']);
    expect(logger.lines).toContainEqual({
      level: 'warn',
      message: 'Record answered ProcessingFailed',
      extra: expect.objectContaining({ recordId: 'r1', index: 1, reason: 'no boom allowed', invocationId: 'inv-1' }),
    });
  });

  test('GIVEN invalid JSON holding a secret WHEN it fails THEN the reason names the position and no log line quotes the payload', async () => {
    // GIVEN V8's own JSON.parse message would quote the input
    const { handler, logger } = jsonEcho();
    const secret = 'SECRET-PAYLOAD-4711';
    const input = eventOf([`{"token":"${secret}"`, `${secret}`, `["${secret}"]`]);
    // WHEN
    const response = await handler(input);
    // THEN
    expect(results(response)).toEqual(['ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed']);
    expect(logger.text()).not.toContain(secret);
    const reasons = logger.lines.filter(l => l.level === 'warn').map(l => l.extra.reason);
    expect(reasons[0]).toMatch(/^invalid JSON/);
    expect(reasons[1]).toMatch(/^invalid JSON/);
    expect(reasons[2]).toBe('message is a JSON array, expected a JSON object');
  });

  test('GIVEN a parse that lets a raw SyntaxError escape WHEN it fails THEN its message is withheld', async () => {
    // GIVEN
    const { handler, logger } = build<unknown>({ parse: m => JSON.parse(m.text) });
    // WHEN
    await handler(eventOf(['{oops SECRET}']));
    // THEN
    expect(logger.text()).not.toContain('SECRET');
    expect(logger.lines[0].extra.reason).toMatch(/^SyntaxError \(message withheld/);
  });

  test('GIVEN a parse that throws a TypeError or a non-Error WHEN it fails THEN the reason is the error name and message, or a placeholder', async () => {
    // GIVEN
    const { handler, logger } = build<unknown>({
      parse: m => {
        if (m.text === 'type') return (undefined as unknown as { x: number }).x;
        throw 'a string with PAYLOAD'; // eslint-disable-line no-throw-literal
      },
    });
    // WHEN
    await handler(eventOf(['type', 'str']));
    // THEN
    expect(logger.lines[0].extra.reason).toMatch(/^TypeError: Cannot read properties of undefined/);
    expect(logger.lines[1].extra.reason).toBe('non-Error value thrown');
    expect(logger.text()).not.toContain('PAYLOAD');
  });

  test.each([
    ['null', 'JSON null'],
    ['42', 'a JSON number'],
    ['"s"', 'a JSON string'],
    ['true', 'a JSON boolean'],
    ['[1]', 'a JSON array'],
  ])('GIVEN the message %s WHEN jsonObject() is used THEN the reason says it is %s', async (message, kind) => {
    // GIVEN
    const { handler, logger } = jsonEcho();
    // WHEN
    const response = await handler(eventOf([message]));
    // THEN
    expect(results(response)).toEqual(['ProcessingFailed']);
    expect(logger.lines[0].extra.reason).toBe(`message is ${kind}, expected a JSON object`);
  });

  test('GIVEN parse returns a Promise or serialize a non-string WHEN invoked THEN the record fails with a reason', async () => {
    // GIVEN
    const asyncParse = build<unknown>({ parse: async () => ({}) });
    const badSerialize = build<unknown>({ parse: () => ({}), serialize: () => 42 as unknown as string });
    // WHEN
    const [a, b] = await Promise.all([asyncParse.handler(eventOf(['x'])), badSerialize.handler(eventOf(['x']))]);
    // THEN
    expect(results(a)).toEqual(['ProcessingFailed']);
    expect(asyncParse.logger.lines[0].extra.reason).toMatch(/returned a Promise/);
    expect(results(b)).toEqual(['ProcessingFailed']);
    expect(badSerialize.logger.lines[0].extra.reason).toMatch(/did not return a string/);
  });

  test('GIVEN many failures WHEN invoked THEN only the first few are logged one by one, then one summary line', async () => {
    // GIVEN
    const { handler, logger } = build<unknown>({ parse: () => { throw new ParseError('nope'); }, maxLoggedFailures: 3 });
    // WHEN
    await handler(eventOf(Array.from({ length: 20 }, () => 'x')));
    // THEN
    expect(logger.lines.filter(l => l.message === 'Record answered ProcessingFailed')).toHaveLength(3);
    expect(logger.lines).toContainEqual(expect.objectContaining({ extra: expect.objectContaining({ failed: 20, logged: 3 }) }));
  });
});

describe('partition keys', () => {
  const byDevice = () => build<JsonObject>({
    parse: m => m.jsonObject(),
    partitionKeys: row => (row.device === undefined ? undefined : { device: String(row.device), kind: 'telemetry' }),
  });

  test('GIVEN partitionKeys WHEN rows have keys THEN metadata.partitionKeys is answered', async () => {
    // GIVEN
    const { handler } = byDevice();
    const input = eventOf(['{"device":"d1"}', '{"x":1}']);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(response.records[0].metadata).toEqual({ partitionKeys: { device: 'd1', kind: 'telemetry' } });
    expect(response.records[1].metadata).toBeUndefined();
  });

  test('GIVEN rows of one record WHEN their keys differ THEN the record fails; WHEN they agree in another order THEN it is Ok', async () => {
    // GIVEN
    const { handler, logger } = byDevice();
    const agree = build<JsonObject>({
      parse: () => [{}, {}],
      partitionKeys: (_row, m) => (m.index === 0 ? { a: '1', b: '2' } : { b: '2', a: '1' }),
    });
    // WHEN
    const response = await handler(eventOf(['{"device":"d1"}\n{"device":"d2"}']));
    const agreed = await agree.handler(eventOf(['x\ny']));
    // THEN
    expect(results(response)).toEqual(['ProcessingFailed']);
    expect(logger.lines[0].extra.reason).toBe('rows of one record have different partition keys');
    expect(results(agreed)).toEqual(['Ok']);
    expect(agreed.records[0].metadata?.partitionKeys).toEqual({ a: '1', b: '2' });
  });

  test('GIVEN a partition key that is not a string WHEN invoked THEN the record fails', async () => {
    // GIVEN
    const { handler, logger } = build<JsonObject>({ parse: m => m.jsonObject(), partitionKeys: () => ({ n: 1 }) as never });
    // WHEN
    const response = await handler(eventOf(['{}']));
    // THEN
    expect(results(response)).toEqual(['ProcessingFailed']);
    expect(logger.lines[0].extra.reason).toBe('partition key "n" is not a string');
  });

  test('GIVEN partition-key values outside the safe set (.., a/b, 2,000 characters, ., =, space, empty) WHEN invoked THEN those records fail with the reason logged and the value not', async () => {
    // GIVEN
    const { handler, logger } = byDevice();
    const unsafe = ['..', 'a/b', 'x'.repeat(2000), '.', 'a=b', 'a b', '', 'a/../../raw/year=2000'];
    const input = eventOf([...unsafe, 'sensor-7', 'thing:a_b.c@d+e-f', 'y'.repeat(128)].map((device) => JSON.stringify({ device })));
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(results(response)).toEqual([...unsafe.map(() => 'ProcessingFailed'), 'Ok', 'Ok', 'Ok']);
    const reasons = logger.lines.filter((line) => line.level === 'warn' && line.extra.reason).map((line) => line.extra.reason);
    expect(reasons.slice(0, 4)).toEqual([
      'partition key "device" is "." or ".." (a path segment); values must be in the safe set',
      'partition key "device" contains "/" (it would add S3 key levels); values must be in the safe set',
      'partition key "device" is 2000 characters long (at most 128); values must be in the safe set',
      'partition key "device" is "." or ".." (a path segment); values must be in the safe set',
    ]);
    expect(logger.text()).not.toContain('xxxxxxxx');
    expect(logger.text()).not.toContain('raw/year');
  });
});

describe('response size guard', () => {
  test('GIVEN a small limit WHEN the rows do not all fit THEN later records are ProcessingFailed and the response stays below the limit', async () => {
    // GIVEN rows of ~1,000 chars base64-encode to ~1,336
    const limit = 4_000;
    const { handler, logger, metrics } = build<string>({ parse: m => m.text, maxResponseBytes: limit });
    const input = eventOf(Array.from({ length: 6 }, (_, i) => `${i}`.repeat(1000)));
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response, limit);
    expect(results(response)).toEqual(['Ok', 'Ok', 'ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed']);
    expect(logger.lines.find(l => l.extra.recordId === 'r2')?.extra.reason).toBe(RESPONSE_SIZE_REASON);
    expect(metrics.published[0]).toEqual(expect.objectContaining({ RecordsOverflowed: 4, RecordsFailed: 4, RecordsOk: 2 }));
  });

  test('GIVEN a big record early WHEN it does not fit THEN smaller later records still do', async () => {
    // GIVEN
    const limit = 3_000;
    const { handler } = build<string>({ parse: m => m.text, maxResponseBytes: limit });
    const input = eventOf(['small', 'x'.repeat(5_000), 'small too']);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response, limit);
    expect(results(response)).toEqual(['Ok', 'ProcessingFailed', 'Ok']);
  });

  test('GIVEN any batch WHEN answered THEN the logged responseBytes is the exact serialized size', async () => {
    // GIVEN ids and rows that JSON escapes, non-ASCII, partition keys
    const { handler, logger } = build<string>({ parse: m => m.text, partitionKeys: r => ({ k: r.slice(0, 2) }) });
    const input = event([
      record('héllo "quoted" \\ wörld', 'id-"1"'),
      record('plain', 'id\u00e9\n2'),
      record('', 'id3'),
      record('%%%', 'id4', { raw: true }),
    ]);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(batchSummary(logger).responseBytes).toBe(Buffer.byteLength(JSON.stringify(response)));
  });

  test('GIVEN a limit too small for even empty answers WHEN invoked THEN the handler throws (batch retried)', async () => {
    // GIVEN
    const { handler } = build<string>({ parse: m => m.text, maxResponseBytes: 100 });
    // WHEN / THEN
    await expect(handler(eventOf(['a', 'b', 'c']))).rejects.toThrow(/Cannot answer 3 records below 100 bytes/);
  });

  test('GIVEN an invalid maxResponseBytes WHEN the parser is created THEN it throws', () => {
    expect(() => createParser({ parse: () => null, maxResponseBytes: 10 })).toThrow(/maxResponseBytes must be an integer above/);
  });
});

describe('invocation-level behaviour', () => {
  test('GIVEN an empty batch WHEN invoked THEN the answer is empty', async () => {
    const { handler, metrics } = jsonEcho();
    const response = await handler(event([]));
    expect(response).toEqual({ records: [] });
    expect(metrics.published[0].RecordsIn).toBe(0);
  });

  test('GIVEN a malformed event WHEN invoked THEN the handler throws (a retry, not data)', async () => {
    const { handler } = jsonEcho();
    await expect(handler({} as FirehoseTransformationEvent)).rejects.toThrow(/"records" is not an array/);
    await expect(handler(event([{ data: b64('{}') } as never]))).rejects.toThrow(/record 0 has no string recordId/);
  });

  test('GIVEN duplicate recordIds in the input WHEN invoked THEN each occurrence is answered once, in order', async () => {
    // GIVEN
    const { handler } = jsonEcho();
    const input = event([record('{"i":1}', 'same'), record('[]', 'same'), record('{"i":3}', 'same')]);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(results(response)).toEqual(['Ok', 'ProcessingFailed', 'Ok']);
    expect(text(response, 2)).toBe('{"i":3}\n');
  });

  test('GIVEN a batch WHEN answered THEN metrics are published once with counts and bytes, and one summary is logged', async () => {
    // GIVEN
    const { handler, metrics, logger } = build<string>({ parse: m => (m.text === 'drop' ? null : m.text) });
    const input = event([record('abc', 'r0'), record('drop', 'r1'), record('\u00e9', 'r2'), record('***', 'bad', { raw: true })]);
    // WHEN
    await handler(input, { awsRequestId: 'req-1' });
    // THEN
    expect(metrics.published).toEqual([{
      RecordsIn: 4,
      RecordsOk: 2,
      RecordsDropped: 1,
      RecordsFailed: 1,
      RecordsOverflowed: 0,
      BytesIn: 3 + 4 + 2,
      BytesOut: 4 + 3,
    }]);
    expect(batchSummary(logger)).toEqual(expect.objectContaining({ awsRequestId: 'req-1', records: 4, ok: 2, dropped: 1, failed: 1 }));
  });

  test('GIVEN records that fail after decoding WHEN answered THEN their bytes count in BytesIn; data that is not base64 counts nothing', async () => {
    // GIVEN invalid UTF-8 (4 bytes), a parse that throws (5 bytes), data that is not base64
    const { handler, metrics } = build<string>({ parse: (m) => { if (m.text === 'boom!') throw new ParseError('no'); return m.text; } });
    const input = event([
      record(b64(Buffer.from([0x7b, 0xc3, 0x28, 0x7d])), 'utf8', { raw: true }),
      record('boom!', 'throws'),
      record('***', 'b64', { raw: true }),
      record('ok', 'ok'),
    ]);
    // WHEN
    await handler(input);
    // THEN
    expect(metrics.published[0]).toEqual(expect.objectContaining({ RecordsFailed: 3, RecordsOk: 1, BytesIn: 4 + 5 + 2, BytesOut: 3 }));
  });
});

describe('sink', () => {
  function sinkParser(sink: (groups: readonly SinkGroup[], inv: SinkInvocation) => Promise<void>) {
    return build<JsonObject>({
      parse: m => m.jsonObject(),
      partitionKeys: row => (typeof row.d === 'string' ? { d: row.d } : undefined),
      sink,
    });
  }

  test('GIVEN a sink WHEN it resolves THEN written records are Dropped, failed ones stay ProcessingFailed', async () => {
    // GIVEN
    const calls: [readonly SinkGroup[], SinkInvocation][] = [];
    const { handler, metrics } = sinkParser(async (groups, inv) => { calls.push([groups, inv]); });
    const input = event([
      record('{"d":"a","v":1}', 'r0', { at: 1000 }),
      record('{"v":2}', 'r1'),
      record('not json', 'r2'),
      record('{"d":"a","v":3}', 'r3'),
    ]);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(results(response)).toEqual(['Dropped', 'Dropped', 'ProcessingFailed', 'Dropped']);
    expect(calls).toHaveLength(1);
    const [groups, inv] = calls[0];
    expect(inv).toEqual(expect.objectContaining({ invocationId: 'inv-1', firstArrivalTimestamp: 1000 }));
    expect(groups).toEqual([
      { partitionKeys: { d: 'a' }, recordIds: ['r0', 'r3'], data: '{"d":"a","v":1}\n{"d":"a","v":3}\n' },
      { recordIds: ['r1'], data: '{"v":2}\n' },
    ]);
    expect(metrics.published[0]).toEqual(expect.objectContaining({ RecordsWritten: 3, RecordsDropped: 3, RecordsFailed: 1, RecordsOk: 0 }));
  });

  test('GIVEN a sink WHEN it rejects THEN the handler throws so Firehose retries the batch', async () => {
    // GIVEN
    const { handler, logger, metrics } = sinkParser(async () => { throw new Error('AccessDenied'); });
    // WHEN / THEN
    await expect(handler(eventOf(['{"v":1}']))).rejects.toThrow('AccessDenied');
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'error', extra: expect.objectContaining({ error: 'Error: AccessDenied' }) }));
    expect(metrics.published[0]).toEqual({ SinkFailures: 1 });
  });

  test('GIVEN a sink WHEN no record produced rows THEN it is not called', async () => {
    // GIVEN
    const sink = jest.fn(async () => undefined);
    const { handler } = sinkParser(sink);
    // WHEN
    const response = await handler(eventOf(['[]', '']));
    // THEN
    expect(results(response)).toEqual(['ProcessingFailed', 'Dropped']);
    expect(sink).not.toHaveBeenCalled();
  });

  test('GIVEN two invocations interleaving at the sink WHEN both finish THEN each logs its own byte count', async () => {
    // GIVEN
    const { handler, logger } = sinkParser(() => new Promise(resolve => setTimeout(resolve, 5)));
    // WHEN
    await Promise.all([handler(eventOf(['{"v":1}'], 'a')), handler(eventOf(['{"v":22222}'], 'b'))]);
    // THEN
    const summaries = logger.lines.filter(l => l.message === 'Batch answered').map(l => [l.extra.invocationId, l.extra.bytesIn]);
    expect(summaries.sort()).toEqual([['a', 7], ['b', 11]]);
  });

  test('GIVEN two invocations interleaving at the sink, one with a failing record WHEN both finish THEN each answers and logs only its own records', async () => {
    // GIVEN the first sink call resolves after the second, so invocation a finishes last
    const releases: (() => void)[] = [];
    const { handler, logger, metrics } = sinkParser(() => new Promise<void>(resolve => { releases.push(resolve); }));
    const a = handler(eventOf(['{"v":1}', '[1]', '{"v":3}'], 'a'));
    const b = handler(eventOf(['{"v":4}', '{"v":5}'], 'b'));
    // WHEN
    await new Promise(setImmediate);
    releases[1]();
    const responseB = await b;
    releases[0]();
    const responseA = await a;
    // THEN
    expect(results(responseA)).toEqual(['Dropped', 'ProcessingFailed', 'Dropped']);
    expect(results(responseB)).toEqual(['Dropped', 'Dropped']);
    const failures = logger.lines.filter(l => l.message === 'Record answered ProcessingFailed').map(l => [l.extra.invocationId, l.extra.recordId, l.extra.reason]);
    expect(failures).toEqual([['a', 'r1', 'message is a JSON array, expected a JSON object']]);
    expect(metrics.published.map(m => [m.RecordsWritten, m.RecordsFailed])).toEqual([[2, 0], [2, 1]]);
  });
});

describe('types', () => {
  test('GIVEN @types/aws-lambda WHEN its types meet the toolkit types THEN they are compatible both ways', async () => {
    // GIVEN (compile-time checks; the assertions only make them run)
    const { handler } = jsonEcho();
    const asAws: awsLambda.FirehoseTransformationHandler = handler;
    const awsEvent: awsLambda.FirehoseTransformationEvent = eventOf(['{}']) as awsLambda.FirehoseTransformationEvent;
    const ourHandler: FirehoseTransformationHandler = handler;
    // WHEN
    const ours: FirehoseTransformationResult = await ourHandler(awsEvent);
    const theirs: awsLambda.FirehoseTransformationResult = ours;
    // THEN
    expect(theirs.records[0].result).toBe('Ok');
    expect(typeof asAws).toBe('function');
  });
});
