/**
 * The local runner on the example app's second stack: two customers, two pipelines, two parsers — customer A's
 * TypeScript parser on the toolkit (CSV out), customer B's Python parser (run through the runtime shim).
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { connect, exampleAssembly, issue, listFiles, readObject, useRunner } from './helpers';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(120000);

function thingOf(assembly: string, constructId: string): string {
  const template = JSON.parse(readFileSync(join(assembly, 'TwoCustomersExample.template.json'), 'utf8'));
  const things = Object.entries(template.Resources as Record<string, { Type: string; Properties: { ThingName: string } }>)
    .filter(([id, r]) => r.Type === 'AWS::IoT::Thing' && id.startsWith(constructId));
  expect(things).toHaveLength(1);
  return things[0][1].Properties.ThingName;
}

describe('local runner: two customers with their own parsers', () => {
  const t = useRunner({ name: 'e2e-customers', app: () => exampleAssembly(), stack: 'TwoCustomersExample' });

  function parsedObjects(streamPrefix: string): string[] {
    const stream = [...t.runner.model.streams.values()].find((s) => s.logicalId.startsWith(streamPrefix))!;
    const parsedDir = join(t.dataDir, 's3', stream.destination.bucket.folder);
    return listFiles(parsedDir).filter((k) => k.startsWith('parsed/')).map((k) => join(parsedDir, k));
  }

  test('GIVEN each customer\'s device WHEN both publish THEN A\'s parser writes CSV and B\'s Python parser writes JSON, each into its own bucket', async () => {
    // GIVEN one device per customer, each connected as its own thing
    const thingA = thingOf(t.app, 'CustomerA');
    const thingB = thingOf(t.app, 'CustomerB');
    const a = await connect(t.runner.port, issue(t.dataDir, thingA), thingA);
    const b = await connect(t.runner.port, issue(t.dataDir, thingB), thingB);
    // WHEN
    try {
      await a.publishAsync('customer-a/telemetry/pump-1', JSON.stringify({ temperature: 21.5, humidity: 40 }), { qos: 1 });
      await a.publishAsync('customer-a/telemetry/pump-2', JSON.stringify({ temperature: 'broken' }), { qos: 1 });
      await b.publishAsync('customer-b/telemetry/valve-9', JSON.stringify({ reading: { temperature: 7 }, message: 'ok' }), { qos: 1 });
    } finally {
      await a.endAsync();
      await b.endAsync();
    }
    await t.runner.flush();

    // THEN customer A: one CSV row (device, temperature, humidity, ISO time), the broken reading under processing-failed
    const csv = parsedObjects('CustomerA');
    expect(csv.every((k) => k.endsWith('.csv.gz'))).toBe(true);
    const rows = csv.map(readObject).join('').split('\n').filter((l) => l !== '');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^telemetry,21\.5,40,\d{4}-\d{2}-\d{2}T/);
    // AND customer B: the Python parser's JSON row
    const json = parsedObjects('CustomerB');
    expect(json.every((k) => k.endsWith('.json.gz'))).toBe(true);
    const rowsB = json.map(readObject).join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    expect(rowsB).toEqual([{ device: 'telemetry', temperature: 7, message: 'ok', arrival_timestamp: expect.any(Number) }]);
    // AND the failed record of customer A is kept with AWS's fields
    const streamA = [...t.runner.model.streams.values()].find((s) => s.logicalId.startsWith('CustomerA'))!;
    const bucketA = join(t.dataDir, 's3', streamA.destination.bucket.folder);
    const failed = listFiles(bucketA).filter((k) => k.startsWith('errors/processing-failed/'));
    expect(failed.length).toBeGreaterThanOrEqual(1);
    const failure = JSON.parse(readObject(join(bucketA, failed[0])).split('\n')[0]);
    expect(Object.keys(failure).sort()).toEqual(['arrivalTimestamp', 'attemptEndingTimestamp', 'attemptsMade', 'errorCode', 'errorMessage', 'lambdaArn', 'rawData']);
    expect(Buffer.from(failure.rawData, 'base64').toString('utf8')).toContain('"broken"');
  });
});
