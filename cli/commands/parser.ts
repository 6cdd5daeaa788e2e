/**
 * `cdk-iot-pipeline parser test`: run a parser over sample messages as Firehose would batch them, with the local
 * runner's Lambda runtimes, and show what it answers per record. The runner loads when the command runs
 * (`cli/parser/run.ts`).
 */
import type { CommandModule } from '../command';

export const parserCommand: CommandModule = {
  name: 'parser',
  register(program, context) {
    const parser = program
      .command('parser')
      .description('Work on a parser without the whole runner: `parser test` runs it over sample messages');
    parser
      .command('test')
      .description('Run a parser over sample messages, batched as Firehose batches them, and print Ok / Dropped / Failed per record with the reason and the output')
      .argument('[entry]', 'the parser: a .ts file (bundled with esbuild), a .js file, or a folder with a Python handler module')
      .option('--handler <name>', 'folder: <module>.<function> (default index.handler); file: the exported function (default handler)')
      .option('--app <dir>', 'instead of an entry: run the parser of a synthesized pipeline from this cloud assembly (cdk.out)')
      .option('--stack <name>', 'with --app: only this stack')
      .option('--pipeline <id>', 'with --app: the pipeline\'s construct id (or <stack>/<id>) when the assembly holds several')
      .requiredOption('--input <file>', 'the samples: one message a line (JSON Lines or text), or - for stdin')
      .option('--topic <topic>', 'with --app: the messages are device payloads published to this topic, run through the pipeline\'s topic rule (its SQL) first')
      .option('--events', 'the input holds raw Firehose transformation events ({"records":[{"recordId","data"}]}), invoked as they are')
      .option('--buffer-size <MiB>', 'entry: the processor buffer size that batches the messages (default 1, as the construct sets it)')
      .option('--json', 'print the report as JSON')
      .option('--expect-ok', 'exit 1 when a record failed')
      .addHelpText('after', [
        '',
        'Each message becomes one Firehose record (the message and the topic rule\'s "\\n" separator), as the rule hands it',
        'to Firehose: with the construct\'s SQL that is the payload plus its "topic". With --app and --topic, the messages are',
        'the devices\' payloads and the pipeline\'s rule builds the records (a message it does not forward is Skipped, with why).',
        'The handler\'s log lines are read for the reason of each failed record (the parser toolkit logs them).',
        '',
        'Examples:',
        '  $ cdk-iot-pipeline parser test parsers/customer-a/index.ts --input samples.jsonl',
        '  $ cdk-iot-pipeline parser test parsers/customer_b --handler index.handler --input samples.jsonl --json',
        '  $ cdk-iot-pipeline parser test --app cdk.out --pipeline CustomerA --input samples.jsonl --expect-ok',
        '  $ cdk-iot-pipeline parser test --app cdk.out --pipeline CustomerA --topic customer-a/telemetry/pump-1 --input payloads.jsonl',
      ].join('\n'))
      .action(async (entry, o) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runParserTest } = require('../parser/run') as typeof import('../parser/run');
        await runParserTest({ ...o, entry }, context);
      });
  },
};
