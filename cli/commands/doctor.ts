/**
 * `cdk-iot-pipeline doctor`: check a deployed pipeline and say what to fix. The checks are in `cli/doctor/checks/`
 * (one file each); the AWS reads (`cli/doctor/gather.ts`) load when the command runs.
 */
import { awsOptionsOf, withAwsOptions } from '../aws/options';
import type { CommandModule } from '../command';
import { UsageError } from '../errors';
import { progressLines } from '../io';
import { parseDuration } from '../units';

/** The runner's data folder unless given (`DEFAULT_DATA_DIR` of `local/`; not imported: it is heavy). */
const LOCAL_DATA_DIR = '.iot-local';

export const doctorCommand: CommandModule = {
  name: 'doctor',
  register(program, context) {
    withAwsOptions(program.command('doctor')
      .description('Check a deployed pipeline (--stack): certificate, policy, thing, topic rule, delivery stream, failures and data freshness; '
        + 'or the local runner\'s (--app with --data-dir): certificate, policy, topic rule, processing failures and the parser\'s log.')
      .option('--stack <name>', 'the stack that holds the pipeline (locally: only this stack of --app)')
      .option('--app <dir>', 'local: the cloud assembly the runner runs (cdk.out); checks the runner\'s data dir instead of AWS')
      .option('--data-dir <dir>', 'local: the runner\'s data dir (default: .iot-local)')
      .option('--pipeline <id>', 'the pipeline\'s construct id (output-id prefix) when the stack holds several')
      .option('--client-id <id>', 'the client id devices connect with (default: the thing name)')
      .option('--topic <topic>', 'the topic the device publishes to (default: <publish topic>/<thing name>)')
      .option('--since <duration>', 'AWS: how far back to look for failures and fresh data', '60m')
      .option('--json', 'print the findings as JSON')
      .option('--quiet', 'no progress lines on stderr'))
      .addHelpText('after', [
        '',
        'Each finding is PASS, WARN or FAIL; WARN and FAIL name what to do.',
        'Exit code: 0 when nothing FAILs, 1 otherwise, 2 for wrong options.',
        '',
        'Examples:',
        '  $ cdk-iot-pipeline doctor --stack Telemetry --region eu-west-1',
        '  $ cdk-iot-pipeline doctor --app cdk.out --data-dir .iot-local --topic iot-test-topic',
      ].join('\n'))
      .action(async (o) => {
        if (o.app !== undefined || o.dataDir !== undefined) {
          // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
          const { runLocalDoctorCommand } = require('../doctor/local-run') as typeof import('../doctor/local-run');
          runLocalDoctorCommand({
            app: o.app ?? 'cdk.out',
            dataDir: o.dataDir ?? LOCAL_DATA_DIR,
            stack: o.stack,
            pipeline: o.pipeline,
            clientId: o.clientId,
            topic: o.topic,
          }, { json: o.json }, context);
          return;
        }
        if (o.stack === undefined) {
          throw new UsageError('give the pipeline to check: --stack <name> for a deployed stack, or --app <cdk.out> --data-dir <dir> for the local runner.');
        }
        const options = {
          stack: o.stack,
          pipeline: o.pipeline,
          clientId: o.clientId,
          topic: o.topic,
          windowMinutes: parseDuration(o.since, '--since') / 60_000,
          progress: progressLines(context.io, o.quiet),
        };
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runDoctorCommand } = require('../doctor/run') as typeof import('../doctor/run');
        await runDoctorCommand(options, awsOptionsOf(o), { json: o.json }, context);
      });
  },
};
