/** Publishing over MQTT with mutual TLS (mqtt.js), and what connection errors mean. */
import { isIP } from 'net';
import { performance } from 'perf_hooks';
import { connect, IClientOptions, MqttClient } from 'mqtt';
import { CliError } from '../errors';
import { PublishReport, summarizeLatencies } from './report';
import { IOT_MAX_PUBLISH_PER_SECOND_PER_CONNECTION, PublishSettings } from './settings';

/** Connects, publishes `count` messages at `rate` per second, waits for the acknowledgements, disconnects. */
export async function publishMessages(s: PublishSettings): Promise<PublishReport> {
  const endpoint = `${s.host}:${s.port}`;
  const first = s.payload.render({ seq: 1, clientId: s.clientId });
  if (s.rate > IOT_MAX_PUBLISH_PER_SECOND_PER_CONNECTION) {
    s.progress?.(`note: AWS IoT Core throttles a connection above ${IOT_MAX_PUBLISH_PER_SECOND_PER_CONNECTION} publishes/s; --rate ${s.rate} may see failures there`);
  }
  s.progress?.(`connecting to ${endpoint} as ${s.clientId} (MQTT ${s.mqttVersion === 5 ? '5' : '3.1.1'}, mutual TLS)`);
  const client = await connectClient(s);

  const latencies: number[] = [];
  const errors: Array<{ seq: number; error: string }> = [];
  let sent = 0;
  let bytesSent = 0;
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
    let payload: Buffer;
    try {
      payload = s.payload.render({ seq, clientId: s.clientId }).bytes;
    } catch (e) {
      // A template whose values change type between messages (the first one was checked before connecting).
      failed++;
      if (errors.length < 10) errors.push({ seq, error: `not sent: ${(e as Error).message}` });
      continue;
    }
    waits.push(new Promise<void>((resolve) => {
      const p: Pending = { seq, done: false, resolve, timer: undefined };
      pending.add(p);
      p.timer = setTimeout(() => fail(p, `no ${s.qos === 1 ? 'PUBACK' : 'write completion'} within ${s.ackTimeoutMs} ms`), s.ackTimeoutMs);
      const t0 = performance.now();
      sent++;
      bytesSent += payload.length;
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
    payloadKind: s.payload.kind,
    bytesSent,
    firstMessageBytes: first.bytes.length,
    firstMessage: first.text ?? `(${first.bytes.length} bytes of a file)`,
    // Bytes that are not their text (a file, CBOR, Protobuf) are reported as they were sent, too.
    ...(s.payload.kind === 'file' || s.payload.kind === 'cbor' || s.payload.kind === 'protobuf' ? { firstMessageBase64: first.bytes.toString('base64') } : {}),
  };
}

interface Pending {
  readonly seq: number;
  done: boolean;
  readonly resolve: () => void;
  timer: NodeJS.Timeout | undefined;
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
