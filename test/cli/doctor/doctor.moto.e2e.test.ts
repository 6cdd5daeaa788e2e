/**
 * `cdk-iot-pipeline doctor` against a moto server (a local fake of the AWS APIs; PyPI `moto[server]`).
 *
 * How the pipeline is set up in moto: moto's CloudFormation cannot create AWS::IoT::TopicRule,
 * AWS::IoT::Certificate, the attachments, AWS::KinesisFirehose::DeliveryStream or the construct's custom
 * resources, and for AWS::IoT::Thing/Policy it reports no physical id. So the test deploys a CloudFormation
 * stack of what moto does support (the two S3 buckets) whose outputs are exactly the construct's outputs
 * (ThingNameOutput, TopicOutput, PublishTopicOutput, DeliveryStreamNameOutput, ParsedBucketOutput, RawBucketOutput,
 * TopicRuleNameOutput, CertificateSecretArnOutput with CDK's `<prefix><Name>Output<hash>` ids, and
 * IotDataAtsEndpoint), and creates the IoT thing, policy, certificate, attachments, secret, topic rule, delivery
 * stream, log group, metrics and objects with the service APIs. The doctor therefore finds the pipeline through
 * the outputs, the certificate through the tag of the generated certificate's secret, and the policy through the
 * certificate — the paths it takes for a real stack when resource ids are unavailable. Resolving resources
 * from ListStackResources is unit-tested in test/cli/aws/pipeline.test.ts with the ids `cdk synth` produces.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateDeliveryStreamCommand, DeleteDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import {
  AttachPolicyCommand, AttachThingPrincipalCommand, CreateKeysAndCertificateCommand, CreatePolicyCommand, CreateThingCommand,
  CreateTopicRuleCommand, DetachPolicyCommand, DetachThingPrincipalCommand, DisableTopicRuleCommand, IoTClient,
  ReplaceTopicRuleCommand, TopicRulePayload, UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Status } from '../../../cli/doctor/check';
import { CHECK_IDS, CheckId } from '../../../cli/doctor/checks';
import type { DoctorReport } from '../../../cli/doctor/report';
import { CERTIFICATE_ID_TAG } from '../../../src/contract';
import { venvTool } from '../../support/venv';
import { cli, freePort, Server, startServer, waitFor } from '../support';

jest.setTimeout(60_000);

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

let moto: Server;
let endpoint: string;
const savedEnv: Record<string, string | undefined> = {};
const ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_REGION: REGION,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

beforeAll(async () => {
  const motoServer = venvTool('moto_server');
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = startServer(motoServer, ['-H', '127.0.0.1', '-p', String(port)]);
  await waitFor('moto_server to answer', async () => {
    if (moto.exited()) throw new Error(`moto_server exited:\n${moto.output()}`);
    return (await fetch(`${endpoint}/moto-api/`)).ok;
  }, 30_000, 200).catch((e) => { throw new Error(`${(e as Error).message}\n${moto.output()}`); });
  for (const [k, v] of Object.entries(ENV)) {
    savedEnv[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await moto?.stop();
});

beforeEach(async () => {
  const reset = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  expect(reset.ok).toBe(true);
});

const config = () => ({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const aws = () => ({
  cfn: new CloudFormationClient(config()),
  iot: new IoTClient(config()),
  firehose: new FirehoseClient(config()),
  s3: new S3Client({ ...config(), forcePathStyle: true }),
  cw: new CloudWatchClient(config()),
  logs: new CloudWatchLogsClient(config()),
  sm: new SecretsManagerClient(config()),
});

/** What `healthy()` created. */
interface Setup {
  readonly stackName: string;
  readonly thingName: string;
  readonly topic: string;
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly policyName: string;
  readonly ruleName: string;
  readonly streamName: string;
  readonly parsedBucket: string;
  readonly rawBucket: string;
  readonly logGroup: string;
  readonly rulePayload: TopicRulePayload;
}

const arn = (kind: string, name: string) => `arn:aws:iot:${REGION}:${ACCOUNT}:${kind}/${name}`;
const hourPath = (d: Date) => `year=${d.getUTCFullYear()}/month=${String(d.getUTCMonth() + 1).padStart(2, '0')}/day=${String(d.getUTCDate()).padStart(2, '0')}/hour=${String(d.getUTCHours()).padStart(2, '0')}/`;

interface SetupOptions {
  readonly stackName?: string;
  readonly prefix?: string;
  readonly topic?: string;
  /** Put healthy Firehose metrics (default true). */
  readonly metrics?: boolean;
  /** Put a fresh parsed object (default true). */
  readonly data?: boolean;
  /** Add the outputs of a second pipeline to the stack. */
  readonly extraPipeline?: boolean;
}

/** A working pipeline, as the construct deploys it. */
async function healthy(o: SetupOptions = {}): Promise<Setup> {
  const c = aws();
  const stackName = o.stackName ?? 'Telemetry';
  const prefix = o.prefix ?? 'Pipeline';
  const topic = o.topic ?? 'iot-test-topic';
  const thingName = `${stackName}-${prefix}-Device-1A2B3C4D`;
  const policyName = `${prefix}DevicePolicyB5F22500-Xyz`;
  const ruleName = `${prefix}TopicRule5F1D07D5_Ab12`;
  const streamName = `${stackName}-${prefix}DeliveryStream-Q1w2`;
  const parsedBucket = `${stackName.toLowerCase()}-parsed-bucket`;
  const rawBucket = `${stackName.toLowerCase()}-raw-bucket`;
  const logGroup = `${stackName}-${prefix}DeliveryLogGroup`;

  // The device: thing, the construct's policy, a generated certificate in a secret, both attachments.
  await c.iot.send(new CreateThingCommand({ thingName }));
  await c.iot.send(new CreatePolicyCommand({
    policyName,
    policyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'ConnectAsTheThing', Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client', thingName), Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } },
        { Sid: 'PublishTelemetry', Effect: 'Allow', Action: 'iot:Publish', Resource: [arn('topic', topic), arn('topic', `${topic}/*`)] },
      ],
    }),
  }));
  const cert = await c.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  await c.iot.send(new AttachPolicyCommand({ policyName, target: cert.certificateArn }));
  await c.iot.send(new AttachThingPrincipalCommand({ thingName, principal: cert.certificateArn }));
  const secret = await c.sm.send(new CreateSecretCommand({
    Name: `${prefix}CertificateSecret`,
    // What the certificate provider writes: the doctor reads the id from this tag, never the secret's value.
    Tags: [{ Key: CERTIFICATE_ID_TAG, Value: cert.certificateId }],
    SecretString: JSON.stringify({
      certificateId: cert.certificateId,
      certificateArn: cert.certificateArn,
      certificatePem: cert.certificatePem,
      privateKey: cert.keyPair?.PrivateKey,
      publicKey: cert.keyPair?.PublicKey,
    }),
  }));

  // The stack: the buckets (moto can create them) and the construct's outputs.
  const suffix = (s: string) => `${prefix}${s}Output${'ABCDEF12'}`;
  const outputs: Record<string, { Value: unknown; Description?: string }> = {
    [suffix('ThingName')]: { Value: thingName, Description: 'Thing name = MQTT client id' },
    [suffix('Topic')]: { Value: topic, Description: 'Base topic devices publish to' },
    [suffix('PublishTopic')]: { Value: topic },
    [suffix('DeliveryStreamName')]: { Value: streamName },
    [suffix('ParsedBucket')]: { Value: { Ref: 'ParsedBucket' } },
    [suffix('RawBucket')]: { Value: { Ref: 'RawBucket' } },
    [suffix('TopicRuleName')]: { Value: ruleName },
    [suffix('CertificateSecretArn')]: { Value: secret.ARN },
    IotDataAtsEndpoint: { Value: 'abc123-ats.iot.us-east-1.amazonaws.com' },
  };
  if (o.extraPipeline) {
    outputs.Pipeline2ThingNameOutput12345678 = { Value: 'other-thing', Description: 'Thing name = MQTT client id' };
    outputs.Pipeline2TopicOutput12345678 = { Value: 'other' };
  }
  await c.cfn.send(new CreateStackCommand({
    StackName: stackName,
    TemplateBody: JSON.stringify({
      Resources: {
        ParsedBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: parsedBucket } },
        RawBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: rawBucket } },
      },
      Outputs: outputs,
    }),
  }));

  // Firehose with the construct's prefixes, logging and raw backup.
  await c.logs.send(new CreateLogGroupCommand({ logGroupName: logGroup }));
  await c.logs.send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName: 'DestinationDelivery' }));
  await c.firehose.send(new CreateDeliveryStreamCommand({
    DeliveryStreamName: streamName,
    DeliveryStreamType: 'DirectPut',
    ExtendedS3DestinationConfiguration: {
      BucketARN: `arn:aws:s3:::${parsedBucket}`,
      RoleARN: `arn:aws:iam::${ACCOUNT}:role/firehose`,
      Prefix: 'parsed/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
      ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
      BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 1 },
      CompressionFormat: 'GZIP',
      CloudWatchLoggingOptions: { Enabled: true, LogGroupName: logGroup, LogStreamName: 'DestinationDelivery' },
      S3BackupMode: 'Enabled',
      S3BackupConfiguration: { BucketARN: `arn:aws:s3:::${rawBucket}`, RoleARN: `arn:aws:iam::${ACCOUNT}:role/firehose`, Prefix: 'raw/' },
    },
  }));

  // The rule, as the construct writes it.
  const rulePayload: TopicRulePayload = {
    sql: `SELECT topic() as topic, * FROM '${topic}/+'`,
    awsIotSqlVersion: '2016-03-23',
    ruleDisabled: false,
    actions: [{ firehose: { deliveryStreamName: streamName, roleArn: `arn:aws:iam::${ACCOUNT}:role/rule`, separator: '\n' } }],
    errorAction: { s3: { bucketName: rawBucket, key: 'iot-rule-errors/${newuuid()}.json', roleArn: `arn:aws:iam::${ACCOUNT}:role/rule` } },
  };
  await c.iot.send(new CreateTopicRuleCommand({ ruleName, topicRulePayload: rulePayload }));

  // Recent activity: successful processing and delivery, a fresh parsed object.
  if (o.metrics ?? true) {
    await putMetrics(streamName, { 'ExecuteProcessing.Success': 1, 'DeliveryToS3.Success': 1, 'DeliveryToS3.DataFreshness': 65 });
  }
  if (o.data ?? true) {
    await c.s3.send(new PutObjectCommand({ Bucket: parsedBucket, Key: `parsed/${hourPath(new Date())}${streamName}-1-2026-01-01-00-00-00-abc.json.gz`, Body: 'x' }));
  }
  return {
    stackName,
    thingName,
    topic,
    certificateId: cert.certificateId!,
    certificateArn: cert.certificateArn!,
    policyName,
    ruleName,
    streamName,
    parsedBucket,
    rawBucket,
    logGroup,
    rulePayload,
  };
}

async function putMetrics(streamName: string, values: Record<string, number>): Promise<void> {
  await aws().cw.send(new PutMetricDataCommand({
    Namespace: 'AWS/Firehose',
    MetricData: Object.entries(values).map(([MetricName, Value]) => ({
      MetricName, Value, Timestamp: new Date(), Dimensions: [{ Name: 'DeliveryStreamName', Value: streamName }],
    })),
  }));
}

async function doctor(...args: string[]): Promise<{ code: number; report: DoctorReport; err: string }> {
  const { code, out, err } = await cli('doctor', '--endpoint-url', endpoint, '--region', REGION, '--json', '--quiet', ...args);
  let report: DoctorReport;
  try {
    report = JSON.parse(out) as DoctorReport;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${code}):\n${out}\n${err}`);
  }
  return { code, report, err };
}

const statuses = (r: DoctorReport): Partial<Record<CheckId, Status>> => Object.fromEntries(r.findings.map((f) => [f.id, f.status]));
const allPass = (): Record<CheckId, Status> => Object.fromEntries(CHECK_IDS.map((id) => [id, 'PASS'])) as Record<CheckId, Status>;

interface Variant {
  readonly name: string;
  readonly setup?: Parameters<typeof healthy>[0];
  readonly breakIt: (s: Setup) => Promise<void>;
  readonly expected: Partial<Record<CheckId, Status>>;
  /** Findings whose text must contain these (id, field, substring). */
  readonly says?: Array<[CheckId, 'detail' | 'fix', (s: Setup) => string]>;
}

const VARIANTS: Variant[] = [
  {
    name: 'certificate INACTIVE',
    breakIt: async (s) => { await aws().iot.send(new UpdateCertificateCommand({ certificateId: s.certificateId, newStatus: 'INACTIVE' })); },
    expected: { certificate: 'FAIL' },
    says: [['certificate', 'fix', (s) => `aws iot update-certificate --certificate-id ${s.certificateId} --new-status ACTIVE`]],
  },
  {
    name: 'policy not attached to the certificate',
    breakIt: async (s) => { await aws().iot.send(new DetachPolicyCommand({ policyName: s.policyName, target: s.certificateArn })); },
    expected: { 'certificate-policy': 'FAIL', 'policy-connect': 'FAIL', 'policy-publish': 'FAIL' },
    says: [['certificate-policy', 'fix', (s) => `aws iot attach-policy --policy-name <device policy name> --target ${s.certificateArn}`]],
  },
  {
    name: 'certificate not attached to the thing (the policy requires IsAttached)',
    breakIt: async (s) => { await aws().iot.send(new DetachThingPrincipalCommand({ thingName: s.thingName, principal: s.certificateArn })); },
    expected: { 'certificate-thing': 'FAIL', 'policy-connect': 'FAIL' },
    says: [
      ['certificate-thing', 'fix', (s) => `aws iot attach-thing-principal --thing-name ${s.thingName} --principal ${s.certificateArn}`],
      ['policy-connect', 'detail', (s) => `${s.policyName} statement 0 (Sid "ConnectAsTheThing") matches the action and resource, but its Condition`],
      ['policy-connect', 'fix', () => 'attach the certificate to the thing (see certificate-thing)'],
    ],
  },
  {
    name: 'another attached policy denies publishing',
    breakIt: async (s) => {
      const c = aws();
      await c.iot.send(new CreatePolicyCommand({
        policyName: 'guard',
        policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'NoTelemetry', Effect: 'Deny', Action: 'iot:Publish', Resource: arn('topic', `${s.topic}/*`) }] }),
      }));
      await c.iot.send(new AttachPolicyCommand({ policyName: 'guard', target: s.certificateArn }));
    },
    expected: { 'policy-publish': 'FAIL' },
    says: [['policy-publish', 'detail', (s) => `iot:Publish on ${arn('topic', `${s.topic}/${s.thingName}`)} is denied by guard statement 0 (Sid "NoTelemetry")`]],
  },
  {
    name: 'rule disabled',
    breakIt: async (s) => { await aws().iot.send(new DisableTopicRuleCommand({ ruleName: s.ruleName })); },
    expected: { rule: 'FAIL' },
    says: [['rule', 'fix', (s) => `aws iot enable-topic-rule --rule-name ${s.ruleName}`]],
  },
  {
    name: 'rule FROM does not match the device topic',
    breakIt: async (s) => {
      await aws().iot.send(new ReplaceTopicRuleCommand({ ruleName: s.ruleName, topicRulePayload: { ...s.rulePayload, sql: `SELECT * FROM '${s.topic}/+/telemetry'` } }));
    },
    expected: { 'rule-topic': 'FAIL' },
    says: [['rule-topic', 'detail', (s) => `FROM '${s.topic}/+/telemetry' does not match ${s.topic}/${s.thingName}`]],
  },
  {
    name: 'rule forwards to another stream',
    breakIt: async (s) => {
      await aws().iot.send(new ReplaceTopicRuleCommand({
        ruleName: s.ruleName,
        topicRulePayload: { ...s.rulePayload, actions: [{ firehose: { deliveryStreamName: 'elsewhere', roleArn: `arn:aws:iam::${ACCOUNT}:role/rule` } }] },
      }));
    },
    expected: { 'rule-action': 'FAIL' },
    says: [['rule-action', 'detail', (s) => `forwards to elsewhere, not to the pipeline's stream ${s.streamName}`]],
  },
  {
    name: 'delivery stream deleted (moto streams are always ACTIVE otherwise)',
    breakIt: async (s) => { await aws().firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: s.streamName })); },
    expected: { stream: 'FAIL' },
    says: [['stream', 'detail', (s) => `delivery stream ${s.streamName} does not exist`]],
  },
  {
    name: 'some records failed processing',
    breakIt: async (s) => {
      await putMetrics(s.streamName, { 'ExecuteProcessing.Success': 0.5 });
      await aws().s3.send(new PutObjectCommand({ Bucket: s.parsedBucket, Key: `errors/processing-failed/${hourPath(new Date())}failed-1.json.gz`, Body: '{}' }));
    },
    expected: { processing: 'WARN' },
    says: [['processing', 'detail', (s) => `1 processing-failed object(s) in the last 60 min, newest s3://${s.parsedBucket}/errors/processing-failed/`]],
  },
  {
    name: 'every parser invocation fails',
    setup: { metrics: false },
    breakIt: async (s) => { await putMetrics(s.streamName, { 'ExecuteProcessing.Success': 0, 'DeliveryToS3.Success': 1 }); },
    expected: { processing: 'FAIL' },
    says: [['processing', 'detail', () => 'ExecuteProcessing.Success is 0']],
  },
  {
    name: 'delivery to S3 fails and the stream logs errors',
    setup: { metrics: false },
    breakIt: async (s) => {
      await putMetrics(s.streamName, { 'ExecuteProcessing.Success': 1, 'DeliveryToS3.Success': 0 });
      await aws().logs.send(new PutLogEventsCommand({
        logGroupName: s.logGroup,
        logStreamName: 'DestinationDelivery',
        logEvents: [{ timestamp: Date.now(), message: '{"errorCode":"S3.AccessDenied","errorMessage":"Access was denied."}' }],
      }));
    },
    expected: { delivery: 'FAIL' },
    says: [['delivery', 'detail', () => '1 error log event(s) in the last 60 min, latest: {"errorCode":"S3.AccessDenied"']],
  },
  {
    name: 'the rule\'s error action wrote messages',
    breakIt: async (s) => {
      const d = new Date();
      const key = `iot-rule-errors/${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCHours()).padStart(2, '0')}/e1.json`;
      await aws().s3.send(new PutObjectCommand({ Bucket: s.rawBucket, Key: key, Body: '{"failures":[]}' }));
    },
    expected: { 'rule-errors': 'WARN' },
    says: [['rule-errors', 'fix', () => 'failures[].errorMessage']],
  },
  {
    name: 'no data arrived in the window',
    setup: { metrics: false, data: false },
    breakIt: async () => undefined,
    expected: { freshness: 'WARN' },
    says: [['freshness', 'fix', (s) => `cdk-iot-pipeline publish --stack ${s.stackName}`]],
  },
];

describe('cdk-iot-pipeline doctor (moto server)', () => {
  test('GIVEN a healthy pipeline WHEN doctor runs THEN every check passes and the exit code is 0', async () => {
    // GIVEN
    const s = await healthy();
    // WHEN
    const { code, report } = await doctor('--stack', s.stackName);
    // THEN
    expect(statuses(report)).toEqual(allPass());
    expect(code).toBe(0);
    expect(report).toMatchObject({ stack: s.stackName, pipeline: 'Pipeline', region: REGION, thingName: s.thingName, topic: s.topic, clientId: s.thingName });
    expect(report.findings.find((f) => f.id === 'policy-publish')?.detail)
      .toBe(`iot:Publish on ${arn('topic', `${s.topic}/${s.thingName}`)} is allowed by ${s.policyName} statement 1 (Sid "PublishTelemetry")`);
    expect(report.findings.every((f) => f.fix === undefined)).toBe(true);
  });

  test.each(VARIANTS.map((v) => [v.name, v] as const))('GIVEN %s WHEN doctor runs THEN exactly the expected findings are raised', async (_name, v) => {
    // GIVEN
    const s = await healthy(v.setup);
    await v.breakIt(s);
    // WHEN
    const { code, report } = await doctor('--stack', s.stackName);
    // THEN
    expect(statuses(report)).toEqual({ ...allPass(), ...v.expected });
    const fails = Object.values(v.expected).includes('FAIL');
    expect(code).toBe(fails ? 1 : 0);
    for (const f of report.findings) {
      if (f.status !== 'PASS') expect(f.fix).toEqual(expect.any(String));
    }
    for (const [id, field, text] of v.says ?? []) {
      expect(report.findings.find((f) => f.id === id)?.[field]).toContain(text(s));
    }
  });

  test('GIVEN a stack that does not exist WHEN doctor runs THEN one FAIL finding says to check --stack and --region', async () => {
    // WHEN
    const { code, report } = await doctor('--stack', 'Nope');
    // THEN
    expect(code).toBe(1);
    expect(report.findings).toEqual([{
      id: 'stack',
      status: 'FAIL',
      title: 'Stack',
      detail: 'stack Nope does not exist in this account/Region',
      fix: 'check --stack and --region (or AWS_REGION); deploy the app with `cdk deploy`',
    }]);
  });

  test('GIVEN a stack with two pipelines WHEN doctor runs without --pipeline THEN exit code 2 and the pipelines are named', async () => {
    // GIVEN
    const s = await healthy({ extraPipeline: true });
    // WHEN
    const { code, out, err } = await cli('doctor', '--stack', s.stackName, '--endpoint-url', endpoint, '--region', REGION, '--quiet');
    // THEN
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(`error: Stack ${s.stackName} holds 2 pipelines (Pipeline, Pipeline2); pass --pipeline <one of them>.\n`);
  });

  test('GIVEN a stack with two pipelines WHEN doctor runs with --pipeline THEN that pipeline is checked', async () => {
    // GIVEN
    const s = await healthy({ extraPipeline: true });
    // WHEN
    const { code, report } = await doctor('--stack', s.stackName, '--pipeline', 'Pipeline');
    // THEN
    expect(code).toBe(0);
    expect(report.pipeline).toBe('Pipeline');
    expect(statuses(report)).toEqual(allPass());
  });

  test('GIVEN a broken pipeline WHEN doctor prints text THEN each finding is a row and the fixes follow', async () => {
    // GIVEN
    const s = await healthy();
    await aws().iot.send(new DisableTopicRuleCommand({ ruleName: s.ruleName }));
    // WHEN
    const { code, out, err } = await cli('doctor', '--stack', s.stackName, '--endpoint-url', endpoint, '--region', REGION);
    // THEN
    expect(code).toBe(1);
    const lines = out.split('\n');
    expect(lines[0]).toBe(`doctor: stack ${s.stackName} (${REGION}), pipeline Pipeline, thing ${s.thingName}, topic ${s.topic}`);
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^Status\s+Check\s+Finding$/),
      expect.stringMatching(new RegExp(`^FAIL\\s+rule\\s+rule ${s.ruleName} is disabled: messages are not forwarded$`)),
      expect.stringMatching(/^PASS\s+stream\s+/),
      'What to do:',
      `  FAIL rule: \`aws iot enable-topic-rule --rule-name ${s.ruleName}\``,
      `${CHECK_IDS.length - 1} PASS, 0 WARN, 1 FAIL`,
    ]));
    expect(err).toContain(`… reading stack ${s.stackName}`);
  });
});
