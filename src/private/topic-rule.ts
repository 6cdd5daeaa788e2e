import { Aws, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  defaultRuleSql, FIREHOSE_ACTION_SEPARATOR, IOT_SQL_VERSION, PIPELINE_CONSTRUCT_IDS, RULE_ERRORS_KEY, RULE_ERRORS_PREFIX,
} from '../contract';
import { iotArn } from './iot-policy';
import { invalid } from './validation';

/** The rule's SQL: the given statement (checked for its shape) or the default for the topic. */
export function ruleSql(scope: Construct, topic: string, sql: string | undefined): string {
  if (sql === undefined) {
    return defaultRuleSql(topic);
  }
  if (!Token.isUnresolved(sql) && !/^\s*select\s[\s\S]+\sfrom\s+'[^']+'/i.test(sql)) {
    invalid(scope, 'sql', `"${sql}" is not an IoT SQL statement of the form SELECT ... FROM '<topic filter>' [WHERE ...].`);
  }
  return sql;
}

/** What the topic rule connects. */
export interface TopicRuleOptions {
  /** The base topic (for the description). */
  readonly topic: string;
  /** The rule's SQL (from `ruleSql`). */
  readonly sql: string;
  /** The stream the Firehose action puts into. */
  readonly deliveryStream: firehose.IDeliveryStream;
  /** The bucket the error action writes failed messages to, under `RULE_ERRORS_PREFIX`. */
  readonly rawBucket: s3.IBucket;
  /** The pipeline's customer-managed key, for the error objects. */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The topic rule (`<pipeline>/TopicRule`): a Firehose action with a newline separator, and an S3 error action that
 * keeps the IoT error message (with the original payload) in the raw bucket. Its role (`TopicRuleRole`) may put
 * records into this stream and write objects under the rule-errors prefix only, and only IoT rules of this account
 * may assume it.
 */
export function createTopicRule(pipeline: Construct, options: TopicRuleOptions): iot.CfnTopicRule {
  const role = new iam.Role(pipeline, 'TopicRuleRole', {
    assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': iotArn(pipeline, 'rule', '*') },
      },
    }),
    description: 'Lets the pipeline\'s IoT topic rule put records into its delivery stream and write rule errors',
  });
  const policy = new iam.Policy(pipeline, 'TopicRulePolicy', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({ actions: ['firehose:PutRecord'], resources: [options.deliveryStream.deliveryStreamArn] }),
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [options.rawBucket.arnForObjects(`${RULE_ERRORS_PREFIX}*`)] }),
    ],
  });
  options.encryptionKey?.grant(role, 'kms:GenerateDataKey');
  const rule = new iot.CfnTopicRule(pipeline, PIPELINE_CONSTRUCT_IDS.topicRule, {
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
      errorAction: {
        s3: {
          bucketName: options.rawBucket.bucketName,
          key: RULE_ERRORS_KEY,
          roleArn: role.roleArn,
        },
      },
    },
  });
  // The role's policy must exist before IoT validates the rule's actions.
  rule.node.addDependency(policy);
  return rule;
}
