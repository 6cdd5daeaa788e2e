/**
 * `cdk-iot-pipeline replay`: re-runs the records the parser failed (`processing-failed`, back into the live prefix) or
 * the raw backup (`raw`, a backfill into a new prefix) through the pipeline's current parser. Locally
 * (`--app`/`--data-dir`) over the runner's bucket folders; in AWS (`--stack`) through the pipeline's replay state
 * machine. The implementation loads when the command runs (`cli/replay/run.ts`).
 */
import { Option } from '@commander-js/extra-typings';
import { withAwsOptions } from '../aws/options';
import type { CommandModule } from '../command';

export const replayCommand: CommandModule = {
  name: 'replay',
  register(program, context) {
    withAwsOptions(program.command('replay')
      .description('Re-run failed records (processing-failed) or the raw backup (raw, into a new prefix) through the pipeline\'s current parser: locally (--app/--data-dir) or in AWS (--stack)')
      .addOption(new Option('--source <source>', 'what to read: processing-failed (the records the parser failed) or raw (the raw backup; needs --output-prefix)').makeOptionMandatory())
      .option('--from <hour>', 'first hour to replay, ISO 8601 UTC, e.g. 2026-03-04T05 (default: everything kept)')
      .option('--to <hour>', 'last hour to replay, inclusive (default: the current hour)')
      .option('--output-prefix <prefix>', 'where the rows go (required with --source raw, under backfill/; default: the live prefix)')
      .option('--app <dir>', 'local: the cloud assembly (cdk.out) whose pipeline and parser to use')
      .option('--data-dir <dir>', 'local: the runner\'s data dir, whose s3/ folders hold the objects')
      .option('--stack <name>', 'AWS: the deployed stack whose replay state machine to start (locally with --app: only this stack)')
      .option('--pipeline <id>', 'the pipeline (its construct id) when there are several')
      .option('--dry-run', 'list what would be read and written; read and write nothing else')
      .option('--json', 'print the summary as one JSON object')
      .option('--quiet', 'no progress lines on stderr'))
      .addHelpText('after', [
        '',
        'Examples:',
        '  $ cdk-iot-pipeline replay --app cdk.out --data-dir .iot-local --source processing-failed',
        '  $ cdk-iot-pipeline replay --app cdk.out --data-dir .iot-local --source raw --output-prefix backfill/v2/ --from 2026-03-01T00',
        '  $ cdk-iot-pipeline replay --stack Telemetry --source processing-failed --from 2026-03-04T00 --to 2026-03-04T23',
        '',
        'A second replay of the same hours overwrites the objects the first wrote; it never adds the rows twice.',
      ].join('\n'))
      .action(async (o) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runReplay } = require('../replay/run') as typeof import('../replay/run');
        await runReplay(o, context);
      });
  },
};
