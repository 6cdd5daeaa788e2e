import { CliError } from '../../../cli/errors';
import { explainConnectError } from '../../../cli/publish/mqtt';

describe('explainConnectError', () => {
  const s = { host: 'abc-ats.iot.eu-west-1.amazonaws.com', port: 8883, clientId: 'dev-1', stackName: 'Telemetry' };
  const err = (message: string, code?: string | number) => Object.assign(new Error(message), code === undefined ? {} : { code });
  test.each([
    ['refused', err('connect ECONNREFUSED', 'ECONNREFUSED'), 'nothing listens there'],
    ['unknown host', err('getaddrinfo ENOTFOUND', 'ENOTFOUND'), 'Cannot resolve abc-ats.iot.eu-west-1.amazonaws.com'],
    ['untrusted server, no --ca', err('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), 'Without --ca, Node.js\'s default trust store is used'],
    ['wrong host name', err('Hostname/IP does not match', 'ERR_TLS_CERT_ALTNAME_INVALID'), 'does not fit abc-ats.iot.eu-west-1.amazonaws.com'],
    ['client certificate refused', err('C0:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:rec_layer_s3.c:1601:SSL alert number 48\n', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'),
      'refused the TLS connection with this client certificate (TLS alert "unknown ca")'],
    ['reset during handshake', err('read ECONNRESET', 'ECONNRESET'), 'run `cdk-iot-pipeline doctor --stack Telemetry`'],
    ['CONNACK refusal', err('Connection refused: Not authorized', 5), 'CONNACK code 5'],
  ])('GIVEN %s THEN the message says %j', (_name, e, text) => {
    // WHEN
    const explained = explainConnectError(e, s);
    // THEN
    expect(explained).toBeInstanceOf(CliError);
    expect(explained.message).toContain(text);
  });

  test('GIVEN an untrusted server and --ca THEN the message points at --ca', () => {
    expect(explainConnectError(err('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), { ...s, ca: 'x' }).message)
      .toContain('Check that --ca holds the CA that issued the broker\'s certificate');
  });
});
