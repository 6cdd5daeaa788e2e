/**
 * The doctor's checks over the facts (pure): every check in the registry, through the scenarios in ./scenarios.ts.
 */
import { healthyFacts, SCENARIOS, STOP_SCENARIOS } from './scenarios';
import { CHECK_IDS } from '../../../cli/doctor/checks';
import { evaluateFacts, Finding } from '../../../cli/doctor/evaluate';
import type { DoctorFacts } from '../../../cli/doctor/facts';

const statusOf = (findings: Finding[]) => Object.fromEntries(findings.map((f) => [f.id, f.status]));
const allPass = () => Object.fromEntries(CHECK_IDS.map((id) => [id, 'PASS']));

describe('evaluateFacts', () => {
  test('GIVEN healthy facts THEN every check passes, in the registry\'s order, without fixes', () => {
    // WHEN
    const findings = evaluateFacts(healthyFacts());
    // THEN
    expect(findings.map((f) => f.id)).toEqual([...CHECK_IDS]);
    expect(statusOf(findings)).toEqual(allPass());
    expect(findings.filter((f) => f.fix !== undefined)).toEqual([]);
  });

  test.each(SCENARIOS.map((s) => [s.name, s] as const))('GIVEN %s THEN the findings are as expected', (_name, scenario) => {
    // WHEN
    const findings = evaluateFacts(scenario.change(healthyFacts()));
    // THEN
    expect(statusOf(findings)).toEqual({ ...allPass(), ...scenario.expected });
    const [id, field, text] = scenario.says;
    expect(findings.find((f) => f.id === id)?.[field]).toContain(text);
    for (const f of findings) expect(f.fix === undefined).toBe(f.status === 'PASS');
  });

  test('every check has a scenario in which it does not pass', () => {
    // WHEN
    const covered = new Set(SCENARIOS.flatMap((s) => Object.keys(s.expected)));
    // THEN
    expect(CHECK_IDS.filter((id) => !covered.has(id))).toEqual([]);
  });

  test.each(STOP_SCENARIOS.map((s) => [s.name, s] as const))('GIVEN %s THEN only the stack finding, a FAIL', (_name, scenario) => {
    // WHEN
    const findings = evaluateFacts(scenario.facts);
    // THEN
    expect(findings).toEqual([{ id: 'stack', status: 'FAIL', title: 'Stack', detail: scenario.detail, fix: expect.any(String) }]);
  });

  test('GIVEN no certificate THEN the policy checks evaluate the stack\'s policy alone and say so', () => {
    // GIVEN
    const facts: DoctorFacts = { ...healthyFacts(), certificate: undefined, certificateProblem: 'none', attachedPolicies: undefined };
    // WHEN
    const publish = evaluateFacts(facts).find((f) => f.id === 'policy-publish');
    // THEN
    expect(publish?.status).toBe('PASS');
    expect(publish?.detail).toContain('allowed by DevicePolicy statement 1 (evaluated policy DevicePolicy alone (not known to be attached; certificate assumed attached to the thing))');
  });

  test('GIVEN the client id and topic THEN the policy findings\' titles name them', () => {
    // WHEN
    const findings = evaluateFacts(healthyFacts());
    // THEN
    expect(findings.find((f) => f.id === 'policy-connect')?.title).toBe('Policy allows iot:Connect as thing-1');
    expect(findings.find((f) => f.id === 'policy-publish')?.title).toBe('Policy allows iot:Publish to t/thing-1');
  });
});
