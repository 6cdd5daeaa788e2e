import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  CreateKeysAndCertificateCommand,
  DeleteCertificateCommand,
  DeleteConflictException,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  ResourceNotFoundException,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import {
  DescribeSecretCommand, PutSecretValueCommand, ResourceNotFoundException as SecretNotFoundException, SecretsManagerClient, TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambda/certificate-provider';
import { CERTIFICATE_ID_TAG } from '../../../src/contract';

// ---------------------------------------------------------------------------------------------------------
// Fixtures: a real RSA key pair (PKCS#1 private key, as AWS IoT returns it) and a certificate-shaped PEM whose
// id is, as in AWS IoT, the SHA-256 of its DER body.
// ---------------------------------------------------------------------------------------------------------

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/pipeline-test/5b6d1f10-1c2b-11ef-9d3a-0a1b2c3d4e5f`;
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:PipelineDeviceCertificateSecret-AbCdEf`;
const OTHER_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:PipelineDeviceCertificateSecret2-GhIjKl`;
const THING_NAME = 'PipelineThing6F3A2B1C';

interface FakeCertificate {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  readonly privateKey: string;
  readonly publicKey: string;
}

function fakeCertificate(): FakeCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const der = randomBytes(860);
  const body = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  const certificatePem = `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
  const certificateId = createHash('sha256').update(der).digest('hex');
  return {
    certificateId,
    certificateArn: `arn:aws:iot:${REGION}:${ACCOUNT}:cert/${certificateId}`,
    certificatePem,
    privateKey,
    publicKey,
  };
}

const CERT = fakeCertificate();
const NEW_CERT = fakeCertificate();

function createKeysAndCertificateOutput(cert: FakeCertificate) {
  return {
    certificateId: cert.certificateId,
    certificateArn: cert.certificateArn,
    certificatePem: cert.certificatePem,
    keyPair: { PrivateKey: cert.privateKey, PublicKey: cert.publicKey },
  };
}

function describeOutput(cert: FakeCertificate, status: 'ACTIVE' | 'INACTIVE' | 'REVOKED' = 'ACTIVE') {
  return {
    certificateDescription: {
      certificateId: cert.certificateId,
      certificateArn: cert.certificateArn,
      status,
      certificatePem: cert.certificatePem,
    },
  };
}

function notFound(message = 'The specified resource does not exist'): ResourceNotFoundException {
  return new ResourceNotFoundException({ message, $metadata: { httpStatusCode: 404 } });
}

const common = {
  ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:pipeline-test-CertificateProviderframeworkonEvent-1A2B3C4D`,
  ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/presigned',
  StackId: STACK_ID,
  RequestId: '8f1b7c2e-6a4d-4c1e-9b3f-2d5e7a9c0b1d',
  LogicalResourceId: 'PipelineDeviceCertificateResource0A1B2C3D',
  ResourceType: 'Custom::IotDeviceCertificate',
};

/** The response that names `cert`: its id as the physical id, its id and ARN as Data. */
function responseFor(cert: FakeCertificate) {
  return { PhysicalResourceId: cert.certificateId, Data: { CertificateId: cert.certificateId, CertificateArn: cert.certificateArn } };
}

function properties(secretArn: string = SECRET_ARN) {
  return { ServiceToken: common.ServiceToken, SecretArn: secretArn, ThingName: THING_NAME };
}

function createEvent(): CloudFormationCustomResourceCreateEvent {
  return { ...common, RequestType: 'Create', ResourceProperties: properties() };
}

function updateEvent(physicalResourceId: string, oldSecretArn: string, newSecretArn: string): CloudFormationCustomResourceUpdateEvent {
  return {
    ...common,
    RequestType: 'Update',
    PhysicalResourceId: physicalResourceId,
    ResourceProperties: properties(newSecretArn),
    OldResourceProperties: properties(oldSecretArn),
  };
}

function deleteEvent(physicalResourceId: string, secretArn: string = SECRET_ARN): CloudFormationCustomResourceDeleteEvent {
  return { ...common, RequestType: 'Delete', PhysicalResourceId: physicalResourceId, ResourceProperties: properties(secretArn) };
}

// ---------------------------------------------------------------------------------------------------------

const iotMock = mockClient(IoTClient);
const secretsMock = mockClient(SecretsManagerClient);
let logged: string[];

/** The secret is tagged as holding this certificate's key (what the provider writes after storing it). */
function secretHolds(cert: FakeCertificate | undefined, secretArn: string = SECRET_ARN) {
  secretsMock.on(DescribeSecretCommand, { SecretId: secretArn }).resolves({
    ARN: secretArn,
    Tags: cert ? [{ Key: 'aws:cloudformation:stack-id', Value: STACK_ID }, { Key: CERTIFICATE_ID_TAG, Value: cert.certificateId }] : [],
  });
}

/** Command names of every IoT call, in call order. */
function iotCallNames(): string[] {
  return iotMock.calls().map((call) => (call.args[0] as object).constructor.name);
}

function inputsOf<T extends object>(command: new (input: never) => { input: T }): T[] {
  return iotMock.commandCalls(command as never).map((call) => call.args[0].input as T);
}

beforeEach(() => {
  iotMock.reset();
  secretsMock.reset();
  logged = [];
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    // The provider logs one object per event (structured under Lambda's JSON log format); keep it as JSON text.
    logged.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  jest.useRealTimers();
});

/** The base64 body of a PEM, without its armour and line breaks. */
function pemBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, '');
}

/** Text must contain no fragment of the key material: any leak of 40+ characters covers an aligned 24-character chunk. */
function expectNoKeyMaterialIn(text: string, certs: FakeCertificate[]) {
  expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|PUBLIC KEY/);
  const flat = text.replace(/\\n|\s/g, '');
  for (const cert of certs) {
    for (const body of [pemBody(cert.privateKey), pemBody(cert.certificatePem), pemBody(cert.publicKey)]) {
      for (let i = 0; i + 24 <= body.length; i += 16) {
        const chunk = body.slice(i, i + 24);
        if (flat.includes(chunk)) throw new Error(`key material leaked: ${chunk}`);
      }
    }
  }
}

/** Key material must never reach a log line; every event is logged as an object (structured JSON in Lambda). */
function expectNoKeyMaterialLogged(...certs: FakeCertificate[]) {
  expect(logged.length).toBeGreaterThan(0);
  expectNoKeyMaterialIn(logged.join('\n'), certs);
  const calls = (console.log as jest.Mock).mock.calls as unknown[][];
  expect(calls.every(([first]) => typeof first === 'object' && first !== null && (first as { source?: string }).source === 'certificate-provider')).toBe(true);
}

describe('Create', () => {
  test('stores every field in the secret and returns only the ids', async () => {
    // GIVEN
    iotMock.on(CreateKeysAndCertificateCommand).resolves(createKeysAndCertificateOutput(CERT));
    secretsMock.on(PutSecretValueCommand).resolves({ ARN: SECRET_ARN, VersionId: 'a1b2c3d4-0000-4000-8000-000000000001' });

    // WHEN
    const response = await handler(createEvent());

    // THEN the certificate is created active
    expect(inputsOf(CreateKeysAndCertificateCommand)).toEqual([{ setAsActive: true }]);
    // AND the secret holds every field
    const puts = secretsMock.commandCalls(PutSecretValueCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0].args[0].input.SecretId).toBe(SECRET_ARN);
    expect(JSON.parse(puts[0].args[0].input.SecretString!)).toEqual({
      certificateId: CERT.certificateId,
      certificateArn: CERT.certificateArn,
      certificatePem: CERT.certificatePem,
      privateKey: CERT.privateKey,
      publicKey: CERT.publicKey,
    });
    // AND the secret is tagged with the certificate id, after the key material is stored
    expect(secretsMock.commandCalls(TagResourceCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: SECRET_ARN, Tags: [{ Key: CERTIFICATE_ID_TAG, Value: CERT.certificateId }] },
    ]);
    expect(secretsMock.calls().map((call) => (call.args[0] as object).constructor.name)).toEqual(['PutSecretValueCommand', 'TagResourceCommand']);
    // AND the response carries the ids and nothing else
    expect(response).toEqual(responseFor(CERT));
    const serialized = JSON.stringify(response);
    expect(serialized).not.toContain('PRIVATE KEY');
    expect(serialized).not.toContain('CERTIFICATE');
    expect(serialized).not.toContain('PUBLIC KEY');
    expect(Buffer.byteLength(serialized, 'utf8')).toBeLessThan(4096);
    expectNoKeyMaterialIn(serialized, [CERT]);
    // AND nothing secret was logged, while the request type, id and thing name were
    expectNoKeyMaterialLogged(CERT);
    const entries = logged.map((line) => JSON.parse(line));
    expect(entries).toContainEqual(expect.objectContaining({ requestType: 'Create', certificateId: CERT.certificateId, thingName: THING_NAME }));
  });

  test('rolls the certificate back and rejects when the secret cannot be written', async () => {
    // GIVEN
    iotMock.on(CreateKeysAndCertificateCommand).resolves(createKeysAndCertificateOutput(CERT));
    iotMock.on(UpdateCertificateCommand).resolves({});
    iotMock.on(DeleteCertificateCommand).resolves({});
    secretsMock.on(PutSecretValueCommand).rejects(
      new SecretNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: { httpStatusCode: 400 } }),
    );

    // WHEN
    const result = handler(createEvent());

    // THEN
    await expect(result).rejects.toThrow(
      new RegExp(`Failed to store .* certificate ${CERT.certificateId} in secret ${SECRET_ARN.replace(/[-:]/g, '.')} \\(ResourceNotFoundException.*deactivated and deleted`),
    );
    expect(iotCallNames()).toEqual(['CreateKeysAndCertificateCommand', 'UpdateCertificateCommand', 'DeleteCertificateCommand']);
    expect(inputsOf(UpdateCertificateCommand)).toEqual([{ certificateId: CERT.certificateId, newStatus: 'INACTIVE' }]);
    expect(inputsOf(DeleteCertificateCommand)).toEqual([{ certificateId: CERT.certificateId, forceDelete: false }]);
    const error = await result.catch((e: Error) => e);
    expectNoKeyMaterialIn(`${String(error)}\n${(error as Error).stack}`, [CERT]);
    expectNoKeyMaterialLogged(CERT);
  });

  test('rolls the certificate back when the secret cannot be tagged (an untagged certificate could never be deleted)', async () => {
    // GIVEN
    iotMock.on(CreateKeysAndCertificateCommand).resolves(createKeysAndCertificateOutput(CERT));
    iotMock.on(UpdateCertificateCommand).resolves({});
    iotMock.on(DeleteCertificateCommand).resolves({});
    secretsMock.on(PutSecretValueCommand).resolves({ ARN: SECRET_ARN });
    secretsMock.on(TagResourceCommand).rejects(Object.assign(new Error('not authorized to perform: secretsmanager:TagResource'), { name: 'AccessDeniedException' }));

    // WHEN / THEN
    await expect(handler(createEvent())).rejects.toThrow(/AccessDeniedException.*deactivated and deleted/);
    expect(iotCallNames()).toEqual(['CreateKeysAndCertificateCommand', 'UpdateCertificateCommand', 'DeleteCertificateCommand']);
  });

  test('says so when the rollback fails too', async () => {
    // GIVEN
    iotMock.on(CreateKeysAndCertificateCommand).resolves(createKeysAndCertificateOutput(CERT));
    iotMock.on(UpdateCertificateCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    secretsMock.on(PutSecretValueCommand).rejects(Object.assign(new Error('Access denied'), { name: 'AccessDeniedException' }));

    // WHEN / THEN
    await expect(handler(createEvent())).rejects.toThrow(/AccessDeniedException.*may still exist and must be deleted manually/);
  });

  test('rejects without calling IoT when SecretArn is missing', async () => {
    // GIVEN
    const event = createEvent();
    delete (event.ResourceProperties as Record<string, unknown>).SecretArn;

    // WHEN / THEN
    await expect(handler(event)).rejects.toThrow(/SecretArn is required/);
    expect(iotMock.calls()).toHaveLength(0);
  });
});

describe('Update', () => {
  test('keeps the physical id and Data when SecretArn is unchanged', async () => {
    // GIVEN
    secretHolds(CERT);
    iotMock.on(DescribeCertificateCommand, { certificateId: CERT.certificateId }).resolves(describeOutput(CERT));

    // WHEN
    const response = await handler(updateEvent(CERT.certificateId, SECRET_ARN, SECRET_ARN));

    // THEN
    expect(response).toEqual(responseFor(CERT));
    expect(iotMock.commandCalls(CreateKeysAndCertificateCommand)).toHaveLength(0);
    // Only the secret's tags were read: never its value, nothing written.
    expect(secretsMock.calls().map((call) => (call.args[0] as object).constructor.name)).toEqual(['DescribeSecretCommand']);
    expect(JSON.stringify(response)).not.toContain('CERTIFICATE');
  });

  test('creates a new certificate in the new secret when SecretArn changes', async () => {
    // GIVEN a new, untagged secret
    secretHolds(undefined, OTHER_SECRET_ARN);
    iotMock.on(CreateKeysAndCertificateCommand).resolves(createKeysAndCertificateOutput(NEW_CERT));
    secretsMock.on(PutSecretValueCommand).resolves({ ARN: OTHER_SECRET_ARN });

    // WHEN
    const response = await handler(updateEvent(CERT.certificateId, SECRET_ARN, OTHER_SECRET_ARN));

    // THEN a new physical id tells CloudFormation to delete the old certificate afterwards
    expect(response).toEqual(responseFor(NEW_CERT));
    expect(response.PhysicalResourceId).not.toBe(CERT.certificateId);
    expect(iotCallNames()).toEqual(['CreateKeysAndCertificateCommand']);
    const puts = secretsMock.commandCalls(PutSecretValueCommand);
    expect(puts.map((call) => call.args[0].input.SecretId)).toEqual([OTHER_SECRET_ARN]);
    expect(JSON.parse(puts[0].args[0].input.SecretString!).privateKey).toBe(NEW_CERT.privateKey);
    expect(secretsMock.commandCalls(TagResourceCommand)[0].args[0].input).toEqual({
      SecretId: OTHER_SECRET_ARN,
      Tags: [{ Key: CERTIFICATE_ID_TAG, Value: NEW_CERT.certificateId }],
    });
    expectNoKeyMaterialLogged(CERT, NEW_CERT);
  });

  test('on the rollback of a SecretArn change, returns the certificate the previous secret still holds: no new certificate, no orphan', async () => {
    // GIVEN the update moved CERT (SECRET_ARN) to NEW_CERT (OTHER_SECRET_ARN) and failed later; CloudFormation rolls
    // back: physical id NEW_CERT, properties back to SECRET_ARN
    secretHolds(CERT, SECRET_ARN);
    secretHolds(NEW_CERT, OTHER_SECRET_ARN);
    iotMock.on(DescribeCertificateCommand, { certificateId: CERT.certificateId }).resolves(describeOutput(CERT));

    // WHEN
    const response = await handler(updateEvent(NEW_CERT.certificateId, OTHER_SECRET_ARN, SECRET_ARN));

    // THEN the previous certificate is back: CloudFormation's cleanup then deletes NEW_CERT (named by its own secret)
    expect(response).toEqual(responseFor(CERT));
    expect(iotMock.commandCalls(CreateKeysAndCertificateCommand)).toHaveLength(0);
    expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);

    // AND the cleanup's Delete of NEW_CERT (with the failed update's properties) deletes it
    iotMock.on(DescribeCertificateCommand, { certificateId: NEW_CERT.certificateId }).resolves(describeOutput(NEW_CERT));
    iotMock.on(ListPrincipalThingsCommand).resolves({ things: [] });
    iotMock.on(ListAttachedPoliciesCommand).resolves({ policies: [] });
    iotMock.on(UpdateCertificateCommand).resolves({});
    iotMock.on(DeleteCertificateCommand).resolves({});
    await handler(deleteEvent(NEW_CERT.certificateId, OTHER_SECRET_ARN));
    expect(inputsOf(DeleteCertificateCommand)).toEqual([{ certificateId: NEW_CERT.certificateId, forceDelete: false }]);
  });

  test('replaces a certificate that was deleted outside CloudFormation', async () => {
    // GIVEN
    secretHolds(CERT);
    iotMock.on(DescribeCertificateCommand).rejects(notFound());
    iotMock.on(CreateKeysAndCertificateCommand).resolves(createKeysAndCertificateOutput(NEW_CERT));
    secretsMock.on(PutSecretValueCommand).resolves({ ARN: SECRET_ARN });

    // WHEN
    const response = await handler(updateEvent(CERT.certificateId, SECRET_ARN, SECRET_ARN));

    // THEN
    expect(response.PhysicalResourceId).toBe(NEW_CERT.certificateId);
    expect(secretsMock.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretId).toBe(SECRET_ARN);
  });
});

describe('Delete', () => {
  beforeEach(() => secretHolds(CERT));

  test('acts on no certificate that the request\'s secret does not name: a crafted Delete with another certificate id changes nothing', async () => {
    // GIVEN the secret names CERT; the request names NEW_CERT (someone else's certificate)
    iotMock.on(DescribeCertificateCommand).resolves(describeOutput(NEW_CERT));

    // WHEN
    const response = await handler(deleteEvent(NEW_CERT.certificateId));

    // THEN
    expect(response).toEqual({ PhysicalResourceId: NEW_CERT.certificateId });
    expect(iotMock.calls()).toHaveLength(0);
    expect(logged.map((line) => JSON.parse(line).message)).toContain('the secret does not name this certificate (not created here for this secret): certificate left in place');
  });

  test('acts on nothing when the secret is untagged or cannot be read', async () => {
    // GIVEN an untagged secret, then one the role may not describe
    secretHolds(undefined);
    await expect(handler(deleteEvent(CERT.certificateId))).resolves.toEqual({ PhysicalResourceId: CERT.certificateId });
    secretsMock.on(DescribeSecretCommand).rejects(Object.assign(new Error('not authorized to perform: secretsmanager:DescribeSecret'), { name: 'AccessDeniedException' }));
    await expect(handler(deleteEvent(CERT.certificateId, OTHER_SECRET_ARN))).resolves.toEqual({ PhysicalResourceId: CERT.certificateId });

    // THEN
    expect(iotMock.calls()).toHaveLength(0);
  });

  test('detaches every thing and policy across pages, then deactivates, then deletes', async () => {
    // GIVEN two pages of things and two pages of policies
    iotMock.on(DescribeCertificateCommand).resolves(describeOutput(CERT));
    iotMock.on(ListPrincipalThingsCommand).callsFake((input: { principal: string; nextToken?: string }) => {
      if (input.principal !== CERT.certificateArn) throw new Error(`unexpected principal ${input.principal}`);
      if (input.nextToken === undefined) return { things: ['thing-a', 'thing-b'], nextToken: 'things-page-2' };
      if (input.nextToken === 'things-page-2') return { things: ['thing-c'] };
      throw new Error(`unexpected nextToken ${input.nextToken}`);
    });
    iotMock.on(ListAttachedPoliciesCommand).callsFake((input: { target: string; marker?: string }) => {
      if (input.target !== CERT.certificateArn) throw new Error(`unexpected target ${input.target}`);
      if (input.marker === undefined) {
        return {
          policies: [{ policyName: 'policy-1', policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/policy-1` }],
          nextMarker: 'policies-page-2',
        };
      }
      if (input.marker === 'policies-page-2') {
        return {
          policies: [
            { policyName: 'policy-2', policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/policy-2` },
            { policyName: 'policy-3', policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/policy-3` },
          ],
        };
      }
      throw new Error(`unexpected marker ${input.marker}`);
    });
    iotMock.on(DetachThingPrincipalCommand).resolves({});
    iotMock.on(DetachPolicyCommand).resolves({});
    iotMock.on(UpdateCertificateCommand).resolves({});
    iotMock.on(DeleteCertificateCommand).resolves({});

    // WHEN
    const response = await handler(deleteEvent(CERT.certificateId));

    // THEN
    expect(response).toEqual({ PhysicalResourceId: CERT.certificateId });
    expect(inputsOf(DetachThingPrincipalCommand)).toEqual(['thing-a', 'thing-b', 'thing-c'].map(
      (thingName) => ({ thingName, principal: CERT.certificateArn }),
    ));
    expect(inputsOf(DetachPolicyCommand)).toEqual(['policy-1', 'policy-2', 'policy-3'].map(
      (policyName) => ({ policyName, target: CERT.certificateArn }),
    ));
    expect(inputsOf(UpdateCertificateCommand)).toEqual([{ certificateId: CERT.certificateId, newStatus: 'INACTIVE' }]);
    expect(inputsOf(DeleteCertificateCommand)).toEqual([{ certificateId: CERT.certificateId, forceDelete: false }]);
    // AND every detach happens before the certificate is deactivated, which happens before it is deleted
    const names = iotCallNames();
    const lastDetach = Math.max(names.lastIndexOf('DetachThingPrincipalCommand'), names.lastIndexOf('DetachPolicyCommand'));
    expect(lastDetach).toBeLessThan(names.indexOf('UpdateCertificateCommand'));
    expect(names.indexOf('UpdateCertificateCommand')).toBeLessThan(names.indexOf('DeleteCertificateCommand'));
    expect(names[names.length - 1]).toBe('DeleteCertificateCommand');
    expect(names.filter((n) => n === 'ListPrincipalThingsCommand')).toHaveLength(2);
    expect(names.filter((n) => n === 'ListAttachedPoliciesCommand')).toHaveLength(2);
  });

  test('resolves for a certificate that is already deleted', async () => {
    // GIVEN
    iotMock.on(DescribeCertificateCommand).rejects(notFound());

    // WHEN
    const response = await handler(deleteEvent(CERT.certificateId));

    // THEN
    expect(response).toEqual({ PhysicalResourceId: CERT.certificateId });
    expect(iotCallNames()).toEqual(['DescribeCertificateCommand']);
  });

  test('tolerates things, policies or the certificate vanishing half-way', async () => {
    // GIVEN
    iotMock.on(DescribeCertificateCommand).resolves(describeOutput(CERT));
    iotMock.on(ListPrincipalThingsCommand).resolves({ things: ['thing-a'] });
    iotMock.on(ListAttachedPoliciesCommand).resolves({ policies: [{ policyName: 'policy-1' }] });
    iotMock.on(DetachThingPrincipalCommand).rejects(notFound());
    iotMock.on(DetachPolicyCommand).rejects(notFound());
    iotMock.on(UpdateCertificateCommand).rejects(notFound());
    iotMock.on(DeleteCertificateCommand).rejects(notFound());

    // WHEN / THEN
    await expect(handler(deleteEvent(CERT.certificateId))).resolves.toEqual({ PhysicalResourceId: CERT.certificateId });
    expect(iotMock.commandCalls(DeleteCertificateCommand)).toHaveLength(1);
  });

  test('makes no IoT call when the physical id is not a certificate id (failed Create)', async () => {
    // WHEN
    const response = await handler(deleteEvent(common.RequestId));

    // THEN
    expect(response).toEqual({ PhysicalResourceId: common.RequestId });
    expect(iotMock.calls()).toHaveLength(0);
    expect(secretsMock.calls()).toHaveLength(0);
  });

  test('does not try to deactivate a revoked certificate', async () => {
    // GIVEN
    iotMock.on(DescribeCertificateCommand).resolves(describeOutput(CERT, 'REVOKED'));
    iotMock.on(ListPrincipalThingsCommand).resolves({ things: [] });
    iotMock.on(ListAttachedPoliciesCommand).resolves({ policies: [] });
    iotMock.on(DeleteCertificateCommand).resolves({});

    // WHEN
    await handler(deleteEvent(CERT.certificateId));

    // THEN
    expect(iotMock.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(iotMock.commandCalls(DeleteCertificateCommand)).toHaveLength(1);
  });

  test('retries the delete while a detachment is still propagating', async () => {
    // GIVEN DeleteCertificate conflicts twice, then succeeds
    jest.useFakeTimers();
    const conflict = () => new DeleteConflictException({ message: 'Certificate has attached principals', $metadata: { httpStatusCode: 409 } });
    iotMock.on(DescribeCertificateCommand).resolves(describeOutput(CERT));
    iotMock.on(ListPrincipalThingsCommand).resolves({ things: ['thing-a'] });
    iotMock.on(ListAttachedPoliciesCommand).resolves({ policies: [] });
    iotMock.on(DetachThingPrincipalCommand).resolves({});
    iotMock.on(UpdateCertificateCommand).resolves({});
    iotMock.on(DeleteCertificateCommand).rejectsOnce(conflict()).rejectsOnce(conflict()).resolves({});

    // WHEN
    const result = handler(deleteEvent(CERT.certificateId));
    await jest.advanceTimersByTimeAsync(1_000 + 2_000);

    // THEN
    await expect(result).resolves.toEqual({ PhysicalResourceId: CERT.certificateId });
    expect(iotMock.commandCalls(DeleteCertificateCommand)).toHaveLength(3);
  });

  test('gives up on a certificate that stays attached', async () => {
    // GIVEN
    jest.useFakeTimers();
    iotMock.on(DescribeCertificateCommand).resolves(describeOutput(CERT, 'INACTIVE'));
    iotMock.on(ListPrincipalThingsCommand).resolves({});
    iotMock.on(ListAttachedPoliciesCommand).resolves({});
    iotMock.on(DeleteCertificateCommand).rejects(
      new DeleteConflictException({ message: 'Certificate has attached principals', $metadata: { httpStatusCode: 409 } }),
    );

    // WHEN
    const result = handler(deleteEvent(CERT.certificateId));
    const assertion = expect(result).rejects.toThrow(/attached principals/);
    await jest.advanceTimersByTimeAsync(60_000);

    // THEN
    await assertion;
    expect(iotMock.commandCalls(DeleteCertificateCommand)).toHaveLength(6);
    expect(iotMock.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
  });
});
