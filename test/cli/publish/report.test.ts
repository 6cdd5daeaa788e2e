import { formatPublishReport, percentile, PublishReport, summarizeLatencies } from '../../../cli/publish/report';

describe('latency statistics', () => {
  test.each([
    [[5], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100, 10],
    [[10, 20, 30], 0, 10],
  ])('GIVEN sorted %j THEN the nearest-rank p%s is %s', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  test('GIVEN unsorted latencies THEN the summary sorts first', () => {
    // GIVEN 1..100 shuffled deterministically
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    // WHEN
    const s = summarizeLatencies(values);
    // THEN
    expect(s).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  test('GIVEN no latencies THEN no summary', () => {
    expect(summarizeLatencies([])).toBeUndefined();
  });
});

describe('formatPublishReport', () => {
  const report: PublishReport = {
    endpoint: 'h:8883',
    clientId: 'dev-1',
    topic: 't/dev-1',
    qos: 1,
    mqttVersion: '3.1.1',
    requested: 3,
    sent: 3,
    acked: 2,
    failed: 1,
    durationMs: 2500,
    messagesPerSecond: 0.8,
    latencyMeasures: 'publish→PUBACK',
    latencyMs: { count: 2, p50: 12.34, p90: 20, p99: 20, max: 20.05 },
    errors: [{ seq: 3, error: 'no PUBACK within 1000 ms' }],
    connectionLost: 'The broker closed the connection after 3 message(s).',
    payloadKind: 'json',
    bytesSent: 6,
    firstMessageBytes: 2,
    firstMessage: '{}',
  };

  test('GIVEN a report with a failure THEN the text names counts, percentiles, each failed message and the lost connection', () => {
    // WHEN
    const lines = formatPublishReport(report).split('\n');
    // THEN
    expect(lines).toEqual([
      'Sent 3/3 messages to t/dev-1 at QoS 1 (MQTT 3.1.1) on h:8883 as dev-1 in 2.5 s (0.8 msg/s)',
      'acked (PUBACK) 2, failed 1',
      'payload json: 6 bytes sent (first message 2 bytes)',
      'latency publish→PUBACK (ms): p50 12.3  p90 20.0  p99 20.0  max 20.1',
      '  message 3: no PUBACK within 1000 ms',
      'The broker closed the connection after 3 message(s).',
    ]);
  });

  test('GIVEN QoS 0 without latencies THEN the counts say written and there is no latency line', () => {
    // WHEN
    const text = formatPublishReport({ ...report, qos: 0, acked: 3, failed: 0, latencyMs: undefined, errors: [], connectionLost: undefined });
    // THEN
    expect(text.split('\n')).toEqual([
      'Sent 3/3 messages to t/dev-1 at QoS 0 (MQTT 3.1.1) on h:8883 as dev-1 in 2.5 s (0.8 msg/s)',
      'written 3, failed 0',
      'payload json: 6 bytes sent (first message 2 bytes)',
    ]);
  });

  test('GIVEN a CBOR run THEN the payload line names the kind and the bytes sent', () => {
    // WHEN
    const text = formatPublishReport({ ...report, payloadKind: 'cbor', bytesSent: 12_345, firstMessageBytes: 41 });
    // THEN
    expect(text.split('\n')).toContain('payload cbor: 12,345 bytes sent (first message 41 bytes)');
  });
});
