/** The local doctor's own checks (cli/doctor/local-checks/), pure over the facts. */
import type { DoctorFacts, LocalFacts } from '../../../cli/doctor/facts';
import { LOCAL_CHECKS } from '../../../cli/doctor/local-checks';
import { localCertificateCheck } from '../../../cli/doctor/local-checks/local-certificate';
import { localProcessingCheck } from '../../../cli/doctor/local-checks/local-processing';

const ID = 'ab'.repeat(32);

function facts(local: Partial<LocalFacts>): DoctorFacts {
  return {
    stackName: 'S',
    windowMinutes: 0,
    now: new Date(0),
    thingName: 'thing-1',
    local: { dataDir: '/d', certificates: [], processingFailed: { bucketDir: '/d/s3/Parsed', count: 0 }, ...local },
  };
}

describe('local-certificate', () => {
  test.each([
    [[], 'FAIL', /issued no certificate for thing thing-1/, /local certs --thing thing-1 --out certs --data-dir \/d/],
    [[{ id: ID, status: 'INACTIVE', issuedAt: 't' }], 'FAIL', /newest abababababab… is INACTIVE/, /local certs status --id abababababab --status ACTIVE/],
    [[{ id: ID, status: 'REVOKED', issuedAt: 't' }], 'FAIL', /is REVOKED/, /issue a new one/],
    [[{ id: ID, status: 'REVOKED', issuedAt: 't' }, { id: 'cd'.repeat(32), status: 'ACTIVE', issuedAt: 'u' }], 'PASS', /1 ACTIVE certificate\(s\) for thing thing-1, newest cdcdcdcdcdcd/, undefined],
  ] as const)('GIVEN the certificates %j THEN %s', (certificates, status, detail, fix) => {
    const verdict = localCertificateCheck.evaluate(facts({ certificates: [...certificates] }));
    expect(verdict.status).toBe(status);
    expect(verdict.detail).toMatch(detail);
    if (fix) expect(verdict.fix).toMatch(fix);
  });
});

describe('local-processing', () => {
  test('GIVEN no processing-failed objects THEN PASS, naming where the parser logs', () => {
    const verdict = localProcessingCheck.evaluate(facts({ parserLog: { path: '/d/logs/fn.log', exists: false, reasons: [] } }));
    expect(verdict.status).toBe('PASS');
    expect(verdict.detail).toContain('the parser\'s log is /d/logs/fn.log (not written yet: the parser has not run)');
  });

  test('GIVEN processing-failed objects and logged reasons THEN WARN with the count, the newest object and the reasons', () => {
    const verdict = localProcessingCheck.evaluate(facts({
      processingFailed: { bucketDir: '/d/s3/Parsed', count: 2, newestFile: '/d/s3/Parsed/errors/processing-failed/x.gz' },
      parserLog: { path: '/d/logs/fn.log', exists: true, reasons: ['temperature is not a number', 'invalid JSON'] },
    }));
    expect(verdict.status).toBe('WARN');
    expect(verdict.detail).toBe('2 processing-failed object(s), newest /d/s3/Parsed/errors/processing-failed/x.gz; newest reasons logged: '
      + '"temperature is not a number", "invalid JSON"; the parser\'s log is /d/logs/fn.log');
    expect(verdict.fix).toContain('cdk-iot-pipeline parser test');
  });
});

describe('local-processing: messages the rule could not process', () => {
  test('GIVEN the runner counted text payloads into the JSON rule THEN WARN with the count per topic and the payload format to give', () => {
    const verdict = localProcessingCheck.evaluate(facts({
      unprocessable: { total: 5, topics: [{ topic: 'meters/m-1', count: 4 }, { topic: 'meters/m-2', count: 1 }], fix: 'give the pipeline `payload: PayloadFormat.binary()`' },
    }));
    expect(verdict.status).toBe('WARN');
    expect(verdict.detail).toBe('5 message(s) the rule could not process (payload not a JSON object for a JSON rule; not delivered): 4 on meters/m-1, 1 on meters/m-2');
    expect(verdict.fix).toContain('payload: PayloadFormat.binary()');
  });

  test('GIVEN a report with none for this pipeline THEN the processing-failed check decides (PASS)', () => {
    expect(localProcessingCheck.evaluate(facts({ unprocessable: { total: 0, topics: [], fix: 'x' } })).status).toBe('PASS');
  });
});

test('the local checks start with the stack check and reuse the AWS doctor\'s policy and rule checks', () => {
  expect(LOCAL_CHECKS.map((c) => c.id)).toEqual(['stack', 'local-certificate', 'policy-connect', 'policy-publish', 'rule', 'rule-topic', 'local-processing']);
});
