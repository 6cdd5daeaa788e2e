/**
 * The reference parser on non-JSON devices (PARSER_PAYLOAD binary / protobuf, PARSER_DECODER): each decoder's rows,
 * its failures (one record, never the batch) and its configuration errors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { create, createFileRegistry, DescMessage, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { ConfigError, createReferenceHandler, Environment } from '../../../lambda/reference-parser';
import type { FirehoseTransformationResult } from '../../../lambda/toolkit';
import { DESCRIPTOR_SET_FILE } from '../../../src/contract/payload';
import { assertValidResponse, b64, capturingLogger, capturingMetrics, eventOf, results, text } from '../fixtures/contract';

const ARRIVAL = 1720859923841;
const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'protobuf', 'telemetry.binpb');

/** A binary pipeline's envelope around `payload`, as the rule writes it. */
function envelope(payload: Uint8Array | string, topic = 'factory/line-1'): string {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return JSON.stringify({ payload: b64(bytes), topic, clientId: 'pump-1', timestamp: 1720859923000 });
}

const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');

let descriptorDir: string;
beforeAll(() => {
  descriptorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'descriptor-'));
  fs.copyFileSync(FIXTURE, path.join(descriptorDir, DESCRIPTOR_SET_FILE));
});
afterAll(() => fs.rmSync(descriptorDir, { recursive: true, force: true }));

function handler(env: Environment, dir?: string) {
  const logger = capturingLogger();
  const h = createReferenceHandler(env, { logger, metrics: capturingMetrics(), descriptorDir: dir ?? descriptorDir });
  return {
    logger,
    run: async (...payloads: (Uint8Array | string)[]) => {
      const input = eventOf(payloads.map(p => (typeof p === 'string' ? p : envelope(p))));
      const response = await h(input);
      assertValidResponse(input, response);
      return response;
    },
  };
}

const decoder = (spec: object): Environment => ({ PARSER_PAYLOAD: 'binary', PARSER_DECODER: JSON.stringify(spec) });
const rows = (response: FirehoseTransformationResult, i = 0) => text(response, i).split('\n').filter(l => l !== '').map(l => JSON.parse(l));
/** Failure reasons as the toolkit logged them, by record index. */
const reasons = (logger: ReturnType<typeof capturingLogger>) => Object.fromEntries(
  logger.lines.filter(l => l.message === 'Record answered ProcessingFailed').map(l => [l.extra.index, l.extra.reason]));

describe('cbor', () => {
  const cbor = () => handler(decoder({ kind: 'cbor' }));

  test('GIVEN a CBOR map WHEN parsed THEN the row is the JSON device\'s row: topic first, the fields, the arrival time', async () => {
    // GIVEN {"temp": 21.5, "hum": 40, "ok": true, "tags": ["a", null]}, hand-encoded
    const payload = hex('a4 6474656d70 fb4035800000000000 6368756d 1828 626f6b f5 6474616773 82 6161 f6');
    // WHEN
    const response = await cbor().run(payload);
    // THEN
    expect(text(response, 0)).toBe(`{"topic":"factory/line-1","temp":21.5,"hum":40,"ok":true,"tags":["a",null],"arrival_timestamp":${ARRIVAL}}\n`);
  });

  test('GIVEN a CBOR map with its own "topic" WHEN parsed THEN the envelope\'s topic wins, and topic segment fields come from it', async () => {
    // GIVEN {"topic": "forged/x", "v": 1}
    const h = handler({ ...decoder({ kind: 'cbor' }), PARSER_OPTIONS: JSON.stringify({ topicSegmentFields: ['line'] }) });
    // WHEN
    const response = await h.run(hex('a2 65746f706963 68666f726765642f78 6176 01'));
    // THEN
    expect(rows(response)).toEqual([{ topic: 'factory/line-1', v: 1, line: 'line-1', arrival_timestamp: ARRIVAL }]);
  });

  test('GIVEN invalid CBOR in a batch WHEN parsed THEN only that record fails, with the reason, and the rest are Ok', async () => {
    // GIVEN a good map, a map cut short, a good map
    const { logger, run } = cbor();
    // WHEN
    const response = await run(hex('a1 6161 01'), hex('a2 6161 01 6162'), hex('a1 6162 02'));
    // THEN
    expect(results(response)).toEqual(['Ok', 'ProcessingFailed', 'Ok']);
    expect(rows(response, 2)).toEqual([{ topic: 'factory/line-1', b: 2, arrival_timestamp: ARRIVAL }]);
    expect(reasons(logger)[1]).toMatch(/^payload is not valid CBOR: /);
  });

  test.each([
    ['an empty payload', '', /^CBOR payload is empty$/],
    ['an array', '820102', /CBOR payload is an array, expected a map/],
    ['a number', '01', /CBOR payload is a number, expected a map/],
    ['a text string', '6161', /CBOR payload is a string, expected a map/],
    ['a byte string', '4101', /CBOR payload is a byte string, expected a map/],
    ['null', 'f6', /CBOR payload is null, expected a map/],
    ['bytes after the map', 'a1616101 00', /not valid CBOR: Data read, but end of buffer not reached/],
    ['an array as a map key', 'a1 8101 6161', /not valid CBOR: Invalid property name type object/],
    ['an unknown tag', 'a1 6161 d903e8 01', /CBOR payload holds tag 1000/],
    ['an indefinite-length byte string', 'a1 6161 5f 4101 ff', /not valid CBOR/],
    ['a date that is not a date', 'a1 6161 c0 6378797a', /CBOR payload holds an invalid date/],
  ])('GIVEN %s WHEN parsed THEN the record fails with the reason', async (_name, payload, reason) => {
    // GIVEN
    const { logger, run } = cbor();
    // WHEN
    const response = await run(hex(payload));
    // THEN
    expect(results(response)).toEqual(['ProcessingFailed']);
    expect(reasons(logger)[0]).toMatch(reason);
  });

  test('GIVEN values JSON has no form for WHEN parsed THEN they are mapped as documented', async () => {
    // GIVEN bytes h'0102', tag 1 (epoch) 1720859923, tag 0 text date, undefined, NaN, 2^64 - 1, -(2^53 - 1) (safe, 64-bit encoded),
    // bignum 2^64, a set {1, 2}, integer / boolean / null keys, a nested map holding bytes
    const payload = hex([
      'ad',
      '6162 420102',
      '6174 c11a66923d13',
      '6164 c0 74 323032342d30372d31335430383a33383a34335a',
      '6175 f7',
      '616e fb7ff8000000000000',
      '626269 1bffffffffffffffff',
      '6173 3b001ffffffffffffe',
      '626267 c249010000000000000000',
      '6161 d9010282 01 02',
      '01 6131',
      'f5 6174',
      'f6 6178',
      '646e657374 a1 6178 a1 6179 4103',
    ].join(''));
    // WHEN
    const response = await cbor().run(payload);
    // THEN
    expect(rows(response)).toEqual([{
      topic: 'factory/line-1',
      b: 'AQI=',
      t: '2024-07-13T08:38:43.000Z',
      d: '2024-07-13T08:38:43.000Z',
      u: null,
      n: null,
      bi: '18446744073709551615',
      s: -9007199254740991,
      bg: '18446744073709551616',
      a: [1, 2],
      1: '1',
      true: 't',
      null: 'x',
      nest: { x: { y: 'Aw==' } },
      arrival_timestamp: ARRIVAL,
    }]);
  });

  test('GIVEN a map with the key "__proto__" WHEN parsed THEN no prototype changes and the row is plain data', async () => {
    // GIVEN {"__proto__": {"polluted": true}}
    const response = await cbor().run(hex('a1 69' + Buffer.from('__proto__').toString('hex') + 'a1 68' + Buffer.from('polluted').toString('hex') + 'f5'));
    // THEN
    expect(results(response)).toEqual(['Ok']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(rows(response)[0]).toEqual({ topic: 'factory/line-1', __proto_: { polluted: true }, arrival_timestamp: ARRIVAL });
  });

  test('GIVEN a record that is not an envelope WHEN parsed THEN it fails and says to check the payload format', async () => {
    // GIVEN a JSON device's message reaching a binary pipeline's parser
    const { logger, run } = cbor();
    // WHEN
    const response = await run('{"temp":21.5}');
    // THEN
    expect(results(response)).toEqual(['ProcessingFailed']);
    expect(reasons(logger)[0]).toMatch(/not a binary envelope .*payload format binary/);
  });
});

describe('delimited', () => {
  const delimited = (spec: object = {}) => handler(decoder({ kind: 'delimited', ...spec }));

  test('GIVEN temp=21.5;hum=40 WHEN parsed THEN numbers are numbers and other values strings', async () => {
    // WHEN
    const response = await delimited().run(Buffer.from('temp=21.5;hum=40;state=on; id = 007 ;hex=0x1F;neg=-3e2;eq=a=b;empty=', 'utf8'));
    // THEN
    expect(rows(response)).toEqual([{
      topic: 'factory/line-1', temp: 21.5, hum: 40, state: 'on', id: '007', hex: '0x1F', neg: -300, eq: 'a=b', empty: '', arrival_timestamp: ARRIVAL,
    }]);
  });

  test('GIVEN several lines in one message WHEN parsed THEN one row per line, blank lines and empty fields skipped', async () => {
    // WHEN
    const response = await delimited({ fieldSeparator: ',', keyValueSeparator: ':' }).run(Buffer.from('t:1,h:2,\r\n\r\n t:3 ,,h:4\n', 'utf8'));
    // THEN
    expect(rows(response).map(({ t, h }) => [t, h])).toEqual([[1, 2], [3, 4]]);
  });

  test.each([
    ['an empty key', 'temp=1;=2', /line 1, field 2 has an empty key/],
    ['a key given twice', 'temp=1;temp=2', /line 1, field 2 repeats a key/],
    ['a field without the separator', 'temp=1;hum', /line 1, field 2 has no key\/value separator "="/],
    ['the fault on a later line', 'temp=1\ntemp=2;x', /line 2, field 2 has no key\/value separator/],
    ['an empty payload', '', /delimited payload has no key\/value field/],
    ['only separators', ';;\n;', /delimited payload has no key\/value field/],
  ])('GIVEN %s WHEN parsed THEN the record fails with the reason', async (_name, payload, reason) => {
    // GIVEN
    const { logger, run } = delimited();
    // WHEN
    const response = await run(Buffer.from(payload, 'utf8'));
    // THEN
    expect(results(response)).toEqual(['ProcessingFailed']);
    expect(reasons(logger)[0]).toMatch(reason);
  });

  test('GIVEN a payload that is not UTF-8 WHEN parsed THEN the record fails and the next is Ok', async () => {
    // WHEN
    const { logger, run } = delimited();
    const response = await run(hex('ff'), Buffer.from('a=1'));
    // THEN
    expect(results(response)).toEqual(['ProcessingFailed', 'Ok']);
    expect(reasons(logger)[0]).toBe('binary payload is not valid UTF-8 text');
  });
});

describe('csv', () => {
  const csv = (spec: object = {}) => handler(decoder({ kind: 'csv', columns: ['temp', 'hum', 'note'], ...spec }));

  test('GIVEN 21.5,40,ok WHEN parsed THEN the fields are named by the columns', async () => {
    // WHEN
    const response = await csv().run(Buffer.from('21.5,40,ok', 'utf8'));
    // THEN
    expect(text(response, 0)).toBe(`{"topic":"factory/line-1","temp":21.5,"hum":40,"note":"ok","arrival_timestamp":${ARRIVAL}}\n`);
  });

  test('GIVEN RFC 4180 quoting WHEN parsed THEN quoted fields are strings with their separators, quotes and newlines', async () => {
    // WHEN
    const response = await csv().run(Buffer.from('"21.5",,"a ""b"", c\r\nd"\r\n1,2,x\n\n', 'utf8'));
    // THEN
    expect(rows(response).map(({ temp, hum, note }) => [temp, hum, note])).toEqual([['21.5', null, 'a "b", c\r\nd'], [1, 2, 'x']]);
  });

  test('GIVEN a semicolon separator WHEN parsed THEN commas are data', async () => {
    // WHEN
    const response = await csv({ separator: ';' }).run(Buffer.from('21,5;40;a,b', 'utf8'));
    // THEN
    expect(rows(response)[0]).toEqual(expect.objectContaining({ temp: '21,5', hum: 40, note: 'a,b' }));
  });

  test.each([
    ['too few fields', '21.5,40', /line 1 has 2 fields, expected 3 \(temp, hum, note\)/],
    ['too many fields', '1,2,3\n1,2,3,4', /line 2 has 4 fields, expected 3/],
    ['an unterminated quote', '1,2,"abc', /quoted field starting on line 1 is not closed/],
    ['a quote inside an unquoted field', '1,2,ab"c', /line 1 has a quote inside an unquoted field/],
    ['text after a closing quote', '1,2,"ab"c', /line 1 has text after a closing quote/],
    ['an empty payload', '', /csv payload has no record/],
  ])('GIVEN %s WHEN parsed THEN the record fails with the reason', async (_name, payload, reason) => {
    // GIVEN
    const { logger, run } = csv();
    // WHEN
    const response = await run(Buffer.from(payload, 'utf8'));
    // THEN
    expect(results(response)).toEqual(['ProcessingFailed']);
    expect(reasons(logger)[0]).toMatch(reason);
  });
});

describe('protobuf', () => {
  let Telemetry: DescMessage;
  beforeAll(() => {
    Telemetry = createFileRegistry(fromBinary(FileDescriptorSetSchema, fs.readFileSync(FIXTURE))).getMessage('factory.v1.Telemetry')!;
  });
  const protobuf = () => handler(decoder({ kind: 'protobuf', messageType: 'factory.v1.Telemetry' }));
  const encode = (fields: object) => toBinary(Telemetry, create(Telemetry, fields as never));

  test('GIVEN a Telemetry message WHEN parsed THEN the row has the proto field names, enum names and nested messages', async () => {
    // WHEN
    const response = await protobuf().run(encode({
      deviceId: 'pump-7', temperature: 21.5, humidity: 40, seq: 12, doorOpen: true, status: 2, vibration: [0.5, 1], location: { lat: 48.1, lon: 11.5 },
    }));
    // THEN
    expect(text(response, 0)).toBe('{"topic":"factory/line-1","device_id":"pump-7","temperature":21.5,"humidity":40,"seq":12,"door_open":true,'
      + `"status":"STATUS_WARN","vibration":[0.5,1],"location":{"lat":48.1,"lon":11.5},"arrival_timestamp":${ARRIVAL}}\n`);
  });

  test('GIVEN defaults, an empty payload and an unknown enum number WHEN parsed THEN defaults are omitted and the number kept', async () => {
    // WHEN
    const response = await protobuf().run(encode({ deviceId: 'p', seq: 0, doorOpen: false, status: 9 }), new Uint8Array(0));
    // THEN
    expect(rows(response, 0)).toEqual([{ topic: 'factory/line-1', device_id: 'p', status: 9, arrival_timestamp: ARRIVAL }]);
    expect(rows(response, 1)).toEqual([{ topic: 'factory/line-1', arrival_timestamp: ARRIVAL }]);
  });

  test('GIVEN bytes that are not a Telemetry WHEN parsed THEN that record fails with the reason, the rest are Ok', async () => {
    // GIVEN a truncated string field (tag 1, length 5, 2 bytes) between two good messages
    const { logger, run } = protobuf();
    // WHEN
    const response = await run(encode({ seq: 1 }), hex('0a05 6162'), encode({ seq: 2 }));
    // THEN
    expect(results(response)).toEqual(['Ok', 'ProcessingFailed', 'Ok']);
    expect(reasons(logger)[1]).toMatch(/^payload is not a valid factory\.v1\.Telemetry: /);
  });

  test('GIVEN 64-bit integers, bytes and NaN WHEN parsed THEN the JSON mapping writes decimal strings, base64 and "NaN"', async () => {
    // GIVEN a descriptor set made here: message t.Wide { uint64 big = 1; sint64 neg = 2; bytes raw = 3; double d = 4; }
    const field = (name: string, number: number, type: FieldDescriptorProto_Type) =>
      ({ name, number, type, label: FieldDescriptorProto_Label.OPTIONAL, jsonName: name });
    const set = create(FileDescriptorSetSchema, {
      file: [{
        name: 'wide.proto',
        package: 't',
        syntax: 'proto3',
        messageType: [{
          name: 'Wide',
          field: [
            field('big', 1, FieldDescriptorProto_Type.UINT64), field('neg', 2, FieldDescriptorProto_Type.SINT64),
            field('raw', 3, FieldDescriptorProto_Type.BYTES), field('d', 4, FieldDescriptorProto_Type.DOUBLE),
          ],
        }],
      }],
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wide-'));
    try {
      fs.writeFileSync(path.join(dir, DESCRIPTOR_SET_FILE), toBinary(FileDescriptorSetSchema, set));
      const Wide = createFileRegistry(set).getMessage('t.Wide')!;
      const bytes = toBinary(Wide, create(Wide, { big: BigInt('18446744073709551615'), neg: BigInt('-9007199254740993'), raw: new Uint8Array([1, 2, 3]), d: NaN } as never));
      // WHEN
      const response = await handler(decoder({ kind: 'protobuf', messageType: 't.Wide' }), dir).run(bytes);
      // THEN
      expect(rows(response)).toEqual([{
        topic: 'factory/line-1', big: '18446744073709551615', neg: '-9007199254740993', raw: 'AQID', d: 'NaN', arrival_timestamp: ARRIVAL,
      }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('GIVEN the message type is not in the descriptor set WHEN configured THEN a ConfigError lists the types it declares', () => {
    expect(() => createReferenceHandler(decoder({ kind: 'protobuf', messageType: 'factory.v1.Nope' }), { descriptorDir }))
      .toThrow(/"factory\.v1\.Nope" is not in the FileDescriptorSet; it declares: factory\.v1\.Location, factory\.v1\.Telemetry/);
  });

  test('GIVEN no descriptor file, or a file that is not a descriptor set WHEN configured THEN a ConfigError says what is wrong', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-descriptor-'));
    try {
      const env = decoder({ kind: 'protobuf', messageType: 'factory.v1.Telemetry' });
      expect(() => createReferenceHandler(env, { descriptorDir: empty })).toThrow(ConfigError);
      expect(() => createReferenceHandler(env, { descriptorDir: empty })).toThrow(/needs its FileDescriptorSet at .*payload-descriptor-set\.binpb; it is missing/);
      fs.writeFileSync(path.join(empty, DESCRIPTOR_SET_FILE), Buffer.from([0x0a, 0x05, 0x01]));
      expect(() => createReferenceHandler(env, { descriptorDir: empty })).toThrow(/is not a FileDescriptorSet/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('protobuf decoded in the rule, and binary JSON', () => {
  test('GIVEN PARSER_PAYLOAD protobuf WHEN the rule decoded the payload THEN the row is {topic, ...payload}; a missing payload fails', async () => {
    // GIVEN
    const { logger, run } = handler({ PARSER_PAYLOAD: 'protobuf' });
    // WHEN
    const response = await run(
      JSON.stringify({ payload: { device_id: 'p', topic: 'forged', seq: 3 }, topic: 'factory/line-1', clientId: 'c', timestamp: 1 }),
      JSON.stringify({ topic: 'factory/line-1', clientId: 'c', timestamp: 1 }),
    );
    // THEN
    expect(results(response)).toEqual(['Ok', 'ProcessingFailed']);
    expect(text(response, 0)).toBe(`{"topic":"factory/line-1","device_id":"p","seq":3,"arrival_timestamp":${ARRIVAL}}\n`);
    expect(reasons(logger)[1]).toMatch(/no decoded "payload" object/);
  });

  test('GIVEN PARSER_PAYLOAD binary without a decoder WHEN the payload is a JSON object THEN it is the row; anything else fails', async () => {
    // GIVEN
    const { logger, run } = handler({ PARSER_PAYLOAD: 'binary' });
    // WHEN
    const response = await run(Buffer.from('{"v":1}'), Buffer.from('v=1'), Buffer.from('[1]'));
    // THEN
    expect(results(response)).toEqual(['Ok', 'ProcessingFailed', 'ProcessingFailed']);
    expect(rows(response)).toEqual([{ topic: 'factory/line-1', v: 1, arrival_timestamp: ARRIVAL }]);
    expect(reasons(logger)[1]).toMatch(/binary payload is not JSON \(configure a decoder/);
    expect(reasons(logger)[2]).toMatch(/JSON but not an object/);
  });
});

describe('configuration', () => {
  test.each([
    [decoder({ kind: 'xml' }), /PARSER_DECODER\.kind is "xml"; expected one of "cbor", "protobuf", "delimited", "csv"/],
    [decoder({}), /PARSER_DECODER\.kind is "null"/],
    [{ PARSER_PAYLOAD: 'binary', PARSER_DECODER: '{' }, /PARSER_DECODER is not valid JSON/],
    [decoder({ kind: 'protobuf' }), /PARSER_DECODER\.messageType must be a message's full name/],
    [decoder({ kind: 'protobuf', messageType: 'a..b' }), /messageType must be a message's full name/],
    [decoder({ kind: 'cbor', columns: ['a'] }), /unknown key "columns" for decoder cbor; allowed: none/],
    [decoder({ kind: 'csv' }), /PARSER_DECODER\.columns is required for decoder csv/],
    [decoder({ kind: 'csv', columns: ['a', 'a'] }), /names "a" twice/],
    [decoder({ kind: 'csv', columns: ['a'], separator: '"' }), /separator cannot be '"'/],
    [decoder({ kind: 'csv', columns: ['a'], separator: ',,' }), /separator must be one character/],
    [decoder({ kind: 'delimited', fieldSeparator: '=' }), /must not contain each other/],
    [decoder({ kind: 'delimited', keyValueSeparator: '\n' }), /keyValueSeparator must be a non-empty string other than CR or LF/],
    [{ PARSER_DECODER: JSON.stringify({ kind: 'cbor' }) }, /PARSER_DECODER is set but PARSER_PAYLOAD is "json"/],
    [{ PARSER_PAYLOAD: 'protobuf', PARSER_DECODER: JSON.stringify({ kind: 'cbor' }) }, /a protobuf pipeline decodes in the rule/],
    [{ PARSER_PAYLOAD: 'avro' }, /PARSER_PAYLOAD is "avro"; expected one of "json", "binary", "protobuf"/],
  ])('GIVEN %j WHEN configured THEN a ConfigError says what to change', (env, message) => {
    expect(() => createReferenceHandler(env as Environment, { descriptorDir })).toThrow(ConfigError);
    expect(() => createReferenceHandler(env as Environment, { descriptorDir })).toThrow(message);
  });
});
