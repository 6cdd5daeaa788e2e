/**
 * `cdk-iot-pipeline simulate`: a fleet of devices in one process — each with its own certificate (or onboarding itself
 * by fleet provisioning), connecting at a bounded rate with backoff and jitter, publishing at a steady rate — against
 * the local runner or AWS IoT Core. The implementation is in `cli/simulate/` and loads when the command runs.
 */
import { Option } from '@commander-js/extra-typings';
import type { CommandModule } from '../command';
import { UsageError } from '../errors';
import { parseDuration, parseNumber } from '../units';

/** The default ramp: new connections per second (AWS IoT Core limits connect requests per second per account: see the README). */
const DEFAULT_CONNECT_RATE = '100';

export const simulateCommand: CommandModule = {
  name: 'simulate',
  register(program, context) {
    program
      .command('simulate')
      .description('Simulate a fleet: N devices, each with its own certificate, connect (bounded rate, backoff with jitter) and publish; reports connections, acknowledgements, msg/s and publish→PUBACK latency')
      .requiredOption('--endpoint <host[:port]>', 'the local runner (127.0.0.1:8883) or the account\'s iot:Data-ATS endpoint; port 8883 unless given')
      .option('--app <dir>', 'local runner: the cloud assembly it runs (cdk.out); without it the endpoint is AWS IoT Core')
      .option('--stack <name>', 'with --app: only this stack')
      .option('--data-dir <dir>', 'with --app: the runner\'s data dir (its CA, certificate registry) (default: .iot-local)')
      .requiredOption('--devices <n>', 'number of simulated devices')
      .option('--messages <n>', 'messages per device')
      .option('--rate <n>', 'messages per second per device (default 1)')
      .option('--duration <duration>', 'with --rate: publish for this long, e.g. 30s, 5m')
      .option('--payload-template <file>', 'message template file: JSON with {{clientId}} {{seq}} {{now}} {{iso}} {{random}} {{randomInt:MIN:MAX}} {{uuid}}')
      .option('--provision <template>', 'each device onboards itself by fleet provisioning with this template and the claim certificate')
      .option('--fleet <template>', 'with --app, without --provision: issue certificates for the things of this template, under its fleet policy (default: the stack\'s only template)')
      .option('--certs <dir>', 'the devices\' certificates: <thing>.cert.pem + <thing>.key.pem pairs (the thing name is the client id)')
      .option('--claim-cert <file>', 'against AWS with --provision: the claim certificate (PEM)')
      .option('--claim-key <file>', 'against AWS with --provision: the claim certificate\'s private key (PEM)')
      .option('--ca <file>', 'against AWS: CA bundle for the broker\'s certificate (default: Node.js\'s trust store, which holds Amazon Root CA 1)')
      .option('--serial <pattern>', 'the devices\' serial numbers (the template\'s SerialNumber); {{n}} is the device number, 000001…', 'SIM-{{n}}')
      .option('--param <NAME=VALUE>', 'another template parameter for every device (repeatable; required ones not given are "simulated")', (v: string, all: string[]) => [...all, v], [] as string[])
      .option('--topic <pattern>', 'the topic each device publishes to; {{clientId}} is its client id (default with --app: <pipeline topic>/{{clientId}})')
      .addOption(new Option('--qos <qos>', 'MQTT QoS').choices(['0', '1'] as const).default('1' as const))
      .addOption(new Option('--mqtt-version <version>', 'MQTT protocol version').choices(['3', '3.1.1', '5'] as const).default('3' as const))
      .option('--connect-rate <n>', 'new connections per second', DEFAULT_CONNECT_RATE)
      .option('--max-pending <n>', 'connection attempts (and onboardings) under way at once (default 64; 8 with --provision)')
      .option('--max-in-flight <n>', 'unacknowledged messages per device at most', '16')
      .option('--drain-timeout <duration>', 'after the last publish, wait this long for the acknowledgements', '30s')
      .option('--json', 'print the summary as one JSON object on stdout')
      .addHelpText('after', [
        '',
        'Examples:',
        '  $ cdk-iot-pipeline local --app cdk.out --data-dir .iot-local &',
        '  $ cdk-iot-pipeline simulate --app cdk.out --data-dir .iot-local --endpoint 127.0.0.1:8883 \\',
        '      --provision lathes --serial \'LT-{{n}}\' --devices 200 --messages 10',
        '  $ cdk-iot-pipeline simulate --endpoint abc-ats.iot.eu-west-1.amazonaws.com --certs devices/ \\',
        '      --topic \'iot-test-topic/{{clientId}}\' --devices 50 --rate 2 --duration 5m --json',
        '',
        'Exit code: 0 when every device connected and every message was acknowledged, 1 otherwise, 2 for wrong options.',
      ].join('\n'))
      .action(async (o) => {
        const devices = parseNumber(o.devices, '--devices', 1, 1_000_000, true);
        const messages = o.messages === undefined ? undefined : parseNumber(o.messages, '--messages', 1, 10_000_000, true);
        const rate = o.rate === undefined ? undefined : parseNumber(o.rate, '--rate', 0.001, 10_000);
        const durationMs = o.duration === undefined ? undefined : parseDuration(o.duration, '--duration');
        if (durationMs !== undefined && durationMs <= 0) throw new UsageError('--duration must be longer than 0');
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runSimulate } = require('../simulate/run') as typeof import('../simulate/run');
        await runSimulate({
          app: o.app,
          stack: o.stack,
          dataDir: o.dataDir,
          endpoint: o.endpoint,
          provision: o.provision,
          fleet: o.fleet,
          certs: o.certs,
          claimCert: o.claimCert,
          claimKey: o.claimKey,
          ca: o.ca,
          serial: o.serial,
          params: o.param,
          topic: o.topic,
          devices,
          messages,
          rate,
          durationMs,
          payloadTemplate: o.payloadTemplate,
          qos: o.qos === '0' ? 0 : 1,
          mqttVersion: o.mqttVersion === '5' ? 5 : 3,
          connectRate: parseNumber(o.connectRate, '--connect-rate', 0.01, 100_000),
          maxInFlight: parseNumber(o.maxInFlight, '--max-in-flight', 1, 100, true),
          maxPending: o.maxPending === undefined ? undefined : parseNumber(o.maxPending, '--max-pending', 1, 100_000, true),
          drainTimeoutMs: parseDuration(o.drainTimeout, '--drain-timeout'),
          json: o.json,
          live: process.stderr.isTTY === true,
        }, context);
      });
  },
};
