/**
 * The conformance table in local/README.md is generated from the code (local/conformance.ts): this test fails when
 * the README and the code disagree, when a supported row names no test, or when the test it names does not exist.
 * `UPDATE_CONFORMANCE=1 npx jest test/local/conformance.test.ts` rewrites the README section (pure: files only).
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { conformanceSections, renderConformance } from '../../local/conformance';
import { EXTERNAL_FUNCTIONS, SUPPORTED_FUNCTIONS } from '../../local/iot/sql';

const REPO = join(__dirname, '..', '..');
const README = join(REPO, 'local', 'README.md');
const BEGIN = '<!-- conformance:begin -->';
const END = '<!-- conformance:end -->';

describe('the conformance table', () => {
  test('GIVEN local/README.md WHEN compared with the table generated from the code THEN they are the same', () => {
    const readme = readFileSync(README, 'utf8');
    const begin = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect({ begin: begin >= 0, end: end > begin }).toEqual({ begin: true, end: true });
    const expected = `${BEGIN}\n${renderConformance()}\n${END}`;
    const actual = readme.slice(begin, end + END.length);
    if (actual !== expected && process.env.UPDATE_CONFORMANCE === '1') {
      writeFileSync(README, readme.slice(0, begin) + expected + readme.slice(end + END.length));
      return;
    }
    // when this fails: run `UPDATE_CONFORMANCE=1 npx jest test/local/conformance.test.ts` and review the diff
    expect(actual).toBe(expected);
  });

  test('GIVEN every supported row WHEN its test is looked up THEN the file exists and holds the named test (or example)', () => {
    const missing: string[] = [];
    for (const section of conformanceSections()) {
      for (const row of section.rows) {
        if (row.status !== 'supported') continue;
        if (!row.test) {
          missing.push(`${section.title}: ${row.feature} names no test`);
          continue;
        }
        const path = join(REPO, row.test.file);
        if (!existsSync(path)) {
          missing.push(`${section.title}: ${row.feature}: ${row.test.file} does not exist`);
          continue;
        }
        if (!readFileSync(path, 'utf8').toLowerCase().includes(row.test.title.toLowerCase())) {
          missing.push(`${section.title}: ${row.feature}: "${row.test.title}" is not in ${row.test.file}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  test('GIVEN the SQL function rows WHEN counted THEN one per function the runner evaluates and one per function it refuses', () => {
    const rows = conformanceSections()[0].rows;
    const names = (status: string) => rows.filter((r) => r.status === status).map((r) => /`([a-z0-9_]+)`/.exec(r.feature)![1]).sort();
    expect(names('supported')).toEqual([...SUPPORTED_FUNCTIONS].sort());
    expect(names('not supported')).toEqual([...EXTERNAL_FUNCTIONS.keys()].sort());
  });
});
