import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CloudFormationClient, DescribeStacksCommand, Output } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { makePki, Pki } from './support';
import { AwsClients } from '../../cli/aws';
import { CliError, UsageError } from '../../cli/errors';
import {
  explainConnectError, parseEndpoint, percentile, PublishCommandOptions, resolvePublishSettings, summarizeLatencies,
} from '../../cli/publish';

// The SDK's notice about future Node.js versions is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

describe('latency statistics', () => {
  test.each([
    [[5], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100, 10],
    [[10, 20, 30], 0, 10],
  ])('GIVEN sorted %j THEN the nearest-rank p%s is %s', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  test('GIVEN unsorted latencies THEN the summary sorts first', () => {
    // GIVEN 1..100 shuffled deterministically
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    // WHEN
    const s = summarizeLatencies(values);
    // THEN
    expect(s).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  test('GIVEN no latencies THEN no summary', () => {
    expect(summarizeLatencies([])).toBeUndefined();
  });
});

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

describe('explainConnectError', () => {
  const s = { host: 'abc-ats.iot.eu-west-1.amazonaws.com', port: 8883, clientId: 'dev-1', stackName: 'Telemetry' };
  const err = (message: string, code?: string | number) => Object.assign(new Error(message), code === undefined ? {} : { code });
  test.each([
    ['refused', err('connect ECONNREFUSED', 'ECONNREFUSED'), 'nothing listens there'],
    ['unknown host', err('getaddrinfo ENOTFOUND', 'ENOTFOUND'), 'Cannot resolve abc-ats.iot.eu-west-1.amazonaws.com'],
    ['untrusted server, no --ca', err('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), 'Without --ca, Node.js\'s default trust store is used'],
    ['wrong host name', err('Hostname/IP does not match', 'ERR_TLS_CERT_ALTNAME_INVALID'), 'does not fit abc-ats.iot.eu-west-1.amazonaws.com'],
    ['client certificate refused', err('C0:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:rec_layer_s3.c:1601:SSL alert number 48\n', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'),
      'refused the TLS connection with this client certificate (TLS alert "unknown ca")'],
    ['reset during handshake', err('read ECONNRESET', 'ECONNRESET'), 'run `cdk-iot-pipeline doctor --stack Telemetry`'],
    ['CONNACK refusal', err('Connection refused: Not authorized', 5), 'CONNACK code 5'],
  ])('GIVEN %s THEN the message says %j', (_name, e, text) => {
    // WHEN
    const explained = explainConnectError(e, s);
    // THEN
    expect(explained).toBeInstanceOf(CliError);
    expect(explained.message).toContain(text);
  });

  test('GIVEN an untrusted server and --ca THEN the message points at --ca', () => {
    expect(explainConnectError(err('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), { ...s, ca: 'x' }).message)
      .toContain('Check that --ca holds the CA that issued the broker\'s certificate');
  });
});

describe('resolvePublishSettings', () => {
  let pki: Pki;
  let dir: string;
  const cfn = mockClient(CloudFormationClient);
  const sm = mockClient(SecretsManagerClient);
  const clients = () => new AwsClients({ region: 'eu-west-1' });
  const base: PublishCommandOptions = { count: 3, rate: 10, qos: 1, mqttVersion: 4, connectTimeoutMs: 1000, ackTimeoutMs: 1000 };
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

  test.each<[string, Partial<PublishCommandOptions>, string]>([
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

  test('GIVEN a stack that does not exist THEN the error says to check --stack and --region', async () => {
    // GIVEN
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    // WHEN / THEN
    await expect(resolvePublishSettings({ ...base, stack: 'Nope' }, clients)).rejects.toThrow('Stack Nope does not exist (in this account/Region). Check --stack and --region.');
  });
});
