// Example app: consumes the library by its package name, as a user would (resolved through the
// package's "exports" from the built lib/). Synthesizes offline: `npx projen synth:example`.
import * as path from 'path';
import { App, Aspects, CfnResource, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  ColumnType, IotCoreFirehosePipeline, ParsedFormat, Parser, PayloadDecoder, PayloadFormat, PipelineEncryption, TableFormat,
} from 'cdk-iot-core-firehose-pipeline';

const app = new App();

// What the reference parser writes for `cdk-iot-pipeline publish`'s default message {"seq", "ts", "temp"}: the
// message, its topic, the device (the topic level after the base topic) and the arrival time (epoch ms).
const TELEMETRY_COLUMNS = [
  { name: 'seq', type: ColumnType.BIGINT, comment: 'message sequence number' },
  { name: 'ts', type: ColumnType.BIGINT, comment: 'device time, epoch milliseconds' },
  { name: 'temp', type: ColumnType.DOUBLE, comment: 'temperature' },
  { name: 'topic', type: ColumnType.STRING },
  { name: 'device', type: ColumnType.STRING, comment: 'topic level after the base topic' },
  { name: 'arrival_timestamp', type: ColumnType.BIGINT, comment: 'Firehose arrival time, epoch milliseconds' },
];

// 1. The write-up's pipeline: devices publish to iot-test-topic/<device>; raw and parsed data land in S3, and
//    `SELECT ... FROM iot_telemetry_example.telemetry` queries the parsed data (Athena, or DuckDB locally).
const stack = new Stack(app, 'IotTelemetryExample', {
  description: 'IoT Core → Firehose → S3 telemetry pipeline (cdk-iot-core-firehose-pipeline example)',
});
new IotCoreFirehosePipeline(stack, 'Pipeline', {
  topic: 'iot-test-topic',
  buffering: { interval: Duration.seconds(60), size: Size.mebibytes(1) },
  parser: Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) }),
  table: { databaseName: 'iot_telemetry_example', tableName: 'telemetry', columns: TELEMETRY_COLUMNS },
});

// 2. Two customers in one stack, each with a parser of its own.
const customers = new Stack(app, 'TwoCustomersExample', {
  description: 'Two customers, two pipelines, two parsers (TypeScript on the toolkit, Python)',
});

/**
 * checkov findings that do not apply, recorded on the resource with the reason (`Metadata.checkov.skip`), as the
 * library does for its own resources: the README lists them all.
 */
function checkovSkip(construct: Construct, skips: Array<{ id: string; comment: string }>): void {
  (construct.node.defaultChild as CfnResource).addMetadata('checkov', { skip: skips });
}

/** A parser function as a user would harden it: arm64, its own role and log group with a year's retention. */
function parserFunction(scope: Construct, id: string, props: { code: lambda.Code; runtime: lambda.Runtime; handler: string }): lambda.Function {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
  checkovSkip(logGroup, [
    { id: 'CKV_AWS_158', comment: 'Example parser: its log lines hold record ids and counts, never payloads; CloudWatch Logs encrypts them with its own key.' },
  ]);
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  const fn = new lambda.Function(scope, id, {
    ...props,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 512,
    timeout: Duration.minutes(1),
    role,
    logGroup,
  });
  checkovSkip(fn, [
    { id: 'CKV_AWS_116', comment: 'Firehose invokes the parser synchronously and retries failed batches itself; a dead-letter queue applies to asynchronous invocations only.' },
    { id: 'CKV_AWS_117', comment: 'The parser calls no network service; a VPC would isolate nothing.' },
    { id: 'CKV_AWS_115', comment: 'Firehose bounds the invocations itself; reserved concurrency would take from the account\'s pool and could throttle the stream.' },
  ]);
  return fn;
}

// Customer A: JSON in, CSV out, written with the parser toolkit (parsers/customer-a, bundled by the build).
// Its data is encrypted with a customer-managed key of its own (created, rotation on); alarms, no dashboard.
new IotCoreFirehosePipeline(customers, 'CustomerA', {
  topic: 'customer-a/telemetry',
  encryption: PipelineEncryption.customerManaged(),
  monitoring: { alarms: true, dashboard: false },
  parser: Parser.fromFunction(parserFunction(customers, 'CustomerAParser', {
    code: lambda.Code.fromAsset(path.join(__dirname, 'build', 'customer-a')),
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
  }), { fileExtension: '.csv' }),
});

// Customer B: the write-up's Python Lambda on the Python parser toolkit (parsers/customer_b, tested with pytest):
// Parser.fromPython ships the folder (tests left out) with the toolkit; no Docker, nothing installed. A trial customer:
// its buckets, logs and secret go with the stack (the buckets are emptied first, so the stack deletes).
new IotCoreFirehosePipeline(customers, 'CustomerB', {
  topic: 'customer-b/telemetry',
  removalPolicy: RemovalPolicy.DESTROY,
  parser: Parser.fromPython({
    entry: path.join(__dirname, 'parsers', 'customer_b'),
    handler: 'index.handler',
    fileExtension: '.json',
    retries: 3,
  }),
});

// 3. Queryable Parquet: Firehose converts the parser's JSON Lines to Parquet with the Glue table's columns
//    (`SELECT ... FROM plant.telemetry`); the buffer defaults to 64 MiB, the minimum for format conversion.
const queryable = new Stack(app, 'QueryableParquetExample', {
  description: 'Telemetry as Parquet, queryable with Athena (cdk-iot-core-firehose-pipeline example)',
});
const plant = new IotCoreFirehosePipeline(queryable, 'Pipeline', {
  topic: 'factory/telemetry',
  parser: Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) }),
  table: { databaseName: 'plant', tableName: 'telemetry', columns: TELEMETRY_COLUMNS, format: TableFormat.parquet() },
});

// 4. The plant's lathes onboard themselves (fleet provisioning by claim): each is manufactured with the one claim
//    certificate (secret in the FleetClaimSecretArnOutput) and, on first boot, asks AWS IoT over MQTT for its own
//    certificate and the thing lathe-<SerialNumber> (`cdk-iot-pipeline provision --template lathes --serial LT-004711
//    --param Model=TX-200`); it then publishes under factory/telemetry/lathe-<SerialNumber> like any device. The hook
//    (hooks/lathe_serial, tested with pytest) refuses serial numbers that are not of the plant's form.
const lathesHookLogs = new logs.LogGroup(queryable, 'LathesHookLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
checkovSkip(lathesHookLogs, [
  { id: 'CKV_AWS_158', comment: 'Example hook: its log lines hold the claim certificate id, the template and the serial number, never a certificate; CloudWatch Logs encrypts them with its own key.' },
]);
const lathesHookRole = new iam.Role(queryable, 'LathesHookRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
lathesHookRole.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [lathesHookLogs.logGroupArn] }));
const lathesHook = new lambda.Function(queryable, 'LathesHook', {
  code: lambda.Code.fromAsset(path.join(__dirname, 'hooks', 'lathe_serial'), { exclude: ['test_*.py', '__pycache__'] }),
  runtime: lambda.Runtime.PYTHON_3_14,
  handler: 'hook.handler',
  architecture: lambda.Architecture.ARM_64,
  // AWS IoT waits at most 5 seconds for the hook's answer.
  timeout: Duration.seconds(5),
  role: lathesHookRole,
  logGroup: lathesHookLogs,
});
checkovSkip(lathesHook, [
  { id: 'CKV_AWS_116', comment: 'AWS IoT invokes the hook synchronously and rejects the request if it fails; a dead-letter queue applies to asynchronous invocations only.' },
  { id: 'CKV_AWS_117', comment: 'The hook calls no network service; a VPC would isolate nothing.' },
  { id: 'CKV_AWS_115', comment: 'Onboarding is rare and bounded by the claim; reserved concurrency would take from the account\'s pool.' },
]);
plant.addFleetProvisioning('Lathes', {
  templateName: 'lathes',
  thingNamePrefix: 'lathe-',
  attributes: ['Model'],
  preProvisioningHook: lathesHook,
});

// 5. Devices that do not send JSON: meters sending CBOR, decoded by the reference parser into the same rows a JSON
//    device gives (queryable as grid.meters), and lathes sending Protobuf, decoded by AWS IoT in the rule with the
//    FileDescriptorSet in schemas/ (deployed by the construct to a bucket AWS IoT may read). Try them with
//    `cdk-iot-pipeline publish --cbor` and `--protobuf --descriptor-set schemas/telemetry.binpb --message-type factory.v1.Telemetry`.
const binary = new Stack(app, 'BinaryDevicesExample', {
  description: 'Devices that do not send JSON: CBOR decoded by the parser, Protobuf decoded in the rule (cdk-iot-core-firehose-pipeline example)',
});
new IotCoreFirehosePipeline(binary, 'Meters', {
  topic: 'grid/meters',
  payload: PayloadFormat.binary(),
  parser: Parser.reference({ decoder: PayloadDecoder.cbor(), format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) }),
  table: {
    databaseName: 'grid',
    tableName: 'meters',
    columns: [
      { name: 'kwh', type: ColumnType.DOUBLE, comment: 'energy since the last message' },
      { name: 'seq', type: ColumnType.BIGINT },
      { name: 'topic', type: ColumnType.STRING },
      { name: 'device', type: ColumnType.STRING, comment: 'topic level after the base topic' },
      { name: 'arrival_timestamp', type: ColumnType.BIGINT },
    ],
  },
});
new IotCoreFirehosePipeline(binary, 'Lathes', {
  topic: 'factory/lathes',
  payload: PayloadFormat.protobuf({ descriptorSet: path.join(__dirname, 'schemas', 'telemetry.binpb'), messageType: 'factory.v1.Telemetry' }),
});

// Every finding must be fixed or carry a scoped, reasoned suppression: errors fail the synth.
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
