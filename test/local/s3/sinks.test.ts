/** Object keys as paths under a bucket folder (pure). */
import { join } from 'path';
import { checkStorableKey, keyToPath } from '../../../local/s3/sinks';

describe('keys as folder paths', () => {
  test.each<[string, string]>([
    ['parsed/year=2026/a.json.gz', join('parsed', 'year=2026', 'a.json.gz')],
    ['../escape', join('%2E%2E', 'escape')],
    ['a/./b', join('a', '%2E', 'b')],
    ['a//b', join('a', '%2F', 'b')],
    ['dir/', join('dir', '_')],
    ['back\\slash', 'back%5Cslash'],
    ['nul/a\u0000b', join('nul', 'a%00b')],
  ])('GIVEN the key %j WHEN mapped THEN %j, which stays inside the bucket folder', (key, path) => {
    expect(keyToPath(key)).toBe(path);
  });
});

describe('keys the bucket folder cannot hold', () => {
  test('GIVEN a segment of 256 bytes WHEN checked THEN an error naming the 255-byte limit; 255 bytes and 1,000 bytes over several segments pass', () => {
    expect(() => checkStorableKey(`a/${'é'.repeat(128)}`)).toThrow(/is 256 bytes; .* at most 255 bytes, so keep every part of the key between slashes within 255 bytes/);
    expect(() => checkStorableKey(`a/${'x'.repeat(255)}`)).not.toThrow();
    expect(() => checkStorableKey(`${'y'.repeat(250)}/`.repeat(4))).not.toThrow();
  });
});
