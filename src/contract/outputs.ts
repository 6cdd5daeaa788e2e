/**
 * Stack outputs and construct ids of one `IotCoreFirehosePipeline`: the construct creates them, the CLI finds a
 * pipeline in a deployed stack by them and the local runner in a synthesized one.
 *
 * CDK renders an output created as `new CfnOutput(pipeline, id)` as the logical id `<path prefix><id><hash>`,
 * where the path prefix comes from the pipeline's construct path (`Pipeline` for
 * `new IotCoreFirehosePipeline(stack, 'Pipeline')`).
 */

/** The construct id of each per-pipeline output. */
export const PIPELINE_OUTPUT_IDS = {
  thingName: 'ThingNameOutput',
  topic: 'TopicOutput',
  publishTopic: 'PublishTopicOutput',
  deliveryStreamName: 'DeliveryStreamNameOutput',
  parsedBucket: 'ParsedBucketOutput',
  rawBucket: 'RawBucketOutput',
  topicRuleName: 'TopicRuleNameOutput',
  certificateSecretArn: 'CertificateSecretArnOutput',
} as const;

/** A per-pipeline output, by what it holds. */
export type PipelineOutputName = keyof typeof PIPELINE_OUTPUT_IDS;

/** The description of the thing-name output: how tools recognise a pipeline whose output ids were overridden. */
export const THING_NAME_OUTPUT_DESCRIPTION = 'Thing name = MQTT client id';

/** The stack output (one per stack, at the stack root) with the account's `iot:Data-ATS` endpoint. */
export const DATA_ENDPOINT_OUTPUT_ID = 'IotDataAtsEndpoint';

/**
 * Construct ids inside a pipeline that tools use to find its own resources among those of devices added with
 * `addDevice()`: the logical id of the pipeline's thing is `<path prefix>DeviceThing<hash>`.
 */
export const PIPELINE_CONSTRUCT_IDS = {
  /** The pipeline's own device (thing, certificate, attachments). */
  device: 'Device',
  /** The thing inside a device. */
  thing: 'Thing',
  /** The certificate inside a device. */
  certificate: 'Certificate',
  /** The device policy. */
  devicePolicy: 'DevicePolicy',
  /** The shared policy of devices added with `addDevice()`. */
  fleetPolicy: 'FleetPolicy',
  /** The topic rule. */
  topicRule: 'TopicRule',
  /** The delivery stream without dynamic partitioning. */
  deliveryStream: 'DeliveryStream',
  /** The delivery stream with dynamic partitioning (another id: Firehose enables it only at creation). */
  partitionedDeliveryStream: 'PartitionedDeliveryStream',
} as const;
