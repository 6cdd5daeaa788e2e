/**
 * The replay worker with S3 and Lambda faked at the client's `send`: an in-memory bucket map and a parser that
 * answers by the record's content.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambda/replay-worker';
import { REPLAY_WORKER_ENV, ReplayCounts } from '../../../src/contract';
import { defaultReplayLayout } from '../../support/replay-layout';

const PARSER = 'arn:aws:lambda:eu-west-1:123456789012:function:parser';
const LAYOUT = defaultReplayLayout({ parsedBucket: 'parsed', rawBucket: 'raw' });

const s3 = mockClient(S3Client);
const lambda = mockClient(LambdaClient);
let buckets: Map<string, Buffer>;
let invocations: Array<{ records: Array<{ recordId: string; data: string; approximateArrivalTimestamp: number }> }>;

const HOUR = Date.UTC(2026, 2, 4, 5);
const FAILED_KEY = 'errors/processing-failed/year=2026/month=03/day=04/hour=05/stream-1-2026-03-04-05-10-00-aaaa.gz';
const RAW_KEY = 'raw/year=2026/month=03/day=04/hour=05/stream-1-2026-03-04-05-20-00-bbbb.gz';
const RUN = 'run-1';
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A processing-failed object as Firehose writes it: one JSON line per record, gzipped. */
function failedObject(payloads: string[], arrival: number): Buffer {
  return gzipSync(payloads.map((p) => JSON.stringify({
    attemptsMade: 4,
    arrivalTimestamp: arrival,
    errorCode: 'Lambda.ProcessingFailedStatus',
    errorMessage: 'x',
    attemptEndingTimestamp: arrival + 1,
    rawData: b64(`${p}\n`),
    lambdaArn: PARSER,
  }) + '\n').join(''));
}

/** The parser: `bad` fails, `drop` is dropped, anything else becomes `ROW:<payload>`. */
function parse(event: { records: Array<{ recordId: string; data: string }> }) {
  return {
    records: event.records.map((r) => {
      const text = Buffer.from(r.data, 'base64').toString().trim();
      if (text === 'bad') return { recordId: r.recordId, result: 'ProcessingFailed' };
      if (text === 'drop') return { recordId: r.recordId, result: 'Dropped' };
      return { recordId: r.recordId, result: 'Ok', data: b64(`ROW:${text}\n`) };
    }),
  };
}

beforeEach(() => {
  s3.reset();
  lambda.reset();
  buckets = new Map();
  invocations = [];
  process.env[REPLAY_WORKER_ENV.layout] = JSON.stringify(LAYOUT);
  process.env[REPLAY_WORKER_ENV.parserFunction] = PARSER;
  process.env[REPLAY_WORKER_ENV.deliveryStreamArn] = 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/stream';
  s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const body = buckets.get(`${input.Bucket}/${input.Key}`);
    if (!body) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    return {
      Body: { transformToByteArray: async () => new Uint8Array(body), transformToString: async () => body.toString('utf8') },
    };
  });
  // ListObjectsV2 in pages of one key, so the summary must follow the continuation token.
  s3.on(ListObjectsV2Command).callsFake((input: { Bucket: string; Prefix: string; ContinuationToken?: string }) => {
    const keys = [...buckets.keys()]
      .filter((k) => k.startsWith(`${input.Bucket}/${input.Prefix}`))
      .map((k) => k.slice(input.Bucket.length + 1))
      .sort();
    const start = Number(input.ContinuationToken ?? 0);
    const more = start + 1 < keys.length;
    const next = more ? String(start + 1) : undefined;
    return { Contents: keys.slice(start, start + 1).map((Key) => ({ Key })), IsTruncated: more, NextContinuationToken: next };
  });
  s3.on(PutObjectCommand).callsFake((input: { Bucket: string; Key: string; Body: Buffer }) => {
    buckets.set(`${input.Bucket}/${input.Key}`, Buffer.from(input.Body));
    return {};
  });
  lambda.on(InvokeCommand).callsFake((input: { FunctionName: string; InvocationType: string; Payload: Uint8Array }) => {
    expect(input).toMatchObject({ FunctionName: PARSER, InvocationType: 'RequestResponse' });
    const event = JSON.parse(Buffer.from(input.Payload).toString());
    invocations.push(event);
    return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(parse(event))) };
  });
});

/** The records of every object under a key prefix (gunzipped), by key. */
function objectsUnder(prefix: string): Record<string, string> {
  return Object.fromEntries([...buckets.entries()].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k, gunzipSync(v).toString()]));
}

const input = { source: 'processing-failed', from: '2026-03-04T05', to: '2026-03-04T05' };

test('GIVEN the plan action WHEN invoked THEN the plan lists the hour of the error prefix; a bad input says what to change', async () => {
  await expect(handler({ action: 'plan', input })).resolves.toMatchObject({
    sourceBucket: 'parsed', listPrefix: 'errors/processing-failed/year=2026/month=03/day=04/hour=05/',
  });
  await expect(handler({ action: 'plan', input: { source: 'raw', from: '2026-03-04T05', to: '2026-03-04T05' } })).rejects.toThrow(/give an "outputPrefix"/);
});

test('GIVEN failed records WHEN replayed twice THEN Ok rows land once in the live hour, failures under replay-failed, counts add up', async () => {
  buckets.set(`parsed/${FAILED_KEY}`, failedObject(['a', 'bad', 'drop', 'b'], HOUR + 60_000));
  const event = { Items: [{ Key: FAILED_KEY }, { Key: 'errors/processing-failed/year=2026/month=03/day=04/hour=07/s-1-2026-03-04-07-00-00-c.gz' }], BatchInput: { input, executionName: RUN } };
  const counts = await handler(event) as ReplayCounts;
  expect(counts).toEqual({ objectsRead: 1, objectsSkipped: 1, recordsRead: 4, ok: 2, dropped: 1, failedAgain: 1, objectsWritten: 2 });
  expect(invocations[0].records.map((r) => [Buffer.from(r.data, 'base64').toString(), r.approximateArrivalTimestamp]))
    .toEqual([['a\n', HOUR + 60_000], ['bad\n', HOUR + 60_000], ['drop\n', HOUR + 60_000], ['b\n', HOUR + 60_000]]);
  const rows = objectsUnder('parsed/parsed/');
  expect(Object.keys(rows)).toEqual([expect.stringMatching(/^parsed\/parsed\/year=2026\/month=03\/day=04\/hour=05\/stream-1-2026-03-04-05-10-00-aaaa-replay-[0-9a-f]{8}\.json\.gz$/)]);
  expect(Object.values(rows)).toEqual(['ROW:a\nROW:b\n']);
  const errors = objectsUnder('parsed/errors/replay-failed/');
  expect(Object.values(errors).map((t) => JSON.parse(t))).toEqual([expect.objectContaining({
    errorCode: 'Lambda.ProcessingFailedStatus', rawData: b64('bad\n'), arrivalTimestamp: HOUR + 60_000, lambdaArn: PARSER, attemptsMade: 1,
  })]);

  expect(JSON.parse(buckets.get([...buckets.keys()].find((k) => k.startsWith(`parsed/errors/replay-runs/${RUN}/`))!)!.toString())).toEqual(counts);
  const size = buckets.size;
  await handler(event);
  expect(buckets.size).toEqual(size);
  expect(Object.values(objectsUnder('parsed/parsed/'))).toEqual(['ROW:a\nROW:b\n']);
});

test('GIVEN a raw backfill WHEN replayed THEN every raw record is parsed into the backfill prefix at the object\'s hour', async () => {
  buckets.set(`raw/${RAW_KEY}`, gzipSync('x\ny\nz\n'));
  const counts = await handler({ Items: [{ Key: RAW_KEY }], BatchInput: { input: { source: 'raw', from: '2026-03-04T00', to: '2026-03-04T23', outputPrefix: 'backfill/v2/' }, executionName: RUN } }) as ReplayCounts;
  expect(counts).toMatchObject({ recordsRead: 3, ok: 3, failedAgain: 0 });
  const rows = objectsUnder('parsed/backfill/v2/');
  expect(Object.keys(rows)).toEqual([expect.stringMatching(/^parsed\/backfill\/v2\/2026\/03\/04\/05\/stream-1-2026-03-04-05-20-00-bbbb-replay-/)]);
  expect(Object.values(rows)).toEqual(['ROW:x\nROW:y\nROW:z\n']);
  expect(objectsUnder('parsed/parsed/')).toEqual({});
});

test('GIVEN a parser that throws WHEN replayed THEN its records fail again with Lambda.FunctionError and the reason', async () => {
  buckets.set(`parsed/${FAILED_KEY}`, failedObject(['a'], HOUR));
  lambda.on(InvokeCommand).callsFake(() => ({ StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from('{"errorType":"TypeError","errorMessage":"boom"}') }));
  const counts = await handler({ Items: [{ Key: FAILED_KEY }], BatchInput: { input, executionName: RUN } }) as ReplayCounts;
  expect(counts).toMatchObject({ ok: 0, failedAgain: 1 });
  const [error] = Object.values(objectsUnder('parsed/errors/replay-failed/')).map((t) => JSON.parse(t));
  expect(error.errorCode).toEqual('Lambda.FunctionError');
  expect(error.errorMessage).toContain('boom');
});

test('GIVEN events over the layout\'s limit WHEN replayed THEN the records are split over several invocations, none lost', async () => {
  process.env[REPLAY_WORKER_ENV.layout] = JSON.stringify({ ...LAYOUT, eventLimitBytes: 1000 });
  const payloads = Array.from({ length: 40 }, (_, i) => `p${i}`.padEnd(50, '.'));
  buckets.set(`parsed/${FAILED_KEY}`, failedObject(payloads, HOUR));
  const counts = await handler({ Items: [{ Key: FAILED_KEY }], BatchInput: { input, executionName: RUN } }) as ReplayCounts;
  expect(invocations.length).toBeGreaterThan(3);
  for (const e of invocations) expect(Buffer.byteLength(JSON.stringify(e))).toBeLessThanOrEqual(1000);
  expect(counts.ok).toEqual(40);
  expect(Object.values(objectsUnder('parsed/parsed/'))[0].split('\n').filter(Boolean)).toEqual(payloads.map((p) => `ROW:${p}`));
});

test('GIVEN no layout WHEN invoked THEN it says how to deploy it', async () => {
  delete process.env[REPLAY_WORKER_ENV.layout];
  await expect(handler({ action: 'plan', input })).rejects.toThrow(/REPLAY_LAYOUT; deploy it with pipeline.addReplay\(\)/);
});

test('GIVEN an uncompressed stream WHEN replayed THEN objects are written as they are, with the stream\'s extensions', async () => {
  process.env[REPLAY_WORKER_ENV.layout] = JSON.stringify({ ...LAYOUT, extension: '.json', errorExtension: '' });
  const key = FAILED_KEY.replace(/\.gz$/, '');
  buckets.set(`parsed/${key}`, gunzipSync(failedObject(['a', 'bad'], HOUR)));
  await handler({ Items: [{ Key: key }], BatchInput: { input, executionName: RUN } });
  const written = [...buckets.entries()].filter(([k]) => k.includes('-replay-'));
  expect(written.map(([k]) => k.replace(/-replay-[0-9a-f]{8}/, '-replay-H'))).toEqual([
    'parsed/parsed/year=2026/month=03/day=04/hour=05/stream-1-2026-03-04-05-10-00-aaaa-replay-H.json',
    'parsed/errors/replay-failed/year=2026/month=03/day=04/hour=05/stream-1-2026-03-04-05-10-00-aaaa-replay-H',
  ]);
  expect(written[0][1].toString()).toEqual('ROW:a\n');
});

test('GIVEN several batches, one retried WHEN summarized THEN the execution\'s output is the sum of each batch once, other runs left out', async () => {
  const keys = ['a', 'b', 'c'].map((x, i) => FAILED_KEY.replace('aaaa', x).replace('05-10-00', `05-1${i}-00`));
  keys.forEach((k, i) => buckets.set(`parsed/${k}`, failedObject(Array.from({ length: i + 1 }, (_, j) => (j === 0 && i === 2 ? 'bad' : `r${i}${j}`)), HOUR)));
  await handler({ Items: [{ Key: keys[0] }, { Key: keys[1] }], BatchInput: { input, executionName: RUN } });
  await handler({ Items: [{ Key: keys[2] }], BatchInput: { input, executionName: RUN } });
  // The map retries the second batch: its counts object is overwritten, not added.
  await handler({ Items: [{ Key: keys[2] }], BatchInput: { input, executionName: RUN } });
  await handler({ Items: [{ Key: keys[2] }], BatchInput: { input, executionName: 'another-run' } });
  const total = await handler({ action: 'summarize', executionName: RUN });
  expect(total).toEqual({ objectsRead: 3, objectsSkipped: 0, recordsRead: 6, ok: 5, dropped: 0, failedAgain: 1, objectsWritten: 4 });
  expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([`errors/replay-runs/${RUN}/`, `errors/replay-runs/${RUN}/`]);
  await expect(handler({ action: 'summarize', executionName: 'never-ran' })).resolves.toEqual({
    objectsRead: 0, objectsSkipped: 0, recordsRead: 0, ok: 0, dropped: 0, failedAgain: 0, objectsWritten: 0,
  });
});

test('GIVEN a batch without a usable execution name or a damaged counts object THEN it says what is wrong before or while summing', async () => {
  buckets.set(`parsed/${FAILED_KEY}`, failedObject(['a'], HOUR));
  await expect(handler({ Items: [{ Key: FAILED_KEY }], BatchInput: { input, executionName: '../x' } })).rejects.toThrow(/not a Step Functions execution name/);
  expect(invocations).toEqual([]);
  buckets.set(`parsed/errors/replay-runs/${RUN}/0-1.json`, Buffer.from('{"objectsRead": 1}'));
  await expect(handler({ action: 'summarize', executionName: RUN })).rejects.toThrow(/replay-runs\/run-1\/0-1\.json has no whole count "objectsSkipped"/);
});
