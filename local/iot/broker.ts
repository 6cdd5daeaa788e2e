/**
 * The MQTT broker: aedes 2.0.0-beta.1 (MQTT 3.1, 3.1.1 and 5 on one port) on a TLS server that requires a client
 * certificate signed by the local CA (`requestCert: true, rejectUnauthorized: true`) and accepts the ALPN protocol
 * `x-amzn-mqtt-ca` (what AWS IoT devices on port 443 negotiate) as well as no ALPN at all.
 *
 * Hooks (AWS IoT semantics, https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html):
 * - `authenticate`: the peer certificate's SHA-256 fingerprint must be in the registry `local certs` keeps, with
 *   status ACTIVE (registry.ts); the policies attached to that thing's certificate must allow `iot:Connect` on
 *   `client/<clientId>` (with `iot:Connection.Thing.IsAttached` true only when the client id is the thing's name).
 *   Otherwise CONNACK 5 (MQTT 3.1.1) / 0x87 Not authorized (MQTT 5).
 * - `authorizePublish`: `iot:Publish` on `topic/<topic>`. Denied: MQTT 3.1.1 clients are disconnected (AWS IoT does
 *   that); MQTT 5 clients get PUBACK 0x87 Not authorized and stay connected (aedes' MQTT 5 behaviour, and the reason
 *   code AWS IoT documents for PUBACK). QoS 2 is refused (AWS IoT supports QoS 0 and 1): MQTT 3.1.1 disconnect, MQTT 5
 *   DISCONNECT 0x9B. A payload over 128 KB: disconnect / DISCONNECT 0x95. More than 100 unacknowledged QoS 1
 *   publishes of one MQTT 5 client: DISCONNECT 0x93 Receive Maximum exceeded.
 *   It is also the durability point: aedes handles a QoS 1 PUBLISH as authorizePublish → PUBACK → broker.publish
 *   (lib/handlers/publish.js, `enqueuePublish`, unchanged from 1.x for both protocol versions), so the PUBACK is
 *   written only after this hook calls back. The hook appends the message to the journal and calls back when the
 *   journal's group commit has fsynced it; the rules engine gets the message at the same time (its deliveries mark
 *   the journal entry done later).
 * - `authorizeSubscribe` / `authorizeForward`: `iot:Subscribe` on `topicfilter/<filter>` (refused: SUBACK 0x80, MQTT 5
 *   0x87) and `iot:Receive` on `topic/<topic>`; Basic Ingest topics (`$aws/rules/...`) are never forwarded.
 * - MQTT 5 (AWS IoT Core's limits, mqtt5.ts): Topic Alias Maximum 8 (aedes resolves aliases before the hooks, so
 *   policies and rules see the topic), Receive Maximum 100 advertised, Message Expiry Interval clamped to 604,800 s;
 *   the PUBLISH properties (content type, payload format indicator, response topic, correlation data, user
 *   properties) and the connection's source IP reach the rules engine (`get_mqtt_property`, `get_user_properties`,
 *   `sourceip()`) and the journal.
 * - Limits (limits.ts): every inbound packet over 128 KB (MQTT 5 Maximum Packet Size, announced in CONNACK) ends the
 *   connection once its fixed header is read, before its body is buffered (aedes' `maximumPacketSize`, checked on
 *   each read from the socket: MQTT 5 DISCONNECT 0x95, MQTT 3.1.1 close); at most `maxConnections` connections at once
 *   (more are closed on accept); a TLS handshake that does not finish in `tlsHandshakeTimeoutMs` is dropped. The
 *   MQTT 5 CONNACK carries AWS IoT Core's properties (Maximum QoS 1, Retain Available, Wildcard Subscription
 *   Available, Subscription Identifiers Available 0, Topic Alias Maximum 8, Maximum Packet Size, Receive Maximum 100).
 * - Fleet provisioning (provisioning/): a publish to the fleet provisioning API's topics, once the policy allows it,
 *   is answered on `/accepted` or `/rejected` to the asking connection only — when it subscribed to that topic first,
 *   as AWS requires — and goes neither to other subscribers nor to the rules. A claim certificate carries its
 *   template's claim policy; a registered certificate its thing and the template's policies; a PENDING_ACTIVATION one
 *   cannot connect.
 * - Certificate status: a certificate set INACTIVE or REVOKED (`local certs status`) disconnects the clients connected
 *   with it (MQTT 5: DISCONNECT 0x87) as soon as the registry changes.
 */
import { Server as NetServer } from 'net';
import * as tls from 'tls';
import type * as AedesModule from 'aedes' with { 'resolution-mode': 'import' };
import { ConnectionAuthorizer } from './authorizer';
import { fingerprintOfDer, lookupCertificate, PemPair } from './certs';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, withAwsConnackProperties } from './limits';
import { messageProperties, MQTT5_LIMITS, REASON } from './mqtt5';
import { certificateIdentity } from './provisioning/identity';
import { FleetProvisioning, isFleetProvisioningTopic } from './provisioning/service';
import { statusOf, watchRegistry } from './registry';
import type { IngestMessage, RulesEngine } from './rules';
import { topicMatches } from './topic-filter';
import { BASIC_INGEST_PREFIX } from '../../src/contract';
import type { LocalModel } from '../assembly/model';
import { RunnerError } from '../errors';
import type { Logger } from '../firehose/delivery-stream';
import { Journal } from '../journal/journal';
import type { JournalMessage } from '../journal/journal';

type Aedes = AedesModule.Aedes;

/** A listen failure, worded for the user (the system code is kept for callers that map it). */
function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (e.code) {
    case 'EADDRINUSE':
      return new RunnerError(`port ${port} on ${host} is in use; choose another port (0 picks a free one)`, e.code);
    case 'EACCES':
      return new RunnerError(`no permission to listen on port ${port} on ${host}; choose a port above 1023 (0 picks a free one)`, e.code);
    case 'EADDRNOTAVAIL':
      return new RunnerError(`${host} is not an address of this machine; listen on 127.0.0.1, ::1 or an address of one of its interfaces`, e.code);
    default:
      return e;
  }
}

/** AWS IoT Core's message payload limit. */
const MAX_PAYLOAD = MQTT5_LIMITS.maxPayloadBytes;

/** The ALPN protocols the TLS server accepts (a client that offers none is accepted too). */
export const ALPN_PROTOCOLS = ['x-amzn-mqtt-ca', 'mqtt'];

/** The payloads of fleet provisioning answers being delivered (to tell them from requests in authorizeForward). */
const ANSWERS = new WeakSet<Buffer>();

/** Errors the hooks already logged (aedes reports them again as clientError). */
const LOGGED = new WeakSet<Error>();

function logged<T extends Error>(error: T): T {
  LOGGED.add(error);
  return error;
}
type Client = AedesModule.Client;

/** Loads aedes (an ES module; `require` works for it in Node ≥ 20.19 and in the esbuild bundle). */
function loadAedes(): typeof AedesModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('aedes') as typeof AedesModule;
}

export interface BrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly ca: PemPair;
  readonly server: PemPair;
  readonly model: LocalModel;
  readonly journal: Journal;
  readonly rules: RulesEngine;
  readonly log: Logger;
  /** The fleet provisioning API, when the stack(s) have provisioning templates. */
  readonly provisioning?: FleetProvisioning;
  /** Logs every connect/disconnect (default: only denials and errors). */
  readonly verbose?: boolean;
  /**
   * Connections open at once; more are closed as they are accepted.
   * @default 10000 (a 10,000-device fleet)
   */
  readonly maxConnections?: number;
  /**
   * A TLS handshake that does not finish in this time is dropped (ms).
   * @default 10000
   */
  readonly tlsHandshakeTimeoutMs?: number;
}

/** Counters. */
export interface BrokerStats {
  connections: number;
  connectDenied: number;
  publishDenied: number;
  published: number;
  journaled: number;
  /** Connections closed on accept because `maxConnections` were open. */
  connectionsDropped: number;
}

interface ClientState {
  authorizer: ConnectionAuthorizer;
  principal: string;
  sourceIp?: string;
  /** MQTT 5: QoS 1 publishes waiting for their PUBACK (AWS IoT Core allows 100). */
  inFlight: number;
}

/** The running broker. */
export class LocalBroker {
  /**
   * Creates the broker and listens; resolves once it accepts connections. A failure (the port is in use) closes
   * what was created, so nothing keeps the process alive, and is a RunnerError (code `EADDRINUSE`, `EACCES`, …).
   */
  public static async start(options: BrokerOptions): Promise<LocalBroker> {
    const { Aedes } = loadAedes();
    const broker = new LocalBroker(options);
    const aedes = await Aedes.createBroker({
      maxClientsIdLength: 128,
      heartbeatInterval: 3600000,
      queueLimit: 1000,
      topicAliasMaximum: MQTT5_LIMITS.topicAliasMaximum,
      receiveMaximum: MQTT5_LIMITS.receiveMaximum,
      // Checked on every read, once a packet's fixed header is known: a larger packet is never buffered.
      maximumPacketSize: MQTT5_LIMITS.maxPacketBytes,
      authenticate: (client, _username, _password, done) => broker.authenticate(client, done),
      authorizePublish: (client, packet, done) => broker.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, sub, done) => broker.authorizeSubscribe(client, sub, done),
      authorizeForward: (client, packet) => broker.authorizeForward(client, packet),
    });
    broker.aedes = aedes;
    aedes.on('clientError', (client, err) => {
      if (broker.closing || LOGGED.has(err) || /ECONNRESET|EPIPE|closed/i.test(err.message)) return;
      // aedes cuts a packet off at its declared length ("packet too large"): say which limit and what to change.
      const why = /packet too large/i.test(err.message)
        ? `a packet exceeds AWS IoT Core's 128 KB payload limit (maximum packet size ${MQTT5_LIMITS.maxPacketBytes} bytes); disconnected without reading it. Send smaller messages.`
        : err.message;
      options.log(`broker: client ${client.id}: ${why}`);
    });
    aedes.on('clientDisconnect', (client) => {
      broker.clients.delete(client);
      if (options.verbose) options.log(`broker: ${client.id} disconnected`);
    });
    const server = tls.createServer({
      key: options.server.keyPem,
      cert: options.server.certPem,
      ca: [options.ca.certPem],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ALPN_PROTOCOLS,
      handshakeTimeout: options.tlsHandshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
    }, (socket) => {
      socket.setNoDelay(true);
      broker.sockets.add(socket);
      socket.once('close', () => broker.sockets.delete(socket));
      aedes.handle(socket);
    });
    server.on('tlsClientError', (err, socket) => {
      if (!broker.closing) options.log(`broker: TLS handshake from ${socket.remoteAddress ?? '?'} failed: ${err.message}`);
      // Node reports a handshake timeout here but leaves the connection open: close it.
      socket.destroy();
    });
    server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    server.on('drop', (data) => {
      broker.stats.connectionsDropped++;
      options.log(`broker: connection from ${data?.remoteAddress ?? '?'} closed: ${server.maxConnections} connections are open (--max-connections)`);
    });
    broker.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      await broker.close();
      throw listenError(e as NodeJS.ErrnoException, options.host, options.port);
    }
    broker.listening = true;
    broker.registryWatch = watchRegistry(options.dataDir, (fingerprint) => broker.certificateChanged(fingerprint));
    return broker;
  }

  public readonly stats: BrokerStats = { connections: 0, connectDenied: 0, publishDenied: 0, published: 0, journaled: 0, connectionsDropped: 0 };
  private aedes!: Aedes;
  private server!: NetServer;
  private readonly clients = new Map<Client, ClientState>();
  private readonly sockets = new Set<tls.TLSSocket>();
  private closing = false;
  private listening = false;
  private registryWatch?: { close(): void };
  private closed?: Promise<void>;

  private constructor(private readonly options: BrokerOptions) {}

  /** The port the server listens on. */
  public get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  /** Stops accepting, closes every connection and the broker. Idempotent. */
  public close(): Promise<void> {
    if (!this.closed) this.closed = this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    this.registryWatch?.close();
    const serverClosed = this.listening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await serverClosed;
  }

  private authenticate(client: Client, done: (error: AedesModule.AuthenticateError | null, success: boolean | null) => void): void {
    const socket = client.conn as tls.TLSSocket;
    const deny = (reason: string) => {
      this.stats.connectDenied++;
      this.options.log(`broker: connect denied for client id "${client.id}": ${reason}`);
      const err = new Error(`not authorized: ${reason}`) as AedesModule.AuthenticateError;
      (err as { returnCode: number }).returnCode = 5;
      done(logged(err), false);
    };
    const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
    if (!peer || !peer.raw) return deny('no client certificate');
    const fingerprint = fingerprintOfDer(peer.raw);
    const record = lookupCertificate(this.options.dataDir, fingerprint);
    const status = statusOf(record);
    if (record && status !== 'ACTIVE') {
      return deny(`the certificate ${fingerprint} of thing "${record.thing}" is ${status} (\`local certs status --id ${fingerprint.slice(0, 12)} --status ACTIVE\` activates an INACTIVE one)`);
    }
    const authorizer = new ConnectionAuthorizer(this.options.model, {
      clientId: client.id, ...certificateIdentity(this.options.dataDir, record, this.options.provisioning?.templates),
    });
    const decision = authorizer.connect();
    if (!decision.allowed) return deny(decision.reason);
    this.clients.set(client, { authorizer, principal: fingerprint, sourceIp: normalizeIp(socket.remoteAddress), inFlight: 0 });
    this.stats.connections++;
    if (client.version === 5) withAwsConnackProperties(socket); // the next packet written is this client's CONNACK
    if (this.options.verbose) this.options.log(`broker: ${client.id} connected (certificate of thing ${record?.thing}; ${decision.reason})`);
    done(null, true);
  }

  private authorizePublish(client: Client | null, packet: AedesModule.PublishPacket, done: (error?: Error | null) => void): void {
    const state = client ? this.clients.get(client) : undefined;
    if (!client || !state) {
      done(new Error('publish from an unauthenticated connection'));
      return;
    }
    const v5 = client.version === 5;
    if (packet.qos === 2) {
      this.stats.publishDenied++;
      this.options.log(`broker: disconnecting ${client.id}: QoS 2 publish to ${packet.topic} (AWS IoT supports QoS 0 and 1 only)`);
      this.refuse(client, v5 ? REASON.qosNotSupported : undefined, new Error('QoS 2 is not supported'), done);
      return;
    }
    const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    if (size > MAX_PAYLOAD) {
      this.stats.publishDenied++;
      this.options.log(`broker: disconnecting ${client.id}: a ${size}-byte publish to ${packet.topic} exceeds AWS IoT Core's 128 KB payload limit`);
      this.refuse(client, v5 ? REASON.packetTooLarge : undefined, new Error('payload too large'), done);
      return;
    }
    if (v5 && packet.qos === 1 && state.inFlight >= MQTT5_LIMITS.receiveMaximum) {
      this.stats.publishDenied++;
      this.options.log(`broker: disconnecting ${client.id}: more than ${MQTT5_LIMITS.receiveMaximum} unacknowledged QoS 1 publishes (AWS IoT Core's Receive Maximum)`);
      this.refuse(client, REASON.receiveMaximumExceeded, new Error('receive maximum exceeded'), done);
      return;
    }
    const decision = state.authorizer.publish(packet.topic);
    if (!decision.allowed) {
      this.stats.publishDenied++;
      if (v5) {
        // MQTT 5: aedes answers PUBACK 0x87 Not authorized (QoS 1; QoS 0 is dropped) and keeps the connection.
        this.options.log(`broker: publish of ${client.id} to ${packet.topic} refused (PUBACK 0x87): ${decision.reason}`);
        done(logged(new Error(`publish to ${packet.topic} not authorized`)));
        return;
      }
      this.options.log(`broker: disconnecting ${client.id}: publish denied: ${decision.reason}`);
      done(logged(new Error(`publish to ${packet.topic} not authorized`)));
      return;
    }
    if (this.options.provisioning && isFleetProvisioningTopic(packet.topic)) {
      done(null);
      this.answerProvisioning(client, state, packet);
      return;
    }
    this.stats.published++;
    const expiry = packet.properties?.messageExpiryInterval;
    if (v5 && expiry !== undefined && expiry > MQTT5_LIMITS.maxMessageExpirySeconds) {
      packet.properties!.messageExpiryInterval = MQTT5_LIMITS.maxMessageExpirySeconds; // AWS IoT Core's maximum
    }
    // No copy: the journal copies the payload into its entry and the rules engine is done with it synchronously
    // (the rule output is a new buffer).
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
    const message: JournalMessage = {
      topic: packet.topic,
      clientId: client.id,
      timestamp: Date.now(),
      payload,
      principal: state.principal,
      sourceIp: state.sourceIp,
      properties: v5 ? messageProperties(packet.properties) : undefined,
      qos: packet.qos,
    };
    if (packet.qos === 0) {
      void this.ingest(message); // QoS 0: not journaled, nothing to mark
      done(null);
      return;
    }
    // QoS 1: journal first; PUBACK (done) once the group commit has made it durable.
    const journal = this.options.journal;
    state.inFlight++;
    const seq = journal.append(message, (err) => {
      state.inFlight--;
      if (err) {
        this.options.log(`broker: journal write failed for ${client.id} on ${packet.topic}: ${err.message}; no PUBACK`);
        done(err);
        return;
      }
      this.stats.journaled++;
      done(null);
    });
    if (seq < 0) return;
    journal.deliver(seq, this.ingest(message));
  }

  /**
   * Ends a connection for a refused publish: MQTT 3.1.1 by failing the hook (aedes closes the connection), MQTT 5 with
   * a DISCONNECT carrying the reason code, then the hook fails on the closed connection (nothing more is written).
   */
  private refuse(client: Client, reasonCode: number | undefined, error: Error, done: (error?: Error | null) => void): void {
    logged(error);
    if (reasonCode === undefined) {
      done(error);
      return;
    }
    client.disconnect({ reasonCode }, () => done(error));
  }

  /** Runs a fleet provisioning request; the answer goes to this connection only, if it subscribed to the answer topic. */
  private answerProvisioning(client: Client, state: ClientState, packet: AedesModule.PublishPacket): void {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
    this.options.provisioning!.handle({ topic: packet.topic, payload, clientId: client.id, principal: state.principal }).then((answer) => {
      if (!answer || this.closing || !this.clients.has(client)) return;
      const filters = Object.keys((client as Client & { subscriptions?: Record<string, unknown> }).subscriptions ?? {});
      const subscribed = filters.some((filter) => topicMatches(filter, answer.topic));
      if (!subscribed || !state.authorizer.receive(answer.topic).allowed) {
        this.options.log(`broker: the answer on ${answer.topic} is not delivered to ${client.id}: it did not subscribe to it (or may not receive it) before publishing`);
        return;
      }
      ANSWERS.add(answer.payload);
      client.publish({ cmd: 'publish', topic: answer.topic, payload: answer.payload, qos: 1, retain: false, dup: false }, () => undefined);
    }, (e: Error) => this.options.log(`broker: fleet provisioning failed on ${packet.topic}: ${e.stack ?? e.message}`));
  }

  /** A registry record changed: disconnect the clients whose certificate is no longer ACTIVE. */
  private certificateChanged(fingerprint: string): void {
    if (this.closing) return;
    let status: string | undefined;
    for (const [client, state] of this.clients) {
      if (state.principal !== fingerprint) continue;
      status ??= statusOf(lookupCertificate(this.options.dataDir, fingerprint));
      if (status === 'ACTIVE' || status === undefined) return;
      this.clients.delete(client);
      this.options.log(`broker: disconnecting ${client.id}: its certificate ${fingerprint} is now ${status}`);
      client.disconnect({ reasonCode: REASON.notAuthorized }, () => undefined);
    }
  }

  /** The rules engine's promise of delivery; a message the engine failed on is never marked done (replayed). */
  private ingest(message: IngestMessage): Promise<void> {
    try {
      return this.options.rules.ingest(message);
    } catch (e) {
      this.options.log(`broker: rules engine failed on ${message.topic}: ${(e as Error).stack ?? e}`);
      return new Promise<void>(() => undefined);
    }
  }

  private authorizeSubscribe(
    client: Client,
    sub: AedesModule.Subscription,
    done: (error: Error | null, subscription?: AedesModule.Subscription | null) => void,
  ): void {
    const state = this.clients.get(client);
    const decision = state?.authorizer.subscribe(sub.topic);
    if (!decision?.allowed) {
      this.options.log(`broker: subscription of ${client.id} to ${sub.topic} refused: ${decision?.reason ?? 'not authenticated'}`);
      done(null, null); // SUBACK 0x80 for this filter, as AWS IoT does
      return;
    }
    done(null, sub.qos > 1 ? { ...sub, qos: 1 } : sub);
  }

  private authorizeForward(client: Client, packet: AedesModule.AedesPublishPacket): AedesModule.AedesPublishPacket | null {
    if (packet.topic.startsWith(BASIC_INGEST_PREFIX)) return null;
    // Fleet provisioning requests and answers are between one connection and the service (answerProvisioning).
    if (this.options.provisioning && isFleetProvisioningTopic(packet.topic)) return typeof packet.payload !== 'string' && ANSWERS.has(packet.payload) ? packet : null;
    const state = this.clients.get(client);
    if (!state) return null;
    return state.authorizer.receive(packet.topic).allowed ? packet : null;
  }
}

/** `::ffff:127.0.0.1` → `127.0.0.1` (what AWS IoT reports for IPv4 clients). */
function normalizeIp(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
