/**
 * `cdk-iot-pipeline local`: run the synthesized pipeline on this machine, and `local certs`: issue a device
 * certificate from the local CA. The runner (the top-level `local/` folder) loads when one of them runs, through
 * `cli/local/run.ts`.
 */
import type { CommandModule } from '../command';
import { UsageError } from '../errors';
import type { Io } from '../io';

/** The runner's data folder unless given (`DEFAULT_DATA_DIR` of `local/`, which a test compares; not imported: it is heavy). */
const DATA_DIR_HELP = '(default: .iot-local)';

export const localCommand: CommandModule = {
  name: 'local',
  register(program, context) {
    const local = program
      .command('local')
      .description('Run the synthesized pipeline on this machine: MQTT over mutual TLS (AWS IoT policies), topic rules, Firehose, parser, S3 as folders')
      .option('--app <dir>', 'the cloud assembly to run (the cdk.out directory of `cdk synth`)', 'cdk.out')
      .option('--stack <name>', 'run only this stack (default: all stacks of the assembly)')
      .option('--data-dir <dir>', `local state: CA, journal, S3 folders, logs ${DATA_DIR_HELP}`)
      .option('--host <address>', 'address to listen on (a non-loopback address needs --allow-remote)', '127.0.0.1')
      .option('--allow-remote', 'accept MQTT connections from other machines: required with a --host that is not a loopback address')
      .option('--port <n>', 'MQTT over TLS port (0 picks a free port)', '8883')
      .option('--buffer-interval <duration>', 'override every Firehose buffering interval, e.g. 5s')
      .option('--s3-endpoint <url>', 'write objects to this S3-compatible endpoint instead of folders (path-style)')
      .option('--verbose', 'log connections and every object written')
      .addHelpText('after', [
        '',
        'Prints one line "ready mqtts://<host>:<port> ..." on stdout when the broker listens; SIGTERM/SIGINT delivers the',
        'buffered records and exits 0.',
      ].join('\n'))
      .action(async (o) => {
        checkHost(o.host, o.allowRemote === true, context.io);
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runLocal } = require('../local/run') as typeof import('../local/run');
        await runLocal(o, context);
      });

    local
      .command('certs')
      .description('Issue a device certificate from the local CA: ca.pem, <thing>.cert.pem, <thing>.key.pem')
      .requiredOption('--thing <name>', 'the thing the certificate is for (its subject CN; connect with this client id)')
      .requiredOption('--out <dir>', 'where to write the files')
      .option('--data-dir <dir>', `the local runner's data dir (holds the CA) ${DATA_DIR_HELP}`)
      .action((o) => {
        // `local` has --data-dir too and commander lets the parent take it: use whichever was given.
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runLocalCerts } = require('../local/run') as typeof import('../local/run');
        runLocalCerts({ ...o, dataDir: o.dataDir ?? local.opts().dataDir }, context);
      });
  },
};

/** A literal loopback address (127.0.0.0/8, ::1, its IPv4-mapped form) or `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}

/**
 * The runner's broker accepts any device with a certificate from the data dir's CA, and the data dir holds every
 * message: listening beyond loopback must be asked for (`--allow-remote`), and is then said out loud.
 */
function checkHost(host: string, allowRemote: boolean, io: Io): void {
  if (isLoopback(host)) return;
  if (!allowRemote) {
    throw new UsageError(`--host ${host} is not a loopback address: other machines could connect to the runner. Add --allow-remote to do that on purpose, or use --host 127.0.0.1.`);
  }
  io.stderr(`warning: listening on ${host} (--allow-remote): other machines can reach the local broker; only devices with a certificate from this data dir's CA can connect, over TLS.\n`);
}
