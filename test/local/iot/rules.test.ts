/** The rules engine with fake streams and sink (pure: no sockets, no processes). */
import type { RuleModel } from '../../../local/assembly/model';
import type { FirehoseRecord, LocalDeliveryStream } from '../../../local/firehose/delivery-stream';
import { messageProperties } from '../../../local/iot/mqtt5';
import { RulesEngine } from '../../../local/iot/rules';
import { compileSql, compileTemplate } from '../../../local/iot/sql';
import { decodeEntries, encodeEntry } from '../../../local/journal/journal';
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
  const stream = {
    put: (r: FirehoseRecord) => {
      records.push(r.data.toString());
      return Promise.resolve();
    },
  } as unknown as LocalDeliveryStream;
  const sink: ObjectSink = {
    prepare: async () => undefined,
    put: async (_bucket, key, body) => {
      written.set(key, body.toString());
    },
    describe: (bucket, key) => `${bucket.folder}/${key}`,
  };
  const e = new RulesEngine(rules, new Map([['stream', stream]]), sink, (l) => logs.push(l));
  const ingest = (topic: string, payload: unknown) => e.ingest({ topic, clientId: 'thing-1', timestamp: 0, payload: Buffer.from(JSON.stringify(payload)), qos: 1 });
  return { e, records, written, logs, ingest };
}

describe('MQTT 5 properties and the source IP through the journal', () => {
  const props = messageProperties({
    contentType: 'text/plain',
    payloadFormatIndicator: true,
    responseTopic: 'r/1',
    correlationData: Buffer.from([0, 255]),
    userProperties: { a: '1', b: ['x', 'y'] },
    messageExpiryInterval: 60,
  });

  test('GIVEN the source IP and properties as entry fields WHEN encoded and decoded THEN the same values; without them the entry has none', () => {
    const [full] = decodeEntries(encodeEntry({ topic: 't/1', clientId: 'c', timestamp: 0, qos: 1, principal: 'f'.repeat(64), sourceIp: '10.0.0.7', properties: props, payload: Buffer.from('{}') }, 1)).entries;
    expect(full).toMatchObject({ principal: 'f'.repeat(64), sourceIp: '10.0.0.7', properties: props });
    const [plain] = decodeEntries(encodeEntry({ topic: 't/1', clientId: 'c', timestamp: 0, qos: 1, principal: 'abc', payload: Buffer.from('{}') }, 2)).entries;
    expect(plain.principal).toBe('abc');
    expect('sourceIp' in plain || 'properties' in plain).toBe(false);
    expect(messageProperties({})).toBeUndefined();
  });

  test('GIVEN a journaled MQTT 5 message WHEN it is decoded (a replay) and ingested THEN the rule reads its properties, source IP and principal', () => {
    const { e, records } = engine([rule('A', 'SELECT principal() AS p, sourceip() AS ip, get_user_properties(\'b\') AS b, get_mqtt_property(\'correlation_data\') AS cd FROM \'t/+\'')]);
    const [entry] = decodeEntries(encodeEntry({ topic: 't/1', clientId: 'c', timestamp: 0, qos: 1, principal: 'abc123', sourceIp: '10.0.0.7', properties: props, payload: Buffer.from('{}') }, 1)).entries;
    void e.ingest(entry);
    expect(records).toEqual(['{"p":"abc123","ip":"10.0.0.7","b":["x","y"],"cd":"AP8="}\n']);
  });
});

describe('rules engine', () => {
  test('GIVEN a message on a topic WHEN ingested THEN every rule whose FROM matches runs, the output goes to the stream with the separator', () => {
    const { records, ingest } = engine([rule('A', 'SELECT topic() AS topic, * FROM \'t/+\''), rule('B', 'SELECT n FROM \'other/#\'')]);
    void ingest('t/dev-1', { n: 1 });
    expect(records).toEqual(['{"topic":"t/dev-1","n":1}\n']);
  });

  test('GIVEN a Basic Ingest topic WHEN ingested THEN only the named rule runs, FROM is not applied, and topic() has no prefix', () => {
    const { records, ingest } = engine([rule('A', 'SELECT topic() AS topic FROM \'elsewhere/#\''), rule('B', 'SELECT topic() AS topic FROM \'t/+\'')]);
    void ingest(basicIngestTopic('A', 't/dev-1'), {});
    expect(records).toEqual(['{"topic":"t/dev-1"}\n']);
  });

  test.each([
    ['an unknown rule', basicIngestTopic('Nope', 't/dev-1'), /no enabled rule named "Nope" \(RuleNotFound\)/],
    ['no topic after the rule name', '$aws/rules/A', /not of the form \$aws\/rules\/<ruleName>\/<topic> \(RuleNotFound\)/],
  ])('GIVEN a Basic Ingest topic with %s WHEN ingested THEN nothing runs, RuleNotFound is logged, the message counts as delivered', async (_name, topic, message) => {
    const { e, records, logs, ingest } = engine([rule('A', 'SELECT * FROM \'#\'')]);
    const done = jest.fn();
    await ingest(topic, {}).then(done);
    expect(records).toEqual([]);
    expect(e.ruleNotFound).toBe(1);
    expect(logs.join('\n')).toMatch(message);
    expect(done).toHaveBeenCalledTimes(1);
  });

  test('GIVEN an action on a stream that does not exist WHEN ingested THEN the error action gets the AWS-shaped failure', async () => {
    const { e, written, ingest } = engine([rule('A', 'SELECT * FROM \'t/+\'', 'missing-stream')]);
    void ingest('t/dev-1', { n: 1 });
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

  test('GIVEN two matching rules WHEN ingested THEN the promise resolves only after both streams\' puts have', async () => {
    const puts: Array<() => void> = [];
    const stream = { put: () => new Promise<void>((resolve) => puts.push(resolve)) } as unknown as LocalDeliveryStream;
    const sink: ObjectSink = { prepare: async () => undefined, put: async () => undefined, describe: (b, k) => `${b.folder}/${k}` };
    const e = new RulesEngine([rule('A', 'SELECT * FROM \'t/+\''), rule('B', 'SELECT * FROM \'t/#\'')], new Map([['stream', stream]]), sink, () => undefined);
    const done = jest.fn();
    const delivered = e.ingest({ topic: 't/1', clientId: 'c', timestamp: 0, payload: Buffer.from('{}'), qos: 1 }).then(done);
    expect(puts).toHaveLength(2);
    puts[0]();
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).not.toHaveBeenCalled();
    puts[1]();
    await delivered;
    expect(done).toHaveBeenCalledTimes(1);
  });

  test('GIVEN an S3 action whose write fails WHEN ingested THEN it is logged and the promise never resolves (the journal keeps the message)', async () => {
    const logs: string[] = [];
    const sink: ObjectSink = {
      prepare: async () => undefined,
      put: async () => {
        throw new Error('disk full (simulated)');
      },
      describe: (b, k) => `${b.folder}/${k}`,
    };
    const s3Rule: RuleModel = { ...rule('A', 'SELECT * FROM \'t/+\''), actions: [{ kind: 's3', bucket: { name: 'b', folder: 'b', endpointName: 'b' }, key: compileTemplate('k.json') }] };
    const e = new RulesEngine([s3Rule], new Map(), sink, (l) => logs.push(l));
    const done = jest.fn();
    void e.ingest({ topic: 't/1', clientId: 'c', timestamp: 0, payload: Buffer.from('{}'), qos: 1 }).then(done);
    await e.drain();
    await new Promise((resolve) => setImmediate(resolve));
    expect(logs.join('\n')).toMatch(/S3 action write of b\/k.json failed: disk full \(simulated\)/);
    expect(done).not.toHaveBeenCalled();
  });
});
