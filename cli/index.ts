import { Command, CommanderError, Option } from 'commander';
import { AwsClients } from './aws';
import { registerLocalCommands } from './commands/local';
import { COST_DEFAULTS, estimateCost, formatCostEstimate } from './cost';
import { formatDoctorReport, runDoctor } from './doctor';
import { CliError, UsageError } from './errors';
import { formatPublishReport, publishMessages, resolvePublishSettings } from './publish';
import { PLACEHOLDERS } from './template';
import { parseDuration, parseNumber, parseSize } from './units';

/** Where the CLI writes (replaceable in tests). */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

interface AwsFlags {
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

function addAwsOptions(cmd: Command): Command {
  return cmd
    .option('--region <region>', 'AWS Region (default: AWS_REGION / the profile\'s Region)')
    .option('--profile <profile>', 'AWS shared-config profile (default: AWS_PROFILE)')
    .option('--endpoint-url <url>', 'send every AWS API call to this endpoint (e.g. a local moto server)');
}

function awsClients(o: AwsFlags): AwsClients {
  return new AwsClients({ region: o.region, profile: o.profile, endpointUrl: o.endpointUrl });
}

/** Builds the command tree; `setExitCode` receives each command's result. */
export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command('cdk-iot-pipeline');
  program
    .description('Send test messages to, diagnose, and estimate the cost of an IotCoreFirehosePipeline (cdk-iot-core-firehose-pipeline).')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const progressFor = (quiet?: boolean) => (quiet ? undefined : (line: string) => io.stderr(`… ${line}\n`));

  // --- publish -----------------------------------------------------------------------------------
  addAwsOptions(program.command('publish')
    .description('Publish test messages over MQTT with mutual TLS, as a device would, and report acknowledgements and latency.')
    .option('--stack <name>', 'read the endpoint (IotDataAtsEndpoint), thing name, topic and certificate secret from this stack\'s outputs')
    .option('--pipeline <id>', 'the pipeline\'s construct id (output-id prefix) when the stack holds several')
    .option('--endpoint <host[:port]>', 'MQTT broker; port 8883 unless given (default: the stack output IotDataAtsEndpoint)')
    .option('--cert <file>', 'device certificate (PEM)')
    .option('--key <file>', 'device private key (PEM)')
    .option('--ca <file>', 'CA bundle for the broker\'s certificate (default: Node.js\'s trust store, which holds Amazon Root CA 1)')
    .option('--secret-id <id>', 'Secrets Manager secret of a generated certificate ({certificatePem, privateKey, ...}); default with --stack: the CertificateSecretArn output')
    .option('--client-id <id>', 'MQTT client id (default: the thing name)')
    .option('--topic <topic>', 'topic to publish to (default: <base topic>/<thing name>)')
    .option('--count <n>', 'number of messages', '10')
    .option('--rate <n>', 'messages per second', '1')
    .addOption(new Option('--qos <qos>', 'MQTT QoS').choices(['0', '1']).default('1'))
    .addOption(new Option('--mqtt-version <version>', 'MQTT protocol version').choices(['3.1.1', '5']).default('3.1.1'))
    .option('--template <json>', `message template; placeholders ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')} (default '{"seq": {{seq}}, "ts": {{now}}, "temp": {{random}}}')`)
    .option('--template-file <file>', 'read the message template from a file')
    .option('--connect-timeout <duration>', 'give up connecting after this long', '10s')
    .option('--ack-timeout <duration>', 'a message without PUBACK (QoS 1) after this long counts as failed', '10s')
    .option('--json', 'print the report as JSON')
    .option('--quiet', 'no progress lines on stderr'))
    .addHelpText('after', [
      '',
      'Examples:',
      '  $ cdk-iot-pipeline publish --stack Telemetry --count 100 --rate 10',
      '  $ cdk-iot-pipeline publish --endpoint abc-ats.iot.eu-west-1.amazonaws.com --cert device.pem.crt --key private.pem.key \\',
      '      --client-id my-thing --topic iot-test-topic/my-thing --template \'{"id": "{{uuid}}", "at": "{{iso}}", "v": {{randomInt:1:100}}}\'',
      '',
      'Exit code: 0 when every message was acknowledged, 1 otherwise, 2 for wrong options.',
    ].join('\n'))
    .action(async (o) => {
      const count = parseNumber(o.count, '--count', 1, 10_000_000, true);
      const rate = parseNumber(o.rate, '--rate', 0.001, 100_000);
      const progress = progressFor(o.quiet);
      let clients: AwsClients | undefined;
      try {
        const settings = await resolvePublishSettings({
          stack: o.stack,
          pipeline: o.pipeline,
          endpoint: o.endpoint,
          cert: o.cert,
          key: o.key,
          ca: o.ca,
          secretId: o.secretId,
          clientId: o.clientId,
          topic: o.topic,
          count,
          rate,
          qos: o.qos === '0' ? 0 : 1,
          mqttVersion: o.mqttVersion === '5' ? 5 : 4,
          template: o.template,
          templateFile: o.templateFile,
          connectTimeoutMs: parseDuration(o.connectTimeout, '--connect-timeout') * 1000,
          ackTimeoutMs: parseDuration(o.ackTimeout, '--ack-timeout') * 1000,
        }, () => (clients ??= awsClients(o)), progress);
        const report = await publishMessages(settings);
        io.stdout(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatPublishReport(report)}\n`);
        setExitCode(report.failed === 0 ? 0 : 1);
      } finally {
        clients?.destroy();
      }
    });

  // --- doctor ------------------------------------------------------------------------------------
  addAwsOptions(program.command('doctor')
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
      const windowMinutes = parseDuration(o.since, '--since') / 60;
      const clients = awsClients(o);
      try {
        const report = await runDoctor(clients, {
          stack: o.stack,
          pipeline: o.pipeline,
          clientId: o.clientId,
          windowMinutes,
          progress: progressFor(o.quiet),
        });
        io.stdout(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctorReport(report)}\n`);
        setExitCode(report.summary.fail === 0 ? 0 : 1);
      } finally {
        clients.destroy();
      }
    });

  // --- cost --------------------------------------------------------------------------------------
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
      'Prices are data in the CLI (lambda/cli/prices.ts) with their sources; check the live pricing pages.',
    ].join('\n'))
    .action((o) => {
      if ((o.interval === undefined) === (o.rate === undefined)) {
        throw new UsageError('Give exactly one of --interval (e.g. 10s: one message per device every 10 seconds) and --rate (messages per second per device).');
      }
      const estimate = estimateCost({
        devices: parseNumber(o.devices, '--devices', 1, 1e9, true),
        messagesPerSecondPerDevice: o.interval !== undefined ? 1 / parseDuration(o.interval, '--interval') : parseNumber(o.rate, '--rate', 1e-9, 1e6),
        payloadBytes: parseSize(o.payload, '--payload'),
        topicBytes: parseNumber(o.topicBytes, '--topic-bytes', 1, 256, true),
        basicIngest: o.basicIngest === true,
        backup: o.backup !== false,
        parserMemoryMb: parseNumber(o.parserMemory, '--parser-memory', 128, 10240, true),
        parserMsPerBatch: parseNumber(o.parserMsPerBatch, '--parser-ms-per-batch', 1, 900_000),
        bufferMb: parseNumber(o.bufferMb, '--buffer-mb', 1, 128),
        bufferSeconds: parseNumber(o.bufferSeconds, '--buffer-seconds', 1, 900),
      });
      io.stdout(o.json ? `${JSON.stringify(estimate, null, 2)}\n` : `${formatCostEstimate(estimate)}\n`);
      setExitCode(0);
    });

  // --- local: run a synthesized pipeline on this machine ------------------------------------------
  registerLocalCommands(program);

  return program;
}

/**
 * Runs the CLI with the user's arguments (without `node` and the script) and returns the exit code:
 * 0 success, 1 a failure (FAIL finding, unacknowledged messages, AWS/broker errors), 2 wrong usage.
 */
export async function run(args: string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => { exitCode = code; });
  if (args.length === 0) {
    io.stdout(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2; // commander already printed the message
    }
    if (e instanceof CliError) {
      io.stderr(`error: ${e.message}\n`);
      return e.exitCode;
    }
    io.stderr(`error: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  // The AWS SDK is bundled into the CLI at a fixed version; its notice about future Node.js versions does not apply.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
