/**
 * The local doctor (`doctor --app --data-dir`) and the runner's hints about topics no rule reads, on the example
 * app's customer A pipeline run by the local runner: a device publishes to the base topic (no rule reads it) and a
 * message the parser fails, then `doctor` explains both; `publish --app` warns before sending to the base topic.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import type { DoctorReport } from '../../../cli/doctor/report';
import { cleanup, connect, exampleAssembly, issue, startRunner, tempDir, TestRunner, waitFor } from '../../local/helpers';
import { cli } from '../support';

jest.mock('aedes', () => jest.requireActual('../../local/helpers').aedesCommonJs());
jest.setTimeout(120000);

const STACK = 'TwoCustomersExample';
const RULE = 'TwoCustomersExample_CustomerA_1438C8DA';

/** Customer A's thing name, from the synthesized template. */
function customerAThing(assembly: string): string {
  const template = JSON.parse(readFileSync(join(assembly, `${STACK}.template.json`), 'utf8'));
  const things = Object.entries(template.Resources as Record<string, { Type: string; Properties: { ThingName: string } }>)
    .filter(([id, r]) => r.Type === 'AWS::IoT::Thing' && id.startsWith('CustomerA'));
  return things[0][1].Properties.ThingName;
}

describe('local doctor', () => {
  let dir: string;
  let app: string;
  let thing: string;
  let t: TestRunner;

  beforeAll(async () => {
    app = exampleAssembly();
    thing = customerAThing(app);
    dir = tempDir('e2e-local-doctor');
    t = await startRunner({ app, dataDir: join(dir, 'data'), stack: STACK });
  });

  afterAll(async () => {
    await t?.runner.stop();
    cleanup(dir);
  });

  const doctor = (...args: string[]) => cli('doctor', '--app', app, '--data-dir', t.dataDir, '--stack', STACK, '--pipeline', 'CustomerA', ...args);

  test('GIVEN no certificate issued yet WHEN doctor runs THEN it FAILs local-certificate with the command that issues one', async () => {
    const { code, out } = await doctor('--json');
    const report = JSON.parse(out) as DoctorReport;
    expect(code).toBe(1);
    const finding = report.findings.find((f) => f.id === 'local-certificate')!;
    expect(finding.status).toBe('FAIL');
    expect(finding.fix).toContain(`cdk-iot-pipeline local certs --thing ${thing}`);
    expect(report.findings.map((f) => f.id)).toEqual(['stack', 'local-certificate', 'policy-connect', 'policy-publish', 'rule', 'rule-topic', 'local-processing']);
  });

  test('GIVEN a device that publishes to the base topic WHEN the runner gets it THEN it logs that no rule selected it, and doctor --topic explains why', async () => {
    // GIVEN
    const cert = issue(t.dataDir, thing);
    const device = await connect(t.runner.port, cert, thing);
    try {
      // WHEN
      await device.publishAsync('customer-a/telemetry', JSON.stringify({ temperature: 1 }), { qos: 1 });
    } finally {
      await device.endAsync();
    }
    // THEN the runner says so, naming the topic and the filters
    await waitFor('the no-rule log line', () => t.logs.some((l) => l.includes('no rule selected')));
    const line = t.logs.find((l) => l.includes('no rule selected'))!;
    expect(line).toContain('on customer-a/telemetry from');
    expect(line).toContain('\'customer-a/telemetry/+\'');
    // AND doctor with that topic FAILs rule-topic with the rule's filter, while the certificate now passes
    const { code, out } = await doctor('--topic', 'customer-a/telemetry');
    expect(code).toBe(1);
    expect(out).toMatch(/FAIL +rule-topic +FROM 'customer-a\/telemetry\/\+' does not match customer-a\/telemetry,/);
    expect(out).toMatch(/PASS +local-certificate/);
    expect(out).toMatch(/PASS +policy-publish/);
  });

  test('GIVEN a message the parser fails WHEN doctor runs THEN local-processing WARNs with the parser\'s reason and the log path', async () => {
    const cert = issue(t.dataDir, thing);
    const device = await connect(t.runner.port, cert, thing);
    try {
      await device.publishAsync('customer-a/telemetry/pump-1', JSON.stringify({ temperature: 'broken' }), { qos: 1 });
    } finally {
      await device.endAsync();
    }
    await t.runner.flush();
    const { code, out } = await doctor('--json');
    expect(code).toBe(0);
    const finding = (JSON.parse(out) as DoctorReport).findings.find((f) => f.id === 'local-processing')!;
    expect(finding.status).toBe('WARN');
    expect(finding.detail).toMatch(/1 processing-failed object\(s\)/);
    expect(finding.detail).toContain(join(t.dataDir, 'logs'));
    expect(finding.detail).toContain('newest reasons logged: "temperature is missing or not a number"');
    expect(finding.fix).toContain('parser test');
  });

  test('GIVEN publish --app to the base topic WHEN it runs THEN it warns that no rule selects the topic, and still publishes', async () => {
    const cert = issue(t.dataDir, thing);
    const { code, err } = await cli('publish', '--app', app, '--endpoint', `127.0.0.1:${t.runner.port}`, '--cert', cert.certPath, '--key', cert.keyPath,
      '--ca', cert.caPath, '--client-id', thing, '--topic', 'customer-a/telemetry', '--count', '1', '--quiet');
    expect(code).toBe(0);
    expect(err).toContain('warning: no topic rule selects topic customer-a/telemetry');
    expect(err).toContain(`${RULE} reads FROM 'customer-a/telemetry/+'`);
  });
});
