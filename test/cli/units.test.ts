import { UsageError } from '../../cli/errors';
import { parseDuration, parseNumber, parseSize } from '../../cli/units';

describe('units', () => {
  test.each([
    ['10s', 10_000], ['10', 10_000], ['500ms', 500], ['5m', 300_000], ['5min', 300_000], ['1h', 3_600_000], ['1d', 86_400_000], ['1.5s', 1500],
  ])('parseDuration(%j) = %s ms', (text, milliseconds) => {
    expect(parseDuration(text, '--interval')).toBe(milliseconds);
  });

  test.each([
    ['0s', '--interval "0s" must be greater than zero.'],
    ['-1s', '--interval "-1s" is not a duration; write e.g. 10s, 500ms, 5m, 1h (a bare number is seconds).'],
    ['ten', '--interval "ten" is not a duration'],
    ['10 parsecs', '--interval "10 parsecs" is not a duration'],
  ])('parseDuration(%j) is a usage error that names the option: %j', (text, message) => {
    expect(() => parseDuration(text, '--interval')).toThrow(UsageError);
    expect(() => parseDuration(text, '--interval')).toThrow(message);
  });

  test.each([
    ['300B', 300], ['300', 300], ['1KB', 1000], ['1KiB', 1024], ['1.5kb', 1500], ['2MB', 2_000_000], ['1MiB', 1_048_576], ['0.5B', 1],
  ])('parseSize(%j) = %s bytes', (text, bytes) => {
    expect(parseSize(text, '--payload')).toBe(bytes);
  });

  test.each([['0B'], ['big'], ['1GB']])('parseSize(%j) is a usage error', (text) => {
    expect(() => parseSize(text, '--payload')).toThrow(UsageError);
  });

  test('parseNumber checks integers and bounds', () => {
    expect(parseNumber('3', '--n', 1, 5, true)).toBe(3);
    expect(() => parseNumber('3.5', '--n', 1, 5, true)).toThrow('is not an integer');
    expect(() => parseNumber('9', '--n', 1, 5)).toThrow('must be between 1 and 5');
    expect(() => parseNumber('', '--n', 1, 5)).toThrow('is not a number');
  });
});
