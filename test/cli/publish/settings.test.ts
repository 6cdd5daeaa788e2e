import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CloudFormationClient, DescribeStacksCommand, Output } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClients } from '../../../cli/aws/clients';
import { UsageError } from '../../../cli/errors';
import { parseEndpoint, PublishOptions, resolvePublishSettings } from '../../../cli/publish/settings';
import { makePki, Pki } from '../support';

// The SDK's notice about future Node.js versions is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

describe('parseEndpoint', () => {
  test.each([
    ['abc-ats.iot.eu-west-1.amazonaws.com', 'abc-ats.iot.eu-west-1.amazonaws.com', 8883],
    ['abc-ats.iot.eu-west-1.amazonaws.com:443', 'abc-ats.iot.eu-west-1.amazonaws.com', 443],
    ['mqtts://127.0.0.1:1883/', '127.0.0.1', 1883],
    ['[::1]:8884', '::1', 8884],
  ])('GIVEN %j THEN host %j port %s', (text, host, port) => {
    expect(parseEndpoint(text)).toEqual({ host, port });
  });

  test.each([['host:99999'], ['host:x'], [':8883']])('GIVEN %j THEN a usage error', (text) => {
    expect(() => parseEndpoint(text)).toThrow(UsageError);
  });
});

describe('resolvePublishSettings', () => {
  let pki: Pki;
  let dir: string;
  const cfn = mockClient(CloudFormationClient);
  const sm = mockClient(SecretsManagerClient);
  const clients = () => new AwsClients({ region: 'eu-west-1' });
  const base: PublishOptions = { count: 3, rate: 10, qos: 1, mqttVersion: 4, connectTimeoutMs: 1000, ackTimeoutMs: 1000 };
  const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cert-AbCdEf';
  const outputs = (publishTopic = 'iot-test-topic'): Output[] => [
    { OutputKey: 'IotDataAtsEndpoint', OutputValue: 'abc-ats.iot.eu-west-1.amazonaws.com' },
    { OutputKey: 'PipelineThingNameOutput5D9ECC65', OutputValue: 'thing-1' },
    { OutputKey: 'PipelineTopicOutputD048B660', OutputValue: 'iot-test-topic' },
    { OutputKey: 'PipelinePublishTopicOutput99BC16B2', OutputValue: publishTopic },
    { OutputKey: 'PipelineCertificateSecretArnOutput7A8CDF55', OutputValue: SECRET_ARN },
  ];
  const stack = (o: Output[]) => ({ Stacks: [{ StackName: 'Telemetry', StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Telemetry/x', StackStatus: 'CREATE_COMPLETE' as const, CreationTime: new Date(0), Outputs: o }] });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-publish-'));
    pki = makePki(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    cfn.reset();
    sm.reset();
  });

  test('GIVEN --stack WHEN resolved THEN endpoint, client id, topic and the certificate come from the outputs and the secret', async () => {
    // GIVEN
    cfn.on(DescribeStacksCommand, { StackName: 'Telemetry' }).resolves(stack(outputs()));
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      SecretString: JSON.stringify({ certificateId: 'c', certificateArn: 'a', certificatePem: readFileSync(pki.clientCert, 'utf8'), privateKey: readFileSync(pki.clientKey, 'utf8'), publicKey: 'p' }),
    });
    // WHEN
    const s = await resolvePublishSettings({ ...base, stack: 'Telemetry' }, clients);
    // THEN
    expect(s).toMatchObject({ host: 'abc-ats.iot.eu-west-1.amazonaws.com', port: 8883, clientId: 'thing-1', topic: 'iot-test-topic/thing-1', ca: undefined });
    expect(s.cert).toBe(readFileSync(pki.clientCert, 'utf8'));
    expect(s.key).toBe(readFileSync(pki.clientKey, 'utf8'));
  });

  test('GIVEN a Basic Ingest pipeline WHEN resolved THEN the topic is under $aws/rules/<rule>/', async () => {
    // GIVEN
    cfn.on(DescribeStacksCommand).resolves(stack(outputs('$aws/rules/Rule_1/iot-test-topic')));
    // WHEN
    const s = await resolvePublishSettings({ ...base, stack: 'Telemetry', cert: pki.clientCert, key: pki.clientKey }, clients);
    // THEN
    expect(s.topic).toBe('$aws/rules/Rule_1/iot-test-topic/thing-1');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  test('GIVEN --stack and explicit options WHEN resolved THEN the options win', async () => {
    // GIVEN
    cfn.on(DescribeStacksCommand).resolves(stack(outputs()));
    // WHEN
    const s = await resolvePublishSettings({
      ...base, stack: 'Telemetry', endpoint: '127.0.0.1:1883', clientId: 'other', topic: 'a/b', cert: pki.clientCert, key: pki.clientKey, ca: pki.caCert,
    }, clients);
    // THEN
    expect(s).toMatchObject({ host: '127.0.0.1', port: 1883, clientId: 'other', topic: 'a/b', ca: readFileSync(pki.caCert, 'utf8') });
  });

  test('GIVEN a template that is not JSON WHEN resolved THEN a usage error comes before any AWS call', async () => {
    // WHEN / THEN
    await expect(resolvePublishSettings({ ...base, stack: 'Telemetry', template: '{"at": {{iso}}}' }, clients)).rejects.toThrow(UsageError);
    expect(cfn.calls()).toHaveLength(0);
  });

  test.each<[string, Partial<PublishOptions>, string]>([
    ['no certificate', { endpoint: 'h', clientId: 'c', topic: 't' }, 'No client certificate: pass --cert and --key, or --secret-id'],
    ['--cert without --key', { endpoint: 'h', clientId: 'c', topic: 't', cert: 'x' }, 'Give both --cert and --key'],
    ['no endpoint', { clientId: 'c', topic: 't' }, 'No endpoint: pass --endpoint host[:port]'],
    ['no client id', { endpoint: 'h', topic: 't' }, 'No client id: pass --client-id'],
    ['no topic', { endpoint: 'h', clientId: 'c' }, 'No topic: pass --topic'],
    ['wildcard topic', { endpoint: 'h', clientId: 'c', topic: 'a/+' }, 'contains a wildcard'],
    ['unreadable cert file', { endpoint: 'h', clientId: 'c', topic: 't', cert: '/nonexistent/c.pem', key: '/nonexistent/k.pem' }, 'Cannot read --cert file /nonexistent/c.pem: ENOENT'],
    ['template and template file', { template: '{}', templateFile: 'x' }, 'Give --template or --template-file, not both'],
  ])('GIVEN %s WHEN resolved THEN a usage error says %j', async (_name, options, message) => {
    // WHEN / THEN
    const p = resolvePublishSettings({ ...base, ...options }, clients);
    await expect(p).rejects.toThrow(UsageError);
    await expect(p).rejects.toThrow(message);
  });

  test('GIVEN a certificate and a key that do not belong together THEN a usage error says so', async () => {
    // WHEN / THEN
    await expect(resolvePublishSettings({ ...base, endpoint: 'h', clientId: 'c', topic: 't', cert: pki.clientCert, key: pki.rogueKey }, clients))
      .rejects.toThrow('The client certificate and private key do not fit together');
  });

  test('GIVEN a secret that is not a generated-certificate secret THEN the error names the expected fields', async () => {
    // GIVEN
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"username": "x"}' });
    // WHEN / THEN
    await expect(resolvePublishSettings({ ...base, endpoint: 'h', clientId: 'c', topic: 't', secretId: 's' }, clients))
      .rejects.toThrow('Secret s has no certificatePem/privateKey fields');
  });

  test('GIVEN a secret whose JSON is not an object THEN the error names the expected fields (no TypeError)', async () => {
    // GIVEN
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'null' });
    // WHEN / THEN
    await expect(resolvePublishSettings({ ...base, endpoint: 'h', clientId: 'c', topic: 't', secretId: 's' }, clients))
      .rejects.toThrow('Secret s has no certificatePem/privateKey fields');
  });

  test('GIVEN a stack that does not exist THEN the error says to check --stack and --region', async () => {
    // GIVEN
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    // WHEN / THEN
    await expect(resolvePublishSettings({ ...base, stack: 'Nope' }, clients)).rejects.toThrow('Stack Nope does not exist (in this account/Region). Check --stack and --region.');
  });
});
