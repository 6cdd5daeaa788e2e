import { Aws, Names, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  binaryRuleSql, defaultRuleSql, FIREHOSE_ACTION_SEPARATOR, IOT_SQL_VERSION, PIPELINE_CONSTRUCT_IDS, protobufRuleSql,
  REJECTED_MESSAGES_KEY, REJECTED_MESSAGES_PREFIX, rejectedRuleSql, RULE_ERRORS_KEY, RULE_ERRORS_PREFIX,
} from '../contract';
import { PayloadFormat, PayloadFormatKind } from '../payload';
import { DeployedDescriptorSet } from './descriptor-store';
import { iotArn } from './iot-policy';
import { keyThroughS3Statement } from './key-grants';
import { addNagSuppressions, NAG_BUCKET_ARN } from './nag';
import { invalid } from './validation';

/**
 * The user's SQL, checked for its shape. With `PayloadFormat.protobuf()` it is refused: the rule must name the bucket
 * and key the construct deploys the descriptor set to, which the user cannot know when writing the statement.
 */
export function ruleSql(scope: Construct, sql: string | undefined, payload: PayloadFormat): string | undefined {
  if (sql === undefined) return undefined;
  if (payload.kind === PayloadFormatKind.PROTOBUF) {
    invalid(scope, 'sql', 'with `payload: PayloadFormat.protobuf()` the construct writes the rule (its decode() names the descriptor set the construct deploys); leave `sql` out, or use `payload: PayloadFormat.binary()` with your own SQL and decode in the parser.');
  }
  if (!Token.isUnresolved(sql) && !/^\s*select\s[\s\S]+\sfrom\s+'[^']+'/i.test(sql)) {
    invalid(scope, 'sql', `"${sql}" is not an IoT SQL statement of the form SELECT ... FROM '<topic filter>' [WHERE ...].`);
  }
  return sql;
}

/**
 * The default rule for a payload format. JSON: `SELECT topic() as topic, * ... WHERE isUndefined(topic)`. Binary: the
 * bytes base64 in the envelope with the identity from the rule's functions — AWS IoT documents that fields can be
 * added to `*` only for JSON or empty payloads and wraps binary with `encode(*, 'base64')`. Protobuf: the payload
 * decoded with `decode(*, 'proto', <bucket>, <key>, <proto file>, <message type>)`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html).
 */
export function defaultSqlFor(topic: string, payload: PayloadFormat, descriptor: DeployedDescriptorSet | undefined): string {
  switch (payload.kind) {
    case PayloadFormatKind.BINARY: return binaryRuleSql(topic);
    case PayloadFormatKind.PROTOBUF: return protobufRuleSql(topic, {
      bucket: descriptor!.bucket.bucketName,
      key: descriptor!.key,
      protoFile: payload.protoFile!,
      messageType: payload.messageType!,
    });
    default: return defaultRuleSql(topic);
  }
}

/** What the topic rules connect. */
export interface TopicRuleOptions {
  /** The base topic (for the descriptions and the rejected-messages rule). */
  readonly topic: string;
  /** The rule's SQL (from `ruleSql`). */
  readonly sql: string;
  /**
   * Also create the rejected-messages rule (`rejectedRuleSql(topic)`): with the default SQL and without Basic Ingest
   * (a Basic Ingest message reaches only the rule its topic names).
   */
  readonly rejectedMessagesRule: boolean;
  /** The stream the Firehose action puts into. */
  readonly deliveryStream: firehose.IDeliveryStream;
  /** The bucket the error actions (and the rejected-messages rule) write to. */
  readonly rawBucket: s3.IBucket;
  /** The pipeline's customer-managed key, for the objects written to the raw bucket. */
  readonly encryptionKey?: kms.IKey;
}

/** The topic rules of a pipeline and their roles. */
export interface PipelineTopicRules {
  readonly rule: iot.CfnTopicRule;
  readonly role: iam.Role;
  readonly rejectedRule?: iot.CfnTopicRule;
  readonly rejectedRole?: iam.Role;
}

/** The most characters of a rule name (AWS IoT: 1-128 of [a-zA-Z0-9_]), less room for the rejected rule's suffix. */
const RULE_NAME_BASE_LENGTH = 110;

/**
 * The topic rule (`<pipeline>/TopicRule`): a Firehose action with a newline separator, and an S3 error action that
 * keeps the IoT error message (with the original payload) in the raw bucket; and, with the default SQL, the
 * rejected-messages rule (`<pipeline>/RejectedMessagesRule`), which writes the messages the topic rule leaves out
 * (their payload carries its own `topic`) into the raw bucket under `REJECTED_MESSAGES_PREFIX`.
 *
 * The rules are named (`<pipeline's unique name>` and `..._Rejected`) so that each rule's role can trust exactly that
 * rule (`aws:SourceArn`) without a reference cycle; each role may do exactly what its rule's actions do.
 */
export function createTopicRules(pipeline: Construct, options: TopicRuleOptions): PipelineTopicRules {
  const base = Names.uniqueResourceName(pipeline, { maxLength: RULE_NAME_BASE_LENGTH, separator: '_', allowedSpecialCharacters: '_' });
  const ruleName = base;
  const role = ruleRole(pipeline, 'TopicRuleRole', ruleName,
    'Lets the pipeline\'s IoT topic rule put records into its delivery stream and write rule errors');
  const policy = new iam.Policy(pipeline, 'TopicRulePolicy', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({ actions: ['firehose:PutRecord'], resources: [options.deliveryStream.deliveryStreamArn] }),
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [options.rawBucket.arnForObjects(`${RULE_ERRORS_PREFIX}*`)] }),
    ],
  });
  suppressObjectWildcard(policy, RULE_ERRORS_PREFIX, `The IoT rule error action writes one object per failed message under the ${RULE_ERRORS_PREFIX} prefix of the raw bucket; keys are generated per message.`);
  // The error objects are encrypted with the pipeline key through S3, for the raw bucket only (in the rule's policy,
  // which the rule is created after).
  if (options.encryptionKey) policy.addStatements(keyThroughS3Statement(options.encryptionKey, ['kms:GenerateDataKey'], [options.rawBucket]));
  const rule = new iot.CfnTopicRule(pipeline, PIPELINE_CONSTRUCT_IDS.topicRule, {
    ruleName,
    topicRulePayload: {
      description: `Forwards ${options.topic} telemetry to Kinesis Data Firehose`,
      sql: options.sql,
      awsIotSqlVersion: IOT_SQL_VERSION,
      ruleDisabled: false,
      actions: [{
        firehose: {
          deliveryStreamName: options.deliveryStream.deliveryStreamName,
          roleArn: role.roleArn,
          separator: FIREHOSE_ACTION_SEPARATOR,
        },
      }],
      errorAction: errorAction(options.rawBucket, role),
    },
  });
  // The role's policy must exist before IoT validates the rule's actions.
  rule.node.addDependency(policy);
  if (!options.rejectedMessagesRule) {
    return { rule, role };
  }

  const rejectedName = `${base}_Rejected`;
  const rejectedRole = ruleRole(pipeline, 'RejectedMessagesRuleRole', rejectedName,
    'Lets the pipeline\'s rejected-messages IoT rule write the messages it keeps, and its errors, into the raw bucket');
  const rejectedPolicy = new iam.Policy(pipeline, 'RejectedMessagesRulePolicy', {
    roles: [rejectedRole],
    statements: [
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [options.rawBucket.arnForObjects(`${REJECTED_MESSAGES_PREFIX}*`), options.rawBucket.arnForObjects(`${RULE_ERRORS_PREFIX}*`)],
      }),
    ],
  });
  suppressObjectWildcard(rejectedPolicy, REJECTED_MESSAGES_PREFIX, `The rejected-messages rule writes one object per message under ${REJECTED_MESSAGES_PREFIX} (and its errors under ${RULE_ERRORS_PREFIX}); keys are generated per message.`);
  if (options.encryptionKey) rejectedPolicy.addStatements(keyThroughS3Statement(options.encryptionKey, ['kms:GenerateDataKey'], [options.rawBucket]));
  const rejectedRule = new iot.CfnTopicRule(pipeline, 'RejectedMessagesRule', {
    ruleName: rejectedName,
    topicRulePayload: {
      description: `Keeps ${options.topic} messages whose payload has its own "topic" key out of the parsed data: writes them to the raw bucket under ${REJECTED_MESSAGES_PREFIX}`,
      sql: rejectedRuleSql(options.topic),
      awsIotSqlVersion: IOT_SQL_VERSION,
      ruleDisabled: false,
      actions: [{ s3: { bucketName: options.rawBucket.bucketName, key: REJECTED_MESSAGES_KEY, roleArn: rejectedRole.roleArn } }],
      errorAction: errorAction(options.rawBucket, rejectedRole),
    },
  });
  rejectedRule.node.addDependency(rejectedPolicy);
  return { rule, role, rejectedRule, rejectedRole };
}

/**
 * A role that AWS IoT may assume only for the rule named `ruleName` of this account and region: `aws:SourceArn` is
 * the rule's full ARN and `aws:SourceAccount` the account
 * (https://docs.aws.amazon.com/iot/latest/developerguide/cross-service-confused-deputy-prevention.html).
 */
function ruleRole(scope: Construct, id: string, ruleName: string, description: string): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID, 'aws:SourceArn': iotArn(scope, 'rule', ruleName) },
      },
    }),
    description,
  });
}

/** The S3 error action: the IoT error message (with the original payload) under `RULE_ERRORS_PREFIX`. */
function errorAction(rawBucket: s3.IBucket, role: iam.IRole): iot.CfnTopicRule.ActionProperty {
  return { s3: { bucketName: rawBucket.bucketName, key: RULE_ERRORS_KEY, roleArn: role.roleArn } };
}

/** A cdk-nag IAM5 suppression, on exactly this policy, of object wildcards under the rule prefixes. */
function suppressObjectWildcard(policy: iam.Policy, prefix: string, reason: string): void {
  const prefixes = [prefix, RULE_ERRORS_PREFIX].map((p) => p.replace('/', '\\/')).join('|');
  addNagSuppressions(policy, [{
    id: 'AwsSolutions-IAM5',
    reason,
    appliesTo: [{ regex: `/^Resource::${NAG_BUCKET_ARN}\\/(${prefixes})\\*$/g` }],
  }]);
}
