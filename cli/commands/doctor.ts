/**
 * `cdk-iot-pipeline doctor`: check a deployed pipeline and say what to fix. The checks are in `cli/doctor/checks/`
 * (one file each); the AWS reads (`cli/doctor/gather.ts`) load when the command runs.
 */
import { awsOptionsOf, withAwsOptions } from '../aws/options';
import type { CommandModule } from '../command';
import { progressLines } from '../io';
import { parseDuration } from '../units';

export const doctorCommand: CommandModule = {
  name: 'doctor',
  register(program, context) {
    withAwsOptions(program.command('doctor')
      .description('Check a deployed pipeline: certificate, policy, thing, topic rule, delivery stream, failures and data freshness.')
      .requiredOption('--stack <name>', 'the stack that holds the pipeline')
      .option('--pipeline <id>', 'the pipeline\'s construct id (output-id prefix) when the stack holds several')
      .option('--client-id <id>', 'the client id devices connect with (default: the thing name)')
      .option('--since <duration>', 'how far back to look for failures and fresh data', '60m')
      .option('--json', 'print the findings as JSON')
      .option('--quiet', 'no progress lines on stderr'))
      .addHelpText('after', [
        '',
        'Each finding is PASS, WARN or FAIL; WARN and FAIL name what to do.',
        'Exit code: 0 when nothing FAILs, 1 otherwise, 2 for wrong options.',
        '',
        'Example:',
        '  $ cdk-iot-pipeline doctor --stack Telemetry --region eu-west-1',
      ].join('\n'))
      .action(async (o) => {
        const options = {
          stack: o.stack,
          pipeline: o.pipeline,
          clientId: o.clientId,
          windowMinutes: parseDuration(o.since, '--since') / 60_000,
          progress: progressLines(context.io, o.quiet),
        };
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runDoctorCommand } = require('../doctor/run') as typeof import('../doctor/run');
        await runDoctorCommand(options, awsOptionsOf(o), { json: o.json }, context);
      });
  },
};
