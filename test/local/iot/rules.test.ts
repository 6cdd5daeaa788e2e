/** The rules engine with fake streams and sink (pure: no sockets, no processes). */
import type { RuleModel } from '../../../local/assembly/model';
import type { FirehoseRecord, LocalDeliveryStream } from '../../../local/firehose/delivery-stream';
import { RulesEngine } from '../../../local/iot/rules';
import { compileSql, compileTemplate } from '../../../local/iot/sql';
import { Ticket } from '../../../local/journal/journal';
import type { ObjectSink } from '../../../local/s3/sinks';
import { basicIngestTopic } from '../../../src/contract';

function rule(name: string, sql: string, streamName = 'stream'): RuleModel {
  return {
    name,
    stack: 'S',
    logicalId: name,
    path: `S/${name}`,
    sql: compileSql(sql),
    disabled: false,
    actions: [{ kind: 'firehose', streamName, separator: '\n', batchMode: false }],
    errorAction: { kind: 's3', bucket: { name: 'errors', folder: 'errors', endpointName: 'errors' }, key: compileTemplate('e/${topic()}.json') },
  };
}

function engine(rules: RuleModel[]) {
  const records: string[] = [];
  const written = new Map<string, string>();
  const logs: string[] = [];
  const stream = { put: (r: FirehoseRecord) => records.push(r.data.toString()) } as unknown as LocalDeliveryStream;
  const sink: ObjectSink = {
    prepare: async () => undefined,
    put: async (_bucket, key, body) => {
      written.set(key, body.toString());
    },
    describe: (bucket, key) => `${bucket.folder}/${key}`,
  };
  const e = new RulesEngine(rules, new Map([['stream', stream]]), sink, (l) => logs.push(l));
  const ingest = (topic: string, payload: unknown, ticket?: Ticket) => e.ingest({ topic, clientId: 'thing-1', timestamp: 0, payload: Buffer.from(JSON.stringify(payload)), qos: 1 }, ticket);
  return { e, records, written, logs, ingest };
}

describe('rules engine', () => {
  test('GIVEN a message on a topic WHEN ingested THEN every rule whose FROM matches runs, the output goes to the stream with the separator', () => {
    const { records, ingest } = engine([rule('A', 'SELECT topic() AS topic, * FROM \'t/+\''), rule('B', 'SELECT n FROM \'other/#\'')]);
    ingest('t/dev-1', { n: 1 });
    expect(records).toEqual(['{"topic":"t/dev-1","n":1}\n']);
  });

  test('GIVEN a Basic Ingest topic WHEN ingested THEN only the named rule runs, FROM is not applied, and topic() has no prefix', () => {
    const { records, ingest } = engine([rule('A', 'SELECT topic() AS topic FROM \'elsewhere/#\''), rule('B', 'SELECT topic() AS topic FROM \'t/+\'')]);
    ingest(basicIngestTopic('A', 't/dev-1'), {});
    expect(records).toEqual(['{"topic":"t/dev-1"}\n']);
  });

  test.each([
    ['an unknown rule', basicIngestTopic('Nope', 't/dev-1'), /no enabled rule named "Nope" \(RuleNotFound\)/],
    ['no topic after the rule name', '$aws/rules/A', /not of the form \$aws\/rules\/<ruleName>\/<topic> \(RuleNotFound\)/],
  ])('GIVEN a Basic Ingest topic with %s WHEN ingested THEN nothing runs, RuleNotFound is logged, the ticket is released', (_name, topic, message) => {
    const { e, records, logs, ingest } = engine([rule('A', 'SELECT * FROM \'#\'')]);
    const done = jest.fn();
    ingest(topic, {}, new Ticket(done));
    expect(records).toEqual([]);
    expect(e.ruleNotFound).toBe(1);
    expect(logs.join('\n')).toMatch(message);
    expect(done).toHaveBeenCalledTimes(1);
  });

  test('GIVEN an action on a stream that does not exist WHEN ingested THEN the error action gets the AWS-shaped failure', async () => {
    const { e, written, ingest } = engine([rule('A', 'SELECT * FROM \'t/+\'', 'missing-stream')]);
    ingest('t/dev-1', { n: 1 });
    await e.drain();
    const error = JSON.parse(written.get('e/t/dev-1.json')!);
    expect(error).toMatchObject({
      ruleName: 'A',
      topic: 't/dev-1',
      clientId: 'thing-1',
      base64OriginalPayload: Buffer.from('{"n":1}').toString('base64'),
      failures: [{ failedAction: 'FirehoseAction', failedResource: 'missing-stream', errorMessage: expect.stringMatching(/ResourceNotFoundException/) }],
    });
  });
});
