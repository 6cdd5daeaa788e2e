/**
 * The local replay's listing of a bucket folder: keys under a prefix, only the folders on the prefix's path walked,
 * temp files of a write in progress left out.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { listKeys } from '../../../local/replay/engine';
import { cleanup, tempDir } from '../helpers';

describe('listKeys', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('replay-list');
    const put = (key: string) => {
      mkdirSync(join(dir, ...key.split('/').slice(0, -1)), { recursive: true });
      writeFileSync(join(dir, ...key.split('/')), 'x');
    };
    put('errors/processing-failed/year=2026/month=03/a-1-2026-03-04-05-00-00-x.gz');
    put('errors/processing-failed/year=2026/month=04/b-1-2026-04-01-00-00-00-x.gz');
    put('errors/processing-failed/year=2026/month=03/.0a1b2c.tmp');
    put('errors/format-conversion-failed/year=2026/month=03/c-1-2026-03-04-05-00-00-x.gz');
    put('parsed/year=2026/month=03/d-1-2026-03-04-05-00-00-x.gz');
  });
  afterAll(() => cleanup(dir));

  test('GIVEN a prefix that ends inside a folder name THEN only keys starting with it are listed, sorted, without temp files', async () => {
    expect(await listKeys(dir, 'errors/processing-failed/year=2026/month=0')).toEqual([
      'errors/processing-failed/year=2026/month=03/a-1-2026-03-04-05-00-00-x.gz',
      'errors/processing-failed/year=2026/month=04/b-1-2026-04-01-00-00-00-x.gz',
    ]);
  });

  test('GIVEN a prefix no folder has THEN nothing is listed', async () => {
    expect(await listKeys(dir, 'errors/replay-failed/')).toEqual([]);
    expect(await listKeys(join(dir, 'missing'), '')).toEqual([]);
  });

  test('GIVEN the empty prefix THEN every object of the bucket is listed', async () => {
    expect(await listKeys(dir, '')).toHaveLength(4);
  });
});
