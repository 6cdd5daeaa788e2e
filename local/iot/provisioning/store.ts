/**
 * What fleet provisioning keeps in the data dir, beside the certificate registry of `local certs`
 * (`<data-dir>/certs/<fingerprint>.json`, certs.ts and registry.ts):
 * - certificates it creates: a registry record with status `PENDING_ACTIVATION` ("The new certificate has a
 *   PENDING_ACTIVATION status. When you call RegisterThing … the certificate status changes to ACTIVE or INACTIVE as
 *   described in the template": https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html),
 *   then the thing and the policies RegisterThing attached to it;
 * - claim certificates (`local certs --claim <template>`): a record naming the template whose claim policy applies;
 * - provisioned things: `<data-dir>/things/<thing>.json` (name, attributes, template, time).
 */
import { generateKeyPairSync } from 'crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'fs';
import { join } from 'path';
import * as forge from 'node-forge';
import { CertificateRecord, ensureCa, fingerprintOfPem, lookupCertificate, PemPair, serialNumber, signCertificate, validThingName } from '../certs';

/** A registry record with what fleet provisioning adds. */
export interface ProvisioningRecord extends CertificateRecord {
  readonly status?: string;
  /** Claim certificates: the template whose claim policy the certificate carries. */
  readonly claimTemplate?: string;
  /** Certificates registered by RegisterThing: the policies attached to the certificate (model policy keys). */
  readonly policies?: string[];
  /** Inline policies the template attached (PolicyDocument), as JSON text. */
  readonly policyDocuments?: string[];
  /** The claim certificate that created this certificate (its fingerprint). */
  readonly createdBy?: string;
}

/** A provisioned thing. */
export interface ProvisionedThing {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly template: string;
  readonly certificates: string[];
  readonly provisionedAt: string;
}

function writeJson(path: string, value: unknown, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode });
  renameSync(tmp, path);
}

/** Writes (replaces) a registry record. */
export function writeRecord(dataDir: string, record: ProvisioningRecord): void {
  const dir = join(dataDir, 'certs');
  mkdirSync(dir, { recursive: true });
  writeJson(join(dir, `${record.fingerprint}.json`), record);
}

/** A registry record with the fields fleet provisioning reads. */
export function readRecord(dataDir: string, fingerprint: string): ProvisioningRecord | undefined {
  return lookupCertificate(dataDir, fingerprint) as ProvisioningRecord | undefined;
}

/** A provisioned thing, or undefined. */
export function readThing(dataDir: string, name: string): ProvisionedThing | undefined {
  if (!validThingName(name)) return undefined;
  const path = join(dataDir, 'things', `${name}.json`);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as ProvisionedThing : undefined;
}

export function writeThing(dataDir: string, thing: ProvisionedThing): void {
  const dir = join(dataDir, 'things');
  mkdirSync(dir, { recursive: true });
  writeJson(join(dir, `${thing.name}.json`), thing);
}

/** A certificate `signClientCertificate` signed. */
export interface SignedCertificate {
  readonly certPem: string;
  readonly fingerprint: string;
  readonly serial: string;
  readonly notAfter: string;
}

/** A certificate signed by the local CA for a public key (client authentication). */
export function signClientCertificate(ca: PemPair, commonName: string, publicKey: forge.pki.PublicKey): SignedCertificate {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  const day = 24 * 60 * 60 * 1000;
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(Date.now() - day);
  cert.validity.notAfter = new Date(Date.now() + 365 * day);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  signCertificate(cert, ca.keyPem);
  const certPem = forge.pki.certificateToPem(cert);
  return { certPem, fingerprint: fingerprintOfPem(certPem), serial: cert.serialNumber, notAfter: cert.validity.notAfter.toISOString() };
}

/** What `issueClaimCertificate` wrote. */
export interface IssuedClaim {
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly fingerprint: string;
}

/**
 * `local certs --claim <template>`: a claim certificate (ACTIVE, attached to no thing) carrying the claim policy of
 * the template, written as `<template>-claim.cert.pem`, `<template>-claim.key.pem` and `ca.pem`.
 */
export function issueClaimCertificate(dataDir: string, templateName: string, outDir: string): IssuedClaim {
  const ca = ensureCa(dataDir);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const leaf = signClientCertificate(ca, `${templateName}-claim`, forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()));
  writeRecord(dataDir, {
    thing: '',
    fingerprint: leaf.fingerprint,
    serial: leaf.serial,
    issuedAt: new Date().toISOString(),
    notAfter: leaf.notAfter,
    status: 'ACTIVE',
    claimTemplate: templateName,
  });
  mkdirSync(outDir, { recursive: true });
  const caPath = join(outDir, 'ca.pem');
  const certPath = join(outDir, `${templateName}-claim.cert.pem`);
  const keyPath = join(outDir, `${templateName}-claim.key.pem`);
  writeFileSync(caPath, ca.certPem);
  writeFileSync(certPath, leaf.certPem);
  writeFileSync(keyPath, keyPem, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  return { caPath, certPath, keyPath, fingerprint: leaf.fingerprint };
}
