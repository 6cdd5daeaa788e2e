/** A message no rule could process: counted per topic, logged once per topic with what to change (pure: fakes). */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { RuleModel } from '../../../local/assembly/model';
import type { FirehoseRecord, LocalDeliveryStream } from '../../../local/firehose/delivery-stream';
import { RulesEngine } from '../../../local/iot/rules';
import { compileSql } from '../../../local/iot/sql';
import { readUnprocessable, unprocessableLines, unprocessableReport, writeUnprocessable } from '../../../local/iot/unprocessable';
import type { ObjectSink } from '../../../local/s3/sinks';

function engine(sql: string) {
  const records: Buffer[] = [];
  const logs: string[] = [];
  const rule: RuleModel = {
    name: 'PipelineRule',
    stack: 'S',
    logicalId: 'PipelineRule',
    path: 'S/PipelineRule',
    sql: compileSql(sql),
    disabled: false,
    actions: [{ kind: 'firehose', streamName: 'stream', separator: '\n', batchMode: false }],
  };
  const stream = { put: (r: FirehoseRecord) => (records.push(r.data), Promise.resolve()) } as unknown as LocalDeliveryStream;
  const sink = { prepare: async () => undefined, put: async () => undefined, describe: () => '' } as ObjectSink;
  const e = new RulesEngine([rule], new Map([['stream', stream]]), sink, (l) => logs.push(l));
  const publish = (topic: string, payload: Buffer) => e.ingest({ topic, clientId: 'lathe-7', timestamp: 0, payload, qos: 1 });
  return { e, records, logs, publish };
}

const JSON_RULE = 'SELECT topic() as topic, * FROM \'factory/+\' WHERE isUndefined(topic)';
const CSV = Buffer.from('temp=21.5;hum=40');

test('GIVEN the JSON rule WHEN text lines arrive on two topics THEN nothing is delivered, each topic is counted and logged once with the fix', async () => {
  const t = engine(JSON_RULE);
  for (let i = 0; i < 3; i++) await t.publish('factory/lathe-7', CSV);
  await t.publish('factory/lathe-8', Buffer.from([0xa1, 0x61, 0x74, 0x01]));
  await t.publish('factory/lathe-8', Buffer.from('{"temp":21.5}'));
  expect(t.records.map(String)).toEqual(['{"topic":"factory/lathe-8","temp":21.5}\n']);
  expect(t.e.unprocessableTotal).toBe(4);
  expect([...t.e.unprocessable.values()]).toEqual([
    { topic: 'factory/lathe-7', rule: 'PipelineRule', count: 3 },
    { topic: 'factory/lathe-8', rule: 'PipelineRule', count: 1 },
  ]);
  const logged = t.logs.filter((l) => l.includes('is not a JSON object'));
  expect(logged).toHaveLength(2);
  expect(logged[0]).toMatch(/factory\/lathe-7 from lathe-7 .* not delivered.*payload: PayloadFormat\.binary\(\)/);
});

test('GIVEN the binary rule WHEN the same text lines arrive THEN they are delivered and nothing is counted', async () => {
  const t = engine('SELECT encode(*, \'base64\') AS payload, topic() AS topic FROM \'factory/+\'');
  await t.publish('factory/lathe-7', CSV);
  expect(t.e.unprocessableTotal).toBe(0);
  expect(JSON.parse(t.records[0].toString())).toEqual({ payload: CSV.toString('base64'), topic: 'factory/lathe-7' });
});

test('GIVEN counts WHEN reported THEN the summary line names the topics, most first, and the fix; the data dir file reads back', async () => {
  const t = engine(JSON_RULE);
  await t.publish('factory/a', CSV);
  for (let i = 0; i < 2; i++) await t.publish('factory/b', CSV);
  const report = unprocessableReport(t.e.unprocessableTotal, t.e.unprocessable.values());
  expect(unprocessableLines(report)).toEqual([
    'summary: 3 message(s) no rule could process (payload not a JSON object for a JSON rule): 2 on factory/b (rule PipelineRule), 1 on factory/a (rule PipelineRule); '
    + 'give the pipeline `payload: PayloadFormat.binary()` (its rule wraps any payload: encode(*, \'base64\')), or make the devices send JSON objects',
  ]);
  expect(unprocessableLines(unprocessableReport(0, []))).toEqual([]);
  const dir = mkdtempSync(join(tmpdir(), 'unprocessable-'));
  try {
    expect(readUnprocessable(dir)).toBeUndefined();
    writeUnprocessable(dir, report);
    expect(readUnprocessable(dir)).toEqual(report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
