/**
 * Devices that do not send JSON, end to end through the local runner: text lines, CBOR (from mqtt.js and from the AWS
 * IoT Device SDK for Python with cbor2) and Protobuf (decoded by the parser, and decoded in the rule with
 * `decode(*, 'proto', …)` from the FileDescriptorSet the stack deploys). Each message's exact bytes are in the raw
 * backup (base64 in the binary envelope), its decoded row in the parsed data; a payload that is not CBOR fails alone.
 */
import { execFile } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { promisify } from 'util';
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { connect, readJsonLines, useRunner } from './helpers';
import { IotCoreFirehosePipeline, Parser, PayloadDecoder, PayloadFormat } from '../../src';
import { BINARY_ENVELOPE } from '../../src/contract';
import { venvTool } from '../support/venv';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(180_000);

// cbor-x's types are an ES module's; its CommonJS build is what jest loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { encode: cborEncode } = require('cbor-x') as { encode(value: unknown): Uint8Array };

const run = promisify(execFile);
const DESCRIPTOR_SET = join(__dirname, '..', 'fixtures', 'protobuf', 'telemetry.binpb');
const MESSAGE_TYPE = 'factory.v1.Telemetry';
const THINGS = { lines: 'payload-lines', cbor: 'payload-cbor', proto: 'payload-proto', inRule: 'payload-proto-rule' };

function synth(outdir: string): string {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Payloads');
  const common = { monitoring: { alarms: false, dashboard: false }, removalPolicy: RemovalPolicy.DESTROY };
  new IotCoreFirehosePipeline(stack, 'Lines', {
    ...common,
    topic: 'lines',
    thingName: THINGS.lines,
    payload: PayloadFormat.binary(),
    parser: Parser.reference({ decoder: PayloadDecoder.delimited() }),
  });
  new IotCoreFirehosePipeline(stack, 'Cbor', {
    ...common,
    topic: 'cbor',
    thingName: THINGS.cbor,
    payload: PayloadFormat.binary(),
    parser: Parser.reference({ decoder: PayloadDecoder.cbor() }),
  });
  new IotCoreFirehosePipeline(stack, 'Proto', {
    ...common,
    topic: 'proto',
    thingName: THINGS.proto,
    payload: PayloadFormat.binary(),
    parser: Parser.reference({ decoder: PayloadDecoder.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }) }),
  });
  new IotCoreFirehosePipeline(stack, 'ProtoRule', {
    ...common,
    topic: 'proto-rule',
    thingName: THINGS.inRule,
    payload: PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }),
  });
  return app.synth().directory;
}

/** Telemetry as Protobuf bytes, with the fixture's own descriptor. */
function telemetryBytes(fields: Record<string, unknown>): Uint8Array {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(DESCRIPTOR_SET)));
  const schema = registry.getMessage(MESSAGE_TYPE)!;
  return toBinary(schema, create(schema, fields));
}

describe('non-JSON devices through the local runner', () => {
  const t = useRunner({ name: 'e2e-payloads', app: (dir) => synth(join(dir, 'cdk.out')), things: () => Object.values(THINGS) });

  function folders(prefix: string): { raw: string; parsed: string } {
    const stream = [...t.runner.model.streams.values()].find((s) => s.logicalId.startsWith(prefix));
    if (!stream) throw new Error(`no delivery stream ${prefix}*`);
    return { raw: join(t.dataDir, 's3', stream.backup!.bucket.folder), parsed: join(t.dataDir, 's3', stream.destination.bucket.folder) };
  }

  async function publish(thing: string, topic: string, payloads: Array<Uint8Array | string>): Promise<void> {
    const client = await connect(t.runner.port, t.certOf(thing), thing);
    try {
      for (const payload of payloads) await client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
    } finally {
      await client.endAsync();
    }
  }

  /** The raw backup's envelopes of a pipeline, with the payload's bytes. */
  function rawEnvelopes(prefix: string): Array<{ topic: unknown; clientId: unknown; bytes: Buffer }> {
    return readJsonLines(folders(prefix).raw, 'raw/').map((r) => ({
      topic: r[BINARY_ENVELOPE.topic], clientId: r[BINARY_ENVELOPE.clientId], bytes: Buffer.from(String(r[BINARY_ENVELOPE.payload]), 'base64'),
    }));
  }

  test('GIVEN a text-line device (temp=…;hum=…) WHEN it publishes THEN the rows are decoded like JSON and the raw backup keeps the exact bytes', async () => {
    const lines = [0, 1, 2].map((seq) => `temp=2${seq}.5;hum=4${seq};seq=${seq};state=ok`);
    await publish(THINGS.lines, 'lines/boiler-1', lines);
    await t.runner.flush();
    const rows = readJsonLines(folders('Lines').parsed, 'parsed/').sort((a, b) => Number(a.seq) - Number(b.seq));
    expect(rows).toEqual([0, 1, 2].map((seq) => ({
      topic: 'lines/boiler-1', temp: 20.5 + seq, hum: 40 + seq, seq, state: 'ok', arrival_timestamp: expect.any(Number),
    })));
    const raw = rawEnvelopes('Lines');
    expect(raw.map((r) => r.bytes.toString('utf8')).sort()).toEqual(lines);
    expect(raw.every((r) => r.clientId === THINGS.lines && r.topic === 'lines/boiler-1')).toBe(true);
  });

  test('GIVEN a CBOR device and one payload that is not CBOR WHEN they are in one batch THEN the bad one lands in processing-failed and the rest is parsed', async () => {
    const good = [0, 1, 2, 3].map((seq) => cborEncode({ seq, temperature: 21.25, door: seq % 2 === 0, tags: ['a', 'b'] }));
    const bad = Buffer.from([0xff, 0x00, 0x13]); // a break code outside any indefinite item: not CBOR
    await publish(THINGS.cbor, 'cbor/press-7', [good[0], good[1], bad, good[2], good[3]]);
    await t.runner.flush();
    const { parsed } = folders('Cbor');
    const rows = readJsonLines(parsed, 'parsed/').filter((r) => r.topic === 'cbor/press-7');
    expect(rows.map((r) => r.seq).sort()).toEqual([0, 1, 2, 3]);
    expect(rows[0]).toMatchObject({ topic: 'cbor/press-7', temperature: 21.25, tags: ['a', 'b'] });
    const failed = readJsonLines(parsed, 'errors/processing-failed/');
    expect(failed).toHaveLength(1);
    const envelope = JSON.parse(Buffer.from(String(failed[0].rawData), 'base64').toString('utf8'));
    expect(Buffer.from(envelope[BINARY_ENVELOPE.payload], 'base64')).toEqual(bad);
    const raw = rawEnvelopes('Cbor').filter((r) => r.topic === 'cbor/press-7');
    expect(raw.map((r) => r.bytes.toString('hex')).sort()).toEqual([...good.map((g) => Buffer.from(g).toString('hex')), bad.toString('hex')].sort());
  });

  test('GIVEN a Python device (AWS IoT Device SDK v2) sending CBOR made by cbor2 WHEN it publishes THEN its rows are parsed', async () => {
    const cert = t.certOf(THINGS.cbor);
    const { stdout } = await run(venvTool('python'), [
      join(__dirname, 'device-sdk', 'publish.py'), '--endpoint', 'localhost', '--port', String(t.runner.port), '--cert', cert.certPath,
      '--key', cert.keyPath, '--ca', cert.caPath, '--client-id', THINGS.cbor, '--topic', 'cbor/python-1', '--count', '5',
      '--tag', 'cbor2', '--cbor', '--extra', '{"temperature": 19.5}',
    ], { timeout: 60_000 });
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l)).pop()).toEqual({ event: 'done', acked: 5 });
    await t.runner.flush();
    const rows = readJsonLines(folders('Cbor').parsed, 'parsed/').filter((r) => r.topic === 'cbor/python-1');
    expect(rows.map((r) => r.seq).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(rows[0]).toMatchObject({ via: 'cbor2', temperature: 19.5 });
  });

  const TELEMETRY = { deviceId: 'lathe-3', temperature: 61.5, humidity: 12, seq: 9, doorOpen: true, vibration: [0.5, 0.25] };

  test('GIVEN a Protobuf device WHEN the parser decodes it (PayloadDecoder.protobuf) THEN the row carries the message\'s fields', async () => {
    const bytes = telemetryBytes(TELEMETRY);
    await publish(THINGS.proto, 'proto/lathe-3', [bytes]);
    await t.runner.flush();
    const [row] = readJsonLines(folders('Proto').parsed, 'parsed/');
    expect(row).toMatchObject({ topic: 'proto/lathe-3', device_id: 'lathe-3', temperature: 61.5, seq: 9, door_open: true, vibration: [0.5, 0.25] });
    expect(rawEnvelopes('Proto')[0].bytes).toEqual(Buffer.from(bytes));
  });

  test('GIVEN a Protobuf pipeline decoding in the rule (decode(*, \'proto\', …)) WHEN a device publishes THEN the runner decodes with the deployed descriptor and the rows equal the parser-decoded ones', async () => {
    await publish(THINGS.inRule, 'proto-rule/lathe-3', [telemetryBytes(TELEMETRY)]);
    await t.runner.flush();
    const [row] = readJsonLines(folders('ProtoRule').parsed, 'parsed/');
    const [byParser] = readJsonLines(folders('Proto').parsed, 'parsed/');
    const { topic: _a, arrival_timestamp: _b, ...fields } = row;
    const { topic: _c, arrival_timestamp: _d, ...parserFields } = byParser;
    expect(row.topic).toBe('proto-rule/lathe-3');
    expect(fields).toEqual(parserFields);
  });
});
