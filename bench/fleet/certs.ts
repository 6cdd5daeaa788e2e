/**
 * One certificate per simulated device, from a certificate authority of the bench's own, cached between runs in
 * `bench/.data/fleet-<devices>/` (git-ignored), resumable (an interrupted fill keeps what it issued), with what
 * issuing cost in its manifest.
 *
 * Keys: generating an RSA 2048 key costs 50–100 ms on a quiet core, and 0.6–2.4 s on the shared development machine
 * under load (measured while filling the cache: 200 keys in 120 s at load average 14), so the first `distinctKeys`
 * devices get a key of their own (`issueDeviceCertificate`, as `local certs` issues) and every further device gets its
 * own certificate — its own subject, serial number and fingerprint, hence its own thing — over the key of device
 * `i mod distinctKeys`, signed the way the runner's CreateCertificateFromCsr signs a device's key
 * (`signClientCertificate`). A broker's work per connection does not depend on it: the handshake verifies the
 * client's signature with the certificate's public key either way, and the certificate is what names the thing.
 *
 * The runner's data dir gets a copy of the CA (`<data-dir>/ca/`, read by `ensureCa`) and, per device, the registry
 * record of a thing registered under the stack's fleet policy — what fleet provisioning's RegisterThing leaves behind
 * (local/iot/provisioning/store.ts) — so every device connects as its own thing under that policy without 5,000
 * things in the stack.
 */
import { createPublicKey, X509Certificate } from 'crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { performance } from 'perf_hooks';
import * as forge from 'node-forge';
import { ensureCa, fingerprintOfPem, issueDeviceCertificate } from '../../local/iot/certs';
import { signClientCertificate, writeRecord, writeThing } from '../../local/iot/provisioning/store';

/** Devices with a key of their own; the others reuse one of these keys under a certificate of their own. */
export const DEFAULT_DISTINCT_KEYS = 500;

/** The cached device set: where its files are and what issuing cost. */
export interface FleetCertificates {
  /** The cache folder (`bench/.data/fleet-<devices>`). */
  readonly dir: string;
  /** The CA certificate that signed every device certificate. */
  readonly caPath: string;
  /** The devices' `<thing>.cert.pem` + `<thing>.key.pem` pairs (and a copy of the CA as `ca.pem`). */
  readonly devicesDir: string;
  readonly devices: readonly FleetDevice[];
  /** RSA 2048 keys generated for this cache (over all runs that filled it). */
  readonly keysGenerated: number;
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
}

interface Manifest {
  readonly devices: number;
  readonly keysGenerated: number;
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
  dir: string, devices: number, prefix: string, progress?: (issued: number, total: number) => void, distinctKeys = DEFAULT_DISTINCT_KEYS,
): FleetCertificates {
  mkdirSync(dir, { recursive: true });
  const manifestPath = join(dir, 'manifest.json');
  const previous: Manifest | undefined = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest : undefined;
  const ca = ensureCa(dir);
  const out = join(dir, 'devices');
  mkdirSync(out, { recursive: true });
  const list: FleetDevice[] = [];
  let issued = 0;
  let keys = 0;
  let issueMs = 0;
  const manifest = (): Manifest => ({
    devices,
    keysGenerated: (previous?.keysGenerated ?? 0) + keys,
    issueSeconds: (previous?.issueSeconds ?? 0) + issueMs / 1000,
    keyAlgorithm: 'RSA 2048',
  });
  for (let i = 0; i < devices; i++) {
    const thing = fleetThingName(prefix, i);
    const certPath = join(out, `${thing}.cert.pem`);
    const keyPath = join(out, `${thing}.key.pem`);
    list.push({ thing, certPath, keyPath });
    if (existsSync(certPath) && existsSync(keyPath)) continue;
    const t0 = performance.now();
    const pooled = i >= distinctKeys ? join(out, `${fleetThingName(prefix, i % distinctKeys)}.key.pem`) : undefined;
    if (pooled) {
      // a certificate of its own over a key of the pool (certificate first: a key file marks a complete pair)
      const keyPem = readFileSync(pooled, 'utf8');
      const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString();
      writeFileSync(certPath, signClientCertificate(ca, thing, forge.pki.publicKeyFromPem(spki)).certPem);
      writeFileSync(keyPath, keyPem, { mode: 0o600 });
    } else {
      issueDeviceCertificate(dir, thing, out);
      keys++;
    }
    issueMs += performance.now() - t0;
    issued++;
    if (issued % 100 === 0) {
      progress?.(issued, devices);
      // keep the running total, so an interrupted fill still reports what it cost
      writeManifest(manifestPath, manifest());
    }
  }
  const final = manifest();
  writeManifest(manifestPath, final);
  return {
    dir,
    caPath: join(dir, 'ca', 'ca.pem'),
    devicesDir: out,
    devices: list,
    keysGenerated: final.keysGenerated,
    issueSeconds: final.issueSeconds,
    issuedNow: issued,
    issueSecondsNow: issueMs / 1000,
  };
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
    const certPem = readFileSync(device.certPath, 'utf8');
    const x509 = new X509Certificate(certPem);
    const fingerprint = fingerprintOfPem(certPem);
    writeRecord(dataDir, {
      thing: device.thing,
      fingerprint,
      serial: x509.serialNumber.toLowerCase(),
      issuedAt: now,
      notAfter: new Date(x509.validTo).toISOString(),
      status: 'ACTIVE',
      policies: [policyKey],
    });
    writeThing(dataDir, { name: device.thing, attributes: {}, template: templateName, certificates: [fingerprint], provisionedAt: now });
  }
}
