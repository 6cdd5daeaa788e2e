import { Aws, CfnOutput, Duration, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
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
   * Deliver at least this often (0–900 seconds).
   * @default Duration.seconds(60)
   */
  readonly interval?: Duration;
  /**
   * Deliver when this much data has accumulated (1–128 MiB).
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
   * What happens to the buckets, log groups and secrets the construct creates when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the log groups the construct creates (Firehose and the parser).
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
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

  constructor(scope: Construct, id: string, props: IotCoreFirehosePipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    validateTopic(this, props.topic);
    this.topic = props.topic;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;

    // --- validation of the Firehose options (before anything is created) -------------------------
    const interval = props.buffering?.interval ?? Duration.seconds(60);
    const size = props.buffering?.size ?? Size.mebibytes(1);
    validateSeconds(this, 'buffering.interval', interval, 0, 900);
    validateMebibytes(this, 'buffering.size', size, 1, 128);
    if (!Token.isUnresolved(size.toKibibytes()) && size.toKibibytes() % 1024 !== 0) {
      invalid(this, 'buffering.size', `${size.toKibibytes()} KiB is not a whole number of MiB; Firehose takes the S3 buffer size in whole MiB.`);
    }
    const dataOutputPrefix = props.dataOutputPrefix ?? DEFAULT_DATA_OUTPUT_PREFIX;
    const errorOutputPrefix = props.errorOutputPrefix ?? (props.dataOutputPrefix === undefined ? DEFAULT_ERROR_OUTPUT_PREFIX : undefined);
    validatePrefixes(this, 'dataOutputPrefix', dataOutputPrefix, 'errorOutputPrefix', errorOutputPrefix);
    const backupEnabled = props.backup?.enabled ?? true;
    const backupPrefix = props.backup?.prefix ?? DEFAULT_BACKUP_PREFIX;
    const backupErrorPrefix = props.backup?.errorPrefix ?? (props.backup?.prefix === undefined ? DEFAULT_BACKUP_ERROR_PREFIX : undefined);
    if (backupEnabled) {
      validatePrefixes(this, 'backup.prefix', backupPrefix, 'backup.errorPrefix', backupErrorPrefix);
    }
    const compression = props.compression ?? firehose.Compression.GZIP;

    // --- storage ----------------------------------------------------------------------------------
    const storage = new PipelineStorage(this, 'Storage', {
      parsedBucket: props.parsedBucket,
      rawBucket: props.rawBucket,
      removalPolicy,
    });
    this.parsedBucket = storage.parsedBucket;
    this.rawBucket = storage.rawBucket;

    // --- device: thing, certificate, policy -------------------------------------------------------
    this.devicePolicy = new iot.CfnPolicy(this, 'DevicePolicy', {
      policyDocument: {}, // set below, once the thing name is known
    });
    this.device = new IotDevice(this, 'Device', {
      thingName: props.thingName,
      certificate: props.certificate,
      policyName: this.devicePolicy.ref,
      removalPolicy,
    });
    this.thing = this.device.thing;
    this.thingName = this.device.thingName;
    this.certificateSecret = this.device.certificateSecret;
    const iotArn = (resource: string, name: string) =>
      stack.formatArn({ service: 'iot', resource, resourceName: name });
    this.devicePolicy.policyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ConnectAsTheThing',
          Effect: 'Allow',
          Action: 'iot:Connect',
          Resource: iotArn('client', this.thingName),
        },
        {
          Sid: 'PublishTelemetry',
          Effect: 'Allow',
          Action: 'iot:Publish',
          Resource: [iotArn('topic', this.topic), iotArn('topic', `${this.topic}/*`)],
        },
      ],
    };

    // --- parser -----------------------------------------------------------------------------------
    const parser = props.parser ?? Parser.reference();
    const parserConfig = parser.bind(this, { parsedBucket: this.parsedBucket, logRetention, removalPolicy });
    this.parserFunction = parserConfig.parserFunction;
    const fileExtension = parserConfig.fileExtension !== undefined
      ? `${parserConfig.fileExtension}${compressionSuffix(compression)}`
      : undefined;

    // --- Firehose ---------------------------------------------------------------------------------
    const logGroup = new logs.LogGroup(this, 'DeliveryLogGroup', { retention: logRetention, removalPolicy });
    this.deliveryLogGroup = logGroup;
    const destination = new firehose.S3Bucket(this.parsedBucket, {
      bufferingInterval: interval,
      bufferingSize: size,
      compression,
      dataOutputPrefix,
      errorOutputPrefix,
      fileExtension,
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
          loggingConfig: new firehose.EnableLogging(logGroup),
        }
        : undefined,
    });
    const stream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      destination,
      encryption: firehose.StreamEncryption.awsOwnedKey(),
    });
    this.deliveryStream = stream;

    // --- IoT rule ---------------------------------------------------------------------------------
    const ruleRole = new iam.Role(this, 'TopicRuleRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': iotArn('rule', '*') },
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

    // --- endpoint and outputs ---------------------------------------------------------------------
    this.dataEndpoint = DataAtsEndpoint.of(this).address;
    new CfnOutput(this, 'ThingNameOutput', { description: 'Thing name = MQTT client id', value: this.thingName });
    new CfnOutput(this, 'TopicOutput', { description: 'Base topic devices publish to', value: this.topic });
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
    ], true);
  }
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
