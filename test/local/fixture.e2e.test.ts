/**
 * The local runner on a fixture app synthesized in the test with the library from ../../src (see fixture-app.ts):
 * WHERE filtering, custom SQL, a Node.js parser with ProcessingFailed / retries / an invalid response / partition
 * keys, a Python parser, Basic Ingest, and a rule whose action fails (error action).
 */
import { join } from 'path';
import type { MqttClient } from 'mqtt';
import { FIXTURE_REGION, synthFixture, THINGS } from './fixture-app';
import { connect, listFiles, readJsonLines, readObject, useRunner } from './helpers';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(180000);

describe('local runner: a fixture app synthesized from src', () => {
  const t = useRunner({ name: 'e2e-fixture', app: (dir) => synthFixture(join(dir, 'cdk.out')), things: () => Object.values(THINGS) });

  /** The folder of a pipeline's bucket: Filtered + Parsed → the bucket whose logical id starts with FilteredStorageParsedBucket. */
  function bucket(prefix: string): string {
    const ref = [...t.runner.model.buckets.values()].find((b) => b.folder.startsWith(prefix));
    if (!ref) throw new Error(`no bucket ${prefix}*`);
    return join(t.dataDir, 's3', ref.folder);
  }

  async function publish(thing: string, messages: Array<[string, unknown]>, qos: 0 | 1 = 1): Promise<void> {
    const client: MqttClient = await connect(t.runner.port, t.certOf(thing), thing);
    try {
      for (const [topic, payload] of messages) {
        await client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos });
      }
    } finally {
      await client.endAsync();
    }
  }

  test('GIVEN the fixture WHEN started THEN all things, rules and streams are loaded and the region comes from the stack env', () => {
    expect([...t.runner.model.things.keys()].sort()).toEqual(Object.values(THINGS).sort());
    expect(t.runner.model.rules.map((r) => r.name)).toEqual(expect.arrayContaining(['BrokenRule']));
    expect(t.runner.model.streams.size).toBe(6);
    expect(t.runner.model.region).toBe(FIXTURE_REGION);
  });

  test('GIVEN a rule with WHERE, aliases, topic(n), arithmetic and a nested field WHEN messages are published THEN only matching ones are delivered, shaped by SELECT', async () => {
    await publish(THINGS.filtered, [
      ['fx-filtered/d1', { temp: 5, status: 'ok', meta: { site: 'a' } }], // temp too low
      ['fx-filtered/d2', { temp: 15, status: 'ok', meta: { site: 'b' }, extra: 'dropped by SELECT' }],
      ['fx-filtered/d3', { temp: 30, status: 'ignore', meta: { site: 'c' } }], // NOT (status = 'ignore')
      ['fx-filtered/d4', { temp: 11, status: 'warn' }], // no meta: site is left out
    ]);
    await t.runner.flush();
    const parsed = readJsonLines(bucket('FilteredStorageParsedBucket'), 'parsed/');
    expect(parsed.map(({ arrival_timestamp: _a, ...rest }) => rest)).toEqual([
      { topic: 'fx-filtered/d2', device: 'd2', temp: 15, doubled: 30, site: 'b' },
      { topic: 'fx-filtered/d4', device: 'd4', temp: 11, doubled: 22 },
    ]);
    const stats = t.runner.rules.stats.get(t.runner.model.rules.find((r) => r.path.startsWith('LocalRunnerFixture/Filtered'))!.name)!;
    expect(stats).toMatchObject({ matched: 2, filtered: 2 });
  });

  test('GIVEN a Node.js parser answering Ok, Dropped and ProcessingFailed with partition keys WHEN delivered THEN one object per device, failures under processing-failed/ with AWS\'s fields', async () => {
    await publish(THINGS.custom, [
      ['fx-custom/alpha', { n: 1 }],
      ['fx-custom/beta', { n: 2 }],
      ['fx-custom/alpha', { n: 3, drop: true }],
      ['fx-custom/gamma', { n: 4, fail: true }],
    ]);
    await t.runner.flush();
    const parsedDir = bucket('CustomStorageParsedBucket');
    const keys = listFiles(parsedDir);
    const dataKeys = keys.filter((k) => k.startsWith('parsed/'));
    expect(dataKeys).toEqual([
      expect.stringMatching(/^parsed\/device=alpha\/year=\d{4}\/month=\d\d\/day=\d\d\/hour=\d\d\/CustomPartitionedDeliveryStream\w+-1-[\d-]{19}-[0-9a-f-]{36}\.jsonl\.gz$/),
      expect.stringMatching(/^parsed\/device=beta\/year=/),
    ]);
    const alpha = readJsonLines(parsedDir, 'parsed/device=alpha/');
    expect(alpha).toEqual([{ topic: 'fx-custom/alpha', n: 1, parsedBy: 'custom-node', flag: 'from-template', region: FIXTURE_REGION }]);

    const failedKeys = keys.filter((k) => k.startsWith('errors/processing-failed/'));
    expect(failedKeys).toHaveLength(1);
    const [failed] = readJsonLines(parsedDir, 'errors/processing-failed/');
    expect(failed).toEqual({
      attemptsMade: 1,
      arrivalTimestamp: expect.any(Number),
      errorCode: 'Lambda.ProcessingFailedStatus',
      errorMessage: 'ProcessingFailed status set for record',
      attemptEndingTimestamp: expect.any(Number),
      rawData: Buffer.from(JSON.stringify({ topic: 'fx-custom/gamma', n: 4, fail: true }) + '\n').toString('base64'),
      lambdaArn: expect.stringMatching(/^arn:aws:lambda:eu-west-1:000000000000:function:CustomParser\w+:\$LATEST$/),
    });
    // the raw backup has all four source records, dropped and failed ones included
    expect(readJsonLines(bucket('CustomStorageRawBucket'), 'raw/').map((r) => r.n)).toEqual([1, 2, 3, 4]);
  });

  test('GIVEN a parser that throws once WHEN invoked THEN Firehose retries and the batch is delivered', async () => {
    const stream = [...t.runner.streams.values()].find((s) => s.model.path.startsWith('LocalRunnerFixture/Custom'))!;
    const errorsBefore = stream.stats.invocationErrors;
    await publish(THINGS.custom, [['fx-custom/delta', { n: 5, throwOnce: true }]]);
    await t.runner.flush();
    expect(stream.stats.invocationErrors).toBe(errorsBefore + 1);
    expect(readJsonLines(bucket('CustomStorageParsedBucket'), 'parsed/device=delta/')).toEqual([expect.objectContaining({ n: 5 })]);
  });

  test('GIVEN a parser response that misses a record id on every attempt WHEN retries are exhausted THEN the batch goes to processing-failed with Lambda.MissingRecordId', async () => {
    await publish(THINGS.custom, [['fx-custom/epsilon', { n: 6, omit: true }]]);
    await t.runner.flush();
    const failed = readJsonLines(bucket('CustomStorageParsedBucket'), 'errors/processing-failed/').filter((r) => r.errorCode === 'Lambda.MissingRecordId');
    expect(failed).toEqual([expect.objectContaining({ attemptsMade: 3, errorMessage: expect.stringContaining('missing from the Lambda response') })]);
  });

  test('GIVEN a Python parser WHEN records are processed THEN the python3 shim runs the handler from the asset', async () => {
    await publish(THINGS.python, [['fx-python/p1', { v: 1 }], ['fx-python/p2', { v: 2 }]]);
    await t.runner.flush();
    const parsed = readJsonLines(bucket('PythonStorageParsedBucket'), 'parsed/');
    expect(parsed).toEqual([
      { topic: 'fx-python/p1', v: 1, parsedBy: 'python', function: expect.stringMatching(/^PythonParser/) },
      { topic: 'fx-python/p2', v: 2, parsedBy: 'python', function: expect.stringMatching(/^PythonParser/) },
    ]);
    const logFile = join(t.dataDir, 'logs', `${[...t.runner.model.functions.values()].find((f) => f.runtime.startsWith('python'))!.name}.log`);
    expect(readObject(logFile)).toContain('python parser got 2 records');
  });

  test('GIVEN a parser in direct delivery WHEN it writes with @aws-sdk/client-s3 THEN its objects land in the bucket folder and it answers Dropped', async () => {
    await publish(THINGS.direct, [['fx-direct/x1', { v: 1 }], ['fx-direct/x2', { v: 2 }]]);
    await t.runner.flush();
    const parsedDir = bucket('DirectStorageParsedBucket');
    const keys = listFiles(parsedDir);
    expect(keys).toEqual([expect.stringMatching(/^direct\/\d{4}\/\d\d\/\d\d\/\d\d\/\d{8}T\d{6}Z-[0-9a-f]{32}\.[a-z.]*gz$/)]);
    expect(readJsonLines(parsedDir, 'direct/').map(({ arrival_timestamp: _a, ...r }) => r)).toEqual([
      { topic: 'fx-direct/x1', v: 1 },
      { topic: 'fx-direct/x2', v: 2 },
    ]);
    const stream = [...t.runner.streams.values()].find((s) => s.model.path.startsWith('LocalRunnerFixture/Direct'))!;
    expect(stream.stats).toMatchObject({ recordsDropped: 2, recordsOk: 0, recordsFailed: 0 });
  });

  test('GIVEN Basic Ingest WHEN publishing to $aws/rules/<rule>/<topic> THEN the rule runs with topic() without the prefix; the plain topic is not allowed', async () => {
    const rule = t.runner.model.rules.find((r) => r.path.startsWith('LocalRunnerFixture/Ingest'))!;
    await publish(THINGS.ingest, [[`$aws/rules/${rule.name}/fx-ingest/i1`, { via: 'basic-ingest' }]]);
    await t.runner.flush();
    expect(readJsonLines(bucket('IngestStorageRawBucket'), 'raw/')).toEqual([{ topic: 'fx-ingest/i1', via: 'basic-ingest' }]);
    const client = await connect(t.runner.port, t.certOf(THINGS.ingest), THINGS.ingest);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('fx-ingest/i2', '{}', { qos: 1 });
    await closed;
    client.end(true);
  });

  test('GIVEN a rule whose Firehose action names a missing stream WHEN it fires THEN the error action writes AWS\'s error message to S3 with the rendered key', async () => {
    await publish(THINGS.broken, [['fx-broken/b1', { via: 'broken', x: 1 }]]);
    await t.runner.flush();
    const errorsDir = bucket('RuleErrors');
    const keys = listFiles(errorsDir);
    expect(keys).toEqual([expect.stringMatching(/^rule-errors\/b1\/\d{4}-\d\d-\d\d\/[0-9a-f-]{36}\.json$/)]);
    const message = JSON.parse(readObject(join(errorsDir, keys[0])));
    expect(message).toEqual({
      ruleName: 'BrokenRule',
      topic: 'fx-broken/b1',
      cloudwatchTraceId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      clientId: THINGS.broken,
      base64OriginalPayload: Buffer.from(JSON.stringify({ via: 'broken', x: 1 })).toString('base64'),
      failures: [{
        failedAction: 'FirehoseAction',
        failedResource: 'no-such-stream',
        errorMessage: expect.stringContaining('ResourceNotFoundException'),
      }],
    });
    // the pipeline's own rule on the same topic still delivered it
    expect(readJsonLines(bucket('BrokenStorageRawBucket'), 'raw/')).toEqual([{ topic: 'fx-broken/b1', via: 'broken', x: 1 }]);
  });

  test('GIVEN everything delivered WHEN the journal is inspected THEN no acknowledged message is outstanding', async () => {
    await t.runner.flush();
    await new Promise((r) => setTimeout(r, 100)); // done markers are batched every 50 ms
    expect(t.runner.journal.outstanding).toBe(0);
  });
});
