/**
 * Runs Lambda handlers from the synthesized assets.
 *
 * - Node.js runtimes: in-process, in a worker thread per function running `node-worker.js` (next to this file).
 *   The worker `require()`s the asset's module
 *   (`index.handler` → `<asset>/index.js`, `.mjs` through `import()`), with the function's environment
 *   variables as its own `process.env` (so two functions built from the same asset stay apart), and answers
 *   invocations over the message port. A timeout (the function's Timeout) terminates the worker; the next
 *   invocation starts a fresh one (a cold start).
 * - Python runtimes: the runtime shim `python_shim.py` (next to this file) run with `python3` (one long-lived
 *   process per function) that imports the module and calls the handler; JSON lines over stdin/stdout (the
 *   handler's own prints go to stderr).
 *
 * Both runtime files are real source files in `local/lambda/`; `bundle:cli` copies them next to the CLI bundle
 * (`assets/cli/`), so `runtimeFile()` finds them relative to `__dirname` from the source tree (ts-jest, ts-node)
 * and from the bundle alike.
 *
 * Handler output (console.log, print) is appended to `<data-dir>/logs/<function name>.log`.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import { createWriteStream, existsSync, mkdirSync, writeFileSync, WriteStream } from 'fs';
import { devNull } from 'os';
import { basename, delimiter, dirname, join, resolve as resolvePath } from 'path';
import { Worker } from 'worker_threads';
import type { FunctionModel } from '../assembly/model';
import { AssemblyError, RunnerError } from '../errors';
import { YOUNG_GENERATION_MB } from '../heap';

/** A failed invocation (the handler threw, timed out, or could not be loaded). */
export class InvocationError extends Error {
  constructor(message: string, public readonly errorType: string) {
    super(message);
    this.name = 'InvocationError';
  }
}

/** Invokes one function. */
export interface Invoker {
  invoke(event: unknown): Promise<unknown>;
  /**
   * Invokes with the Firehose transformation event of `batch` (`firehoseEvent`), built where it costs least: the
   * Node.js runtime receives the records' bytes (transferred, not copied) and encodes them in its own thread.
   * Without it, callers invoke with `firehoseEvent(batch)`.
   */
  invokeFirehose?(batch: FirehoseBatch): Promise<unknown>;
  close(): Promise<void>;
}

/** A Firehose transformation event whose records' data are still bytes. */
export interface FirehoseBatch {
  readonly invocationId: string;
  readonly deliveryStreamArn: string;
  readonly region: string;
  readonly records: ReadonlyArray<{ readonly recordId: string; readonly approximateArrivalTimestamp: number; readonly data: Buffer }>;
}

/** The event Lambda gets for a batch: each record's data in base64. */
export function firehoseEvent(batch: FirehoseBatch): unknown {
  return {
    invocationId: batch.invocationId,
    deliveryStreamArn: batch.deliveryStreamArn,
    region: batch.region,
    records: batch.records.map((r) => ({ recordId: r.recordId, approximateArrivalTimestamp: r.approximateArrivalTimestamp, data: r.data.toString('base64') })),
  };
}

/**
 * A batch as the Node.js worker receives it (node-worker.js rebuilds the event from it): the records' data
 * back to back in one buffer of its own, and their lengths and arrival times in typed arrays — all three moved to
 * the worker (transferred), not copied. Posting the event itself cost a base64 string per record in the runner's
 * heap (held for the whole invocation, so promoted to its old generation) and a second copy in the serialized
 * message.
 */
function packFirehoseBatch(batch: FirehoseBatch): { message: object; transfer: ArrayBuffer[] } {
  const n = batch.records.length;
  const lengths = new Uint32Array(n);
  const arrivals = new Float64Array(n);
  const recordIds: string[] = new Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = batch.records[i];
    lengths[i] = r.data.length;
    arrivals[i] = r.approximateArrivalTimestamp;
    recordIds[i] = r.recordId;
    total += r.data.length;
  }
  // A Uint8Array of its own, never a pooled Buffer's slab: transferring detaches the whole ArrayBuffer.
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const r of batch.records) {
    bytes.set(r.data, offset);
    offset += r.data.length;
  }
  const { invocationId, deliveryStreamArn, region } = batch;
  const firehose = { invocationId, deliveryStreamArn, region, recordIds, arrivals, lengths, bytes };
  return { message: firehose, transfer: [bytes.buffer, arrivals.buffer, lengths.buffer] };
}

/** Creates the invoker for a function's runtime. */
export function createInvoker(
  fn: FunctionModel,
  logDir: string,
  extraEnv: Record<string, string> = {},
  credentials: FunctionCredentials = PLACEHOLDER_KEYS,
): Invoker {
  if (!fn.codeDir || !existsSync(fn.codeDir)) {
    throw new AssemblyError(`${fn.path}: the code of function ${fn.name} is not in the cloud assembly (looked in ${fn.codeDir || '(no asset path)'})`);
  }
  const node = fn.runtime.startsWith('nodejs');
  if (!node && !fn.runtime.startsWith('python')) {
    throw new AssemblyError(`${fn.path}: runtime ${fn.runtime} of function ${fn.name} is not run locally (Node.js and Python are)`);
  }
  // Everything that can fail comes before the log stream is opened, so a failure leaves nothing open.
  const file = runtimeFile(node ? RUNTIME_FILES.nodeWorker : RUNTIME_FILES.pythonShim);
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `${fn.name}.log`), { flags: 'a' });
  return node ? new NodeInvoker(fn, file, log, extraEnv, credentials) : new PythonInvoker(fn, file, log, extraEnv, credentials);
}

/**
 * `node_modules` directories above this module and the working directory: Lambda's Node.js runtime provides the
 * AWS SDK v3 to functions that bundle it as external; locally they find it there (NODE_PATH of the worker).
 */
export function moduleSearchPaths(): string[] {
  const found: string[] = [];
  for (const start of [__dirname, process.cwd()]) {
    let dir = resolvePath(start);
    for (;;) {
      const candidate = basename(dir) === 'node_modules' ? dir : join(dir, 'node_modules');
      if (existsSync(candidate) && !found.includes(candidate)) found.push(candidate);
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return found;
}

/**
 * Placeholder AWS credentials of every function the runner starts: a parser runs with these, never with the caller's
 * credentials (which could reach a real AWS account), whatever the caller's environment holds. The S3 the runner
 * points functions at (`AWS_ENDPOINT_URL_S3`: its loopback S3 API, or an S3-compatible `--s3-endpoint` such as moto)
 * must accept them; other AWS calls of a function fail.
 */
export const PLACEHOLDER_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'local-runner',
  AWS_SECRET_ACCESS_KEY: 'local-runner',
} as const;

/**
 * The AWS credentials a function runs with: the runner hands its functions the run's own random keys, the only ones
 * its loopback S3 API accepts (../s3/sigv4.ts).
 */
export interface FunctionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const PLACEHOLDER_KEYS: FunctionCredentials = {
  accessKeyId: PLACEHOLDER_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: PLACEHOLDER_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
};

/**
 * The variables Lambda sets, plus the function's own. Of the caller's environment only PATH, HOME, TMPDIR, LANG, TZ
 * and PYTHONPATH are passed on; the AWS credentials are `credentials` (the run's random keys; placeholders,
 * `PLACEHOLDER_CREDENTIALS`, when none are given), no profile, no shared config or credentials file and no instance
 * metadata are consulted.
 */
export function lambdaEnvironment(
  fn: FunctionModel,
  extra: Record<string, string> = {},
  credentials: FunctionCredentials = PLACEHOLDER_KEYS,
): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'PYTHONPATH']) {
    const v = process.env[key];
    if (v !== undefined) inherited[key] = v;
  }
  const nodePath = [process.env.NODE_PATH, ...moduleSearchPaths()].filter((p) => p).join(delimiter);
  return {
    ...inherited,
    NODE_PATH: nodePath,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    LAMBDA_TASK_ROOT: fn.codeDir,
    ...extra,
    ...fn.environment,
    // Last, so that nothing above can bring the caller's credentials back.
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SHARED_CREDENTIALS_FILE: devNull,
    AWS_CONFIG_FILE: devNull,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** The runtime files run in another process or thread, shipped next to the code that starts them. */
export const RUNTIME_FILES = { nodeWorker: 'node-worker.js', pythonShim: 'python_shim.py' } as const;

/** The path of a runtime file: next to this module in the source tree, next to the bundle in `assets/cli/`. */
export function runtimeFile(name: (typeof RUNTIME_FILES)[keyof typeof RUNTIME_FILES]): string {
  const path = join(__dirname, name);
  if (!existsSync(path)) {
    throw new RunnerError(`the Lambda runtime file ${name} is missing from ${__dirname}; rebuild the CLI bundle (npx projen bundle:cli), which copies local/lambda/${name} there`);
  }
  return path;
}

function splitHandler(handler: string): { module: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`handler "${handler}" is not of the form <module>.<function>`);
  return { module: handler.slice(0, dot), exportName: handler.slice(dot + 1) };
}

interface Pending {
  readonly timer: NodeJS.Timeout;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** What a runtime says once its initialization (loading the handler) has finished, whether or not it succeeded. */
interface RuntimeReady {
  ready: true;
}

/** An answer from a runtime (the Node worker or the Python shim): `{ id, ok, result | errorType, errorMessage }`. */
interface RuntimeAnswer {
  id: number;
  ok: boolean;
  result?: unknown;
  errorType?: string;
  errorMessage?: string;
}

/**
 * Lambda's limit for a runtime's initialization (loading the handler module), which, as in Lambda, does not count
 * against the function's timeout (docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html: "The Init
 * phase is limited to 10 seconds").
 */
export const INIT_LIMIT_MS = 10_000;

/** A call waiting for its runtime to finish initializing. */
interface Waiting {
  readonly dispatch: () => void;
  reject(error: Error): void;
}

/**
 * The invocations of one runtime, matched to answers by id. A call is sent once the runtime has reported that its
 * initialization finished (`{ ready: true }`), and from then on has Lambda's timeout; a runtime that does not
 * initialize within `INIT_LIMIT_MS` fails its calls.
 */
class Calls {
  private readonly pending = new Map<number, Pending>();
  private readonly waiting = new Map<number, Waiting>();
  private ready = false;
  private initTimer?: NodeJS.Timeout;
  private nextId = 1;

  constructor(private readonly fn: FunctionModel) {}

  /** A new runtime is starting: calls wait for it, at most `INIT_LIMIT_MS`, then `onInitTimeout` (to reset it). */
  public starting(onInitTimeout: () => void): void {
    this.ready = false;
    clearTimeout(this.initTimer);
    this.initTimer = setTimeout(() => {
      this.failAll(new InvocationError(`the runtime did not finish initializing within ${INIT_LIMIT_MS / 1000} seconds`, 'Sandbox.Timedout'));
      onInitTimeout();
    }, INIT_LIMIT_MS);
  }

  /** The runtime finished initializing: the calls waiting for it are sent, each with the function's timeout. */
  public initialized(): void {
    this.ready = true;
    clearTimeout(this.initTimer);
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const call of waiting) call.dispatch();
  }

  /** Sends an invocation; on timeout rejects it as Sandbox.Timedout and calls `onTimeout` (to reset the runtime). */
  public start(send: (id: number, deadline: number) => void, onTimeout: () => void): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const dispatch = () => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new InvocationError(`Task timed out after ${(this.fn.timeoutMs / 1000).toFixed(2)} seconds`, 'Sandbox.Timedout'));
          onTimeout();
        }, this.fn.timeoutMs);
        this.pending.set(id, { resolve, reject, timer });
        send(id, Date.now() + this.fn.timeoutMs);
      };
      if (this.ready) dispatch();
      else this.waiting.set(id, { dispatch, reject });
    });
  }

  /** Settles the invocation the answer belongs to (answers for timed-out invocations are ignored). */
  public answer(msg: RuntimeAnswer): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new InvocationError(msg.errorMessage ?? 'error', msg.errorType ?? 'Error'));
  }

  /** Rejects every invocation in flight or waiting (the runtime failed or exited). */
  public failAll(error: InvocationError): void {
    clearTimeout(this.initTimer);
    this.ready = false;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(error);
    }
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      w.reject(error);
    }
  }
}

class NodeInvoker implements Invoker {
  private worker?: Worker;
  private readonly calls: Calls;

  constructor(
    private readonly fn: FunctionModel,
    private readonly workerFile: string,
    private readonly log: WriteStream,
    private readonly extraEnv: Record<string, string>,
    private readonly credentials: FunctionCredentials,
  ) {
    this.calls = new Calls(fn);
  }

  public invoke(event: unknown): Promise<unknown> {
    const worker = this.ensureWorker();
    return this.calls.start(
      (id, deadline) => worker.postMessage({ id, event, requestId: randomUUID(), deadline }),
      () => void this.restart(),
    );
  }

  public invokeFirehose(batch: FirehoseBatch): Promise<unknown> {
    const worker = this.ensureWorker();
    return this.calls.start(
      (id, deadline) => {
        const { message, transfer } = packFirehoseBatch(batch);
        worker.postMessage({ id, firehose: message, requestId: randomUUID(), deadline }, transfer);
      },
      () => void this.restart(),
    );
  }

  public async close(): Promise<void> {
    await this.restart();
    await new Promise<void>((res) => this.log.end(res));
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const { module, exportName } = splitHandler(this.fn.handler);
    const base = join(this.fn.codeDir, module);
    const file = ['.js', '.cjs', '.mjs'].map((ext) => base + ext).find((f) => existsSync(f)) ?? `${base}.js`;
    const worker = new Worker(this.workerFile, {
      env: lambdaEnvironment(this.fn, this.extraEnv, this.credentials),
      stdout: true,
      stderr: true,
      workerData: { file, esm: file.endsWith('.mjs'), exportName, functionName: this.fn.name, functionArn: this.fn.arn, memoryMb: this.fn.memoryMb },
      // The young generation as small as the runner's own (../heap.ts): with V8's default a parser's worker grew
      // two 16 MiB semi-spaces (32 of its 40 MiB of heap at the bench:local load).
      resourceLimits: { maxOldGenerationSizeMb: Math.max(this.fn.memoryMb, 256), maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    worker.stdout.pipe(this.log, { end: false });
    worker.stderr.pipe(this.log, { end: false });
    this.calls.starting(() => void this.restart());
    // Events of a runtime that was already replaced (after a timeout) must not touch the calls of its successor.
    worker.on('message', (msg: RuntimeAnswer | RuntimeReady) => {
      if (this.worker !== worker) return;
      if ('ready' in msg) this.calls.initialized();
      else this.calls.answer(msg);
    });
    worker.on('error', (err: Error) => {
      if (this.worker === worker) this.calls.failAll(new InvocationError(err.message, 'Runtime.ExitError'));
    });
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.calls.failAll(new InvocationError('the runtime exited', 'Runtime.ExitError'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** Replaces the runtime: calls still in flight in it can no longer be answered. */
  private async restart(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.calls.failAll(new InvocationError('the runtime was restarted', 'Runtime.ExitError'));
    if (worker) await worker.terminate();
  }
}

class PythonInvoker implements Invoker {
  private child?: ChildProcessWithoutNullStreams;
  private buffer = '';
  private readonly calls: Calls;

  constructor(
    private readonly fn: FunctionModel,
    private readonly shimPath: string,
    private readonly log: WriteStream,
    private readonly extraEnv: Record<string, string>,
    private readonly credentials: FunctionCredentials,
  ) {
    this.calls = new Calls(fn);
  }

  public invokeFirehose(batch: FirehoseBatch): Promise<unknown> {
    return this.invoke(firehoseEvent(batch));
  }

  public invoke(event: unknown): Promise<unknown> {
    const child = this.ensureChild();
    return this.calls.start(
      (id, deadline) => child.stdin.write(JSON.stringify({ id, event, requestId: randomUUID(), deadline, functionArn: this.fn.arn }) + '\n'),
      () => this.kill(),
    );
  }

  public async close(): Promise<void> {
    // The child stays current until it exits, so a call still in flight can be answered before the shim ends.
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((res) => child.once('exit', () => res()));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    this.child = undefined;
    await new Promise<void>((res) => this.log.end(res));
  }

  private ensureChild(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const { module, exportName } = splitHandler(this.fn.handler);
    const child = spawn(process.env.LOCAL_RUNNER_PYTHON ?? 'python3', ['-u', this.shimPath, this.fn.codeDir, module.replace(/\//g, '.'), exportName], {
      env: lambdaEnvironment(this.fn, { ...this.extraEnv, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' }, this.credentials),
      cwd: this.fn.codeDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stderr.pipe(this.log, { end: false });
    child.stdout.setEncoding('utf8');
    this.calls.starting(() => this.kill());
    // Output and exit of a runtime that was already replaced (after a timeout) must not touch its successor.
    child.stdout.on('data', (chunk: string) => {
      if (this.child !== child) return;
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.answer(line);
      }
    });
    child.on('error', (err) => {
      if (this.child === child) this.calls.failAll(new InvocationError(`cannot start python3: ${err.message}`, 'Runtime.ExitError'));
    });
    child.on('exit', () => {
      if (this.child !== child) return;
      this.child = undefined;
      this.buffer = '';
      this.calls.failAll(new InvocationError('the runtime exited', 'Runtime.ExitError'));
    });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    this.child = child;
    return child;
  }

  private answer(line: string): void {
    let msg: RuntimeAnswer | RuntimeReady;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if ('ready' in msg) this.calls.initialized();
    else this.calls.answer(msg);
  }

  /** Replaces the runtime: calls still in flight in it can no longer be answered. */
  private kill(): void {
    const child = this.child;
    this.child = undefined;
    this.buffer = '';
    this.calls.failAll(new InvocationError('the runtime was restarted', 'Runtime.ExitError'));
    child?.kill('SIGKILL');
  }
}

/**
 * The function with its code on disk: inline code (`Code.ZipFile`) is written to
 * `<dir>/inline-code/<stack>-<logical id>/<module file>` and that folder becomes its code directory.
 */
export function stageFunctionCode(fn: FunctionModel, dir: string): FunctionModel {
  if (!fn.inlineCode) return fn;
  const codeDir = join(dir, 'inline-code', `${fn.stack.replace(/[^A-Za-z0-9_-]/g, '-')}-${fn.logicalId}`);
  mkdirSync(codeDir, { recursive: true });
  writeFileSync(join(codeDir, fn.inlineCode.fileName), fn.inlineCode.source);
  return { ...fn, codeDir };
}
