/**
 * Device identity through the local runner: a device cannot make a parsed row name another device — neither with a
 * `topic` of its own in the payload (the default rule leaves such messages out and the rejected-messages rule keeps
 * them in the raw bucket, keyed by the device's authenticated client id) nor by publishing under another device's
 * sub-topic (with more than one device, each is confined to `<topic>/<its thing name>`).
 */
import { join } from 'path';
import { App, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import type { MqttClient } from 'mqtt';
import { connect, listFiles, readJsonLines, readObject, useRunner, waitFor } from './helpers';
import { IotCoreFirehosePipeline, ParsedFormat, Parser } from '../../src';
import { REJECTED_MESSAGES_PREFIX } from '../../src/contract';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(180000);

const TOPIC = 'fleet';
const REAL = 'sensor-a';
const VICTIM = 'sensor-b';

function synth(outdir: string): string {
  const app = new App({ outdir });
  const stack = new Stack(app, 'IdentityFixture', { env: { region: 'eu-west-1' } });
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
    topic: TOPIC,
    thingName: REAL,
    monitoring: { alarms: false },
    removalPolicy: RemovalPolicy.DESTROY,
    buffering: { interval: Duration.seconds(60), size: Size.mebibytes(1) },
    parser: Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) }),
  });
  pipeline.addDevice('Victim', { thingName: VICTIM });
  app.synth();
  return outdir;
}

describe('local runner: device identity cannot be forged', () => {
  const t = useRunner({ name: 'e2e-identity', app: (dir) => synth(join(dir, 'cdk.out')), things: () => [REAL] });

  function bucket(prefix: string): string {
    const ref = [...t.runner.model.buckets.values()].find((b) => b.folder.startsWith(prefix));
    if (!ref) throw new Error(`no bucket ${prefix}*`);
    return join(t.dataDir, 's3', ref.folder);
  }

  test('GIVEN a device WHEN it publishes a forged "topic" (and "device") in its payload THEN the parsed data names only the real device, and the forged message is kept in the raw bucket under its real client id', async () => {
    // WHEN
    const client: MqttClient = await connect(t.runner.port, t.cert, REAL);
    try {
      await client.publishAsync(`${TOPIC}/${REAL}`, JSON.stringify({ seq: 1, t: 20.5 }), { qos: 1 });
      await client.publishAsync(`${TOPIC}/${REAL}`, JSON.stringify({ seq: 2, topic: `${TOPIC}/${VICTIM}`, t: -40 }), { qos: 1 });
      await client.publishAsync(`${TOPIC}/${REAL}`, JSON.stringify({ seq: 3, device: VICTIM, t: 21 }), { qos: 1 });
    } finally {
      await client.endAsync();
    }
    await t.runner.flush();

    // THEN the parsed rows keep the write-up's shape ({topic, ...payload, device}) and name the real device only
    const rows = readJsonLines(bucket('PipelineStorageParsedBucket'), 'parsed/').map(({ arrival_timestamp: _a, ...row }) => row);
    expect(rows.map((row) => JSON.stringify(row))).toEqual([
      JSON.stringify({ topic: `${TOPIC}/${REAL}`, seq: 1, t: 20.5, device: REAL }),
      JSON.stringify({ topic: `${TOPIC}/${REAL}`, seq: 3, device: REAL, t: 21 }),
    ]);
    expect(JSON.stringify(rows)).not.toContain(VICTIM);

    // AND the forged message is not lost: in the raw bucket under iot-rule-rejected/<date>/<real client id>/, as published
    const raw = bucket('PipelineStorageRawBucket');
    const rejected = listFiles(raw).filter((key) => key.startsWith(REJECTED_MESSAGES_PREFIX));
    expect(rejected).toEqual([expect.stringMatching(new RegExp(`^${REJECTED_MESSAGES_PREFIX}\\d{4}/\\d{2}/\\d{2}/\\d{2}/${REAL}/[0-9a-f-]{36}\\.json$`))]);
    expect(JSON.parse(readObject(join(raw, rejected[0])))).toEqual({ seq: 2, topic: `${TOPIC}/${VICTIM}`, t: -40 });
    // AND the raw backup of the stream holds only what the stream received
    const backup = readJsonLines(raw, 'raw/');
    expect(backup.map((r) => r.seq)).toEqual([1, 3]);
  });

  test('GIVEN several devices WHEN a device publishes under another device\'s sub-topic THEN the broker refuses it and nothing names the other device', async () => {
    // WHEN
    const client: MqttClient = await connect(t.runner.port, t.cert, REAL);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(`${TOPIC}/${VICTIM}`, JSON.stringify({ seq: 4 }), { qos: 1 });
    await closed;
    client.end(true);
    await t.runner.flush();
    // THEN
    await waitFor('the denial to be logged', () => t.logs.some((line) => line.includes('publish denied') && line.includes(REAL)));
    const rows = readJsonLines(bucket('PipelineStorageParsedBucket'), 'parsed/');
    expect(rows.map((row) => row.seq)).toEqual([1, 3]);
    expect(JSON.stringify(rows)).not.toContain(VICTIM);
  });
});
