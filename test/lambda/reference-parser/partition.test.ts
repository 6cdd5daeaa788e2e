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
