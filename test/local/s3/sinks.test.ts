/** Object keys as paths under a bucket folder (pure). */
import { join } from 'path';
import { keyToPath } from '../../../local/s3/sinks';

describe('keys as folder paths', () => {
  test.each<[string, string]>([
    ['parsed/year=2026/a.json.gz', join('parsed', 'year=2026', 'a.json.gz')],
    ['../escape', join('%2E%2E', 'escape')],
    ['a/./b', join('a', '%2E', 'b')],
    ['a//b', join('a', '%2F', 'b')],
    ['dir/', join('dir', '_')],
    ['back\\slash', 'back%5Cslash'],
  ])('GIVEN the key %j WHEN mapped THEN %j, which stays inside the bucket folder', (key, path) => {
    expect(keyToPath(key)).toBe(path);
  });
});
