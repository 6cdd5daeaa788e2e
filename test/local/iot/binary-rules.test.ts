/** Binary payloads through the rules engine's actions (pure: fake stream and sink). */
import type { RuleModel } from '../../../local/assembly/model';
import type { FirehoseRecord, LocalDeliveryStream } from '../../../local/firehose/delivery-stream';
import { RulesEngine } from '../../../local/iot/rules';
import { compileSql, compileTemplate } from '../../../local/iot/sql';
import type { ObjectSink } from '../../../local/s3/sinks';

test('GIVEN SELECT * with a Firehose and an S3 action WHEN a binary payload is ingested and its buffer reused THEN both keep the bytes as they came', async () => {
  const records: Buffer[] = [];
  const objects: Buffer[] = [];
  const rule: RuleModel = {
    name: 'Raw',
    stack: 'S',
    logicalId: 'Raw',
    path: 'S/Raw',
    sql: compileSql('SELECT * FROM \'meters/+\''),
    disabled: false,
    actions: [
      { kind: 'firehose', streamName: 'stream', separator: '\n', batchMode: false },
      { kind: 'firehose', streamName: 'stream', batchMode: false },
      { kind: 's3', bucket: { name: 'b', folder: 'b', endpointName: 'b' }, key: compileTemplate('raw/${topic(2)}') },
    ],
  };
  const stream = { put: (r: FirehoseRecord) => (records.push(r.data), Promise.resolve()) } as unknown as LocalDeliveryStream;
  const sink: ObjectSink = {
    prepare: async () => undefined,
    put: async (_b, _k, body) => {
      objects.push(body);
    },
    describe: () => '',
  };
  const engine = new RulesEngine([rule], new Map([['stream', stream]]), sink, () => undefined);
  // a view into a larger buffer, as the socket's read buffer would hand it over
  const socketBuffer = Buffer.from([0xff, 0xa1, 0x0a, 0x00, 0x7f, 0xee]);
  const payload = socketBuffer.subarray(1, 5);
  await engine.ingest({ topic: 'meters/m-1', clientId: 'm-1', timestamp: 0, payload, qos: 1 });
  socketBuffer.fill(0);
  expect(records).toEqual([Buffer.from([0xa1, 0x0a, 0x00, 0x7f, 0x0a]), Buffer.from([0xa1, 0x0a, 0x00, 0x7f])]);
  expect(objects).toEqual([Buffer.from([0xa1, 0x0a, 0x00, 0x7f])]);
});
