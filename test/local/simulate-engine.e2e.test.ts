/**
 * The simulator's engine (cli/simulate/engine.ts) on real sockets: retries with backoff against a port where nothing
 * listens, a publish phase bounded by duration, a device whose certificate is revoked while it publishes (its messages
 * fail, it is not let back in, the others are untouched), and a stop by AbortSignal. Counts, not timings.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { exampleAssembly, useRunner } from './helpers';
import { simulate, SimulatedDevice, SimulateOptions } from '../../cli/simulate/engine';
import { localFleetDevices, selectTemplate, topicOf } from '../../cli/simulate/fleet';
import { setCertificateStatus } from '../../local/iot/registry';
import { freePort } from '../cli/support';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(120_000);

describe('simulate(): the engine on sockets', () => {
  const t = useRunner({ name: 'simulate-engine', app: () => exampleAssembly(), stack: 'QueryableParquetExample' });
  let devices: SimulatedDevice[];
  let base: Omit<SimulateOptions, 'devices' | 'ratePerDevice'>;

  beforeAll(() => {
    const template = selectTemplate(t.runner.model, undefined, '--fleet');
    devices = localFleetDevices({ model: t.runner.model, dataDir: t.dataDir, template, count: 3, serialPattern: 'ENGINE-{{n}}' });
    base = {
      host: '127.0.0.1',
      port: t.runner.port,
      caPem: readFileSync(join(t.dataDir, 'ca', 'ca.pem'), 'utf8'),
      topic: (d) => topicOf('factory/telemetry/{{clientId}}', d.clientId),
      payload: (_d, seq) => JSON.stringify({ seq }),
      qos: 1,
      mqttVersion: 3,
      connectRate: 50,
    };
  });

  test('GIVEN nothing listening WHEN 3 devices connect with 3 attempts each THEN 6 retries, 3 connect failures with ECONNREFUSED, nothing sent', async () => {
    const port = await freePort();
    const summary = await simulate({
      ...base, port, devices, ratePerDevice: 1, messagesPerDevice: 1, backoff: { baseMs: 20, maxMs: 40, maxAttempts: 3 },
    });
    expect(summary).toMatchObject({
      devices: 3, connected: 0, connectFailures: 3, connectRetries: 6, sent: 0, acknowledged: 0, failed: 0, errorCount: 3,
    });
    expect(summary.errors.map((e) => [e.phase, e.code])).toEqual([['connect', 'ECONNREFUSED'], ['connect', 'ECONNREFUSED'], ['connect', 'ECONNREFUSED']]);
  });

  test('GIVEN --duration WHEN 3 devices publish 20/s for 1 s THEN exactly the 60 due messages are sent and acknowledged, in order per device', async () => {
    const seen = new Map<string, number[]>();
    const summary = await simulate({
      ...base,
      devices,
      ratePerDevice: 20,
      durationMs: 1000,
      payload: (d, seq) => {
        seen.set(d.clientId, [...(seen.get(d.clientId) ?? []), seq]);
        return JSON.stringify({ seq });
      },
    });
    expect(summary).toMatchObject({ connected: 3, sent: 60, acknowledged: 60, failed: 0 });
    expect([...seen.values()]).toEqual([1, 2, 3].map(() => Array.from({ length: 20 }, (_, i) => i + 1)));
    expect(summary.pubackP50Ms).toBeGreaterThan(0);
    expect(summary.pubackP99Ms!).toBeGreaterThanOrEqual(summary.pubackP50Ms!);
  });

  test('GIVEN a device whose certificate is revoked while it publishes THEN it is disconnected and refused, its due messages fail, and the other devices deliver all theirs', async () => {
    const victim = devices[0].clientId;
    let revoked = false;
    const summary = await simulate({
      ...base,
      devices,
      ratePerDevice: 10,
      messagesPerDevice: 30,
      backoff: { baseMs: 10, maxMs: 20, maxAttempts: 4 },
      payload: (d, seq) => {
        if (d.clientId === victim && seq === 3 && !revoked) {
          revoked = true;
          setCertificateStatus(t.dataDir, { thing: victim }, 'REVOKED');
        }
        return JSON.stringify({ seq });
      },
    });
    expect(summary.connected).toBe(3);
    expect(summary.disconnects).toBe(1);
    // Every due message of the three devices is acknowledged or failed; the two others lose none.
    expect(summary.acknowledged + summary.failed).toBe(90);
    expect(summary.acknowledged).toBeGreaterThanOrEqual(60);
    expect(summary.failed).toBeGreaterThan(0);
    expect(summary.errors.some((e) => e.device === victim && e.phase === 'connect')).toBe(true);
  });

  test('GIVEN an AbortSignal WHEN it fires during a long run THEN the run ends with a summary and nothing left in flight', async () => {
    const controller = new AbortController();
    const others = devices.slice(1);
    const run = simulate({
      ...base,
      devices: others,
      ratePerDevice: 5,
      durationMs: 600_000,
      signal: controller.signal,
      onProgress: (p) => { if (p.acknowledged >= 4) controller.abort(); },
      progressIntervalMs: 50,
    });
    const summary = await run;
    expect(summary.connected).toBe(2);
    expect(summary.acknowledged).toBeGreaterThanOrEqual(4);
    expect(summary.acknowledged + summary.failed).toBe(summary.sent);
    expect(summary.sent).toBeLessThan(600 * 5 * 2);
  });
});
