/**
 * `cdk-iot-pipeline provision`: onboards a device the way a device does — fleet provisioning by claim over MQTT 5
 * (mqtt.js, mutual TLS with the claim certificate), against the local runner or AWS IoT Core's data endpoint
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html): subscribe to the answers first,
 * then CreateKeysAndCertificate (or CreateCertificateFromCsr with `--csr`, so the private key never leaves the
 * machine), then RegisterThing with the template; writes `<out>/<thing>.cert.pem` (and `.key.pem` when the service
 * made the key).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { isIP } from 'net';
import { join, resolve } from 'path';
import { connectAsync, MqttClient } from 'mqtt';
import { acceptedTopic, fleetRequestTopics, rejectedTopic, SERIAL_NUMBER_PARAMETER, TEMPLATE_NAME_PATTERN } from '../../src/contract';
import type { CommandContext } from '../command';
import { CliError, UsageError } from '../errors';

export interface ProvisionOptions {
  readonly endpoint: string;
  readonly claimCert: string;
  readonly claimKey: string;
  /** Default: Node.js's trust store (Amazon Root CA 1 for AWS). */
  readonly ca?: string;
  readonly template: string;
  readonly serial: string;
  /** `K=V` pairs. */
  readonly params: readonly string[];
  /** A PEM certificate signing request; its key stays on the machine (give `--key` to copy it next to the cert). */
  readonly csr?: string;
  /** With --csr: the private key of the CSR, copied as `<thing>.key.pem`. */
  readonly csrKey?: string;
  readonly out: string;
  /** Default: `<template>-<serial>` (the claim is shared by the fleet, so any client id the claim policy allows). */
  readonly clientId?: string;
  readonly timeoutMs: number;
}

/** Parses `--param NAME=VALUE` values (the value may hold `=`). */
export function parseNameValues(params: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of params) {
    const at = p.indexOf('=');
    if (at <= 0) throw new UsageError(`--param "${p}" is not NAME=VALUE; write e.g. --param Model=L-200`);
    out[p.slice(0, at)] = p.slice(at + 1);
  }
  return out;
}

/** Parses `--param K=V` values (SerialNumber comes from --serial). */
export function parseParams(params: readonly string[], serial: string): Record<string, string> {
  const out = parseNameValues(params);
  if (out[SERIAL_NUMBER_PARAMETER] !== undefined && out[SERIAL_NUMBER_PARAMETER] !== serial) {
    throw new UsageError(`--param ${SERIAL_NUMBER_PARAMETER}=… differs from --serial; give the serial number once, with --serial`);
  }
  return { ...out, [SERIAL_NUMBER_PARAMETER]: serial };
}

function hostPort(endpoint: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(endpoint);
  if (!m) throw new UsageError(`--endpoint "${endpoint}" is not HOST[:PORT]`);
  const port = m[2] === undefined ? 8883 : Number(m[2]);
  if (!(port > 0 && port < 65536)) throw new UsageError(`--endpoint port ${m[2]} is not 1-65535`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

function readPem(path: string, option: string): string {
  if (!existsSync(path)) throw new UsageError(`${option} ${path} does not exist`);
  return readFileSync(path, 'utf8');
}

/** One request: the answers are subscribed before the request is published (AWS requires it). Also used by `simulate --provision`. */
export async function call(client: MqttClient, topic: string, payload: unknown, timeoutMs: number): Promise<Record<string, unknown>> {
  const accepted = acceptedTopic(topic);
  const rejected = rejectedTopic(topic);
  const granted = await client.subscribeAsync([accepted, rejected], { qos: 1 });
  const refused = granted.filter((g) => g.qos > 2);
  if (refused.length > 0) {
    throw new CliError(`the broker refused the subscription to ${refused.map((g) => g.topic).join(', ')}: the claim certificate's policy does not allow it (iot:Subscribe on topicfilter/…)`);
  }
  let timer: NodeJS.Timeout | undefined;
  let onMessage: ((t: string, m: Buffer) => void) | undefined;
  const answer = new Promise<Record<string, unknown>>((resolvePromise, reject) => {
    onMessage = (t: string, m: Buffer) => {
      if (t !== accepted && t !== rejected) return;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(m.toString('utf8')) as Record<string, unknown>;
      } catch {
        reject(new CliError(`the answer on ${t} is not JSON`));
        return;
      }
      if (t === rejected) {
        reject(new CliError(`${topic} was rejected: ${body.statusCode} ${body.errorCode}: ${body.errorMessage}`));
      } else {
        resolvePromise(body);
      }
    };
    client.on('message', onMessage);
    timer = setTimeout(() => reject(new CliError(`no answer on ${accepted} or ${rejected} within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  // The timeout can fire while the request is still being published: handled below, never an unhandled rejection.
  answer.catch(() => undefined);
  try {
    await client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
    return await answer;
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (code === 0x87) throw new CliError(`publishing to ${topic} was refused (PUBACK 0x87 Not authorized): the claim certificate's policy does not allow it`);
    throw e;
  } finally {
    clearTimeout(timer);
    if (onMessage) client.off('message', onMessage);
  }
}

export async function runProvision(o: ProvisionOptions, context: CommandContext): Promise<void> {
  if (!TEMPLATE_NAME_PATTERN.test(o.template)) throw new UsageError(`--template "${o.template}" is not a template name (1-36 of letters, digits, '_', '-')`);
  if (o.csrKey !== undefined && o.csr === undefined) throw new UsageError('--csr-key goes with --csr');
  const parameters = parseParams(o.params, o.serial);
  const { host, port } = hostPort(o.endpoint);
  const cert = readPem(o.claimCert, '--claim-cert');
  const key = readPem(o.claimKey, '--claim-key');
  const ca = o.ca === undefined ? undefined : readPem(o.ca, '--ca');
  const csr = o.csr === undefined ? undefined : readPem(o.csr, '--csr');
  const topics = fleetRequestTopics(o.template);
  const clientId = o.clientId ?? `${o.template}-${o.serial}`.slice(0, 128);

  let client: MqttClient;
  try {
    client = await connectAsync({
      protocol: 'mqtts',
      host,
      port,
      clientId,
      cert,
      key,
      ca,
      rejectUnauthorized: true,
      protocolVersion: 5,
      ...(isIP(host) === 0 ? { servername: host } : {}),
      reconnectPeriod: 0,
      connectTimeout: o.timeoutMs,
      clean: true,
    });
  } catch (e) {
    throw new CliError(`cannot connect to ${host}:${port} with the claim certificate as ${clientId}: ${(e as Error).message}`);
  }
  try {
    const created = csr === undefined
      ? await call(client, topics.createCertificate, {}, o.timeoutMs)
      : await call(client, topics.createFromCsr, { certificateSigningRequest: csr }, o.timeoutMs);
    context.io.stderr(`certificate ${String(created.certificateId)} created (PENDING_ACTIVATION until registered)\n`);
    const request = { certificateOwnershipToken: created.certificateOwnershipToken, parameters };
    const registered = await call(client, topics.provision, request, o.timeoutMs);
    const thing = String(registered.thingName);
    const out = resolve(o.out);
    mkdirSync(out, { recursive: true });
    const certPath = join(out, `${thing}.cert.pem`);
    writeFileSync(certPath, String(created.certificatePem));
    const keyPath = join(out, `${thing}.key.pem`);
    if (typeof created.privateKey === 'string') {
      writeFileSync(keyPath, created.privateKey, { mode: 0o600 });
      chmodSync(keyPath, 0o600);
    } else if (o.csrKey !== undefined) {
      copyFileSync(o.csrKey, keyPath);
      chmodSync(keyPath, 0o600);
    }
    const lines = [
      `thing    ${thing}`,
      `id       ${String(created.certificateId)}`,
      `cert     ${certPath}`,
      ...(existsSync(keyPath) ? [`key      ${keyPath}`] : ['key      (the key of --csr; it never left this machine)']),
      ...Object.entries((registered.deviceConfiguration ?? {}) as Record<string, unknown>).map(([k, v]) => `config   ${k}=${String(v)}`),
    ];
    context.io.stdout(lines.join('\n') + '\n');
    context.setExitCode(0);
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}
