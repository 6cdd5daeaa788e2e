/**
 * The README's custom-parser example ("JSON in, CSV out with 3 columns"), verbatim except for the import path,
 * running with the default Powertools logger and metrics (silenced here).
 */
import { assertValidResponse, event, record, results, text } from '../fixtures/contract';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

// ---- example begins (README: lambda/toolkit/README.md) ----
// eslint-disable-next-line import/order -- the example's import block stays as users write it
import { createParser, csvLine, ParseError } from '../../../lambda/toolkit';

interface Reading { device: string; temperature: number; at: string }

export const handler = createParser<Reading>({
  parse(message) {
    const m = message.jsonObject();
    if (typeof m.temperature !== 'number') throw new ParseError('temperature is not a number');
    return {
      device: String(m.topic).split('/')[1] ?? '',
      temperature: m.temperature,
      at: new Date(message.approximateArrivalTimestamp).toISOString(),
    };
  },
  serialize: r => csvLine([r.device, r.temperature, r.at]),
});
// ---- example ends ----

test('GIVEN the README example WHEN it gets telemetry THEN it answers 3-column CSV rows and fails bad messages', async () => {
  // GIVEN
  const input = event([
    record('{"topic":"plant/=pump-1","temperature":21.5}\n', 'r0', { at: 1720859923841 }),
    record('{"topic":"plant/pump-2","temperature":"hot"}\n', 'r1'),
    record('{"topic":"plant/pump-3","temperature":-3}\n{"topic":"plant/pump-3","temperature":-4}\n', 'r2', { at: 0 }),
  ]);
  // WHEN
  const response = await handler(input);
  // THEN
  assertValidResponse(input, response);
  expect(results(response)).toEqual(['Ok', 'ProcessingFailed', 'Ok']);
  expect(text(response, 0)).toBe("'=pump-1,21.5,2024-07-13T08:38:43.841Z\n");
  expect(text(response, 2)).toBe('pump-3,-3,1970-01-01T00:00:00.000Z\npump-3,-4,1970-01-01T00:00:00.000Z\n');
});
