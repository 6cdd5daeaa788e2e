import { CostEstimate, CostInputs, estimateCost, RECORD_OVERHEAD_BYTES } from '../../../cli/cost/estimate';
import { PRICES } from '../../../cli/cost/prices';

/**
 * The expected figures below were worked out by hand from the price list (cli/cost/prices.ts and the AWS pricing
 * pages it cites, us-east-1, 2026):
 * IoT messaging $1.00/M, rules $0.15/M, actions $0.15/M, all in 5 KB (5,120 B) units of payload + topic;
 * Firehose $0.029/GB (GB = 2^30 B) with every record rounded up to 5,120 B; Lambda $0.20/M requests and
 * $0.0000133334/GB-s; S3 $0.005 per 1,000 PUTs; a month = 730 h = 2,628,000 s.
 */
function line(est: CostEstimate, id: string): number {
  const found = est.lines.find((l) => l.id === id);
  if (!found) throw new Error(`no line ${id}`);
  return found.usd;
}

const BASE: Omit<CostInputs, 'devices' | 'messagesPerSecondPerDevice' | 'payloadBytes'> = {
  topicBytes: 48,
  basicIngest: false,
  backup: true,
  parserMemoryMb: 512,
  parserMsPerBatch: 50,
  bufferMb: 1,
  bufferSeconds: 60,
};

describe('estimateCost', () => {
  test('GIVEN 1,000 devices every 10 s with 300 B THEN the breakdown matches the hand calculation', () => {
    // GIVEN 1,000 × 0.1 msg/s = 100 msg/s → 100 × 2,628,000 = 262,800,000 messages
    // 300 B + 48 B topic < 5,120 → 1 unit; Firehose record 300 + 48 + 12 = 360 B → billed 5,120 B
    // 262,800,000 × 5,120 B = 1,345,536,000,000 B = 1,253.128 GB × $0.029 = $36.3407
    // 36,000 B/s fills 1 MiB in 29.127 s (< 60 s) → 2,628,000 / 29.127 = 90,225.22 batches
    // Lambda: 90,225.22 × $0.2e-6 = $0.018045; 90,225.22 × 0.05 s × 0.5 GB = 2,255.63 GB-s × $0.0000133334 = $0.030075
    // S3: 2 objects per flush = 180,450.44 PUTs × $0.000005 = $0.902252
    // WHEN
    const est = estimateCost({ ...BASE, devices: 1000, messagesPerSecondPerDevice: 0.1, payloadBytes: 300 });
    // THEN
    expect(est.derived.messagesPerMonth).toBe(262_800_000);
    expect(line(est, 'iot-messaging')).toBeCloseTo(262.80, 6);
    expect(line(est, 'iot-rules')).toBeCloseTo(39.42, 6);
    expect(line(est, 'iot-actions')).toBeCloseTo(39.42, 6);
    expect(est.derived.firehoseBilledGb).toBeCloseTo(1253.128052, 5);
    expect(line(est, 'firehose-ingestion')).toBeCloseTo(36.340714, 5);
    expect(est.derived.secondsPerFlush).toBeCloseTo(29.127111, 5);
    expect(est.derived.batchesPerMonth).toBeCloseTo(90225.22, 1);
    expect(line(est, 'lambda-requests')).toBeCloseTo(0.018045, 6);
    expect(est.derived.lambdaGbSeconds).toBeCloseTo(2255.63, 1);
    expect(line(est, 'lambda-compute')).toBeCloseTo(0.030075, 6);
    expect(line(est, 's3-put')).toBeCloseTo(0.902252, 6);
    expect(est.totalUsd).toBeCloseTo(378.931086, 5);
    expect(est.usdPerMillionMessages).toBeCloseTo(1.441899, 5);
  });

  test('GIVEN 6,000 B payloads with Basic Ingest, no backup, 3 MiB / 300 s THEN 5 KB metering doubles the units', () => {
    // GIVEN 10 × 2 msg/s = 20 msg/s → 52,560,000 messages
    // 6,000 + 48 = 6,048 B → 2 units → 105,120,000 metered; Basic Ingest → messaging $0; rules/actions 105.12 × $0.15 = $15.768 each
    // record 6,060 B → billed 10,240 B; 52,560,000 × 10,240 = 538,214,400,000 B = 501.2512 GB × $0.029 = $14.536285
    // 121,200 B/s fills 3 MiB in 25.9549 s (< 300 s) → 101,252.75 batches
    // Lambda: × $0.2e-6 = $0.020251; 101,252.75 × 0.2 s × 1 GB = 20,250.55 GB-s × $0.0000133334 = $0.270009
    // S3: 1 object per flush → 101,252.75 × $0.000005 = $0.506264
    // WHEN
    const est = estimateCost({
      ...BASE,
      devices: 10,
      messagesPerSecondPerDevice: 2,
      payloadBytes: 6000,
      basicIngest: true,
      backup: false,
      parserMemoryMb: 1024,
      parserMsPerBatch: 200,
      bufferMb: 3,
      bufferSeconds: 300,
    });
    // THEN
    expect(est.derived.iotUnitsPerMessage).toBe(2);
    expect(line(est, 'iot-messaging')).toBe(0);
    expect(line(est, 'iot-rules')).toBeCloseTo(15.768, 6);
    expect(line(est, 'iot-actions')).toBeCloseTo(15.768, 6);
    expect(line(est, 'firehose-ingestion')).toBeCloseTo(14.536285, 5);
    expect(est.derived.batchesPerMonth).toBeCloseTo(101252.75, 1);
    expect(line(est, 'lambda-requests')).toBeCloseTo(0.020251, 6);
    expect(line(est, 'lambda-compute')).toBeCloseTo(0.270009, 5);
    expect(line(est, 's3-put')).toBeCloseTo(0.506264, 6);
    expect(est.totalUsd).toBeCloseTo(46.868808, 5);
  });

  test('GIVEN a trickle (5 devices every 10 min) THEN there are no more batches than messages', () => {
    // GIVEN 5 / 600 msg/s → 21,900 messages; the 60 s interval would flush 43,800 times, but an empty
    // buffer is not flushed: at most one batch per message → 21,900 batches, 43,800 PUTs (parsed + raw)
    // IoT: 21,900 × $1e-6 = $0.0219; rules/actions 21,900 × $0.15e-6 = $0.003285 each
    // Firehose: 21,900 × 5,120 B = 112,128,000 B = 0.104427 GB × $0.029 = $0.0030284
    // Lambda: 21,900 × $0.2e-6 = $0.00438; 21,900 × 0.05 × 0.5 = 547.5 GB-s × $0.0000133334 = $0.0073000
    // S3: 43,800 × $0.000005 = $0.219 → total $0.262178, $11.9716 per million messages
    // WHEN
    const est = estimateCost({ ...BASE, devices: 5, messagesPerSecondPerDevice: 1 / 600, payloadBytes: 200 });
    // THEN
    expect(est.derived.messagesPerMonth).toBeCloseTo(21_900, 6);
    expect(est.derived.secondsPerFlush).toBe(60);
    expect(est.derived.batchesPerMonth).toBeCloseTo(21_900, 6);
    expect(est.derived.s3Puts).toBeCloseTo(43_800, 6);
    expect(line(est, 'iot-messaging')).toBeCloseTo(0.0219, 8);
    expect(line(est, 'firehose-ingestion')).toBeCloseTo(0.0030284, 7);
    expect(line(est, 'lambda-compute')).toBeCloseTo(0.0073000, 7);
    expect(line(est, 's3-put')).toBeCloseTo(0.219, 8);
    expect(est.totalUsd).toBeCloseTo(0.262178, 6);
    expect(est.usdPerMillionMessages).toBeCloseTo(11.971618, 5);
  });

  test('GIVEN a payload exactly at the 5 KB boundary THEN it is one unit, one byte more is two', () => {
    // GIVEN payload + topic = 5,120 B and 5,121 B
    // WHEN
    const at = estimateCost({ ...BASE, topicBytes: 20, devices: 1, messagesPerSecondPerDevice: 1, payloadBytes: 5100 });
    const over = estimateCost({ ...BASE, topicBytes: 20, devices: 1, messagesPerSecondPerDevice: 1, payloadBytes: 5101 });
    // THEN
    expect(at.derived.iotUnitsPerMessage).toBe(1);
    expect(over.derived.iotUnitsPerMessage).toBe(2);
  });

  test('the prices carry their sources and date', () => {
    // THEN
    for (const item of [PRICES.iotMessaging, PRICES.iotRulesTriggered, PRICES.iotRuleActions, PRICES.firehoseDirectPut,
      PRICES.lambdaRequests, PRICES.lambdaArmGbSecond, PRICES.s3Put]) {
      expect(item.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
    }
    expect(PRICES.asOf).toContain('2026');
    expect(PRICES.region).toBe('us-east-1');
  });
});

test('the rule adds `"topic":"<topic>",` (11 bytes + the topic) and the Firehose action a newline to each record', () => {
  // THEN
  expect(RECORD_OVERHEAD_BYTES).toBe(12);
});
