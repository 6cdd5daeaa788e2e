import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { LocalModel, loadModel } from '../../../local/assembly/model';
import { ConnectionAuthorizer } from '../../../local/iot/authorizer';
import type { PolicyDocument } from '../../../local/iot/policy';
import { synthExampleStack } from '../fixture-app';
import { exampleThing } from '../helpers';

const ARN = 'arn:aws:iot:us-east-1:000000000000';

function model(policies: Record<string, PolicyDocument>, attached: Record<string, string[]>): LocalModel {
  return {
    stacks: ['Test'],
    region: 'us-east-1',
    account: '000000000000',
    things: new Map(Object.keys(attached).map((name) => [name, { name, stack: 'Test', logicalId: name, path: `Test/${name}` }])),
    policies: new Map(Object.entries(policies).map(([name, document]) => [name, { name, document, path: `Test/${name}` }])),
    thingPolicies: new Map(Object.entries(attached)),
    rules: [],
    streams: new Map(),
    functions: new Map(),
    buckets: new Map(),
    outputs: {},
    warnings: [],
  };
}

function allow(action: string | string[], resource: string | string[], extra: object = {}) {
  return { Effect: 'Allow', Action: action, Resource: resource, ...extra };
}

describe('the example app\'s device policy (its first stack, synthesized in this process)', () => {
  let scratch: string;
  let m: LocalModel;
  let thing: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'cdk-iot-local-authz-'));
    const app = synthExampleStack(join(scratch, 'cdk.out'));
    m = loadModel({ app });
    thing = exampleThing(app);
  }, 300000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('GIVEN the certificate of the thing and the thing name as client id WHEN connecting THEN allowed by the Connect statement', () => {
    const decision = new ConnectionAuthorizer(m, { clientId: thing, certificateThing: thing }).connect();
    expect(decision).toEqual({ allowed: true, reason: expect.stringContaining('ConnectAsTheThing') });
  });

  test('GIVEN the thing\'s certificate and another client id WHEN connecting THEN denied because IsAttached is false', () => {
    const decision = new ConnectionAuthorizer(m, { clientId: 'someone-else', certificateThing: thing }).connect();
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toMatch(/iot:Connection\.Thing\.IsAttached is false/);
  });

  test('GIVEN a certificate not issued for a thing WHEN connecting THEN denied, no policy applies', () => {
    expect(new ConnectionAuthorizer(m, { clientId: thing }).connect().reason).toMatch(/not issued by `local certs`/);
    expect(new ConnectionAuthorizer(m, { clientId: 'ghost', certificateThing: 'ghost' }).connect().reason).toMatch(/not in the stack/);
  });

  test.each<[string, boolean]>([
    ['iot-test-topic', true],
    ['iot-test-topic/device-1', true],
    ['iot-test-topic/a/b', true],
    ['iot-test-topic-other', false],
    ['other/topic', false],
    ['$aws/things/x/shadow/update', false],
  ])('GIVEN the connected thing WHEN publishing to %s THEN allowed: %s', (topic, allowed) => {
    expect(new ConnectionAuthorizer(m, { clientId: thing, certificateThing: thing }).publish(topic).allowed).toBe(allowed);
  });

  test('GIVEN the device policy WHEN subscribing THEN denied (the policy grants Connect and Publish only)', () => {
    expect(new ConnectionAuthorizer(m, { clientId: thing, certificateThing: thing }).subscribe('iot-test-topic/#').allowed).toBe(false);
  });
});

describe('AWS IoT policy semantics', () => {
  test('GIVEN an Allow and an explicit Deny on the same topic WHEN publishing THEN the Deny wins and is named', () => {
    const m = model({
      p1: { Statement: [allow('iot:*', '*')] },
      p2: { Statement: [{ Sid: 'NoSecrets', Effect: 'Deny', Action: 'iot:Publish', Resource: `${ARN}:topic/secret/*` }] },
    }, { t: ['p1', 'p2'] });
    const a = new ConnectionAuthorizer(m, { clientId: 't', certificateThing: 't' });
    expect(a.publish('open/x').allowed).toBe(true);
    const denied = a.publish('secret/x');
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toMatch(/explicitly denied by p2 statement 0 \(Sid "NoSecrets"\)/);
  });

  test('GIVEN Publish allowed and Receive not on one topic WHEN both are asked again and again THEN each action keeps its own cached decision', () => {
    const m = model({ p: { Statement: [allow('iot:Publish', `${ARN}:topic/same`), allow('iot:Receive', `${ARN}:topic/other`)] } }, { t: ['p'] });
    const a = new ConnectionAuthorizer(m, { clientId: 't', certificateThing: 't' });
    for (let i = 0; i < 3; i++) {
      expect(a.receive('same').allowed).toBe(false);
      expect(a.publish('same').allowed).toBe(true);
      expect(a.publish('other').allowed).toBe(false);
      expect(a.receive('other').allowed).toBe(true);
    }
  });

  test('GIVEN IAM wildcards WHEN matching actions and resources THEN * spans levels and ? is one character', () => {
    const m = model({ p: { Statement: [allow('iot:Pub*', [`${ARN}:topic/dev-?/data`, `${ARN}:topic/fleet/*/status`])] } }, { t: ['p'] });
    const a = new ConnectionAuthorizer(m, { clientId: 't', certificateThing: 't' });
    expect(a.publish('dev-1/data').allowed).toBe(true);
    expect(a.publish('dev-12/data').allowed).toBe(false);
    expect(a.publish('fleet/a/b/status').allowed).toBe(true);
    expect(a.connect().allowed).toBe(false);
  });

  test('GIVEN MQTT wildcards in a policy resource WHEN publishing THEN they are literal characters', () => {
    const m = model({ p: { Statement: [allow('iot:Publish', `${ARN}:topic/a/+`), allow('iot:Subscribe', `${ARN}:topicfilter/a/#`)] } }, { t: ['p'] });
    const a = new ConnectionAuthorizer(m, { clientId: 't', certificateThing: 't' });
    expect(a.publish('a/b').allowed).toBe(false);
    expect(a.subscribe('a/#').allowed).toBe(true);
    expect(a.subscribe('a/b').allowed).toBe(false);
  });

  test('GIVEN ${iot:Connection.Thing.ThingName} (the fleet policy) WHEN the client id is the certificate\'s thing THEN its own topics only', () => {
    const m = model({
      fleet: {
        Statement: [
          allow('iot:Connect', `${ARN}:client/\${iot:Connection.Thing.ThingName}`, { Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } }),
          allow('iot:Publish', `${ARN}:topic/t/\${iot:Connection.Thing.ThingName}/*`),
        ],
      },
    }, { d1: ['fleet'], d2: ['fleet'] });
    const d1 = new ConnectionAuthorizer(m, { clientId: 'd1', certificateThing: 'd1' });
    expect(d1.connect().allowed).toBe(true);
    expect(d1.publish('t/d1/x').allowed).toBe(true);
    expect(d1.publish('t/d2/x').allowed).toBe(false);
    // d1's certificate with d2's client id: not attached, the variable does not resolve
    const spoof = new ConnectionAuthorizer(m, { clientId: 'd2', certificateThing: 'd1' });
    expect(spoof.connect().allowed).toBe(false);
    expect(spoof.publish('t/d2/x').allowed).toBe(false);
  });

  test('GIVEN ${iot:ClientId} without IsAttached WHEN any client id connects THEN allowed (as broad as *)', () => {
    const m = model({ p: { Statement: [allow('iot:Connect', `${ARN}:client/\${iot:ClientId}`)] } }, { t: ['p'] });
    expect(new ConnectionAuthorizer(m, { clientId: 'anything', certificateThing: 't' }).connect().allowed).toBe(true);
  });

  test('GIVEN StringEquals / Bool false conditions on IsAttached WHEN evaluated THEN they follow the attachment', () => {
    const m = model({
      p: {
        Statement: [
          allow('iot:Connect', `${ARN}:client/*`, { Condition: { StringEquals: { 'iot:Connection.Thing.IsAttached': 'true' } } }),
          allow('iot:Publish', `${ARN}:topic/unattached`, { Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'false' } } }),
        ],
      },
    }, { t: ['p'] });
    expect(new ConnectionAuthorizer(m, { clientId: 't', certificateThing: 't' }).connect().allowed).toBe(true);
    expect(new ConnectionAuthorizer(m, { clientId: 'x', certificateThing: 't' }).connect().allowed).toBe(false);
    expect(new ConnectionAuthorizer(m, { clientId: 'x', certificateThing: 't' }).publish('unattached').allowed).toBe(true);
    expect(new ConnectionAuthorizer(m, { clientId: 't', certificateThing: 't' }).publish('unattached').allowed).toBe(false);
  });

  test('GIVEN a thing without attached policies WHEN connecting THEN denied with that reason', () => {
    const m = model({}, { lonely: [] });
    expect(new ConnectionAuthorizer(m, { clientId: 'lonely', certificateThing: 'lonely' }).connect().reason).toMatch(/no IoT policy is attached/);
  });
});
