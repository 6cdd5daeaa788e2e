/**
 * `cdk-iot-pipeline publish`: send test messages over MQTT with mutual TLS, as a device would.
 * The implementation (mqtt.js, the AWS SDK) is in `cli/publish/` and loads when the command runs.
 */
import { Option } from '@commander-js/extra-typings';
import { awsOptionsOf, withAwsOptions } from '../aws/options';
import type { CommandModule } from '../command';
import { progressLines } from '../io';
import { DEFAULT_TEMPLATE, PLACEHOLDERS } from '../publish/template';
import { parseDuration, parseNumber } from '../units';

export const publishCommand: CommandModule = {
  name: 'publish',
  register(program, context) {
    withAwsOptions(program.command('publish')
      .description('Publish test messages over MQTT with mutual TLS, as a device would, and report acknowledgements and latency.')
      .option('--stack <name>', 'read the endpoint (IotDataAtsEndpoint), thing name, topic and certificate secret from this stack\'s outputs')
      .option('--app <dir>', 'local runner: the cloud assembly it runs (cdk.out); warns when no topic rule of it reads --topic')
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
      .addOption(new Option('--qos <qos>', 'MQTT QoS').choices(['0', '1'] as const).default('1' as const))
      .addOption(new Option('--mqtt-version <version>', 'MQTT protocol version').choices(['3.1.1', '5'] as const).default('3.1.1' as const))
      .option('--template <json>', `message template; placeholders ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')} (default '${DEFAULT_TEMPLATE}')`)
      .option('--template-file <file>', 'read the message template from a file')
      .option('--raw <text>', 'send text, not JSON: a template with the same placeholders, e.g. \'temp={{random}};seq={{seq}}\' (a JSON rule drops it: the pipeline needs payload: PayloadFormat.binary())')
      .option('--payload-file <file>', 'send the bytes of this file as every message (at most 128 KB)')
      .option('--cbor', 'encode each JSON message of the template as CBOR')
      .option('--protobuf', 'encode each JSON message of the template as a Protobuf message (needs --descriptor-set and --message-type)')
      .option('--descriptor-set <file>', '--protobuf: the FileDescriptorSet (buf build x.proto -o x.binpb, or protoc --include_imports --descriptor_set_out)')
      .option('--message-type <name>', '--protobuf: the message type, package included (e.g. factory.v1.Telemetry); the template names its fields')
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
        '  $ cdk-iot-pipeline publish --stack Meters --raw \'temp={{random}};seq={{seq}}\'',
        '  $ cdk-iot-pipeline publish --stack Meters --protobuf --descriptor-set telemetry.binpb --message-type factory.v1.Telemetry \\',
        '      --template \'{"device_id": "{{clientId}}", "temperature": {{random}}, "seq": {{seq}}}\'',
        '',
        'Exit code: 0 when every message was acknowledged, 1 otherwise, 2 for wrong options.',
      ].join('\n'))
      .action(async (o) => {
        const options = {
          stack: o.stack,
          app: o.app,
          pipeline: o.pipeline,
          endpoint: o.endpoint,
          cert: o.cert,
          key: o.key,
          ca: o.ca,
          secretId: o.secretId,
          clientId: o.clientId,
          topic: o.topic,
          count: parseNumber(o.count, '--count', 1, 10_000_000, true),
          rate: parseNumber(o.rate, '--rate', 0.001, 100_000),
          qos: o.qos === '0' ? 0 as const : 1 as const,
          mqttVersion: o.mqttVersion === '5' ? 5 as const : 4 as const,
          template: o.template,
          templateFile: o.templateFile,
          raw: o.raw,
          payloadFile: o.payloadFile,
          cbor: o.cbor,
          protobuf: o.protobuf,
          descriptorSet: o.descriptorSet,
          messageType: o.messageType,
          connectTimeoutMs: parseDuration(o.connectTimeout, '--connect-timeout'),
          ackTimeoutMs: parseDuration(o.ackTimeout, '--ack-timeout'),
        };
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runPublish } = require('../publish/run') as typeof import('../publish/run');
        await runPublish(options, awsOptionsOf(o), { json: o.json, progress: progressLines(context.io, o.quiet) }, context);
      });
  },
};
