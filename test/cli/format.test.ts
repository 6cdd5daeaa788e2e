import * as fc from 'fast-check';
import { formatNumber } from '../../cli/format';

/** What formatNumber replaces: ICU's en-US formatting. */
const intl = (value: number, decimals: number) => value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });

test.each([
  [1234567.8, 0, '1,234,568'],
  [1234567.8, 2, '1,234,567.80'],
  [999.5, 0, '1,000'],
  [0.125, 2, '0.13'],
  [-1234.5, 1, '-1,234.5'],
  [-0.001, 0, '-0'],
  [0, 2, '0.00'],
  [378.9251, 2, '378.93'],
])('GIVEN %d with %d decimals THEN %s', (value, decimals, expected) => {
  expect(formatNumber(value, decimals)).toBe(expected);
  expect(intl(value, decimals)).toBe(expected);
});

test('GIVEN any number WHEN formatted THEN the text equals Intl en-US with the same decimals', () => {
  const values = fc.oneof(
    fc.double({ min: -1e15, max: 1e15, noNaN: true }),
    fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 1000),
    fc.constantFrom(-0, 0.5, 1.5, 2.5, 0.005, 1.005, 0.045, 1e-7, 123456789.125, 1e20),
  );
  const same = (value: number, decimals: number) => formatNumber(value, decimals) === intl(value, decimals);
  fc.assert(fc.property(values, fc.integer({ min: 0, max: 6 }), same), { numRuns: 20000 });
});
