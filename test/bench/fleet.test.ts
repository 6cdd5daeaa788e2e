/**
 * The fleet benchmark's own pieces (bench/fleet/): the open-files check, the device certificate cache and its
 * registration in a runner's data dir, and the CPU profile cut to a window. The benchmark itself is not a test.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ensureFleetCertificates, fleetThingName, registerFleet } from '../../bench/fleet/certs';
import { checkOpenFiles, FD_HEADROOM } from '../../bench/fleet/limits';
import { busiestThread } from '../../bench/fleet/profile';
import { fingerprintOfPem, lookupCertificate } from '../../local/iot/certs';
import { readThing } from '../../local/iot/provisioning/store';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'fleet-bench-test-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('checkOpenFiles', () => {
  test('GIVEN a limit below one socket per device plus headroom WHEN checked THEN the error says how to raise it and what fits', () => {
    expect(() => checkOpenFiles(5000, 4096)).toThrow(`ulimit -n ${5000 + FD_HEADROOM}`);
    expect(() => checkOpenFiles(5000, 4096)).toThrow(`--devices ${4096 - FD_HEADROOM}`);
  });

  test('GIVEN enough open files WHEN checked THEN the run goes on', () => {
    expect(() => checkOpenFiles(5000, 20000)).not.toThrow();
    expect(() => checkOpenFiles(5000, Number.POSITIVE_INFINITY)).not.toThrow();
  });
});

describe('the device certificate cache', () => {
  test('GIVEN 3 devices and 1 distinct key WHEN filled THEN each device has its own certificate, the later ones over the first key, and a refill issues nothing', () => {
    const cache = join(work, 'cache');
    const fleet = ensureFleetCertificates(cache, 3, 'dev-', undefined, 1);
    expect(fleet.devices.map((d) => d.thing)).toEqual(['dev-000001', 'dev-000002', 'dev-000003']);
    expect(fleet.keysGenerated).toBe(1);
    const certs = fleet.devices.map((d) => new X509Certificate(readFileSync(d.certPath, 'utf8')));
    expect(new Set(certs.map((c) => c.fingerprint256)).size).toBe(3);
    expect(certs.map((c) => c.subject)).toEqual(['CN=dev-000001', 'CN=dev-000002', 'CN=dev-000003']);
    const ca = new X509Certificate(readFileSync(fleet.caPath, 'utf8'));
    expect(certs.every((c) => c.verify(ca.publicKey))).toBe(true);
    // device 3 (index 2) reuses device 1's key: its certificate carries that key's public half
    const key0 = createPublicKey(readFileSync(fleet.devices[0].keyPath, 'utf8')).export({ type: 'spki', format: 'der' });
    expect(certs[2].publicKey.export({ type: 'spki', format: 'der' }).equals(key0)).toBe(true);
    expect(certs[2].checkPrivateKey(createPrivateKey(readFileSync(fleet.devices[2].keyPath, 'utf8')))).toBe(true);

    const again = ensureFleetCertificates(cache, 3, 'dev-', undefined, 1);
    expect(again.issuedNow).toBe(0);
    expect(again.keysGenerated).toBe(1);
  });

  test('GIVEN a filled cache WHEN registered in a data dir THEN every device is a thing whose certificate carries the fleet policy', () => {
    const fleet = ensureFleetCertificates(join(work, 'cache'), 2, 'dev-', undefined, 1);
    const dataDir = join(work, 'data');
    registerFleet(fleet, dataDir, 'PipelineFleetPolicyABC', 'fleet-bench');
    expect(readFileSync(join(dataDir, 'ca', 'ca.pem'), 'utf8')).toBe(readFileSync(fleet.caPath, 'utf8'));
    for (const device of fleet.devices) {
      const record = lookupCertificate(dataDir, fingerprintOfPem(readFileSync(device.certPath, 'utf8'))) as unknown as { thing: string; status: string; policies: string[] };
      expect(record).toMatchObject({ thing: device.thing, status: 'ACTIVE', policies: ['PipelineFleetPolicyABC'] });
      expect(readThing(dataDir, device.thing)).toMatchObject({ name: device.thing, template: 'fleet-bench' });
    }
  });

  test('GIVEN device numbers WHEN named THEN the names sort in device order', () => {
    const names = [0, 9, 99, 4999].map((i) => fleetThingName('fleet-', i));
    expect(names).toEqual(['fleet-000001', 'fleet-000010', 'fleet-000100', 'fleet-005000']);
    expect([...names].sort()).toEqual(names);
  });
});

describe('busiestThread', () => {
  /** A profile: root → work (file:///app.js) and (idle); a sample every 1,000 µs from t = 1,000,000 µs. */
  function profile(dir: string, name: string, samples: number[]): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), JSON.stringify({
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 } },
        { id: 2, callFrame: { functionName: 'work', url: 'file:///nowhere/app.js', lineNumber: 9, columnNumber: 0 } },
        { id: 3, callFrame: { functionName: '(idle)', url: '', lineNumber: -1, columnNumber: -1 } },
        { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1, columnNumber: -1 } },
      ],
      startTime: 1_000_000,
      endTime: 1_000_000 + samples.length * 1000,
      samples,
      timeDeltas: samples.map(() => 1000),
    }));
  }

  test('GIVEN two threads WHEN cut to a window THEN the busier one is summed there, idle left out, shares of the busy time', () => {
    const dir = join(work, 'profile');
    // samples at 1,001,000 … 1,010,000 µs, each standing for the 1 ms until the next: inside [1,003,000, 1,010,000]
    // the worker has work ×4, gc ×2, idle ×2 (its first two samples, work, fall before the window)
    profile(dir, 'main.cpuprofile', [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    profile(dir, 'worker.cpuprofile', [2, 2, 2, 2, 4, 2, 3, 4, 2, 3]);
    const summary = busiestThread(dir, 1_003_000, 1_010_000)!;
    expect(summary.file).toBe('worker.cpuprofile');
    expect(summary.windowMs).toBe(7);
    expect(summary.top.map((f) => [f.function, f.selfMs])).toEqual([['work (/nowhere/app.js:10)', 4], ['(garbage collector)', 2]]);
    expect(summary.busyMs).toBe(6);
    expect(summary.top[0].share).toBe(0.667);
  });
});
