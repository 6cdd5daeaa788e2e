/**
 * The local runner: loads the synthesized pipeline(s), replays the journal, starts the broker, and on stop
 * delivers every buffer before it closes. See README.md next to this file.
 */
import { closeSync, existsSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'fs';
import { join, resolve } from 'path';
import { BucketRef, LocalModel, loadModel } from './assembly/model';
import { prepareDataDir } from './data-dir';
import { RunnerError } from './errors';
import { LocalDeliveryStream, Logger } from './firehose/delivery-stream';
import { LocalBroker } from './iot/broker';
import { ensureCa, ensureServerCertificate } from './iot/certs';
import { openFleetProvisioning } from './iot/provisioning/setup';
import { RulesEngine } from './iot/rules';
import { UNPROCESSABLE_FILE, UnprocessableReport, unprocessableLines, unprocessableReport, writeUnprocessable } from './iot/unprocessable';
import { Journal } from './journal/journal';
import { createInvoker, Invoker, stageFunctionCode } from './lambda/runtime';
import { LocalS3Api } from './s3/api';
import { BucketObjects, deployToBuckets } from './s3/deployments';
import { randomRunCredentials } from './s3/sigv4';
import { EndpointSink, FolderSink, ObjectSink } from './s3/sinks';
import { DATA_ENDPOINT_OUTPUT_ID, DeliveryObjectKind } from '../src/contract';

export interface RunnerOptions {
  /** The cloud assembly directory (cdk.out). */
  readonly app: string;
  readonly stack?: string;
  readonly dataDir: string;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** 0 = a free port. @default 8883 */
  readonly port?: number;
  /** Overrides every buffering and processor interval. */
  readonly bufferIntervalMs?: number;
  /** Write objects to this S3-compatible endpoint instead of folders. */
  readonly s3Endpoint?: string;
  /** Where log lines go (default: stderr). */
  readonly log?: Logger;
  readonly verbose?: boolean;
  /** fdatasync the journal (default true; the benchmark can measure without). */
  readonly journalSync?: boolean;
  /**
   * How long `stop()` tries to deliver the buffers (S3 writes are retried meanwhile) before it gives up and leaves
   * the rest to the journal's replay at the next start.
   * @default 30000
   */
  readonly stopTimeoutMs?: number;
  /**
   * MQTT connections open at once; more are closed on accept.
   * @default 10000
   */
  readonly maxConnections?: number;
  /**
   * A device's TLS handshake that does not finish in this time is dropped (ms).
   * @default 10000
   */
  readonly tlsHandshakeTimeoutMs?: number;
}

/** Where a written object went (for the demo, tests and logs). */
export interface WrittenObject {
  readonly stream: string;
  readonly kind: DeliveryObjectKind;
  readonly bucket: string;
  readonly key: string;
  readonly location: string;
  readonly records: number;
}

/** A running local pipeline. */
export class LocalRunner {
  /**
   * Starts everything; resolves when the broker accepts connections. When a step fails (an assembly that cannot
   * run, a port in use, ...), everything opened before it is closed again — broker, journal, Lambda runtimes, the
   * loopback S3 API, the S3 client, the data dir lock — so a failed start leaves nothing that keeps the process alive.
   */
  public static async start(options: RunnerOptions): Promise<LocalRunner> {
    const log = options.log ?? ((line: string) => process.stderr.write(`[local] ${line}\n`));
    const dataDir = resolve(options.dataDir);
    prepareDataDir(dataDir, log);
    const lock = acquireLock(dataDir);
    let model: LocalModel;
    try {
      model = loadModel({
        app: options.app,
        stack: options.stack,
        bufferIntervalMs: options.bufferIntervalMs,
        endpointBucketNames: options.s3Endpoint !== undefined,
      });
    } catch (e) {
      releaseLock(lock);
      throw e;
    }
    const runner = new LocalRunner(model, dataDir, lock, log, options.stopTimeoutMs ?? 30000);
    try {
      await runner.open(options);
    } catch (e) {
      await runner.closeAll();
      runner.resolveDone();
      throw e;
    }
    return runner;
  }

  public readonly streams = new Map<string, LocalDeliveryStream>();
  /** The objects written since the start (the last 10,000). */
  public readonly objects: WrittenObject[] = [];
  /** Journal entries replayed at start. */
  public replayed = 0;
  private host = '127.0.0.1';
  private sink?: ObjectSink;
  private s3Api?: LocalS3Api;
  private invokers: Invoker[] = [];
  private rulesEngine?: RulesEngine;
  private openJournal?: Journal;
  private openBroker?: LocalBroker;
  private stopped?: Promise<void>;
  private reportedUnprocessable = 0;
  private reportTimer?: NodeJS.Timeout;
  private resolveDone!: () => void;
  /** Resolves once the runner has stopped (after `stop()`). */
  public readonly done: Promise<void> = new Promise((res) => {
    this.resolveDone = res;
  });

  private constructor(
    public readonly model: LocalModel,
    public readonly dataDir: string,
    private readonly lock: string,
    public readonly log: Logger,
    private readonly stopTimeoutMs: number,
  ) {}

  /** The rules engine. */
  public get rules(): RulesEngine {
    return started(this.rulesEngine, 'rules engine');
  }

  /** The MQTT broker. */
  public get broker(): LocalBroker {
    return started(this.openBroker, 'broker');
  }

  /** The write-ahead journal. */
  public get journal(): Journal {
    return started(this.openJournal, 'journal');
  }

  public get port(): number {
    return this.broker.port;
  }

  /** `mqtts://<host>:<port>`. */
  public get url(): string {
    return `mqtts://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** The one line printed when the runner is ready. */
  public get readyLine(): string {
    const list = (items: string[]) => (items.length > 0 ? items.join(',') : '-');
    return [
      'ready',
      this.url,
      `stack=${list(this.model.stacks)}`,
      `things=${list([...this.model.things.keys()])}`,
      `rules=${list(this.model.rules.map((r) => r.name))}`,
      `streams=${list([...this.model.streams.keys()])}`,
      `data-dir=${this.dataDir}`,
    ].join(' ');
  }

  /** The folder of a bucket (by logical id or name) under the data dir. */
  public bucketDir(bucket: string): string {
    const ref = this.model.buckets.get(bucket) ?? [...this.model.buckets.values()].find((b) => b.folder === bucket);
    return join(this.dataDir, 's3', ref?.folder ?? bucket);
  }

  /** Delivers everything buffered now (all streams) and waits for the writes. */
  public async flush(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.rules.drain();
      await Promise.all([...this.streams.values()].map((s) => s.drain()));
    }
    await this.journal.idle();
  }

  /**
   * The messages no rule could process (a payload that is not a JSON object into a JSON rule), per topic, with what to
   * change; also in `<data-dir>/unprocessable.json` (rewritten within a second of a change) and, on stop, in the log.
   */
  public unprocessable(): UnprocessableReport {
    return unprocessableReport(this.rules.unprocessableTotal, this.rules.unprocessable.values());
  }

  /** Writes `<data-dir>/unprocessable.json` when the count changed since the last write. */
  private reportUnprocessable(): void {
    const total = this.rulesEngine?.unprocessableTotal ?? 0;
    if (total === this.reportedUnprocessable) return;
    this.reportedUnprocessable = total;
    try {
      writeUnprocessable(this.dataDir, this.unprocessable());
    } catch (e) {
      this.log(`could not write the unprocessable-messages report: ${(e as Error).message}`);
    }
  }

  /** Stops accepting connections, delivers all buffers, closes the journal. Idempotent. */
  public stop(): Promise<void> {
    if (!this.stopped) this.stopped = this.doStop();
    return this.stopped;
  }

  /** Opens everything, in an order that lets `closeAll` release what was opened when a step fails. */
  private async open(options: RunnerOptions): Promise<void> {
    const { model, dataDir, log } = this;
    for (const warning of model.warnings) log(`warning: ${warning}`);
    const host = options.host ?? '127.0.0.1';
    const ca = ensureCa(dataDir);
    const server = ensureServerCertificate(dataDir, ca, host);
    const sink: ObjectSink = options.s3Endpoint ? new EndpointSink(options.s3Endpoint, model.region) : new FolderSink(join(dataDir, 's3'));
    this.sink = sink;
    const buckets = new Map<string, BucketRef>();
    for (const b of model.buckets.values()) buckets.set(b.folder, b);
    for (const s of model.streams.values()) {
      buckets.set(s.destination.bucket.folder, s.destination.bucket);
      if (s.backup) buckets.set(s.backup.bucket.folder, s.backup.bucket);
    }
    for (const d of model.deployments ?? []) buckets.set(d.bucket.folder, d.bucket);
    await sink.prepare([...buckets.values()]);
    // The stacks' BucketDeployments (e.g. the FileDescriptorSet of decode(*, 'proto', …)), as a deploy would.
    const deployed = await deployToBuckets(model.deployments ?? [], sink, log);

    // Functions that call S3 themselves (a parser in direct mode) reach the same buckets: the S3-compatible
    // endpoint, or a minimal S3 API over the bucket folders, which serves only requests signed with this run's
    // random credentials (handed to the functions, nobody else).
    const credentials = randomRunCredentials();
    let s3Endpoint = options.s3Endpoint;
    if (!s3Endpoint && sink instanceof FolderSink && model.functions.size > 0) {
      this.s3Api = await LocalS3Api.start(sink, model.buckets, options.verbose ? log : () => undefined, credentials);
      s3Endpoint = this.s3Api.endpoint;
    }
    const functionEnv: Record<string, string> = s3Endpoint ? { AWS_ENDPOINT_URL_S3: s3Endpoint } : {};
    const invokers = new Map<string, Invoker>();
    for (const stream of model.streams.values()) {
      let invoker: Invoker | undefined;
      if (stream.processor) {
        const arn = stream.processor.functionArn;
        invoker = invokers.get(arn);
        if (!invoker) {
          invoker = createInvoker(stageFunctionCode(model.functions.get(arn)!, join(dataDir, 'runtime')), join(dataDir, 'logs'), functionEnv, credentials);
          invokers.set(arn, invoker);
          this.invokers.push(invoker);
        }
      }
      this.streams.set(stream.name, new LocalDeliveryStream(stream, {
        sink,
        invoker,
        log,
        onObject: (o) => {
          const written: WrittenObject = { stream: stream.name, ...o };
          this.objects.push(written);
          if (this.objects.length > 10000) this.objects.shift();
          if (options.verbose) log(`s3: ${o.kind} object ${o.location} (${o.records} records)`);
        },
      }));
    }
    rmSync(join(dataDir, UNPROCESSABLE_FILE), { force: true }); // the last run's report
    const rules = new RulesEngine(model.rules, this.streams, sink, log, model.account, new BucketObjects(join(dataDir, 's3'), model.buckets, deployed));
    this.rulesEngine = rules;

    const { journal, replay, truncated } = Journal.open(join(dataDir, 'journal'), { sync: options.journalSync ?? true });
    this.openJournal = journal;
    if (truncated > 0) log(`journal: dropped a torn tail of ${truncated} bytes (a write interrupted by a crash; never acknowledged)`);
    if (replay.length > 0) {
      log(`journal: replaying ${replay.length} acknowledged message(s) not yet delivered to S3`);
      for (const entry of replay) journal.deliver(entry.seq, rules.ingest(entry));
    }
    this.replayed = replay.length;

    const provisioning = openFleetProvisioning({ model, dataDir, log, functionEnv });
    if (provisioning) this.invokers.push(...provisioning.invokers);
    this.openBroker = await LocalBroker.start({
      provisioning: provisioning?.service,
      host,
      port: options.port ?? 8883,
      dataDir,
      ca,
      server,
      model,
      journal,
      rules,
      log,
      verbose: options.verbose,
      maxConnections: options.maxConnections,
      tlsHandshakeTimeoutMs: options.tlsHandshakeTimeoutMs,
    });
    this.host = host;
    this.writeState();
    this.reportTimer = setInterval(() => this.reportUnprocessable(), 1000);
    this.reportTimer.unref();
  }

  private async doStop(): Promise<void> {
    try {
      await this.openBroker?.close();
      let timer: NodeJS.Timeout | undefined;
      const delivered = await Promise.race([
        this.flush().then(() => true),
        new Promise<boolean>((res) => {
          timer = setTimeout(() => res(false), this.stopTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (!delivered) {
        this.log(`stop: buffers not delivered within ${this.stopTimeoutMs} ms (is the S3 endpoint reachable?); the journal replays them at the next start`);
      }
      if (this.rulesEngine) {
        for (const line of unprocessableLines(this.unprocessable())) this.log(line);
        this.reportUnprocessable();
      }
      await this.closeAll();
    } finally {
      releaseLock(this.lock);
      this.resolveDone();
    }
  }

  /**
   * Closes whatever is open, without delivering buffers (`stop()` flushes first): the broker, the streams'
   * timers and retries, the journal, the Lambda runtimes, the loopback S3 API, the S3 client; then the lock.
   * Every step runs even when an earlier one fails (logged).
   */
  private async closeAll(): Promise<void> {
    const step = async (what: string, close: () => unknown) => {
      try {
        await close();
      } catch (e) {
        this.log(`closing the ${what} failed: ${(e as Error).message}`);
      }
    };
    clearInterval(this.reportTimer);
    await step('broker', () => this.openBroker?.close());
    for (const s of this.streams.values()) s.stop();
    await step('journal', () => this.openJournal?.close());
    await step('Lambda runtimes', () => Promise.all(this.invokers.map((i) => i.close())));
    await step('S3 API', () => this.s3Api?.close());
    await step('S3 client', () => this.sink?.close?.());
    releaseLock(this.lock);
  }

  private writeState(): void {
    const outputs = { ...this.model.outputs };
    for (const stack of this.model.stacks) outputs[`${stack}.${DATA_ENDPOINT_OUTPUT_ID}`] = `${this.host}:${this.port}`;
    const state = {
      pid: process.pid,
      url: this.url,
      host: this.host,
      port: this.port,
      stacks: this.model.stacks,
      things: [...this.model.things.values()].map((t) => ({ name: t.name, path: t.path, policies: this.model.thingPolicies.get(t.name) ?? [] })),
      rules: this.model.rules.map((r) => ({ name: r.name, path: r.path, sql: r.sql.sql, from: r.sql.from })),
      streams: [...this.model.streams.values()].map((s) => ({
        name: s.name,
        path: s.path,
        destination: join(this.dataDir, 's3', s.destination.bucket.folder),
        backup: s.backup ? join(this.dataDir, 's3', s.backup.bucket.folder) : undefined,
        processor: s.processor?.functionArn,
      })),
      buckets: Object.fromEntries([...this.model.buckets.values()].map((b) => [b.name, join(this.dataDir, 's3', b.folder)])),
      outputs,
    };
    writeFileSync(join(this.dataDir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
  }
}

/** A part that exists once `start` has resolved. */
function started<T>(part: T | undefined, what: string): T {
  if (part === undefined) throw new Error(`the runner's ${what} is not started`);
  return part;
}

/** One runner per data dir: `<data-dir>/runner.lock` holds the pid; a lock of a dead process is taken over. */
function acquireLock(dataDir: string): string {
  const path = join(dataDir, 'runner.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new RunnerError(`another local runner (pid ${pid}) uses the data dir ${dataDir}; stop it or use another data dir`);
      }
      unlinkSync(path);
    }
  }
  throw new RunnerError(`cannot lock the data dir ${dataDir} (${path} keeps coming back); remove it if no runner uses the data dir`);
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseLock(path: string): void {
  try {
    if (existsSync(path) && readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
  } catch {
    // best effort
  }
}
