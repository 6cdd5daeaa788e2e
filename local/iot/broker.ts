/**
 * The MQTT broker: aedes 1.2 on a TLS server that requires a client certificate signed by the local CA
 * (`requestCert: true, rejectUnauthorized: true`).
 *
 * aedes 1.2 speaks MQTT 3.1 and 3.1.1 (protocol levels 3 and 4); an MQTT 5 CONNECT is answered with CONNACK
 * return code 1 (unacceptable protocol version). MQTT 5 is on aedes' unreleased `mqttv5` branch.
 *
 * Hooks (AWS IoT semantics):
 * - `authenticate`: the peer certificate's SHA-256 fingerprint must be in the registry `local certs` keeps; the
 *   policies attached to that thing's certificate must allow `iot:Connect` on `client/<clientId>` (with
 *   `iot:Connection.Thing.IsAttached` true only when the client id is the thing's name). Otherwise CONNACK 5.
 * - `authorizePublish`: `iot:Publish` on `topic/<topic>`; a denied publish disconnects the client (AWS IoT does
 *   the same for MQTT 3.1.1) and is logged. QoS 2 is refused (AWS IoT does not support it).
 *   It is also the durability point: aedes 1.2 handles a QoS 1 PUBLISH as authorizePublish → PUBACK →
 *   broker.publish (lib/handlers/publish.js), so the PUBACK is written only after this hook calls back. The hook
 *   appends the message to the journal and calls back when the journal's group commit has fsynced it; the rules
 *   engine gets the message at the same time (its deliveries mark the journal entry done later).
 * - `authorizeSubscribe` / `authorizeForward`: `iot:Subscribe` on `topicfilter/<filter>` and `iot:Receive` on
 *   `topic/<topic>`; Basic Ingest topics (`$aws/rules/...`) are never forwarded to subscribers.
 */
import { Server as NetServer } from 'net';
import * as tls from 'tls';
import type * as AedesModule from 'aedes' with { 'resolution-mode': 'import' };
import { ConnectionAuthorizer } from './authorizer';
import { fingerprintOfDer, lookupCertificate, PemPair } from './certs';
import type { IngestMessage, RulesEngine } from './rules';
import { BASIC_INGEST_PREFIX } from '../../src/contract';
import type { LocalModel } from '../assembly/model';
import { RunnerError } from '../errors';
import type { Logger } from '../firehose/delivery-stream';
import { Journal, Ticket } from '../journal/journal';

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
const MAX_PAYLOAD = 128 * 1024;

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
  /** Logs every connect/disconnect (default: only denials and errors). */
  readonly verbose?: boolean;
}

/** Counters. */
export interface BrokerStats {
  connections: number;
  connectDenied: number;
  publishDenied: number;
  published: number;
  journaled: number;
}

interface ClientState {
  authorizer: ConnectionAuthorizer;
  principal: string;
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
      authenticate: (client, _username, _password, done) => broker.authenticate(client, done),
      authorizePublish: (client, packet, done) => broker.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, sub, done) => broker.authorizeSubscribe(client, sub, done),
      authorizeForward: (client, packet) => broker.authorizeForward(client, packet),
    });
    broker.aedes = aedes;
    aedes.on('clientError', (client, err) => {
      if (broker.closing || LOGGED.has(err) || /ECONNRESET|EPIPE|closed/i.test(err.message)) return;
      options.log(`broker: client ${client.id}: ${err.message}`);
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
    }, (socket) => {
      socket.setNoDelay(true);
      broker.sockets.add(socket);
      socket.once('close', () => broker.sockets.delete(socket));
      aedes.handle(socket);
    });
    server.on('tlsClientError', (err, socket) => {
      if (!broker.closing) options.log(`broker: TLS handshake from ${socket.remoteAddress ?? '?'} failed: ${err.message}`);
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
    return broker;
  }

  public readonly stats: BrokerStats = { connections: 0, connectDenied: 0, publishDenied: 0, published: 0, journaled: 0 };
  private aedes!: Aedes;
  private server!: NetServer;
  private readonly clients = new Map<Client, ClientState>();
  private readonly sockets = new Set<tls.TLSSocket>();
  private closing = false;
  private listening = false;
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
    const authorizer = new ConnectionAuthorizer(this.options.model, { clientId: client.id, certificateThing: record?.thing });
    const decision = authorizer.connect();
    if (!decision.allowed) return deny(decision.reason);
    this.clients.set(client, { authorizer, principal: fingerprint });
    this.stats.connections++;
    if (this.options.verbose) this.options.log(`broker: ${client.id} connected (certificate of thing ${record?.thing}; ${decision.reason})`);
    done(null, true);
  }

  private authorizePublish(client: Client | null, packet: AedesModule.PublishPacket, done: (error?: Error | null) => void): void {
    const state = client ? this.clients.get(client) : undefined;
    if (!client || !state) {
      done(new Error('publish from an unauthenticated connection'));
      return;
    }
    if (packet.qos === 2) {
      this.stats.publishDenied++;
      this.options.log(`broker: disconnecting ${client.id}: QoS 2 publish to ${packet.topic} (AWS IoT supports QoS 0 and 1 only)`);
      done(logged(new Error('QoS 2 is not supported')));
      return;
    }
    const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    if (size > MAX_PAYLOAD) {
      this.stats.publishDenied++;
      this.options.log(`broker: disconnecting ${client.id}: a ${size}-byte publish to ${packet.topic} exceeds AWS IoT Core's 128 KB payload limit`);
      done(logged(new Error('payload too large')));
      return;
    }
    const decision = state.authorizer.publish(packet.topic);
    if (!decision.allowed) {
      this.stats.publishDenied++;
      this.options.log(`broker: disconnecting ${client.id}: publish denied: ${decision.reason}`);
      done(logged(new Error(`publish to ${packet.topic} not authorized`)));
      return;
    }
    this.stats.published++;
    // No copy: the journal copies the payload into its entry and the rules engine is done with it synchronously
    // (the rule output is a new buffer).
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
    const message: IngestMessage & { principal: string } = {
      topic: packet.topic, clientId: client.id, timestamp: Date.now(), payload, principal: state.principal, qos: packet.qos,
    };
    if (packet.qos === 0) {
      this.ingest(message);
      done(null);
      return;
    }
    // QoS 1: journal first; PUBACK (done) once the group commit has made it durable.
    const journal = this.options.journal;
    const seq = journal.append(message, (err) => {
      if (err) {
        this.options.log(`broker: journal write failed for ${client.id} on ${packet.topic}: ${err.message}; no PUBACK`);
        done(err);
        return;
      }
      this.stats.journaled++;
      done(null);
    });
    if (seq < 0) return;
    this.ingest(message, new Ticket(() => journal.markDone(seq)));
  }

  private ingest(message: IngestMessage, ticket?: Ticket): void {
    try {
      this.options.rules.ingest(message, ticket);
    } catch (e) {
      this.options.log(`broker: rules engine failed on ${message.topic}: ${(e as Error).stack ?? e}`);
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
    const state = this.clients.get(client);
    if (!state) return null;
    return state.authorizer.receive(packet.topic).allowed ? packet : null;
  }
}
