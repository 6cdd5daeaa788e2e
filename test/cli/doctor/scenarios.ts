/**
 * Doctor facts for the check tests: a healthy pipeline, and changes of it with the findings they must produce.
 * Covers the states moto cannot produce (test/cli/doctor/doctor.moto.test.ts runs the AWS reads) and combinations.
 */
import type { Status } from '../../../cli/doctor/check';
import type { CheckId } from '../../../cli/doctor/checks';
import type { DoctorFacts, FleetFacts, MetricFacts } from '../../../cli/doctor/facts';

export const NOW = new Date('2026-03-04T05:06:07Z');
export const CERT_ID = 'a'.repeat(64);
export const CERT_ARN = `arn:aws:iot:eu-west-1:123456789012:cert/${CERT_ID}`;
export const POLICY = {
  name: 'DevicePolicy',
  document: JSON.stringify({
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:eu-west-1:123456789012:client/thing-1', Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: ['arn:aws:iot:eu-west-1:123456789012:topic/t', 'arn:aws:iot:eu-west-1:123456789012:topic/t/*'] },
    ],
  }),
};
const ALLOW_ALL = { name: 'p', document: '{"Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}' };
const SUBSCRIBE_ONLY = { name: 'Other', document: '{"Statement":[{"Effect":"Allow","Action":"iot:Subscribe","Resource":"*"}]}' };
const DENY_PUBLISH = { name: 'Guard', document: '{"Statement":[{"Effect":"Deny","Action":"iot:Publish","Resource":"*"}]}' };

const ok = <T>(value: T) => ({ ok: true as const, value });
const missing = { ok: false as const, notFound: true, error: 'not found' };

/** Facts of a healthy pipeline (as gatherFacts would read them). */
export function healthyFacts(): DoctorFacts {
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
    certificate: { source: 'stack resource', id: CERT_ID, arn: CERT_ARN, read: ok({ status: 'ACTIVE' }) },
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
    fleets: [FLEET],
  };
}

const HOOK_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:hook';
const FLEET: FleetFacts = {
  templateName: 'lathes',
  template: ok({ enabled: true, hookArn: HOOK_ARN }),
  claimCertificate: ok({ id: 'c1a1', status: 'ACTIVE' }),
  hookPermitted: ok(true),
};
const withFleet = (f: DoctorFacts, change: Partial<FleetFacts>): DoctorFacts => ({ ...f, fleets: [{ ...FLEET, ...change }] });

const metricsOf = (f: DoctorFacts): MetricFacts => (f.metrics?.ok ? f.metrics.value : {});
const stackOf = (f: DoctorFacts) => f.stack ?? { status: '', partition: 'aws', region: '', account: '' };
const ruleOf = (f: DoctorFacts) => (f.rule?.ok ? f.rule.value : { sql: '', disabled: false, firehoseStreams: [], hasErrorAction: false });

/** A change of the healthy facts, the statuses that differ from PASS, and a text one finding must contain. */
export interface Scenario {
  readonly name: string;
  readonly change: (facts: DoctorFacts) => DoctorFacts;
  readonly expected: Partial<Record<CheckId, Status>>;
  readonly says: readonly [CheckId, 'detail' | 'fix', string];
}

export const SCENARIOS: readonly Scenario[] = [
  // stack
  { name: 'stack UPDATE_IN_PROGRESS', change: (f) => ({ ...f, stack: { ...stackOf(f), status: 'UPDATE_IN_PROGRESS' } }), expected: { stack: 'WARN' }, says: ['stack', 'fix', 'wait for the deployment'] },
  { name: 'stack ROLLBACK_COMPLETE', change: (f) => ({ ...f, stack: { ...stackOf(f), status: 'ROLLBACK_COMPLETE' } }), expected: { stack: 'FAIL' }, says: ['stack', 'fix', 'stack events'] },
  { name: 'stack UPDATE_ROLLBACK_COMPLETE', change: (f) => ({ ...f, stack: { ...stackOf(f), status: 'UPDATE_ROLLBACK_COMPLETE' } }), expected: { stack: 'WARN' }, says: ['stack', 'fix', 'the last update was rolled back'] },
  // certificate
  { name: 'certificate REVOKED', change: (f) => ({ ...f, certificate: { source: 'stack resource', id: CERT_ID, arn: CERT_ARN, read: ok({ status: 'REVOKED' }) } }), expected: { certificate: 'FAIL' }, says: ['certificate', 'fix', 'cannot be reactivated'] },
  {
    name: 'certificate INACTIVE',
    change: (f) => ({ ...f, certificate: { source: 'stack resource', id: CERT_ID, arn: CERT_ARN, read: ok({ status: 'INACTIVE' }) } }),
    expected: { certificate: 'FAIL' },
    says: ['certificate', 'fix', `\`aws iot update-certificate --certificate-id ${CERT_ID} --new-status ACTIVE\``],
  },
  {
    name: 'certificate deleted',
    change: (f) => ({ ...f, certificate: { source: 'stack resource', id: CERT_ID, read: missing }, attachedPolicies: undefined, thingPrincipals: ok([]) }),
    expected: { 'certificate': 'FAIL', 'certificate-policy': 'WARN', 'certificate-thing': 'WARN' },
    says: ['certificate', 'detail', `certificate ${CERT_ID} (from the stack resource) does not exist`],
  },
  {
    name: 'no certificate anywhere',
    change: (f) => ({ ...f, certificate: undefined, certificateProblem: 'the stack has no certificate', attachedPolicies: undefined, thingPrincipals: ok([]) }),
    expected: { 'certificate': 'FAIL', 'certificate-policy': 'WARN', 'certificate-thing': 'WARN' },
    says: ['certificate', 'fix', 'aws iot attach-thing-principal --thing-name thing-1'],
  },
  // certificate-policy
  {
    name: 'no policy attached to the certificate',
    change: (f) => ({ ...f, attachedPolicies: ok([]) }),
    expected: { 'certificate-policy': 'FAIL', 'policy-connect': 'FAIL', 'policy-publish': 'FAIL' },
    says: ['certificate-policy', 'fix', `\`aws iot attach-policy --policy-name DevicePolicy --target ${CERT_ARN}\``],
  },
  {
    name: 'another policy attached instead of the device policy',
    change: (f) => ({ ...f, attachedPolicies: ok([SUBSCRIBE_ONLY]) }),
    expected: { 'certificate-policy': 'FAIL', 'policy-connect': 'FAIL', 'policy-publish': 'FAIL' },
    says: ['policy-publish', 'fix', 'attach the pipeline\'s device policy (DevicePolicy) to the certificate (see certificate-policy)'],
  },
  {
    name: 'the certificate\'s policies unreadable',
    change: (f) => ({ ...f, attachedPolicies: { ok: false, notFound: false, error: 'access denied' } }),
    expected: { 'certificate-policy': 'WARN' },
    says: ['policy-connect', 'detail', 'evaluated policy DevicePolicy alone'],
  },
  // certificate-thing
  {
    name: 'certificate not attached to the thing',
    change: (f) => ({ ...f, thingPrincipals: ok([]) }),
    expected: { 'certificate-thing': 'FAIL', 'policy-connect': 'FAIL' },
    says: ['policy-connect', 'fix', 'attach the certificate to the thing (see certificate-thing)'],
  },
  { name: 'thing deleted', change: (f) => ({ ...f, thing: missing }), expected: { 'certificate-thing': 'FAIL' }, says: ['certificate-thing', 'fix', 'it was deleted outside CloudFormation'] },
  // policy-connect / policy-publish
  { name: 'client id other than the thing name', change: (f) => ({ ...f, clientId: 'other' }), expected: { 'policy-connect': 'FAIL' }, says: ['policy-connect', 'fix', 'connect with the thing name as client id'] },
  {
    name: 'a Deny statement for publishing',
    change: (f) => ({ ...f, attachedPolicies: ok([POLICY, DENY_PUBLISH]) }),
    expected: { 'policy-publish': 'FAIL' },
    says: ['policy-publish', 'fix', 'remove or narrow that Deny statement'],
  },
  {
    name: 'policy document is not JSON',
    change: (f) => ({ ...f, attachedPolicies: ok([{ name: 'DevicePolicy', document: '{' }]) }),
    expected: { 'policy-connect': 'FAIL', 'policy-publish': 'FAIL' },
    says: ['policy-connect', 'fix', 'fix the policy document'],
  },
  {
    name: 'no PublishTopicOutput (a stack from before it existed)',
    change: (f) => ({ ...f, publishTopic: undefined }),
    expected: {},
    says: ['policy-publish', 'detail', 'iot:Publish on arn:aws:iot:eu-west-1:123456789012:topic/t/thing-1 is allowed by DevicePolicy statement 1'],
  },
  {
    name: 'Basic Ingest topic the policy does not allow',
    change: (f) => ({ ...f, publishTopic: '$aws/rules/Rule_1/t' }),
    expected: { 'policy-publish': 'FAIL' },
    says: ['policy-publish', 'fix', 'allow iot:Publish on topic/$aws/rules/Rule_1/t/thing-1'],
  },
  // rule / rule-topic / rule-action
  { name: 'rule disabled', change: (f) => ({ ...f, rule: ok({ ...ruleOf(f), disabled: true }) }), expected: { rule: 'FAIL' }, says: ['rule', 'fix', '`aws iot enable-topic-rule --rule-name Rule_1`'] },
  { name: 'rule deleted', change: (f) => ({ ...f, rule: missing }), expected: { 'rule': 'FAIL', 'rule-topic': 'WARN', 'rule-action': 'WARN' }, says: ['rule', 'fix', 'it was deleted outside CloudFormation'] },
  {
    name: 'Basic Ingest topic of this rule',
    change: (f) => ({ ...f, publishTopic: '$aws/rules/Rule_1/t', attachedPolicies: ok([POLICY, ALLOW_ALL]) }),
    expected: {},
    says: ['rule-topic', 'detail', "FROM 't/+' matches $aws/rules/Rule_1/t/thing-1"],
  },
  {
    name: 'Basic Ingest topic of another rule',
    change: (f) => ({ ...f, publishTopic: '$aws/rules/Other/t', attachedPolicies: ok([POLICY, ALLOW_ALL]) }),
    expected: { 'rule-topic': 'FAIL' },
    says: ['rule-topic', 'detail', 'devices publish with Basic Ingest to rule Other, not to Rule_1'],
  },
  {
    name: 'rule FROM matches another topic',
    change: (f) => ({ ...f, rule: ok({ ...ruleOf(f), sql: "SELECT * FROM 'elsewhere/#'" }) }),
    expected: { 'rule-topic': 'FAIL' },
    says: ['rule-topic', 'fix', 'e.g. \'t/+\''],
  },
  { name: 'rule SQL without FROM', change: (f) => ({ ...f, rule: ok({ ...ruleOf(f), sql: 'SELECT *' }) }), expected: { 'rule-topic': 'FAIL' }, says: ['rule-topic', 'fix', "FROM '<topic filter>'"] },
  {
    name: 'rule forwards to another stream',
    change: (f) => ({ ...f, rule: ok({ ...ruleOf(f), firehoseStreams: ['other-stream'] }) }),
    expected: { 'rule-action': 'FAIL' },
    says: ['rule-action', 'detail', 'forwards to other-stream, not to the pipeline\'s stream stream-1'],
  },
  { name: 'rule without Firehose action', change: (f) => ({ ...f, rule: ok({ ...ruleOf(f), firehoseStreams: [] }) }), expected: { 'rule-action': 'FAIL' }, says: ['rule-action', 'fix', 'the construct adds a Firehose action'] },
  // stream
  { name: 'stream CREATING', change: (f) => ({ ...f, stream: ok({ status: 'CREATING' }) }), expected: { stream: 'WARN' }, says: ['stream', 'fix', 'wait a few minutes'] },
  {
    name: 'stream CREATING_FAILED',
    change: (f) => ({ ...f, stream: ok({ status: 'CREATING_FAILED', failure: 'RETIRE_KMS_GRANT_FAILED: grant' }) }),
    expected: { stream: 'FAIL' },
    says: ['stream', 'detail', 'is CREATING_FAILED (RETIRE_KMS_GRANT_FAILED: grant)'],
  },
  { name: 'stream deleted', change: (f) => ({ ...f, stream: missing }), expected: { stream: 'FAIL' }, says: ['stream', 'detail', 'delivery stream stream-1 does not exist'] },
  // processing / delivery
  {
    name: 'every parser invocation failing',
    change: (f) => ({ ...f, metrics: ok({ ...metricsOf(f), processing: { datapoints: 2, average: 0, minimum: 0, maximum: 0 } }) }),
    expected: { processing: 'FAIL' },
    says: ['processing', 'detail', 'every parser invocation failed'],
  },
  {
    name: 'processing-failed objects',
    change: (f) => ({ ...f, processingFailedObjects: ok({ bucket: 'parsed', prefixes: ['errors/processing-failed/'], count: 3, newestKey: 'errors/processing-failed/x' }) }),
    expected: { processing: 'WARN' },
    says: ['processing', 'detail', '3 processing-failed object(s) in the last 60 min, newest s3://parsed/errors/processing-failed/x'],
  },
  {
    name: 'delivery partly failing',
    change: (f) => ({ ...f, metrics: ok({ ...metricsOf(f), delivery: { datapoints: 2, average: 0.5, minimum: 0, maximum: 1 } }) }),
    expected: { delivery: 'WARN' },
    says: ['delivery', 'fix', 'permissions'],
  },
  {
    name: 'delivery error log events',
    change: (f) => ({ ...f, deliveryLogErrors: ok({ count: 2, latest: 'S3.AccessDenied' }) }),
    expected: { delivery: 'WARN' },
    says: ['delivery', 'detail', '2 error log event(s) in the last 60 min, latest: S3.AccessDenied'],
  },
  {
    name: 'metrics unreadable',
    change: (f) => ({ ...f, metrics: { ok: false, notFound: false, error: 'access denied' } }),
    expected: { processing: 'WARN', delivery: 'WARN' },
    says: ['processing', 'detail', 'metrics unreadable: access denied'],
  },
  // rule-errors
  {
    name: 'rule error messages',
    change: (f) => ({ ...f, ruleErrorObjects: ok({ bucket: 'raw', prefixes: ['iot-rule-errors/'], count: 1, newestKey: 'iot-rule-errors/x.json' }) }),
    expected: { 'rule-errors': 'WARN' },
    says: ['rule-errors', 'fix', 'failures[].errorMessage'],
  },
  {
    name: 'raw bucket unreadable',
    change: (f) => ({ ...f, ruleErrorObjects: { ok: false, notFound: false, error: 'access denied' } }),
    expected: { 'rule-errors': 'WARN' },
    says: ['rule-errors', 'fix', 'allow s3:ListBucket on the raw bucket'],
  },
  {
    name: 'no raw bucket output',
    change: (f) => ({ ...f, rawBucket: undefined, ruleErrorObjects: undefined }),
    expected: { 'rule-errors': 'WARN' },
    says: ['rule-errors', 'detail', 'not checked: no raw bucket in the stack outputs (RawBucketOutput)'],
  },
  // freshness
  {
    name: 'freshness over 2 × interval + 120 s',
    change: (f) => ({ ...f, metrics: ok({ ...metricsOf(f), freshness: { datapoints: 1, average: 400, minimum: 400, maximum: 400 } }) }),
    expected: { freshness: 'WARN' },
    says: ['freshness', 'fix', 'falling behind'],
  },
  {
    name: 'no data in the window',
    change: (f) => ({ ...f, metrics: ok({ ...metricsOf(f), freshness: undefined }), parsedObjects: ok({ bucket: 'parsed', prefixes: ['parsed/'], count: 0 }) }),
    expected: { freshness: 'WARN' },
    says: ['freshness', 'fix', 'publish test messages (`cdk-iot-pipeline publish --stack S`), wait 60 s'],
  },
  {
    name: 'parsed bucket unreadable',
    change: (f) => ({ ...f, metrics: ok({ ...metricsOf(f), freshness: undefined }), parsedObjects: { ok: false, notFound: false, error: 'access denied' } }),
    expected: { freshness: 'WARN' },
    says: ['freshness', 'fix', 'allow s3:ListBucket on the parsed bucket'],
  },
  // fleets
  { name: 'fleet template disabled', change: (f) => withFleet(f, { template: ok({ enabled: false }) }), expected: { 'fleet-template': 'FAIL' }, says: ['fleet-template', 'fix', 'aws iot update-provisioning-template --template-name lathes --enabled'] },
  { name: 'fleet template missing', change: (f) => withFleet(f, { template: { ok: false, notFound: true, error: 'not found' } }), expected: { 'fleet-template': 'FAIL' }, says: ['fleet-template', 'detail', 'template lathes does not exist'] },
  { name: 'fleet claim INACTIVE', change: (f) => withFleet(f, { claimCertificate: ok({ id: 'c1a1', status: 'INACTIVE' }) }), expected: { 'fleet-claim': 'FAIL' }, says: ['fleet-claim', 'fix', 'aws iot update-certificate --certificate-id c1a1 --new-status ACTIVE'] },
  { name: 'fleet claim not generated by the stack', change: (f) => withFleet(f, { claimCertificate: undefined, claimProblem: 'no secret' }), expected: { 'fleet-claim': 'WARN' }, says: ['fleet-claim', 'detail', 'not checked: no secret'] },
  { name: 'fleet hook not permitted', change: (f) => withFleet(f, { hookPermitted: ok(false) }), expected: { 'fleet-hook': 'FAIL' }, says: ['fleet-hook', 'fix', `aws lambda add-permission --function-name ${HOOK_ARN}`] },
  { name: 'no fleet', change: (f) => ({ ...f, fleets: [] }), expected: {}, says: ['fleet-template', 'detail', 'no fleet provisioning template'] },
];

/** Facts without the stack or without the pipeline: only the stack check reports. */
export const STOP_SCENARIOS: ReadonlyArray<{ readonly name: string; readonly facts: DoctorFacts; readonly detail: string }> = [
  { name: 'a missing stack', facts: { stackName: 'S', windowMinutes: 60, now: NOW }, detail: 'stack S does not exist in this account/Region' },
  {
    name: 'a stack without a pipeline',
    facts: { stackName: 'S', windowMinutes: 60, now: NOW, stack: { status: 'CREATE_COMPLETE', partition: 'aws', region: 'eu-west-1', account: '1' }, pipelineProblem: 'no outputs' },
    detail: 'stack S (CREATE_COMPLETE): no outputs',
  },
];
