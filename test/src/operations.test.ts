import { CfnElement, Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { arnInStack, PolicyDocument, propertiesOfType, resourcesOfType, Statement, stringsIn, testStack } from './template';
import {
  DeviceCertificate, IotCoreFirehosePipeline, IotCoreFirehosePipelineProps, IotLogLevel, PartitionKey, Parser,
  PipelineEncryption, PipelineEncryptionKind, PipelineMonitoring,
} from '../../src';

function newStack(): Stack {
  return testStack('OpsStack');
}

function synth(props: Partial<IotCoreFirehosePipelineProps> = {}) {
  const stack = newStack();
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet', ...props });
  return { stack, pipeline, template: Template.fromStack(stack) };
}

/** The resolved statements of every IoT policy of the stack, one list per policy. */
function iotPolicies(stack: Stack): Statement[][] {
  return propertiesOfType<{ PolicyDocument: PolicyDocument }>(Template.fromStack(stack), 'AWS::IoT::Policy')
    .map((policy) => stack.resolve(policy.PolicyDocument.Statement) as Statement[]);
}

/** The resources a policy allows `action` on (each an ARN as the template renders it). */
function resourcesFor(statements: Statement[], action: string): unknown[] {
  return statements.filter((s) => [s.Action].flat().includes(action)).flatMap((s) => [s.Resource].flat());
}

/** The policy whose Connect statement names this client (by the end of its ARN). */
function policyOfClient(policies: Statement[][], clientId: string): Statement[] {
  const found = policies.filter((statements) => resourcesFor(statements, 'iot:Connect').some((arn) => stringsIn(arn).some((part) => part.endsWith(`:client/${clientId}`))));
  expect(found).toHaveLength(1);
  return found[0];
}

function alarmsByName(template: Template): Record<string, Record<string, unknown>> {
  const alarms = resourcesOfType<Record<string, unknown>>(template, 'AWS::CloudWatch::Alarm');
  return Object.fromEntries(Object.entries(alarms).map(([logicalId, alarm]) => [logicalId.replace(/^PipelineMonitoring/, '').replace(/[0-9A-F]{8}$/, ''), alarm.Properties]));
}

describe('alarms and dashboard', () => {
  test('GIVEN defaults WHEN synthesized THEN one alarm per failure mode with thresholds derived from the props', () => {
    const { stack, pipeline, template } = synth({ buffering: { interval: Duration.seconds(120) }, monitoring: { putRequestQuotaPerSecond: 1000 } });
    const alarms = alarmsByName(template);
    expect(Object.keys(alarms).sort()).toEqual([
      'DataFreshness', 'DeliveryFailures', 'ParserErrors', 'ParserThrottles', 'ProcessingFailures',
      'PutRequestsNearQuota', 'RejectedMessages', 'RuleActionFailures', 'RuleErrorActionFailures', 'ThrottledRecords',
    ]);
    expect(alarms.DataFreshness).toMatchObject({ MetricName: 'DeliveryToS3.DataFreshness', Namespace: 'AWS/Firehose', Statistic: 'Maximum', Threshold: 120 + 300, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarms.ProcessingFailures).toMatchObject({ MetricName: 'ExecuteProcessing.Success', Threshold: 1, ComparisonOperator: 'LessThanThreshold' });
    expect(alarms.ThrottledRecords).toMatchObject({ MetricName: 'ThrottledRecords', Threshold: 0 });
    expect(alarms.PutRequestsNearQuota).toMatchObject({ MetricName: 'IncomingPutRequests', Period: 60, Threshold: 1000 * 60 * 0.8 });
    expect(alarms.RuleActionFailures).toMatchObject({
      Namespace: 'AWS/IoT',
      MetricName: 'Failure',
      Dimensions: expect.arrayContaining([{ Name: 'RuleName', Value: stack.resolve(pipeline.topicRule.ref) }, { Name: 'ActionType', Value: 'Firehose' }]),
    });
    expect(alarms.RuleErrorActionFailures).toMatchObject({ MetricName: 'ErrorActionFailure' });
    expect(alarms.RejectedMessages).toMatchObject({
      Namespace: 'AWS/IoT',
      MetricName: 'TopicMatch',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'RuleName', Value: stack.resolve(pipeline.rejectedMessagesRule!.ref) }],
    });
    expect(alarms.ParserErrors).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: stack.resolve(pipeline.parserFunction.functionName) }] });
    for (const alarm of Object.values(alarms)) {
      expect(alarm.TreatMissingData).toEqual('notBreaching');
      expect(alarm.AlarmActions).toBeUndefined();
    }
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('GIVEN an alarm action WHEN synthesized THEN every alarm notifies it', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Alerts', { enforceSSL: true });
    new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet', monitoring: { alarmAction: new actions.SnsAction(topic) } });
    const alarms = propertiesOfType<{ AlarmActions?: unknown }>(Template.fromStack(stack), 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(10);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([stack.resolve(topic.topicArn)]);
    }
  });

  test('GIVEN dynamic partitioning WHEN synthesized THEN the freshness threshold allows 1.5x the interval', () => {
    const { pipeline } = synth({ dynamicPartitioning: true, parser: Parser.reference({ partitionKeys: [PartitionKey.topicLevel('device', 1)] }) });
    expect(pipeline.monitoring!.freshnessThresholdSeconds).toEqual(90 + 300);
  });

  test('GIVEN monitoring.alarms false WHEN synthesized THEN no alarm, no dashboard and no monitoring construct', () => {
    // GIVEN / WHEN
    const { pipeline, template } = synth({ monitoring: { alarms: false } });
    // THEN
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(pipeline.monitoring).toBeUndefined();
  });

  test('GIVEN monitoring { alarms: true, dashboard: false } WHEN synthesized THEN the ten alarms and no dashboard', () => {
    // GIVEN / WHEN
    const { pipeline, template } = synth({ monitoring: { alarms: true, dashboard: false } });
    // THEN
    template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(pipeline.monitoring!.alarms).toHaveLength(10);
    expect(pipeline.monitoring!.dashboard).toBeUndefined();
  });

  test('GIVEN an empty monitoring object WHEN synthesized THEN the defaults: alarms without action, a dashboard, quota 2000/s', () => {
    // GIVEN / WHEN
    const { pipeline, template } = synth({ monitoring: {} });
    // THEN
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(pipeline.monitoring!.dashboard).toBeDefined();
    expect(alarmsByName(template).PutRequestsNearQuota).toMatchObject({ Threshold: 2000 * 60 * 0.8 });
    for (const alarm of Object.values(alarmsByName(template))) {
      expect(alarm.AlarmActions).toBeUndefined();
    }
  });

  test.each([
    [{ alarms: false, dashboard: true }, /invalid `monitoring.dashboard`: the dashboard shows the alarms.*set `alarms: true`/],
    [{ putRequestQuotaPerSecond: 0 }, /invalid `monitoring.putRequestQuotaPerSecond`: 0 is not a request quota.*e\.g\. 2000/],
    [{ putRequestQuotaPerSecond: -5 }, /invalid `monitoring.putRequestQuotaPerSecond`/],
    [{ putRequestQuotaPerSecond: Number.NaN }, /invalid `monitoring.putRequestQuotaPerSecond`/],
  ])('GIVEN monitoring %o WHEN synthesized THEN it fails saying what to change', (monitoring, message) => {
    expect(() => synth({ monitoring })).toThrow(message);
  });

  test('GIVEN PipelineMonitoring on its own with a bad quota WHEN built THEN it fails naming the prop', () => {
    const { stack, pipeline } = synth({ monitoring: { alarms: false } });
    expect(() => new PipelineMonitoring(stack, 'Extra', {
      deliveryStream: pipeline.deliveryStream,
      parserFunction: pipeline.parserFunction,
      topicRuleName: pipeline.topicRule.ref,
      bufferingInterval: Duration.seconds(60),
      putRequestQuotaPerSecond: 0,
    })).toThrow(/invalid `putRequestQuotaPerSecond`: 0/);
  });

  test('GIVEN the dashboard WHEN synthesized THEN it shows the flow from rule to parser', () => {
    const { template } = synth();
    const dashboards = propertiesOfType<{ DashboardBody: { 'Fn::Join': [string, unknown[]] } }>(template, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    // The body is JSON text joined with tokens (names of the rule, stream, function): its literal text names the metrics.
    const text = dashboards[0].DashboardBody['Fn::Join'][1].filter((part): part is string => typeof part === 'string').join('');
    for (const metric of ['TopicMatch', 'IncomingRecords', 'DeliveryToS3.Records', 'DeliveryToS3.DataFreshness', 'ExecuteProcessing.Success', 'Duration']) {
      expect(text).toContain(`"${metric}"`);
    }
  });
});

describe('Basic Ingest', () => {
  test('GIVEN basicIngest WHEN synthesized THEN the policy allows publishing only to $aws/rules/<rule>/<topic> and below, and the rule SQL is unchanged', () => {
    const { stack, pipeline, template } = synth({ basicIngest: true });
    const [policy] = iotPolicies(stack);
    const publish = policy[1];
    const rule = stack.resolve(pipeline.topicRule.ref);
    const join = (suffix: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iot:eu-west-1:123456789012:topic/$aws/rules/', rule, suffix]] });
    expect(publish.Resource).toEqual([join('/fleet'), join('/fleet/*')]);
    template.hasResourceProperties('AWS::IoT::TopicRule', { TopicRulePayload: { Sql: "SELECT topic() as topic, * FROM 'fleet/+' WHERE isUndefined(topic)" } });
    template.hasOutput('*', { Value: { 'Fn::Join': ['', ['$aws/rules/', rule, '/fleet']] } });
  });
});

describe('dynamic partitioning', () => {
  const parser = Parser.reference({ partitionKeys: [PartitionKey.topicLevel('device', 1), PartitionKey.field('site', 'meta.site')] });

  test('GIVEN dynamic partitioning WHEN synthesized THEN the stream partitions by the parser keys with a 64 MiB buffer', () => {
    const { template } = synth({ dynamicPartitioning: true, parser });
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: {
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
        Prefix: 'parsed/device=!{partitionKeyFromLambda:device}/site=!{partitionKeyFromLambda:site}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
        ErrorOutputPrefix: Match.stringLikeRegexp('!\\{firehose:error-output-type\\}'),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { PARSER_PARTITION_KEYS: '[{"name":"device","topicLevel":1},{"name":"site","field":"meta.site"}]' } },
    });
  });

  test('GIVEN dynamic partitioning toggled WHEN synthesized THEN the stream has another logical id (a new stream, not a failing update)', () => {
    const on = synth({ dynamicPartitioning: true, parser }).template.findResources('AWS::KinesisFirehose::DeliveryStream');
    const off = synth({ parser }).template.findResources('AWS::KinesisFirehose::DeliveryStream');
    expect(Object.keys(on)[0]).not.toEqual(Object.keys(off)[0]);
  });

  test.each([
    [{ buffering: { size: Size.mebibytes(32) } }, /buffering.size.*at least 64 MiB/],
    [{ buffering: { interval: Duration.seconds(30) } }, /buffering.interval.*60 to 900/],
    [{ dataOutputPrefix: 'parsed/!{timestamp:yyyy}/', errorOutputPrefix: 'e/!{firehose:error-output-type}/' }, /no !\{partitionKeyFromLambda:<key>\}/],
    [{ dataOutputPrefix: 'parsed/!{partitionKeyFromLambda:customer}/', errorOutputPrefix: 'e/!{firehose:error-output-type}/' }, /names a key the parser does not return; the parser returns device, site/],
    [{ dataOutputPrefix: 'parsed/!{partitionKeyFromQuery:device}/', errorOutputPrefix: 'e/!{firehose:error-output-type}/' }, /JQ metadata-extraction/],
    [{ dataOutputPrefix: 'parsed/!{partitionKeyFromLambda:device}/' }, /errorOutputPrefix/],
  ])('GIVEN %o WHEN synthesized with dynamic partitioning THEN it fails at synth', (props, message) => {
    expect(() => synth({ dynamicPartitioning: true, parser, ...props })).toThrow(message);
  });

  test('GIVEN a parser without partition keys WHEN dynamic partitioning is on THEN it fails saying how to give keys', () => {
    expect(() => synth({ dynamicPartitioning: true })).toThrow(/parser returns no partition keys; give them/);
  });

  test('GIVEN a partition key expression WHEN dynamic partitioning is off THEN it fails', () => {
    expect(() => synth({ parser, dataOutputPrefix: 'p/!{partitionKeyFromLambda:device}/', errorOutputPrefix: 'e/!{firehose:error-output-type}/' }))
      .toThrow(/set `dynamicPartitioning: true`/);
  });

  test('GIVEN invalid partition keys WHEN built THEN they fail', () => {
    expect(() => PartitionKey.topicLevel('device', 8)).toThrow(/use 0 to 7/);
    expect(() => PartitionKey.field('bad name', 'a')).toThrow(/not a valid partition key name/);
    expect(() => PartitionKey.field('ok', 'a..b')).toThrow(/dotted path/);
    expect(() => synth({ parser: Parser.reference({ partitionKeys: [PartitionKey.field('a', 'x'), PartitionKey.field('a', 'y')] }) })).toThrow(/must be unique/);
  });
});

describe('encryption', () => {
  test('GIVEN PipelineEncryption.customerManaged() without a key WHEN synthesized THEN one rotating key encrypts buckets, stream, secret and log groups', () => {
    const { stack, pipeline, template } = synth({ encryption: PipelineEncryption.customerManaged() });
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(pipeline.encryptionKey!.node.path).toEqual('OpsStack/Pipeline/Key');
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const keyArn = stack.resolve(pipeline.encryptionKey!.keyArn);
    const kmsBuckets = template.findResources('AWS::S3::Bucket', {
      Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }] } },
    });
    expect(Object.keys(kmsBuckets)).toHaveLength(2);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keyArn },
      ExtendedS3DestinationConfiguration: {
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: keyArn } },
        S3BackupConfiguration: { EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: keyArn } } },
      },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: keyArn });
    const logGroups = propertiesOfType<{ LogGroupName?: { 'Fn::Join': [string, [string, unknown, string]] }; KmsKeyId?: unknown; RetentionInDays?: number }>(
      template, 'AWS::Logs::LogGroup');
    const pipelineLogGroups = logGroups.filter((group) => group.LogGroupName !== undefined);
    expect(pipelineLogGroups).toHaveLength(2);
    for (const group of pipelineLogGroups) {
      expect(group.KmsKeyId).toEqual(keyArn);
      expect(group.RetentionInDays).toEqual(365);
    }
    // CloudWatch Logs may use the key for exactly the pipeline's log groups (their name prefix), not every log group.
    const [key] = propertiesOfType<{ KeyPolicy: PolicyDocument }>(template, 'AWS::KMS::Key');
    const logsStatements = (stack.resolve(key.KeyPolicy.Statement) as Statement[]).filter((st) => st.Principal?.Service === 'logs.eu-west-1.amazonaws.com');
    expect(logsStatements).toHaveLength(1);
    // Both names are `<prefix>` + the stack id's unique part + `/<suffix>`; the key may serve `<prefix><stack id part>/*`.
    const [prefix, stackIdPart] = pipelineLogGroups[0].LogGroupName!['Fn::Join'][1];
    expect(pipelineLogGroups[1].LogGroupName!['Fn::Join'][1].slice(0, 2)).toEqual([prefix, stackIdPart]);
    expect(prefix).toMatch(/^\/iot-pipeline\/OpsStack-Pipeline-[0-9A-F]{8}\/$/);
    expect(logsStatements[0].Condition?.ArnLike['kms:EncryptionContext:aws:logs:arn']).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:eu-west-1:123456789012:log-group:${prefix}`, stackIdPart, '/*']],
    });
    // The rule role can encrypt its error objects, through S3 for the raw bucket only.
    const rawArn = stack.resolve(pipeline.rawBucket.bucketArn);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: 'kms:GenerateDataKey',
          Effect: 'Allow',
          Resource: keyArn,
          Condition: {
            StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [rawArn, { 'Fn::Join': ['', [rawArn, '/*']] }] },
          },
        }]),
      },
      Roles: [{ Ref: stack.getLogicalId(pipeline.topicRuleRole.node.defaultChild as CfnElement) }],
    });
  });

  test('GIVEN PipelineEncryption.customerManaged(key) WHEN synthesized THEN that key encrypts buckets, stream, secret and log groups, may be used by CloudWatch Logs, and no key is created', () => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    // WHEN
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet', encryption: PipelineEncryption.customerManaged(key) });
    // THEN
    const template = Template.fromStack(stack);
    const keyArn = stack.resolve(key.keyArn);
    expect(pipeline.encryptionKey).toBe(key);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keyArn },
    });
    const kmsBuckets = template.findResources('AWS::S3::Bucket', {
      Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn } }] } },
    });
    expect(Object.keys(kmsBuckets)).toHaveLength(2);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: keyArn });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: keyArn });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logs.eu-west-1.amazonaws.com' } })]) },
    });
  });

  test.each([
    ['no encryption prop', {}],
    ['PipelineEncryption.awsManaged()', { encryption: PipelineEncryption.awsManaged() }],
  ])('GIVEN %s WHEN synthesized THEN nothing uses KMS customer keys', (_name, props) => {
    const { pipeline, template } = synth(props);
    expect(pipeline.encryptionKey).toBeUndefined();
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } });
    const buckets = propertiesOfType<{ BucketEncryption: { ServerSideEncryptionConfiguration: Array<{ ServerSideEncryptionByDefault: unknown }> } }>(template, 'AWS::S3::Bucket');
    expect(buckets.length).toBeGreaterThan(0);
    for (const bucket of buckets) {
      expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    }
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: Match.absent() });
  });

  test('GIVEN the factories WHEN built THEN each exposes its kind and only customerManaged(key) its key', () => {
    const key = kms.Key.fromKeyArn(newStack(), 'Imported', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(PipelineEncryption.awsManaged()).toMatchObject({ kind: PipelineEncryptionKind.AWS_MANAGED, key: undefined });
    expect(PipelineEncryption.customerManaged()).toMatchObject({ kind: PipelineEncryptionKind.CUSTOMER_MANAGED, key: undefined });
    expect(PipelineEncryption.customerManaged(key).kind).toEqual(PipelineEncryptionKind.CUSTOMER_MANAGED);
    expect(PipelineEncryption.customerManaged(key).key).toBe(key);
  });
});

describe('more devices', () => {
  test('GIVEN one device WHEN synthesized THEN it may publish to the topic and below (no sub-topic confinement needed)', () => {
    const { stack } = synth({ thingName: 'gateway' });
    const policies = iotPolicies(stack);
    expect(policies).toHaveLength(1);
    expect(resourcesFor(policies[0], 'iot:Publish')).toContainEqual(arnInStack('iot', 'topic/fleet'));
    expect(resourcesFor(policies[0], 'iot:Publish')).toContainEqual(arnInStack('iot', 'topic/fleet/*'));
  });

  test.each([
    ['by default', undefined],
    ['with confineDevicesToSubTopic: true', true],
  ])('GIVEN added devices %s WHEN synthesized THEN every device, the pipeline\'s own included, may publish only under <topic>/<its thing name>', (_, confineDevicesToSubTopic) => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet', thingName: 'gateway', confineDevicesToSubTopic });
    pipeline.addDevice('SensorA', { thingName: 'sensor-a' });
    const policies = iotPolicies(stack);
    expect(resourcesFor(policyOfClient(policies, 'gateway'), 'iot:Publish')).toContainEqual(arnInStack('iot', 'topic/fleet/gateway/*'));
    expect(resourcesFor(policyOfClient(policies, '${iot:Connection.Thing.ThingName}'), 'iot:Publish'))
      .toContainEqual(arnInStack('iot', 'topic/fleet/${iot:Connection.Thing.ThingName}/*'));
    for (const statements of policies) {
      const published = resourcesFor(statements, 'iot:Publish').flatMap(stringsIn);
      expect(published).not.toContainEqual(expect.stringMatching(/:topic\/fleet(\/\*)?$/));
    }
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('GIVEN added devices and confineDevicesToSubTopic: false WHEN synthesized THEN they may publish anywhere below the topic, with a warning', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet', confineDevicesToSubTopic: false });
    pipeline.addDevice('SensorA');
    const policies = iotPolicies(stack);
    expect(policies).toHaveLength(2);
    for (const statements of policies) expect(resourcesFor(statements, 'iot:Publish')).toContainEqual(arnInStack('iot', 'topic/fleet/*'));
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('does not prove which device sent a record'));
    expect(warnings).toHaveLength(1);
  });

  test('GIVEN two added devices WHEN synthesized THEN they share one policy keyed on the thing name with IsAttached', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet', certificate: DeviceCertificate.none() });
    const a = pipeline.addDevice('SensorA', { thingName: 'sensor-a', certificate: DeviceCertificate.generated() });
    const b = pipeline.addDevice('SensorB', { thingName: 'sensor-b' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IoT::Thing', 3);
    template.resourceCountIs('AWS::IoT::Policy', 2);
    expect([a.thingName, b.thingName]).toEqual(['sensor-a', 'sensor-b']);
    const fleet = Object.entries(resourcesOfType<{ PolicyDocument: PolicyDocument }>(template, 'AWS::IoT::Policy')).find(([logicalId]) => logicalId.includes('FleetPolicy'))!;
    const statements = stack.resolve(fleet[1].Properties.PolicyDocument.Statement) as Statement[];
    expect(statements[0].Resource).toEqual(arnInStack('iot', 'client/${iot:Connection.Thing.ThingName}'));
    expect(statements[0].Condition).toEqual({ Bool: { 'iot:Connection.Thing.IsAttached': 'true' } });
    expect([statements[1].Resource].flat()).toContainEqual(arnInStack('iot', 'topic/fleet/${iot:Connection.Thing.ThingName}/*'));
    const attachments = propertiesOfType<{ PolicyName: unknown }>(template, 'AWS::IoT::PolicyPrincipalAttachment');
    expect(attachments.map((attachment) => attachment.PolicyName)).toEqual([{ Ref: fleet[0] }, { Ref: fleet[0] }]);
  });
});

describe('IoT logging', () => {
  test('GIVEN no iotLogging WHEN synthesized THEN account logging is not touched', () => {
    synth().template.resourceCountIs('AWS::IoT::Logging', 0);
  });

  test('GIVEN iotLogging in two pipelines WHEN synthesized THEN one account setting with a role that writes AWSIotLogsV2 only', () => {
    const stack = newStack();
    new IotCoreFirehosePipeline(stack, 'A', { topic: 'a', iotLogging: IotLogLevel.WARN });
    new IotCoreFirehosePipeline(stack, 'B', { topic: 'b', iotLogging: IotLogLevel.WARN });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IoT::Logging', 1);
    template.hasResourceProperties('AWS::IoT::Logging', { DefaultLogLevel: 'WARN', AccountId: { Ref: 'AWS::AccountId' } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Resource: { 'Fn::Join': ['', Match.arrayWith([':logs:eu-west-1:123456789012:log-group:AWSIotLogsV2:*'])] } })] },
    });
    expect(() => new IotCoreFirehosePipeline(stack, 'C', { topic: 'c', iotLogging: IotLogLevel.DEBUG })).toThrow(/one log level per account and region/);
  });
});

describe('all options together', () => {
  test('GIVEN every operations option WHEN synthesized THEN the template holds them all', () => {
    const stack = newStack();
    const alerts = new sns.Topic(stack, 'Alerts', { enforceSSL: true });
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
      topic: 'fleet',
      basicIngest: true,
      dynamicPartitioning: true,
      parser: Parser.reference({ partitionKeys: [PartitionKey.topicLevel('device', 1)] }),
      encryption: PipelineEncryption.customerManaged(),
      confineDevicesToSubTopic: true,
      iotLogging: IotLogLevel.ERROR,
      monitoring: { alarmAction: new actions.SnsAction(alerts) },
      buffering: { size: Size.mebibytes(128), interval: Duration.seconds(900) },
    });
    pipeline.addDevice('Extra');
    const template = Template.fromStack(stack);
    // Basic Ingest: no rejected-messages rule, so no alarm for it.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 9);
    template.resourceCountIs('AWS::IoT::Logging', 1);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(pipeline.monitoring!.alarms.every((alarm) => alarm instanceof cloudwatch.Alarm)).toBe(true);
  });
});
