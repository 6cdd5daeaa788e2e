import { ERROR_OUTPUT_TYPES } from '../../../src/contract';
import { defineCheck, pass, warn } from '../check';

/**
 * Locally: no message the rule could not process (the runner's count: payloads that are not JSON objects into a JSON
 * rule) and no record under the stream's processing-failed prefix; when there are, what to change, the parser's
 * reasons and its log.
 */
export const localProcessingCheck = defineCheck({
  id: 'local-processing',
  title: 'Parser: no processing failures',
  reads: ['local'],
  evaluate(facts) {
    const local = facts.local!;
    const unprocessable = local.unprocessable;
    if (unprocessable && unprocessable.total > 0) {
      const topics = unprocessable.topics.slice(0, 5).map((t) => `${t.count} on ${t.topic}`).join(', ');
      return warn(`${unprocessable.total} message(s) the rule could not process (payload not a JSON object for a JSON rule; not delivered): ${topics}`,
        unprocessable.fix);
    }
    const log = local.parserLog;
    const where = log ? `the parser's log is ${log.path}${log.exists ? '' : ' (not written yet: the parser has not run)'}` : 'the stream has no parser';
    const failed = local.processingFailed;
    if (failed.count === 0) return pass(`no ${ERROR_OUTPUT_TYPES.processingFailed} records under ${failed.bucketDir}; ${where}`);
    const reasons = log && log.reasons.length > 0 ? `; newest reasons logged: ${log.reasons.map((r) => `"${r}"`).join(', ')}` : '';
    return warn(`${failed.count} ${ERROR_OUTPUT_TYPES.processingFailed} object(s), newest ${failed.newestFile}${reasons}; ${where}`,
      'each line of a processing-failed object holds the record (rawData, base64) and Firehose\'s error; run the samples again with '
      + '`cdk-iot-pipeline parser test --app <cdk.out> --input <samples>` to see each record\'s reason, then fix the parser or the payloads');
  },
});
