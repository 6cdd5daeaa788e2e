/**
 * The local runner's programmatic surface, for the CLI (`cdk-iot-pipeline local`, `local certs`) and the tests:
 * run the synthesized pipeline on this machine (MQTT broker over mutual TLS with AWS IoT policy checks, the topic
 * rules, Firehose buffering/processing/backup, S3 as folders or an S3-compatible endpoint), and issue device
 * certificates from the local CA. Nothing here parses command lines or prints.
 */
export { AssemblyError, RunnerError } from './errors';

export { prepareDataDir } from './data-dir';
export { LocalRunner } from './runner';
export type { RunnerOptions, WrittenObject } from './runner';
export { issueDeviceCertificate, ensureCa, lookupCertificate, validThingName } from './iot/certs';
export type { IssuedCertificate } from './iot/certs';
export { CERTIFICATE_STATUSES, CertificateStatusError, listCertificates, setCertificateStatus } from './iot/registry';
export type { CertificateStatus, RegisteredCertificate } from './iot/registry';
export { issueClaimCertificate } from './iot/provisioning/store';
export type { IssuedClaim } from './iot/provisioning/store';

/** The data folder unless given: CA, journal, S3 folders, logs. */
export const DEFAULT_DATA_DIR = '.iot-local';
