/**
 * The doctor's check registry (cli/doctor/checks/index.ts): one file per check, the order the README documents,
 * and every check reading only the facts it declares.
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { healthyFacts, SCENARIOS, STOP_SCENARIOS } from './scenarios';
import { CHECK_IDS, DOCTOR_CHECKS } from '../../../cli/doctor/checks';
import type { DoctorFacts, FactName } from '../../../cli/doctor/facts';

const REPO = join(__dirname, '..', '..', '..');

/** The first column of the table in the README's "Troubleshooting" section. */
function readmeCheckIds(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Troubleshooting\n'), readme.indexOf('\n## ', readme.indexOf('\n## Troubleshooting\n') + 1));
  const rows = section.split('\n').filter((line) => line.startsWith('|')).slice(2); // header and separator
  return rows.map((row) => row.split('|')[1].trim().replace(/`/g, ''));
}

test('the README\'s Troubleshooting table lists every check, in the order doctor runs them', () => {
  // THEN
  expect(readmeCheckIds()).toEqual([...CHECK_IDS]);
});

test('every check is one file under cli/doctor/checks named by its id, and every file there is a listed check', () => {
  // WHEN
  const files = readdirSync(join(REPO, 'cli', 'doctor', 'checks')).filter((f) => f !== 'index.ts').map((f) => f.replace(/\.ts$/, ''));
  // THEN
  expect(files.sort()).toEqual([...CHECK_IDS].sort());
  expect(new Set(CHECK_IDS).size).toBe(CHECK_IDS.length);
  expect(CHECK_IDS[0]).toBe('stack');
});

/** The facts, recording which of them are read. */
function recording(facts: DoctorFacts, read: Set<FactName>): DoctorFacts {
  return new Proxy(facts, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key as FactName);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

describe('reads', () => {
  const allFacts: DoctorFacts[] = [healthyFacts(), ...SCENARIOS.map((s) => s.change(healthyFacts())), ...STOP_SCENARIOS.map((s) => s.facts)];

  test.each(DOCTOR_CHECKS.map((check) => [check.id, check] as const))('%s reads exactly the facts it declares (over all scenarios)', (_id, check) => {
    // GIVEN
    const read = new Set<FactName>();
    // WHEN
    for (const facts of allFacts) {
      if (check.id !== 'stack' && (!facts.stack || facts.pipelineProblem !== undefined)) continue; // not run without the pipeline
      check.evaluate(recording(facts, read));
    }
    // THEN
    expect([...read].sort()).toEqual([...new Set(check.reads)].sort());
  });
});
