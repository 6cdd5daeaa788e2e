import {
  AuthorizationRequest, evaluatePolicies, iotArn, NamedPolicy, parsePolicyDocument, PolicyContext, PolicyParseError, PolicyStatement,
} from '../../../local/iot/policy';

const ARN = 'arn:aws:iot:eu-west-1:123456789012';
const client = (id: string) => `${ARN}:client/${id}`;
const topic = (t: string) => `${ARN}:topic/${t}`;
const policy = (name: string, ...Statement: PolicyStatement[]): NamedPolicy => ({
  name,
  document: JSON.stringify({ Version: '2012-10-17', Statement }),
});

/** The construct's device policy for thing "dev-1" and topic "iot-test-topic". */
const PIPELINE_POLICY = policy('pipeline',
  { Sid: 'ConnectAsTheThing', Effect: 'Allow', Action: 'iot:Connect', Resource: client('dev-1') },
  { Sid: 'PublishTelemetry', Effect: 'Allow', Action: 'iot:Publish', Resource: [topic('iot-test-topic'), topic('iot-test-topic/*')] },
);
const VARIABLE_POLICY = policy('variables',
  {
    Effect: 'Allow',
    Action: ['iot:Connect'],
    Resource: [`${ARN}:client/\${iot:Connection.Thing.ThingName}`],
    Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
  },
  { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/telemetry/\${iot:ClientId}` },
);
const ATTACHED: PolicyContext = { clientId: 'dev-1', thingName: 'dev-1', isAttached: true };
const DETACHED: PolicyContext = { clientId: 'dev-1', isAttached: false };

interface Case {
  readonly name: string;
  readonly policies: NamedPolicy[];
  readonly request: AuthorizationRequest;
  readonly decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
}

const cases: Case[] = [
  // the construct's policy
  { name: 'connect as the thing', policies: [PIPELINE_POLICY], request: { action: 'iot:Connect', resource: client('dev-1') }, decision: 'Allow' },
  { name: 'connect as another client id', policies: [PIPELINE_POLICY], request: { action: 'iot:Connect', resource: client('dev-2') }, decision: 'ImplicitDeny' },
  { name: 'publish to <topic>/<thing>', policies: [PIPELINE_POLICY], request: { action: 'iot:Publish', resource: topic('iot-test-topic/dev-1') }, decision: 'Allow' },
  { name: 'publish to <topic> itself', policies: [PIPELINE_POLICY], request: { action: 'iot:Publish', resource: topic('iot-test-topic') }, decision: 'Allow' },
  { name: 'IAM * spans levels', policies: [PIPELINE_POLICY], request: { action: 'iot:Publish', resource: topic('iot-test-topic/a/b/c') }, decision: 'Allow' },
  { name: 'publish to another topic', policies: [PIPELINE_POLICY], request: { action: 'iot:Publish', resource: topic('other/dev-1') }, decision: 'ImplicitDeny' },
  { name: 'prefix is not a match', policies: [PIPELINE_POLICY], request: { action: 'iot:Publish', resource: topic('iot-test-topic2') }, decision: 'ImplicitDeny' },
  { name: 'subscribe is not granted', policies: [PIPELINE_POLICY], request: { action: 'iot:Subscribe', resource: `${ARN}:topicfilter/iot-test-topic/#` }, decision: 'ImplicitDeny' },
  { name: 'no policies', policies: [], request: { action: 'iot:Connect', resource: client('dev-1') }, decision: 'ImplicitDeny' },
  // actions: case-insensitive, wildcards
  { name: 'action case-insensitive', policies: [policy('p', { Effect: 'Allow', Action: 'IOT:PUBLISH', Resource: '*' })], request: { action: 'iot:Publish', resource: topic('x') }, decision: 'Allow' },
  { name: 'action iot:*', policies: [policy('p', { Effect: 'Allow', Action: 'iot:*', Resource: '*' })], request: { action: 'iot:Connect', resource: client('x') }, decision: 'Allow' },
  { name: 'action iot:Pub?ish', policies: [policy('p', { Effect: 'Allow', Action: 'iot:Pub?ish', Resource: '*' })], request: { action: 'iot:Publish', resource: topic('x') }, decision: 'Allow' },
  { name: 'action iot:Get*', policies: [policy('p', { Effect: 'Allow', Action: 'iot:Get*', Resource: '*' })], request: { action: 'iot:Publish', resource: topic('x') }, decision: 'ImplicitDeny' },
  { name: 'NotAction', policies: [policy('p', { Effect: 'Allow', NotAction: 'iot:Subscribe', Resource: '*' })], request: { action: 'iot:Publish', resource: topic('x') }, decision: 'Allow' },
  { name: 'NotAction excludes', policies: [policy('p', { Effect: 'Allow', NotAction: 'iot:Publish', Resource: '*' })], request: { action: 'iot:Publish', resource: topic('x') }, decision: 'ImplicitDeny' },
  // resources: case-sensitive, ? wildcard, MQTT wildcards literal
  { name: 'resource case-sensitive', policies: [policy('p', { Effect: 'Allow', Action: 'iot:Publish', Resource: topic('A/b') })], request: { action: 'iot:Publish', resource: topic('a/b') }, decision: 'ImplicitDeny' },
  { name: 'resource ? is one character', policies: [policy('p', { Effect: 'Allow', Action: 'iot:Publish', Resource: topic('dev-?') })], request: { action: 'iot:Publish', resource: topic('dev-7') }, decision: 'Allow' },
  { name: 'resource ? is not two', policies: [policy('p', { Effect: 'Allow', Action: 'iot:Publish', Resource: topic('dev-?') })], request: { action: 'iot:Publish', resource: topic('dev-17') }, decision: 'ImplicitDeny' },
  { name: 'MQTT + is literal', policies: [policy('p', { Effect: 'Allow', Action: 'iot:Publish', Resource: topic('a/+') })], request: { action: 'iot:Publish', resource: topic('a/b') }, decision: 'ImplicitDeny' },
  { name: 'MQTT # is literal', policies: [policy('p', { Effect: 'Allow', Action: 'iot:Publish', Resource: topic('a/#') })], request: { action: 'iot:Publish', resource: topic('a/b') }, decision: 'ImplicitDeny' },
  { name: 'MQTT + matches itself', policies: [policy('p', { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${ARN}:topicfilter/a/+` })], request: { action: 'iot:Subscribe', resource: `${ARN}:topicfilter/a/+` }, decision: 'Allow' },
  { name: 'NotResource', policies: [policy('p', { Effect: 'Allow', Action: 'iot:Publish', NotResource: topic('secret/*') })], request: { action: 'iot:Publish', resource: topic('public/x') }, decision: 'Allow' },
  { name: 'NotResource excludes', policies: [policy('p', { Effect: 'Allow', Action: 'iot:Publish', NotResource: topic('secret/*') })], request: { action: 'iot:Publish', resource: topic('secret/x') }, decision: 'ImplicitDeny' },
  // Deny wins, across policies too
  {
    name: 'Deny wins in one policy',
    policies: [policy('p', { Effect: 'Allow', Action: 'iot:*', Resource: '*' }, { Effect: 'Deny', Action: 'iot:Publish', Resource: topic('iot-test-topic/*') })],
    request: { action: 'iot:Publish', resource: topic('iot-test-topic/dev-1') },
    decision: 'ExplicitDeny',
  },
  {
    name: 'Deny in another attached policy wins',
    policies: [PIPELINE_POLICY, policy('guard', { Effect: 'Deny', Action: 'iot:Publish', Resource: '*' })],
    request: { action: 'iot:Publish', resource: topic('iot-test-topic/dev-1') },
    decision: 'ExplicitDeny',
  },
  {
    name: 'Deny elsewhere does not matter',
    policies: [PIPELINE_POLICY, policy('guard', { Effect: 'Deny', Action: 'iot:Publish', Resource: topic('admin/*') })],
    request: { action: 'iot:Publish', resource: topic('iot-test-topic/dev-1') },
    decision: 'Allow',
  },
  // policy variables and the IsAttached condition
  { name: 'ThingName variable, attached', policies: [VARIABLE_POLICY], request: { action: 'iot:Connect', resource: client('dev-1'), context: ATTACHED }, decision: 'Allow' },
  { name: 'ThingName variable, other client id', policies: [VARIABLE_POLICY], request: { action: 'iot:Connect', resource: client('dev-2'), context: ATTACHED }, decision: 'ImplicitDeny' },
  { name: 'ThingName variable, not attached', policies: [VARIABLE_POLICY], request: { action: 'iot:Connect', resource: client('dev-1'), context: DETACHED }, decision: 'ImplicitDeny' },
  { name: 'ClientId variable', policies: [VARIABLE_POLICY], request: { action: 'iot:Publish', resource: topic('telemetry/dev-1'), context: DETACHED }, decision: 'Allow' },
  { name: 'ClientId variable, other id', policies: [VARIABLE_POLICY], request: { action: 'iot:Publish', resource: topic('telemetry/dev-2'), context: DETACHED }, decision: 'ImplicitDeny' },
  { name: 'ClientId variable without client id', policies: [VARIABLE_POLICY], request: { action: 'iot:Publish', resource: topic('telemetry/dev-1') }, decision: 'ImplicitDeny' },
  {
    name: 'substituted value is literal, not a wildcard',
    policies: [policy('p', { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/t/\${iot:ClientId}` })],
    request: { action: 'iot:Publish', resource: topic('t/anything'), context: { clientId: '*' } },
    decision: 'ImplicitDeny',
  },
  {
    name: '${*} is a literal star',
    policies: [policy('p', { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/t/\${*}` })],
    request: { action: 'iot:Publish', resource: topic('t/*') },
    decision: 'Allow',
  },
  {
    name: '${*} does not match other text',
    policies: [policy('p', { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/t/\${*}` })],
    request: { action: 'iot:Publish', resource: topic('t/x') },
    decision: 'ImplicitDeny',
  },
  {
    name: 'Deny with IsAttached false catches detached certificates',
    policies: [PIPELINE_POLICY, policy('guard', { Effect: 'Deny', Action: 'iot:Connect', Resource: '*', Condition: { Bool: { 'iot:Connection.Thing.IsAttached': false } } })],
    request: { action: 'iot:Connect', resource: client('dev-1'), context: DETACHED },
    decision: 'ExplicitDeny',
  },
  {
    name: 'Deny with IsAttached false spares attached certificates',
    policies: [PIPELINE_POLICY, policy('guard', { Effect: 'Deny', Action: 'iot:Connect', Resource: '*', Condition: { Bool: { 'iot:Connection.Thing.IsAttached': false } } })],
    request: { action: 'iot:Connect', resource: client('dev-1'), context: ATTACHED },
    decision: 'Allow',
  },
  // other condition operators
  {
    name: 'StringEquals with a variable',
    policies: [policy('p', { Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}' } } })],
    request: { action: 'iot:Connect', resource: client('dev-1'), context: ATTACHED },
    decision: 'Allow',
  },
  {
    name: 'StringLike prefix',
    policies: [policy('p', { Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringLike: { 'iot:ClientId': ['sensor-*', 'dev-*'] } } })],
    request: { action: 'iot:Connect', resource: client('dev-1'), context: ATTACHED },
    decision: 'Allow',
  },
  {
    name: 'StringNotEquals with a missing key applies',
    policies: [policy('p', { Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringNotEquals: { 'iot:Connection.Thing.ThingTypeName': 'camera' } } })],
    request: { action: 'iot:Connect', resource: client('dev-1'), context: ATTACHED },
    decision: 'Allow',
  },
  {
    name: 'StringEquals with a missing key does not apply',
    policies: [policy('p', { Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringEquals: { 'iot:Connection.Thing.ThingTypeName': 'camera' } } })],
    request: { action: 'iot:Connect', resource: client('dev-1'), context: ATTACHED },
    decision: 'ImplicitDeny',
  },
  {
    name: 'StringEqualsIfExists with a missing key applies',
    policies: [policy('p', { Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringEqualsIfExists: { 'iot:Connection.Thing.ThingTypeName': 'camera' } } })],
    request: { action: 'iot:Connect', resource: client('dev-1'), context: ATTACHED },
    decision: 'Allow',
  },
  {
    name: 'extra context key',
    policies: [policy('p', { Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringEquals: { 'iot:Connection.Thing.ThingTypeName': 'camera' } } })],
    request: { action: 'iot:Connect', resource: client('dev-1'), context: { ...ATTACHED, extra: { 'iot:Connection.Thing.ThingTypeName': 'camera' } } },
    decision: 'Allow',
  },
  {
    name: 'Null condition',
    policies: [policy('p', { Effect: 'Deny', Action: 'iot:Connect', Resource: '*', Condition: { Null: { 'iot:Connection.Thing.ThingName': 'true' } } }), PIPELINE_POLICY],
    request: { action: 'iot:Connect', resource: client('dev-1'), context: DETACHED },
    decision: 'ExplicitDeny',
  },
  {
    name: 'unsupported operator: statement does not apply',
    policies: [policy('p', { Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } })],
    request: { action: 'iot:Connect', resource: client('dev-1'), context: ATTACHED },
    decision: 'ImplicitDeny',
  },
];

describe('evaluatePolicies', () => {
  test.each(cases.map((c) => [c.name, c] as const))('GIVEN %s THEN the decision is as expected', (_name, c) => {
    // WHEN
    const result = evaluatePolicies(c.policies, c.request);
    // THEN
    expect(result.decision).toBe(c.decision);
    expect(result.allowed).toBe(c.decision === 'Allow');
  });

  test('GIVEN an allowing and a denying statement WHEN evaluated THEN both statements are named', () => {
    // GIVEN
    const policies = [PIPELINE_POLICY, policy('guard', { Sid: 'NoTelemetry', Effect: 'Deny', Action: 'iot:Publish', Resource: topic('iot-test-topic/*') })];
    // WHEN
    const result = evaluatePolicies(policies, { action: 'iot:Publish', resource: topic('iot-test-topic/dev-1') });
    // THEN
    expect(result.allowedBy).toEqual([{ policy: 'pipeline', index: 1, sid: 'PublishTelemetry' }]);
    expect(result.deniedBy).toEqual([{ policy: 'guard', index: 0, sid: 'NoTelemetry' }]);
  });

  test('GIVEN an unresolvable variable WHEN evaluated THEN a note says why the statement did not match', () => {
    // WHEN
    const result = evaluatePolicies([VARIABLE_POLICY], { action: 'iot:Connect', resource: client('dev-1'), context: DETACHED });
    // THEN
    expect(result.notes).toEqual([expect.stringContaining('${iot:Connection.Thing.ThingName} cannot be resolved')]);
  });

  test('GIVEN an unsupported condition operator WHEN evaluated THEN a note names it', () => {
    // GIVEN
    const p = policy('p', { Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { 'ForAnyValue:StringLike': { 'iot:ClientId': 'x' } } });
    // WHEN
    const result = evaluatePolicies([p], { action: 'iot:Connect', resource: client('x'), context: { clientId: 'x' } });
    // THEN
    expect(result.decision).toBe('ImplicitDeny');
    expect(result.notes[0]).toContain('ForAnyValue:StringLike is not supported');
  });
});

describe('parsePolicyDocument', () => {
  test.each([
    ['not json', 'not JSON'],
    ['{"Version": "2012-10-17"}', 'no Statement'],
    ['{"Statement": [{"Effect": "Maybe", "Action": "iot:*", "Resource": "*"}]}', 'must be "Allow" or "Deny"'],
    ['{"Statement": [{"Effect": "Allow", "Resource": "*"}]}', 'exactly one of Action and NotAction'],
    ['{"Statement": {"Effect": "Allow", "Action": "iot:*"}}', 'exactly one of Resource and NotResource'],
  ])('GIVEN %j THEN a PolicyParseError mentions %j', (doc, message) => {
    // WHEN / THEN
    expect(() => parsePolicyDocument(doc, 'p')).toThrow(PolicyParseError);
    expect(() => parsePolicyDocument(doc, 'p')).toThrow(message);
  });

  test('GIVEN a single statement object THEN it is accepted', () => {
    // WHEN
    const doc = parsePolicyDocument('{"Statement": {"Effect": "Allow", "Action": "iot:*", "Resource": "*"}}');
    // THEN
    expect(doc.Statement).toEqual({ Effect: 'Allow', Action: 'iot:*', Resource: '*' });
  });
});

test('iotArn builds the resource ARNs the policy speaks of', () => {
  // WHEN / THEN
  expect(iotArn('aws', 'eu-west-1', '123456789012', 'topic', 'a/b')).toBe('arn:aws:iot:eu-west-1:123456789012:topic/a/b');
  expect(iotArn('aws-cn', 'cn-north-1', '123456789012', 'client', 'dev')).toBe('arn:aws-cn:iot:cn-north-1:123456789012:client/dev');
});
