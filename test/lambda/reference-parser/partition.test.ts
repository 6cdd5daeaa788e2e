import { ConfigError, createReferenceHandler, Environment, readConfig } from '../../../lambda/reference-parser';
import { assertValidResponse, capturingLogger, capturingMetrics, eventOf, results } from '../fixtures/contract';

function handlerFor(env: Environment) {
  return createReferenceHandler(env, { logger: capturingLogger(), metrics: capturingMetrics() });
}

const KEYS = JSON.stringify([{ name: 'device', topicLevel: 1 }, { name: 'site', field: 'meta.site' }]);

describe('partition keys (PARSER_PARTITION_KEYS)', () => {
  test('GIVEN a topic level and a field key WHEN records are parsed THEN each Ok record carries both keys', async () => {
    // GIVEN
    const handler = handlerFor({ PARSER_PARTITION_KEYS: KEYS });
    const input = eventOf([
      '{"topic":"fleet/sensor-7","meta":{"site":"berlin"},"t":1}\n',
      '{"topic":"fleet/sensor-8","meta":{"site":42},"t":2}\n',
    ]);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(results(response)).toEqual(['Ok', 'Ok']);
    expect(response.records.map((r) => r.metadata?.partitionKeys)).toEqual([
      { device: 'sensor-7', site: 'berlin' },
      { device: 'sensor-8', site: '42' },
    ]);
  });

  test('GIVEN a message without a key value WHEN parsed THEN that record alone is ProcessingFailed', async () => {
    const handler = handlerFor({ PARSER_PARTITION_KEYS: KEYS });
    const input = eventOf([
      '{"topic":"fleet/sensor-7","meta":{"site":"berlin"}}\n',
      '{"topic":"fleet/sensor-7"}\n',
      '{"topic":"fleet","meta":{"site":"x"}}\n',
      '{"topic":"fleet/sensor-9","meta":{"site":""}}\n',
    ]);
    const response = await handler(input);
    assertValidResponse(input, response);
    expect(results(response)).toEqual(['Ok', 'ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed']);
  });

  test('GIVEN topic-level and field values outside the safe set (.., a/b, 2,000 characters) WHEN parsed THEN those records are ProcessingFailed with the reason logged', async () => {
    // GIVEN
    const logger = capturingLogger();
    const handler = createReferenceHandler({ PARSER_PARTITION_KEYS: KEYS }, { logger, metrics: capturingMetrics() });
    const long = 'z'.repeat(2000);
    const input = eventOf([
      '{"topic":"fleet/sensor-7","meta":{"site":".."}}\n',
      '{"topic":"fleet/sensor-7","meta":{"site":"a/b"}}\n',
      `{"topic":"fleet/sensor-7","meta":{"site":"${long}"}}\n`,
      '{"topic":"fleet/..","meta":{"site":"berlin"}}\n',
      `{"topic":"fleet/${long}","meta":{"site":"berlin"}}\n`,
      '{"topic":"fleet/sensor-7","meta":{"site":"a/../../raw/year=2000"}}\n',
      '{"topic":"fleet/sensor-7","meta":{"site":-1.5}}\n',
    ]);
    // WHEN
    const response = await handler(input);
    // THEN
    assertValidResponse(input, response);
    expect(results(response)).toEqual(['ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed', 'Ok']);
    expect(response.records[6].metadata?.partitionKeys).toEqual({ device: 'sensor-7', site: '-1.5' });
    const reasons = logger.lines.filter((line) => line.level === 'warn' && line.extra?.reason).map((line) => line.extra.reason as string);
    expect(reasons[0]).toMatch(/^partition key "site" is "\." or "\.\." \(a path segment\); allowed: 1-128 characters from A-Z a-z 0-9 _ - \. : @ \+, and not "\." or "\.\."$/);
    expect(reasons[1]).toMatch(/^partition key "site" contains "\/"/);
    expect(reasons[2]).toMatch(/^partition key "site" is 2000 characters long \(at most 128\)/);
    expect(reasons[3]).toMatch(/^partition key "device" is "\." or "\.\."/);
    expect(reasons[4]).toMatch(/^partition key "device" is 2000 characters long/);
    expect(logger.text()).not.toContain('zzzzzzzz');
  });

  test('GIVEN direct delivery and an unsafe value WHEN parsed THEN the record fails and the other records are written', async () => {
    const puts: Array<{ Key?: string }> = [];
    const handler = createReferenceHandler(
      { PARSER_PARTITION_KEYS: KEYS, PARSER_DELIVERY: 'direct', PARSER_DIRECT_BUCKET: 'b' },
      { logger: capturingLogger(), metrics: capturingMetrics(), s3: { send: async (command: any) => { puts.push(command.input); return {}; } } },
    );
    const input = eventOf(['{"topic":"fleet/..","meta":{"site":"x"}}\n', '{"topic":"fleet/s1","meta":{"site":"x"}}\n']);
    const response = await handler(input);
    expect(results(response)).toEqual(['ProcessingFailed', 'Dropped']);
    expect(puts.map((p) => p.Key)).toEqual([expect.stringMatching(/^direct\/device=s1\/site=x\//)]);
  });

  test('GIVEN no PARSER_PARTITION_KEYS WHEN parsed THEN no metadata is returned', async () => {
    const response = await handlerFor({})(eventOf(['{"topic":"fleet/a"}\n']));
    expect(response.records[0].metadata).toBeUndefined();
  });

  test.each([
    ['not json', /not valid JSON/],
    ['{}', /must be a JSON array/],
    ['[{"name":"bad name","field":"a"}]', /name must be 1-64 characters/],
    ['[{"name":"a","field":"x"},{"name":"a","field":"y"}]', /appears twice/],
    ['[{"name":"a"}]', /exactly one of topicLevel or field/],
    ['[{"name":"a","topicLevel":1,"field":"x"}]', /exactly one of topicLevel or field/],
    ['[{"name":"a","topicLevel":-1}]', /whole number >= 0/],
    ['[{"name":"a","field":"x..y"}]', /field name or dotted path/],
  ])('GIVEN PARSER_PARTITION_KEYS=%s WHEN the parser starts THEN it fails with a ConfigError', (raw, message) => {
    expect(() => readConfig({ PARSER_PARTITION_KEYS: raw })).toThrow(ConfigError);
    expect(() => readConfig({ PARSER_PARTITION_KEYS: raw })).toThrow(message);
  });
});
