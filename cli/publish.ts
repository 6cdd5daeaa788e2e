import { readFileSync } from 'fs';
import { isIP } from 'net';
import { performance } from 'perf_hooks';
import { createSecureContext } from 'tls';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { connect, IClientOptions, MqttClient } from 'mqtt';
import { AwsClients, dataEndpointOutput, describeStack, explainAwsError, findPipelines, selectPipeline } from './aws';
import { CliError, UsageError } from './errors';
import { formatNumber } from './format';
import { DEFAULT_TEMPLATE, MessageTemplate } from './template';
import { topicNameProblem } from '../local/iot/topic-filter';

/** AWS IoT Core limits (AWS-FACTS.md "Quotas"). */
export const IOT_MAX_PAYLOAD_BYTES = 128 * 1024;
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
  readonly template: MessageTemplate;
  readonly connectTimeoutMs: number;
  readonly ackTimeoutMs: number;
  /** Receives progress lines (stderr). */
  readonly progress?: (line: string) => void;
  /** The stack the settings came from, for hints. */
  readonly stackName?: string;
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** What happened. */
export interface PublishReport {
  readonly endpoint: string;
  readonly clientId: string;
  readonly topic: string;
  readonly qos: 0 | 1;
  readonly mqttVersion: '3.1.1' | '5';
  readonly requested: number;
  readonly sent: number;
  /** QoS 1: PUBACK received; QoS 0: written to the socket. */
  readonly acked: number;
  readonly failed: number;
  readonly durationMs: number;
  readonly messagesPerSecond: number;
  readonly latencyMeasures: 'publish→PUBACK' | 'publish→written';
  readonly latencyMs?: LatencySummary;
  /** The first failures (at most 10). */
  readonly errors: Array<{ readonly seq: number; readonly error: string }>;
  /** Why the connection ended early, with what to do. */
  readonly connectionLost?: string;
  readonly firstMessage: string;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** p50/p90/p99/max of latencies (unsorted input). */
export function summarizeLatencies(latencies: readonly number[]): LatencySummary | undefined {
  if (latencies.length === 0) return undefined;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
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

/** Options of the publish command as given on the command line. */
export interface PublishCommandOptions {
  readonly stack?: string;
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
  readonly template?: string;
  readonly templateFile?: string;
  readonly connectTimeoutMs: number;
  readonly ackTimeoutMs: number;
}

/**
 * Works out endpoint, credentials, client id and topic from the options, the stack outputs and the
 * certificate secret. The template is validated before anything touches the network.
 */
export async function resolvePublishSettings(
  o: PublishCommandOptions,
  clients: () => AwsClients,
  progress?: (line: string) => void,
): Promise<PublishSettings> {
  if (o.template !== undefined && o.templateFile !== undefined) {
    throw new UsageError('Give --template or --template-file, not both.');
  }
  const templateText = o.templateFile !== undefined ? readText(o.templateFile, '--template-file') : o.template;
  const template = MessageTemplate.parse(templateText ?? DEFAULT_TEMPLATE);
  if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError('Give both --cert and --key (the device certificate and its private key), or neither.');
  if (o.cert !== undefined && o.secretId !== undefined) throw new UsageError('Give --cert/--key or --secret-id, not both.');

  // Validate the template with the client id we know so far (a wrong template is found before any call).
  template.validate(o.clientId ?? 'client-id');

  let endpoint = o.endpoint;
  let clientId = o.clientId;
  let topic = o.topic;
  let secretId = o.secretId;
  if (o.stack !== undefined) {
    const aws = clients();
    progress?.(`reading the outputs of stack ${o.stack}`);
    const stack = await describeStack(aws, o.stack);
    if (!stack) throw new CliError(`Stack ${o.stack} does not exist (in this account/Region). Check --stack and --region.`);
    const pipeline = selectPipeline(o.stack, findPipelines(stack.outputs), o.pipeline);
    endpoint ??= dataEndpointOutput(stack.outputs);
    clientId ??= pipeline.thingName;
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

  const sample = template.validate(clientId);
  if (Buffer.byteLength(sample) > IOT_MAX_PAYLOAD_BYTES) {
    throw new UsageError(`The rendered message is ${Buffer.byteLength(sample)} bytes; AWS IoT Core accepts at most ${IOT_MAX_PAYLOAD_BYTES} bytes (128 KB).`);
  }
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
    template,
    connectTimeoutMs: o.connectTimeoutMs,
    ackTimeoutMs: o.ackTimeoutMs,
    progress,
    stackName: o.stack,
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
  let value: { certificatePem?: unknown; privateKey?: unknown };
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new CliError(`Secret ${secretId} is not JSON; expected {certificateId, certificateArn, certificatePem, privateKey, publicKey} (a DeviceCertificate.generated() secret). Before the first deployment finishes it may still be empty.`);
  }
  if (typeof value.certificatePem !== 'string' || typeof value.privateKey !== 'string') {
    throw new CliError(`Secret ${secretId} has no certificatePem/privateKey fields; expected a DeviceCertificate.generated() secret.`);
  }
  return { cert: value.certificatePem, key: value.privateKey };
}

function readText(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read ${option} file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
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

/** Connects, publishes `count` messages at `rate` per second, waits for the acknowledgements, disconnects. */
export async function publishMessages(s: PublishSettings): Promise<PublishReport> {
  const endpoint = `${s.host}:${s.port}`;
  const firstMessage = s.template.render({ seq: 1, clientId: s.clientId });
  if (s.rate > IOT_MAX_PUBLISH_PER_SECOND_PER_CONNECTION) {
    s.progress?.(`note: AWS IoT Core throttles a connection above ${IOT_MAX_PUBLISH_PER_SECOND_PER_CONNECTION} publishes/s; --rate ${s.rate} may see failures there`);
  }
  s.progress?.(`connecting to ${endpoint} as ${s.clientId} (MQTT ${s.mqttVersion === 5 ? '5' : '3.1.1'}, mutual TLS)`);
  const client = await connectClient(s);

  const latencies: number[] = [];
  const errors: Array<{ seq: number; error: string }> = [];
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let connectionLost: string | undefined;
  const pending = new Set<Pending>();

  const fail = (p: Pending, error: string) => {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    pending.delete(p);
    failed++;
    if (errors.length < 10) errors.push({ seq: p.seq, error });
    p.resolve();
  };
  let closing = false;
  client.on('error', (e) => {
    // A reset while we close the connection ourselves (after the last acknowledgement) is not a lost connection.
    if (closing) return;
    connectionLost ??= `connection error: ${e.message}`;
  });
  client.on('close', () => {
    if (closing) return;
    connectionLost ??= closedByBroker(s, sent);
    for (const p of [...pending]) fail(p, 'the connection closed before the acknowledgement');
  });

  const start = performance.now();
  let lastProgress = start;
  const waits: Array<Promise<void>> = [];
  for (let i = 0; i < s.count; i++) {
    const due = start + (i * 1000) / s.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const seq = i + 1;
    if (connectionLost !== undefined || !client.connected) {
      failed++;
      if (errors.length < 10) errors.push({ seq, error: 'not sent: the connection is closed' });
      continue;
    }
    const payload = s.template.render({ seq, clientId: s.clientId });
    waits.push(new Promise<void>((resolve) => {
      const p: Pending = { seq, done: false, resolve, timer: undefined };
      pending.add(p);
      p.timer = setTimeout(() => fail(p, `no ${s.qos === 1 ? 'PUBACK' : 'write completion'} within ${s.ackTimeoutMs} ms`), s.ackTimeoutMs);
      const t0 = performance.now();
      sent++;
      client.publish(s.topic, payload, { qos: s.qos }, (err) => {
        if (p.done) return;
        if (err) {
          fail(p, err.message);
          return;
        }
        p.done = true;
        clearTimeout(p.timer);
        pending.delete(p);
        acked++;
        latencies.push(performance.now() - t0);
        resolve();
      });
    }));
    const now = performance.now();
    if (s.progress && (now - lastProgress >= 1000 || seq === s.count)) {
      lastProgress = now;
      s.progress(`published ${seq}/${s.count} (acked ${acked}, failed ${failed})`);
    }
  }
  await Promise.all(waits);
  const durationMs = performance.now() - start;
  closing = true;
  await endClient(client);
  return {
    endpoint,
    clientId: s.clientId,
    topic: s.topic,
    qos: s.qos,
    mqttVersion: s.mqttVersion === 5 ? '5' : '3.1.1',
    requested: s.count,
    sent,
    acked,
    failed,
    durationMs,
    messagesPerSecond: durationMs > 0 ? (acked / durationMs) * 1000 : 0,
    latencyMeasures: s.qos === 1 ? 'publish→PUBACK' : 'publish→written',
    latencyMs: summarizeLatencies(latencies),
    errors,
    ...(connectionLost !== undefined ? { connectionLost } : {}),
    firstMessage,
  };
}

interface Pending {
  readonly seq: number;
  done: boolean;
  readonly resolve: () => void;
  timer: NodeJS.Timeout | undefined;
}

/** The report as text lines. */
export function formatPublishReport(r: PublishReport): string {
  const lines = [
    `Sent ${r.sent}/${r.requested} messages to ${r.topic} at QoS ${r.qos} (MQTT ${r.mqttVersion}) on ${r.endpoint} as ${r.clientId}`
      + ` in ${formatNumber(r.durationMs / 1000, 1)} s (${formatNumber(r.messagesPerSecond, 1)} msg/s)`,
    `${r.qos === 1 ? 'acked (PUBACK)' : 'written'} ${r.acked}, failed ${r.failed}`,
  ];
  if (r.latencyMs) {
    const l = r.latencyMs;
    lines.push(`latency ${r.latencyMeasures} (ms): p50 ${l.p50.toFixed(1)}  p90 ${l.p90.toFixed(1)}  p99 ${l.p99.toFixed(1)}  max ${l.max.toFixed(1)}`);
  }
  for (const e of r.errors) lines.push(`  message ${e.seq}: ${e.error}`);
  if (r.connectionLost) lines.push(r.connectionLost);
  return lines.join('\n');
}

function clientOptions(s: PublishSettings): IClientOptions {
  return {
    protocol: 'mqtts',
    host: s.host,
    port: s.port,
    cert: s.cert,
    key: s.key,
    ...(s.ca !== undefined ? { ca: s.ca } : {}),
    rejectUnauthorized: true,
    ...(isIP(s.host) === 0 ? { servername: s.host } : {}),
    // AWS IoT Core serves MQTT on 443 only with this ALPN protocol name.
    ...(s.port === 443 ? { ALPNProtocols: ['x-amzn-mqtt-ca'] } : {}),
    clientId: s.clientId,
    protocolVersion: s.mqttVersion,
    clean: true,
    keepalive: 30,
    reconnectPeriod: 0,
    connectTimeout: s.connectTimeoutMs,
  };
}

function connectClient(s: PublishSettings): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(clientOptions(s));
    let settled = false;
    let lastError: Error | undefined;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeListener('connect', onConnect);
      if (error) {
        client.removeAllListeners('error');
        client.on('error', () => undefined);
        client.end(true);
        reject(error);
      } else {
        resolve(client);
      }
    };
    const onConnect = () => finish();
    const timer = setTimeout(() => finish(new CliError(
      `No MQTT connection to ${s.host}:${s.port} within ${s.connectTimeoutMs} ms${lastError ? ` (${lastError.message})` : ''}. `
      + 'Check --endpoint and that port 8883 is reachable from this network (or use port 443).',
    )), s.connectTimeoutMs + 500);
    client.once('connect', onConnect);
    client.on('error', (e) => {
      lastError = e;
      finish(explainConnectError(e, s));
    });
    client.once('close', () => finish(lastError ? explainConnectError(lastError, s) : closedBeforeConnack(s)));
  });
}

function endClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected) {
      client.end(true, {}, () => resolve());
      return;
    }
    const timer = setTimeout(() => {
      client.end(true);
      resolve();
    }, 5000);
    client.end(false, {}, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const SERVER_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

/** Says what a connection error means and what to do about it. */
export function explainConnectError(e: Error, s: Pick<PublishSettings, 'host' | 'port' | 'ca' | 'clientId' | 'stackName'>): CliError {
  const code = (e as NodeJS.ErrnoException).code;
  const where = `${s.host}:${s.port}`;
  const doctor = s.stackName ? `cdk-iot-pipeline doctor --stack ${s.stackName}` : 'cdk-iot-pipeline doctor --stack <stack>';
  if (code === 'ECONNREFUSED') {
    return new CliError(`Connection to ${where} refused: nothing listens there. Check --endpoint (AWS IoT: the stack output IotDataAtsEndpoint, port 8883).`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new CliError(`Cannot resolve ${s.host}. Check --endpoint (AWS IoT: \`aws iot describe-endpoint --endpoint-type iot:Data-ATS\`).`);
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new CliError(`Cannot reach ${where} (${code}). Check the network; outbound port ${s.port} may be blocked (AWS IoT also accepts MQTT on 443).`);
  }
  if (code !== undefined && SERVER_TRUST_CODES.has(code)) {
    return new CliError(
      `The broker's server certificate is not trusted (${e.message}). `
      + (s.ca !== undefined
        ? 'Check that --ca holds the CA that issued the broker\'s certificate.'
        : 'Without --ca, Node.js\'s default trust store is used (it holds Amazon Root CA 1, which AWS IoT Core\'s ATS endpoint uses); for another broker pass --ca <its CA file>.'),
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new CliError(`The broker's server certificate does not fit ${s.host} (${e.message}). Connect with the host name the certificate is for (AWS IoT: the iot:Data-ATS endpoint).`);
  }
  if (/alert|handshake|certificate|ECONNRESET|EPIPE|socket hang up/i.test(`${code ?? ''} ${e.message}`)) {
    const alert = /(?:tlsv1|tlsv13|sslv3) alert ([a-z ]+)/i.exec(e.message)?.[1]?.trim();
    const said = alert ? `TLS alert "${alert}"` : (e.message.split('\n')[0] || code || 'connection reset');
    return new CliError(
      `The broker refused the TLS connection with this client certificate (${said}). `
      + 'Check that --cert/--key are the device\'s certificate and key, that the certificate is issued by a CA the broker trusts, '
      + `and (AWS IoT) that it is registered and ACTIVE: run \`${doctor}\`.`,
    );
  }
  const reason = (e as { code?: unknown }).code;
  if (typeof reason === 'number') {
    return new CliError(`The broker refused the MQTT connection: ${e.message} (CONNACK code ${reason}). AWS IoT: the certificate's policy must allow iot:Connect for client id "${s.clientId}"; run \`${doctor}\`.`);
  }
  return new CliError(`MQTT connection to ${where} failed: ${e.message}.`);
}

function closedBeforeConnack(s: Pick<PublishSettings, 'host' | 'port' | 'clientId' | 'stackName'>): CliError {
  const doctor = s.stackName ? `cdk-iot-pipeline doctor --stack ${s.stackName}` : 'cdk-iot-pipeline doctor --stack <stack>';
  return new CliError(
    `${s.host}:${s.port} closed the connection before accepting it (no CONNACK). With AWS IoT Core this means the policy attached to `
    + `the certificate does not allow iot:Connect for client id "${s.clientId}", the certificate is not ACTIVE or not attached to `
    + `the thing, or another connection uses the same client id. Run \`${doctor}\`.`,
  );
}

function closedByBroker(s: PublishSettings, sent: number): string {
  const doctor = s.stackName ? `cdk-iot-pipeline doctor --stack ${s.stackName}` : 'cdk-iot-pipeline doctor --stack <stack>';
  return `The broker closed the connection after ${sent} message(s). AWS IoT Core disconnects a client that publishes to a topic its policy `
    + `does not allow (iot:Publish on topic/${s.topic}) or exceeds a limit. Run \`${doctor}\`.`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
