/**
 * The fleet provisioning service without a broker: requests in, the one answer out, with a clock the test moves
 * (the ownership token's hour) and a fake hook. Also the template body's parameters and intrinsic functions.
 */
import { join } from 'path';
import type { LocalModel, ProvisioningTemplateModel } from '../../../local/assembly/model';
import { parsePolicyDocument } from '../../../local/iot/policy';
import { FleetProvisioning, ProvisioningRequest } from '../../../local/iot/provisioning/service';
import { readRecord, readThing } from '../../../local/iot/provisioning/store';
import { evaluateTemplate, parseTemplateBody, TemplateEvaluationError } from '../../../local/iot/provisioning/template-body';
import { acceptedTopic, fleetRequestTopics, rejectedTopic } from '../../../src/contract';
import { cleanup, tempDir } from '../helpers';

const BODY = JSON.stringify({
  // As AWS's fleet template example (and the construct) declare it: the certificate id is a parameter AWS IoT fills.
  Parameters: { 'SerialNumber': { Type: 'String' }, 'Model': { Type: 'String', Default: 'std' }, 'AWS::IoT::Certificate::Id': { Type: 'String' } },
  Mappings: { Sites: { berlin: { Code: 'BER' } } },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: { ThingName: { 'Fn::Join': ['', ['lathe-', { Ref: 'SerialNumber' }]] }, AttributePayload: { Model: { Ref: 'Model' } } },
    },
    certificate: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'Active' } },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'FleetPolicy' } },
  },
  DeviceConfiguration: { site: { 'Fn::FindInMap': ['Sites', 'berlin', 'Code'] } },
});

describe('the fleet provisioning service', () => {
  let dir: string;
  let clock: number;
  let hookCalls: unknown[];
  let service: FleetProvisioning;
  const topics = fleetRequestTopics('lathes');
  const template = (overrides: Partial<ProvisioningTemplateModel> = {}): ProvisioningTemplateModel => ({
    name: 'lathes',
    arn: 'arn:aws:iot:eu-west-1:000000000000:provisioningtemplate/lathes',
    stack: 'S',
    logicalId: 'T',
    path: 'S/P/Lathes/Template',
    enabled: true,
    body: BODY,
    roleArn: 'arn:aws:iam::000000000000:role/R',
    claimPolicies: [],
    ...overrides,
  });

  beforeEach(() => {
    dir = tempDir('provisioning-unit');
    clock = Date.UTC(2026, 0, 1);
    hookCalls = [];
    const model = {
      policies: new Map([['FleetPolicy', { name: 'FleetPolicy', path: 'S/P/Lathes/FleetPolicy', document: parsePolicyDocument({ Version: '2012-10-17', Statement: [] }, 'FleetPolicy') }]]),
      provisioningTemplates: new Map([['lathes', template({ hookArn: 'arn:hook' })], ['off', template({ name: 'off', enabled: false })]]),
    } as unknown as LocalModel;
    service = new FleetProvisioning({
      dataDir: join(dir, 'data'),
      model,
      log: () => undefined,
      now: () => clock,
      invoke: async (_arn, event) => {
        hookCalls.push(event);
        const serial = (event as { parameters: Record<string, string> }).parameters.SerialNumber;
        if (serial === 'THROW') throw new Error('hook crashed');
        return { allowProvisioning: serial !== 'NO', parameterOverrides: { Model: 'from-hook' } };
      },
    });
  });

  afterEach(() => cleanup(dir));

  const ask = async (topic: string, body: unknown, principal = 'claim-a') => {
    const req: ProvisioningRequest = { topic, payload: Buffer.from(body === undefined ? '' : JSON.stringify(body)), clientId: 'c1', principal };
    const answer = (await service.handle(req))!;
    return { topic: answer.topic, body: JSON.parse(answer.payload.toString()) as Record<string, unknown> };
  };

  async function created(principal = 'claim-a'): Promise<Record<string, unknown>> {
    const a = await ask(topics.createCertificate, undefined, principal);
    expect(a.topic).toBe(acceptedTopic(topics.createCertificate));
    return a.body;
  }

  test('GIVEN a created certificate WHEN it is registered within the hour THEN the thing exists, the certificate is ACTIVE with the template\'s policy, and the hook saw AWS\'s event', async () => {
    const c = await created();
    expect(readRecord(join(dir, 'data'), String(c.certificateId))).toMatchObject({ status: 'PENDING_ACTIVATION', thing: '' });
    clock += 59 * 60 * 1000;
    const r = await ask(topics.provision, { certificateOwnershipToken: c.certificateOwnershipToken, parameters: { SerialNumber: 'S1' } });
    expect(r).toEqual({ topic: acceptedTopic(topics.provision), body: { thingName: 'lathe-S1', deviceConfiguration: { site: 'BER' } } });
    expect(readRecord(join(dir, 'data'), String(c.certificateId))).toMatchObject({ status: 'ACTIVE', thing: 'lathe-S1', policies: ['FleetPolicy'] });
    expect(readThing(join(dir, 'data'), 'lathe-S1')).toMatchObject({ attributes: { Model: 'from-hook' }, template: 'lathes' });
    expect(Object.keys(hookCalls[0] as object).sort()).toEqual(['certificateId', 'certificatePem', 'claimCertificateId', 'clientId', 'parameters', 'templateArn']);
    expect(hookCalls[0]).toMatchObject({ claimCertificateId: 'claim-a', certificateId: c.certificateId, clientId: 'c1', parameters: { SerialNumber: 'S1' } });
    // A token is used once.
    expect((await ask(topics.provision, { certificateOwnershipToken: c.certificateOwnershipToken, parameters: { SerialNumber: 'S1' } })).body).toMatchObject({ statusCode: 400 });
  });

  test('GIVEN a token older than an hour WHEN it is presented THEN RegisterThing is rejected as expired', async () => {
    const c = await created();
    clock += 60 * 60 * 1000;
    const r = await ask(topics.provision, { certificateOwnershipToken: c.certificateOwnershipToken, parameters: { SerialNumber: 'S2' } });
    expect(r).toEqual({ topic: rejectedTopic(topics.provision), body: { statusCode: 400, errorCode: 'InvalidRequestException', errorMessage: expect.stringMatching(/expired/) } });
    expect(readThing(join(dir, 'data'), 'lathe-S2')).toBeUndefined();
  });

  test.each([
    ['an unknown template', 'nope', { SerialNumber: 'S3' }, 400, /"nope" does not exist.*lathes/],
    ['a disabled template', 'off', { SerialNumber: 'S3' }, 400, /disabled/],
    ['no SerialNumber', 'lathes', {}, 400, /"SerialNumber"/],
    ['a refusing hook', 'lathes', { SerialNumber: 'NO' }, 401, /refused/],
    ['a failing hook', 'lathes', { SerialNumber: 'THROW' }, 401, /hook failed: hook crashed/],
  ])('GIVEN %s WHEN RegisterThing THEN it is rejected', async (_what, name, parameters, statusCode, message) => {
    const c = await created();
    const topic = fleetRequestTopics(name).provision;
    const r = await ask(topic, { certificateOwnershipToken: c.certificateOwnershipToken, parameters });
    expect(r.topic).toBe(rejectedTopic(topic));
    expect(r.body).toMatchObject({ statusCode, errorMessage: expect.stringMatching(message) });
    expect(readRecord(join(dir, 'data'), String(c.certificateId))).toMatchObject({ status: 'PENDING_ACTIVATION' });
  });

  test('GIVEN a token of another claim certificate WHEN it is presented THEN 401; a CBOR request is rejected saying JSON only', async () => {
    const c = await created('claim-a');
    expect((await ask(topics.provision, { certificateOwnershipToken: c.certificateOwnershipToken, parameters: { SerialNumber: 'S4' } }, 'claim-b')).body)
      .toMatchObject({ statusCode: 401, errorCode: 'UnauthorizedException' });
    const cbor = await ask('$aws/certificates/create/cbor', undefined);
    expect(cbor).toMatchObject({ topic: '$aws/certificates/create/cbor/rejected', body: { statusCode: 400, errorMessage: expect.stringMatching(/JSON only/) } });
    expect(await service.handle({ topic: acceptedTopic(topics.createCertificate), payload: Buffer.alloc(0), clientId: 'c', principal: 'p' })).toBeUndefined();
  });
});

describe('a provisioning template body', () => {
  test('GIVEN Fn::Sub, Fn::Split and Fn::Select WHEN evaluated THEN they give AWS\'s results', () => {
    const body = parseTemplateBody(JSON.stringify({
      Parameters: { SerialNumber: { Type: 'String' }, Site: { Type: 'String' } },
      Resources: {
        thing: {
          Type: 'AWS::IoT::Thing',
          Properties: { ThingName: { 'Fn::Sub': '${Site}_${SerialNumber}' }, AttributePayload: { Line: { 'Fn::Select': [1, { 'Fn::Split': ['-', { Ref: 'SerialNumber' }] }] } } },
        },
      },
    }), 't');
    expect(evaluateTemplate(body, { SerialNumber: 'A-7-x', Site: 'ber' }, 'id')).toMatchObject({ thingName: 'ber_A-7-x', attributes: { Line: '7' }, certificateStatus: 'ACTIVE' });
  });

  test('GIVEN Conditions, an unknown function or a foreign resource type WHEN evaluated THEN the error names it', () => {
    const thing = { Type: 'AWS::IoT::Thing', Properties: { ThingName: 'x' } };
    expect(() => evaluateTemplate(parseTemplateBody(JSON.stringify({ Conditions: {}, Resources: { thing } }), 't'), {}, 'id')).toThrow(/Conditions/);
    expect(() => evaluateTemplate(parseTemplateBody(JSON.stringify({ Resources: { thing: { ...thing, Properties: { ThingName: { 'Fn::GetAtt': ['a', 'b'] } } } } }), 't'), {}, 'id'))
      .toThrow(/Fn::GetAtt is not a function provisioning templates support/);
    expect(() => evaluateTemplate(parseTemplateBody(JSON.stringify({ Resources: { thing, q: { Type: 'AWS::SQS::Queue' } } }), 't'), {}, 'id')).toThrow(TemplateEvaluationError);
    expect(() => parseTemplateBody('{', 't')).toThrow(/not JSON/);
  });
});
