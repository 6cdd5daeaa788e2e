import { Annotations, CfnOutput, Duration, Lazy, RemovalPolicy, Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DeviceCertificate } from './certificate';
import {
  BASIC_INGEST_PREFIX, basicIngestTopic, compressionExtension, PIPELINE_CONSTRUCT_IDS, PIPELINE_OUTPUT_IDS, TABLE_OUTPUT_IDS,
  THING_NAME_OUTPUT_DESCRIPTION,
} from './contract';
import { IotDevice } from './device';
import { PipelineEncryption } from './encryption';
import { AddFleetProvisioningOptions, FleetProvisioning } from './fleet-provisioning';
import { MonitoringOptions, PipelineMonitoring } from './monitoring';
import { IParser, Parser } from './parser';
import { PayloadFormat, PayloadFormatKind } from './payload';
import { createQueryWorkGroup } from './private/athena';
import { createDeliveryStream, resolveBuffering, resolvePrefixes } from './private/delivery-stream';
import { createDescriptorStore, DeployedDescriptorSet } from './private/descriptor-store';
import { pipelineKey } from './private/encryption';
import { DataAtsEndpoint } from './private/endpoint';
import { enableIotLogging } from './private/iot-logging';
import { devicePolicyDocument } from './private/iot-policy';
import { pipelineLogGroupPrefix } from './private/log-groups';
import { ReplayTarget } from './private/replay-target';
import { createPipelineTable, grantTableQuery, PipelineTable } from './private/table';
import { createTopicRules, defaultSqlFor, ruleSql } from './private/topic-rule';
import { validateMonitoring, validateTopic } from './private/validation';
import { PipelineReplay, ReplayOptions } from './replay';
import { LIFECYCLE_DEFAULT_DAYS, PipelineStorage, StorageLifecycleOptions } from './storage';
import { TableFormatKind, TableOptions } from './table';


/**
 * How long and how much Firehose buffers before it delivers to S3.
 */
export interface BufferingOptions {
  /**
   * Deliver at least this often (0–900 seconds; 60–900 with dynamic partitioning).
   * @default Duration.seconds(60)
   */
  readonly interval?: Duration;
  /**
   * Deliver when this much data has accumulated (1–128 MiB; at least 64 MiB with dynamic partitioning).
   * @default Size.mebibytes(1)
   */
  readonly size?: Size;
}

/**
 * The raw backup: every source record, untransformed, into the raw bucket.
 */
export interface BackupOptions {
  /**
   * Back up all source records. Firehose cannot turn backup off on an existing stream once it was on.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Key prefix of the raw objects.
   * @default 'raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/'
   */
  readonly prefix?: string;
  /**
   * Key prefix of raw records Firehose failed to back up.
   * @default 'raw-errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/'
   */
  readonly errorPrefix?: string;
}

/**
 * Account-wide AWS IoT log levels (AWS::IoT::Logging).
 */
export enum IotLogLevel {
  /** Errors only. */
  ERROR = 'ERROR',
  /** Warnings and errors. */
  WARN = 'WARN',
  /** Informational messages, warnings and errors. */
  INFO = 'INFO',
  /** Everything (verbose and costly; for short debugging sessions). */
  DEBUG = 'DEBUG',
  /** Logging configured but off. */
  DISABLED = 'DISABLED',
}

/**
 * Options for `IotCoreFirehosePipeline.addDevice()`.
 */
export interface AddDeviceOptions {
  /**
   * The thing name (the MQTT client id).
   * @default - derived from the construct path
   */
  readonly thingName?: string;
  /**
   * The device's certificate.
   * @default DeviceCertificate.generated()
   */
  readonly certificate?: DeviceCertificate;
}

/**
 * Properties of an `IotCoreFirehosePipeline`.
 */
export interface IotCoreFirehosePipelineProps {
  /**
   * The base MQTT topic. Devices may publish to `<topic>` and `<topic>/<anything>`; the default rule
   * forwards `<topic>/<one level>` (see `sql`). No wildcards, no leading `$`, no empty levels,
   * at most 7 levels and 254 bytes.
   */
  readonly topic: string;
  /**
   * The thing name, which is also the MQTT client id the device must connect with.
   * @default - derived from the construct path: unique per stack, valid for AWS IoT
   */
  readonly thingName?: string;
  /**
   * The device certificate the thing and the policy are attached to.
   * @default DeviceCertificate.generated() — a working device out of the box; the private key is kept
   * only in Secrets Manager. Use `DeviceCertificate.fromCsr()` to keep the key on the device.
   */
  readonly certificate?: DeviceCertificate;
  /**
   * The topic rule's SQL (version 2016-03-23). With your own SQL the rejected-messages rule is not created: keep the
   * identity in the rows (`topic()`, `clientid()`) out of the payload's reach yourself.
   * @default "SELECT topic() as topic, * FROM '<topic>/+' WHERE isUndefined(topic)" — matches `<topic>/x` for any
   * single level x (not `<topic>` itself, not `<topic>/x/y`); a message whose payload has its own top-level `topic`
   * is left out and kept by the rejected-messages rule in the raw bucket under `iot-rule-rejected/`; with
   * `payload: PayloadFormat.binary()`, "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId,
   * timestamp() AS timestamp FROM '<topic>/+'". Your own SQL with a binary payload must write that envelope too (the
   * parsers read it); with `PayloadFormat.protobuf()` the construct writes the rule and `sql` is refused.
   */
  readonly sql?: string;
  /**
   * What the devices send: JSON objects, any bytes (`PayloadFormat.binary()`: text lines, CSV, CBOR, ... wrapped by
   * the rule, decoded by the parser's `PayloadDecoder`), or Protobuf decoded by the rule
   * (`PayloadFormat.protobuf({ descriptorSet, messageType })`).
   * @default PayloadFormat.json()
   */
  readonly payload?: PayloadFormat;
  /**
   * Firehose buffering before delivery to S3.
   * @default - 60 seconds / 1 MiB
   */
  readonly buffering?: BufferingOptions;
  /**
   * Compression of the objects Firehose writes (parsed and raw).
   * @default firehose.Compression.GZIP
   */
  readonly compression?: firehose.Compression;
  /**
   * Key prefix of the parsed objects.
   * @default 'parsed/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/'
   * (with dynamic partitioning, `parsed/<key>=!{partitionKeyFromLambda:<key>}/...` for each of the parser's keys first)
   */
  readonly dataOutputPrefix?: string;
  /**
   * Key prefix of records Firehose could not process or deliver; must contain
   * `!{firehose:error-output-type}` when the prefixes hold expressions.
   * @default 'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/'
   */
  readonly errorOutputPrefix?: string;
  /**
   * The raw backup of all source records into the raw bucket.
   * @default - enabled, GZIP, prefix 'raw/...'
   */
  readonly backup?: BackupOptions;
  /**
   * The parser Firehose invokes on every batch.
   * @default Parser.reference()
   */
  readonly parser?: IParser;
  /**
   * The bucket for parsed data.
   * @default - a hardened bucket is created
   */
  readonly parsedBucket?: s3.IBucket;
  /**
   * The bucket for raw data and IoT rule errors.
   * @default - a hardened bucket is created
   */
  readonly rawBucket?: s3.IBucket;
  /**
   * What happens to the buckets, log groups, keys and secrets the construct creates when they leave the stack.
   * With `RemovalPolicy.DESTROY` the buckets the construct created are emptied first (every object version), so
   * the stack deletes.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Lifecycle rules of the buckets the construct creates.
   * @default - noncurrent versions expire after 30 days, rule errors and rejected messages after 90 days, access
   * logs after 365 days
   */
  readonly lifecycle?: StorageLifecycleOptions;
  /**
   * Retention of the log groups the construct creates (Firehose and the parser). The per-stack log groups of the
   * certificate provider and the endpoint lookup keep one year.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * CloudWatch alarms and a dashboard: which, and where the alarms notify.
   * @default - alarms without an action, and a dashboard
   */
  readonly monitoring?: MonitoringOptions;
  /**
   * How what the construct creates is encrypted at rest: `PipelineEncryption.customerManaged(key?)` uses one
   * customer-managed KMS key for the buckets it creates, the stream, the generated certificate's secret and
   * the log groups (created with rotation on when no key is given).
   * @default PipelineEncryption.awsManaged()
   */
  readonly encryption?: PipelineEncryption;
  /**
   * Devices publish with AWS IoT Basic Ingest to `$aws/rules/<ruleName>/<topic>/...`: no messaging charge;
   * the device policy then allows only those topics. The rule still matches (topic() excludes the prefix).
   * @default false
   */
  readonly basicIngest?: boolean;
  /**
   * Firehose dynamic partitioning with the keys the parser returns in `metadata.partitionKeys`. Needs a buffer
   * size of at least 64 MiB and an interval of 60–900 s. Firehose can enable it only when the stream is
   * created: switching it replaces the delivery stream (a new stream is created).
   * @default false
   */
  readonly dynamicPartitioning?: boolean;
  /**
   * Confine every device to its own sub-topic `<topic>/<thingName>` (and below) in the device policies, so that the
   * topic level after the base topic (`device` in the parsed rows, topic-level partition keys) is the device's own
   * thing name. Turning it off with several devices lets one device publish as another: a warning says so.
   * @default - true once the pipeline has more than one device (`addDevice()`), false with its one device
   */
  readonly confineDevicesToSubTopic?: boolean;
  /**
   * Turn on account-wide AWS IoT logging (AWS::IoT::Logging) at this level. There is one such setting per
   * account and region: enable it in one stack only, and not where it is already configured.
   * @default - IoT logging is not touched
   */
  readonly iotLogging?: IotLogLevel;
  /**
   * A queryable table over the parsed data: a Glue database and table whose partition keys and Athena partition
   * projection follow from `dataOutputPrefix` (new hours and keys are found without crawlers or `MSCK REPAIR`),
   * and an Athena workgroup with a results bucket. `format: TableFormat.parquet()` makes Firehose write Parquet.
   * @default - no table
   */
  readonly table?: TableOptions;
}

/**
 * Device telemetry from AWS IoT Core to S3 through Kinesis Data Firehose:
 * thing + certificate + least-privilege policy → topic rule (with an error action) → Firehose
 * (buffering, GZIP, raw backup, parser Lambda) → parsed and raw S3 buckets.
 */
export class IotCoreFirehosePipeline extends Construct {
  /** The IoT thing of the pipeline's device. */
  public readonly thing: iot.CfnThing;
  /** The thing name, also the MQTT client id. */
  public readonly thingName: string;
  /** The base topic. */
  public readonly topic: string;
  /** The topic prefix devices publish under: the base topic, or `$aws/rules/<ruleName>/<topic>` with Basic Ingest. */
  public readonly publishTopic: string;
  /** The device policy: Connect as the thing, Publish to the topic and below, nothing else. */
  public readonly devicePolicy: iot.CfnPolicy;
  /** The device (thing, certificate, attachments). */
  public readonly device: IotDevice;
  /** What the devices send, and so what the topic rule does with a message. */
  public readonly payloadFormat: PayloadFormat;
  /**
   * The bucket AWS IoT reads the FileDescriptorSet from, with `PayloadFormat.protobuf()`: SSE-S3, readable by the
   * `iot.amazonaws.com` service principal of this account and region only, under `payload-schemas/`.
   */
  public readonly descriptorSetBucket?: s3.IBucket;
  /** The topic rule (L1: aws-cdk-lib has no stable IoT L2). */
  public readonly topicRule: iot.CfnTopicRule;
  /** The role of the topic rule: only that rule may assume it; it may put records into the stream and write rule errors. */
  public readonly topicRuleRole: iam.IRole;
  /**
   * The rejected-messages rule: keeps messages whose payload has its own top-level `topic` in the raw bucket under
   * `iot-rule-rejected/` instead of the parsed data. Created with the default SQL of a JSON pipeline, without Basic Ingest.
   */
  public readonly rejectedMessagesRule?: iot.CfnTopicRule;
  /**
   * The delivery stream's role, assumable by Firehose for this account only, with S3 object actions only under the
   * stream's prefixes and no deletes. Grants to it land in its policy (`otherBucket.grantWrite(pipeline.deliveryStreamRole)`); grant to this
   * role rather than to `deliveryStream`, whose grant principal is an immutable view of it.
   */
  public readonly deliveryStreamRole: iam.IRole;
  /** The Firehose delivery stream. */
  public readonly deliveryStream: firehose.IDeliveryStream;
  /** The bucket with parsed data. */
  public readonly parsedBucket: s3.IBucket;
  /** The bucket with raw source records and IoT rule errors. */
  public readonly rawBucket: s3.IBucket;
  /** The bucket with the server access logs of the buckets the construct created (none when you gave both buckets). */
  public readonly accessLogsBucket?: s3.IBucket;
  /** The parser function Firehose invokes. */
  public readonly parserFunction: lambda.IFunction;
  /** The account's AWS IoT data endpoint (iot:Data-ATS) devices connect to. */
  public readonly dataEndpoint: string;
  /** The log group of the delivery stream. */
  public readonly deliveryLogGroup: logs.ILogGroup;
  /** The secret with the generated certificate and private key, when the certificate is generated. */
  public readonly certificateSecret?: secretsmanager.ISecret;
  /** The customer-managed key, with `PipelineEncryption.customerManaged()`. */
  public readonly encryptionKey?: kms.IKey;
  /** Alarms and dashboard, unless `monitoring.alarms` is false. */
  public readonly monitoring?: PipelineMonitoring;
  /** The Glue database of the table, with `table`. */
  public readonly databaseName?: string;
  /** The Glue table over the parsed data, with `table`. */
  public readonly tableName?: string;
  /** The Athena workgroup for queries over the table, with `table` (unless its workgroup is disabled). */
  public readonly workGroupName?: string;
  /** The Glue table (L1: aws-cdk-lib has no stable Glue table L2 at this library's floor), with `table`. */
  public readonly glueTable?: glue.CfnTable;
  /** The Athena workgroup (L1), with `table` (unless its workgroup is disabled). */
  public readonly workGroup?: athena.CfnWorkGroup;
  /** The bucket with the workgroup's query results, with `table` (unless its workgroup is disabled). */
  public readonly queryResultsBucket?: s3.IBucket;

  /** @internal What `addReplay()` needs from the pipeline. */
  public readonly _replayTarget: ReplayTarget;
  private readonly removalPolicy: RemovalPolicy;
  private readonly confineDevices?: boolean;
  private readonly table?: PipelineTable;
  private fleetPolicy?: iot.CfnPolicy;

  constructor(scope: Construct, id: string, props: IotCoreFirehosePipelineProps) {
    super(scope, id);
    // 1. validate what needs no resource: topic, SQL, buffering, monitoring
    validateTopic(this, props.topic);
    this.topic = props.topic;
    this.payloadFormat = props.payload ?? PayloadFormat.json();
    const userSql = ruleSql(this, props.sql, this.payloadFormat);
    const dynamicPartitioning = props.dynamicPartitioning ?? false;
    const parquet = props.table?.format?.kind === TableFormatKind.PARQUET;
    const buffering = resolveBuffering(this, props.buffering, dynamicPartitioning, parquet);
    const monitoring = props.monitoring ?? {};
    validateMonitoring(this, monitoring);
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.confineDevices = props.confineDevicesToSubTopic;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const removalPolicy = this.removalPolicy;
    const logGroupPrefix = pipelineLogGroupPrefix(this);

    // 2. encryption: one customer-managed key for everything below, or none
    this.encryptionKey = pipelineKey(this, props.encryption ?? PipelineEncryption.awsManaged(), removalPolicy, logGroupPrefix);

    // 3. storage: the parsed and raw buckets (created hardened, or the caller's)
    const storage = new PipelineStorage(this, 'Storage', {
      parsedBucket: props.parsedBucket,
      rawBucket: props.rawBucket,
      removalPolicy,
      encryptionKey: this.encryptionKey,
      lifecycle: props.lifecycle,
    });
    this.parsedBucket = storage.parsedBucket;
    this.rawBucket = storage.rawBucket;
    this.accessLogsBucket = storage.accessLogsBucket;
    // the FileDescriptorSet a Protobuf rule decodes with, in a bucket of its own that AWS IoT may read
    let descriptor: DeployedDescriptorSet | undefined;
    if (this.payloadFormat._descriptor) {
      descriptor = createDescriptorStore(this, 'PayloadSchemas', {
        descriptor: this.payloadFormat._descriptor,
        removalPolicy,
        accessLogsBucket: storage.accessLogsBucket,
        noncurrentVersionExpiration: props.lifecycle?.noncurrentVersionExpiration
          ?? Duration.days(LIFECYCLE_DEFAULT_DAYS.noncurrentVersionExpiration),
      });
      this.descriptorSetBucket = descriptor.bucket;
    }

    // 4. device: thing and certificate, attached to the device policy (its document is rendered at synth time from
    // the topic and the pipeline's devices: devicePolicyDocument)
    this.devicePolicy = new iot.CfnPolicy(this, PIPELINE_CONSTRUCT_IDS.devicePolicy, {
      policyDocument: Lazy.any({ produce: () => this.policyDocument(this.thingName) }),
    });
    this.device = new IotDevice(this, PIPELINE_CONSTRUCT_IDS.device, {
      thingName: props.thingName,
      certificate: props.certificate,
      policyName: this.devicePolicy.ref,
      removalPolicy,
      encryptionKey: this.encryptionKey,
    });
    this.thing = this.device.thing;
    this.thingName = this.device.thingName;
    this.certificateSecret = this.device.certificateSecret;

    // 5. parser
    const parser = (props.parser ?? Parser.reference()).bind(this, {
      parsedBucket: this.parsedBucket,
      logRetention,
      removalPolicy,
      encryptionKey: this.encryptionKey,
      logGroupNamePrefix: logGroupPrefix,
      baseTopic: this.topic,
      payloadFormat: this.payloadFormat,
    });
    this.parserFunction = parser.parserFunction;

    // 6. prefixes, and the table over the parsed data (its partitions follow from the data prefix)
    const compression = props.compression ?? firehose.Compression.GZIP;
    const prefixes = resolvePrefixes(this, {
      dataOutputPrefix: props.dataOutputPrefix,
      errorOutputPrefix: props.errorOutputPrefix,
      backup: props.backup ?? {},
      dynamicPartitioning,
      parser,
    });
    let table: PipelineTable | undefined;
    if (props.table) {
      table = createPipelineTable(this, {
        options: props.table,
        dataOutputPrefix: prefixes.dataOutputPrefix,
        dynamicPartitioning,
        parsedBucket: this.parsedBucket,
        parserFileExtension: parser.fileExtension,
        compression,
      });
      this.table = table;
      this.databaseName = table.databaseName;
      this.tableName = table.tableName;
      this.glueTable = table.table;
    }

    // 7. delivery stream: buffering, compression, prefixes, raw backup, the parser as processor
    const delivery = createDeliveryStream(this, {
      buffering,
      compression,
      prefixes,
      recordFormatConversion: table?.recordFormatConversion,
      dynamicPartitioning,
      parser,
      parsedBucket: this.parsedBucket,
      rawBucket: this.rawBucket,
      encryptionKey: this.encryptionKey,
      logRetention,
      removalPolicy,
      logGroupPrefix,
    });
    this.deliveryStream = delivery.stream;
    this.deliveryLogGroup = delivery.logGroup;
    this.deliveryStreamRole = delivery.role;

    // 8. the Athena workgroup for queries over the table
    if (table && (props.table?.workGroup?.enabled ?? true)) {
      const workGroup = createQueryWorkGroup(this, {
        options: props.table?.workGroup ?? {},
        databaseName: table.databaseName,
        tableName: table.tableName,
        encryptionKey: this.encryptionKey,
        removalPolicy,
        accessLogsBucket: storage.accessLogsBucket,
      });
      this.workGroup = workGroup.workGroup;
      this.workGroupName = workGroup.workGroupName;
      this.queryResultsBucket = workGroup.resultsBucket;
    }

    // 9. topic rules: MQTT → the stream, failures → the raw bucket; with the default SQL, messages whose payload
    // has its own `topic` → the raw bucket (a Basic Ingest message reaches only the rule its topic names)
    // (a binary payload's identity comes from the rule's functions, out of the payload's reach: no rejected rule)
    const rules = createTopicRules(this, {
      topic: this.topic,
      sql: userSql ?? defaultSqlFor(this.topic, this.payloadFormat, descriptor),
      rejectedMessagesRule: props.sql === undefined && !props.basicIngest && this.payloadFormat.kind === PayloadFormatKind.JSON,
      deliveryStream: this.deliveryStream,
      rawBucket: this.rawBucket,
      encryptionKey: this.encryptionKey,
    });
    this.topicRule = rules.rule;
    this.topicRuleRole = rules.role;
    this.rejectedMessagesRule = rules.rejectedRule;
    // AWS IoT reads the descriptor set when the rule is created or updated: deploy it first.
    if (descriptor) rules.rule.node.addDependency(descriptor.deployment);

    // 10. device policy: Connect as the thing, Publish to the topic (its Basic Ingest form needs the rule name)
    this.publishTopic = props.basicIngest ? basicIngestTopic(this.topicRule.ref, this.topic) : this.topic;

    // 11. monitoring, and account-wide IoT logging (opt-in)
    if (monitoring.alarms ?? true) {
      this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
        deliveryStream: this.deliveryStream,
        parserFunction: this.parserFunction,
        topicRuleName: this.topicRule.ref,
        rejectedMessagesRuleName: this.rejectedMessagesRule?.ref,
        bufferingInterval: buffering.interval,
        dynamicPartitioning,
        putRequestQuotaPerSecond: monitoring.putRequestQuotaPerSecond,
        alarmAction: monitoring.alarmAction,
        dashboard: monitoring.dashboard,
      });
    }
    if (props.iotLogging !== undefined) {
      enableIotLogging(this, props.iotLogging);
    }

    // 12. what a replay needs (addReplay): the layout the stream writes and the settings of the pipeline's functions
    this._replayTarget = {
      parsedBucket: this.parsedBucket,
      rawBucket: this.rawBucket,
      parserFunction: this.parserFunction,
      deliveryStreamArn: this.deliveryStream.deliveryStreamArn,
      dataOutputPrefix: prefixes.dataOutputPrefix ?? '',
      errorOutputPrefix: prefixes.errorOutputPrefix ?? '',
      backupPrefix: prefixes.backupEnabled ? prefixes.backupPrefix : undefined,
      dynamicPartitioning,
      extension: `${parser.fileExtension ?? ''}${compressionExtension(compression.value)}`,
      errorExtension: compressionExtension(compression.value),
      convertsRecords: table?.recordFormatConversion !== undefined,
      eventLimitBytes: Math.floor(parser.bufferSize.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024),
      encryptionKey: this.encryptionKey,
      logRetention,
      removalPolicy,
      logGroupPrefix,
      alarmAction: monitoring.alarmAction,
      alarms: this.monitoring?.alarms,
    };

    // 13. endpoint and outputs (the CLI and the local runner find the pipeline by them)
    this.dataEndpoint = DataAtsEndpoint.of(this).address;
    this.addOutputs();
  }

  /**
   * Adds another device (thing + certificate) to the pipeline. All added devices share one least-privilege
   * policy that uses `${iot:Connection.Thing.ThingName}`: a device may connect only as the thing its
   * certificate is attached to, and publish only under `<topic>/<its thing name>` — and from now on so may the
   * pipeline's own device — unless `confineDevicesToSubTopic` is false.
   */
  public addDevice(id: string, options: AddDeviceOptions = {}): IotDevice {
    return new IotDevice(this, id, {
      thingName: options.thingName,
      certificate: options.certificate,
      policyName: this.sharedFleetPolicy().ref,
      removalPolicy: this.removalPolicy,
      encryptionKey: this.encryptionKey,
    });
  }

  /**
   * Adds fleet provisioning by claim: devices manufactured with one shared claim certificate obtain their own
   * certificate and thing over MQTT on first boot. Every provisioned device gets the same least-privilege policy as
   * devices added with `addDevice()` (connect as its thing, publish under `<topic>/<its thing name>`), and so, from
   * now on, does the pipeline's own device, unless `confineDevicesToSubTopic` is false.
   */
  public addFleetProvisioning(id: string, options: AddFleetProvisioningOptions = {}): FleetProvisioning {
    return new FleetProvisioning(this, id, {
      ...options,
      devicePolicyName: this.sharedFleetPolicy().ref,
      removalPolicy: this.removalPolicy,
      encryptionKey: this.encryptionKey,
    });
  }

  /** The policy of devices added with `addDevice()` and of provisioned devices, created with the first of them. */
  private sharedFleetPolicy(): iot.CfnPolicy {
    if (!this.fleetPolicy) {
      // A second device: confinement (unless turned off) applies to the pipeline's own device too (its document is
      // rendered lazily, so it sees the fleet policy).
      this.fleetPolicy = new iot.CfnPolicy(this, PIPELINE_CONSTRUCT_IDS.fleetPolicy, {
        policyDocument: Lazy.any({ produce: () => this.policyDocument('${iot:Connection.Thing.ThingName}') }),
      });
      if (this.confineDevices === false) {
        Annotations.of(this).addWarningV2('cdk-iot-core-firehose-pipeline:devicesNotConfined',
          'confineDevicesToSubTopic is false and the pipeline has several devices: a device may publish under another device\'s sub-topic, so the topic level after the base topic (`device` in parsed rows, topic-level partition keys) does not prove which device sent a record.');
      }
    }
    return this.fleetPolicy;
  }

  /**
   * Lets a principal query the table with Athena in the pipeline's workgroup: the query actions on the workgroup,
   * `glue:GetDatabase`/`GetTable` on the table, read access to the parsed objects under the table's location, the
   * S3 actions Athena needs on the results bucket (read, write and multipart, without deletes, retention or legal hold) and,
   * with a customer-managed key, `kms:Decrypt` (data and results) and `kms:GenerateDataKey` (results) through S3 for
   * those buckets only. Needs `table`.
   */
  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    if (!this.table) {
      throw new Error(`${this.node.path}: grantQuery() needs a table; give the pipeline \`table: { columns: [...] }\`.`);
    }
    return grantTableQuery(grantee, {
      table: this.table,
      parsedBucket: this.parsedBucket,
      workGroupName: this.workGroupName,
      resultsBucket: this.queryResultsBucket,
      encryptionKey: this.encryptionKey,
    });
  }

  /**
   * Adds a replay: a Step Functions state machine (a Distributed Map over an S3 listing) that re-runs the records the
   * parser failed, or the raw backup into a new prefix, through the pipeline's current parser. Start it with
   * `cdk-iot-pipeline replay --stack <stack>` or with the input `{"source": "processing-failed" | "raw", "from":
   * "<ISO hour>", "to": "<ISO hour>", "outputPrefix"?: "backfill/…"}`.
   */
  public addReplay(id: string, options: ReplayOptions = {}): PipelineReplay {
    return new PipelineReplay(this, id, options);
  }

  /** The device policy for a client id (a thing name or the thing-name policy variable). */
  private policyDocument(clientId: string): object {
    const confine = this.confineDevices ?? this.fleetPolicy !== undefined;
    return devicePolicyDocument(this, { clientId, publishTopic: this.publishTopic, confineToSubTopic: confine });
  }

  private addOutputs(): void {
    const ids = PIPELINE_OUTPUT_IDS;
    new CfnOutput(this, ids.thingName, { description: THING_NAME_OUTPUT_DESCRIPTION, value: this.thingName });
    new CfnOutput(this, ids.topic, { description: 'Base topic devices publish to', value: this.topic });
    new CfnOutput(this, ids.publishTopic, { description: `Topic prefix devices publish under (Basic Ingest adds ${BASIC_INGEST_PREFIX}<rule>/)`, value: this.publishTopic });
    new CfnOutput(this, ids.deliveryStreamName, { value: this.deliveryStream.deliveryStreamName });
    new CfnOutput(this, ids.parsedBucket, { value: this.parsedBucket.bucketName });
    new CfnOutput(this, ids.rawBucket, { value: this.rawBucket.bucketName });
    new CfnOutput(this, ids.topicRuleName, { value: this.topicRule.ref });
    if (this.certificateSecret) {
      new CfnOutput(this, ids.certificateSecretArn, {
        description: 'Secrets Manager secret with the device certificate and private key',
        value: this.certificateSecret.secretArn,
      });
    }
    const tableIds = TABLE_OUTPUT_IDS;
    if (this.databaseName !== undefined && this.tableName !== undefined) {
      new CfnOutput(this, tableIds.databaseName, { description: 'Glue database of the queryable table', value: this.databaseName });
      new CfnOutput(this, tableIds.tableName, { description: 'Glue table over the parsed data (query it as <database>.<table>)', value: this.tableName });
    }
    if (this.workGroupName !== undefined) {
      new CfnOutput(this, tableIds.workGroupName, { description: 'Athena workgroup for queries over the table', value: this.workGroupName });
    }
  }
}
