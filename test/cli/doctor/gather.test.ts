import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { DescribeCertificateCommand, DescribeThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClients } from '../../../cli/aws/clients';
import { gatherFacts } from '../../../cli/doctor/gather';
import { CERTIFICATE_ID_TAG } from '../../../src/contract';

const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Telemetry/5b6d1f10-1c2b-11ef-9d3a-0a1b2c3d4e5f';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:PipelineDeviceCertificateSecret-AbCdEf';
const CERTIFICATE_ID = 'c'.repeat(64);

const cfn = mockClient(CloudFormationClient);
const iot = mockClient(IoTClient);
const sm = mockClient(SecretsManagerClient);
// Everything else answers nothing: the doctor records those reads as failed facts.
const others = [mockClient(FirehoseClient), mockClient(CloudWatchClient), mockClient(CloudWatchLogsClient), mockClient(S3Client)];

beforeEach(() => {
  for (const mock of [cfn, iot, sm, ...others]) mock.reset();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [{
      StackName: 'Telemetry',
      StackId: STACK_ID,
      StackStatus: 'CREATE_COMPLETE',
      CreationTime: new Date(0),
      Outputs: [
        { OutputKey: 'PipelineThingNameOutput12345678', OutputValue: 'sensor-1', Description: 'Thing name = MQTT client id' },
        { OutputKey: 'PipelineTopicOutput12345678', OutputValue: 'iot-test-topic' },
        { OutputKey: 'PipelineCertificateSecretArnOutput12345678', OutputValue: SECRET_ARN },
      ],
    }],
  });
  // No certificate among the stack's resources (as when ListStackResources is denied): the secret is the next source.
  cfn.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
  iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateId: CERTIFICATE_ID, status: 'ACTIVE' } });
});

describe('doctor: the generated certificate', () => {
  test('GIVEN a generated certificate\'s secret WHEN the doctor gathers facts THEN it learns the id from the secret\'s tag and never reads the secret\'s value', async () => {
    // GIVEN
    sm.on(DescribeSecretCommand, { SecretId: SECRET_ARN }).resolves({ ARN: SECRET_ARN, Tags: [{ Key: CERTIFICATE_ID_TAG, Value: CERTIFICATE_ID }] });
    sm.on(GetSecretValueCommand).rejects(new Error('the doctor must not read the private key'));
    // WHEN
    const facts = await gatherFacts(new AwsClients({ region: 'eu-west-1' }), { stack: 'Telemetry', windowMinutes: 15, now: new Date(3_600_000) });
    // THEN
    expect(facts.certificate).toMatchObject({ source: 'certificate secret', id: CERTIFICATE_ID, read: { ok: true, value: { status: 'ACTIVE' } } });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(1);
  });

  test('GIVEN a secret without the tag WHEN the doctor gathers facts THEN the problem names the tag', async () => {
    sm.on(DescribeSecretCommand).resolves({ ARN: SECRET_ARN, Tags: [] });
    const facts = await gatherFacts(new AwsClients({ region: 'eu-west-1' }), { stack: 'Telemetry', windowMinutes: 15, now: new Date(3_600_000) });
    expect(facts.certificate).toBeUndefined();
    expect(facts.certificateProblem).toContain(`has no ${CERTIFICATE_ID_TAG} tag`);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});

describe('doctor: independent reads', () => {
  test('GIVEN a thing read that answers only once the secret has been asked WHEN the doctor gathers facts THEN both complete: the reads run together', async () => {
    // GIVEN DescribeThing waits for DescribeSecret (run one after the other, this would never finish)
    let secretAsked: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => { secretAsked = resolve; });
    sm.on(DescribeSecretCommand).callsFake(async () => {
      secretAsked();
      return { ARN: SECRET_ARN, Tags: [{ Key: CERTIFICATE_ID_TAG, Value: CERTIFICATE_ID }] };
    });
    iot.on(DescribeThingCommand).callsFake(async () => {
      await asked;
      return { thingName: 'sensor-1' };
    });
    // WHEN
    const facts = await gatherFacts(new AwsClients({ region: 'eu-west-1' }), { stack: 'Telemetry', windowMinutes: 15, now: new Date(3_600_000) });
    // THEN
    expect(facts.thing).toEqual({ ok: true, value: true });
    expect(facts.certificate).toMatchObject({ source: 'certificate secret', id: CERTIFICATE_ID });
  });
});
