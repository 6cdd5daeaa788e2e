/**
 * Record format conversion in the runner: JSON records read with the OpenX SerDe's rules, Parquet written with the
 * table's schema (read back with hyparquet, the reader of the writer's authors, and with DuckDB in
 * test/local/query), failures routed to the error output as Firehose does.
 */
import { gunzipSync } from 'zlib';
import type { BucketRef, ConversionModel, StreamModel } from '../../../local/assembly/model';
import type { TableModel } from '../../../local/assembly/table';
import { compileConversion, ConversionError, scaledDecimal, splitJson, timestamp } from '../../../local/firehose/conversion';
import { LocalDeliveryStream } from '../../../local/firehose/delivery-stream';
import { compileStreamPrefix } from '../../../local/firehose/keys';
import type { ObjectSink } from '../../../local/s3/sinks';

type Hyparquet = typeof import('hyparquet', { with: { 'resolution-mode': 'import' } });
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an ES module, compiled for jest
const { parquetReadObjects, parquetMetadata } = require('hyparquet') as Hyparquet;

const bucket = (folder: string): BucketRef => ({ name: folder, folder, endpointName: folder.toLowerCase() });

function table(columns: Array<[string, string]>): TableModel {
  return {
    database: 'plant',
    name: 'telemetry',
    qualifiedName: 'plant.telemetry',
    stack: 'T',
    logicalId: 'Table',
    path: 'T/Table',
    columns: columns.map(([name, type]) => ({ name, type })),
    partitionKeys: [],
    storage: { format: 'parquet', serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    bucket: bucket('Parsed'),
    layout: { prefix: 'parsed/', template: 'parsed/', projected: false },
    parameters: {},
  };
}

function conversion(columns: Array<[string, string]>, overrides: Partial<ConversionModel> = {}): ConversionModel {
  return {
    table: table(columns),
    deserializer: { kind: 'openx', caseInsensitive: true, mappings: {}, dotsToUnderscores: false },
    compression: 'SNAPPY',
    dictionary: true,
    pageSizeBytes: 1024 * 1024,
    catalog: { databaseName: 'plant', tableName: 'telemetry', region: 'eu-west-1', versionId: 'LATEST' },
    ...overrides,
  };
}

async function readParquet(body: Buffer): Promise<Array<Record<string, unknown>>> {
  const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  return parquetReadObjects({ file, compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) } });
}

describe('reading JSON records', () => {
  test.each([
    ['{"a":1}', [{ a: 1 }]],
    ['{"a":1}{"a":2}', [{ a: 1 }, { a: 2 }]],
    ['{"a":"}{"}\n{"a":{"b":[1]}}\n', [{ a: '}{' }, { a: { b: [1] } }]],
  ])('GIVEN %j THEN its objects', (text, objects) => {
    expect(splitJson(text)).toEqual(objects);
  });

  test.each([['[{"a":1}]'], ['42'], ['{"a":1'], [''], ['{"a":}']])('GIVEN %j THEN ConversionError (not JSON objects)', (text) => {
    expect(() => splitJson(text)).toThrow(ConversionError);
  });

  test.each([
    [1518033528, '2018-02-07T19:58:48.000Z'],
    [1518033528123, '2018-02-07T19:58:48.123Z'],
    [1518033528.123, '2018-02-07T19:58:48.123Z'],
    ['2017-02-07T15:13:01.39256Z', '2017-02-07T15:13:01.393Z'],
    ['2017-2-7 15:13:01.14', '2017-02-07T15:13:01.140Z'],
    ['1518033528', '2018-02-07T19:58:48.000Z'],
  ])('GIVEN the timestamp %j (a form the OpenX SerDe reads) THEN %s', (value, iso) => {
    expect(timestamp(value)?.toISOString()).toBe(iso);
  });

  test.each([['07/02/2017'], ['tomorrow'], [true]])('GIVEN %j THEN no timestamp', (value) => {
    expect(timestamp(value)).toBeUndefined();
  });

  test.each([
    ['12.345', 10, 2, 1235n],
    ['-0.5', 4, 0, -1n],
    ['1e3', 6, 2, 100000n],
    ['123456', 5, 0, undefined],
  ])('GIVEN %s as decimal(%i,%i) THEN the unscaled value %s', (text, precision, scale, expected) => {
    expect(scaledDecimal(text, precision, scale)).toBe(expected);
  });

  test('GIVEN keys in another case, a mapping and dots THEN columns are found as the OpenX SerDe finds them; unknown fields are dropped', () => {
    // GIVEN
    const converter = compileConversion(conversion([['device', 'string'], ['temp', 'double'], ['site_name', 'string'], ['n', 'int']], {
      deserializer: { kind: 'openx', caseInsensitive: true, mappings: { n: 'Count' }, dotsToUnderscores: true },
    }));
    // WHEN
    const rows = converter.rows(Buffer.from('{"Device":"a","TEMP":"21.5","site.name":"north","count":7,"other":1}'));
    // THEN
    expect(rows).toEqual([{ device: 'a', temp: 21.5, site_name: 'north', n: 7 }]);
  });

  test.each([
    [['n', 'int'], '{"n":1.5}', /column n \(int\): is not an integer: 1.5/],
    [['n', 'int'], '{"n":3000000000}', /column n \(int\): is out of range/],
    [['b', 'boolean'], '{"b":"yes"}', /column b \(boolean\): is not a boolean/],
    [['xs', 'array<int>'], '{"xs":{"a":1}}', /column xs \(array<int>\): is not an array/],
    [['t', 'timestamp'], '{"t":"07/02/2017"}', /column t \(timestamp\): is not a timestamp/],
  ] as Array<[[string, string], string, RegExp]>)('GIVEN a column %j and the record %s THEN ConversionError naming the column', (column, record, message) => {
    // GIVEN
    const converter = compileConversion(conversion([column]));
    // WHEN / THEN
    expect(() => converter.rows(Buffer.from(record))).toThrow(message);
  });

  test('GIVEN a map keyed by a struct THEN compiling the conversion says a map key must be primitive', () => {
    expect(() => compileConversion(conversion([['m', 'map<struct<a:int>,int>']]))).toThrow(/column m: a map key must be a primitive type/);
  });
});

describe('writing Parquet', () => {
  const COLUMNS: Array<[string, string]> = [
    ['device', 'string'], ['temp', 'double'], ['seq', 'bigint'], ['ok', 'boolean'], ['at', 'timestamp'], ['day', 'date'],
    ['amount', 'decimal(10,2)'], ['tags', 'array<string>'], ['pos', 'struct<lat:double,lon:double>'], ['counts', 'map<string,int>'],
  ];

  test.each(['SNAPPY', 'GZIP', 'UNCOMPRESSED'] as const)('GIVEN rows of every kind of column and %s THEN a Parquet file that reads back to the same values', async (compression) => {
    // GIVEN
    const converter = compileConversion(conversion(COLUMNS, { compression }));
    const rows = converter.rows(Buffer.from([
      '{"device":"a","temp":21.5,"seq":4102444800000123,"ok":true,"at":1700000000000,"day":"2024-02-29","amount":"12.34","tags":["x","y"],"pos":{"lat":1.5,"lon":2},"counts":{"a":1,"b":"2"}}',
      '{"device":"b","temp":null,"seq":2}',
    ].join('\n')));
    // WHEN
    const body = converter.write(rows);
    // THEN
    expect(body.subarray(0, 4).toString()).toBe('PAR1');
    const metadata = parquetMetadata(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
    expect(metadata.row_groups[0].columns.every((c) => c.meta_data?.codec === compression)).toBe(true);
    const read = await readParquet(body);
    expect(read).toEqual([
      {
        device: 'a',
        temp: 21.5,
        seq: 4102444800000123n,
        ok: true,
        at: new Date(1700000000000),
        day: new Date(Date.UTC(2024, 1, 29)),
        amount: 12.34,
        tags: ['x', 'y'],
        pos: { lat: 1.5, lon: 2 },
        counts: { a: 1, b: 2 },
      },
      // (a null list, struct or map reads back as null, like every other null column)
      { device: 'b', temp: null, seq: 2n, ok: null, at: null, day: null, amount: null, tags: null, pos: null, counts: null },
    ]);
  });
});

describe('a delivery stream with record format conversion', () => {
  class MemorySink implements ObjectSink {
    public readonly objects = new Map<string, Buffer>();
    public describe(b: BucketRef, key: string): string {
      return `${b.folder}/${key}`;
    }
    public async prepare(): Promise<void> {}
    public async put(b: BucketRef, key: string, body: Buffer): Promise<void> {
      this.objects.set(`${b.folder}/${key}`, body);
    }
  }

  test('GIVEN good and bad records THEN one Parquet object with the good rows, and a format-conversion-failed record per bad one', async () => {
    // GIVEN
    const sink = new MemorySink();
    const hints = { intervalMs: 3600000, sizeBytes: 64 * 1024 * 1024 };
    const model: StreamModel = {
      name: 'S',
      arn: 'arn:aws:firehose:eu-west-1:000000000000:deliverystream/S',
      stack: 'T',
      logicalId: 'S',
      path: 'T/S',
      region: 'eu-west-1',
      dynamicPartitioning: false,
      destination: {
        bucket: bucket('Parsed'),
        prefix: compileStreamPrefix('parsed/year=!{timestamp:yyyy}/'),
        errorPrefix: compileStreamPrefix('errors/!{firehose:error-output-type}/'),
        buffering: hints,
        compression: 'UNCOMPRESSED',
        extension: '.parquet',
      },
      conversion: conversion([['device', 'string'], ['temp', 'double']]),
    };
    const stream = new LocalDeliveryStream(model, { sink, log: () => undefined });
    const arrival = Date.UTC(2025, 0, 2, 3, 4, 5);
    // WHEN
    void stream.put({ data: Buffer.from('{"device":"a","temp":1}\n'), arrival });
    void stream.put({ data: Buffer.from('{"device":"b","temp":"hot"}\n'), arrival });
    void stream.put({ data: Buffer.from('{"device":"c","temp":3}{"device":"d","temp":4}'), arrival });
    await stream.drain();
    stream.stop();
    // THEN
    const keys = [...sink.objects.keys()];
    const data = keys.filter((k) => k.startsWith('Parsed/parsed/year=2025/'));
    expect(data).toHaveLength(1);
    expect(data[0]).toMatch(/^Parsed\/parsed\/year=2025\/S-1-2025-01-02-03-04-05-[0-9a-f-]{36}\.parquet$/);
    expect(await readParquet(sink.objects.get(data[0])!)).toEqual([
      { device: 'a', temp: 1 }, { device: 'c', temp: 3 }, { device: 'd', temp: 4 },
    ]);
    const errors = keys.filter((k) => k.startsWith('Parsed/errors/format-conversion-failed/'));
    expect(errors).toHaveLength(1);
    const failed = sink.objects.get(errors[0])!.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(failed).toEqual([{
      attemptsMade: 1,
      arrivalTimestamp: arrival,
      lastErrorCode: 'DataFormatConversion.MalformedData',
      lastErrorMessage: expect.stringContaining('column temp (double): is not a number: "hot"'),
      attemptEndingTimestamp: expect.any(Number),
      rawData: Buffer.from('{"device":"b","temp":"hot"}\n').toString('base64'),
      sequenceNumber: '0',
      subSequenceNumber: null,
      dataCatalogTable: { catalogId: null, databaseName: 'plant', tableName: 'telemetry', region: 'eu-west-1', versionId: 'LATEST', catalogArn: null },
    }]);
    expect(stream.stats).toMatchObject({ recordsIn: 3, recordsConversionFailed: 1, objectsWritten: 1, errorObjectsWritten: 1 });
  });
});
