/**
 * Certificate status in the local certificate registry (`<data-dir>/certs/<fingerprint>.json`, written by
 * `issueDeviceCertificate` in certs.ts), as AWS IoT keeps it for a registered certificate: ACTIVE, INACTIVE or
 * REVOKED (https://docs.aws.amazon.com/iot/latest/apireference/API_UpdateCertificate.html).
 *
 * - A record without a status is ACTIVE (certificates are issued active, like `CreateKeysAndCertificate
 *   --set-as-active`).
 * - "AWS IoT verifies that a client certificate is active when it authenticates a connection": the broker refuses a
 *   CONNECT with a certificate that is not ACTIVE (CONNACK 5 / 0x87 Not authorized).
 * - Setting INACTIVE or REVOKED disconnects the devices connected with it (AWS: "within minutes"; locally as soon as
 *   the runner sees the registry change) and they cannot reconnect.
 * - REVOKED is final: "revoke client certificates to prevent them from any future use"
 *   (https://docs.aws.amazon.com/iot/latest/developerguide/activate-or-deactivate-device-cert.html), so it cannot
 *   be set back to ACTIVE; INACTIVE can.
 */
import { existsSync, FSWatcher, mkdirSync, readdirSync, renameSync, watch, writeFileSync } from 'fs';
import { join } from 'path';
import { CertificateRecord, lookupCertificate } from './certs';

export const CERTIFICATE_STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED'] as const;
/**
 * A certificate created by the fleet provisioning API is PENDING_ACTIVATION until RegisterThing (provisioning/);
 * it cannot connect, and `local certs status` does not set it.
 */
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number] | 'PENDING_ACTIVATION';

/** A registry record with its status. */
export interface RegisteredCertificate extends CertificateRecord {
  readonly status: CertificateStatus;
}

/** Bad input to `setCertificateStatus`: the message says what to change. */
export class CertificateStatusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateStatusError';
  }
}

function registryDir(dataDir: string): string {
  return join(dataDir, 'certs');
}

/** The status of a registry record (a record without one is ACTIVE). */
export function statusOf(record: CertificateRecord | undefined): CertificateStatus | undefined {
  if (!record) return undefined;
  const status = (record as { status?: string }).status;
  if (status === 'PENDING_ACTIVATION') return status;
  return (CERTIFICATE_STATUSES as readonly string[]).includes(status as string) ? status as CertificateStatus : 'ACTIVE';
}

/** Every certificate the registry holds, oldest first. */
export function listCertificates(dataDir: string): RegisteredCertificate[] {
  const dir = registryDir(dataDir);
  if (!existsSync(dir)) return [];
  const out: RegisteredCertificate[] = [];
  for (const name of readdirSync(dir)) {
    const m = /^([0-9a-f]{64})\.json$/.exec(name);
    const record = m ? lookupCertificate(dataDir, m[1]) : undefined;
    if (record) out.push({ ...record, status: statusOf(record)! });
  }
  return out.sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
}

/** What `setCertificateStatus` selects: one certificate id (fingerprint, or a unique prefix), or every certificate of a thing. */
export interface CertificateSelector {
  readonly id?: string;
  readonly thing?: string;
}

/**
 * Sets the status of the selected certificate(s); returns the records as they are now. Throws
 * CertificateStatusError when nothing matches, an id prefix is ambiguous, or a REVOKED certificate would be
 * activated.
 */
export function setCertificateStatus(dataDir: string, selector: CertificateSelector, status: CertificateStatus): RegisteredCertificate[] {
  if (!(CERTIFICATE_STATUSES as readonly string[]).includes(status)) {
    throw new CertificateStatusError(`status "${status}" is not one of ${CERTIFICATE_STATUSES.join(', ')}`);
  }
  const all = listCertificates(dataDir);
  let selected: RegisteredCertificate[];
  if (selector.id !== undefined) {
    const id = selector.id.toLowerCase();
    selected = all.filter((c) => c.fingerprint.startsWith(id));
    if (selected.length > 1) throw new CertificateStatusError(`certificate id "${selector.id}" matches ${selected.length} certificates; give more of it`);
    if (selector.thing !== undefined) selected = selected.filter((c) => c.thing === selector.thing);
  } else if (selector.thing !== undefined) {
    selected = all.filter((c) => c.thing === selector.thing);
  } else {
    throw new CertificateStatusError('name the certificate: --thing <name> (all of its certificates) or --id <certificate id>');
  }
  if (selected.length === 0) {
    const what = selector.id !== undefined ? `certificate id "${selector.id}"` : `thing "${selector.thing}"`;
    throw new CertificateStatusError(`no certificate issued by \`local certs\` in ${registryDir(dataDir)} matches ${what}`);
  }
  const revoked = selected.filter((c) => c.status === 'REVOKED' && status !== 'REVOKED');
  if (revoked.length > 0) {
    throw new CertificateStatusError(`certificate ${revoked[0].fingerprint} of thing "${revoked[0].thing}" is REVOKED, which AWS IoT makes final; issue a new certificate with \`local certs --thing ${revoked[0].thing} --out <dir>\``);
  }
  const dir = registryDir(dataDir);
  mkdirSync(dir, { recursive: true });
  return selected.map((c) => {
    const { status: _old, ...record } = c;
    const updated: RegisteredCertificate = { ...record, status };
    const path = join(dir, `${c.fingerprint}.json`);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(updated, null, 2) + '\n');
    renameSync(tmp, path);
    return updated;
  });
}

/**
 * Calls `onChange(fingerprint)` when a registry record is written (created, or its status changed). The watcher
 * does not keep the process alive; `close()` stops it.
 */
export function watchRegistry(dataDir: string, onChange: (fingerprint: string) => void): { close(): void } {
  const dir = registryDir(dataDir);
  mkdirSync(dir, { recursive: true });
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, (_event, name) => {
      const m = name ? /^([0-9a-f]{64})\.json$/.exec(name.toString()) : null;
      if (m) onChange(m[1]);
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined;
  }
  return { close: () => watcher?.close() };
}

/** Reads a record's status directly (for the broker's CONNECT check). */
export function certificateStatus(dataDir: string, fingerprint: string): CertificateStatus | undefined {
  return statusOf(lookupCertificate(dataDir, fingerprint));
}

