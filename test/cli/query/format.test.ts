import { formatResult, rowObjects } from '../../../cli/query/format';
import type { QueryResult } from '../../../local/query/result';
import { cellValue } from '../../../local/query/result';

const RESULT: QueryResult = {
  columns: [{ name: 'device', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }, { name: 't', type: 'DOUBLE' }],
  rows: [['a', 2, 21], ['bb', 12, 30.25], ['c, "quoted"', 1, null]],
};

test('GIVEN a result THEN the default output is an aligned table, numbers right-aligned, NULL shown, with the row count', () => {
  expect(formatResult(RESULT, 'table')).toBe([
    'device        n      t',
    '-----------  --  -----',
    'a             2     21',
    'bb           12  30.25',
    'c, "quoted"   1   NULL',
    '(3 rows)',
    '',
  ].join('\n'));
});

test('GIVEN --json THEN one JSON array of row objects', () => {
  expect(JSON.parse(formatResult(RESULT, 'json'))).toEqual([
    { device: 'a', n: 2, t: 21 },
    { device: 'bb', n: 12, t: 30.25 },
    { device: 'c, "quoted"', n: 1, t: null },
  ]);
});

test('GIVEN --csv THEN RFC 4180: a header row, quoted fields where needed, empty for NULL, CRLF', () => {
  expect(formatResult(RESULT, 'csv')).toBe('device,n,t\r\na,2,21\r\nbb,12,30.25\r\n"c, ""quoted""",1,\r\n');
});

test('GIVEN nested values THEN JSON keeps them, the table and CSV print them as JSON', () => {
  const nested: QueryResult = { columns: [{ name: 'tags', type: 'VARCHAR[]' }], rows: [[['x', 'y']]] };
  expect(JSON.parse(formatResult(nested, 'json'))).toEqual([{ tags: ['x', 'y'] }]);
  expect(formatResult(nested, 'csv')).toBe('tags\r\n"[""x"",""y""]"\r\n');
  expect(formatResult(nested, 'table')).toContain('["x","y"]');
});

test('GIVEN two columns with one name THEN the JSON objects keep both', () => {
  expect(rowObjects({ columns: [{ name: 'n', type: 'INTEGER' }, { name: 'n', type: 'INTEGER' }], rows: [[1, 2]] })).toEqual([{ n: 1, n_2: 2 }]);
});

test.each([
  ['bigint', '42', 42],
  ['bigint', '9223372036854775807', '9223372036854775807'],
  ['double', '1.5', 1.5],
  ['double', 'NaN', 'NaN'],
  ['decimal(10,2)', '12.50', 12.5],
  ['decimal(38,20)', '0.10000000000000000555', '0.10000000000000000555'],
  ['boolean', 'true', true],
  ['varchar', '007', '007'],
  ['timestamp', '2025-01-02 03:04:05.000', '2025-01-02 03:04:05.000'],
  ['integer', undefined, null],
])('GIVEN a %s cell %j THEN the JSON value %j', (type, text, value) => {
  expect(cellValue(type, text)).toEqual(value);
});
