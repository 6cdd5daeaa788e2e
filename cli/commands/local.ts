/**
 * `cdk-iot-pipeline local`: run the synthesized pipeline on this machine, and `cdk-iot-pipeline local certs`: issue a
 * device certificate from the local CA. The runner itself lives in `local/`; this file parses options and prints.
 */
import { resolve } from 'path';
import type { Command } from 'commander';
import { AssemblyError, DEFAULT_DATA_DIR, issueDeviceCertificate, LocalRunner, validThingName } from '../../local';
import { DurationError, parseDuration as parseContractDuration } from '../../src/contract';
import { CliError, UsageError } from '../errors';

/** Parses `--buffer-interval` (`5s`, `500ms`, `2m`, a bare number of seconds) into milliseconds, at most Firehose's 900 s. */
export function parseBufferInterval(text: string): number {
  let ms: number;
  try {
    ms = Math.round(parseContractDuration(text));
  } catch (e) {
    if (e instanceof DurationError) throw new UsageError(`--buffer-interval ${e.message}`);
    throw e;
  }
  if (ms > 900000) throw new UsageError(`--buffer-interval ${text} is longer than Firehose's maximum of 900 seconds.`);
  return ms;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${text} is not a port number (0-65535; 0 picks a free port).`);
  return port;
}

export interface LocalCommandOptions {
  readonly app: string;
  readonly stack?: string;
  readonly dataDir: string;
  readonly host: string;
  readonly port: string;
  readonly bufferInterval?: string;
  readonly s3Endpoint?: string;
  readonly verbose?: boolean;
}

/** Where `runLocalCommand` writes and how it exits (replaceable in tests). */
export interface LocalCommandIo {
  readonly stdout?: NodeJS.WritableStream;
  readonly exit?: (code: number) => void;
}

/** Starts the runner for the CLI options, prints the readiness line, and stops cleanly on SIGTERM/SIGINT. */
export async function runLocalCommand(opts: LocalCommandOptions, io: LocalCommandIo = {}): Promise<LocalRunner> {
  const stdout = io.stdout ?? process.stdout;
  const exit = io.exit ?? ((code: number) => process.exit(code));
  if (opts.s3Endpoint !== undefined && !/^https?:\/\/[^/]+/.test(opts.s3Endpoint)) {
    throw new UsageError(`--s3-endpoint ${opts.s3Endpoint} is not a URL; give e.g. http://127.0.0.1:5000`);
  }
  let runner: LocalRunner;
  try {
    runner = await LocalRunner.start({
      app: opts.app,
      stack: opts.stack,
      dataDir: opts.dataDir,
      host: opts.host,
      port: parsePort(opts.port),
      bufferIntervalMs: opts.bufferInterval !== undefined ? parseBufferInterval(opts.bufferInterval) : undefined,
      s3Endpoint: opts.s3Endpoint,
      verbose: opts.verbose,
    });
  } catch (e) {
    if (e instanceof AssemblyError) throw new CliError(e.message);
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(`Port ${opts.port} on ${opts.host} is in use; give another --port (0 picks a free one).`);
    }
    throw e;
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`[local] ${signal} again: exiting without waiting for the flush (the journal replays at the next start)\n`);
      exit(130);
      return;
    }
    stopping = true;
    process.stderr.write(`[local] ${signal}: delivering buffered records, then exiting\n`);
    runner.stop().then(() => exit(0), (e) => {
      process.stderr.write(`[local] stop failed: ${(e as Error).message}\n`);
      exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  stdout.write(runner.readyLine + '\n');
  return runner;
}

/** Registers `local` and `local certs` on the CLI program. */
export function registerLocalCommands(program: Command): void {
  const local = program
    .command('local')
    .description('Run the synthesized pipeline on this machine: MQTT over mutual TLS (AWS IoT policies), topic rules, Firehose, parser, S3 as folders')
    .option('--app <dir>', 'the cloud assembly to run (the cdk.out directory of `cdk synth`)', 'cdk.out')
    .option('--stack <name>', 'run only this stack (default: all stacks of the assembly)')
    .option('--data-dir <dir>', 'local state: CA, journal, S3 folders, logs', DEFAULT_DATA_DIR)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'MQTT over TLS port (0 picks a free port)', '8883')
    .option('--buffer-interval <duration>', 'override every Firehose buffering interval, e.g. 5s')
    .option('--s3-endpoint <url>', 'write objects to this S3-compatible endpoint instead of folders (path-style)')
    .option('--verbose', 'log connections and every object written')
    .action(async (opts: LocalCommandOptions) => {
      const runner = await runLocalCommand(opts);
      // Resolve only when the runner has stopped (SIGTERM/SIGINT), so a CLI that exits after the command
      // returns keeps the broker running until then.
      await runner.done;
    });

  local
    .command('certs')
    .description('Issue a device certificate from the local CA: ca.pem, <thing>.cert.pem, <thing>.key.pem')
    .requiredOption('--thing <name>', 'the thing the certificate is for (its subject CN; connect with this client id)')
    .requiredOption('--out <dir>', 'where to write the files')
    .option('--data-dir <dir>', 'the local runner\'s data dir (holds the CA)', DEFAULT_DATA_DIR)
    .action((opts: { thing: string; out: string; dataDir: string }, cmd: Command) => {
      // `local` has --data-dir too and commander lets the parent take it: use whichever was given.
      const dataDir = cmd.getOptionValueSource('dataDir') === 'cli' ? opts.dataDir : (cmd.parent?.opts().dataDir as string | undefined) ?? opts.dataDir;
      if (!validThingName(opts.thing)) {
        throw new UsageError(`--thing "${opts.thing}" is not a valid thing name (1-128 characters: letters, digits, ':', '_', '-').`);
      }
      const issued = issueDeviceCertificate(resolve(dataDir), opts.thing, resolve(opts.out));
      process.stdout.write([
        `ca       ${issued.caPath}`,
        `cert     ${issued.certPath}`,
        `key      ${issued.keyPath}`,
        `thing    ${issued.thing}`,
        `id       ${issued.fingerprint}`,
      ].join('\n') + '\n');
    });
}
