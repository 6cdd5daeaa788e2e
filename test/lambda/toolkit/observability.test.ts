/**
 * The toolkit's own logs and metrics (no library): JSON lines and CloudWatch EMF on stdout, and what a parser
 * built without `logger` / `metrics` writes for one batch.
 */
import { createParser, DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME } from '../../../lambda/toolkit';
import { defaultLogger, defaultMetrics } from '../../../lambda/toolkit/observability';
import { event, record } from '../fixtures/contract';

/** A line writer that keeps the parsed lines. */
function capture(): { write: (line: string) => void; lines: Record<string, unknown>[]; raw: string[] } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  return {
    lines,
    raw,
    write: (line) => {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
}

describe('defaultLogger', () => {
  test('GIVEN a call WHEN logged THEN one JSON line holds level, message, an ISO timestamp, the service and the fields', () => {
    // GIVEN
    const out = capture();
    const logger = defaultLogger({ POWERTOOLS_SERVICE_NAME: 'my-parser' }, out.write);
    // WHEN
    logger.warn('Record answered ProcessingFailed', { recordId: 'r1', index: 0, reason: 'invalid JSON' });
    // THEN
    expect(out.raw).toHaveLength(1);
    expect(out.raw[0]).not.toContain('\n');
    expect(out.lines[0]).toEqual({
      level: 'WARN',
      message: 'Record answered ProcessingFailed',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'my-parser',
      recordId: 'r1',
      index: 0,
      reason: 'invalid JSON',
    });
  });

  test('GIVEN no service name WHEN logged THEN the default service name is used', () => {
    // GIVEN
    const out = capture();
    // WHEN
    defaultLogger({}, out.write).info('x', {});
    // THEN
    expect(out.lines[0]).toEqual(expect.objectContaining({ level: 'INFO', service: DEFAULT_SERVICE_NAME }));
  });

  test.each([
    [{}, ['INFO', 'WARN', 'ERROR']],
    [{ POWERTOOLS_LOG_LEVEL: 'warn' }, ['WARN', 'ERROR']],
    [{ POWERTOOLS_LOG_LEVEL: 'SILENT' }, []],
    [{ AWS_LAMBDA_LOG_LEVEL: 'ERROR' }, ['ERROR']],
    [{ POWERTOOLS_LOG_LEVEL: 'DEBUG', AWS_LAMBDA_LOG_LEVEL: 'WARN' }, ['WARN', 'ERROR']],
    [{ POWERTOOLS_LOG_LEVEL: 'ERROR', AWS_LAMBDA_LOG_LEVEL: 'INFO' }, ['ERROR']],
    [{ POWERTOOLS_LOG_LEVEL: 'nonsense' }, ['INFO', 'WARN', 'ERROR']],
  ])('GIVEN %j WHEN each level logs THEN the stricter level wins: %j', (env, levels) => {
    // GIVEN
    const out = capture();
    const logger = defaultLogger(env, out.write);
    // WHEN
    logger.info('i', {});
    logger.warn('w', {});
    logger.error('e', {});
    // THEN
    expect(out.lines.map((l) => l.level)).toEqual(levels);
  });
});

describe('defaultMetrics', () => {
  test('GIVEN metrics WHEN published THEN one EMF line declares them in the namespace with dimension service', () => {
    // GIVEN
    const out = capture();
    const metrics = defaultMetrics({ POWERTOOLS_SERVICE_NAME: 'svc', POWERTOOLS_METRICS_NAMESPACE: 'Ns' }, out.write, () => 1720859923841);
    metrics.addMetric('RecordsIn', 'Count', 3);
    metrics.addMetric('BytesIn', 'Bytes', 120);
    // WHEN
    metrics.publishStoredMetrics();
    // THEN
    expect(out.lines).toEqual([{
      _aws: {
        Timestamp: 1720859923841,
        CloudWatchMetrics: [{
          Namespace: 'Ns',
          Dimensions: [['service']],
          Metrics: [{ Name: 'RecordsIn', Unit: 'Count' }, { Name: 'BytesIn', Unit: 'Bytes' }],
        }],
      },
      service: 'svc',
      RecordsIn: 3,
      BytesIn: 120,
    }]);
  });

  test('GIVEN a metric added twice WHEN published THEN its values form an array; the next publication starts empty', () => {
    // GIVEN
    const out = capture();
    const metrics = defaultMetrics({}, out.write);
    metrics.addMetric('SinkFailures', 'Count', 1);
    metrics.addMetric('SinkFailures', 'Count', 2);
    // WHEN
    metrics.publishStoredMetrics();
    metrics.publishStoredMetrics();
    // THEN nothing is written for an empty store
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toEqual(expect.objectContaining({ service: DEFAULT_SERVICE_NAME, SinkFailures: [1, 2] }));
    expect((out.lines[0]._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0].Namespace).toBe(DEFAULT_METRICS_NAMESPACE);
  });

  test.each(['true', 'TRUE', '1'])('GIVEN POWERTOOLS_METRICS_DISABLED=%s WHEN published THEN nothing is written', (value) => {
    // GIVEN
    const out = capture();
    const metrics = defaultMetrics({ POWERTOOLS_METRICS_DISABLED: value }, out.write);
    metrics.addMetric('RecordsIn', 'Count', 1);
    // WHEN
    metrics.publishStoredMetrics();
    // THEN
    expect(out.lines).toEqual([]);
  });
});

describe('a parser without logger and metrics', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    jest.restoreAllMocks();
  });

  test('GIVEN a batch with a failed record WHEN answered THEN stdout holds the failure, one summary line and one EMF blob', async () => {
    // GIVEN
    process.env = { ...saved, POWERTOOLS_SERVICE_NAME: 'iot-firehose-parser', POWERTOOLS_METRICS_NAMESPACE: 'IotCoreFirehosePipeline' };
    delete process.env.POWERTOOLS_LOG_LEVEL;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    delete process.env.AWS_LAMBDA_LOG_LEVEL;
    const written: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const handler = createParser<unknown>({ parse: (m) => m.jsonObject() });
    // WHEN
    await handler(event([record('{"a":1}', 'r0'), record('not json', 'r1')]), { awsRequestId: 'req-1' });
    // THEN every write is one complete JSON line
    expect(written.every((w) => w.endsWith('\n') && w.indexOf('\n') === w.length - 1)).toBe(true);
    const lines = written.map((w) => JSON.parse(w) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual(expect.objectContaining({
      level: 'WARN', message: 'Record answered ProcessingFailed', recordId: 'r1', index: 1, reason: expect.stringMatching(/^invalid JSON/), awsRequestId: 'req-1',
    }));
    const summary = { records: 2, ok: 1, dropped: 0, failed: 1, overflowed: 0, bytesIn: 15, bytesOut: 8 };
    expect(lines[1]).toEqual(expect.objectContaining({ level: 'INFO', message: 'Batch answered', service: 'iot-firehose-parser', ...summary }));
    expect(lines[1]).toEqual(expect.objectContaining({ invocationId: 'inv-1', awsRequestId: 'req-1' }));
    const values = { RecordsIn: 2, RecordsOk: 1, RecordsDropped: 0, RecordsFailed: 1, RecordsOverflowed: 0, BytesIn: 15, BytesOut: 8 };
    expect(lines[2]).toEqual(expect.objectContaining({ service: 'iot-firehose-parser', ...values }));
    type Emf = { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    const emf = (lines[2]._aws as Emf).CloudWatchMetrics[0];
    expect(emf.Namespace).toBe('IotCoreFirehosePipeline');
    expect(emf.Dimensions).toEqual([['service']]);
    expect(emf.Metrics.map((m) => m.Name)).toEqual(['RecordsIn', 'RecordsOk', 'RecordsDropped', 'RecordsFailed', 'RecordsOverflowed', 'BytesIn', 'BytesOut']);
  });
});
