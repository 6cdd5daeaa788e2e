/** The rules engine with fake streams and sink (pure: no sockets, no processes). */
import type { RuleModel } from '../../../local/assembly/model';
import type { FirehoseRecord, LocalDeliveryStream } from '../../../local/firehose/delivery-stream';
import { messageProperties, packPrincipal, unpackPrincipal } from '../../../local/iot/mqtt5';
import { RulesEngine } from '../../../local/iot/rules';
import { compileSql, compileTemplate } from '../../../local/iot/sql';
import { decodeEntries, encodeEntry, Ticket } from '../../../local/journal/journal';
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

describe('MQTT 5 properties and the source IP through the journal', () => {
  const props = messageProperties({
    contentType: 'text/plain',
    payloadFormatIndicator: true,
    responseTopic: 'r/1',
    correlationData: Buffer.from([0, 255]),
    userProperties: { a: '1', b: ['x', 'y'] },
    messageExpiryInterval: 60,
  });

  test('GIVEN a principal packed with the source IP and properties WHEN unpacked THEN the same values; a plain principal stays as it is', () => {
    expect(unpackPrincipal(packPrincipal('f'.repeat(64), '10.0.0.7', props))).toEqual({ principal: 'f'.repeat(64), sourceIp: '10.0.0.7', properties: props });
    expect(unpackPrincipal(packPrincipal('abc', '::1', undefined))).toEqual({ principal: 'abc', sourceIp: '::1' });
    expect(unpackPrincipal('abc')).toEqual({ principal: 'abc' });
    expect(messageProperties({})).toBeUndefined();
  });

  test('GIVEN a journaled MQTT 5 message WHEN it is decoded (a replay) and ingested THEN the rule reads its properties, source IP and principal', () => {
    const { e, records } = engine([rule('A', 'SELECT principal() AS p, sourceip() AS ip, get_user_properties(\'b\') AS b, get_mqtt_property(\'correlation_data\') AS cd FROM \'t/+\'')]);
    const principal = packPrincipal('abc123', '10.0.0.7', props);
    const [entry] = decodeEntries(encodeEntry({ topic: 't/1', clientId: 'c', timestamp: 0, qos: 1, principal, payload: Buffer.from('{}') }, 1)).entries;
    e.ingest(entry);
    expect(records).toEqual(['{"p":"abc123","ip":"10.0.0.7","b":["x","y"],"cd":"AP8="}\n']);
  });
});

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
