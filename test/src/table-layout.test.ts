import * as fc from 'fast-check';
import { compilePrefix, DEFAULT_DATA_OUTPUT_PREFIX, partitionedDataOutputPrefix } from '../../src/contract';
import { deriveTableLayout, partitionValuesOf, projectionParameters, snakeCase, TableLayoutError } from '../../src/private/table-layout';

function error(prefix: string, options = {}): TableLayoutError {
  try {
    deriveTableLayout(prefix, options);
  } catch (e) {
    expect(e).toBeInstanceOf(TableLayoutError);
    return e as TableLayoutError;
  }
  throw new Error(`"${prefix}" was projected`);
}

describe('deriveTableLayout: partitions from the data output prefix', () => {
  test('GIVEN the default Hive-style prefix WHEN derived THEN year/month/day/hour are int keys with integer projection, padded like Firehose writes them', () => {
    const layout = deriveTableLayout(DEFAULT_DATA_OUTPUT_PREFIX);
    expect(layout.location).toBe('parsed/');
    expect(layout.locationTemplate).toBe('parsed/year=${year}/month=${month}/day=${day}/hour=${hour}/');
    expect(layout.partitionKeys).toEqual([
      { name: 'year', type: 'int', projection: { type: 'integer', range: [2025, 2034] }, source: { kind: 'timestamp', pattern: 'yyyy' } },
      { name: 'month', type: 'int', projection: { type: 'integer', range: [1, 12], digits: 2 }, source: { kind: 'timestamp', pattern: 'MM' } },
      { name: 'day', type: 'int', projection: { type: 'integer', range: [1, 31], digits: 2 }, source: { kind: 'timestamp', pattern: 'dd' } },
      { name: 'hour', type: 'int', projection: { type: 'integer', range: [0, 23], digits: 2 }, source: { kind: 'timestamp', pattern: 'HH' } },
    ]);
    expect(projectionParameters(layout, 's3://bucket/')).toEqual({
      'projection.enabled': 'true',
      'projection.year.type': 'integer',
      'projection.year.range': '2025,2034',
      'projection.month.type': 'integer',
      'projection.month.range': '1,12',
      'projection.month.digits': '2',
      'projection.day.type': 'integer',
      'projection.day.range': '1,31',
      'projection.day.digits': '2',
      'projection.hour.type': 'integer',
      'projection.hour.range': '0,23',
      'projection.hour.digits': '2',
      'storage.location.template': 's3://bucket/parsed/year=${year}/month=${month}/day=${day}/hour=${hour}/',
    });
  });

  test('GIVEN other years WHEN derived THEN the year key projects them', () => {
    const layout = deriveTableLayout(DEFAULT_DATA_OUTPUT_PREFIX, { firstYear: 2019, lastYear: 2040 });
    expect(layout.partitionKeys[0].projection).toEqual({ type: 'integer', range: [2019, 2040] });
    expect(deriveTableLayout(DEFAULT_DATA_OUTPUT_PREFIX, { firstYear: 2030 }).partitionKeys[0].projection).toEqual({ type: 'integer', range: [2030, 2039] });
  });

  test('GIVEN a prefix without a timestamp WHEN derived THEN the folders Firehose appends (yyyy/MM/dd/HH) become year/month/day/hour', () => {
    const layout = deriveTableLayout('telemetry/');
    expect(layout.location).toBe('telemetry/');
    expect(layout.locationTemplate).toBe('telemetry/${year}/${month}/${day}/${hour}/');
    expect(layout.partitionKeys.map((k) => k.name)).toEqual(['year', 'month', 'day', 'hour']);
  });

  test('GIVEN one timestamp pattern spanning folders WHEN derived THEN each folder is its own key', () => {
    const layout = deriveTableLayout('line-1/!{timestamp:yyyy/MM/dd}/');
    expect(layout.locationTemplate).toBe('line-1/${year}/${month}/${day}/');
    expect(layout.partitionKeys.map((k) => [k.name, k.type])).toEqual([['year', 'int'], ['month', 'int'], ['day', 'int']]);
  });

  test('GIVEN several fields in one folder WHEN derived THEN one string key with date projection from the first year to NOW', () => {
    const hive = deriveTableLayout('logs/dt=!{timestamp:yyyy-MM-dd}/');
    expect(hive.locationTemplate).toBe('logs/dt=${dt}/');
    expect(hive.partitionKeys).toEqual([{
      name: 'dt',
      type: 'string',
      source: { kind: 'timestamp', pattern: 'yyyy-MM-dd' },
      projection: { type: 'date', format: 'yyyy-MM-dd', range: ['2025-01-01', 'NOW'], interval: 1, unit: 'DAYS' },
    }]);
    expect(projectionParameters(hive, 's3://b/')).toMatchObject({
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2025-01-01,NOW',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
    });
    const hourly = deriveTableLayout('data/hour=!{timestamp:yyyyMMdd}T!{timestamp:HH}/');
    expect(hourly.partitionKeys[0].projection).toEqual({ type: 'date', format: 'yyyyMMdd\'T\'HH', range: ['20250101T00', 'NOW'], interval: 1, unit: 'HOURS' });
    expect(deriveTableLayout('!{timestamp:yyyy-MM}/').partitionKeys[0]).toMatchObject({ name: 'dt', projection: { unit: 'MONTHS', range: ['2025-01', 'NOW'] } });
  });

  test('GIVEN a Hive name quoted inside the timestamp pattern WHEN derived THEN it names the key', () => {
    const layout = deriveTableLayout('!{timestamp:\'yr=\'yyyy}/!{timestamp:\'mo=\'MM}/');
    expect(layout.location).toBe('');
    expect(layout.locationTemplate).toBe('yr=${yr}/mo=${mo}/');
    expect(layout.partitionKeys.map((k) => k.name)).toEqual(['yr', 'mo']);
  });

  test('GIVEN fixed text around a single field WHEN derived THEN the text stays in the template and the key is an integer', () => {
    const layout = deriveTableLayout('parsed/y!{timestamp:yyyy}/d!{timestamp:DDD}-x/');
    expect(layout.locationTemplate).toBe('parsed/y${year}/d${day_of_year}-x/');
    expect(layout.partitionKeys[1].projection).toEqual({ type: 'integer', range: [1, 366], digits: 3 });
  });

  test('GIVEN a two-digit year WHEN derived THEN it projects two-digit years', () => {
    expect(deriveTableLayout('!{timestamp:yy}/').partitionKeys[0].projection).toEqual({ type: 'integer', range: [25, 34], digits: 2 });
  });

  test('GIVEN dynamic-partitioning keys WHEN derived THEN they are string keys, injected unless their values are given', () => {
    const prefix = partitionedDataOutputPrefix(['device', 'site']);
    const layout = deriveTableLayout(prefix, { dynamicPartitioning: true, partitionKeyValues: { site: ['a', 'b'] } });
    expect(layout.locationTemplate).toBe('parsed/device=${device}/site=${site}/year=${year}/month=${month}/day=${day}/hour=${hour}/');
    expect(layout.partitionKeys.slice(0, 2)).toEqual([
      { name: 'device', type: 'string', projection: { type: 'injected' }, source: { kind: 'partitionKey', key: 'device' } },
      { name: 'site', type: 'string', projection: { type: 'enum', values: ['a', 'b'] }, source: { kind: 'partitionKey', key: 'site' } },
    ]);
    expect(projectionParameters(layout, 's3://b/')).toMatchObject({ 'projection.device.type': 'injected', 'projection.site.type': 'enum', 'projection.site.values': 'a,b' });
  });

  test('GIVEN a dynamic key without a Hive name WHEN derived THEN the key name names the column; dynamic partitioning appends no timestamp', () => {
    const layout = deriveTableLayout('by-device/!{partitionKeyFromLambda:device}/', { dynamicPartitioning: true });
    expect(layout.locationTemplate).toBe('by-device/${device}/');
    expect(layout.partitionKeys.map((k) => k.name)).toEqual(['device']);
  });

  test('GIVEN a random string in the object names WHEN derived THEN it is allowed (only folders are projected)', () => {
    expect(deriveTableLayout('parsed/!{timestamp:yyyy}/!{firehose:random-string}-').locationTemplate).toBe('parsed/${year}/');
  });

  test.each([
    ['parsed/!{firehose:random-string}/!{timestamp:yyyy}/', /random-string.*cannot enumerate/],
    ['parsed/!{timestamp:yyyy}', /part of the object names.*end the prefix with "\/"/],
    ['parsed/!{timestamp:yyyy}/!{timestamp:MMM}/', /MMM.*not a number/],
    ['parsed/!{timestamp:yyyy}/!{timestamp:HH:mm:ss.SSS}/', /uses "S", which partition projection cannot enumerate/],
    ['parsed/!{timestamp:yyyy}/!{timestamp:EEE}/', /not a number/],
    ['parsed/!{timestamp:yyyy}/!{timestamp:yyyy}/', /gives the partition key "year" twice/],
    ['parsed/Year=!{timestamp:yyyy}/', /"Year", which is not a valid column name.*"year=!\{timestamp:yyyy\}"/],
    ['parsed/!{timestamp:\'a-b=\'yyyy}/', /"a-b", which is not a valid column name/],
  ])('GIVEN %s WHEN derived THEN it cannot be projected and the message says why', (prefix, message) => {
    const e = error(prefix);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`"${prefix}"`);
    expect(e.subject).toBe('prefix');
  });

  test.each([
    ['p/!{partitionKeyFromLambda:a}-!{partitionKeyFromLambda:b}/', /holds 2 partition keys.*a=!\{partitionKeyFromLambda:a\}\/b=!\{partitionKeyFromLambda:b\}\//],
    ['p/!{partitionKeyFromLambda:a}!{timestamp:yyyy}/', /mixes a timestamp with !\{partitionKeyFromLambda:a\}/],
    ['p/!{partitionKeyFromLambda:Device-Id}/', /"Device-Id", which is not a valid column name.*name it in Hive style.*"device_id=!\{partitionKeyFromLambda:Device-Id\}"/],
  ])('GIVEN dynamic keys in %s WHEN derived THEN it cannot be projected', (prefix, message) => {
    expect(error(prefix, { dynamicPartitioning: true }).message).toMatch(message);
  });

  test('GIVEN bad years or partition values WHEN derived THEN the error names what to change', () => {
    expect(error(DEFAULT_DATA_OUTPUT_PREFIX, { firstYear: 2030, lastYear: 2029 }).subject).toBe('years');
    expect(error(DEFAULT_DATA_OUTPUT_PREFIX, { firstYear: 2025.5 }).subject).toBe('years');
    expect(error('!{timestamp:yy}/', { firstYear: 2095, lastYear: 2105 }).message).toMatch(/two-digit year.*wraps/);
    const unknown = error(DEFAULT_DATA_OUTPUT_PREFIX, { partitionKeyValues: { year: ['2025'] } });
    expect(unknown.subject).toBe('partitionKeyValues');
    expect(unknown.message).toMatch(/"year", which is not a dynamic-partitioning key.*keys are none/);
    const p = partitionedDataOutputPrefix(['device']);
    expect(error(p, { dynamicPartitioning: true, partitionKeyValues: { device: ['a,b'] } }).message).toMatch(/no "," or "\/"/);
    expect(error(p, { dynamicPartitioning: true, partitionKeyValues: { device: [] } }).message).toMatch(/are empty/);
    expect(error(p, { dynamicPartitioning: true, partitionKeyValues: { device: ['a', 'a'] } }).message).toMatch(/given twice/);
  });

  test('GIVEN any instant in the projected years WHEN Firehose renders the default prefix THEN the template reads back values inside the projection', () => {
    const layout = deriveTableLayout(DEFAULT_DATA_OUTPUT_PREFIX);
    const prefix = compilePrefix(DEFAULT_DATA_OUTPUT_PREFIX);
    fc.assert(fc.property(fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2035, 0, 1) - 1 }), (timestamp) => {
      const values = partitionValuesOf(layout.locationTemplate, `${prefix.render({ timestamp })}object-1.json.gz`)!;
      const d = new Date(timestamp);
      expect(values).toEqual({
        year: String(d.getUTCFullYear()),
        month: String(d.getUTCMonth() + 1).padStart(2, '0'),
        day: String(d.getUTCDate()).padStart(2, '0'),
        hour: String(d.getUTCHours()).padStart(2, '0'),
      });
      for (const key of layout.partitionKeys) {
        const p = key.projection;
        if (p.type !== 'integer') throw new Error('integer projection expected');
        const v = values[key.name];
        expect(Number(v)).toBeGreaterThanOrEqual(p.range[0]);
        expect(Number(v)).toBeLessThanOrEqual(p.range[1]);
        if (p.digits) expect(v).toHaveLength(p.digits);
      }
    }), { numRuns: 200 });
  });

  test('GIVEN a key outside the template WHEN read THEN there are no partition values', () => {
    expect(partitionValuesOf('parsed/year=${year}/', 'raw/year=2026/x')).toBeUndefined();
    expect(partitionValuesOf('a.b/${x}/', 'aXb/1/')).toBeUndefined();
    expect(partitionValuesOf('a.b/${x}/', 'a.b/1/o')).toEqual({ x: '1' });
  });
});

describe('snakeCase', () => {
  test.each([
    ['IotTelemetryExample', 'iot_telemetry_example'],
    ['TwoCustomersExample', 'two_customers_example'],
    ['my-stack-dev', 'my_stack_dev'],
    ['HTTPServerStack', 'http_server_stack'],
    ['Pipeline', 'pipeline'],
    ['Stage-Site/A', 'stage_site_a'],
    ['--', ''],
  ])('%s → %s', (text, name) => {
    expect(snakeCase(text)).toBe(name);
  });
});
