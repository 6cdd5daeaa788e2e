/**
 * `cdk-iot-pipeline local`: run the synthesized pipeline on this machine, `local certs`: issue a device
 * certificate from the local CA, and `local certs status`: list certificates or set one INACTIVE / REVOKED / ACTIVE. The runner (the top-level `local/` folder) loads when one of them runs, through
 * `cli/local/run.ts`.
 */
import { Option } from '@commander-js/extra-typings';
import type { CommandModule } from '../command';
import { UsageError } from '../errors';
import type { Io } from '../io';
import type { LocalOptions } from '../local/run';
import { canStartRunnerThread, runInRunnerThread } from '../local/thread';

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
      .option('--max-connections <n>', 'MQTT connections open at once; more are closed on accept', '10000')
      .addHelpText('after', [
        '',
        'Prints one line "ready mqtts://<host>:<port> ..." on stdout when the broker listens; SIGTERM/SIGINT delivers the',
        'buffered records and exits 0, and so does the exit of the process that started it (npx, a script), so',
        '`npx cdk-iot-pipeline local … &` stops with it.',
      ].join('\n'))
      .action(async (o) => {
        checkHost(o.host, o.allowRemote === true, context.io);
        const options: LocalOptions = {
          app: o.app,
          stack: o.stack,
          dataDir: o.dataDir,
          host: o.host,
          port: o.port,
          bufferInterval: o.bufferInterval,
          s3Endpoint: o.s3Endpoint,
          verbose: o.verbose,
          maxConnections: o.maxConnections,
        };
        if (context.script !== undefined && canStartRunnerThread()) {
          // The runner gets a thread of its own (its heap settings); it runs with these options, parsed once, here.
          context.setExitCode(await runInRunnerThread(context.script, options));
          return;
        }
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runLocal } = require('../local/run') as typeof import('../local/run');
        await runLocal(options, context);
      });

    const certs = local
      .command('certs')
      .description('Issue a device certificate from the local CA: ca.pem, <thing>.cert.pem, <thing>.key.pem')
      // Required, but checked in the action: commander would demand them of the `status` subcommand too.
      .option('--thing <name>', 'the thing the certificate is for (its subject CN; connect with this client id); required')
      .option('--claim <template>', 'instead of --thing: a fleet claim certificate for this provisioning template (<template>-claim.cert.pem, -claim.key.pem)')
      .option('--out <dir>', 'where to write the files; required')
      .option('--data-dir <dir>', `the local runner's data dir (holds the CA) ${DATA_DIR_HELP}`)
      .action((o) => {
        // `local` has --data-dir too and commander lets the parent take it: use whichever was given.
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runLocalCerts } = require('../local/run') as typeof import('../local/run');
        if (o.out === undefined) throw new UsageError('required option \'--out <dir>\' not specified');
        if (o.claim !== undefined) {
          if (o.thing !== undefined) throw new UsageError('--claim and --thing are exclusive: a claim certificate belongs to no thing');
          // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
          const { runLocalClaimCerts } = require('../local/claim') as typeof import('../local/claim');
          runLocalClaimCerts({ template: o.claim, out: o.out, dataDir: o.dataDir ?? local.opts().dataDir }, context);
          return;
        }
        if (o.thing === undefined) throw new UsageError('required option \'--thing <name>\' not specified');
        runLocalCerts({ ...o, thing: o.thing, out: o.out, dataDir: o.dataDir ?? local.opts().dataDir }, context);
      });

    certs
      .command('status')
      .description('List the certificates `local certs` issued with their status, or set it: INACTIVE (refused, can be activated again) '
        + 'or REVOKED (refused for good), as AWS IoT UpdateCertificate does; a running runner disconnects the devices connected with it')
      .option('--thing <name>', 'the certificates of this thing')
      .option('--id <certificate id>', 'one certificate: the id `local certs` printed, or a unique prefix of it')
      .addOption(new Option('--status <status>', 'the new status (without it: list the certificates)').choices(['ACTIVE', 'INACTIVE', 'REVOKED'] as const))
      .option('--data-dir <dir>', `the local runner's data dir (holds the registry) ${DATA_DIR_HELP}`)
      .action((o) => {
        // The parents define --thing and --data-dir too and commander lets them take them: use whichever was given.
        const parent = certs.opts();
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runLocalCertsStatus } = require('../local/run') as typeof import('../local/run');
        runLocalCertsStatus({
          ...o, thing: o.thing ?? parent.thing, dataDir: o.dataDir ?? parent.dataDir ?? local.opts().dataDir,
        }, context);
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
