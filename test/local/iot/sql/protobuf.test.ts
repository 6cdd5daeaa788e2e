/**
 * Binary payloads through IoT SQL and decode(*, 'proto', …) with its limits (pure: the descriptor sets come from an
 * in-memory object reader). Reference: https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { message, NOW } from './message';
import {
  compileSql, compileTemplate, DescriptorCache, NonJsonPayloadError, ObjectReader, SqlError, SqlEvaluationError, SqlMessage,
} from '../../../../local/iot/sql';
import { binaryRuleSql, PROTOBUF_RULE_LIMITS, protobufRuleSql } from '../../../../src/contract';

const DESCRIPTOR = readFileSync(join(__dirname, '../../../fixtures/protobuf/telemetry.binpb'));
const TELEMETRY = createFileRegistry(fromBinary(FileDescriptorSetSchema, DESCRIPTOR)).getMessage('factory.v1.Telemetry')!;
const KEY = 'payload-schemas/telemetry.binpb';

/** Objects in memory, with a version that changes on every write. */
class MemoryObjects implements ObjectReader {
  public readonly objects = new Map<string, { bytes: Buffer; version: number }>();
  public reads = 0;
  private writes = 0;
  public put(bucket: string, key: string, bytes: Buffer): void {
    this.objects.set(`${bucket}/${key}`, { bytes, version: ++this.writes });
  }
  public version(bucket: string, key: string): string | undefined {
    const o = this.objects.get(`${bucket}/${key}`);
    return o && String(o.version);
  }
  public read(bucket: string, key: string): Buffer | undefined {
    this.reads++;
    return this.objects.get(`${bucket}/${key}`)?.bytes;
  }
}

function telemetryBytes(): Buffer {
  return Buffer.from(toBinary(TELEMETRY, create(TELEMETRY, {
    deviceId: 'lathe-7', temperature: 21.5, seq: 42, doorOpen: true, status: 2, vibration: [0.25, 0.5], location: { lat: 48.1, lon: 11.5 },
  } as never)));
}

function withDescriptors(m: SqlMessage, cache: DescriptorCache): SqlMessage {
  return { ...m, descriptors: cache };
}

function binaryMessage(payload: Buffer): SqlMessage {
  return { topic: 'factory/lathe-7', clientId: 'lathe-7', timestamp: NOW, payload };
}

describe('decode(*, \'proto\', …) reads the descriptor set from the bucket and decodes the payload', () => {
  const objects = new MemoryObjects();
  objects.put('schemas', KEY, DESCRIPTOR);
  const cache = new DescriptorCache(objects);

  test('GIVEN the construct\'s Protobuf rule WHEN a Telemetry message arrives THEN the envelope holds the decoded message with the proto field names', () => {
    const sql = compileSql(protobufRuleSql('factory', { bucket: 'schemas', key: KEY, protoFile: 'telemetry.proto', messageType: 'factory.v1.Telemetry' }));
    const result = sql.evaluate(withDescriptors(binaryMessage(telemetryBytes()), cache));
    expect(result).toEqual({
      kind: 'json',
      value: {
        payload: {
          device_id: 'lathe-7', temperature: 21.5, seq: 42, door_open: true, status: 'STATUS_WARN', vibration: [0.25, 0.5], location: { lat: 48.1, lon: 11.5 },
        },
        topic: 'factory/lathe-7',
        clientId: 'lathe-7',
        timestamp: NOW,
      },
    });
  });

  test('GIVEN the file without .proto and the message relative to its package THEN the same message is decoded', () => {
    const sql = compileSql(`SELECT VALUE decode(*, 'proto', 'schemas', '${KEY}', 'telemetry', 'Telemetry') FROM 'factory/+'`);
    const result = sql.evaluate(withDescriptors(binaryMessage(telemetryBytes()), cache));
    expect(result.kind === 'json' && (result.value as Record<string, unknown>).device_id).toBe('lathe-7');
  });

  test.each<[string, string, string, RegExp]>([
    ['a key the bucket does not hold', 'payload-schemas/other.binpb', 'telemetry.proto', /no descriptor set s3:\/\/schemas\/payload-schemas\/other\.binpb/],
    ['a file the set does not hold', KEY, 'sensor.proto', /has no file "sensor\.proto"; it has telemetry\.proto/],
  ])('GIVEN %s THEN the message fails the rule, saying what is there', (_what, key, file, expected) => {
    const sql = compileSql(`SELECT decode(*, 'proto', 'schemas', '${key}', '${file}', 'factory.v1.Telemetry') AS p FROM 'factory/+'`);
    expect(() => sql.evaluate(withDescriptors(binaryMessage(telemetryBytes()), cache))).toThrow(expected);
  });

  test('GIVEN a message type the file does not declare THEN the error lists the declared ones', () => {
    const sql = compileSql(`SELECT decode(*, 'proto', 'schemas', '${KEY}', 'telemetry.proto', 'factory.v1.Pressure') AS p FROM 'factory/+'`);
    expect(() => sql.evaluate(withDescriptors(binaryMessage(telemetryBytes()), cache)))
      .toThrow(/declares no message "factory\.v1\.Pressure"; it declares factory\.v1\.Telemetry, factory\.v1\.Location/);
  });

  test('GIVEN bytes that are not a Telemetry message THEN the message fails the rule', () => {
    const sql = compileSql(`SELECT decode(*, 'proto', 'schemas', '${KEY}', 'telemetry.proto', 'factory.v1.Telemetry') AS p FROM 'factory/+'`);
    expect(() => sql.evaluate(withDescriptors(binaryMessage(Buffer.from([0x0a, 0xff])), cache))).toThrow(/the payload is not a factory\.v1\.Telemetry message/);
  });

  test('GIVEN no buckets to read from THEN the message fails the rule', () => {
    const sql = compileSql(`SELECT decode(*, 'proto', 'schemas', '${KEY}', 'telemetry.proto', 'factory.v1.Telemetry') AS p FROM 'factory/+'`);
    expect(() => sql.evaluate(binaryMessage(telemetryBytes()))).toThrow(SqlEvaluationError);
  });
});

describe('decode(*, \'proto\', …): AWS IoT\'s limits', () => {
  const decodeCall = `decode(*, 'proto', 'schemas', '${KEY}', 'telemetry.proto', 'factory.v1.Telemetry')`;

  test(`GIVEN a payload over ${PROTOBUF_RULE_LIMITS.payloadBytes} bytes THEN the message fails the rule; at the limit it decodes`, () => {
    const objects = new MemoryObjects();
    objects.put('schemas', KEY, DESCRIPTOR);
    const cache = new DescriptorCache(objects);
    const sql = compileSql(`SELECT ${decodeCall} AS p FROM 'factory/+'`);
    // field 1 (device_id), length-delimited, filling the payload to exactly the limit
    const atLimit = (size: number) => {
      const header = Buffer.from([0x0a, 0, 0, 0]);
      const length = size - header.length;
      header[1] = 0x80 + (length % 128);
      header[2] = 0x80 + (Math.floor(length / 128) % 128);
      header[3] = Math.floor(length / 16384);
      return Buffer.concat([header, Buffer.alloc(length, 'a')]);
    };
    expect(sql.evaluate(withDescriptors(binaryMessage(atLimit(PROTOBUF_RULE_LIMITS.payloadBytes)), cache)).kind).toBe('json');
    expect(() => sql.evaluate(withDescriptors(binaryMessage(atLimit(PROTOBUF_RULE_LIMITS.payloadBytes + 1)), cache)))
      .toThrow(/the payload has 131073 bytes; AWS IoT decodes payloads of at most 131072/);
  });

  test(`GIVEN a descriptor set over ${PROTOBUF_RULE_LIMITS.descriptorSetBytes} bytes THEN the message fails the rule`, () => {
    const objects = new MemoryObjects();
    objects.put('schemas', KEY, Buffer.concat([DESCRIPTOR, Buffer.alloc(PROTOBUF_RULE_LIMITS.descriptorSetBytes)]));
    const sql = compileSql(`SELECT ${decodeCall} AS p FROM 'factory/+'`);
    expect(() => sql.evaluate(withDescriptors(binaryMessage(telemetryBytes()), new DescriptorCache(objects))))
      .toThrow(/has 33234 bytes; AWS IoT reads at most 32768/);
  });

  test('GIVEN two decode calls in a statement THEN it loads; GIVEN three THEN loading the rule fails naming the limit', () => {
    expect(() => compileSql(`SELECT ${decodeCall} AS a, ${decodeCall} AS b FROM 'factory/+'`)).not.toThrow();
    expect(() => compileSql(`SELECT ${decodeCall} AS a, ${decodeCall} AS b FROM 'factory/+' WHERE isUndefined(${decodeCall}.x)`))
      .toThrow(/calls decode\(…, 'proto'\) 3 times; AWS IoT allows at most 2/);
  });

  test('GIVEN decode(…, \'proto\') in a substitution template THEN the template is refused', () => {
    expect(() => compileTemplate(`errors/\${${decodeCall}.device_id}.json`)).toThrow(/does not allow it in substitution templates/);
  });

  test.each<[string, RegExp]>([
    ['decode(*, \'hex\')', /the decoding scheme is 'base64' or 'proto'/],
    ['decode(*, \'proto\', \'b\', \'k\')', /decode\(…, 'proto'\) \(column 8\) takes 6 arguments/],
    ['decode(x, \'base64\', \'b\')', /decode\(…, 'base64'\) \(column 8\) takes 2 arguments, got 3/],
  ])('GIVEN SELECT %s THEN the rule is refused when loaded', (expr, expected) => {
    expect(() => compileSql(`SELECT ${expr} AS r FROM '#'`)).toThrow(expected);
    expect(() => compileSql(`SELECT ${expr} AS r FROM '#'`)).toThrow(SqlError);
  });
});

describe('decode(*, \'proto\', …): the compiled descriptor set is cached per bucket, key and content', () => {
  test('GIVEN three messages THEN the set is read and compiled once; rewritten with the same bytes it is read again but not compiled; changed it is compiled', () => {
    const objects = new MemoryObjects();
    objects.put('schemas', KEY, DESCRIPTOR);
    const cache = new DescriptorCache(objects);
    const sql = compileSql(`SELECT VALUE decode(*, 'proto', 'schemas', '${KEY}', 'telemetry.proto', 'factory.v1.Telemetry') FROM 'factory/+'`);
    for (let i = 0; i < 3; i++) sql.evaluate(withDescriptors(binaryMessage(telemetryBytes()), cache));
    expect({ reads: objects.reads, compilations: cache.compilations }).toEqual({ reads: 1, compilations: 1 });

    objects.put('schemas', KEY, Buffer.from(DESCRIPTOR));
    sql.evaluate(withDescriptors(binaryMessage(telemetryBytes()), cache));
    expect({ reads: objects.reads, compilations: cache.compilations }).toEqual({ reads: 2, compilations: 1 });

    // the same file under another key: the content's registry is shared
    objects.put('schemas', 'payload-schemas/copy.binpb', Buffer.from(DESCRIPTOR));
    compileSql('SELECT VALUE decode(*, \'proto\', \'schemas\', \'payload-schemas/copy.binpb\', \'telemetry.proto\', \'factory.v1.Telemetry\') FROM \'factory/+\'')
      .evaluate(withDescriptors(binaryMessage(telemetryBytes()), cache));
    expect(cache.compilations).toBe(1);

    objects.put('schemas', KEY, Buffer.concat([DESCRIPTOR, Buffer.from([0x0a, 0x00])])); // one more (empty) file descriptor: other bytes
    expect(() => sql.evaluate(withDescriptors(binaryMessage(telemetryBytes()), cache))).not.toThrow();
    expect(cache.compilations).toBe(2);
  });
});

describe('binary payloads through SELECT (binary-payloads.html)', () => {
  const bytes = Buffer.from([0xa2, 0x64, 0x74, 0x65, 0x6d, 0x70, 0xf9, 0x4d, 0x60, 0x0a, 0x00, 0xff]); // CBOR-like, with a newline byte

  test('GIVEN SELECT * alone WHEN the payload is not JSON THEN the bytes pass unchanged', () => {
    expect(compileSql('SELECT * FROM \'factory/+\'').evaluate(binaryMessage(bytes))).toEqual({ kind: 'raw', payload: bytes });
    expect(compileSql('SELECT * FROM \'factory/+\' WHERE timestamp() % 1 = 0').evaluate(binaryMessage(bytes))).toEqual({ kind: 'raw', payload: bytes });
  });

  test('GIVEN the binary pipeline\'s rule THEN the envelope holds the payload base64 and the identity from the rule\'s functions', () => {
    const result = compileSql(binaryRuleSql('factory')).evaluate(binaryMessage(bytes));
    expect(result).toEqual({ kind: 'json', value: { payload: bytes.toString('base64'), topic: 'factory/lathe-7', clientId: 'lathe-7', timestamp: NOW } });
  });

  test('GIVEN encode(*, \'base64\') WHEN the payload is JSON THEN its bytes are encoded as they came', () => {
    const m = message('{ "a": 1 }');
    expect(compileSql('SELECT encode(*, \'base64\') AS data FROM \'#\'').evaluate(m)).toEqual({ kind: 'json', value: { data: Buffer.from('{ "a": 1 }').toString('base64') } });
  });

  test('GIVEN SELECT *, <function> WHEN the payload is not JSON THEN the message is not processed (NonJsonPayloadError says what to select)', () => {
    const sql = compileSql('SELECT topic() AS topic, * FROM \'factory/+\'');
    expect(() => sql.evaluate(binaryMessage(bytes))).toThrow(NonJsonPayloadError);
    expect(() => sql.evaluate(binaryMessage(bytes))).toThrow(/select \* alone or encode\(\*, 'base64'\) AS/);
    expect(() => sql.evaluate(binaryMessage(Buffer.from('[1, 2]')))).toThrow(NonJsonPayloadError);
  });

  test('GIVEN SELECT *, <function> WHEN the payload is empty THEN the named items alone are the output', () => {
    const sql = compileSql('SELECT *, principal() AS principal, timestamp() AS time FROM \'factory/+\'');
    expect(sql.evaluate({ ...binaryMessage(Buffer.alloc(0)), principal: 'abc' })).toEqual({ kind: 'json', value: { principal: 'abc', time: NOW } });
  });
});
