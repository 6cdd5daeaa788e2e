/**
 * Custom-resource handler (the `onEvent` function of an aws-cdk-lib `custom_resources.Provider`) behind
 * `DeviceCertificate.generated()`.
 *
 * It creates an AWS IoT X.509 certificate together with its key pair and writes the key material to an
 * existing Secrets Manager secret. The private key only ever travels from IoT to Secrets Manager: it is never
 * returned to CloudFormation (custom-resource responses are limited to 4 KB, are visible in the console and
 * are logged by the Provider framework) and never logged.
 *
 * Resource properties (all strings):
 *   SecretArn  ARN of the secret to fill (required)
 *   ThingName  name of the device's thing (optional, used in log lines only)
 *
 * Response: PhysicalResourceId = certificate id; Data = { CertificateId, CertificateArn }.
 *
 * Ownership. AWS IoT certificates cannot be tagged, so IAM lets this function act on any certificate of the account.
 * The function itself acts only on certificates it created: after storing a certificate it tags the secret with the
 * certificate's id (`CERTIFICATE_ID_TAG`), and it deletes a certificate only when the secret named in the request is
 * tagged with exactly that id (its role can read the tags of the pipeline's secrets only). A request naming any other
 * certificate — a crafted Delete with someone else's certificate id as the physical id — changes nothing.
 *
 * Rollback. The secret's tag says which certificate the secret holds the key of. An Update that switches to a secret
 * which already holds a live certificate (CloudFormation rolling an update back to the previous secret) returns that
 * certificate instead of creating another one, so the rollback's cleanup deletes the certificate of the failed update
 * and nothing is left active without its key.
 *
 * Bundled by esbuild with `--external:@aws-sdk/*`: the Lambda Node.js runtime provides the SDK v3.
 */
// The Lambda runtime provides SDK v3 (bundled with --external:@aws-sdk/*), so it is rightly a devDependency.
// eslint-disable-next-line import/no-extraneous-dependencies
import {
  CreateKeysAndCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  paginateListAttachedPolicies,
  paginateListPrincipalThings,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
// eslint-disable-next-line import/no-extraneous-dependencies
import { DescribeSecretCommand, PutSecretValueCommand, SecretsManagerClient, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import type { GeneratedCertificateSecret } from '../../src/contract/certificate';
import { CERTIFICATE_ID_TAG } from '../../src/contract/identity';

const iot = new IoTClient({});
const secretsManager = new SecretsManagerClient({});

/** An AWS IoT certificate id: 64 lowercase hex characters (the SHA-256 fingerprint of the certificate). */
const CERTIFICATE_ID = /^[0-9a-f]{64}$/;

/**
 * DeleteCertificate fails with DeleteConflictException while a thing or policy is still attached. Detaching
 * is eventually consistent (DetachThingPrincipal is documented as asynchronous, and CloudFormation may have
 * just deleted a ThingPrincipalAttachment), so the delete is retried with exponential backoff:
 * 1 + 2 + 4 + 8 + 16 s = 31 s at most. The function's timeout must leave room for that.
 */
const DELETE_ATTEMPTS = 6;
const DELETE_BACKOFF_MS = 1_000;

/** What the Provider framework expects back from `onEvent`. */
export interface CertificateProviderResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

interface CertificateProviderProperties {
  readonly SecretArn: string;
  readonly ThingName?: string;
}

/** The JSON document written as the secret's SecretString (the CLI reads it back: see the contract). */
export type CertificateSecret = GeneratedCertificateSecret;

export async function handler(event: CloudFormationCustomResourceEvent): Promise<CertificateProviderResponse> {
  const props = properties(event.ResourceProperties);
  switch (event.RequestType) {
    case 'Create':
      return onCreate(event, props);
    case 'Update':
      return onUpdate(event, props);
    case 'Delete':
      return onDelete(event, props);
    default:
      throw new Error(`Unsupported request type: ${(event as { RequestType: string }).RequestType}`);
  }
}

async function onCreate(event: CloudFormationCustomResourceCreateEvent, props: CertificateProviderProperties): Promise<CertificateProviderResponse> {
  log({ requestType: event.RequestType, thingName: props.ThingName, secretArn: props.SecretArn, message: 'creating certificate' });
  return createCertificateIntoSecret(event.RequestType, props);
}

async function onUpdate(event: CloudFormationCustomResourceUpdateEvent, props: CertificateProviderProperties): Promise<CertificateProviderResponse> {
  const certificateId = event.PhysicalResourceId;
  const oldProps = event.OldResourceProperties as Partial<CertificateProviderProperties> | undefined;
  if (!props.SecretArn) throw new Error('Resource property SecretArn is required');

  // The secret says which certificate it holds the key of. When that certificate is alive, it is the answer: the
  // unchanged certificate of a plain update, or the previous certificate when CloudFormation rolls an update back to
  // the previous secret (the failed update's certificate is then deleted in the cleanup, as it is named by its own
  // secret's tag).
  const held = await certificateOfSecret(props.SecretArn);
  if (held !== undefined) {
    const heldDescription = await describeCertificate(held);
    if (heldDescription) {
      log({
        requestType: event.RequestType,
        certificateId: held,
        thingName: props.ThingName,
        secretArn: props.SecretArn,
        message: held === certificateId ? 'certificate unchanged' : `the secret holds certificate ${held}: keeping it instead of ${certificateId} (rollback)`,
      });
      return { PhysicalResourceId: held, Data: { CertificateId: held, CertificateArn: heldDescription.certificateArn } };
    }
  }

  // The private key of an IoT certificate is returned once, by CreateKeysAndCertificate, and never again.
  // A different secret can therefore not be filled with the existing certificate's key: when SecretArn
  // changes, this is a replacement. A new certificate (and key pair) is created and stored in the new secret,
  // and its id is returned as the new physical id; CloudFormation then sends a Delete for the old certificate
  // (during the cleanup phase, with the old secret, which names it), which deactivates and deletes it. The old
  // secret keeps the old, now useless, key material until the secret itself is deleted or overwritten.
  // With an unchanged SecretArn the secret holds no live certificate (deleted outside CloudFormation): its key is
  // useless, so a new certificate replaces it rather than every update failing from now on.
  log({
    requestType: event.RequestType,
    certificateId,
    thingName: props.ThingName,
    secretArn: props.SecretArn,
    message: oldProps?.SecretArn !== props.SecretArn ? 'SecretArn changed: replacing certificate' : 'the secret holds no live certificate: replacing certificate',
  });
  return createCertificateIntoSecret(event.RequestType, props);
}

async function onDelete(event: CloudFormationCustomResourceDeleteEvent, props: CertificateProviderProperties): Promise<CertificateProviderResponse> {
  const certificateId = event.PhysicalResourceId;
  const response = { PhysicalResourceId: certificateId };

  // A Create that failed leaves the Provider framework's default physical id (the request id): nothing exists.
  if (!CERTIFICATE_ID.test(certificateId)) {
    log({ requestType: event.RequestType, certificateId, thingName: props.ThingName, message: 'not a certificate id: nothing to delete' });
    return response;
  }

  // Ownership: only a certificate that the request's secret is tagged with (so one this provider created and stored).
  let held: string | undefined;
  try {
    held = props.SecretArn ? await certificateOfSecret(props.SecretArn) : undefined;
  } catch (err) {
    log({ requestType: event.RequestType, certificateId, secretArn: props.SecretArn, error: describeError(err), message: 'cannot read the secret\'s tags: certificate left in place' });
    return response;
  }
  if (held !== certificateId) {
    log({
      requestType: event.RequestType,
      certificateId,
      thingName: props.ThingName,
      secretArn: props.SecretArn,
      heldCertificateId: held ?? null,
      message: 'the secret does not name this certificate (not created here for this secret): certificate left in place',
    });
    return response;
  }

  const description = await describeCertificate(certificateId);
  if (!description) {
    log({ requestType: event.RequestType, certificateId, thingName: props.ThingName, message: 'certificate already deleted' });
    return response;
  }
  const certificateArn = description.certificateArn;
  log({ requestType: event.RequestType, certificateId, thingName: props.ThingName, message: 'deleting certificate' });

  // Collect first, then detach: detaching while paginating could shift later pages.
  const thingNames: string[] = [];
  await ignoreNotFound(async () => {
    for await (const page of paginateListPrincipalThings({ client: iot }, { principal: certificateArn })) {
      thingNames.push(...(page.things ?? []));
    }
  });
  for (const thingName of thingNames) {
    await ignoreNotFound(() => iot.send(new DetachThingPrincipalCommand({ thingName, principal: certificateArn })));
  }

  const policyNames: string[] = [];
  await ignoreNotFound(async () => {
    for await (const page of paginateListAttachedPolicies({ client: iot }, { target: certificateArn })) {
      for (const policy of page.policies ?? []) {
        if (policy.policyName) policyNames.push(policy.policyName);
      }
    }
  });
  for (const policyName of policyNames) {
    await ignoreNotFound(() => iot.send(new DetachPolicyCommand({ policyName, target: certificateArn })));
  }

  // An ACTIVE certificate cannot be deleted. INACTIVE needs no update, and a REVOKED one cannot be updated
  // (it can be deleted as it is).
  if (description.status !== 'INACTIVE' && description.status !== 'REVOKED') {
    await ignoreNotFound(() => iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' })));
  }
  await deleteCertificateWithRetry(certificateId);

  log({
    requestType: event.RequestType,
    certificateId,
    thingName: props.ThingName,
    detachedThings: thingNames.length,
    detachedPolicies: policyNames.length,
    message: 'certificate deleted',
  });
  return response;
}

/**
 * Creates an active certificate with a new key pair and stores it in the secret. If the secret cannot be
 * written, the certificate is deactivated and deleted (its private key would be lost) and the error rethrown.
 */
async function createCertificateIntoSecret(requestType: string, props: CertificateProviderProperties): Promise<CertificateProviderResponse> {
  if (!props.SecretArn) throw new Error('Resource property SecretArn is required');
  const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  const { certificateId, certificateArn, certificatePem } = created;
  const privateKey = created.keyPair?.PrivateKey;
  const publicKey = created.keyPair?.PublicKey;
  if (!certificateId || !certificateArn || !certificatePem || !privateKey || !publicKey) {
    if (certificateId) await rollback(certificateId);
    throw new Error(`CreateKeysAndCertificate returned an incomplete result (certificate id: ${certificateId ?? 'none'})`);
  }
  log({ requestType, certificateId, thingName: props.ThingName, message: 'certificate created' });

  const secret: CertificateSecret = { certificateId, certificateArn, certificatePem, privateKey, publicKey };
  try {
    await secretsManager.send(new PutSecretValueCommand({ SecretId: props.SecretArn, SecretString: JSON.stringify(secret) }));
    await secretsManager.send(new TagResourceCommand({ SecretId: props.SecretArn, Tags: [{ Key: CERTIFICATE_ID_TAG, Value: certificateId }] }));
  } catch (err) {
    const cause = describeError(err);
    log({ requestType, certificateId, thingName: props.ThingName, secretArn: props.SecretArn, error: cause, message: 'storing the secret failed: rolling back' });
    const rolledBack = await rollback(certificateId);
    throw new Error(
      `Failed to store the key material of certificate ${certificateId} in secret ${props.SecretArn} (${cause}); `
      + (rolledBack
        ? 'the certificate was deactivated and deleted.'
        : `rolling back also failed: certificate ${certificateId} may still exist and must be deleted manually.`),
    );
  }
  log({ requestType, certificateId, thingName: props.ThingName, secretArn: props.SecretArn, message: 'key material stored in secret' });

  return {
    PhysicalResourceId: certificateId,
    Data: { CertificateId: certificateId, CertificateArn: certificateArn },
  };
}

/** Deactivates and deletes a certificate that was just created. Returns whether that succeeded. */
async function rollback(certificateId: string): Promise<boolean> {
  try {
    await ignoreNotFound(() => iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' })));
    await ignoreNotFound(() => iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: false })));
    log({ certificateId, message: 'certificate rolled back' });
    return true;
  } catch (err) {
    log({ certificateId, error: describeError(err), message: 'rollback failed' });
    return false;
  }
}

async function deleteCertificateWithRetry(certificateId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ignoreNotFound(() => iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: false })));
      return;
    } catch (err) {
      if (errorName(err) !== 'DeleteConflictException' || attempt >= DELETE_ATTEMPTS) throw err;
      const delayMs = DELETE_BACKOFF_MS * 2 ** (attempt - 1);
      log({ certificateId, error: describeError(err), attempt, delayMs, message: 'certificate still attached: retrying delete' });
      await sleep(delayMs);
    }
  }
}

/** The id of the certificate the secret holds the key of (its `CERTIFICATE_ID_TAG`), or undefined when untagged. */
async function certificateOfSecret(secretArn: string): Promise<string | undefined> {
  const out = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretArn }));
  const value = out.Tags?.find((tag) => tag.Key === CERTIFICATE_ID_TAG)?.Value;
  return value !== undefined && CERTIFICATE_ID.test(value) ? value : undefined;
}

/** The certificate's ARN and status, or undefined when it does not exist. */
async function describeCertificate(certificateId: string): Promise<{ certificateArn: string; status?: string } | undefined> {
  if (!CERTIFICATE_ID.test(certificateId)) return undefined;
  try {
    const out = await iot.send(new DescribeCertificateCommand({ certificateId }));
    const certificateArn = out.certificateDescription?.certificateArn;
    if (!certificateArn) throw new Error(`DescribeCertificate returned no ARN for certificate ${certificateId}`);
    return { certificateArn, status: out.certificateDescription?.status };
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

async function ignoreNotFound(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (errorName(err) !== 'ResourceNotFoundException') throw err;
  }
}

/** Reads the resource properties. SecretArn is only required to create (Delete must never fail on bad input). */
function properties(raw: Record<string, unknown> | undefined): CertificateProviderProperties {
  const secretArn = raw?.SecretArn;
  const thingName = raw?.ThingName;
  return {
    SecretArn: typeof secretArn === 'string' ? secretArn : '',
    ThingName: typeof thingName === 'string' ? thingName : undefined,
  };
}

function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : undefined;
}

/** Name and message of an SDK error. SDK error messages never contain request payloads such as the secret value. */
function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One log event per call, as an object: with the function's JSON log format Lambda writes it as structured JSON
 * (`message` is the object, beside the request id). Callers pass ids and names only, never key material.
 */
function log(entry: Record<string, unknown>): void {
  console.log({ source: 'certificate-provider', ...entry });
}
