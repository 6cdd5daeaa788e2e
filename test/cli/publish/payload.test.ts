/**
 * What `publish` sends: each payload option's bytes, decoded back with the format's own library, and the usage errors
 * for options that do not go together.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { createFileRegistry, fromBinary, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { mockClient } from 'aws-sdk-client-mock';
import * as protobufjs from 'protobufjs';
import { AwsClients } from '../../../cli/aws/clients';
import { UsageError } from '../../../cli/errors';
import { IOT_MAX_PAYLOAD_BYTES, PayloadOptions, resolvePayload } from '../../../cli/publish/payload';
import { resolvePublishSettings } from '../../../cli/publish/settings';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// cbor-x's types are an ES module's; its CommonJS build is what jest (and the CLI bundle) load.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { decode: decodeCbor } = require('cbor-x') as { decode(bytes: Uint8Array): unknown };

const PROTO_DIR = join(__dirname, '..', '..', 'fixtures', 'protobuf');
const DESCRIPTOR_SET = join(PROTO_DIR, 'telemetry.binpb');
const TELEMETRY = 'factory.v1.Telemetry';
/** Fixed values, so a message can be compared with what the template says. */
const ENV = { now: () => 1_700_000_000_123, random: () => 0.25, uuid: () => '8c2a6d1e-1b7e-4c1a-9d57-3f0e2b9c4a11' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-publish-payload-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('--raw', () => {
  test('GIVEN a text template WHEN rendered THEN the placeholders are replaced and the client id is sent as it is (no JSON escaping)', () => {
    // GIVEN
    const payload = resolvePayload({ raw: 'temp={{random}};seq={{seq}};at={{now}};dev={{clientId}};n={{randomInt:10:13}}' });
    // WHEN
    const m = payload.render({ seq: 7, clientId: 'dev "1"' }, ENV);
    // THEN
    expect(payload.kind).toBe('text');
    expect(m.bytes.toString('utf8')).toBe('temp=0.25;seq=7;at=1700000000123;dev=dev "1";n=11');
    expect(m.text).toBe(m.bytes.toString('utf8'));
  });

  test('GIVEN a text that is not JSON WHEN checked THEN it is accepted (a JSON template would be refused)', () => {
    expect(resolvePayload({ raw: '21.5,40,{{seq}}' }).check('dev-1', ENV).bytes.toString()).toBe('21.5,40,1');
    expect(() => resolvePayload({ template: '21.5,40,{{seq}}' }).check('dev-1', ENV)).toThrow('does not render to JSON');
  });

  test('GIVEN an unknown placeholder THEN the usage error lists the supported ones', () => {
    expect(() => resolvePayload({ raw: 't={{temperature}}' })).toThrow('Unknown template placeholder {{temperature}}; supported: {{seq}}');
  });
});

describe('--payload-file', () => {
  test('GIVEN a binary file WHEN every message is rendered THEN each is exactly the file\'s bytes', () => {
    // GIVEN bytes that are neither UTF-8 nor free of separators
    const bytes = Buffer.from([0x00, 0xff, 0x0a, 0x7b, 0x22, 0xc3, 0x28, 0x0d, 0x0a, 0x80]);
    const payload = resolvePayload({ payloadFile: file('frame.bin', bytes) });
    // WHEN
    const first = payload.check('dev-1');
    const tenth = payload.render({ seq: 10, clientId: 'dev-1' });
    // THEN
    expect(payload.kind).toBe('file');
    expect(first.bytes.equals(bytes)).toBe(true);
    expect(tenth.bytes.equals(bytes)).toBe(true);
    expect(first.text).toBeUndefined();
  });

  test('GIVEN a file of exactly 128 KB THEN it is accepted; one byte more THEN a usage error names the size and the limit', () => {
    expect(resolvePayload({ payloadFile: file('max.bin', Buffer.alloc(IOT_MAX_PAYLOAD_BYTES, 1)) }).check('d').bytes.length).toBe(131072);
    expect(() => resolvePayload({ payloadFile: file('big.bin', Buffer.alloc(IOT_MAX_PAYLOAD_BYTES + 1, 1)) }))
      .toThrow(/big\.bin is 131073 bytes; AWS IoT Core accepts at most 131072 bytes \(128 KB\)/);
  });

  test('GIVEN a file over 128 KB and --stack WHEN the settings are resolved THEN the usage error comes before any AWS call', async () => {
    // GIVEN
    const cfn = mockClient(CloudFormationClient);
    const big = file('big2.bin', Buffer.alloc(200 * 1024, 2));
    // WHEN
    const p = resolvePublishSettings({ count: 1, rate: 1, qos: 1, mqttVersion: 4, connectTimeoutMs: 1000, ackTimeoutMs: 1000, stack: 'Telemetry', payloadFile: big }, () => new AwsClients({ region: 'eu-west-1' }));
    // THEN
    await expect(p).rejects.toThrow(UsageError);
    await expect(p).rejects.toThrow('204800 bytes');
    expect(cfn.calls()).toHaveLength(0);
    cfn.restore();
  });

  test('GIVEN a missing file THEN the usage error names the option and the file', () => {
    expect(() => resolvePayload({ payloadFile: join(dir, 'nope.bin') })).toThrow(`Cannot read --payload-file file ${join(dir, 'nope.bin')}: ENOENT`);
  });
});

describe('--cbor', () => {
  test('GIVEN the default template WHEN encoded THEN CBOR decodes to the JSON sample, for each message', () => {
    // GIVEN
    const payload = resolvePayload({ cbor: true });
    // WHEN
    const first = payload.check('dev-1', ENV);
    const third = payload.render({ seq: 3, clientId: 'dev-1' }, ENV);
    // THEN
    expect(payload.kind).toBe('cbor');
    expect(decodeCbor(first.bytes)).toEqual({ seq: 1, ts: 1_700_000_000_123, temp: 0.25 });
    expect(decodeCbor(third.bytes)).toEqual({ seq: 3, ts: 1_700_000_000_123, temp: 0.25 });
    expect(first.text).toBe('{"seq": 1, "ts": 1700000000123, "temp": 0.25}');
    // CBOR is not JSON text: a map of three pairs starts the bytes (major type 5)
    expect(Math.floor(first.bytes[0] / 32)).toBe(5);
  });

  test('GIVEN nested values, arrays, strings and booleans WHEN encoded THEN they decode unchanged', () => {
    // GIVEN
    const template = '{"id": "{{uuid}}", "dev": "{{clientId}}", "ok": true, "none": null, "v": [{{seq}}, -2, 1.5], "loc": {"lat": 48.1, "lon": 11.5}}';
    // WHEN
    const m = resolvePayload({ cbor: true, template }).check('dev-1', ENV);
    // THEN
    expect(decodeCbor(m.bytes)).toEqual(JSON.parse(m.text!));
  });

  test('GIVEN --cbor with a template that is not JSON THEN the usage error says so before encoding', () => {
    expect(() => resolvePayload({ cbor: true, template: 'temp={{random}}' }).check('d')).toThrow('does not render to JSON');
  });
});

describe('--protobuf', () => {
  const telemetry = () => {
    const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(DESCRIPTOR_SET)));
    return registry.getMessage(TELEMETRY)!;
  };
  const options = (template: string): PayloadOptions => ({ protobuf: true, descriptorSet: DESCRIPTOR_SET, messageType: TELEMETRY, template });

  test('GIVEN a template with proto field names WHEN encoded THEN fromBinary gives the sample back', () => {
    // GIVEN
    const template = '{"device_id": "{{clientId}}", "temperature": {{random}}, "humidity": 40.5, "seq": {{seq}}, "door_open": true, '
      + '"status": "STATUS_WARN", "vibration": [0.5, 1.25], "location": {"lat": 48.1, "lon": 11.5}}';
    // WHEN
    const payload = resolvePayload(options(template));
    const m = payload.check('dev-1', ENV);
    // THEN
    expect(payload.kind).toBe('protobuf');
    const desc = telemetry();
    expect(toJson(desc, fromBinary(desc, m.bytes), { useProtoFieldName: true })).toEqual(JSON.parse(m.text!));
  });

  test('GIVEN JSON field names (camelCase) WHEN encoded THEN they are the same fields; protobufjs reads the same message from the .proto', () => {
    // GIVEN
    const template = '{"deviceId": "dev-1", "temperature": 21.5, "seq": {{seq}}, "doorOpen": true, "status": 3}';
    // WHEN
    const m = resolvePayload(options(template)).render({ seq: 42, clientId: 'dev-1' });
    // THEN
    const desc = telemetry();
    expect(toJson(desc, fromBinary(desc, m.bytes))).toEqual({ deviceId: 'dev-1', temperature: 21.5, seq: 42, doorOpen: true, status: 'STATUS_FAULT' });
    const type = protobufjs.loadSync(join(PROTO_DIR, 'telemetry.proto')).lookupType(TELEMETRY);
    expect(type.toObject(type.decode(m.bytes), { enums: String })).toEqual({ deviceId: 'dev-1', temperature: 21.5, seq: 42, doorOpen: true, status: 'STATUS_FAULT' });
  });

  test.each([
    ['an unknown field', '{"device_id": "d", "pressure": 1013}', 'key "pressure" is unknown'],
    ['a string for a double', '{"temperature": "warm"}', 'factory.v1.Telemetry.temperature from JSON: expected number (float64), got "warm"'],
    ['a negative uint32', '{"seq": -{{seq}}}', 'factory.v1.Telemetry.seq from JSON: expected number (uint32): -1 out of range'],
    ['a wrong type in a nested message', '{"location": {"lat": "north"}}', 'factory.v1.Location.lat'],
  ])('GIVEN %s THEN a usage error before connecting names the field and lists the message\'s fields', (_name, template, message) => {
    // WHEN
    const check = () => resolvePayload(options(template)).check('dev-1', ENV);
    // THEN
    expect(check).toThrow(UsageError);
    expect(check).toThrow(message);
    expect(check).toThrow('Write --template with its fields (proto or JSON names): device_id/deviceId, temperature, humidity, seq, door_open/doorOpen, status, vibration, location.');
  });

  test('GIVEN the default template THEN the error names its first field the message does not have', () => {
    expect(() => resolvePayload({ protobuf: true, descriptorSet: DESCRIPTOR_SET, messageType: TELEMETRY }).check('d', ENV)).toThrow('key "ts" is unknown');
  });

  test('GIVEN a message type the set does not hold THEN the error lists the types it holds', () => {
    expect(() => resolvePayload({ ...options('{}'), messageType: 'Telemetry' }))
      .toThrow('--message-type Telemetry is not in ' + DESCRIPTOR_SET + '; its message types: factory.v1.Location, factory.v1.Telemetry. Give the full name');
  });

  test('GIVEN the .proto source instead of a descriptor set THEN the error says how to compile one', () => {
    expect(() => resolvePayload({ ...options('{}'), descriptorSet: join(PROTO_DIR, 'telemetry.proto') }))
      .toThrow(/is not a usable FileDescriptorSet \(.*\)\. Compile the \.proto file into one: `buf build telemetry\.proto -o telemetry\.binpb`/);
  });
});

describe('options that do not go together', () => {
  test.each<[string, PayloadOptions, string]>([
    ['--raw and --template', { raw: 'a', template: '{}' }, 'Give --template or --raw, not both.'],
    ['--raw and --payload-file', { raw: 'a', payloadFile: 'f' }, 'Give --raw or --payload-file, not both.'],
    ['three sources', { template: '{}', templateFile: 't', payloadFile: 'f' }, 'Give one of --template, --template-file, --payload-file, not several.'],
    ['--cbor and --protobuf', { cbor: true, protobuf: true }, 'Give --cbor or --protobuf, not both'],
    ['--cbor and --raw', { cbor: true, raw: 'a' }, '--cbor encodes the JSON messages of --template; --raw text is sent as it is. Leave out --cbor'],
    ['--protobuf and --payload-file', { protobuf: true, payloadFile: 'f', descriptorSet: 'd', messageType: 'm' }, '--payload-file is sent byte for byte; --protobuf encodes'],
    ['--protobuf alone', { protobuf: true }, '--protobuf needs --descriptor-set <FileDescriptorSet file> and --message-type <package.Message>, e.g.'],
    ['--protobuf without --message-type', { protobuf: true, descriptorSet: DESCRIPTOR_SET }, '--protobuf needs --message-type <package.Message>, e.g.'],
    ['--descriptor-set without --protobuf', { descriptorSet: DESCRIPTOR_SET }, '--descriptor-set and --message-type describe a Protobuf payload: add --protobuf'],
    ['--message-type with --cbor', { cbor: true, messageType: TELEMETRY }, 'add --protobuf'],
  ])('GIVEN %s THEN a usage error says what to change', (_name, options, message) => {
    expect(() => resolvePayload(options)).toThrow(UsageError);
    expect(() => resolvePayload(options)).toThrow(message);
  });
});
