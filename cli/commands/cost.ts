/**
 * `cdk-iot-pipeline cost`: the monthly cost of a pipeline from devices × message rate × payload size.
 * The model and the price table are in `cli/cost/` and load when the command runs.
 */
import type { CommandModule } from '../command';
import { COST_DEFAULTS } from '../cost/defaults';
import { UsageError } from '../errors';
import { parseDuration, parseNumber, parseSize } from '../units';

export const costCommand: CommandModule = {
  name: 'cost',
  register(program, context) {
    program.command('cost')
      .description('Estimate the monthly cost of a pipeline from devices × message rate × payload size (us-east-1 on-demand prices).')
      .requiredOption('--devices <n>', 'number of devices')
      .option('--interval <duration>', 'each device sends one message this often (e.g. 10s, 1m)')
      .option('--rate <n>', 'messages per second per device (instead of --interval)')
      .requiredOption('--payload <size>', 'payload size per message, e.g. 300B, 2KB, 1KiB')
      .option('--topic-bytes <n>', 'length of the topic in bytes (IoT meters payload + topic)', String(COST_DEFAULTS.topicBytes))
      .option('--basic-ingest', 'devices publish with Basic Ingest ($aws/rules/<rule>/...): no messaging charge')
      .option('--backup', 'raw backup of every record to the raw bucket (default)')
      .option('--no-backup', 'no raw backup')
      .option('--parser-memory <MB>', 'parser Lambda memory', String(COST_DEFAULTS.parserMemoryMb))
      .option('--parser-ms-per-batch <ms>', 'parser Lambda billed duration per batch', String(COST_DEFAULTS.parserMsPerBatch))
      .option('--buffer-mb <MiB>', 'Firehose buffer size (processor and S3)', String(COST_DEFAULTS.bufferMb))
      .option('--buffer-seconds <s>', 'Firehose buffer interval (processor and S3)', String(COST_DEFAULTS.bufferSeconds))
      .option('--json', 'print the estimate as JSON')
      .addHelpText('after', [
        '',
        'Example:',
        '  $ cdk-iot-pipeline cost --devices 1000 --interval 10s --payload 300B',
        '',
        'Prices are data in the CLI (cli/cost/prices.ts) with their sources; check the live pricing pages.',
      ].join('\n'))
      .action(async (o) => {
        if ((o.interval === undefined) === (o.rate === undefined)) {
          throw new UsageError('Give exactly one of --interval (e.g. 10s: one message per device every 10 seconds) and --rate (messages per second per device).');
        }
        const inputs = {
          devices: parseNumber(o.devices, '--devices', 1, 1e9, true),
          messagesPerSecondPerDevice: o.interval !== undefined
            ? 1000 / parseDuration(o.interval, '--interval')
            : parseNumber(o.rate ?? '', '--rate', 1e-9, 1e6),
          payloadBytes: parseSize(o.payload, '--payload'),
          topicBytes: parseNumber(o.topicBytes, '--topic-bytes', 1, 256, true),
          basicIngest: o.basicIngest === true,
          backup: o.backup !== false,
          parserMemoryMb: parseNumber(o.parserMemory, '--parser-memory', 128, 10240, true),
          parserMsPerBatch: parseNumber(o.parserMsPerBatch, '--parser-ms-per-batch', 1, 900_000),
          bufferMb: parseNumber(o.bufferMb, '--buffer-mb', 1, 128),
          bufferSeconds: parseNumber(o.bufferSeconds, '--buffer-seconds', 1, 900),
        };
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runCost } = require('../cost/run') as typeof import('../cost/run');
        runCost(inputs, { json: o.json }, context);
      });
  },
};
