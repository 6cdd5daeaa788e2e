/**
 * Property test: 10,000 random small batches through the reference parser. Every response keeps the contract,
 * and for the default configuration every answer matches an independent model of what it should be.
 */
import * as fc from 'fast-check';
import { createReferenceHandler, Environment } from '../../../lambda/reference-parser';
import type { FirehoseTransformationEvent, FirehoseTransformationEventRecord, FirehoseTransformationResultRecord } from '../../../lambda/toolkit';
import { assertValidResponse, capturingMetrics } from '../fixtures/contract';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const CONFIGS: Environment[] = [
  {},
  { PARSER_OPTIONS: '{"topicSegmentFields":["device","extra"],"arrivalTimestampField":"at"}' },
  { PARSER_FORMAT: 'csv', PARSER_OPTIONS: '{"columns":["topic","a","b.c","device"],"topicSegmentFields":["device"]}' },
];
const HANDLERS = CONFIGS.map(env => createReferenceHandler(env, { logger: quiet, metrics: capturingMetrics() }));

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const JSON_BLANK = /^[ \t\r\n]*$/;

/** The model: what the default configuration must answer for one record. */
function expectedAnswer(record: FirehoseTransformationEventRecord): Pick<FirehoseTransformationResultRecord, 'result' | 'data'> {
  const failed = { result: 'ProcessingFailed', data: '' } as const;
  if (typeof record.data !== 'string' || !STRICT_BASE64.test(record.data)) return failed;
  let textValue: string;
  try {
    textValue = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(record.data, 'base64'));
  } catch {
    return failed;
  }
  const rows: string[] = [];
  for (const raw of textValue.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (JSON_BLANK.test(line)) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return failed;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return failed;
    rows.push(JSON.stringify({ ...value, arrival_timestamp: record.approximateArrivalTimestamp }) + '\n');
  }
  if (rows.length === 0) return { result: 'Dropped', data: '' };
  return { result: 'Ok', data: Buffer.from(rows.join(''), 'utf8').toString('base64') };
}

const b64 = (s: string | Uint8Array) => Buffer.from(s as string).toString('base64');
const topic = fc.array(fc.constantFrom('t', 'dev-1', 'x/y', '', 'é'), { minLength: 0, maxLength: 4 }).map(parts => parts.join('/'));
const message = fc.record({
  topic: fc.oneof(topic, fc.integer()),
  a: fc.jsonValue({ maxDepth: 2 }),
  b: fc.oneof(fc.constant(undefined), fc.record({ c: fc.oneof(fc.string(), fc.double(), fc.constant('=1+1')) })),
}, { requiredKeys: [] }).chain(base => fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 })
  .map(extra => JSON.stringify({ ...extra, ...base })));
const separator = fc.constantFrom('\n', '\r\n', '\n\n', '\n \n');

/** Data of one record: mostly plausible IoT output, plus every kind of garbage. */
const data = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.tuple(fc.array(message, { minLength: 1, maxLength: 3 }), separator, fc.boolean())
      .map(([messages, sep, trailing]) => b64(messages.join(sep) + (trailing ? '\n' : ''))),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(v => b64(JSON.stringify(v) ?? '')) },
  { weight: 1, arbitrary: fc.fullUnicodeString({ maxLength: 20 }).map(b64) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }).map(b64) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '\n', 'AA', '====', '!!!!', b64('\ufeff{}')) },
  { weight: 1, arbitrary: fc.tuple(message, fc.nat(40)).map(([m, cut]) => b64(m.slice(0, cut))) },
);
const recordArb: fc.Arbitrary<FirehoseTransformationEventRecord> = fc.record({
  recordId: fc.oneof(fc.constantFrom('dup', 'r-1'), fc.string({ maxLength: 10 }), fc.fullUnicodeString({ maxLength: 4 })),
  approximateArrivalTimestamp: fc.integer({ min: 0, max: 4102444800000 }),
  data,
});
const batch = fc.record({
  config: fc.nat(CONFIGS.length - 1),
  event: fc.record({
    invocationId: fc.uuid(),
    deliveryStreamArn: fc.constant('arn:aws:firehose:eu-west-1:123456789012:deliverystream/prop'),
    region: fc.constant('eu-west-1'),
    records: fc.array(recordArb, { maxLength: 6 }),
  }),
});

test('GIVEN 10,000 random batches WHEN parsed THEN every response keeps the contract and the defaults match the model', async () => {
  await fc.assert(
    fc.asyncProperty(batch, async ({ config, event }) => {
      // GIVEN
      const input = event as FirehoseTransformationEvent;
      // WHEN
      const response = await HANDLERS[config](input);
      // THEN
      assertValidResponse(input, response);
      if (config === 0) {
        response.records.forEach((answer, i) => {
          expect({ result: answer.result, data: answer.data }).toEqual(expectedAnswer(input.records[i]));
        });
      }
    }),
    { numRuns: 10_000 },
  );
});
