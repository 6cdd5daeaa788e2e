/**
 * The fleet provisioning MQTT API of AWS IoT Core, locally
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html):
 * - `$aws/certificates/create/<fmt>` (CreateKeysAndCertificate): empty request → `/accepted` `{certificateId,
 *   certificatePem, privateKey, certificateOwnershipToken}`;
 * - `$aws/certificates/create-from-csr/<fmt>` (CreateCertificateFromCsr): `{certificateSigningRequest}` →
 *   `{certificateOwnershipToken, certificateId, certificatePem}`;
 * - `$aws/provisioning-templates/<name>/provision/<fmt>` (RegisterThing): `{certificateOwnershipToken, parameters}` →
 *   `{deviceConfiguration, thingName}`;
 * - every `/rejected` is `{statusCode, errorCode, errorMessage}`. The page documents no error codes for the MQTT API;
 *   the codes used are those of the RegisterThing control-plane API for the same failures
 *   (https://docs.aws.amazon.com/iot/latest/apireference/API_RegisterThing.html): InvalidRequestException (400) for a
 *   malformed request, a missing parameter, an unknown, disabled or expired token, an unknown or disabled template;
 *   UnauthorizedException (401) for a token the asking claim did not obtain and for a pre-provisioning hook that
 *   refuses or fails.
 *
 * New certificates are PENDING_ACTIVATION until RegisterThing; the ownership token expires after one hour ("For
 * security, the certificateOwnershipToken … expires after one hour", same page). The pre-provisioning hook gets AWS's
 * event `{claimCertificateId, certificateId, certificatePem, templateArn, clientId, parameters}` and must answer
 * `{allowProvisioning, parameterOverrides}` within 5 s
 * (https://docs.aws.amazon.com/iot/latest/developerguide/pre-provisioning-hook.html).
 * CBOR payloads are not decoded locally: a request on a `/cbor` topic is rejected (JSON body) saying so.
 */
import { generateKeyPairSync, randomBytes } from 'crypto';
import * as forge from 'node-forge';
import { readRecord, readThing, signClientCertificate, writeRecord, writeThing } from './store';
import { evaluateTemplate, parseTemplateBody, TemplateEvaluationError } from './template-body';
import {
  acceptedTopic,
  CERTIFICATE_OWNERSHIP_TOKEN_TTL_SECONDS,
  CREATE_CERTIFICATE_TOPIC_PREFIX,
  CREATE_FROM_CSR_TOPIC_PREFIX,
  PRE_PROVISIONING_HOOK_TIMEOUT_SECONDS,
  rejectedTopic,
} from '../../../src/contract';
import type { LocalModel, ProvisioningTemplateModel } from '../../assembly/model';
import { ensureCa, validThingName } from '../certs';

/** The topics of the API (requests and their answers). */
const PROVISION_TOPIC = /^\$aws\/provisioning-templates\/([^/]+)\/provision\/(json|cbor)$/;
const CREATE_TOPIC = /^\$aws\/certificates\/create\/(json|cbor)$/;
const CSR_TOPIC = /^\$aws\/certificates\/create-from-csr\/(json|cbor)$/;

/** True for a request topic or an answer topic of the fleet provisioning API. */
export function isFleetProvisioningTopic(topic: string): boolean {
  return topic.startsWith(CREATE_CERTIFICATE_TOPIC_PREFIX) || topic.startsWith(CREATE_FROM_CSR_TOPIC_PREFIX)
    || topic.startsWith('$aws/provisioning-templates/');
}

/** One request as the broker received it. */
export interface ProvisioningRequest {
  readonly topic: string;
  readonly payload: Buffer;
  readonly clientId: string;
  /** The SHA-256 fingerprint of the asking connection's certificate (the claim certificate). */
  readonly principal: string;
}

/** The one answer to publish to the asking connection. */
export interface ProvisioningResponse {
  readonly topic: string;
  readonly payload: Buffer;
  readonly accepted: boolean;
}

/** Invokes a function (the pre-provisioning hook) by ARN. */
export type HookInvoker = (functionArn: string, event: unknown) => Promise<unknown>;

export interface FleetProvisioningOptions {
  readonly dataDir: string;
  /** The model the runner loaded: its provisioning templates, the policies they attach. */
  readonly model: LocalModel;
  readonly invoke: HookInvoker;
  readonly log: (line: string) => void;
  /** The clock (ms); tests move it past the token's hour. */
  readonly now?: () => number;
}

interface Token {
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly claim: string;
  readonly expiresAt: number;
}

class Rejection extends Error {
  constructor(public readonly statusCode: number, public readonly errorCode: string, message: string) {
    super(message);
  }
}

const invalid = (message: string) => new Rejection(400, 'InvalidRequestException', message);
const unauthorized = (message: string) => new Rejection(401, 'UnauthorizedException', message);

/** The fleet provisioning service of one runner. */
export class FleetProvisioning {
  /** The templates the runner serves. */
  public readonly templates: ReadonlyMap<string, ProvisioningTemplateModel>;
  private readonly tokens = new Map<string, Token>();
  private readonly now: () => number;

  constructor(private readonly options: FleetProvisioningOptions) {
    this.now = options.now ?? Date.now;
    this.templates = options.model.provisioningTemplates ?? new Map();
  }

  /** Handles a request topic; undefined for a topic that is not one (an answer topic published by a client). */
  public async handle(request: ProvisioningRequest): Promise<ProvisioningResponse | undefined> {
    const { topic } = request;
    const provision = PROVISION_TOPIC.exec(topic);
    const create = CREATE_TOPIC.exec(topic);
    const csr = CSR_TOPIC.exec(topic);
    if (!provision && !create && !csr) return undefined;
    try {
      if ((provision?.[2] ?? create?.[1] ?? csr?.[1]) === 'cbor') {
        throw invalid('the local runner answers the fleet provisioning API in JSON only; publish to the /json topic');
      }
      const body = parseRequest(request.payload);
      let answer: Record<string, unknown>;
      if (create) answer = this.createKeysAndCertificate(request);
      else if (csr) answer = this.createFromCsr(request, body);
      else answer = await this.registerThing(request, provision![1], body);
      return { topic: acceptedTopic(topic), payload: Buffer.from(JSON.stringify(answer)), accepted: true };
    } catch (e) {
      if (!(e instanceof Rejection)) throw e;
      this.options.log(`provisioning: ${topic} from ${request.clientId} rejected: ${e.statusCode} ${e.errorCode}: ${e.message}`);
      const answer = { statusCode: e.statusCode, errorCode: e.errorCode, errorMessage: e.message };
      return { topic: rejectedTopic(topic), payload: Buffer.from(JSON.stringify(answer)), accepted: false };
    }
  }

  private createKeysAndCertificate(request: ProvisioningRequest): Record<string, unknown> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const issued = this.issue(request, key);
    return {
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      certificateOwnershipToken: issued.token,
    };
  }

  private createFromCsr(request: ProvisioningRequest, body: Record<string, unknown>): Record<string, unknown> {
    const pem = body.certificateSigningRequest;
    if (typeof pem !== 'string' || pem === '') throw invalid('certificateSigningRequest is missing: give the PEM of a PKCS #10 certificate signing request');
    let csr: forge.pki.CertificateSigningRequest;
    try {
      csr = forge.pki.certificationRequestFromPem(pem);
    } catch (e) {
      throw invalid(`certificateSigningRequest is not a PEM certificate signing request: ${(e as Error).message}`);
    }
    if (!csr.verify()) throw invalid('certificateSigningRequest: its signature does not verify');
    if (!csr.publicKey) throw invalid('certificateSigningRequest: it holds no RSA public key');
    const issued = this.issue(request, csr.publicKey as forge.pki.PublicKey);
    return { certificateOwnershipToken: issued.token, certificateId: issued.certificateId, certificatePem: issued.certificatePem };
  }

  private issue(request: ProvisioningRequest, key: forge.pki.PublicKey): { certificateId: string; certificatePem: string; token: string } {
    const ca = ensureCa(this.options.dataDir);
    const leaf = signClientCertificate(ca, 'AWS IoT Certificate', key);
    writeRecord(this.options.dataDir, {
      thing: '',
      fingerprint: leaf.fingerprint,
      serial: leaf.serial,
      issuedAt: new Date(this.now()).toISOString(),
      notAfter: leaf.notAfter,
      status: 'PENDING_ACTIVATION',
      createdBy: request.principal,
    });
    for (const [t, held] of this.tokens) if (held.expiresAt <= this.now()) this.tokens.delete(t); // expired ones are useless
    const token = randomBytes(48).toString('base64');
    this.tokens.set(token, {
      certificateId: leaf.fingerprint,
      certificatePem: leaf.certPem,
      claim: request.principal,
      expiresAt: this.now() + CERTIFICATE_OWNERSHIP_TOKEN_TTL_SECONDS * 1000,
    });
    return { certificateId: leaf.fingerprint, certificatePem: leaf.certPem, token };
  }

  private async registerThing(request: ProvisioningRequest, templateName: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const template = this.templates.get(templateName);
    if (!template) {
      const known = [...this.templates.keys()];
      throw invalid(`provisioning template "${templateName}" does not exist${known.length > 0 ? ` (the stack(s) have ${known.join(', ')})` : ''}`);
    }
    if (!template.enabled) throw invalid(`provisioning template "${templateName}" is disabled; enable it (Enabled: true)`);
    const tokenText = body.certificateOwnershipToken;
    if (typeof tokenText !== 'string' || tokenText === '') throw invalid('certificateOwnershipToken is missing: give the token CreateKeysAndCertificate or CreateCertificateFromCsr answered');
    const token = this.tokens.get(tokenText);
    if (!token) throw invalid('certificateOwnershipToken is not a token this endpoint issued (or it was used already)');
    if (token.claim !== request.principal) throw unauthorized('certificateOwnershipToken was issued to another certificate; register with the connection that created the certificate');
    if (this.now() >= token.expiresAt) {
      this.tokens.delete(tokenText);
      throw invalid(`certificateOwnershipToken expired (tokens are valid for ${CERTIFICATE_OWNERSHIP_TOKEN_TTL_SECONDS / 3600} hour); create a new certificate`);
    }
    const rawParameters = body.parameters ?? {};
    if (typeof rawParameters !== 'object' || Array.isArray(rawParameters)) throw invalid('parameters must be an object of string values');
    let parameters = Object.fromEntries(Object.entries(rawParameters as Record<string, unknown>).map(([k, v]) => [k, String(v)]));

    let plan;
    let parsed;
    try {
      parsed = parseTemplateBody(template.body, template.name);
      // The request's own parameters must satisfy the template before the hook is asked.
      evaluateTemplate(parsed, parameters, token.certificateId);
    } catch (e) {
      if (e instanceof TemplateEvaluationError) throw invalid(e.message);
      throw e;
    }
    if (template.hookArn) parameters = { ...parameters, ...(await this.runHook(template, request, token, parameters)) };
    try {
      plan = evaluateTemplate(parsed, parameters, token.certificateId);
    } catch (e) {
      if (e instanceof TemplateEvaluationError) throw invalid(e.message);
      throw e;
    }
    if (!validThingName(plan.thingName)) throw invalid(`thing name "${plan.thingName}" is not valid (1-128 of letters, digits, ':', '_', '-')`);
    const policies: string[] = [];
    for (const name of plan.policyNames) {
      const key = this.options.model.policies.has(name) ? name : [...this.options.model.policies.keys()].find((k) => k.endsWith(`:${name}`));
      if (!key) throw new Rejection(400, 'ResourceRegistrationFailureException', `the template attaches policy "${name}", which is not in the stack(s)`);
      policies.push(key);
    }
    const existing = readThing(this.options.dataDir, plan.thingName);
    if (existing && plan.attributeOverride === 'FAIL') {
      throw new Rejection(400, 'ResourceRegistrationFailureException', `thing "${plan.thingName}" exists and the template's OverrideSettings say FAIL`);
    }
    let attributes = plan.attributes;
    if (existing && plan.attributeOverride === 'DO_NOTHING') attributes = existing.attributes;
    if (existing && plan.attributeOverride === 'MERGE') attributes = { ...existing.attributes, ...plan.attributes };
    const record = readRecord(this.options.dataDir, token.certificateId);
    if (!record) throw invalid('the certificate of this token is no longer in the registry; create a new certificate');
    this.tokens.delete(tokenText);
    writeThing(this.options.dataDir, {
      name: plan.thingName,
      attributes,
      template: template.name,
      certificates: [...new Set([...(existing?.certificates ?? []), token.certificateId])],
      provisionedAt: new Date(this.now()).toISOString(),
    });
    writeRecord(this.options.dataDir, {
      ...record, thing: plan.thingName, status: plan.certificateStatus, policies, policyDocuments: plan.policyDocuments,
    });
    this.options.log(`provisioning: ${request.clientId} registered thing ${plan.thingName} (template ${template.name}, certificate ${token.certificateId.slice(0, 12)} ${plan.certificateStatus})`);
    return { deviceConfiguration: plan.deviceConfiguration, thingName: plan.thingName };
  }

  /** Runs the hook with AWS's event and 5 s limit; returns its parameter overrides, or throws the rejection. */
  private async runHook(
    template: ProvisioningTemplateModel, request: ProvisioningRequest, token: Token, parameters: Record<string, string>,
  ): Promise<Record<string, string>> {
    const event = {
      claimCertificateId: request.principal,
      certificateId: token.certificateId,
      certificatePem: Buffer.from(token.certificatePem).toString('base64'),
      templateArn: template.arn,
      clientId: request.clientId,
      parameters,
    };
    let timer: NodeJS.Timeout | undefined;
    let result: unknown;
    try {
      result = await Promise.race([
        this.options.invoke(template.hookArn!, event),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`it did not answer within ${PRE_PROVISIONING_HOOK_TIMEOUT_SECONDS} s`)), PRE_PROVISIONING_HOOK_TIMEOUT_SECONDS * 1000);
        }),
      ]);
    } catch (e) {
      throw unauthorized(`the pre-provisioning hook failed: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    const answer = (result ?? {}) as { allowProvisioning?: unknown; parameterOverrides?: unknown };
    if (answer.allowProvisioning !== true) throw unauthorized('the pre-provisioning hook refused the request (allowProvisioning is not true)');
    const overrides = answer.parameterOverrides;
    return overrides && typeof overrides === 'object' ? Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, String(v)])) : {};
  }
}

function parseRequest(payload: Buffer): Record<string, unknown> {
  if (payload.length === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    throw invalid('the request payload is not JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('the request payload is not a JSON object');
  return body as Record<string, unknown>;
}
