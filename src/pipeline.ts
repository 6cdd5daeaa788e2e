import { Annotations, ArnFormat, Aws, CfnOutput, Duration, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PipelineMonitoring } from './alarms';
import { DeviceCertificate } from './certificate';
import { IotDevice } from './device';
import { IParser, Parser } from './parser';
import {
  DEFAULT_BACKUP_ERROR_PREFIX, DEFAULT_BACKUP_PREFIX, DEFAULT_DATA_OUTPUT_PREFIX, DEFAULT_ERROR_OUTPUT_PREFIX, RULE_ERRORS_PREFIX,
} from './private/defaults';
import { DataAtsEndpoint } from './private/endpoint';
import { addNagSuppressions } from './private/nag';
import { ExplicitLambdaProcessor } from './private/processor';
import { invalid, validatePrefixes, validateMebibytes, validateSeconds, validateTopic } from './private/validation';
import { PipelineStorage } from './storage';


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
   * The topic rule's SQL (version 2016-03-23).
   * @default "SELECT topic() as topic, * FROM '<topic>/+'" — matches `<topic>/x` for any single level x;
   * not `<topic>` itself and not `<topic>/x/y`
   */
  readonly sql?: string;
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
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the log groups the construct creates (Firehose and the parser).
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Create CloudWatch alarms (data freshness, processing and delivery failures, throttling, put requests
   * near quota, parser errors and throttles, IoT rule action and error-action failures).
   * @default true
   */
  readonly alarms?: boolean;
  /**
   * Where the alarms notify, e.g. `new cloudwatch_actions.SnsAction(topic)`.
   * @default - no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /**
   * Create a CloudWatch dashboard of the flow (needs `alarms`).
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * The stream's Direct PUT request quota per second, for the "near quota" alarm.
   * @default 2000
   */
  readonly putRequestQuotaPerSecond?: number;
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
   * One customer-managed KMS key for the buckets the construct creates, the stream, the generated
   * certificate's secret and the log groups. An imported key's policy must already allow CloudWatch Logs
   * (see README).
   * @default - AWS-managed encryption (S3-managed keys, AWS-owned stream key), unless `customerManagedKey`
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Create a customer-managed key (rotation on) when `encryptionKey` is not given.
   * @default false
   */
  readonly customerManagedKey?: boolean;
  /**
   * Confine every device to its own sub-topic `<topic>/<thingName>` (and below) in the device policies.
   * @default false
   */
  readonly confineDevicesToSubTopic?: boolean;
  /**
   * Turn on account-wide AWS IoT logging (AWS::IoT::Logging) at this level. There is one such setting per
   * account and region: enable it in one stack only, and not where it is already configured.
   * @default - IoT logging is not touched
   */
  readonly iotLogging?: IotLogLevel;
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
  /** The topic rule (L1: aws-cdk-lib has no stable IoT L2). */
  public readonly topicRule: iot.CfnTopicRule;
  /** The Firehose delivery stream. */
  public readonly deliveryStream: firehose.IDeliveryStream;
  /** The bucket with parsed data. */
  public readonly parsedBucket: s3.IBucket;
  /** The bucket with raw source records and IoT rule errors. */
  public readonly rawBucket: s3.IBucket;
  /** The parser function Firehose invokes. */
  public readonly parserFunction: lambda.IFunction;
  /** The account's AWS IoT data endpoint (iot:Data-ATS) devices connect to. */
  public readonly dataEndpoint: string;
  /** The log group of the delivery stream. */
  public readonly deliveryLogGroup: logs.ILogGroup;
  /** The secret with the generated certificate and private key, when the certificate is generated. */
  public readonly certificateSecret?: secretsmanager.ISecret;
  /** The customer-managed key, when one is used. */
  public readonly encryptionKey?: kms.IKey;
  /** Alarms and dashboard, unless `alarms` is false. */
  public readonly monitoring?: PipelineMonitoring;

  private readonly removalPolicy: RemovalPolicy;
  private readonly confineDevices: boolean;
  private fleetPolicy?: iot.CfnPolicy;

  constructor(scope: Construct, id: string, props: IotCoreFirehosePipelineProps) {
    super(scope, id);
    validateTopic(this, props.topic);
    this.topic = props.topic;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.removalPolicy = removalPolicy;
    this.confineDevices = props.confineDevicesToSubTopic ?? false;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const dynamicPartitioning = props.dynamicPartitioning ?? false;

    // --- validation of the Firehose options (before anything is created) -------------------------
    const interval = props.buffering?.interval ?? Duration.seconds(60);
    const size = props.buffering?.size ?? (dynamicPartitioning ? Size.mebibytes(64) : Size.mebibytes(1));
    const intervalSeconds = validateSeconds(this, 'buffering.interval', interval, 0, 900);
    const sizeMib = validateMebibytes(this, 'buffering.size', size, 1, 128);
    if (!Token.isUnresolved(size.toKibibytes()) && size.toKibibytes() % 1024 !== 0) {
      invalid(this, 'buffering.size', `${size.toKibibytes()} KiB is not a whole number of MiB; Firehose takes the S3 buffer size in whole MiB.`);
    }
    if (dynamicPartitioning) {
      if (sizeMib < 64) {
        invalid(this, 'buffering.size', `${sizeMib} MiB is too small for dynamic partitioning; Firehose requires at least 64 MiB (give Size.mebibytes(64) or more, or turn dynamicPartitioning off).`);
      }
      if (intervalSeconds < 60) {
        invalid(this, 'buffering.interval', `${intervalSeconds} s is too short for dynamic partitioning (zero buffering is not available); give 60 to 900 seconds.`);
      }
    }
    const compression = props.compression ?? firehose.Compression.GZIP;
    if (props.dashboard && props.alarms === false) {
      invalid(this, 'dashboard', 'the dashboard is part of the monitoring that `alarms: false` turns off; remove `dashboard` or set `alarms: true`.');
    }

    // --- encryption -------------------------------------------------------------------------------
    this.encryptionKey = props.encryptionKey ?? (props.customerManagedKey
      ? new kms.Key(this, 'Key', {
        enableKeyRotation: true,
        description: `IotCoreFirehosePipeline ${this.node.path}: buckets, stream, secrets and logs`,
        removalPolicy,
      })
      : undefined);
    if (this.encryptionKey) {
      allowCloudWatchLogs(this.encryptionKey);
    }

    // --- storage ----------------------------------------------------------------------------------
    const storage = new PipelineStorage(this, 'Storage', {
      parsedBucket: props.parsedBucket,
      rawBucket: props.rawBucket,
      removalPolicy,
      encryptionKey: this.encryptionKey,
    });
    this.parsedBucket = storage.parsedBucket;
    this.rawBucket = storage.rawBucket;

    // --- device: thing, certificate, policy (document set once the rule name is known) -------------
    this.devicePolicy = new iot.CfnPolicy(this, 'DevicePolicy', { policyDocument: {} });
    this.device = new IotDevice(this, 'Device', {
      thingName: props.thingName,
      certificate: props.certificate,
      policyName: this.devicePolicy.ref,
      removalPolicy,
      encryptionKey: this.encryptionKey,
    });
    this.thing = this.device.thing;
    this.thingName = this.device.thingName;
    this.certificateSecret = this.device.certificateSecret;

    // --- parser -----------------------------------------------------------------------------------
    const parser = props.parser ?? Parser.reference();
    const parserConfig = parser.bind(this, {
      parsedBucket: this.parsedBucket,
      logRetention,
      removalPolicy,
      encryptionKey: this.encryptionKey,
    });
    this.parserFunction = parserConfig.parserFunction;
    const fileExtension = parserConfig.fileExtension !== undefined
      ? `${parserConfig.fileExtension}${compressionSuffix(compression)}`
      : undefined;
    const partitionKeys = parserConfig.partitionKeys ?? [];
    if (dynamicPartitioning && partitionKeys.length === 0) {
      invalid(this, 'dynamicPartitioning', 'the parser returns no partition keys; give them, e.g. Parser.reference({ partitionKeys: [PartitionKey.topicLevel(\'device\', 1)] }) or Parser.fromFunction(fn, { partitionKeys: [\'device\'] }).');
    }

    // --- prefixes ---------------------------------------------------------------------------------
    const defaultDataPrefix = dynamicPartitioning
      ? `parsed/${partitionKeys.map((key) => `${key}=!{partitionKeyFromLambda:${key}}/`).join('')}${DEFAULT_DATA_OUTPUT_PREFIX.slice('parsed/'.length)}`
      : DEFAULT_DATA_OUTPUT_PREFIX;
    const dataOutputPrefix = props.dataOutputPrefix ?? defaultDataPrefix;
    const errorOutputPrefix = props.errorOutputPrefix ?? (props.dataOutputPrefix === undefined ? DEFAULT_ERROR_OUTPUT_PREFIX : undefined);
    validatePrefixes(this, 'dataOutputPrefix', dataOutputPrefix, 'errorOutputPrefix', errorOutputPrefix, dynamicPartitioning ? partitionKeys : undefined);
    if (dynamicPartitioning && (errorOutputPrefix === undefined || errorOutputPrefix === '')) {
      invalid(this, 'errorOutputPrefix', 'dynamic partitioning requires an error output prefix; give one with !{firehose:error-output-type}.');
    }
    const backupEnabled = props.backup?.enabled ?? true;
    const backupPrefix = props.backup?.prefix ?? DEFAULT_BACKUP_PREFIX;
    const backupErrorPrefix = props.backup?.errorPrefix ?? (props.backup?.prefix === undefined ? DEFAULT_BACKUP_ERROR_PREFIX : undefined);
    if (backupEnabled) {
      validatePrefixes(this, 'backup.prefix', backupPrefix, 'backup.errorPrefix', backupErrorPrefix);
    }

    // --- Firehose ---------------------------------------------------------------------------------
    const logGroup = new logs.LogGroup(this, 'DeliveryLogGroup', { retention: logRetention, removalPolicy, encryptionKey: this.encryptionKey });
    this.deliveryLogGroup = logGroup;
    const destination = new firehose.S3Bucket(this.parsedBucket, {
      bufferingInterval: interval,
      bufferingSize: size,
      compression,
      dataOutputPrefix,
      errorOutputPrefix,
      fileExtension,
      encryptionKey: this.encryptionKey,
      loggingConfig: new firehose.EnableLogging(logGroup),
      processors: [new ExplicitLambdaProcessor(parserConfig)],
      s3Backup: backupEnabled
        ? {
          mode: firehose.BackupMode.ALL,
          bucket: this.rawBucket,
          dataOutputPrefix: backupPrefix,
          errorOutputPrefix: backupErrorPrefix,
          compression,
          bufferingInterval: interval,
          bufferingSize: size,
          encryptionKey: this.encryptionKey,
          loggingConfig: new firehose.EnableLogging(logGroup),
        }
        : undefined,
    });
    // Dynamic partitioning can only be set when a stream is created, so the stream's id (and so its
    // logical id) differs with and without it: switching creates a new stream instead of a failed update.
    const stream = new firehose.DeliveryStream(this, dynamicPartitioning ? 'PartitionedDeliveryStream' : 'DeliveryStream', {
      destination,
      encryption: this.encryptionKey
        ? firehose.StreamEncryption.customerManagedKey(this.encryptionKey)
        : firehose.StreamEncryption.awsOwnedKey(),
    });
    if (dynamicPartitioning) {
      (stream.node.defaultChild as firehose.CfnDeliveryStream).addPropertyOverride(
        'ExtendedS3DestinationConfiguration.DynamicPartitioningConfiguration',
        { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
      );
      Annotations.of(this).addInfo('dynamicPartitioning: Firehose can enable it only at stream creation; turning it on or off replaces the delivery stream.');
    }
    this.deliveryStream = stream;

    // --- IoT rule ---------------------------------------------------------------------------------
    const ruleRole = new iam.Role(this, 'TopicRuleRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': this.iotArn('rule', '*') },
        },
      }),
      description: 'Lets the pipeline\'s IoT topic rule put records into its delivery stream and write rule errors',
    });
    const rulePolicy = new iam.Policy(this, 'TopicRulePolicy', {
      roles: [ruleRole],
      statements: [
        new iam.PolicyStatement({ actions: ['firehose:PutRecord'], resources: [stream.deliveryStreamArn] }),
        new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.rawBucket.arnForObjects(`${RULE_ERRORS_PREFIX}*`)] }),
      ],
    });
    if (this.encryptionKey) {
      this.encryptionKey.grant(ruleRole, 'kms:GenerateDataKey');
    }
    const sql = props.sql ?? `SELECT topic() as topic, * FROM '${this.topic}/+'`;
    if (!Token.isUnresolved(sql) && !/^\s*select\s[\s\S]+\sfrom\s+'[^']+'/i.test(sql)) {
      invalid(this, 'sql', `"${sql}" is not an IoT SQL statement of the form SELECT ... FROM '<topic filter>' [WHERE ...].`);
    }
    this.topicRule = new iot.CfnTopicRule(this, 'TopicRule', {
      topicRulePayload: {
        description: `Forwards ${this.topic} telemetry to Kinesis Data Firehose`,
        sql,
        awsIotSqlVersion: '2016-03-23',
        ruleDisabled: false,
        actions: [{
          firehose: {
            deliveryStreamName: stream.deliveryStreamName,
            roleArn: ruleRole.roleArn,
            separator: '\n',
          },
        }],
        errorAction: {
          s3: {
            bucketName: this.rawBucket.bucketName,
            key: `${RULE_ERRORS_PREFIX}\${parse_time("yyyy/MM/dd/HH", timestamp(), "UTC")}/\${newuuid()}.json`,
            roleArn: ruleRole.roleArn,
          },
        },
      },
    });
    // The role's policy must exist before IoT validates the rule's actions.
    this.topicRule.node.addDependency(rulePolicy);

    // --- device policy ------------------------------------------------------------------------------
    this.publishTopic = props.basicIngest ? `$aws/rules/${this.topicRule.ref}/${this.topic}` : this.topic;
    this.devicePolicy.policyDocument = this.policyDocument(this.thingName);

    // --- monitoring -------------------------------------------------------------------------------
    if (props.alarms ?? true) {
      this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
        deliveryStream: stream,
        parserFunction: this.parserFunction,
        topicRuleName: this.topicRule.ref,
        bufferingInterval: interval,
        dynamicPartitioning,
        putRequestQuotaPerSecond: props.putRequestQuotaPerSecond,
        alarmAction: props.alarmAction,
        dashboard: props.dashboard,
      });
    }

    // --- account-wide IoT logging (opt-in) --------------------------------------------------------
    if (props.iotLogging !== undefined) {
      enableIotLogging(this, props.iotLogging);
    }

    // --- endpoint and outputs ---------------------------------------------------------------------
    this.dataEndpoint = DataAtsEndpoint.of(this).address;
    new CfnOutput(this, 'ThingNameOutput', { description: 'Thing name = MQTT client id', value: this.thingName });
    new CfnOutput(this, 'TopicOutput', { description: 'Base topic devices publish to', value: this.topic });
    new CfnOutput(this, 'PublishTopicOutput', { description: 'Topic prefix devices publish under (Basic Ingest adds $aws/rules/<rule>/)', value: this.publishTopic });
    new CfnOutput(this, 'DeliveryStreamNameOutput', { value: stream.deliveryStreamName });
    new CfnOutput(this, 'ParsedBucketOutput', { value: this.parsedBucket.bucketName });
    new CfnOutput(this, 'RawBucketOutput', { value: this.rawBucket.bucketName });
    new CfnOutput(this, 'TopicRuleNameOutput', { value: this.topicRule.ref });
    if (this.certificateSecret) {
      new CfnOutput(this, 'CertificateSecretArnOutput', {
        description: 'Secrets Manager secret with the device certificate and private key',
        value: this.certificateSecret.secretArn,
      });
    }

    // --- cdk-nag: the findings that remain are inherent to the services, each scoped ----------------
    addNagSuppressions(this, [
      {
        id: 'AwsSolutions-IAM5',
        reason: 'Firehose (aws-cdk-lib S3 destination grant) reads and writes objects of its own destination/backup buckets, whose keys are generated per batch.',
        appliesTo: [
          'Action::s3:GetObject*',
          'Action::s3:GetBucket*',
          'Action::s3:List*',
          'Action::s3:DeleteObject*',
          'Action::s3:Abort*',
          { regex: `/^Resource::${BUCKET_ARN}\\/\\*$/g` },
        ],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'The IoT rule error action writes one object per failed message under the iot-rule-errors/ prefix of the raw bucket.',
        appliesTo: [{ regex: `/^Resource::${BUCKET_ARN}\\/${RULE_ERRORS_PREFIX.replace('/', '\\/')}\\*$/g` }],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'The parser writes its own objects (direct delivery) under its prefix of the parsed bucket; keys are derived per batch.',
        appliesTo: [{ regex: `/^Resource::${BUCKET_ARN}\\/[^*]+\\*$/g` }],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'The topic rule role\'s trust policy is scoped to rules of this account; the rule ARN cannot be referenced without a cycle.',
        appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:rule\\/\\*$/g' }],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'KMS grants for the pipeline key (aws-cdk-lib grants kms:GenerateDataKey* and kms:ReEncrypt* to Firehose for SSE-KMS writes).',
        appliesTo: ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'],
      },
    ], true);
  }

  /**
   * Adds another device (thing + certificate) to the pipeline. All added devices share one least-privilege
   * policy that uses `${iot:Connection.Thing.ThingName}`: a device may connect only as the thing its
   * certificate is attached to, and publish only to the pipeline's topic (or, with
   * `confineDevicesToSubTopic`, only to `<topic>/<its thing name>`).
   */
  public addDevice(id: string, options: AddDeviceOptions = {}): IotDevice {
    if (!this.fleetPolicy) {
      this.fleetPolicy = new iot.CfnPolicy(this, 'FleetPolicy', {
        policyDocument: this.policyDocument('${iot:Connection.Thing.ThingName}'),
      });
    }
    return new IotDevice(this, id, {
      thingName: options.thingName,
      certificate: options.certificate,
      policyName: this.fleetPolicy.ref,
      removalPolicy: this.removalPolicy,
      encryptionKey: this.encryptionKey,
    });
  }

  private iotArn(resource: string, name: string): string {
    return Stack.of(this).formatArn({ service: 'iot', resource, resourceName: name });
  }

  /** The device policy for a client id (a thing name or the thing-name policy variable). */
  private policyDocument(clientId: string): object {
    const base = this.confineDevices ? `${this.publishTopic}/${clientId}` : this.publishTopic;
    return {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ConnectAsTheThing',
          Effect: 'Allow',
          Action: 'iot:Connect',
          Resource: this.iotArn('client', clientId),
          Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
        },
        {
          Sid: 'PublishTelemetry',
          Effect: 'Allow',
          Action: 'iot:Publish',
          Resource: [this.iotArn('topic', base), this.iotArn('topic', `${base}/*`)],
        },
      ],
    };
  }
}

/** Lets CloudWatch Logs in this account and region use the key for log groups (no-op for imported keys). */
function allowCloudWatchLogs(key: kms.IKey): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    },
  }));
}

/** Account-wide AWS IoT logging, once per stack. */
function enableIotLogging(scope: Construct, level: IotLogLevel): void {
  const stack = Stack.of(scope);
  const id = 'IotCoreFirehosePipelineIotLogging';
  const existing = stack.node.tryFindChild(id) as iot.CfnLogging | undefined;
  if (existing) {
    if (existing.defaultLogLevel !== level) {
      throw new Error(`${scope.node.path}: invalid \`iotLogging\`: another pipeline in this stack set IoT logging to ${existing.defaultLogLevel}; AWS IoT has one log level per account and region, so give the same level (or set it in one pipeline only).`);
    }
    return;
  }
  const role = new iam.Role(stack, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
    description: 'Lets AWS IoT write its logs to CloudWatch Logs (AWSIotLogsV2)',
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:PutMetricFilter', 'logs:PutRetentionPolicy'],
    resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: 'AWSIotLogsV2:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
  }));
  addNagSuppressions(role, [{
    id: 'AwsSolutions-IAM5',
    reason: 'AWS IoT creates its log streams inside the AWSIotLogsV2 log group.',
    appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:AWSIotLogsV2:\\*$/g' }],
  }], true);
  new iot.CfnLogging(stack, id, { accountId: Aws.ACCOUNT_ID, defaultLogLevel: level, roleArn: role.roleArn });
}

/**
 * How cdk-nag renders the ARN of one of the pipeline's buckets: `<LogicalId.Arn>` for a bucket in the stack,
 * `arn:<AWS::Partition>:s3:::name` for an imported one.
 */
const BUCKET_ARN = '(<[^>*]+\\.Arn>|arn:<AWS::Partition>:s3:::[^/*]+)';

function compressionSuffix(compression: firehose.Compression): string {
  switch (compression.value) {
    case 'GZIP': return '.gz';
    case 'ZIP': return '.zip';
    case 'Snappy':
    case 'HADOOP_SNAPPY': return '.snappy';
    default: return '';
  }
}
