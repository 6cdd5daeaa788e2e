import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ERROR_OUTPUT_TYPES, REJECTED_MESSAGES_PREFIX, RULE_ERRORS_PREFIX } from './contract';

/**
 * The monitoring of an `IotCoreFirehosePipeline` (its `monitoring` prop): CloudWatch alarms and a dashboard.
 */
export interface MonitoringOptions {
  /**
   * Create CloudWatch alarms (data freshness, processing and delivery failures, throttling, put requests
   * near quota, parser errors and throttles, IoT rule action and error-action failures, rejected messages).
   * @default true
   */
  readonly alarms?: boolean;
  /**
   * Where the alarms notify, e.g. `new cloudwatch_actions.SnsAction(topic)`.
   * @default - no action; the alarms show their state in CloudWatch only
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /**
   * Create a CloudWatch dashboard of the flow. It shows the alarms, so it needs `alarms`: giving
   * `dashboard: true` with `alarms: false` is an error.
   * @default true (when `alarms` is on)
   */
  readonly dashboard?: boolean;
  /**
   * The stream's Direct PUT request quota per second, for the "put requests near quota" alarm (2,000 in
   * us-east-1, us-west-2 and eu-west-1, lower in other regions; check Service Quotas).
   * @default 2000
   */
  readonly putRequestQuotaPerSecond?: number;
}

/** The put-request quota per second unless given (the Direct PUT quota in us-east-1, us-west-2 and eu-west-1). */
const DEFAULT_PUT_REQUEST_QUOTA_PER_SECOND = 2000;

/**
 * Properties of `PipelineMonitoring`.
 */
export interface PipelineMonitoringProps {
  /** The delivery stream to watch. */
  readonly deliveryStream: firehose.IDeliveryStream;
  /** The parser function Firehose invokes. */
  readonly parserFunction: lambda.IFunction;
  /** The name of the pipeline's topic rule. */
  readonly topicRuleName: string;
  /**
   * The name of the pipeline's rejected-messages rule: an alarm fires when it keeps any message (a payload with its
   * own `topic`: a device bug, or a device trying to pass for another topic).
   * @default - no such rule, no alarm
   */
  readonly rejectedMessagesRuleName?: string;
  /** The Firehose buffering interval: the freshness threshold is derived from it. */
  readonly bufferingInterval: Duration;
  /**
   * Whether dynamic partitioning is on (Firehose's end-to-end delay may then reach 1.5× the interval).
   * @default false
   */
  readonly dynamicPartitioning?: boolean;
  /**
   * The delivery stream's PutRecord/PutRecordBatch request quota per second (Direct PUT: 2,000 in
   * us-east-1, us-west-2 and eu-west-1, lower in other regions; check Service Quotas).
   * @default 2000
   */
  readonly putRequestQuotaPerSecond?: number;
  /**
   * Where alarms notify (e.g. an SNS action).
   * @default - no action; the alarms show state in CloudWatch only
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /**
   * Create a CloudWatch dashboard of the flow.
   * @default true
   */
  readonly dashboard?: boolean;
}

/** Seconds added to the buffering interval before data freshness alarms: parser time, retries, S3 writes. */
const FRESHNESS_MARGIN_SECONDS = 300;
/** Alarm when the stream takes this share of its put-request quota. */
const QUOTA_SHARE = 0.8;

/**
 * Alarms and a dashboard for one pipeline. Thresholds derive from the pipeline's props: data freshness
 * above the buffering interval (×1.5 with dynamic partitioning) plus a margin, any failed parser invocation,
 * any failed S3 delivery, any throttled record, put requests above 80 % of the stream quota, parser errors
 * and throttles, failed IoT rule actions (including the error action, which means lost messages), and messages the
 * rejected-messages rule kept out of the parsed data.
 */
export class PipelineMonitoring extends Construct {
  /** All alarms, in a stable order. */
  public readonly alarms: cloudwatch.IAlarm[] = [];
  /** The dashboard, when created. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The data freshness threshold in seconds. */
  public readonly freshnessThresholdSeconds: number;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const stream = props.deliveryStream;
    const fiveMinutes = Duration.minutes(5);
    const oneMinute = Duration.minutes(1);
    const interval = props.bufferingInterval.toSeconds();
    this.freshnessThresholdSeconds = Math.ceil(interval * (props.dynamicPartitioning ? 1.5 : 1)) + FRESHNESS_MARGIN_SECONDS;
    const quota = props.putRequestQuotaPerSecond ?? DEFAULT_PUT_REQUEST_QUOTA_PER_SECOND;
    if (!Number.isFinite(quota) || quota <= 0) {
      throw new Error(`${this.node.path}: invalid \`putRequestQuotaPerSecond\`: ${quota}; give the stream's request quota per second from Service Quotas, e.g. 2000.`);
    }

    const freshness = stream.metric('DeliveryToS3.DataFreshness', { statistic: 'Maximum', period: fiveMinutes });
    const processingSuccess = stream.metric('ExecuteProcessing.Success', { statistic: 'Average', period: fiveMinutes });
    const deliverySuccess = stream.metric('DeliveryToS3.Success', { statistic: 'Average', period: fiveMinutes });
    const throttled = stream.metric('ThrottledRecords', { statistic: 'Sum', period: fiveMinutes });
    const putRequests = stream.metric('IncomingPutRequests', { statistic: 'Sum', period: oneMinute });
    const incomingRecords = stream.metric('IncomingRecords', { statistic: 'Sum', period: fiveMinutes });
    const deliveredRecords = stream.metric('DeliveryToS3.Records', { statistic: 'Sum', period: fiveMinutes });
    const iot = (metricName: string, dimensions: Record<string, string>) =>
      new cloudwatch.Metric({ namespace: 'AWS/IoT', metricName, dimensionsMap: dimensions, statistic: 'Sum', period: fiveMinutes });
    const ruleFailure = iot('Failure', { RuleName: props.topicRuleName, ActionType: 'Firehose' });
    const errorActionFailure = iot('ErrorActionFailure', { RuleName: props.topicRuleName, ActionType: 'S3' });
    const topicMatch = iot('TopicMatch', { RuleName: props.topicRuleName });
    const parserErrors = props.parserFunction.metricErrors({ statistic: 'Sum', period: fiveMinutes });
    const parserThrottles = props.parserFunction.metricThrottles({ statistic: 'Sum', period: fiveMinutes });

    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string, threshold: number,
      comparisonOperator: cloudwatch.ComparisonOperator, evaluationPeriods = 1) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        comparisonOperator,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmAction) {
        created.addAlarmAction(props.alarmAction);
      }
      this.alarms.push(created);
    };
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD;

    alarm('DataFreshness', freshness,
      `Oldest record in Firehose is older than the buffering interval (${interval} s) plus ${FRESHNESS_MARGIN_SECONDS} s: delivery to S3 is stuck or slow. Firehose retries S3 for 24 h, then drops.`,
      this.freshnessThresholdSeconds, above, 2);
    alarm('ProcessingFailures', processingSuccess,
      `A parser invocation failed (ExecuteProcessing.Success < 1): records are retried and then written under the ${ERROR_OUTPUT_TYPES.processingFailed} error prefix.`,
      1, below);
    alarm('DeliveryFailures', deliverySuccess,
      'A delivery to S3 failed (DeliveryToS3.Success < 1): check the stream\'s log group and the bucket/KMS permissions.',
      1, below);
    alarm('ThrottledRecords', throttled, 'Firehose throttled records: the stream is over a quota.', 0, above);
    alarm('PutRequestsNearQuota', putRequests,
      `Put requests exceed ${QUOTA_SHARE * 100} % of the stream quota (${quota}/s): request a quota increase or add streams.`,
      Math.floor(quota * 60 * QUOTA_SHARE), above);
    alarm('ParserErrors', parserErrors, 'The parser function raised errors (the whole batch is retried).', 0, above);
    alarm('ParserThrottles', parserThrottles, 'The parser function was throttled: raise its concurrency.', 0, above);
    alarm('RuleActionFailures', ruleFailure,
      `The IoT rule failed to put messages into Firehose; they went to the error action (raw bucket ${RULE_ERRORS_PREFIX}).`, 0, above);
    alarm('RuleErrorActionFailures', errorActionFailure,
      'The IoT rule\'s error action failed too: these messages are LOST. Check the rule role and the raw bucket.', 0, above);
    const rejected = props.rejectedMessagesRuleName !== undefined ? iot('TopicMatch', { RuleName: props.rejectedMessagesRuleName }) : undefined;
    if (rejected) {
      alarm('RejectedMessages', rejected,
        `A device published a payload with its own "topic" key: kept out of the parsed data, in the raw bucket under ${REJECTED_MESSAGES_PREFIX}<date>/<client id>/. A device bug, or a device trying to pass for another.`,
        0, above);
    }

    if (props.dashboard ?? true) {
      this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
        defaultInterval: Duration.hours(3),
      });
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'IoT rule: matched, failed, rejected', left: [topicMatch, ruleFailure, errorActionFailure, ...(rejected ? [rejected] : [])], width: 8 }),
        new cloudwatch.GraphWidget({ title: 'Firehose: incoming vs delivered records', left: [incomingRecords, deliveredRecords], width: 8 }),
        new cloudwatch.GraphWidget({ title: 'Firehose: data freshness (s)', left: [freshness], leftAnnotations: [{ value: this.freshnessThresholdSeconds, label: 'alarm' }], width: 8 }),
      );
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'Parser: success rate', left: [processingSuccess, deliverySuccess], width: 8 }),
        new cloudwatch.GraphWidget({
          title: 'Parser: duration (ms)',
          left: [
            props.parserFunction.metricDuration({ statistic: 'p50', period: fiveMinutes }),
            props.parserFunction.metricDuration({ statistic: 'p99', period: fiveMinutes }),
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({ title: 'Parser errors, throttles; throttled records', left: [parserErrors, parserThrottles, throttled], width: 8 }),
      );
      this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
    }
  }
}
