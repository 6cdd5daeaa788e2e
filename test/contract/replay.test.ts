/**
 * The replay logic shared by the worker Lambda and the local replay: planning an execution input, reading objects,
 * batching events, splitting responses and naming outputs.
 */
import {
  buildTransformationEvents, DEFAULT_DATA_OUTPUT_PREFIX, DEFAULT_ERROR_OUTPUT_PREFIX, objectInRange,
  partitionedDataOutputPrefix, planReplay, readReplayObject, ReplayInputError, replayObjectName, replayOutputs,
  splitJsonObjects, splitParserResponse, parseReplayCounts, replayBatchCountsKey, replayRunFolder, replayRunsPrefix,
} from '../../src/contract';
import { defaultReplayLayout } from '../support/replay-layout';

const LAYOUT = defaultReplayLayout({ parsedBucket: 'parsed-bucket', rawBucket: 'raw-bucket' });

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('planReplay', () => {
  test('GIVEN processing-failed over two days WHEN planned THEN lists the error prefix down to the shared month, writes live', () => {
    const plan = planReplay({ source: 'processing-failed', from: '2026-03-04T22', to: '2026-03-05T01:00:00Z' }, LAYOUT);
    expect(plan.sourceBucket).toEqual('parsed-bucket');
    expect(plan.listPrefix).toEqual('errors/processing-failed/year=2026/month=03/day=0');
    expect(plan.outputPrefix).toEqual(DEFAULT_DATA_OUTPUT_PREFIX);
    expect(plan.fromMs).toEqual(Date.UTC(2026, 2, 4, 22));
    expect(plan.toMs).toEqual(Date.UTC(2026, 2, 5, 2));
  });

  test('GIVEN one hour of raw with a backfill prefix WHEN planned THEN lists that hour of the raw bucket', () => {
    const plan = planReplay({ source: 'raw', from: '2026-03-04T05', to: '2026-03-04T05', outputPrefix: 'backfill/v2/' }, LAYOUT);
    expect(plan.sourceBucket).toEqual('raw-bucket');
    expect(plan.listPrefix).toEqual('raw/year=2026/month=03/day=04/hour=05/');
    expect(plan.outputPrefix).toEqual('backfill/v2/');
  });

  test.each([
    [{ source: 'raw', from: '2026-03-04T05', to: '2026-03-04T06' }, /give an "outputPrefix" under "backfill\/"/],
    [{ source: 'raw', from: '2026-03-04T05', to: '2026-03-04T06', outputPrefix: DEFAULT_DATA_OUTPUT_PREFIX }, /nothing is doubled/],
    [{ source: 'raw', from: '2026-03-04T05', to: '2026-03-04T06', outputPrefix: 'other/' }, /must start with "backfill\/"/],
    [{ source: 'raw', from: '2026-03-04T05', to: '2026-03-04T06', outputPrefix: 'backfill/!{nope:x}/' }, /namespace "nope" is unknown/],
    [{ source: 'everything', from: '2026-03-04T05', to: '2026-03-04T06' }, /"source" must be one of "processing-failed", "raw"/],
    [{ source: 'raw', from: '2026-03-04 05:00', to: '2026-03-04T06', outputPrefix: 'backfill/a/' }, /"from" must be an hour in ISO 8601/],
    [{ source: 'raw', from: '2026-02-30T05', to: '2026-03-04T06', outputPrefix: 'backfill/a/' }, /not a date and hour that exists/],
    [{ source: 'raw', from: '2026-03-04T07', to: '2026-03-04T06', outputPrefix: 'backfill/a/' }, /swap them/],
    [{ source: 'raw', from: '2026-03-04T05', to: '2026-03-04T06', output: 'x' }, /Unknown input field\(s\) output/],
    ['raw', /must be a JSON object/],
  ])('GIVEN %j WHEN planned THEN it says what to change', (input, message) => {
    expect(() => planReplay(input, LAYOUT)).toThrow(ReplayInputError);
    expect(() => planReplay(input, LAYOUT)).toThrow(message);
  });

  test('GIVEN no raw backup WHEN a raw replay is planned THEN it points to processing-failed', () => {
    const layout = { ...LAYOUT, rawBucket: undefined, backupPrefix: undefined };
    expect(() => planReplay({ source: 'raw', from: '2026-03-04T05', to: '2026-03-04T06', outputPrefix: 'backfill/a/' }, layout))
      .toThrow(/replay "processing-failed" instead/);
  });
});

describe('objects', () => {
  const plan = { fromMs: Date.UTC(2026, 2, 4, 5), toMs: Date.UTC(2026, 2, 4, 6) };
  test('GIVEN keys WHEN filtered THEN only objects whose name time lies in the hours are replayed', () => {
    expect(objectInRange('raw/x/s-1-2026-03-04-05-59-59-abc.gz', plan)).toBe(true);
    expect(objectInRange('raw/x/s-1-2026-03-04-06-00-00-abc.gz', plan)).toBe(false);
    expect(objectInRange('raw/x/s-1-2026-03-04-04-59-59-abc.gz', plan)).toBe(false);
    expect(objectInRange('raw/x/notes.txt', plan)).toBe(false);
    expect(objectInRange('raw/x/', plan)).toBe(false);
  });

  test('GIVEN a processing-failed object WHEN read THEN rawData bytes with their arrival time; bad lines are named', () => {
    const body = Buffer.from([
      JSON.stringify({ attemptsMade: 4, arrivalTimestamp: 111, errorCode: 'Lambda.ProcessingFailedStatus', rawData: b64('{"t":1}\n') }),
      '{not json}',
      JSON.stringify({ arrivalTimestamp: 222 }),
    ].join('\n') + '\n' + JSON.stringify({ arrivalTimestamp: 333, rawData: b64('{"s":"}{"}\n') }));
    const { records, problems } = readReplayObject('processing-failed', body, 999);
    expect(records.map((r) => [r.data.toString(), r.arrivalTimestamp])).toEqual([['{"t":1}\n', 111], ['{"s":"}{"}\n', 333]]);
    expect(problems).toEqual(['error record 2 is not JSON', 'error record 3 has no base64 "rawData"']);
  });

  test('GIVEN a raw object WHEN read THEN records split after each separator, keeping it, at the object time', () => {
    const { records } = readReplayObject('raw', Buffer.from('{"a":1}\n{"a":2}\n{"a":3}'), 42);
    expect(records.map((r) => r.data.toString())).toEqual(['{"a":1}\n', '{"a":2}\n', '{"a":3}']);
    expect(records.every((r) => r.arrivalTimestamp === 42)).toBe(true);
  });

  test('GIVEN concatenated JSON objects with braces in strings WHEN split THEN each object once', () => {
    expect(splitJsonObjects('{"a":"}"}{"b":{"c":"\\"{"}}')).toEqual(['{"a":"}"}', '{"b":{"c":"\\"{"}}']);
  });
});

describe('events and responses', () => {
  const records = Array.from({ length: 10 }, (_, i) => ({ data: Buffer.alloc(1000, 97 + i), arrivalTimestamp: 1000 + i }));
  const opts = { deliveryStreamArn: 'arn:aws:firehose:eu-west-1:1:deliverystream/s', region: 'eu-west-1', invocationId: (n: number) => `inv-${n}` };

  test('GIVEN records WHEN batched under a limit THEN every event fits it and all records are kept in order', () => {
    const { batches, tooLarge } = buildTransformationEvents(records, { ...opts, limitBytes: 4000 });
    expect(tooLarge).toEqual([]);
    expect(batches.length).toBeGreaterThan(2);
    for (const b of batches) expect(Buffer.byteLength(JSON.stringify(b.event))).toBeLessThanOrEqual(4000);
    expect(batches.flatMap((b) => b.event.records.map((r) => Buffer.from(r.data, 'base64').toString()))).toEqual(records.map((r) => r.data.toString()));
    expect(batches[1].event.invocationId).toEqual('inv-1');
    expect(batches[0].event.records[0].approximateArrivalTimestamp).toEqual(1000);
  });

  test('GIVEN a limit above 6,000,000 WHEN batched THEN Lambda\'s limit still holds; a too large record is set apart', () => {
    const big = { data: Buffer.alloc(4_600_000), arrivalTimestamp: 1 };
    const { batches, tooLarge } = buildTransformationEvents([big, records[0]], { ...opts, limitBytes: 50_000_000 });
    expect(tooLarge).toEqual([big]);
    expect(batches).toHaveLength(1);
  });

  const batch = buildTransformationEvents(records.slice(0, 3), opts).batches[0];

  test('GIVEN Ok, Dropped and ProcessingFailed WHEN split THEN rows, a count and failures', () => {
    const split = splitParserResponse(batch, {
      records: [
        { recordId: '0', result: 'Ok', data: b64('row0\n'), metadata: { partitionKeys: { thing: 't1' } } },
        { recordId: '1', result: 'Dropped' },
        { recordId: '2', result: 'ProcessingFailed' },
      ],
    });
    expect(split.ok.map((r) => [r.data.toString(), r.partitionKeys, r.record.arrivalTimestamp])).toEqual([['row0\n', { thing: 't1' }, 1000]]);
    expect(split.dropped).toEqual(1);
    expect(split.failed.map((f) => [f.errorCode, f.record.arrivalTimestamp])).toEqual([['Lambda.ProcessingFailedStatus', 1002]]);
  });

  test.each([
    [{ nope: 1 }, 'Lambda.JsonProcessingException'],
    [{ records: [{ recordId: '0', result: 'Ok', data: b64('a') }, { recordId: '1', result: 'Ok', data: b64('a') }] }, 'Lambda.MissingRecordId'],
    [{ records: [{ recordId: '0', result: 'Ok', data: b64('a') }, { recordId: '0', result: 'Ok', data: b64('a') }] }, 'Lambda.DuplicatedRecordId'],
    [{ records: [{ recordId: '9', result: 'Ok', data: b64('a') }] }, 'Lambda.MissingRecordId'],
    [{ records: [{ recordId: '0', result: 'Fine' }] }, 'Lambda.JsonProcessingException'],
    [{ records: [{ recordId: '0', result: 'Ok', data: 'not base64!' }] }, 'Lambda.JsonProcessingException'],
  ])('GIVEN the response %j WHEN split THEN the whole batch fails with %s', (response, code) => {
    const split = splitParserResponse(batch, response);
    expect(split.ok).toEqual([]);
    expect(split.failed.map((f) => f.errorCode)).toEqual([code, code, code]);
  });
});

describe('outputs', () => {
  const hour5 = Date.UTC(2026, 2, 4, 5, 30);
  const hour6 = Date.UTC(2026, 2, 4, 6, 10);
  const ctx = {
    sourceKey: 'errors/processing-failed/year=2026/month=03/day=04/hour=05/s-1-2026-03-04-05-31-00-u1.gz',
    outputPrefix: DEFAULT_DATA_OUTPUT_PREFIX,
    errorOutputPrefix: DEFAULT_ERROR_OUTPUT_PREFIX,
    dynamicPartitioning: false,
    extension: '.json.gz',
    errorExtension: '.gz',
    lambdaArn: 'arn:aws:lambda:eu-west-1:1:function:parser',
    now: 77,
  };
  const rec = (t: number, s: string) => ({ data: Buffer.from(s), arrivalTimestamp: t });

  test('GIVEN rows of two hours WHEN output THEN one object per original hour, named after the source, the same every time', () => {
    const ok = [{ record: rec(hour5, 'a'), data: Buffer.from('A\n') }, { record: rec(hour6, 'b'), data: Buffer.from('B\n') }, { record: rec(hour5, 'c'), data: Buffer.from('C\n') }];
    const first = replayOutputs(ok, [], ctx);
    const name = replayObjectName(ctx.sourceKey, '.json.gz');
    expect(name).toMatch(/^s-1-2026-03-04-05-31-00-u1-replay-[0-9a-f]{8}\.json\.gz$/);
    expect(first.data.map((o) => [o.key, o.body.toString(), o.records])).toEqual([
      [`parsed/year=2026/month=03/day=04/hour=05/${name}`, 'A\nC\n', 2],
      [`parsed/year=2026/month=03/day=04/hour=06/${name}`, 'B\n', 1],
    ]);
    expect(replayOutputs(ok, [], { ...ctx, now: 99 }).data.map((o) => o.key)).toEqual(first.data.map((o) => o.key));
    expect(replayObjectName('other/hour=05/s-1-2026-03-04-05-31-00-u1.gz', '.json.gz')).not.toEqual(name);
  });

  test('GIVEN a failure WHEN output THEN an error record with AWS\'s fields under errors/replay-failed/ of its hour', () => {
    const { errors } = replayOutputs([], [{ record: rec(hour6, 'raw\n'), errorCode: 'Lambda.ProcessingFailedStatus', errorMessage: 'm' }], ctx);
    expect(errors).toHaveLength(1);
    expect(errors[0].key).toMatch(/^errors\/replay-failed\/year=2026\/month=03\/day=04\/hour=06\/s-1-2026-03-04-05-31-00-u1-replay-[0-9a-f]{8}\.gz$/);
    expect(JSON.parse(errors[0].body.toString())).toEqual({
      attemptsMade: 1,
      arrivalTimestamp: hour6,
      errorCode: 'Lambda.ProcessingFailedStatus',
      errorMessage: 'm',
      attemptEndingTimestamp: 77,
      rawData: b64('raw\n'),
      lambdaArn: ctx.lambdaArn,
    });
  });

  test('GIVEN dynamic partitioning WHEN output THEN keys go into the prefix; missing or unsafe keys fail again', () => {
    const c = { ...ctx, outputPrefix: partitionedDataOutputPrefix(['thing']), dynamicPartitioning: true };
    const { data, errors } = replayOutputs([
      { record: rec(hour5, '1'), data: Buffer.from('1\n'), partitionKeys: { thing: 'dev-1' } },
      { record: rec(hour5, '2'), data: Buffer.from('2\n') },
      { record: rec(hour5, '3'), data: Buffer.from('3\n'), partitionKeys: { thing: '../x' } },
    ], [], c);
    expect(data.map((o) => o.key.slice(0, o.key.lastIndexOf('/') + 1))).toEqual(['parsed/thing=dev-1/year=2026/month=03/day=04/hour=05/']);
    const codes = errors.flatMap((o) => o.body.toString().trim().split('\n').map((l) => JSON.parse(l).errorCode));
    expect(codes).toEqual(['DynamicPartitioning.MissingPartitionKey', 'Replay.UnsafePartitionKey']);
  });
});

describe('the replay run folder', () => {
  test('GIVEN error prefixes WHEN the run folder is derived THEN it sits in the error area, named replay-runs, never wider', () => {
    expect(replayRunsPrefix('errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/')).toBe('errors/replay-runs/');
    // The error type after a timestamp: replay-runs/ in the fixed start's folder, not the whole error area.
    expect(replayRunsPrefix('failures/!{timestamp:yyyy}/!{firehose:error-output-type}/')).toBe('failures/replay-runs/');
    expect(replayRunsPrefix('bad-!{firehose:error-output-type}-!{timestamp:yyyy}/')).toBe('bad-replay-runs/');
  });

  test('GIVEN execution names WHEN the run folder is named THEN only a Step Functions name is one key segment', () => {
    expect(replayRunFolder('errors/replay-runs/', 'replay-2026-03-04_1')).toBe('errors/replay-runs/replay-2026-03-04_1/');
    for (const bad of ['', 'a/b', '..', 'x'.repeat(81), undefined, 7]) {
      expect(() => replayRunFolder('errors/replay-runs/', bad)).toThrow(/not a Step Functions execution name/);
    }
  });

  test('GIVEN batches WHEN their counts keys are named THEN a retried batch gets its own key back, other batches another', () => {
    const a = replayBatchCountsKey('r/x/', 'errors/processing-failed/2026/s-1-2026-03-04-05-10-00-a.gz', 10);
    expect(a).toMatch(/^r\/x\/[0-9a-f]{16}-10\.json$/);
    expect(replayBatchCountsKey('r/x/', 'errors/processing-failed/2026/s-1-2026-03-04-05-10-00-a.gz', 10)).toBe(a);
    expect(replayBatchCountsKey('r/x/', 'errors/processing-failed/2026/s-1-2026-03-04-05-10-00-b.gz', 10)).not.toBe(a);
    expect(replayBatchCountsKey('r/x/', 'errors/processing-failed/2026/s-1-2026-03-04-05-10-00-a.gz', 9)).not.toBe(a);
    // 100k distinct first keys give 100k distinct names.
    const names = new Set(Array.from({ length: 100_000 }, (_, i) => replayBatchCountsKey('', `raw/2026/03/04/s-1-2026-03-04-05-00-00-${i}`, 10)));
    expect(names.size).toBe(100_000);
  });

  test('GIVEN a counts object WHEN read back THEN whole counts pass and anything else says what it should hold', () => {
    const c = { objectsRead: 1, objectsSkipped: 0, recordsRead: 3, ok: 2, dropped: 0, failedAgain: 1, objectsWritten: 2 };
    expect(parseReplayCounts(JSON.stringify(c), 'k')).toEqual(c);
    expect(() => parseReplayCounts('{', 'k')).toThrow(/k is not JSON/);
    expect(() => parseReplayCounts(JSON.stringify({ ...c, ok: -1 }), 'k')).toThrow(/no whole count "ok"/);
  });
});
