import { healthyFacts, POLICY } from './scenarios';
import { evaluateFacts } from '../../../cli/doctor/evaluate';
import { buildReport, formatDoctorReport } from '../../../cli/doctor/report';

describe('the doctor report', () => {
  test('GIVEN one FAIL THEN the JSON shape has the findings and the summary counts', () => {
    // GIVEN
    const facts = { ...healthyFacts(), thingPrincipals: { ok: true as const, value: [] }, attachedPolicies: { ok: true as const, value: [POLICY] } };
    // WHEN
    const report = buildReport(facts, evaluateFacts(facts));
    // THEN
    expect(Object.keys(report)).toEqual(['stack', 'pipeline', 'region', 'thingName', 'topic', 'clientId', 'windowMinutes', 'findings', 'summary']);
    expect(report).toMatchObject({ stack: 'S', pipeline: 'Pipeline', region: 'eu-west-1', thingName: 'thing-1', topic: 't', clientId: 'thing-1', windowMinutes: 60 });
    expect(report.summary).toEqual({ pass: 15, warn: 0, fail: 2 });
    expect(Object.keys(report.findings[0])).toEqual(['id', 'status', 'title', 'detail']);
  });

  test('GIVEN findings THEN the text has the header, a table row per check, the fixes and the counts', () => {
    // GIVEN
    const facts = { ...healthyFacts(), thingPrincipals: { ok: true as const, value: [] } };
    // WHEN
    const lines = formatDoctorReport(buildReport(facts, evaluateFacts(facts))).split('\n');
    // THEN
    expect(lines[0]).toBe('doctor: stack S (eu-west-1), pipeline Pipeline, thing thing-1, topic t');
    expect(lines[2]).toMatch(/^Status\s+Check\s+Finding$/);
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^FAIL\s+certificate-thing\s+certificate a+ is not attached to thing thing-1: /),
      'What to do:',
      expect.stringMatching(/^ {2}FAIL certificate-thing: `aws iot attach-thing-principal --thing-name thing-1 --principal arn:aws:iot:/),
    ]));
    expect(lines.at(-1)).toBe('15 PASS, 0 WARN, 2 FAIL');
  });
});
