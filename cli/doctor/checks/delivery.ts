import { defineCheck, Status, worst } from '../check';
import { truncate, windowText } from '../wording';

/** Firehose delivers to S3: `DeliveryToS3.Success`, and no error events in the stream's log group. */
export const deliveryCheck = defineCheck({
  id: 'delivery',
  title: 'Delivery to S3 succeeds',
  reads: ['metrics', 'deliveryLogErrors', 'stream', 'windowMinutes'],
  evaluate(facts) {
    const window = windowText(facts);
    const logGroup = facts.stream?.ok ? facts.stream.value.logGroup : undefined;
    const statuses: Status[] = [];
    const parts: string[] = [];
    const metric = facts.metrics?.ok ? facts.metrics.value.delivery : undefined;
    if (facts.metrics && !facts.metrics.ok) {
      statuses.push('WARN');
      parts.push(`metrics unreadable: ${facts.metrics.error}`);
    } else if (!metric) {
      parts.push(`no DeliveryToS3.Success data points in ${window}`);
    } else if (metric.average === 0) {
      statuses.push('FAIL');
      parts.push(`DeliveryToS3.Success is 0 in ${window}: nothing reaches S3`);
    } else if (metric.minimum < 1) {
      statuses.push('WARN');
      parts.push(`DeliveryToS3.Success averaged ${(metric.average * 100).toFixed(1)}% in ${window}`);
    } else {
      parts.push(`DeliveryToS3.Success 100% in ${window}`);
    }
    const logs = facts.deliveryLogErrors;
    if (logs && !logs.ok) {
      statuses.push('WARN');
      parts.push(logs.notFound ? `the stream's log group ${logGroup ?? ''} does not exist` : `log group unreadable: ${logs.error}`);
    } else if (logs?.ok && logs.value.count > 0) {
      statuses.push('WARN');
      parts.push(`${logs.value.count} error log event(s) in ${window}, latest: ${truncate(logs.value.latest ?? '', 300)}`);
    } else if (logs?.ok) {
      parts.push('no error log events');
    }
    return {
      status: worst(statuses),
      detail: parts.join('; '),
      fix: `read the delivery stream's log group${logGroup ? ` ${logGroup}` : ''}; typical causes are the stream role's S3/KMS/Lambda permissions`,
    };
  },
});
