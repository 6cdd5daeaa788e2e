import { Output, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { dataEndpointOutput, findPipelines, pipelineResources, selectPipeline } from '../../../cli/aws/pipeline';
import { CliError, UsageError } from '../../../cli/errors';

/** Output and resource ids as `cdk synth` names them for pipelines 'Pipeline' (generated cert) and 'Pipeline2' (CSR). */
const OUTPUTS: Output[] = [
  { OutputKey: 'PipelineThingNameOutput5D9ECC65', OutputValue: 'S-Pipeline-Device-7A1B', Description: 'Thing name = MQTT client id' },
  { OutputKey: 'PipelineTopicOutputD048B660', OutputValue: 'iot-test-topic' },
  { OutputKey: 'PipelinePublishTopicOutput99BC16B2', OutputValue: 'iot-test-topic' },
  { OutputKey: 'PipelineDeliveryStreamNameOutputF83B218E', OutputValue: 'S-PipelineDeliveryStream-abc' },
  { OutputKey: 'PipelineParsedBucketOutput21B9DBE4', OutputValue: 'parsed-1' },
  { OutputKey: 'PipelineRawBucketOutput4FDFD7D1', OutputValue: 'raw-1' },
  { OutputKey: 'PipelineTopicRuleNameOutput3119588F', OutputValue: 'PipelineTopicRule5F1D07D5_x' },
  { OutputKey: 'PipelineCertificateSecretArnOutput7A8CDF55', OutputValue: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cert-1' },
  { OutputKey: 'IotDataAtsEndpoint', OutputValue: 'abc123-ats.iot.eu-west-1.amazonaws.com' },
  { OutputKey: 'Pipeline2ThingNameOutputA43C2228', OutputValue: 'S-Pipeline2-Device-9C2D' },
  { OutputKey: 'Pipeline2TopicOutputEE65827B', OutputValue: 'other' },
  { OutputKey: 'Pipeline2PublishTopicOutput5D089D89', OutputValue: '$aws/rules/Pipeline2TopicRule8A18D276_y/other' },
  { OutputKey: 'Pipeline2DeliveryStreamNameOutput61011D1A', OutputValue: 'S-Pipeline2DeliveryStream-def' },
  { OutputKey: 'Pipeline2TopicRuleNameOutput28F2BC95', OutputValue: 'Pipeline2TopicRule8A18D276_y' },
];

const r = (LogicalResourceId: string, ResourceType: string, PhysicalResourceId: string): StackResourceSummary =>
  ({ LogicalResourceId, ResourceType, PhysicalResourceId, ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date(0) });

const RESOURCES: StackResourceSummary[] = [
  r('PipelineDevicePolicyB5F22500', 'AWS::IoT::Policy', 'PipelineDevicePolicyB5F22500-Xyz'),
  r('PipelineDeviceThing6BEBDC4A', 'AWS::IoT::Thing', 'S-Pipeline-Device-7A1B'),
  r('PipelineDeviceCertificate86728BB9', 'Custom::IotDeviceCertificate', 'a'.repeat(64)),
  r('PipelineDeviceThingPrincipalAttachmentA6FCD52C', 'AWS::IoT::ThingPrincipalAttachment', 'x'),
  r('PipelineDeliveryStreamF8B7CD7E', 'AWS::KinesisFirehose::DeliveryStream', 'S-PipelineDeliveryStream-abc'),
  r('PipelineTopicRule5F1D07D5', 'AWS::IoT::TopicRule', 'PipelineTopicRule5F1D07D5_x'),
  // a device added with pipeline.addDevice('Sensor1') and the fleet policy
  r('PipelineSensor1ThingD2A1B3C4', 'AWS::IoT::Thing', 'S-Pipeline-Sensor1'),
  r('PipelineSensor1CertificateA1B2C3D4', 'Custom::IotDeviceCertificate', 'b'.repeat(64)),
  r('PipelineFleetPolicyE5F6A7B8', 'AWS::IoT::Policy', 'PipelineFleetPolicy-Abc'),
  r('Pipeline2DevicePolicyD7FACBB1', 'AWS::IoT::Policy', 'Pipeline2DevicePolicyD7FACBB1-Q'),
  r('Pipeline2DeviceThingF42B2341', 'AWS::IoT::Thing', 'S-Pipeline2-Device-9C2D'),
  r('Pipeline2DeviceCertificate11F2A836', 'AWS::IoT::Certificate', 'c'.repeat(64)),
  r('Pipeline2DeliveryStreamEC9B4744', 'AWS::KinesisFirehose::DeliveryStream', 'S-Pipeline2DeliveryStream-def'),
  r('Pipeline2TopicRule8A18D276', 'AWS::IoT::TopicRule', 'Pipeline2TopicRule8A18D276_y'),
  // moto lists resources it cannot model with empty ids
  r('', '', ''),
];

describe('findPipelines', () => {
  test('GIVEN two pipelines whose prefixes share a start THEN each gets only its own outputs', () => {
    // WHEN
    const pipelines = findPipelines(OUTPUTS);
    // THEN
    expect(pipelines).toEqual([
      {
        prefix: 'Pipeline',
        thingName: 'S-Pipeline-Device-7A1B',
        topic: 'iot-test-topic',
        publishTopic: 'iot-test-topic',
        deliveryStreamName: 'S-PipelineDeliveryStream-abc',
        parsedBucket: 'parsed-1',
        rawBucket: 'raw-1',
        topicRuleName: 'PipelineTopicRule5F1D07D5_x',
        certificateSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cert-1',
      },
      {
        prefix: 'Pipeline2',
        thingName: 'S-Pipeline2-Device-9C2D',
        topic: 'other',
        publishTopic: '$aws/rules/Pipeline2TopicRule8A18D276_y/other',
        deliveryStreamName: 'S-Pipeline2DeliveryStream-def',
        topicRuleName: 'Pipeline2TopicRule8A18D276_y',
      },
    ]);
  });

  test('GIVEN output ids without the usual names but the thing-name description THEN one unnamed pipeline', () => {
    // GIVEN
    const outputs: Output[] = [{ OutputKey: 'Custom', OutputValue: 'thing-x', Description: 'Thing name = MQTT client id' }];
    // WHEN / THEN
    expect(findPipelines(outputs)).toEqual([{ prefix: '', thingName: 'thing-x' }]);
  });

  test('GIVEN no pipeline outputs THEN none', () => {
    expect(findPipelines([{ OutputKey: 'BucketName', OutputValue: 'b' }])).toEqual([]);
  });
});

describe('selectPipeline', () => {
  const pipelines = findPipelines(OUTPUTS);

  test('GIVEN several pipelines and no --pipeline THEN a usage error lists them', () => {
    // WHEN / THEN
    expect(() => selectPipeline('S', pipelines)).toThrow(UsageError);
    expect(() => selectPipeline('S', pipelines)).toThrow('Stack S holds 2 pipelines (Pipeline, Pipeline2); pass --pipeline <one of them>.');
  });

  test.each([
    ['Pipeline', 'Pipeline'],
    ['Pipeline2', 'Pipeline2'],
  ])('GIVEN --pipeline %s THEN pipeline %s', (wanted, prefix) => {
    expect(selectPipeline('S', pipelines, wanted).prefix).toBe(prefix);
  });

  test('GIVEN a nested construct path THEN the construct id at its end selects it', () => {
    // GIVEN
    const nested = findPipelines([{ OutputKey: 'GroupTelemetryThingNameOutputAAAAAAAA', OutputValue: 't' }]);
    // WHEN / THEN
    expect(selectPipeline('S', nested, 'Telemetry').prefix).toBe('GroupTelemetry');
  });

  test('GIVEN an unknown --pipeline THEN a usage error names the existing ones', () => {
    expect(() => selectPipeline('S', pipelines, 'Nope')).toThrow('Stack S has no pipeline "Nope"; it holds: Pipeline, Pipeline2.');
  });

  test('GIVEN no pipelines THEN an error says the stack holds none', () => {
    expect(() => selectPipeline('S', [])).toThrow(CliError);
    expect(() => selectPipeline('S', [])).toThrow('has no IotCoreFirehosePipeline outputs');
  });
});

describe('pipelineResources', () => {
  const prefixes = ['Pipeline', 'Pipeline2'];

  test('GIVEN the first pipeline with an added device THEN its own thing, policy and certificate are chosen', () => {
    // WHEN
    const res = pipelineResources(RESOURCES, 'Pipeline', prefixes);
    // THEN
    expect(res).toEqual({
      thingName: 'S-Pipeline-Device-7A1B',
      policyName: 'PipelineDevicePolicyB5F22500-Xyz',
      topicRuleName: 'PipelineTopicRule5F1D07D5_x',
      deliveryStreamName: 'S-PipelineDeliveryStream-abc',
      certificateId: 'a'.repeat(64),
      ambiguous: [],
    });
  });

  test('GIVEN the second pipeline (CSR certificate) THEN none of the first pipeline\'s resources leak in', () => {
    // WHEN
    const res = pipelineResources(RESOURCES, 'Pipeline2', prefixes);
    // THEN
    expect(res).toEqual({
      thingName: 'S-Pipeline2-Device-9C2D',
      policyName: 'Pipeline2DevicePolicyD7FACBB1-Q',
      topicRuleName: 'Pipeline2TopicRule8A18D276_y',
      deliveryStreamName: 'S-Pipeline2DeliveryStream-def',
      certificateId: 'c'.repeat(64),
      ambiguous: [],
    });
  });

  test('GIVEN two candidates of which none is at the construct\'s path THEN the type is reported ambiguous', () => {
    // GIVEN
    const resources = [r('PipelineAThing11111111', 'AWS::IoT::Thing', 'a'), r('PipelineBThing22222222', 'AWS::IoT::Thing', 'b')];
    // WHEN
    const res = pipelineResources(resources, 'Pipeline', ['Pipeline']);
    // THEN
    expect(res.thingName).toBeUndefined();
    expect(res.ambiguous).toEqual(['PipelineAThing11111111', 'PipelineBThing22222222']);
  });

  test('GIVEN a partitioned delivery stream beside another stream THEN the one at the construct\'s own path is chosen', () => {
    // GIVEN the pipeline's stream with dynamic partitioning (construct id PartitionedDeliveryStream) and a stream of an added construct
    const resources = [
      r('PipelinePartitionedDeliveryStreamAB12CD34', 'AWS::KinesisFirehose::DeliveryStream', 'S-PipelinePartitioned-abc'),
      r('PipelineReplayStream0A1B2C3D', 'AWS::KinesisFirehose::DeliveryStream', 'S-PipelineReplay-def'),
    ];
    // WHEN
    const res = pipelineResources(resources, 'Pipeline', ['Pipeline']);
    // THEN
    expect(res.deliveryStreamName).toBe('S-PipelinePartitioned-abc');
    expect(res.ambiguous).toEqual([]);
  });
});

test('dataEndpointOutput reads the stack-level IotDataAtsEndpoint output', () => {
  expect(dataEndpointOutput(OUTPUTS)).toBe('abc123-ats.iot.eu-west-1.amazonaws.com');
  expect(dataEndpointOutput([])).toBeUndefined();
});
