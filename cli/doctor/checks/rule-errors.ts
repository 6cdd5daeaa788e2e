import { PIPELINE_OUTPUT_IDS } from '../../../src/contract';
import { defineCheck, notChecked, pass, warn } from '../check';
import { commonPrefix, windowText } from '../wording';

/** The rule's error action wrote no messages (a failed Firehose action) to the raw bucket in the window. */
export const ruleErrorsCheck = defineCheck({
  id: 'rule-errors',
  title: 'Rule action: no errors',
  reads: ['ruleErrorObjects', 'rawBucket', 'windowMinutes'],
  evaluate(facts) {
    const window = windowText(facts);
    const objects = facts.ruleErrorObjects;
    if (!objects) return notChecked(`no raw bucket in the stack outputs (${PIPELINE_OUTPUT_IDS.rawBucket})`);
    if (!objects.ok) return warn(`cannot list s3://${facts.rawBucket}: ${objects.error}`, 'allow s3:ListBucket on the raw bucket');
    if (objects.value.count > 0) {
      return warn(`${objects.value.count} IoT rule error message(s) in ${window}, newest s3://${objects.value.bucket}/${objects.value.newestKey}`,
        'read one: failures[].errorMessage names why the Firehose action failed (role permissions, stream not ACTIVE, throttling); '
        + 'base64OriginalPayload holds the message for replay');
    }
    return pass(`no rule error messages under s3://${objects.value.bucket}/${commonPrefix(objects.value.prefixes)} in ${window}`);
  },
});
