import type { CostEstimate } from '../../../cli/cost/estimate';
import { cli } from '../support';

describe('cdk-iot-pipeline cost', () => {
  test('GIVEN the README example WHEN run THEN it prints the breakdown table and the cost per million messages', async () => {
    // WHEN
    const { code, out, err } = await cli('cost', '--devices', '1000', '--interval', '10s', '--payload', '300B');
    // THEN
    expect(code).toBe(0);
    expect(err).toBe('');
    const lines = out.split('\n');
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^Item\s+Quantity \/ month\s+Unit price\s+USD \/ month$/),
      expect.stringMatching(/^IoT Core messaging\s+262,800,000 messages \(5 KB units\)\s+\$1\.00 per 1M messages\s+\$262\.80$/),
      expect.stringMatching(/^IoT rules triggered\s+.*\$39\.42$/),
      expect.stringMatching(/^IoT rule actions \(Firehose\)\s+.*\$39\.42$/),
      expect.stringMatching(/^Firehose Direct PUT ingestion\s+1,253 GB billed\s+\$0\.029 per GB\s+\$36\.34$/),
      expect.stringMatching(/^Parser Lambda requests\s+90,225 batches\s+.*\$0\.02$/),
      expect.stringMatching(/^Parser Lambda compute \(512 MB × 50 ms\)\s+2,256 GB-s\s+\$0\.0000133334 per GB-s\s+\$0\.03$/),
      expect.stringMatching(/^S3 PUT \(parsed \+ raw objects\)\s+180,450 PUTs\s+\$0\.005 per 1K PUTs\s+\$0\.90$/),
      expect.stringMatching(/^Total\s+\$378\.93$/),
      'Cost per million messages: $1.44',
    ]));
  });

  test('GIVEN --json WHEN run THEN stdout is the estimate as JSON', async () => {
    // WHEN
    const { code, out } = await cli('cost', '--devices', '1000', '--rate', '0.1', '--payload', '300', '--no-backup', '--json');
    // THEN
    expect(code).toBe(0);
    const est = JSON.parse(out) as CostEstimate;
    expect(est.inputs).toEqual({
      devices: 1000,
      messagesPerSecondPerDevice: 0.1,
      payloadBytes: 300,
      topicBytes: 48,
      basicIngest: false,
      backup: false,
      parserMemoryMb: 512,
      parserMsPerBatch: 50,
      bufferMb: 1,
      bufferSeconds: 60,
    });
    expect(est.lines.map((l) => l.id)).toEqual(['iot-messaging', 'iot-rules', 'iot-actions', 'firehose-ingestion', 'lambda-requests', 'lambda-compute', 's3-put']);
    expect(est.lines.find((l) => l.id === 's3-put')?.usd).toBeCloseTo(0.451126, 6); // one object per flush without backup
    expect(typeof est.totalUsd).toBe('number');
    expect(typeof est.usdPerMillionMessages).toBe('number');
  });

  test.each([
    [['cost', '--devices', '10', '--payload', '300B'], 'exactly one of --interval'],
    [['cost', '--devices', '10', '--interval', '10s', '--rate', '1', '--payload', '300B'], 'exactly one of --interval'],
    [['cost', '--devices', 'ten', '--interval', '10s', '--payload', '300B'], '--devices "ten" is not an integer'],
    [['cost', '--devices', '10', '--interval', 'soon', '--payload', '300B'], '--interval "soon" is not a duration'],
    [['cost', '--devices', '10', '--interval', '0s', '--payload', '300B'], '--interval "0s" must be greater than zero'],
    [['cost', '--devices', '10', '--interval', '10s', '--payload', 'big'], '--payload "big" is not a size'],
    [['cost', '--devices', '10', '--interval', '10s', '--payload', '1KB', '--buffer-mb', '200'], '--buffer-mb must be between 1 and 128'],
    [['cost', '--interval', '10s', '--payload', '300B'], "required option '--devices <n>' not specified"],
  ])('GIVEN %j WHEN run THEN exit code 2 and the error says %j', async (args, message) => {
    // WHEN
    const { code, err } = await cli(...args);
    // THEN
    expect(code).toBe(2);
    expect(err).toContain(message);
  });
});

test('GIVEN --interval 10s THEN the estimate is the one of --rate 0.1 (one message per device every 10 seconds)', async () => {
  // WHEN
  const byInterval = JSON.parse((await cli('cost', '--devices', '7', '--interval', '10s', '--payload', '1KB', '--json')).out) as CostEstimate;
  const byRate = JSON.parse((await cli('cost', '--devices', '7', '--rate', '0.1', '--payload', '1KB', '--json')).out) as CostEstimate;
  // THEN
  expect(byInterval.inputs.messagesPerSecondPerDevice).toBe(0.1);
  expect(byInterval.totalUsd).toBe(byRate.totalUsd);
});
