/**
 * One RSA 2048 certificate per simulated device, from a certificate authority of the bench's own, cached between runs
 * in `bench/.data/fleet-<devices>/` (git-ignored): RSA key generation costs tens of milliseconds per key, so 5,000
 * devices take minutes to issue the first time and nothing afterwards. The cache is resumable (an interrupted run
 * keeps what it issued) and records how long issuing took.
 *
 * The runner's data dir gets a copy of the CA (`<data-dir>/ca/`, read by `ensureCa`) and, per device, the
 * registry record of a thing registered under the stack's fleet policy — what fleet provisioning's RegisterThing
 * leaves behind (local/iot/provisioning/store.ts) — so every device connects as its own thing under that policy
 * without 5,000 things in the stack.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { performance } from 'perf_hooks';
import { fingerprintOfPem, issueDeviceCertificate, lookupCertificate } from '../../local/iot/certs';
import { writeRecord, writeThing } from '../../local/iot/provisioning/store';

/** The cached device set: where its files are and what issuing cost. */
export interface FleetCertificates {
  /** The cache folder (`bench/.data/fleet-<devices>`). */
  readonly dir: string;
  /** The CA certificate that signed every device certificate. */
  readonly caPath: string;
  readonly devices: readonly FleetDevice[];
  /** Seconds spent issuing certificates over all runs that filled this cache. */
  readonly issueSeconds: number;
  /** Certificates issued by this call (0 when the cache was complete). */
  readonly issuedNow: number;
  /** Seconds this call spent issuing. */
  readonly issueSecondsNow: number;
}

export interface FleetDevice {
  readonly thing: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly fingerprint: string;
}

interface Manifest {
  readonly devices: number;
  readonly issueSeconds: number;
  readonly keyAlgorithm: string;
}

/** The thing name of device `i` (0-based): `fleet-000001`, … */
export function fleetThingName(prefix: string, i: number): string {
  return `${prefix}${String(i + 1).padStart(6, '0')}`;
}

/** The cache folder for a fleet of `devices`. */
export function cacheDir(repo: string, devices: number): string {
  return resolve(repo, 'bench', '.data', `fleet-${devices}`);
}

/**
 * Issues (or reuses) one certificate per device under the cache's own CA. `progress` is called every 100
 * certificates issued.
 */
export function ensureFleetCertificates(
  dir: string, devices: number, prefix: string, progress?: (issued: number, total: number) => void,
): FleetCertificates {
  mkdirSync(dir, { recursive: true });
  const manifestPath = join(dir, 'manifest.json');
  const previous: Manifest | undefined = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest : undefined;
  const out = join(dir, 'devices');
  const list: FleetDevice[] = [];
  let issued = 0;
  let issueMs = 0;
  for (let i = 0; i < devices; i++) {
    const thing = fleetThingName(prefix, i);
    const certPath = join(out, `${thing}.cert.pem`);
    const keyPath = join(out, `${thing}.key.pem`);
    if (existsSync(certPath) && existsSync(keyPath)) {
      list.push({ thing, certPath, keyPath, fingerprint: fingerprintOfPem(readFileSync(certPath, 'utf8')) });
      continue;
    }
    const t0 = performance.now();
    const cert = issueDeviceCertificate(dir, thing, out);
    issueMs += performance.now() - t0;
    issued++;
    list.push({ thing, certPath: cert.certPath, keyPath: cert.keyPath, fingerprint: cert.fingerprint });
    if (issued % 100 === 0) {
      progress?.(issued, devices);
      // keep the running total, so an interrupted fill still reports what it cost
      writeManifest(manifestPath, { devices, issueSeconds: (previous?.issueSeconds ?? 0) + issueMs / 1000, keyAlgorithm: 'RSA 2048' });
    }
  }
  const issueSeconds = (previous?.issueSeconds ?? 0) + issueMs / 1000;
  writeManifest(manifestPath, { devices, issueSeconds, keyAlgorithm: 'RSA 2048' });
  return { dir, caPath: join(dir, 'ca', 'ca.pem'), devices: list, issueSeconds, issuedNow: issued, issueSecondsNow: issueMs / 1000 };
}

function writeManifest(path: string, manifest: Manifest): void {
  writeFileSync(path, JSON.stringify(manifest, null, 2) + '\n');
}

/**
 * Prepares a fresh runner data dir: the fleet's CA (so the runner trusts the device certificates and signs its
 * server certificate with it) and every device as a registered thing whose certificate carries `policyKey`.
 */
export function registerFleet(fleet: FleetCertificates, dataDir: string, policyKey: string, templateName: string): void {
  mkdirSync(join(dataDir, 'ca'), { recursive: true });
  for (const name of ['ca.pem', 'ca.key.pem']) copyFileSync(join(fleet.dir, 'ca', name), join(dataDir, 'ca', name));
  const now = new Date().toISOString();
  for (const device of fleet.devices) {
    const record = lookupCertificate(fleet.dir, device.fingerprint);
    if (!record) throw new Error(`${fleet.dir}/certs has no record of ${device.thing}'s certificate: delete ${fleet.dir} and run again`);
    writeRecord(dataDir, { ...record, status: 'ACTIVE', policies: [policyKey] });
    writeThing(dataDir, { name: device.thing, attributes: {}, template: templateName, certificates: [device.fingerprint], provisionedAt: now });
  }
}
