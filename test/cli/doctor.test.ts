import { CHECKS, DoctorFacts, evaluateFacts, expandFirehosePrefix, Finding, MetricFacts, windowPrefixes } from '../../cli/doctor';

const NOW = new Date('2026-03-04T05:06:07Z');
const CERT_ARN = `arn:aws:iot:eu-west-1:123456789012:cert/${'a'.repeat(64)}`;
const POLICY = {
  name: 'DevicePolicy',
  document: JSON.stringify({
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:eu-west-1:123456789012:client/thing-1', Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: ['arn:aws:iot:eu-west-1:123456789012:topic/t', 'arn:aws:iot:eu-west-1:123456789012:topic/t/*'] },
    ],
  }),
};

const ALLOW_ALL = { name: 'p', document: '{"Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}' };

/** Facts of a healthy pipeline (as gatherFacts would read them). */
function healthyFacts(): DoctorFacts {
  const ok = <T>(value: T) => ({ ok: true as const, value });
  return {
    stackName: 'S',
    windowMinutes: 60,
    now: NOW,
    stack: { status: 'UPDATE_COMPLETE', partition: 'aws', region: 'eu-west-1', account: '123456789012' },
    pipelinePrefix: 'Pipeline',
    thingName: 'thing-1',
    topic: 't',
    publishTopic: 't',
    clientId: 'thing-1',
    policyName: 'DevicePolicy',
    ruleName: 'Rule_1',
    streamName: 'stream-1',
    parsedBucket: 'parsed',
    rawBucket: 'raw',
    thing: ok(true as const),
    certificate: { source: 'stack resource', id: 'a'.repeat(64), arn: CERT_ARN, read: ok({ status: 'ACTIVE' }) },
    attachedPolicies: ok([POLICY]),
    pipelinePolicy: ok(POLICY),
    thingPrincipals: ok([CERT_ARN]),
    rule: ok({ sql: "SELECT topic() as topic, * FROM 't/+'", disabled: false, firehoseStreams: ['stream-1'], hasErrorAction: true }),
    stream: ok({ status: 'ACTIVE', bucket: 'parsed', bufferSeconds: 60, logGroup: 'lg' }),
    metrics: ok({
      processing: { datapoints: 3, average: 1, minimum: 1, maximum: 1 },
      delivery: { datapoints: 3, average: 1, minimum: 1, maximum: 1 },
      freshness: { datapoints: 3, average: 70, minimum: 60, maximum: 90 },
    }),
    processingFailedObjects: ok({ bucket: 'parsed', prefixes: ['errors/processing-failed/'], count: 0 }),
    ruleErrorObjects: ok({ bucket: 'raw', prefixes: ['iot-rule-errors/'], count: 0 }),
    parsedObjects: ok({ bucket: 'parsed', prefixes: ['parsed/'], count: 2, newestKey: 'parsed/k', newestTime: new Date(NOW.getTime() - 30_000) }),
    deliveryLogErrors: ok({ count: 0 }),
  };
}

const metricsOf = (f: DoctorFacts): MetricFacts => (f.metrics?.ok ? f.metrics.value : {});
const statusOf = (findings: Finding[]) => Object.fromEntries(findings.map((f) => [f.id, f.status]));
const allPass = () => Object.fromEntries(CHECKS.map((id) => [id, 'PASS']));

describe('evaluateFacts', () => {
  test('GIVEN healthy facts THEN every check passes, in the documented order', () => {
    // WHEN
    const findings = evaluateFacts(healthyFacts());
    // THEN
    expect(findings.map((f) => f.id)).toEqual([...CHECKS]);
    expect(statusOf(findings)).toEqual(allPass());
  });

  // States moto cannot produce, and combinations.
  test.each<[string, (f: DoctorFacts) => DoctorFacts, Record<string, string>, string]>([
    ['stream CREATING', (f) => ({ ...f, stream: { ok: true, value: { status: 'CREATING' } } }), { stream: 'WARN' }, 'wait a few minutes'],
    ['stream CREATING_FAILED', (f) => ({ ...f, stream: { ok: true, value: { status: 'CREATING_FAILED', failure: 'RETIRE_KMS_GRANT_FAILED: grant' } } }), { stream: 'FAIL' }, 'fix the failure named'],
    ['stack UPDATE_IN_PROGRESS', (f) => ({ ...f, stack: { ...f.stack!, status: 'UPDATE_IN_PROGRESS' } }), { stack: 'WARN' }, 'wait for the deployment'],
    ['stack ROLLBACK_COMPLETE', (f) => ({ ...f, stack: { ...f.stack!, status: 'ROLLBACK_COMPLETE' } }), { stack: 'FAIL' }, 'stack events'],
    ['certificate REVOKED', (f) => ({ ...f, certificate: { ...f.certificate!, read: { ok: true, value: { status: 'REVOKED' } } } }), { certificate: 'FAIL' }, 'cannot be reactivated'],
    ['freshness over 2 × interval + 120 s', (f) => ({
      ...f, metrics: { ok: true, value: { ...metricsOf(f), freshness: { datapoints: 1, average: 400, minimum: 400, maximum: 400 } } },
    }), { freshness: 'WARN' }, 'falling behind'],
    ['delivery partly failing', (f) => ({
      ...f, metrics: { ok: true, value: { ...metricsOf(f), delivery: { datapoints: 2, average: 0.5, minimum: 0, maximum: 1 } } },
    }), { delivery: 'WARN' }, 'permissions'],
    ['metrics unreadable', (f) => ({ ...f, metrics: { ok: false, notFound: false, error: 'access denied' } }), { processing: 'WARN', delivery: 'WARN' }, 'parser'],
    ['Basic Ingest topic of this rule', (f) => ({ ...f, publishTopic: '$aws/rules/Rule_1/t', attachedPolicies: { ok: true, value: [POLICY, ALLOW_ALL] } }), {}, ''],
    ['Basic Ingest topic of another rule', (f) => ({ ...f, publishTopic: '$aws/rules/Other/t', attachedPolicies: { ok: true, value: [POLICY, ALLOW_ALL] } }), { 'rule-topic': 'FAIL' }, 'redeploy'],
    ['Basic Ingest topic the policy does not allow', (f) => ({ ...f, publishTopic: '$aws/rules/Rule_1/t' }), { 'policy-publish': 'FAIL' }, 'allow iot:Publish on topic/$aws/rules/Rule_1/t/thing-1'],
    ['rule SQL without FROM', (f) => ({ ...f, rule: { ok: true, value: { sql: 'SELECT *', disabled: false, firehoseStreams: ['stream-1'], hasErrorAction: true } } }), { 'rule-topic': 'FAIL' }, "FROM '<topic filter>'"],
    ['policy document is not JSON', (f) => ({ ...f, attachedPolicies: { ok: true, value: [{ name: 'DevicePolicy', document: '{' }] } }), { 'policy-connect': 'FAIL', 'policy-publish': 'FAIL' }, 'fix the policy document'],
    ['no certificate anywhere', (f) => ({ ...f, certificate: undefined, certificateProblem: 'the stack has no certificate', attachedPolicies: undefined, thingPrincipals: { ok: true, value: [] } }),
      { 'certificate': 'FAIL', 'certificate-policy': 'WARN', 'certificate-thing': 'WARN' }, 'attach-thing-principal'],
    ['client id other than the thing name', (f) => ({ ...f, clientId: 'other' }), { 'policy-connect': 'FAIL' }, 'connect with the thing name as client id'],
  ])('GIVEN %s THEN the findings are as expected', (_name, change, expected, fixText) => {
    // WHEN
    const findings = evaluateFacts(change(healthyFacts()));
    // THEN
    expect(statusOf(findings)).toEqual({ ...allPass(), ...expected });
    const first = findings.find((f) => f.status !== 'PASS');
    if (first) expect(first.fix).toContain(fixText);
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

  test('GIVEN a missing stack THEN only the stack finding', () => {
    // WHEN
    const findings = evaluateFacts({ stackName: 'S', windowMinutes: 60, now: NOW });
    // THEN
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ id: 'stack', status: 'FAIL' });
  });
});

describe('expandFirehosePrefix', () => {
  test.each([
    ['parsed/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/', undefined, 'parsed/year=2026/month=03/day=04/hour=05/'],
    ['errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/', 'processing-failed', 'errors/processing-failed/year=2026/'],
    ['raw/', undefined, 'raw/2026/03/04/05/'],
    ['', undefined, '2026/03/04/05/'],
    ['errors/', 'processing-failed', 'errors/processing-failed/2026/03/04/05/'],
    ["d/!{timestamp:yyyy-MM-dd'T'HH}/", undefined, 'd/2026-03-04T05/'],
    ['p/!{timestamp:yy}/!{partitionKeyFromLambda:device}/!{timestamp:HH}/', undefined, 'p/26/'],
  ])('GIVEN %j (error type %j) THEN %j', (prefix, type, expected) => {
    // WHEN / THEN
    expect(expandFirehosePrefix(prefix, NOW, type)).toBe(expected);
  });
});

test('windowPrefixes lists one prefix per UTC hour of the window', () => {
  // GIVEN a 90-minute window from 03:40 to 05:10
  const start = new Date('2026-03-04T03:40:00Z');
  const end = new Date('2026-03-04T05:10:00Z');
  // WHEN
  const prefixes = windowPrefixes('x/!{timestamp:HH}/', start, end);
  // THEN
  expect(prefixes).toEqual(['x/03/', 'x/04/', 'x/05/']);
});
