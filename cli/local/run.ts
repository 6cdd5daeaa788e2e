/**
 * `cdk-iot-pipeline local` and `local certs`, once their options are parsed: start the local runner (the top-level
 * `local/` folder) and stop it cleanly on SIGTERM/SIGINT, or issue a device certificate from the local CA.
 * Loaded only when one of these commands runs (it loads the broker, the runner and node-forge).
 */
import { resolve } from 'path';
import {
  AssemblyError, CertificateStatus, CertificateStatusError, DEFAULT_DATA_DIR, issueDeviceCertificate, listCertificates, LocalRunner,
  setCertificateStatus, validThingName,
} from '../../local';
import { BUFFERING_LIMITS } from '../../src/contract';
import type { CommandContext } from '../command';
import { CliError, UsageError } from '../errors';
import { parseDuration } from '../units';
import { issueAndPrint } from './issued';
import { onForwardedStopSignal } from './thread';

/** The `local` command's options as given (strings). */
export interface LocalOptions {
  readonly app: string;
  readonly stack?: string;
  /** Default: the runner's `DEFAULT_DATA_DIR`. */
  readonly dataDir?: string;
  readonly host: string;
  readonly port: string;
  readonly bufferInterval?: string;
  readonly s3Endpoint?: string;
  readonly verbose?: boolean;
  /** Default: the broker's (10,000). */
  readonly maxConnections?: string;
}

/** The `local certs` command's options as given. */
export interface LocalCertsOptions {
  readonly thing: string;
  readonly out: string;
  /** Default: the runner's `DEFAULT_DATA_DIR`. */
  readonly dataDir?: string;
}

/** How the `local` command meets the process: signals that stop the runner, and the exit. Replaceable in tests. */
export interface ProcessHooks {
  onStopSignal(handler: (signal: NodeJS.Signals) => void): void;
  /** Calls `handler` once when the process that started this one has exited. */
  onParentExit(handler: () => void): void;
  exit(code: number): void;
}

/** How often the runner looks whether its parent process is still there. */
const PARENT_CHECK_MS = 1000;

/**
 * Calls `onGone` once when the parent process id changes: the parent exited and the process was re-parented (to
 * init or a subreaper). `npx cdk-iot-pipeline local … &` then stops with `npx` instead of holding the port and the
 * data dir's lock. Returns the timer (unref'd: it never keeps the process alive).
 */
export function watchParent(parentPid: () => number, onGone: () => void, intervalMs = PARENT_CHECK_MS): NodeJS.Timeout {
  const parent = parentPid();
  const timer = setInterval(() => {
    if (parentPid() === parent) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return timer;
}

const processHooks: ProcessHooks = {
  onStopSignal(handler) {
    // In the runner's thread (thread.ts) the main thread forwards the signals.
    if (onForwardedStopSignal(handler)) return;
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  },
  // process.ppid is read anew each time (also in the runner's worker thread: it is the process's parent).
  onParentExit: (handler) => void watchParent(() => process.ppid, handler),
  exit: (code) => process.exit(code),
};

const MAX_BUFFER_INTERVAL_MS = BUFFERING_LIMITS.intervalSeconds.max * 1000;

/** Parses `--buffer-interval` (`5s`, `500ms`, `2m`, a bare number of seconds) into milliseconds, at most Firehose's 900 s. */
export function parseBufferInterval(text: string): number {
  const ms = Math.round(parseDuration(text, '--buffer-interval'));
  if (ms > MAX_BUFFER_INTERVAL_MS) {
    throw new UsageError(`--buffer-interval ${text} is longer than Firehose's maximum of ${MAX_BUFFER_INTERVAL_MS / 1000} seconds.`);
  }
  return ms;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${text} is not a port number (0-65535; 0 picks a free port).`);
  return port;
}

function parseMaxConnections(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--max-connections ${text} is not a positive whole number of connections (default 10000).`);
  return n;
}

/**
 * Starts the runner, prints its readiness line, and resolves when it has stopped: the first SIGTERM/SIGINT delivers the
 * buffered records and exits 0 (1 when stopping fails), a second one exits 130 at once (the journal replays at the
 * next start).
 */
export async function runLocal(opts: LocalOptions, context: CommandContext, hooks: ProcessHooks = processHooks): Promise<void> {
  const { io } = context;
  if (opts.s3Endpoint !== undefined && !/^https?:\/\/[^/]+/.test(opts.s3Endpoint)) {
    throw new UsageError(`--s3-endpoint ${opts.s3Endpoint} is not a URL; give e.g. http://127.0.0.1:5000`);
  }
  let runner: LocalRunner;
  try {
    runner = await LocalRunner.start({
      app: opts.app,
      stack: opts.stack,
      dataDir: opts.dataDir ?? DEFAULT_DATA_DIR,
      host: opts.host,
      port: parsePort(opts.port),
      bufferIntervalMs: opts.bufferInterval !== undefined ? parseBufferInterval(opts.bufferInterval) : undefined,
      s3Endpoint: opts.s3Endpoint,
      verbose: opts.verbose,
      maxConnections: opts.maxConnections !== undefined ? parseMaxConnections(opts.maxConnections) : undefined,
    });
  } catch (e) {
    if (e instanceof AssemblyError) throw new CliError(e.message);
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(`Port ${opts.port} on ${opts.host} is in use; give another --port (0 picks a free one).`);
    }
    throw e;
  }
  let stopping = false;
  const stop = (why: string) => {
    stopping = true;
    io.stderr(`[local] ${why}: delivering buffered records, then exiting\n`);
    runner.stop().then(() => hooks.exit(0), (e: unknown) => {
      io.stderr(`[local] stop failed: ${e instanceof Error ? e.message : String(e)}\n`);
      hooks.exit(1);
    });
  };
  hooks.onStopSignal((signal) => {
    if (stopping) {
      io.stderr(`[local] ${signal} again: exiting without waiting for the flush (the journal replays at the next start)\n`);
      hooks.exit(130);
      return;
    }
    stop(signal);
  });
  hooks.onParentExit(() => {
    if (!stopping) stop('the process that started the runner exited');
  });
  io.stdout(`${runner.readyLine}\n`);
  // Resolve only when the runner has stopped, so the CLI keeps the broker running until then.
  await runner.done;
}

/** Issues a device certificate from the local CA and prints where the files are. */
export function runLocalCerts(opts: LocalCertsOptions, context: CommandContext): void {
  if (!validThingName(opts.thing)) {
    throw new UsageError(`--thing "${opts.thing}" is not a valid thing name (1-128 characters: letters, digits, ':', '_', '-').`);
  }
  issueAndPrint(opts.dataDir, (dataDir) => issueDeviceCertificate(dataDir, opts.thing, resolve(opts.out)), (issued) => ['thing', issued.thing], context);
}

/** The `local certs status` command's options as given. */
export interface LocalCertsStatusOptions {
  readonly thing?: string;
  readonly id?: string;
  readonly status?: CertificateStatus;
  /** Default: the runner's `DEFAULT_DATA_DIR`. */
  readonly dataDir?: string;
}

/** Lists the issued certificates with their status, or sets the status of those selected by --thing / --id. */
export function runLocalCertsStatus(opts: LocalCertsStatusOptions, context: CommandContext): void {
  const dataDir = resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  const line = (c: { fingerprint: string; status: string; thing: string; issuedAt: string }) => `${c.fingerprint}  ${c.status.padEnd(8)}  ${c.thing}  ${c.issuedAt}`;
  if (opts.status === undefined) {
    const all = listCertificates(dataDir).filter((c) => (opts.thing === undefined || c.thing === opts.thing)
      && (opts.id === undefined || c.fingerprint.startsWith(opts.id.toLowerCase())));
    if (all.length === 0) {
      context.io.stdout(`no certificates issued by \`local certs\` in ${dataDir}${opts.thing !== undefined ? ` for thing "${opts.thing}"` : ''}\n`);
    } else {
      context.io.stdout(all.map(line).join('\n') + '\n');
    }
    context.setExitCode(0);
    return;
  }
  if (opts.thing === undefined && opts.id === undefined) {
    throw new UsageError('--status needs the certificate(s) to change: --thing <name> (all of its certificates) or --id <certificate id>.');
  }
  try {
    const changed = setCertificateStatus(dataDir, { thing: opts.thing, id: opts.id }, opts.status);
    context.io.stdout(changed.map(line).join('\n') + '\n');
  } catch (e) {
    if (e instanceof CertificateStatusError) throw new CliError(`${e.message}.`);
    throw e;
  }
  context.setExitCode(0);
}
