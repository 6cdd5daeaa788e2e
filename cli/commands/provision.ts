/**
 * `cdk-iot-pipeline provision`: onboard a device by fleet provisioning with a claim certificate, as the device would
 * (MQTT 5). The implementation is in `cli/provision/` and loads when the command runs.
 */
import type { CommandModule } from '../command';
import { parseDuration } from '../units';

export const provisionCommand: CommandModule = {
  name: 'provision',
  register(program, context) {
    program
      .command('provision')
      .description('Onboard a device by fleet provisioning with the claim certificate (MQTT 5): create a certificate, register the thing, write <thing>.cert.pem and .key.pem')
      .requiredOption('--endpoint <host:port>', 'the local runner (127.0.0.1:8883) or the account\'s IoT data endpoint; port 8883 unless given')
      .requiredOption('--claim-cert <file>', 'the claim certificate (PEM), e.g. from `local certs --claim <template>`')
      .requiredOption('--claim-key <file>', 'the claim certificate\'s private key (PEM)')
      .option('--ca <file>', 'CA bundle for the broker\'s certificate (default: Node.js\'s trust store, which holds Amazon Root CA 1)')
      .requiredOption('--template <name>', 'the provisioning template')
      .requiredOption('--serial <serial>', 'the device\'s serial number (the template\'s SerialNumber parameter)')
      .option('--param <NAME=VALUE>', 'another template parameter (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
      .option('--csr <file>', 'create the certificate from this certificate signing request: the private key never leaves this machine')
      .option('--csr-key <file>', 'with --csr: the CSR\'s private key, copied next to the certificate as <thing>.key.pem')
      .option('--client-id <id>', 'MQTT client id of the claim connection (default: <template>-<serial>)')
      .option('--timeout <duration>', 'give up waiting for the connection or an answer after this long', '20s')
      .requiredOption('--out <dir>', 'where to write <thing>.cert.pem and <thing>.key.pem')
      .addHelpText('after', [
        '',
        'Example:',
        '  $ cdk-iot-pipeline local certs --claim lathes --out claim/',
        '  $ cdk-iot-pipeline provision --endpoint 127.0.0.1:8883 --claim-cert claim/lathes-claim.cert.pem \\',
        '      --claim-key claim/lathes-claim.key.pem --ca claim/ca.pem --template lathes --serial A1 --out devices/',
        '',
        'Exit code: 0 when the thing is registered, 1 when a request is refused or rejected, 2 for wrong options.',
      ].join('\n'))
      .action(async (o) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runProvision } = require('../provision/run') as typeof import('../provision/run');
        await runProvision({
          endpoint: o.endpoint,
          claimCert: o.claimCert,
          claimKey: o.claimKey,
          ca: o.ca,
          template: o.template,
          serial: o.serial,
          params: o.param,
          csr: o.csr,
          csrKey: o.csrKey,
          out: o.out,
          clientId: o.clientId,
          timeoutMs: parseDuration(o.timeout, '--timeout'),
        }, context);
      });
  },
};
