/**
 * The local query engine (DuckDB) over bucket folders laid out as the runner writes them, through the Glue tables of
 * a synthesized app: the construct's JSON Lines and Parquet tables (Hive-style hourly partitions with projection) and
 * a hand-written table over a non-Hive prefix with nested, decimal and timestamp columns.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { gzipSync } from 'zlib';
import { ConversionModel, loadModel } from '../../../local/assembly/model';
import { compileConversion } from '../../../local/firehose/conversion';
import { loadTableModels, QueryError, queryLocal, TableModel } from '../../../local/query';
import { listTableFiles, partitionReading } from '../../../local/query/views';
import { cleanup, tempDir } from '../helpers';
import { QUERY_STACKS, synthQueryFixture } from './fixture';

jest.setTimeout(60000);

let dir: string;
let app: string;
let tables: Map<string, TableModel>;
let s3Dir: string;

/** Writes an object into a bucket folder at `key`. */
function put(table: TableModel, key: string, body: Buffer | string): void {
  const path = join(s3Dir, table.bucket.folder, ...key.split('/'));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
}

const jsonLines = (rows: object[]) => gzipSync(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

const READINGS = [
  // hour 03: a, a, b
  [{ device: 'a', temp: 20, seq: 1 }, { device: 'a', temp: 22, seq: 2 }, { device: 'b', temp: 30.5, seq: 1 }],
  // hour 04: b, c (one key in another case, one field the table does not have)
  [{ device: 'b', temp: 31.5, seq: 2, extra: true }, { device: 'c', temp: -1, seq: 1 }],
];

beforeAll(() => {
  dir = tempDir('query-engine');
  app = synthQueryFixture(join(dir, 'cdk.out'));
  tables = loadTableModels({ app });
  s3Dir = join(dir, 'data', 's3');
  const json = tables.get('plant.telemetry')!;
  put(json, 'parsed/year=2025/month=01/day=02/hour=03/QueryJson-Pipeline-1-2025-01-02-03-00-00-x.gz', jsonLines(READINGS[0]));
  put(json, 'parsed/year=2025/month=01/day=02/hour=04/QueryJson-Pipeline-1-2025-01-02-04-00-00-y.gz', jsonLines(READINGS[1]));
  // not the table's: a temporary file being written, an error object, a raw object elsewhere in the bucket
  put(json, 'parsed/year=2025/month=01/day=02/hour=04/.abc123.tmp', 'not json at all');
  put(json, 'errors/processing-failed/year=2025/month=01/day=02/hour=04/f.gz', jsonLines([{ device: 'zzz', temp: 99, seq: 9 }]));
  put(json, 'parsed/stray-object-outside-partitions.gz', jsonLines([{ device: 'zzz', temp: 99, seq: 9 }]));

  // the same readings as Parquet, written by the runner's record format conversion
  const parquet = tables.get('plant_parquet.telemetry')!;
  const converter = compileConversion(conversionOf(parquet));
  READINGS.forEach((rows, i) => {
    const parsed = rows.flatMap((r) => converter.rows(Buffer.from(JSON.stringify(r))));
    put(parquet, `parsed/year=2025/month=01/day=02/hour=0${3 + i}/QueryParquet-ParquetPipeline-1-2025-01-02-0${3 + i}-00-00-${i}.parquet`, converter.write(parsed));
  });

  const custom = tables.get('custom_db.readings')!;
  put(custom, 'data/2024/03/part-1.json', [
    JSON.stringify({ id: 'r1', seen_at: 1718000000123, tags: ['x', 'y'], pos: { lat: 1.5, lon: -2.25 }, amount: 12.5 }),
    JSON.stringify({ id: 'r2', seen_at: '2024-03-05T06:07:08Z', tags: [], pos: null, amount: '0.10' }),
    JSON.stringify({ id: 'r3', seen_at: 1718000000, amount: null }),
  ].join('\n'));
});

afterAll(() => cleanup(dir));

function conversionOf(table: TableModel): ConversionModel {
  return {
    table,
    deserializer: { kind: 'openx', caseInsensitive: true, mappings: {}, dotsToUnderscores: false },
    compression: 'SNAPPY',
    dictionary: true,
    pageSizeBytes: 1024 * 1024,
    catalog: { databaseName: table.database, tableName: table.name, region: 'eu-west-1', versionId: 'LATEST' },
  };
}

const q = (sql: string) => queryLocal(sql, { tables, s3Dir });

describe('the tables of an assembly', () => {
  test('GIVEN the fixture app THEN each Glue table is read with its columns, format, bucket and partition layout', () => {
    // THEN
    expect([...tables.keys()].sort()).toEqual(['custom_db.readings', 'plant.telemetry', 'plant_parquet.telemetry']);
    const json = tables.get('plant.telemetry')!;
    expect(json).toMatchObject({
      database: 'plant',
      name: 'telemetry',
      stack: QUERY_STACKS.json,
      columns: [{ name: 'device', type: 'string' }, { name: 'temp', type: 'double' }, { name: 'seq', type: 'bigint' }],
      partitionKeys: [{ name: 'year', type: 'int' }, { name: 'month', type: 'int' }, { name: 'day', type: 'int' }, { name: 'hour', type: 'int' }],
      storage: { format: 'json', caseInsensitive: true },
      layout: { prefix: 'parsed/', template: 'parsed/year=${year}/month=${month}/day=${day}/hour=${hour}/', projected: true },
    });
    expect(json.bucket.folder).toMatch(/^PipelineStorageParsedBucket/);
    expect(tables.get('plant_parquet.telemetry')!.storage.format).toBe('parquet');
    expect(tables.get('custom_db.readings')!.layout).toEqual({ prefix: 'data/', template: 'data/${year}/${month}/', projected: true });
  });

  test('GIVEN a Hive-style template THEN DuckDB reads the partitions as Hive partitions; GIVEN another template THEN a regular expression over the file name', () => {
    // THEN
    expect(partitionReading(tables.get('plant.telemetry')!, '/x/Bucket')).toEqual({ kind: 'hive' });
    expect(partitionReading(tables.get('custom_db.readings')!, '/x/Bucket')).toEqual({
      kind: 'regexp', pattern: '^/x/Bucket/data/([^/]+)/([^/]+)/', groups: { year: 1, month: 2 },
    });
  });

  test('GIVEN objects in and around the table THEN only those under its partition folders are its files (no temporary file, error or stray object)', () => {
    // WHEN
    const table = tables.get('plant.telemetry')!;
    const files = listTableFiles(table, join(s3Dir, table.bucket.folder)).map((f) => f.slice(join(s3Dir, table.bucket.folder).length + 1));
    // THEN
    expect(files).toEqual([
      'parsed/year=2025/month=01/day=02/hour=03/QueryJson-Pipeline-1-2025-01-02-03-00-00-x.gz',
      'parsed/year=2025/month=01/day=02/hour=04/QueryJson-Pipeline-1-2025-01-02-04-00-00-y.gz',
    ]);
  });
});

describe('record format conversion in the model', () => {
  test('GIVEN the Parquet pipeline THEN its stream converts with the table\'s schema, OpenX keys and SNAPPY, writing .parquet objects uncompressed', () => {
    // WHEN
    const model = loadModel({ app, stack: QUERY_STACKS.parquet });
    // THEN
    const [stream] = [...model.streams.values()];
    expect(stream.conversion).toMatchObject({
      table: { qualifiedName: 'plant_parquet.telemetry', columns: [{ name: 'device' }, { name: 'temp' }, { name: 'seq' }] },
      deserializer: { kind: 'openx', caseInsensitive: true, dotsToUnderscores: false },
      compression: 'SNAPPY',
      catalog: { databaseName: 'plant_parquet', tableName: 'telemetry', versionId: 'LATEST' },
    });
    expect(stream.destination).toMatchObject({ compression: 'UNCOMPRESSED', extension: '.parquet' });
    expect(model.tables?.get('plant_parquet.telemetry')).toBe(stream.conversion!.table);
  });

  test('GIVEN the JSON pipeline THEN no conversion', () => {
    const model = loadModel({ app, stack: QUERY_STACKS.json });
    expect([...model.streams.values()][0].conversion).toBeUndefined();
  });
});

describe('queries', () => {
  const PER_DEVICE = [
    { device: 'a', n: 2, t: 21 },
    { device: 'b', n: 2, t: 31 },
    { device: 'c', n: 1, t: -1 },
  ];

  test.each(['plant.telemetry', 'plant_parquet.telemetry', 'awsdatacatalog.plant.telemetry'])(
    'GIVEN %s THEN counts and averages per device are right', async (table) => {
      // WHEN
      const result = await q(`SELECT device, count(*) AS n, avg(temp) AS t FROM ${table} GROUP BY device ORDER BY device`);
      // THEN
      expect(result.columns).toEqual([{ name: 'device', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }, { name: 't', type: 'DOUBLE' }]);
      expect(result.rows).toEqual(PER_DEVICE.map((r) => [r.device, r.n, r.t]));
    });

  test('GIVEN the partition keys THEN they are integer columns after the data columns, and filter by hour', async () => {
    // WHEN
    const all = await q('SELECT * FROM plant.telemetry WHERE hour = 4 ORDER BY device');
    // THEN
    expect(all.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['device VARCHAR', 'temp DOUBLE', 'seq BIGINT', 'year INTEGER', 'month INTEGER', 'day INTEGER', 'hour INTEGER']);
    expect(all.rows).toEqual([['b', 31.5, 2, 2025, 1, 2, 4], ['c', -1, 1, 2025, 1, 2, 4]]);
  });

  test('GIVEN a non-Hive template and nested, decimal and timestamp columns THEN values and partition keys are read as Athena types them', async () => {
    // WHEN
    const result = await q('SELECT id, seen_at, tags, pos, amount, year, month FROM custom_db.readings ORDER BY id');
    // THEN
    expect(result.columns.map((c) => c.type)).toEqual(['VARCHAR', 'TIMESTAMP', 'VARCHAR[]', 'STRUCT("lat" DOUBLE, "lon" DOUBLE)', 'DECIMAL(10,2)', 'INTEGER', 'INTEGER']);
    expect(result.rows).toEqual([
      ['r1', '2024-06-10 06:13:20.123', ['x', 'y'], { lat: 1.5, lon: -2.25 }, 12.5, 2024, 3],
      ['r2', '2024-03-05 06:07:08', [], null, 0.1, 2024, 3],
      ['r3', '2024-06-10 06:13:20', null, null, null, 2024, 3],
    ]);
  });

  test('GIVEN the tables share no database THEN unqualified names fail; GIVEN --database THEN they resolve', async () => {
    // WHEN / THEN
    await expect(q('SELECT count(*) FROM telemetry')).rejects.toThrow(QueryError);
    const result = await queryLocal('SELECT count(*) AS n FROM telemetry', { tables, s3Dir, database: 'plant' });
    expect(result.rows).toEqual([[5]]);
  });

  test('GIVEN Athena SQL the engine takes on (integer division, from_unixtime, regexp_like, approx_distinct, json_extract_scalar) THEN Athena\'s answers', async () => {
    // WHEN
    const result = await q(`SELECT 7 / 2 AS quotient, 7.0 / 2 AS ratio, from_unixtime(1700000000.5) AS at, regexp_like('dev-a', '^dev-') AS matched,
      approx_distinct(device) AS devices, json_extract_scalar('{"a": {"b": 7}}', '$.a.b') AS b FROM plant.telemetry`);
    // THEN
    expect(result.rows).toEqual([[3, 3.5, '2023-11-14 22:13:20.5', true, 3, '7']]);
  });

  test('GIVEN a table without objects THEN an empty result with its columns', async () => {
    // WHEN
    const result = await queryLocal('SELECT * FROM plant.telemetry', { tables, s3Dir: join(dir, 'empty', 's3') });
    // THEN
    expect(result.rows).toEqual([]);
    expect(result.columns.map((c) => c.name)).toEqual(['device', 'temp', 'seq', 'year', 'month', 'day', 'hour']);
  });

  test.each([
    ['SELECT nope FROM plant.telemetry', /Binder Error: Referenced column "nope" not found/],
    ['SELECT * FROM plant.nothing', /Catalog Error: Table with name nothing does not exist/],
    ['SELEC 1', /Parser Error: syntax error at or near "SELEC"/],
    ['SELECT 1; SELECT 2', /give one SQL statement \(as Athena runs one per query\); this text has 2/],
  ])('GIVEN %j THEN QueryError with the engine\'s message', async (sql, message) => {
    // WHEN
    const failed = await q(sql).catch((e: unknown) => e);
    // THEN
    expect(failed).toBeInstanceOf(QueryError);
    expect((failed as Error).message).toMatch(message);
  });
});
