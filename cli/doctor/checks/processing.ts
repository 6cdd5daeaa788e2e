import { ERROR_OUTPUT_TYPES } from '../../../src/contract';
import { defineCheck, Status, worst } from '../check';
import { commonPrefix, windowText } from '../wording';

/** The parser succeeds: Firehose's `ExecuteProcessing.Success`, and no records under the processing-failed error prefix. */
export const processingCheck = defineCheck({
  id: 'processing',
  title: 'Parser: no processing failures',
  reads: ['metrics', 'processingFailedObjects', 'parsedBucket', 'windowMinutes'],
  evaluate(facts) {
    const window = windowText(facts);
    const statuses: Status[] = [];
    const parts: string[] = [];
    const metric = facts.metrics?.ok ? facts.metrics.value.processing : undefined;
    if (facts.metrics && !facts.metrics.ok) {
      statuses.push('WARN');
      parts.push(`metrics unreadable: ${facts.metrics.error}`);
    } else if (!metric) {
      parts.push(`no ExecuteProcessing.Success data points in ${window}`);
    } else if (metric.average === 0) {
      statuses.push('FAIL');
      parts.push(`ExecuteProcessing.Success is 0 in ${window}: every parser invocation failed`);
    } else if (metric.minimum < 1) {
      statuses.push('WARN');
      parts.push(`ExecuteProcessing.Success averaged ${(metric.average * 100).toFixed(1)}% (minimum ${(metric.minimum * 100).toFixed(1)}%) in ${window}`);
    } else {
      parts.push(`ExecuteProcessing.Success 100% in ${window}`);
    }
    const objects = facts.processingFailedObjects;
    if (objects && !objects.ok) {
      statuses.push('WARN');
      parts.push(`error prefix unreadable: ${objects.error}`);
    } else if (objects?.ok && objects.value.count > 0) {
      statuses.push('WARN');
      parts.push(`${objects.value.count} ${ERROR_OUTPUT_TYPES.processingFailed} object(s) in ${window}, newest s3://${objects.value.bucket}/${objects.value.newestKey}`);
    } else if (objects?.ok) {
      parts.push(`no ${ERROR_OUTPUT_TYPES.processingFailed} objects under s3://${objects.value.bucket}/${commonPrefix(objects.value.prefixes)}`);
    }
    return {
      status: worst(statuses),
      detail: parts.join('; '),
      fix: `read a failed record (\`aws s3 cp s3://${facts.parsedBucket}/<key> -\`; rawData is the base64 record, errorMessage the reason) `
        + 'and the parser\'s log group; fix the parser or the payloads',
    };
  },
});
