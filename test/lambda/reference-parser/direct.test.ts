/**
 * Direct mode: the parser writes one gzipped object per invocation with PutObject (faked at the client's
 * `send`) and answers `Dropped` only after the write succeeded.
 */
import { gunzipSync } from 'node:zlib';
import { PutObjectCommand, PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createReferenceHandler, Environment } from '../../../lambda/reference-parser';
import { createDirectSink, directObjectKey } from '../../../lambda/reference-parser/direct';
import { createParser, FirehoseTransformationHandler, JsonObject } from '../../../lambda/toolkit';
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

const s3 = mockClient(S3Client);
const DIRECT: Environment = { PARSER_DELIVERY: 'direct', PARSER_DIRECT_BUCKET: 'parsed-bucket' };
const KEY = /^direct\/2024\/07\/13\/08\/20240713T083843Z-[0-9a-f]{32}\.json\.gz$/;

function direct(env: Environment = {}): FirehoseTransformationHandler {
  return createReferenceHandler({ ...DIRECT, ...env }, { logger: capturingLogger(), metrics: capturingMetrics() });
}

function puts(): PutObjectCommandInput[] {
  return s3.commandCalls(PutObjectCommand).map(call => call.args[0].input);
}

function body(input: PutObjectCommandInput): string {
  return gunzipSync(input.Body as Buffer).toString('utf8');
}

beforeEach(() => {
  s3.reset();
});

test('GIVEN direct mode WHEN the write succeeds THEN one gzipped object holds the rows and the records are Dropped', async () => {
  // GIVEN
  s3.on(PutObjectCommand).resolves({});
  const handler = direct();
  const input = seedEvent();
  // WHEN
  const response = await handler(input);
  // THEN
  assertValidResponse(input, response);
  expect(results(response)).toEqual(['Dropped', 'Dropped', 'Dropped', 'Dropped']);
  expect(puts()).toHaveLength(1);
  const put = puts()[0];
  expect(put).toEqual(expect.objectContaining({ Bucket: 'parsed-bucket', ContentType: 'application/gzip', Metadata: { records: '4' } }));
  expect(put.Key).toMatch(KEY);
  // the same rows the firehose mode would answer, concatenated
  const firehose = await createReferenceHandler({}, { logger: capturingLogger(), metrics: capturingMetrics() })(input);
  expect(body(put)).toBe(firehose.records.map((_, i) => text(firehose, i)).join(''));
});

test('GIVEN direct mode WHEN the write fails THEN the handler throws so Firehose retries, and nothing is answered Dropped', async () => {
  // GIVEN
  s3.on(PutObjectCommand).rejects(new Error('AccessDenied'));
  const handler = direct();
  // WHEN / THEN
  await expect(handler(seedEvent())).rejects.toThrow('AccessDenied');
  expect(puts()).toHaveLength(1);
});

test('GIVEN the same batch retried with a new invocationId WHEN written twice THEN the key and bytes are the same (overwrite, no duplicate)', async () => {
  // GIVEN
  s3.on(PutObjectCommand).rejectsOnce(new Error('SlowDown')).resolves({});
  const handler = direct();
  const first = seedEvent();
  const retry = { ...seedEvent(), invocationId: 'a-different-invocation-id' };
  // WHEN
  await expect(handler(first)).rejects.toThrow('SlowDown');
  const response = await handler(retry);
  // THEN
  expect(results(response)).toEqual(['Dropped', 'Dropped', 'Dropped', 'Dropped']);
  const [a, b] = puts();
  expect(b.Key).toBe(a.Key);
  expect(Buffer.compare(a.Body as Buffer, b.Body as Buffer)).toBe(0);
});

test('GIVEN different batches WHEN written THEN their keys differ', async () => {
  // GIVEN
  s3.on(PutObjectCommand).resolves({});
  const handler = direct();
  const seed = seedEvent();
  // WHEN
  await handler(seed);
  await handler({ ...seed, records: seed.records.slice(1) });
  await handler({ ...seed, deliveryStreamArn: seed.deliveryStreamArn + '-other' });
  // THEN
  const keys = puts().map(p => p.Key);
  expect(new Set(keys).size).toBe(3);
});

test('GIVEN records that fail to parse WHEN writing directly THEN they stay ProcessingFailed and are not in the object', async () => {
  // GIVEN
  s3.on(PutObjectCommand).resolves({});
  const handler = direct({ PARSER_OPTIONS: '{"arrivalTimestampField":""}' });
  const input = eventOf(['{"v":1}', '[1]', '', 'bm90IGpzb24=', '{"v":2}']);
  // WHEN
  const response = await handler(input);
  // THEN
  assertValidResponse(input, response);
  expect(results(response)).toEqual(['Dropped', 'ProcessingFailed', 'Dropped', 'ProcessingFailed', 'Dropped']);
  expect(puts()).toHaveLength(1);
  expect(body(puts()[0])).toBe('{"v":1}\n{"v":2}\n');
  expect(puts()[0].Metadata).toEqual({ records: '2' });
});

test('GIVEN a batch where nothing parses WHEN writing directly THEN no object is written', async () => {
  s3.on(PutObjectCommand).resolves({});
  const response = await direct()(eventOf(['[]', 'null']));
  expect(results(response)).toEqual(['ProcessingFailed', 'ProcessingFailed']);
  expect(puts()).toHaveLength(0);
});

test('GIVEN csv format and a custom prefix WHEN writing directly THEN the object is <prefix>….csv.gz with CSV lines', async () => {
  // GIVEN
  s3.on(PutObjectCommand).resolves({});
  const handler = direct({ PARSER_FORMAT: 'csv', PARSER_OPTIONS: '{"columns":["topic","message"]}', PARSER_DIRECT_PREFIX: 'telemetry/csv/' });
  // WHEN
  await handler(seedEvent());
  // THEN
  expect(puts()[0].Key).toMatch(/^telemetry\/csv\/2024\/07\/13\/08\/20240713T083843Z-[0-9a-f]{32}\.csv\.gz$/);
  expect(body(puts()[0])).toBe('iot-test-topic/asdasd,"Hello, world!"\n'.repeat(4));
});

test('GIVEN partition keys WHEN the direct sink writes THEN one object per key set, under k=v/ paths', async () => {
  // GIVEN a custom parser on the toolkit with the direct sink
  s3.on(PutObjectCommand).resolves({});
  const handler = createParser<JsonObject>({
    parse: m => m.jsonObject(),
    partitionKeys: row => ({ device: String(row.device) }),
    sink: createDirectSink({ client: new S3Client({}), putObjectCommand: PutObjectCommand, bucket: 'b', prefix: 'p/', extension: '.json.gz' }),
    logger: capturingLogger(),
    metrics: capturingMetrics(),
  });
  const input = event([record('{"device":"a:1"}', 'r0', { at: 0 }), record('{"device":"b"}', 'r1'), record('{"device":"a:1","n":2}', 'r2')]);
  // WHEN
  const response = await handler(input);
  // THEN
  expect(results(response)).toEqual(['Dropped', 'Dropped', 'Dropped']);
  const written = puts().map(p => [p.Key?.replace(/[0-9a-f]{32}/, 'HASH'), body(p)]);
  expect(written).toEqual([
    ['p/device=a%3A1/1970/01/01/00/19700101T000000Z-HASH.json.gz', '{"device":"a:1"}\n{"device":"a:1","n":2}\n'],
    ['p/device=b/1970/01/01/00/19700101T000000Z-HASH.json.gz', '{"device":"b"}\n'],
  ]);
});

test('GIVEN a missing or absurd arrival time WHEN a key is derived THEN it falls back to the epoch', () => {
  const group = { recordIds: ['x'], data: '' };
  const inv = { invocationId: 'i', deliveryStreamArn: 'arn', region: 'r' };
  expect(directObjectKey('d/', '.gz', group, { ...inv, firstArrivalTimestamp: undefined })).toMatch(/^d\/1970\/01\/01\/00\/19700101T000000Z-/);
  expect(directObjectKey('d/', '.gz', group, { ...inv, firstArrivalTimestamp: 1e20 })).toMatch(/^d\/1970\/01\/01\/00\//);
  expect(directObjectKey('d/', '.gz', group, { ...inv, firstArrivalTimestamp: 1720859923841 }))
    .toBe(directObjectKey('d/', '.gz', group, { ...inv, invocationId: 'other', firstArrivalTimestamp: 1720859923841 }));
});

test('GIVEN direct mode configured through the environment WHEN the module initializes THEN its module-scope S3 client is used', async () => {
  // GIVEN a fresh module registry: fake the S3Client class of that registry, then load the handler module
  const saved = process.env;
  process.env = { ...saved, ...DIRECT, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
  let handler: FirehoseTransformationHandler | undefined;
  let isolated: ReturnType<typeof mockClient> | undefined;
  try {
    jest.isolateModules(() => {
      const sdk = jest.requireActual<typeof import('@aws-sdk/client-s3')>('@aws-sdk/client-s3');
      isolated = mockClient(sdk.S3Client);
      isolated.onAnyCommand().resolves({});
      handler = jest.requireActual<typeof import('../../../lambda/reference-parser')>('../../../lambda/reference-parser').handler;
    });
  } finally {
    process.env = saved;
  }
  // WHEN
  const response = await handler!(seedEvent());
  // THEN
  expect(results(response)).toEqual(['Dropped', 'Dropped', 'Dropped', 'Dropped']);
  expect(isolated!.calls()).toHaveLength(1);
  expect(isolated!.call(0).args[0].input).toEqual(expect.objectContaining({ Bucket: 'parsed-bucket', Key: expect.stringMatching(KEY) }));
  isolated!.restore();
});
