/** `cdk-iot-pipeline local certs --claim <template>`: a fleet claim certificate from the local CA. */
import { resolve } from 'path';
import { issueClaimCertificate } from '../../local';
import { TEMPLATE_NAME_PATTERN } from '../../src/contract';
import type { CommandContext } from '../command';
import { UsageError } from '../errors';
import { issueAndPrint } from './issued';

export interface LocalClaimCertsOptions {
  readonly template: string;
  readonly out: string;
  /** Default: the runner's `DEFAULT_DATA_DIR`. */
  readonly dataDir?: string;
}

/**
 * Writes `<out>/<template>-claim.cert.pem`, `<template>-claim.key.pem` and `ca.pem`. The certificate is ACTIVE and
 * carries the claim policy of the template (`<fleet>/ClaimPolicy`) when the runner runs the stack; it belongs to no
 * thing, as a claim shared by a fleet does not.
 */
export function runLocalClaimCerts(opts: LocalClaimCertsOptions, context: CommandContext): void {
  if (!TEMPLATE_NAME_PATTERN.test(opts.template)) {
    throw new UsageError(`--claim "${opts.template}" is not a provisioning template name (1-36 of letters, digits, '_', '-').`);
  }
  issueAndPrint(opts.dataDir, (dataDir) => issueClaimCertificate(dataDir, opts.template, resolve(opts.out)), () => ['claim', opts.template], context);
}
