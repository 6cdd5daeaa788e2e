/**
 * The local certificate authority (RSA 2048, SHA-256), kept in `<data-dir>/ca/`. Keys, signatures and fingerprints
 * are Node's native crypto; node-forge only builds and encodes the certificates' structure.
 * - `ca.pem` / `ca.key.pem`: the CA, created once (first of `local` and `local certs` to need it).
 * - `server.cert.pem` / `server.key.pem`: the broker's certificate for IP 127.0.0.1, ::1 and DNS localhost (plus
 *   the `--host` when it is another name or address), re-issued when the host set changes.
 * - Device certificates: subject CN = thing name, extended key usage clientAuth; the registry
 *   `<data-dir>/certs/<sha256 fingerprint>.json` records which thing each issued certificate belongs to.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'fs';
import { isIP } from 'net';
import { join } from 'path';
import * as forge from 'node-forge';

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** What `issueDeviceCertificate` wrote. */
export interface IssuedCertificate {
  readonly thing: string;
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** SHA-256 of the DER certificate, lowercase hex (= the local certificate id). */
  readonly fingerprint: string;
}

/** The registry entry of an issued certificate. */
export interface CertificateRecord {
  readonly thing: string;
  readonly fingerprint: string;
  readonly serial: string;
  readonly issuedAt: string;
  readonly notAfter: string;
}

const DAY = 24 * 60 * 60 * 1000;

function caDir(dataDir: string): string {
  return join(dataDir, 'ca');
}

function newKeyPair(): { publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  // Node's native RSA key generation (OpenSSL); node-forge needs only the public key, to encode it.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return { publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()), keyPem };
}

/**
 * Signs `cert` with SHA-256 and RSA (PKCS #1 v1.5) like node-forge's `cert.sign(key, sha256)`, but with Node's native
 * RSA instead of forge's JavaScript big-number arithmetic (tens of milliseconds per signature).
 */
export function signCertificate(cert: forge.pki.Certificate, keyPem: string): void {
  // forge's own `cert.sign` steps, with the signature computed natively (`getTBSCertificate` is untyped in @types/node-forge).
  const pki = forge.pki as typeof forge.pki & { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 };
  cert.signatureOid = cert.siginfo.algorithmOid = pki.oids.sha256WithRSAEncryption;
  cert.tbsCertificate = pki.getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, keyPem).toString('binary');
}

export function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0] % 0x80; // positive
  if (bytes[0] === 0) bytes[0] = 1;
  return bytes.toString('hex');
}

/** Writes a file atomically (temp file + rename), optionally only when it does not exist yet. */
function writeAtomic(path: string, content: string, mode = 0o644, exclusive = false): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { mode });
  if (!exclusive) {
    renameSync(tmp, path);
    return true;
  }
  try {
    linkSync(tmp, path); // fails when another process created it first
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** The local CA, created on first use. */
export function ensureCa(dataDir: string): PemPair {
  const dir = caDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca.key.pem');
  if (!existsSync(certPath)) {
    const keys = newKeyPair();
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = serialNumber();
    cert.validity.notBefore = new Date(Date.now() - DAY);
    cert.validity.notAfter = new Date(Date.now() + 3650 * DAY);
    const subject = [{ name: 'commonName', value: 'cdk-iot-pipeline local CA' }, { name: 'organizationName', value: 'cdk-iot-core-firehose-pipeline (local)' }];
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    signCertificate(cert, keys.keyPem);
    // Key first (exclusive), so that a concurrent process that wins the race also wins both files.
    if (writeAtomic(keyPath, keys.keyPem, 0o600, true)) {
      writeAtomic(certPath, forge.pki.certificateToPem(cert));
    } else {
      waitForFile(certPath);
    }
  }
  return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}

function waitForFile(path: string): void {
  const deadline = Date.now() + 10000;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear; another process is creating the local CA`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

interface Leaf extends PemPair {
  readonly cert: forge.pki.Certificate;
}

function signLeaf(ca: PemPair, commonName: string, extensions: object[], days: number): Leaf {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + days * DAY);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    ...extensions,
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  signCertificate(cert, ca.keyPem);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem, cert };
}

/** The broker's server certificate for 127.0.0.1, ::1, localhost and `host`. */
export function ensureServerCertificate(dataDir: string, ca: PemPair, host: string): PemPair {
  const dir = caDir(dataDir);
  const names = [...new Set(['127.0.0.1', '::1', 'localhost', host])].sort();
  const certPath = join(dir, 'server.cert.pem');
  const keyPath = join(dir, 'server.key.pem');
  const namesPath = join(dir, 'server.names.json');
  const caFingerprint = fingerprintOfPem(ca.certPem);
  if (existsSync(certPath) && existsSync(keyPath) && existsSync(namesPath)) {
    const recorded = JSON.parse(readFileSync(namesPath, 'utf8')) as { names: string[]; ca: string };
    if (recorded.ca === caFingerprint && JSON.stringify(recorded.names) === JSON.stringify(names)) {
      return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
    }
  }
  const altNames = names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n }));
  const leaf = signLeaf(ca, 'localhost', [
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ], 825);
  writeAtomic(keyPath, leaf.keyPem, 0o600);
  writeAtomic(certPath, leaf.certPem);
  writeAtomic(namesPath, JSON.stringify({ names, ca: caFingerprint }));
  return { certPem: leaf.certPem, keyPem: leaf.keyPem };
}

/** SHA-256 of a certificate's DER bytes, lowercase hex. */
export function fingerprintOfDer(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** SHA-256 fingerprint of a PEM certificate. */
export function fingerprintOfPem(pem: string): string {
  return fingerprintOfDer(new X509Certificate(pem).raw);
}

/** A thing name AWS IoT accepts (it is also the file name stem). */
export function validThingName(thing: string): boolean {
  return /^[a-zA-Z0-9:_-]{1,128}$/.test(thing);
}

/** Issues `<thing>.cert.pem` and `<thing>.key.pem` (and copies `ca.pem`) into `outDir`; records the fingerprint. */
export function issueDeviceCertificate(dataDir: string, thing: string, outDir: string): IssuedCertificate {
  if (!validThingName(thing)) {
    throw new Error(`"${thing}" is not a valid thing name (1-128 characters: letters, digits, ':', '_', '-')`);
  }
  const ca = ensureCa(dataDir);
  const leaf = signLeaf(ca, thing, [
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ], 365);
  const fingerprint = fingerprintOfPem(leaf.certPem);
  const registry = join(dataDir, 'certs');
  mkdirSync(registry, { recursive: true });
  const record: CertificateRecord = {
    thing,
    fingerprint,
    serial: leaf.cert.serialNumber,
    issuedAt: new Date().toISOString(),
    notAfter: leaf.cert.validity.notAfter.toISOString(),
  };
  writeAtomic(join(registry, `${fingerprint}.json`), JSON.stringify(record, null, 2) + '\n');
  mkdirSync(outDir, { recursive: true });
  const caPath = join(outDir, 'ca.pem');
  const certPath = join(outDir, `${thing}.cert.pem`);
  const keyPath = join(outDir, `${thing}.key.pem`);
  writeAtomic(caPath, ca.certPem);
  writeAtomic(certPath, leaf.certPem);
  writeAtomic(keyPath, leaf.keyPem, 0o600);
  chmodSync(keyPath, 0o600);
  return { thing, caPath, certPath, keyPath, fingerprint };
}

/** The thing a certificate (by fingerprint) was issued for, from the registry; undefined when unknown. */
export function lookupCertificate(dataDir: string, fingerprint: string): CertificateRecord | undefined {
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) return undefined;
  const path = join(dataDir, 'certs', `${fingerprint}.json`);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CertificateRecord;
  } catch {
    return undefined;
  }
}
