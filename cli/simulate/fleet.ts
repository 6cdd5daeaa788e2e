/**
 * Where the simulated devices' identities come from:
 * - `localFleetDevices`: against the local runner without `--provision`, certificates from the runner's CA for the
 *   things the stack's fleet template would register (thing name and fleet policy from the template, evaluated for
 *   each device's serial number), recorded the way RegisterThing records them — issued as `local certs` issues
 *   them, kept in `<data-dir>/simulate/devices/` and reused by the next run;
 * - `certsFolderDevices`: `<thing>.cert.pem` + `<thing>.key.pem` pairs from a folder (what `local certs` and
 *   `provision` write), for AWS IoT Core or the runner;
 * - `claimProvisioner`: each device onboards itself by fleet provisioning with the claim certificate over MQTT, as
 *   `cdk-iot-pipeline provision` does (cli/provision/run.ts), and connects with the certificate it got.
 * Plus the topic each device publishes to, from a pattern or from the stack's pipeline rule.
 */
import { createHash, X509Certificate } from 'crypto';
import { existsSync, readdirSync, readFileSync } from 'fs';
import { isIP } from 'net';
import { join } from 'path';
import { connectAsync } from 'mqtt';
import type { SimulatedDevice } from './engine';
import { issueDeviceCertificate, lookupCertificate } from '../../local';
import type { LocalModel, ProvisioningTemplateModel } from '../../local/assembly/model';
import { readThing, writeRecord, writeThing } from '../../local/iot/provisioning/store';
import type { ProvisioningRecord } from '../../local/iot/provisioning/store';
import { evaluateTemplate, parseTemplateBody, requiredParameters, TemplateEvaluationError } from '../../local/iot/provisioning/template-body';
import { fleetRequestTopics, SERIAL_NUMBER_PARAMETER } from '../../src/contract';
import { CliError, UsageError } from '../errors';
import { call, parseNameValues } from '../provision/run';

/** The placeholder of the device number in `--serial` patterns. */
const NUMBER_PLACEHOLDER = /\{\{\s*n\s*\}\}/g;

/** The default serial numbers: SIM-000001, SIM-000002, … */
export const DEFAULT_SERIAL_PATTERN = 'SIM-{{n}}';

/** The value given to a template parameter that has no Default and no `--param`. */
export const FILLED_PARAMETER_VALUE = 'simulated';

/** Device `index`'s serial number: the pattern with `{{n}}` replaced by index + 1, zero-padded to 6 digits. */
export function serialNumberOf(pattern: string, index: number): string {
  return pattern.replace(NUMBER_PLACEHOLDER, String(index + 1).padStart(6, '0'));
}

/** Checks a `--serial` pattern: it must number the devices, or they would all be one thing. */
export function checkSerialPattern(pattern: string): void {
  if (!new RegExp(NUMBER_PLACEHOLDER.source).test(pattern)) {
    throw new UsageError(`--serial "${pattern}" has no {{n}}: every device needs its own serial number; write e.g. --serial 'LT-{{n}}' (LT-000001, LT-000002, …)`);
  }
}

/** The fleet template the simulator uses: the named one, or the stack's only one. */
export function selectTemplate(model: LocalModel, name: string | undefined, option: string): ProvisioningTemplateModel {
  const templates = model.provisioningTemplates ?? new Map<string, ProvisioningTemplateModel>();
  const known = [...templates.keys()];
  if (name !== undefined) {
    const template = templates.get(name);
    if (!template) {
      throw new CliError(known.length > 0
        ? `${option} ${name}: the stack(s) ${model.stacks.join(', ')} have no provisioning template "${name}"; they have ${known.join(', ')}`
        : `${option} ${name}: the stack(s) ${model.stacks.join(', ')} have no fleet provisioning template (add one with pipeline.addFleetProvisioning(), or pass --certs DIR)`);
    }
    if (!template.enabled) throw new CliError(`${option} ${name}: the provisioning template is disabled (Enabled: false); enable it or pick another`);
    return template;
  }
  if (known.length === 1) return templates.get(known[0])!;
  if (known.length === 0) {
    throw new CliError(`the stack(s) ${model.stacks.join(', ')} have no fleet provisioning template, so there is no fleet policy to issue device certificates under: `
      + 'add one with pipeline.addFleetProvisioning(), or issue certificates with `cdk-iot-pipeline local certs --thing <name>` and pass --certs DIR (and --topic)');
  }
  throw new UsageError(`the stack(s) have ${known.length} provisioning templates (${known.join(', ')}); name the one whose fleet the devices belong to with --fleet <template> (or onboard with --provision <template>)`);
}

/** Parses `--param NAME=VALUE` values. */
export function parseTemplateParams(params: readonly string[]): Record<string, string> {
  const out = parseNameValues(params);
  if (out[SERIAL_NUMBER_PARAMETER] !== undefined) throw new UsageError(`--param ${SERIAL_NUMBER_PARAMETER}=… is set per device from --serial; leave it out`);
  return out;
}

/** The parameters a template requires (no Default), read once for the whole fleet. */
export function templateRequiredParameters(template: ProvisioningTemplateModel): string[] {
  return requiredParameters(parseTemplateBody(template.body, template.name));
}

/**
 * The parameters of device `index`'s request: its serial number, the `--param`s, and `simulated` for every other
 * parameter the template requires (`required`, from `templateRequiredParameters`, when the template is known).
 */
export function deviceParameters(
  serialPattern: string, index: number, given: Readonly<Record<string, string>>, required: readonly string[] = [],
): Record<string, string> {
  const filled: Record<string, string> = {};
  for (const name of required) filled[name] = FILLED_PARAMETER_VALUE;
  return { ...filled, ...given, [SERIAL_NUMBER_PARAMETER]: serialNumberOf(serialPattern, index) };
}

/** What `localFleetDevices` needs. */
export interface LocalFleetOptions {
  readonly model: LocalModel;
  readonly dataDir: string;
  readonly template: ProvisioningTemplateModel;
  readonly count: number;
  /** @default DEFAULT_SERIAL_PATTERN */
  readonly serialPattern?: string;
  readonly params?: Readonly<Record<string, string>>;
  /** Called after each device certificate that had to be issued (key generation takes a moment). */
  readonly onIssued?: (issued: number, thing: string) => void;
}

/** The folder the simulator keeps its issued device certificates in. */
export function simulatedDevicesDir(dataDir: string): string {
  return join(dataDir, 'simulate', 'devices');
}

/**
 * Device identities for the local runner, as if each had been registered with the template: the thing (named by the
 * template for the device's serial number) exists, and its certificate is ACTIVE with the template's policies — the
 * stack's fleet policy. Certificates are reused from an earlier run when the registry still knows them.
 */
export function localFleetDevices(o: LocalFleetOptions): SimulatedDevice[] {
  const pattern = o.serialPattern ?? DEFAULT_SERIAL_PATTERN;
  const body = parseTemplateBody(o.template.body, o.template.name);
  const required = requiredParameters(body);
  const dir = simulatedDevicesDir(o.dataDir);
  const devices: SimulatedDevice[] = [];
  let issued = 0;
  for (let index = 0; index < o.count; index++) {
    const parameters = deviceParameters(pattern, index, o.params ?? {}, required);
    let plan;
    try {
      // The certificate id only checks the template's certificate resource; the thing name and policies do not use it.
      plan = evaluateTemplate(body, parameters, 'simulated');
    } catch (e) {
      if (e instanceof TemplateEvaluationError) throw new CliError(`provisioning template "${o.template.name}": ${e.message} (give it with --param NAME=VALUE)`);
      throw e;
    }
    const policies = plan.policyNames.map((name) => policyKey(o.model, name, o.template.name));
    const thing = plan.thingName;
    const certPath = join(dir, `${thing}.cert.pem`);
    const keyPath = join(dir, `${thing}.key.pem`);
    if (!reusable(o.dataDir, certPath, keyPath, thing, policies)) {
      const cert = issueDeviceCertificate(o.dataDir, thing, dir);
      const record = lookupCertificate(o.dataDir, cert.fingerprint)!;
      const registered: ProvisioningRecord = { ...record, status: 'ACTIVE', policies, policyDocuments: plan.policyDocuments };
      writeRecord(o.dataDir, registered);
      writeThing(o.dataDir, {
        name: thing,
        attributes: plan.attributes,
        template: o.template.name,
        certificates: [...new Set([...(readThing(o.dataDir, thing)?.certificates ?? []), cert.fingerprint])],
        provisionedAt: new Date().toISOString(),
      });
      o.onIssued?.(++issued, thing);
    }
    devices.push({ clientId: thing, certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') });
  }
  return devices;
}

/** The model's key of a policy the template attaches by name (as RegisterThing resolves it locally). */
function policyKey(model: LocalModel, name: string, template: string): string {
  const key = model.policies.has(name) ? name : [...model.policies.keys()].find((k) => k.endsWith(`:${name}`));
  if (!key) throw new CliError(`provisioning template "${template}" attaches policy "${name}", which is not in the stack(s) ${model.stacks.join(', ')}`);
  return key;
}

/** True when an earlier run's certificate for the thing is still registered, ACTIVE and under the same policies. */
function reusable(dataDir: string, certPath: string, keyPath: string, thing: string, policies: readonly string[]): boolean {
  if (!existsSync(certPath) || !existsSync(keyPath) || !readThing(dataDir, thing)) return false;
  let fingerprint: string;
  try {
    fingerprint = createHash('sha256').update(new X509Certificate(readFileSync(certPath)).raw).digest('hex');
  } catch {
    return false;
  }
  const record = lookupCertificate(dataDir, fingerprint) as ProvisioningRecord | undefined;
  return record !== undefined && record.thing === thing && (record.status ?? 'ACTIVE') === 'ACTIVE'
    && JSON.stringify([...(record.policies ?? [])].sort()) === JSON.stringify([...policies].sort());
}

/**
 * The device certificates of a folder: every `<name>.cert.pem` with its `<name>.key.pem`, sorted by name; the name is
 * the client id (for AWS IoT, the thing name). The first `count` are used.
 */
export function certsFolderDevices(dir: string, count: number): SimulatedDevice[] {
  if (!existsSync(dir)) {
    throw new UsageError(`--certs ${dir} does not exist; give a folder of <thing>.cert.pem and <thing>.key.pem pairs (\`cdk-iot-pipeline local certs --thing <name> --out ${dir}\` or \`provision --out ${dir}\` write them)`);
  }
  const names = readdirSync(dir).filter((f) => f.endsWith('.cert.pem')).map((f) => f.slice(0, -'.cert.pem'.length))
    .filter((name) => name !== 'ca' && !name.endsWith('-claim') && existsSync(join(dir, `${name}.key.pem`))).sort();
  if (names.length < count) {
    throw new UsageError(`--certs ${dir} has ${names.length} device certificate(s) (<thing>.cert.pem with <thing>.key.pem); --devices ${count} needs ${count}: add certificates or lower --devices`);
  }
  return names.slice(0, count).map((name) => ({
    clientId: name,
    certPem: readFileSync(join(dir, `${name}.cert.pem`), 'utf8'),
    keyPem: readFileSync(join(dir, `${name}.key.pem`), 'utf8'),
  }));
}

/** What `claimProvisioner` needs. */
export interface ClaimProvisionerOptions {
  readonly host: string;
  readonly port: number;
  readonly caPem?: string;
  readonly claimCertPem: string;
  readonly claimKeyPem: string;
  readonly template: string;
  /** Device `index`'s request parameters (its serial number included). */
  readonly parameters: (index: number) => Record<string, string>;
  /** @default 20000 */
  readonly timeoutMs?: number;
}

/**
 * Onboards device `index` as a device does (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html):
 * connect with the claim certificate (MQTT 5, client id `<template>-<serial>`), CreateKeysAndCertificate, then
 * RegisterThing with the template; the device is the registered thing with its new certificate and key.
 */
export function claimProvisioner(o: ClaimProvisionerOptions): (index: number) => Promise<SimulatedDevice> {
  const topics = fleetRequestTopics(o.template);
  const timeoutMs = o.timeoutMs ?? 20_000;
  return async (index) => {
    const parameters = o.parameters(index);
    const serial = parameters[SERIAL_NUMBER_PARAMETER];
    const clientId = `${o.template}-${serial}`.slice(0, 128);
    const client = await connectAsync({
      protocol: 'mqtts',
      host: o.host,
      port: o.port,
      clientId,
      cert: o.claimCertPem,
      key: o.claimKeyPem,
      ...(o.caPem !== undefined ? { ca: o.caPem } : {}),
      ...(isIP(o.host) === 0 ? { servername: o.host } : {}),
      rejectUnauthorized: true,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      clean: true,
    }).catch((e: Error) => {
      throw Object.assign(new Error(`serial ${serial}: connecting with the claim certificate as ${clientId}: ${e.message}`), { code: (e as { code?: unknown }).code });
    });
    try {
      let created: Record<string, unknown>;
      let registered: Record<string, unknown>;
      try {
        created = await call(client, topics.createCertificate, {}, timeoutMs);
        const request = { certificateOwnershipToken: created.certificateOwnershipToken, parameters };
        registered = await call(client, topics.provision, request, timeoutMs);
      } catch (e) {
        throw provisioningError(e as Error, serial);
      }
      return { clientId: String(registered.thingName), certPem: String(created.certificatePem), keyPem: String(created.privateKey) };
    } finally {
      await client.endAsync(true).catch(() => undefined);
    }
  };
}

/**
 * A provisioning failure for the summary: which serial number, and what to change. A rejected request (AWS answers on
 * `/rejected`) is permanent — the same request is rejected again — while a timeout or a lost connection is retried.
 */
function provisioningError(e: Error, serial: string): Error {
  const rejected = / was rejected: /.test(e.message) || / was refused /.test(e.message);
  const hint = /pre-provisioning hook refused/.test(e.message)
    ? ': give serial numbers of the form the template\'s hook accepts with --serial (e.g. --serial \'LT-{{n}}\' for the example app\'s lathes)'
    : '';
  return Object.assign(new Error(`serial ${serial}: ${e.message}${hint}`), { permanent: rejected });
}

/** A `--topic` pattern: `{{clientId}}` is the device's client id (its thing name). */
export function topicOf(pattern: string, clientId: string): string {
  return pattern.replace(/\{\{\s*clientId\s*\}\}/g, clientId);
}

/**
 * The default topic pattern against the local runner: `<base topic>/{{clientId}}`, the base topic read from the
 * FROM filter (`<base>/+`) of the pipeline rule that feeds a delivery stream — the rule of the template's pipeline
 * when a template is known, else the stack(s)' only one.
 */
export function defaultTopicPattern(model: LocalModel, template?: ProvisioningTemplateModel): string {
  const candidates = model.rules.filter((r) => !r.disabled && r.actions.some((a) => a.kind === 'firehose') && r.sql.from.endsWith('/+'))
    .filter((r) => template === undefined || (r.stack === template.stack && template.path.startsWith(`${r.path.split('/').slice(0, -1).join('/')}/`)));
  const bases = [...new Set(candidates.map((r) => r.sql.from.slice(0, -2)))];
  if (bases.length !== 1) {
    throw new UsageError(bases.length === 0
      ? 'no pipeline topic rule (FROM \'<topic>/+\') found to publish to; give --topic, e.g. --topic \'my/topic/{{clientId}}\''
      : `the stack(s) have several pipelines (${bases.join(', ')}); give --topic, e.g. --topic '${bases[0]}/{{clientId}}', or --stack`);
  }
  return `${bases[0]}/{{clientId}}`;
}
