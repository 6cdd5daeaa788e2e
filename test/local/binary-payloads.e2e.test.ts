/**
 * Binary payloads through the local runner over the real broker: a Protobuf message decoded in the rule with
 * decode(*, 'proto', …) (its FileDescriptorSet deployed by a BucketDeployment), any bytes wrapped by the binary
 * pipeline's rule (binaryRuleSql), and text lines into the JSON rule, counted as messages no rule could process.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { connect, listFiles, readObject, useRunner, waitFor } from './helpers';
import { localProcessingCheck } from '../../cli/doctor/local-checks/local-processing';
import { gatherLocalFacts } from '../../cli/doctor/local-gather';
import { readUnprocessable } from '../../local/iot/unprocessable';
import { IotCoreFirehosePipeline } from '../../src';
import { binaryRuleSql, DESCRIPTOR_SET_PREFIX, protobufRuleSql } from '../../src/contract';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(180000);

const DESCRIPTOR = join(__dirname, '../fixtures/protobuf/telemetry.binpb');
const TELEMETRY = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(DESCRIPTOR))).getMessage('factory.v1.Telemetry')!;
const THINGS = { proto: 'fx-proto-device', binary: 'fx-binary-device', json: 'fx-json-device' };

function synth(dir: string): string {
  const schemas = join(dir, 'schemas');
  mkdirSync(schemas, { recursive: true });
  copyFileSync(DESCRIPTOR, join(schemas, 'telemetry.binpb'));
  const app = new App({ outdir: join(dir, 'cdk.out') });
  const stack = new Stack(app, 'BinaryPayloads', { env: { region: 'eu-west-1' } });
  const common = { monitoring: { alarms: false }, removalPolicy: RemovalPolicy.DESTROY };
  const bucket = new s3.Bucket(stack, 'Schemas', { removalPolicy: RemovalPolicy.DESTROY });
  new s3deploy.BucketDeployment(stack, 'DeploySchemas', { sources: [s3deploy.Source.asset(schemas)], destinationBucket: bucket, destinationKeyPrefix: DESCRIPTOR_SET_PREFIX });
  new IotCoreFirehosePipeline(stack, 'Proto', {
    ...common,
    topic: 'fx-proto',
    thingName: THINGS.proto,
    sql: protobufRuleSql('fx-proto', { bucket: bucket.bucketName, key: `${DESCRIPTOR_SET_PREFIX}telemetry.binpb`, protoFile: 'telemetry.proto', messageType: 'factory.v1.Telemetry' }),
  });
  new IotCoreFirehosePipeline(stack, 'Binary', { ...common, topic: 'fx-binary', thingName: THINGS.binary, sql: binaryRuleSql('fx-binary') });
  new IotCoreFirehosePipeline(stack, 'Json', { ...common, topic: 'fx-json', thingName: THINGS.json });
  app.synth();
  return join(dir, 'cdk.out');
}

describe('local runner: binary payloads', () => {
  const t = useRunner({ name: 'e2e-binary', app: synth, things: () => Object.values(THINGS) });

  async function publish(thing: string, topic: string, payloads: Buffer[]): Promise<{ before: number; after: number }> {
    const client = await connect(t.runner.port, t.certOf(thing), thing);
    const before = Date.now();
    try {
      for (const payload of payloads) await client.publishAsync(topic, payload, { qos: 1 });
    } finally {
      await client.endAsync();
    }
    return { before, after: Date.now() };
  }

  /** The raw backup's lines of a pipeline (the records exactly as the rule's Firehose action sent them). */
  function rawLines(pipeline: string): string[] {
    const stream = [...t.runner.model.streams.values()].find((s) => s.path.startsWith(`BinaryPayloads/${pipeline}/`))!;
    const dir = join(t.dataDir, 's3', stream.backup!.bucket.folder);
    return listFiles(dir).filter((k) => k.startsWith('raw')).flatMap((k) => readObject(join(dir, k)).split('\n').filter((l) => l !== ''));
  }

  test('GIVEN the stack\'s BucketDeployment WHEN the runner starts THEN the descriptor set is in the bucket folder', () => {
    const [d] = t.runner.model.deployments!;
    expect(readFileSync(join(t.dataDir, 's3', d.bucket.folder, 'payload-schemas', 'telemetry.binpb'))).toEqual(readFileSync(DESCRIPTOR));
  });

  test('GIVEN a rule with decode(*, \'proto\', …) WHEN a device publishes Telemetry messages THEN the raw backup holds the envelope with the decoded message', async () => {
    const messages = [1, 2].map((seq) => ({ deviceId: 'lathe-7', temperature: 20 + seq / 4, seq, status: 1, vibration: [0.5], location: { lat: 48.1, lon: 11.5 } }));
    const { before, after } = await publish(THINGS.proto, 'fx-proto/lathe-7', messages.map((m) => Buffer.from(toBinary(TELEMETRY, create(TELEMETRY, m as never)))));
    await t.runner.flush();
    const lines = rawLines('Proto');
    expect(lines).toHaveLength(2);
    lines.forEach((line, i) => {
      const timestamp = JSON.parse(line).timestamp as number;
      expect(timestamp).toBeGreaterThanOrEqual(before);
      expect(timestamp).toBeLessThanOrEqual(after);
      expect(line).toBe(JSON.stringify({
        payload: { device_id: 'lathe-7', temperature: 20 + (i + 1) / 4, seq: i + 1, status: 'STATUS_OK', vibration: [0.5], location: { lat: 48.1, lon: 11.5 } },
        topic: 'fx-proto/lathe-7',
        clientId: THINGS.proto,
        timestamp,
      }));
    });
  });

  test('GIVEN the binary pipeline\'s rule WHEN text lines and raw bytes (a newline, 0xff) are published THEN the raw backup holds each one\'s exact bytes, base64, in the envelope', async () => {
    const payloads = [Buffer.from('temp=21.5;hum=40'), Buffer.from([0xa2, 0x0a, 0x00, 0xff, 0x0d, 0x0a]), Buffer.alloc(0)];
    await publish(THINGS.binary, 'fx-binary/meter-1', payloads);
    await t.runner.flush();
    const envelopes = rawLines('Binary').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(envelopes.map((e) => Buffer.from(String(e.payload ?? ''), 'base64'))).toEqual(payloads);
    expect(envelopes.map((e) => [e.topic, e.clientId])).toEqual(payloads.map(() => ['fx-binary/meter-1', THINGS.binary]));
    expect(envelopes.map((e) => Object.keys(e).filter((k) => k !== 'payload'))).toEqual(payloads.map(() => ['topic', 'clientId', 'timestamp']));
  });

  test('GIVEN the JSON pipeline WHEN a device sends text lines THEN none is delivered, they are counted on their topic and the fix is logged once and written for the doctor', async () => {
    await publish(THINGS.json, 'fx-json/sensor-1', [Buffer.from('temp=1'), Buffer.from('temp=2'), Buffer.from('{"temp":3}')]);
    await t.runner.flush();
    expect(rawLines('Json').map((l) => JSON.parse(l))).toEqual([{ topic: 'fx-json/sensor-1', temp: 3 }]);
    const report = t.runner.unprocessable();
    expect(report.total).toBe(2);
    expect(report.topics).toEqual([{ topic: 'fx-json/sensor-1', rule: expect.any(String), count: 2 }]);
    expect(t.logs.filter((l) => l.includes('fx-json/sensor-1') && l.includes('payload: PayloadFormat.binary()'))).toHaveLength(1);
    await waitFor('the unprocessable-messages report in the data dir', () => existsSync(join(t.dataDir, 'unprocessable.json')) && readUnprocessable(t.dataDir)?.total === 2, 5000);
  });

  test('GIVEN those text lines WHEN the local doctor checks the JSON pipeline THEN local-processing WARNs with the count and the payload format; the binary one has none', async () => {
    await waitFor('the report', () => readUnprocessable(t.dataDir)?.total === 2, 5000);
    const json = localProcessingCheck.evaluate(gatherLocalFacts({ app: t.app, dataDir: t.dataDir, pipeline: 'Json' }));
    expect(json.status).toBe('WARN');
    expect(json.detail).toMatch(/^2 message\(s\) the rule could not process .*: 2 on fx-json\/sensor-1$/);
    expect(json.fix).toContain('payload: PayloadFormat.binary()');
    const binary = gatherLocalFacts({ app: t.app, dataDir: t.dataDir, pipeline: 'Binary' });
    expect(binary.local?.unprocessable).toEqual({ total: 0, topics: [], fix: expect.any(String) });
  });
});
