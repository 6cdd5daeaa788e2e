/**
 * Working out what to publish: endpoint, client certificate, client id, topic and payload, from the options, the
 * stack outputs and the generated certificate's secret. Every problem is found before connecting.
 */
import { createSecureContext } from 'tls';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { topicNameProblem } from '../../local/iot/topic-filter';
import type { GeneratedCertificateSecret } from '../../src/contract';
import type { AwsClients } from '../aws/clients';
import { explainAwsError } from '../aws/errors';
import { dataEndpointOutput, findPipelines, selectPipeline } from '../aws/pipeline';
import { describeStack } from '../aws/stack';
import { CliError, UsageError } from '../errors';
import { IOT_MAX_PAYLOAD_BYTES, MessagePayload, PayloadOptions, readOptionFile, resolvePayload } from './payload';

/**
 * AWS IoT Core limits: 128 KB payload (`./payload`) and 100 publishes per second per connection
 * (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits).
 */
export { IOT_MAX_PAYLOAD_BYTES };
export const IOT_MAX_PUBLISH_PER_SECOND_PER_CONNECTION = 100;

/** Everything needed to publish, after options, stack outputs and the secret were read. */
export interface PublishSettings {
  readonly host: string;
  readonly port: number;
  readonly cert: string;
  readonly key: string;
  /** CA bundle to verify the broker; undefined = Node's default trust store (holds Amazon Root CA 1). */
  readonly ca?: string;
  readonly clientId: string;
  readonly topic: string;
  readonly count: number;
  /** Messages per second. */
  readonly rate: number;
  readonly qos: 0 | 1;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5. */
  readonly mqttVersion: 4 | 5;
  /** What every message holds (JSON from a template, text, a file's bytes, CBOR or Protobuf). */
  readonly payload: MessagePayload;
  readonly connectTimeoutMs: number;
  readonly ackTimeoutMs: number;
  /** Receives progress lines (stderr). */
  readonly progress?: (line: string) => void;
  /** The stack the settings came from, for hints. */
  readonly stackName?: string;
  /** The pipeline's topic rule (TopicRuleNameOutput), with --stack. */
  readonly ruleName?: string;
}

/** `host`, `host:port`, `[v6]:port` → host and port (default 8883). */
export function parseEndpoint(text: string): { host: string; port: number } {
  const trimmed = text.trim().replace(/^mqtts?:\/\//, '').replace(/\/+$/, '');
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed) ?? /^([^:]+)(?::(\d+))?$/.exec(trimmed);
  if (!m || !m[1]) throw new UsageError(`--endpoint ${JSON.stringify(text)} is not host[:port], e.g. abc123-ats.iot.eu-west-1.amazonaws.com:8883.`);
  const port = m[2] === undefined ? 8883 : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--endpoint port ${m[2]} is not a port number.`);
  return { host: m[1], port };
}

/** The publish command's options, parsed (numbers, durations in milliseconds); the payload options are `PayloadOptions`. */
export interface PublishOptions extends PayloadOptions {
  readonly stack?: string;
  /** The cloud assembly the local runner runs: its rules are checked against the topic. */
  readonly app?: string;
  readonly pipeline?: string;
  readonly endpoint?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
  readonly secretId?: string;
  readonly clientId?: string;
  readonly topic?: string;
  readonly count: number;
  readonly rate: number;
  readonly qos: 0 | 1;
  readonly mqttVersion: 4 | 5;
  readonly connectTimeoutMs: number;
  readonly ackTimeoutMs: number;
}

/**
 * Works out endpoint, credentials, client id and topic from the options, the stack outputs and the
 * certificate secret. The payload (template, file, encoding) is checked before anything touches the network.
 */
export async function resolvePublishSettings(
  o: PublishOptions,
  clients: () => AwsClients,
  progress?: (line: string) => void,
): Promise<PublishSettings> {
  const payload = resolvePayload(o);
  if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError('Give both --cert and --key (the device certificate and its private key), or neither.');
  if (o.cert !== undefined && o.secretId !== undefined) throw new UsageError('Give --cert/--key or --secret-id, not both.');

  // Check the payload with the client id we know so far (a wrong template is found before any call).
  payload.check(o.clientId ?? 'client-id');

  let endpoint = o.endpoint;
  let clientId = o.clientId;
  let topic = o.topic;
  let secretId = o.secretId;
  let ruleName: string | undefined;
  if (o.stack !== undefined) {
    const aws = clients();
    progress?.(`reading the outputs of stack ${o.stack}`);
    const stack = await describeStack(aws, o.stack);
    if (!stack) throw new CliError(`Stack ${o.stack} does not exist (in this account/Region). Check --stack and --region.`);
    const pipeline = selectPipeline(o.stack, findPipelines(stack.outputs), o.pipeline);
    endpoint ??= dataEndpointOutput(stack.outputs);
    clientId ??= pipeline.thingName;
    ruleName = pipeline.topicRuleName;
    const base = pipeline.publishTopic ?? pipeline.topic;
    if (topic === undefined && base !== undefined && pipeline.thingName !== undefined) {
      topic = `${base}/${pipeline.thingName}`;
    }
    if (o.cert === undefined) secretId ??= pipeline.certificateSecretArn;
  }
  if (endpoint === undefined) {
    throw new UsageError('No endpoint: pass --endpoint host[:port] (AWS IoT: `aws iot describe-endpoint --endpoint-type iot:Data-ATS`), or --stack to read the IotDataAtsEndpoint output.');
  }
  if (clientId === undefined) throw new UsageError('No client id: pass --client-id (for AWS IoT, the thing name), or --stack to read it.');
  if (topic === undefined) throw new UsageError('No topic: pass --topic (the pipeline forwards <base topic>/<one level>), or --stack to use <publish topic>/<thing name>.');
  const topicProblem = topicNameProblem(topic);
  if (topicProblem) throw new UsageError(`--topic: ${topicProblem}.`);

  let cert: string;
  let key: string;
  if (o.cert !== undefined && o.key !== undefined) {
    cert = readText(o.cert, '--cert');
    key = readText(o.key, '--key');
  } else if (secretId !== undefined) {
    progress?.(`reading the device certificate from secret ${secretId}`);
    ({ cert, key } = await readCertificateSecret(clients(), secretId));
  } else {
    throw new UsageError(
      'No client certificate: pass --cert and --key, or --secret-id <secret with a generated certificate>, '
      + 'or --stack for a pipeline with DeviceCertificate.generated() (its CertificateSecretArn output).',
    );
  }
  checkKeyPair(cert, key);
  const ca = o.ca !== undefined ? readText(o.ca, '--ca') : undefined;

  payload.check(clientId);
  const { host, port } = parseEndpoint(endpoint);
  return {
    host,
    port,
    cert,
    key,
    ca,
    clientId,
    topic,
    count: o.count,
    rate: o.rate,
    qos: o.qos,
    mqttVersion: o.mqttVersion,
    payload,
    connectTimeoutMs: o.connectTimeoutMs,
    ackTimeoutMs: o.ackTimeoutMs,
    progress,
    stackName: o.stack,
    ruleName,
  };
}

/** Reads `{certificatePem, privateKey}` from a secret written by the construct's certificate provider. */
export async function readCertificateSecret(clients: AwsClients, secretId: string): Promise<{ cert: string; key: string }> {
  let text: string | undefined;
  try {
    text = (await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') {
      throw new CliError(`Secret ${secretId} does not exist. Pass the CertificateSecretArn output of the stack (or --cert/--key).`);
    }
    throw explainAwsError(e, `Reading secret ${secretId}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    throw new CliError(`Secret ${secretId} is not JSON; expected {certificateId, certificateArn, certificatePem, privateKey, publicKey} (a DeviceCertificate.generated() secret). Before the first deployment finishes it may still be empty.`);
  }
  const value = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { readonly [field in keyof GeneratedCertificateSecret]?: unknown };
  if (typeof value.certificatePem !== 'string' || typeof value.privateKey !== 'string') {
    throw new CliError(`Secret ${secretId} has no certificatePem/privateKey fields; expected a DeviceCertificate.generated() secret.`);
  }
  return { cert: value.certificatePem, key: value.privateKey };
}

function readText(file: string, option: string): string {
  return readOptionFile(file, option).toString('utf8');
}

function checkKeyPair(cert: string, key: string): void {
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError('The client certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----).');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) throw new UsageError('The private key is not a PEM private key (-----BEGIN ... PRIVATE KEY-----).');
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new UsageError(`The client certificate and private key do not fit together (${(e as Error).message}). Use the key the certificate was issued for.`);
  }
}
