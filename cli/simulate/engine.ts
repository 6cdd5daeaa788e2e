/**
 * The fleet simulator's engine: many devices, each on its own MQTT connection (mqtt.js, mutual TLS) in this one
 * process, connecting at a bounded rate with exponential backoff and jitter, then publishing at a steady rate with a
 * bounded number of messages in flight per device. Programmatic: it prints nothing and never exits the process; the
 * `simulate` command (cli/simulate/run.ts) and the fleet bench drive it and report what it returns.
 *
 * One scheduler for the whole fleet — a single interval timer that starts the due connection attempts, retries and
 * publishes — keeps the per-device cost to the connection itself and a small record (no timer, promise or closure per
 * device while it waits). Publishing is round-robin: slot s belongs to device s mod n and is due at
 * s / (rate · n) seconds into the publish phase, so the fleet's load is spread evenly over each period.
 * The publish→PUBACK latencies go into an HDR histogram (Node's `perf_hooks.createHistogram`): bounded memory
 * whatever the number of messages.
 */
import { isIP } from 'net';
import { createHistogram, performance, RecordableHistogram } from 'perf_hooks';
import { connect, IClientOptions, MqttClient } from 'mqtt';
import { BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF } from './backoff';

/** One simulated device: its MQTT client id (for AWS IoT, the thing name) and its certificate. */
export interface SimulatedDevice {
  readonly clientId: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * Devices that onboard themselves (fleet provisioning): `provision(i)` returns device i's identity. A rejection it
 * throws is retried with backoff unless the error has `permanent: true` (a refusal a retry cannot change).
 */
export interface DeviceProvisioner {
  readonly count: number;
  provision(index: number): Promise<SimulatedDevice>;
}

/** What `simulate` drives. */
export interface SimulateOptions {
  readonly host: string;
  readonly port: number;
  /** The CA that issued the broker's certificate (PEM); undefined: Node.js's trust store (Amazon Root CA 1 for AWS). */
  readonly caPem?: string;
  /** TLS server name; default: the host when it is a name (not an IP address). */
  readonly servername?: string;
  /** The devices, or a provisioner that onboards device i and returns its identity. */
  readonly devices: readonly SimulatedDevice[] | DeviceProvisioner;
  /** The topic device `index` publishes to. */
  readonly topic: (device: SimulatedDevice, index: number) => string;
  /** Message `seq` (1, 2, …) of a device. */
  readonly payload: (device: SimulatedDevice, seq: number) => Buffer | string;
  /** Messages each device publishes; with `durationMs` too, whichever ends first. */
  readonly messagesPerDevice?: number;
  /** How long the publish phase lasts (ms). */
  readonly durationMs?: number;
  /** Messages per second per device. */
  readonly ratePerDevice: number;
  readonly qos: 0 | 1;
  readonly mqttVersion: 3 | 5;
  /** New connection attempts per second (first attempts; retries are spread by their backoff). */
  readonly connectRate: number;
  /**
   * Attempts (onboarding included) under way at once at most: a broker that answers slowly — onboarding makes the
   * service generate a key pair and run the hook — is not handed more than it can answer before the attempts time out.
   * @default 64
   */
  readonly maxPendingConnects?: number;
  /** Unacknowledged messages per device at most; more wait their turn. @default 16 */
  readonly maxInFlightPerDevice?: number;
  /** @default DEFAULT_BACKOFF (0.5 s doubling to 20 s, 6 attempts) */
  readonly backoff?: BackoffPolicy;
  /** Give up one connection attempt after this long (ms). @default 30000 */
  readonly connectTimeoutMs?: number;
  /** After the last publish, wait this long (ms) for the outstanding acknowledgements; then they count as failed. @default 30000 */
  readonly drainTimeoutMs?: number;
  /** MQTT keepalive (s). @default 60 */
  readonly keepaliveSeconds?: number;
  /** Called about every `progressIntervalMs` and at each change of phase. */
  readonly onProgress?: (progress: SimulateProgress) => void;
  /** @default 500 */
  readonly progressIntervalMs?: number;
  /** Stops the run early: no new connections or publishes; outstanding messages are drained, then the summary. */
  readonly signal?: AbortSignal;
  /** Jitter source (tests). @default Math.random */
  readonly random?: () => number;
}

export type SimulatePhase = 'connecting' | 'publishing' | 'draining' | 'done';

/** A live view of the run. */
export interface SimulateProgress {
  readonly phase: SimulatePhase;
  readonly elapsedMs: number;
  readonly devices: number;
  readonly connected: number;
  readonly connectFailures: number;
  readonly connectRetries: number;
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
  /** Acknowledged per second over the last progress interval. */
  readonly msgPerSec: number;
  /** Undefined before the first acknowledgement (and with QoS 0). */
  readonly pubackP50Ms?: number;
  readonly pubackP99Ms?: number;
}

/** One problem, with the device it happened to. */
export interface SimulateError {
  readonly device: string;
  readonly phase: 'provision' | 'connect' | 'publish';
  readonly message: string;
  /** The error's code (errno text, or the CONNACK/PUBACK reason code). */
  readonly code?: string | number;
}

/** The outcome of a run. */
export interface SimulateSummary {
  readonly devices: number;
  /** Devices that connected (at least once). */
  readonly connected: number;
  /** Devices that never connected (attempts exhausted, or a refusal a retry cannot fix). */
  readonly connectFailures: number;
  /** Retried attempts (connect or onboarding), reconnects after a lost connection included. */
  readonly connectRetries: number;
  /** Connections lost while publishing. */
  readonly disconnects: number;
  readonly sent: number;
  /** PUBACKed messages (QoS 1) or messages written to the socket (QoS 0). */
  readonly acknowledged: number;
  /** Messages refused (PUBACK ≥ 0x80), lost with their connection, unacknowledged after the drain, or never sent by a connected device. */
  readonly failed: number;
  /** From the first connection attempt to the end (ms). */
  readonly durationMs: number;
  /** From the first connection attempt to the last device connected (ms). */
  readonly connectStormMs: number;
  /** The publish phase: from its start to the last acknowledgement (ms). */
  readonly publishMs: number;
  /** Acknowledged messages per second of the publish phase. */
  readonly msgPerSec: number;
  /** publish→PUBACK (QoS 1); undefined with QoS 0 or when nothing was acknowledged. */
  readonly pubackP50Ms?: number;
  readonly pubackP99Ms?: number;
  readonly pubackMaxMs?: number;
  /** The first errors (at most `MAX_ERRORS`), with the device. */
  readonly errors: readonly SimulateError[];
  /** How many errors there were in all. */
  readonly errorCount: number;
}

/** The errors a summary keeps (the count covers all). */
export const MAX_ERRORS = 20;

/** AWS IoT Core accepts at most this many publishes per second on one connection (AWS IoT Core quotas). */
export const MAX_RATE_PER_CONNECTION = 100;

/** CONNACK return codes (3.1.1) and reason codes (5) that a retry cannot change: bad credentials, not authorized, banned. */
const PERMANENT_CONNACK = new Set([4, 5, 0x86, 0x87, 0x8a, 0x8c]);
/** TLS failures about trust that a retry cannot change. */
const PERMANENT_TLS = /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|UNKNOWN_CA/;

type DeviceState = 'waiting' | 'connecting' | 'connected' | 'backoff' | 'failed' | 'ended';

/** Per-device state: small on purpose (the fleet holds thousands). */
interface Slot {
  readonly index: number;
  identity?: SimulatedDevice;
  topic?: string;
  client?: MqttClient;
  state: DeviceState;
  /** Failed attempts since the last success. */
  attempts: number;
  everConnected: boolean;
  /** Messages published so far (the last seq). */
  published: number;
  /** Due messages not yet published. */
  owed: number;
  inFlight: number;
  /** Bumped when a connection is abandoned: acknowledgements of the old one are ignored. */
  generation: number;
}

/** Runs the simulation and resolves with its summary (it rejects only for invalid options). */
export async function simulate(options: SimulateOptions): Promise<SimulateSummary> {
  validate(options);
  return new Simulation(options).run();
}

function validate(o: SimulateOptions): void {
  const count = Array.isArray(o.devices) ? o.devices.length : (o.devices as DeviceProvisioner).count;
  if (!Number.isInteger(count) || count < 1) throw new Error(`devices: give at least one device (got ${count})`);
  if (o.messagesPerDevice === undefined && o.durationMs === undefined) throw new Error('give messagesPerDevice or durationMs (or both)');
  if (o.messagesPerDevice !== undefined && !(Number.isInteger(o.messagesPerDevice) && o.messagesPerDevice >= 1)) {
    throw new Error(`messagesPerDevice must be a whole number ≥ 1 (got ${o.messagesPerDevice})`);
  }
  if (o.durationMs !== undefined && !(o.durationMs > 0)) throw new Error(`durationMs must be > 0 (got ${o.durationMs})`);
  if (!(o.ratePerDevice > 0)) throw new Error(`ratePerDevice must be > 0 messages per second (got ${o.ratePerDevice})`);
  if (!(o.connectRate > 0)) throw new Error(`connectRate must be > 0 connections per second (got ${o.connectRate})`);
  if (o.maxPendingConnects !== undefined && !(Number.isInteger(o.maxPendingConnects) && o.maxPendingConnects >= 1)) {
    throw new Error(`maxPendingConnects must be a whole number ≥ 1 (got ${o.maxPendingConnects})`);
  }
  if (o.maxInFlightPerDevice !== undefined && !(Number.isInteger(o.maxInFlightPerDevice) && o.maxInFlightPerDevice >= 1)) {
    throw new Error(`maxInFlightPerDevice must be a whole number ≥ 1 (got ${o.maxInFlightPerDevice})`);
  }
}

class Simulation {
  private readonly slots: Slot[];
  private readonly fixed?: readonly SimulatedDevice[];
  private readonly provisioner?: DeviceProvisioner;
  private readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly maxInFlight: number;
  private readonly maxPending: number;
  private readonly histogram: RecordableHistogram = createHistogram({ lowest: 1, highest: 3_600_000_000, figures: 3 });
  private readonly errors: SimulateError[] = [];
  private errorCount = 0;

  private phase: SimulatePhase = 'connecting';
  private start = 0;
  private launched = 0;
  /** Attempts under way (onboarding or connecting). */
  private pending = 0;
  /** Devices that are connected or failed for good (the connect phase ends when all are). */
  private settled = 0;
  private connectedNow = 0;
  private everConnected = 0;
  private connectFailures = 0;
  private connectRetries = 0;
  private disconnects = 0;
  private lastConnectedAt = 0;
  /** Devices waiting for a retry, with when. Small: only devices that failed an attempt. */
  private readonly retries = new Map<Slot, number>();

  private publishers: Slot[] = [];
  private publishStart = 0;
  private totalSlots = 0;
  private cursor = 0;
  /** Devices with owed messages they could not publish yet (in-flight limit, or reconnecting). */
  private readonly backlog = new Set<Slot>();

  private sent = 0;
  private acknowledged = 0;
  private failed = 0;
  private inFlight = 0;
  private lastAckAt = 0;

  private timer?: NodeJS.Timeout;
  private lastProgressAt = 0;
  private lastProgressAcks = 0;
  private drainDeadline = 0;
  /** Set when the run ends: late connections are closed at once, no new attempts start. */
  private closed = false;
  private finish!: () => void;

  constructor(private readonly o: SimulateOptions) {
    if (Array.isArray(o.devices)) this.fixed = o.devices as readonly SimulatedDevice[];
    else this.provisioner = o.devices as DeviceProvisioner;
    const count = this.fixed?.length ?? this.provisioner!.count;
    this.slots = Array.from({ length: count }, (_, index) => ({
      index, state: 'waiting', attempts: 0, everConnected: false, published: 0, owed: 0, inFlight: 0, generation: 0,
    }));
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.random = o.random ?? Math.random;
    this.maxInFlight = o.maxInFlightPerDevice ?? 16;
    this.maxPending = o.maxPendingConnects ?? 64;
  }

  public async run(): Promise<SimulateSummary> {
    this.start = performance.now();
    this.lastProgressAt = this.start;
    const done = new Promise<void>((resolve) => { this.finish = resolve; });
    const onAbort = () => this.abort();
    this.o.signal?.addEventListener('abort', onAbort);
    this.timer = setInterval(() => this.tick(), 10);
    this.tick();
    await done;
    this.o.signal?.removeEventListener('abort', onAbort);
    clearInterval(this.timer);
    await this.endAll();
    this.phase = 'done';
    this.report(performance.now());
    return this.summary(performance.now());
  }

  /** The one scheduler: due connection attempts and retries, due publishes, progress, the end of each phase. */
  private tick(): void {
    const now = performance.now();
    if (this.phase === 'connecting') {
      const allowed = this.o.signal?.aborted ? 0 : Math.min(this.slots.length, Math.floor(((now - this.start) * this.o.connectRate) / 1000) + 1);
      while (this.launched < allowed && this.pending < this.maxPending) this.launch(this.slots[this.launched++]);
      if (this.settled === this.slots.length || this.o.signal?.aborted) this.startPublishing(now);
    }
    if (this.retries.size > 0 && !this.o.signal?.aborted) {
      for (const [slot, at] of this.retries) {
        if (this.pending >= this.maxPending) break;
        if (at <= now) {
          this.retries.delete(slot);
          this.launch(slot);
        }
      }
    }
    if (this.phase === 'publishing') this.schedulePublishes(now);
    if (this.phase === 'draining') {
      const owed = this.owedTotal();
      if ((this.inFlight === 0 && (owed === 0 || this.noOneCanPublish())) || now >= this.drainDeadline) this.finish();
    }
    if (now - this.lastProgressAt >= (this.o.progressIntervalMs ?? 500)) this.report(now);
  }

  private abort(): void {
    if (this.phase === 'connecting') this.startPublishing(performance.now());
    if (this.phase === 'publishing') this.startDraining(performance.now());
  }

  // ---- connecting ----

  /** Starts an attempt; it settles through `connected` or `attemptFailed`, never by throwing. */
  private launch(slot: Slot): void {
    this.pending++;
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        this.pending--;
      }
    };
    this.attempt(slot, settle).catch((e: Error) => {
      settle();
      this.attemptFailed(slot, 'connect', e, true);
    });
  }

  private async attempt(slot: Slot, settle: () => void): Promise<void> {
    slot.state = 'connecting';
    if (!slot.identity) {
      try {
        slot.identity = this.fixed ? this.fixed[slot.index] : await this.provisioner!.provision(slot.index);
        slot.topic = this.o.topic(slot.identity, slot.index);
      } catch (e) {
        settle();
        // A provisioner marks the answers a retry cannot change (a rejected request) with `permanent: true`.
        this.attemptFailed(slot, 'provision', e as Error, (e as { permanent?: unknown }).permanent === true);
        return;
      }
    }
    const identity = slot.identity;
    if (this.closed) {
      settle();
      return;
    }
    const client = connect(this.clientOptions(identity));
    let done = false;
    let lastError: Error | undefined;
    // Only our own listeners are removed: mqtt.js keeps listeners of its own on the client.
    const off = () => {
      client.off('error', onError);
      client.off('close', onClose);
      client.off('connect', onConnect);
    };
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      settle();
      off();
      client.on('error', () => undefined);
      client.end(true);
      const code = (e as { code?: unknown }).code;
      const permanent = (typeof code === 'number' && PERMANENT_CONNACK.has(code)) || (typeof code === 'string' && PERMANENT_TLS.test(code));
      this.attemptFailed(slot, 'connect', e, permanent);
    };
    const onError = (e: Error) => { lastError = e; fail(e); };
    const onClose = () => fail(lastError ?? Object.assign(new Error('the broker closed the connection before CONNACK'), { code: 'CLOSED' }));
    const onConnect = () => {
      if (done) return;
      done = true;
      settle();
      off();
      this.connected(slot, client);
    };
    client.on('error', onError);
    client.on('close', onClose);
    client.on('connect', onConnect);
  }

  private clientOptions(d: SimulatedDevice): IClientOptions {
    const servername = this.o.servername ?? (isIP(this.o.host) === 0 ? this.o.host : undefined);
    return {
      protocol: 'mqtts',
      host: this.o.host,
      port: this.o.port,
      cert: d.certPem,
      key: d.keyPem,
      ...(this.o.caPem !== undefined ? { ca: this.o.caPem } : {}),
      ...(servername !== undefined ? { servername } : {}),
      // AWS IoT Core serves MQTT on 443 only with this ALPN protocol name.
      ...(this.o.port === 443 ? { ALPNProtocols: ['x-amzn-mqtt-ca'] } : {}),
      rejectUnauthorized: true,
      clientId: d.clientId,
      protocolVersion: this.o.mqttVersion === 5 ? 5 : 4,
      clean: true,
      keepalive: this.o.keepaliveSeconds ?? 60,
      // The simulator retries itself (backoff with jitter, bounded attempts), never mqtt.js.
      reconnectPeriod: 0,
      connectTimeout: this.o.connectTimeoutMs ?? 30_000,
      resubscribe: false,
    };
  }

  private attemptFailed(slot: Slot, phase: 'provision' | 'connect', e: Error, permanent: boolean): void {
    slot.attempts++;
    if (permanent || slot.attempts >= this.backoff.maxAttempts || this.o.signal?.aborted || this.closed) {
      this.recordError(slot, phase, e);
      this.deviceFailed(slot);
      return;
    }
    this.connectRetries++;
    slot.state = 'backoff';
    this.retries.set(slot, performance.now() + backoffDelayMs(this.backoff, slot.attempts, this.random));
  }

  private deviceFailed(slot: Slot): void {
    slot.state = 'failed';
    if (!slot.everConnected) {
      this.connectFailures++;
      this.settled++;
    } else if (slot.owed > 0) {
      // A publisher that could not reconnect: its due messages were never sent.
      this.failed += slot.owed;
      slot.owed = 0;
      this.backlog.delete(slot);
    }
  }

  private connected(slot: Slot, client: MqttClient): void {
    if (this.closed) {
      // Connected after the run ended (it was stopped while this attempt was under way).
      client.on('error', () => undefined);
      client.end(true);
      return;
    }
    slot.client = client;
    slot.state = 'connected';
    slot.attempts = 0;
    this.connectedNow++;
    if (!slot.everConnected) {
      slot.everConnected = true;
      this.everConnected++;
      this.settled++;
      this.lastConnectedAt = performance.now();
    }
    client.on('error', () => undefined); // reported through 'close' and the publish callbacks
    client.once('close', () => this.lost(slot, client));
    if (slot.owed > 0) this.pump(slot);
  }

  /** A connection closed while the device was publishing: its in-flight messages failed; reconnect with backoff. */
  private lost(slot: Slot, client: MqttClient): void {
    if (slot.client !== client || slot.state !== 'connected') return;
    this.connectedNow--;
    this.disconnects++;
    this.abandon(slot, 'the connection closed before the acknowledgement');
    client.end(true);
    if (this.phase === 'draining' && slot.owed === 0) {
      slot.state = 'ended';
      return;
    }
    this.attemptFailed(slot, 'connect', Object.assign(new Error('the connection closed while publishing'), { code: 'CLOSED' }), false);
  }

  /** Counts the device's unacknowledged messages as failed and ignores their late answers. */
  private abandon(slot: Slot, why: string): void {
    if (slot.inFlight > 0) {
      this.failed += slot.inFlight;
      this.inFlight -= slot.inFlight;
      this.recordError(slot, 'publish', new Error(`${slot.inFlight} message(s): ${why}`));
    }
    slot.inFlight = 0;
    slot.generation++;
    slot.client = undefined;
  }

  // ---- publishing ----

  private startPublishing(now: number): void {
    this.phase = 'publishing';
    this.publishStart = now;
    this.publishers = this.slots.filter((s) => s.everConnected);
    const n = this.publishers.length;
    const byMessages = this.o.messagesPerDevice !== undefined ? n * this.o.messagesPerDevice : Infinity;
    const byDuration = this.o.durationMs !== undefined ? Math.ceil((this.o.durationMs * this.o.ratePerDevice * n) / 1000) : Infinity;
    this.totalSlots = Math.min(byMessages, byDuration);
    this.report(now);
    if (n === 0 || this.o.signal?.aborted) this.startDraining(now);
  }

  private schedulePublishes(now: number): void {
    const n = this.publishers.length;
    const due = Math.min(this.totalSlots, Math.floor(((now - this.publishStart) * this.o.ratePerDevice * n) / 1000) + 1);
    for (; this.cursor < due; this.cursor++) {
      const slot = this.publishers[this.cursor % n];
      if (slot.state === 'failed') {
        this.failed++; // a publisher that is gone for good: the due message is never sent
        continue;
      }
      slot.owed++;
      this.pump(slot);
    }
    for (const slot of this.backlog) this.pump(slot);
    if (this.cursor >= this.totalSlots) this.startDraining(now);
  }

  private startDraining(now: number): void {
    if (this.phase === 'draining') return;
    this.phase = 'draining';
    this.drainDeadline = now + (this.o.drainTimeoutMs ?? 30_000);
    this.report(now);
  }

  /** Publishes the device's owed messages as far as its in-flight limit allows. */
  private pump(slot: Slot): void {
    while (slot.owed > 0 && slot.state === 'connected' && slot.inFlight < this.maxInFlight) {
      slot.owed--;
      this.publishOne(slot);
    }
    if (slot.owed > 0 && slot.state !== 'failed') this.backlog.add(slot);
    else this.backlog.delete(slot);
  }

  private publishOne(slot: Slot): void {
    const identity = slot.identity!;
    const seq = ++slot.published;
    const generation = slot.generation;
    const t0 = performance.now();
    slot.inFlight++;
    this.inFlight++;
    this.sent++;
    slot.client!.publish(slot.topic!, this.o.payload(identity, seq), { qos: this.o.qos }, (err) => {
      if (slot.generation !== generation) return; // abandoned with its connection (already counted)
      slot.inFlight--;
      this.inFlight--;
      if (err) {
        this.failed++;
        this.recordError(slot, 'publish', err);
      } else {
        this.acknowledged++;
        const at = performance.now();
        this.lastAckAt = at;
        if (this.o.qos === 1) this.histogram.record(Math.max(1, Math.round((at - t0) * 1000)));
      }
      if (slot.owed > 0) this.pump(slot);
    });
  }

  private owedTotal(): number {
    let owed = 0;
    for (const slot of this.backlog) owed += slot.owed;
    return owed;
  }

  /** True when every device that owes messages has failed for good (nothing more can be sent). */
  private noOneCanPublish(): boolean {
    for (const slot of this.backlog) if (slot.state !== 'failed') return false;
    return true;
  }

  // ---- the end ----

  private async endAll(): Promise<void> {
    this.closed = true;
    for (const slot of this.backlog) {
      // Due but never sent: failed when the drain timed out; not when the run was stopped (nothing more was to be sent).
      if (!this.o.signal?.aborted) this.failed += slot.owed;
      slot.owed = 0;
    }
    this.backlog.clear();
    this.retries.clear();
    const closing: Array<Promise<void>> = [];
    for (const slot of this.slots) {
      const client = slot.client;
      if (!client) continue;
      if (slot.inFlight > 0) this.abandon(slot, `no acknowledgement within the drain timeout (${this.o.drainTimeoutMs ?? 30_000} ms)`);
      slot.client = undefined;
      slot.state = 'ended';
      this.connectedNow--;
      closing.push(new Promise<void>((resolve) => {
        client.end(false, {}, () => resolve());
      }));
    }
    // A graceful DISCONNECT for each; a broker that does not answer does not hold the summary for long.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closing), new Promise<void>((resolve) => { timer = setTimeout(resolve, 5000); })]);
    clearTimeout(timer);
    for (const slot of this.slots) slot.client?.end(true);
  }

  private recordError(slot: Slot, phase: SimulateError['phase'], e: Error): void {
    this.errorCount++;
    if (this.errors.length >= MAX_ERRORS) return;
    const code = (e as { code?: unknown }).code;
    this.errors.push({
      device: slot.identity?.clientId ?? `device #${slot.index + 1}`,
      phase,
      message: e.message,
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    });
  }

  private percentile(p: number): number | undefined {
    return this.histogram.count > 0 ? this.histogram.percentile(p) / 1000 : undefined;
  }

  private report(now: number): void {
    const interval = now - this.lastProgressAt;
    const rate = interval > 0 ? ((this.acknowledged - this.lastProgressAcks) * 1000) / interval : 0;
    this.lastProgressAt = now;
    this.lastProgressAcks = this.acknowledged;
    this.o.onProgress?.({
      phase: this.phase,
      elapsedMs: now - this.start,
      devices: this.slots.length,
      connected: Math.max(0, this.connectedNow),
      connectFailures: this.connectFailures,
      connectRetries: this.connectRetries,
      sent: this.sent,
      acknowledged: this.acknowledged,
      failed: this.failed,
      msgPerSec: rate,
      pubackP50Ms: this.percentile(50),
      pubackP99Ms: this.percentile(99),
    });
  }

  private summary(now: number): SimulateSummary {
    const publishEnd = Math.max(this.lastAckAt, this.publishStart);
    const publishMs = this.publishers.length > 0 ? publishEnd - this.publishStart : 0;
    return {
      devices: this.slots.length,
      connected: this.everConnected,
      connectFailures: this.connectFailures,
      connectRetries: this.connectRetries,
      disconnects: this.disconnects,
      sent: this.sent,
      acknowledged: this.acknowledged,
      failed: this.failed,
      durationMs: now - this.start,
      connectStormMs: this.everConnected > 0 ? this.lastConnectedAt - this.start : 0,
      publishMs,
      msgPerSec: publishMs > 0 ? (this.acknowledged * 1000) / publishMs : 0,
      pubackP50Ms: this.percentile(50),
      pubackP99Ms: this.percentile(99),
      pubackMaxMs: this.histogram.count > 0 ? this.histogram.max / 1000 : undefined,
      errors: this.errors,
      errorCount: this.errorCount,
    };
  }
}
