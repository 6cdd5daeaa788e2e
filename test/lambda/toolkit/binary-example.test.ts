/**
 * The README's binary-parser example ("Binary devices", in README.md and lambda/toolkit/README.md), verbatim except
 * for the import path; the test also checks that both READMEs still hold exactly this code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { event, record, results, text } from '../fixtures/contract';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

// ---- example begins ----
// eslint-disable-next-line import/order -- the example's import block stays as users write it
import { createParser, ParseError } from '../../../lambda/toolkit';

// Each device publishes 4 bytes: millivolts (uint16) and hundredths of a degree (int16), little-endian.
export const handler = createParser({
  parse(message) {
    const p = message.binaryPayload(); // bytes, text(), topic, clientId, timestamp: from the rule, not the device
    if (p.bytes.length !== 4) throw new ParseError(`expected 4 bytes, got ${p.bytes.length}`);
    const view = new DataView(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength);
    return { device: p.clientId, topic: p.topic, volts: view.getUint16(0, true) / 1000, celsius: view.getInt16(2, true) / 100, at: p.timestamp };
  },
});
// ---- example ends ----

const ROOT = path.join(__dirname, '..', '..', '..');

function envelope(payload: number[]): string {
  return JSON.stringify({ payload: Buffer.from(payload).toString('base64'), topic: 'grid/meters/m-1', clientId: 'm-1', timestamp: 1720859923000 });
}

test('GIVEN the example WHEN it gets 4-byte readings THEN it answers their rows and fails a payload of another length', async () => {
  // GIVEN 3312 mV and -5.25 °C (0x0CF0, 0xFDF3 little-endian), then 3 bytes
  const input = event([record(envelope([0xf0, 0x0c, 0xf3, 0xfd]), 'r0'), record(envelope([1, 2, 3]), 'r1')]);
  // WHEN
  const response = await handler(input);
  // THEN
  expect(results(response)).toEqual(['Ok', 'ProcessingFailed']);
  expect(JSON.parse(text(response, 0))).toEqual({ device: 'm-1', topic: 'grid/meters/m-1', volts: 3.312, celsius: -5.25, at: 1720859923000 });
});

test.each(['README.md', path.join('lambda', 'toolkit', 'README.md')])('GIVEN %s THEN it shows this example verbatim', (readme) => {
  const source = fs.readFileSync(__filename, 'utf8');
  const example = source.slice(source.indexOf('// ---- example begins ----\n') + 28, source.indexOf('// ---- example ends ----'))
    .split('\n').filter(l => !l.includes('eslint-disable')).join('\n')
    .replace("'../../../lambda/toolkit'", "'cdk-iot-core-firehose-pipeline/parser-toolkit'");
  expect(fs.readFileSync(path.join(ROOT, readme), 'utf8')).toContain(example);
});
