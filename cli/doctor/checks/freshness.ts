import { BUFFERING_DEFAULTS } from '../../../src/contract';
import { defineCheck, pass, warn } from '../check';
import { windowText } from '../wording';

/** Data arrives: `DeliveryToS3.DataFreshness` within twice the buffer interval + 2 min, or recent parsed objects. */
export const freshnessCheck = defineCheck({
  id: 'freshness',
  title: 'Fresh data arrives',
  reads: ['stream', 'metrics', 'parsedObjects', 'parsedBucket', 'now', 'stackName', 'windowMinutes'],
  evaluate(facts) {
    const window = windowText(facts);
    const interval = (facts.stream?.ok ? facts.stream.value.bufferSeconds : undefined) ?? BUFFERING_DEFAULTS.intervalSeconds;
    const limit = 2 * interval + 120;
    const freshness = facts.metrics?.ok ? facts.metrics.value.freshness : undefined;
    const objects = facts.parsedObjects?.ok ? facts.parsedObjects.value : undefined;
    const newest = objects?.newestTime
      ? `newest parsed object s3://${objects.bucket}/${objects.newestKey} is ${Math.max(0, Math.round((facts.now.getTime() - objects.newestTime.getTime()) / 1000))} s old`
      : undefined;
    if (freshness && freshness.maximum > limit) {
      return warn(`DeliveryToS3.DataFreshness reached ${Math.round(freshness.maximum)} s in ${window} (expected ≤ ${limit} s with a ${interval} s buffer)${newest ? `; ${newest}` : ''}`,
        'Firehose is falling behind: look at the delivery and processing findings, the parser duration and throttling');
    }
    if (freshness || (objects && objects.count > 0)) {
      return pass([freshness ? `DeliveryToS3.DataFreshness max ${Math.round(freshness.maximum)} s` : undefined, newest].filter(Boolean).join('; '));
    }
    if (facts.parsedObjects && !facts.parsedObjects.ok) {
      return warn(`cannot list s3://${facts.parsedBucket}: ${facts.parsedObjects.error}`, 'allow s3:ListBucket on the parsed bucket');
    }
    return warn(`no data delivered in ${window} (no DataFreshness data points, no parsed objects)`,
      `publish test messages (\`cdk-iot-pipeline publish --stack ${facts.stackName}\`), wait ${interval} s + processing, run doctor again`);
  },
});
