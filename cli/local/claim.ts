/** `cdk-iot-pipeline local certs --claim <template>`: a fleet claim certificate from the local CA. */
import { resolve } from 'path';
import { DEFAULT_DATA_DIR, issueClaimCertificate, prepareDataDir } from '../../local';
import { TEMPLATE_NAME_PATTERN } from '../../src/contract';
import type { CommandContext } from '../command';
import { UsageError } from '../errors';

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
  const dataDir = resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  prepareDataDir(dataDir, (line) => context.io.stderr(`[local] ${line}\n`));
  const issued = issueClaimCertificate(dataDir, opts.template, resolve(opts.out));
  context.io.stdout([
    `ca       ${issued.caPath}`,
    `cert     ${issued.certPath}`,
    `key      ${issued.keyPath}`,
    `claim    ${opts.template}`,
    `id       ${issued.fingerprint}`,
  ].join('\n') + '\n');
  context.setExitCode(0);
}
