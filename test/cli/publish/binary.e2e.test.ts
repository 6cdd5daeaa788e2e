/**
 * `cdk-iot-pipeline publish` sends text, file bytes, CBOR and Protobuf to the local runner, and the exact bytes arrive:
 * a pipeline whose rule is the binary rule (`binaryRuleSql`: `SELECT encode(*, 'base64') AS payload, topic() …`)
 * forwards every message wrapped in the envelope, and its raw backup keeps the payload, base64. A second, JSON pipeline
 * (the default rule) shows the warning `publish` gives before sending a non-JSON payload where it would be dropped.
 */
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { createFileRegistry, fromBinary, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { PublishReport } from '../../../cli/publish/report';
import { IotCoreFirehosePipeline } from '../../../src';
import { binaryRuleSql, BINARY_ENVELOPE } from '../../../src/contract';
import { readJsonLines, useRunner } from '../../local/helpers';
import { cli } from '../support';

jest.mock('aedes', () => jest.requireActual('../../local/helpers').aedesCommonJs());
jest.setTimeout(120_000);

// cbor-x's types are an ES module's; its CommonJS build is what jest loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { decode: decodeCbor } = require('cbor-x') as { decode(bytes: Uint8Array): unknown };

const BINARY_DEVICE = 'bin-device';
const JSON_DEVICE = 'js-device';
const DESCRIPTOR_SET = join(__dirname, '..', '..', 'fixtures', 'protobuf', 'telemetry.binpb');

function synth(outdir: string): string {
  const app = new App({ outdir });
  const stack = new Stack(app, 'PublishBinary');
  new IotCoreFirehosePipeline(stack, 'Bin', {
    topic: 'bin', thingName: BINARY_DEVICE, sql: binaryRuleSql('bin'), monitoring: { alarms: false }, removalPolicy: RemovalPolicy.DESTROY,
  });
  new IotCoreFirehosePipeline(stack, 'Json', { topic: 'js', thingName: JSON_DEVICE, monitoring: { alarms: false }, removalPolicy: RemovalPolicy.DESTROY });
  app.synth();
  return outdir;
}

describe('publish non-JSON payloads to the local runner', () => {
  const t = useRunner({ name: 'publish-binary', app: (dir) => synth(join(dir, 'cdk.out')), things: () => [BINARY_DEVICE, JSON_DEVICE] });

  /** Publishes with the CLI (in process) as `thing` to `topic`; returns the JSON report and stderr. */
  async function publish(thing: string, topic: string, ...options: string[]): Promise<{ report: PublishReport; err: string }> {
    const cert = t.certOf(thing);
    const r = await cli('publish', '--endpoint', `127.0.0.1:${t.runner.port}`, '--cert', cert.certPath, '--key', cert.keyPath, '--ca', cert.caPath,
      '--client-id', thing, '--topic', topic, '--app', t.app, '--count', '2', '--rate', '100', '--json', '--quiet', ...options);
    if (r.code !== 0) throw new Error(`publish exited ${r.code}: ${r.err}${r.out}`);
    return { report: JSON.parse(r.out) as PublishReport, err: r.err };
  }

  /** The payloads the binary pipeline's raw backup holds for `topic`, in arrival order, decoded from base64. */
  async function backedUp(topic: string): Promise<Buffer[]> {
    await t.runner.flush();
    const bucket = [...t.runner.model.buckets.values()].find((b) => b.folder.startsWith('BinStorageRawBucket'));
    if (!bucket) throw new Error('no raw bucket of the Bin pipeline');
    return readJsonLines(join(t.dataDir, 's3', bucket.folder), 'raw/')
      .filter((envelope) => envelope[BINARY_ENVELOPE.topic] === topic)
      .map((envelope) => {
        expect(envelope[BINARY_ENVELOPE.clientId]).toBe(BINARY_DEVICE);
        return Buffer.from(envelope[BINARY_ENVELOPE.payload] as string, 'base64');
      });
  }

  test('GIVEN --raw WHEN published THEN the rendered text lines arrive byte for byte, and no warning is given', async () => {
    // WHEN
    const { report, err } = await publish(BINARY_DEVICE, 'bin/text', '--raw', 'temp=21.5;seq={{seq}};dev={{clientId}}');
    // THEN
    expect(report).toMatchObject({ payloadKind: 'text', acked: 2, failed: 0, bytesSent: 2 * 'temp=21.5;seq=1;dev=bin-device'.length });
    expect(err).not.toContain('warning');
    expect((await backedUp('bin/text')).map((b) => b.toString('utf8'))).toEqual(['temp=21.5;seq=1;dev=bin-device', 'temp=21.5;seq=2;dev=bin-device']);
  });

  test('GIVEN --payload-file with bytes that are not text WHEN published THEN every message is the file\'s exact bytes', async () => {
    // GIVEN
    const bytes = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x0a, 0x0d, 0x2c, 0x7b, 0xc3, 0x28]);
    const file = join(t.dir, 'frame.bin');
    writeFileSync(file, bytes);
    // WHEN
    const { report } = await publish(BINARY_DEVICE, 'bin/file', '--payload-file', file);
    // THEN
    expect(report).toMatchObject({ payloadKind: 'file', acked: 2, bytesSent: 20, firstMessageBase64: bytes.toString('base64') });
    const arrived = await backedUp('bin/file');
    expect(arrived).toHaveLength(2);
    for (const payload of arrived) expect(payload.equals(bytes)).toBe(true);
  });

  test('GIVEN --cbor WHEN published THEN the arrived bytes decode (cbor-x) to each message of the template', async () => {
    // WHEN
    const { report } = await publish(BINARY_DEVICE, 'bin/cbor', '--cbor', '--template', '{"seq": {{seq}}, "temp": 21.5, "door": "open"}');
    // THEN
    const arrived = await backedUp('bin/cbor');
    expect(report).toMatchObject({ payloadKind: 'cbor', acked: 2, bytesSent: arrived[0].length + arrived[1].length });
    expect(arrived.map((b) => decodeCbor(b))).toEqual([{ seq: 1, temp: 21.5, door: 'open' }, { seq: 2, temp: 21.5, door: 'open' }]);
  });

  test('GIVEN --protobuf WHEN published THEN the arrived bytes decode (fromBinary) to each message of the template', async () => {
    // WHEN
    const { report } = await publish(BINARY_DEVICE, 'bin/proto', '--protobuf', '--descriptor-set', DESCRIPTOR_SET, '--message-type', 'factory.v1.Telemetry',
      '--template', '{"device_id": "{{clientId}}", "temperature": 21.5, "seq": {{seq}}, "status": "STATUS_OK"}');
    // THEN
    expect(report).toMatchObject({ payloadKind: 'protobuf', acked: 2 });
    const desc = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(DESCRIPTOR_SET))).getMessage('factory.v1.Telemetry')!;
    expect((await backedUp('bin/proto')).map((b) => toJson(desc, fromBinary(desc, b), { useProtoFieldName: true }))).toEqual([
      { device_id: BINARY_DEVICE, temperature: 21.5, seq: 1, status: 'STATUS_OK' },
      { device_id: BINARY_DEVICE, temperature: 21.5, seq: 2, status: 'STATUS_OK' },
    ]);
  });

  test('GIVEN --cbor to the JSON pipeline WHEN published THEN publish warns first that its rule drops non-JSON payloads, and the runner reports them with what to change', async () => {
    // WHEN
    const { report, err } = await publish(JSON_DEVICE, 'js/cbor', '--cbor');
    // THEN the broker acknowledged them ...
    expect(report).toMatchObject({ payloadKind: 'cbor', acked: 2 });
    // ... but the warning said beforehand that the rule would drop them, and what to change
    expect(err).toMatch(/warning: the CBOR payload is not JSON, and rule \S+ \(SELECT topic\(\) as topic, \* FROM 'js\/\+' WHERE isUndefined\(topic\)\) takes JSON only/);
    expect(err).toContain('`payload: PayloadFormat.binary()`');
    await t.runner.flush();
    const rawBucket = [...t.runner.model.buckets.values()].find((b) => b.folder.startsWith('JsonStorageRawBucket'))!;
    expect(readJsonLines(join(t.dataDir, 's3', rawBucket.folder), 'raw/')).toEqual([]);
    expect(t.logs.join('\n')).toMatch(/is not a JSON object.*PayloadFormat\.binary\(\)/);
  });
});
