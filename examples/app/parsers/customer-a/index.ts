// Customer A's parser: JSON telemetry in, CSV out (device, temperature, humidity, arrival time), written with
// the library's parser toolkit. Bundled by `npx projen synth:example` (esbuild) before the app synthesizes.
import { createParser, csvLine, ParseError } from 'cdk-iot-core-firehose-pipeline/parser-toolkit';

interface Reading { device: string; temperature: number; humidity: number | null; at: string }

export const handler = createParser<Reading>({
  parse(message) {
    const m = message.jsonObject();
    if (typeof m.temperature !== 'number') throw new ParseError('temperature is missing or not a number');
    return {
      device: String(m.topic).split('/')[1] ?? '',
      temperature: m.temperature,
      humidity: typeof m.humidity === 'number' ? m.humidity : null,
      at: new Date(message.approximateArrivalTimestamp).toISOString(),
    };
  },
  serialize: (r) => csvLine([r.device, r.temperature, r.humidity, r.at]),
});
