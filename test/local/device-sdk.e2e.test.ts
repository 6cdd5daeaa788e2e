/**
 * The client real devices use, against the local runner: the AWS IoT Device SDK v2 for Python (awsiotsdk, on the
 * AWS Common Runtime) from the project's venv publishes over mutual TLS with a certificate from `local certs` — MQTT
 * 3.1.1, MQTT 5 (user properties, content type) and MQTT 3.1.1 with ALPN x-amzn-mqtt-ca as on port 443 — and the
 * messages land in the raw and parsed bucket folders; a rule using IoT SQL functions and MQTT 5 properties gives the
 * reference's results; a REVOKED certificate cannot connect.
 */
import { execFile } from 'child_process';
import { createHash } from 'crypto';
import { join } from 'path';
import { promisify } from 'util';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { readJsonLines, useExampleRunner, useRunner } from './helpers';
import type { IssuedCertificate } from '../../local/iot/certs';
import { setCertificateStatus } from '../../local/iot/registry';
import { IotCoreFirehosePipeline } from '../../src';
import { venvTool } from '../support/venv';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(180_000);

const run = promisify(execFile);
const SCRIPT = join(__dirname, 'device-sdk', 'publish.py');

interface SdkEvent {
  readonly event: string;
  readonly seq?: number;
  readonly acked?: number;
  readonly message?: string;
  readonly reason_code?: number;
}

/** Runs the SDK publisher; resolves with its events (it prints one JSON object per line). */
async function devicePublish(
  port: number, cert: IssuedCertificate, clientId: string, topic: string, count: number, tag: string, extra: string[] = [],
): Promise<SdkEvent[]> {
  const { stdout } = await run(venvTool('python'), [
    SCRIPT, '--endpoint', 'localhost', '--port', String(port), '--cert', cert.certPath, '--key', cert.keyPath, '--ca', cert.caPath,
    '--client-id', clientId, '--topic', topic, '--count', String(count), '--tag', tag, ...extra,
  ], { timeout: 60_000 });
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as SdkEvent);
}

describe('the AWS IoT Device SDK v2 (MQTT 3.1.1 and MQTT 5) against the local runner', () => {
  const t = useExampleRunner('device-sdk');

  async function delivered(tag: string): Promise<{ raw: Array<Record<string, unknown>>; parsed: Array<Record<string, unknown>> }> {
    await t.runner.flush();
    const stream = [...t.runner.model.streams.values()][0];
    return {
      raw: readJsonLines(join(t.dataDir, 's3', stream.backup!.bucket.folder), 'raw/').filter((r) => r.via === tag),
      parsed: readJsonLines(join(t.dataDir, 's3', stream.destination.bucket.folder), 'parsed/').filter((r) => r.via === tag),
    };
  }

  test.each<[string, string[], Record<string, unknown>]>([
    ['MQTT 3.1.1', [], { event: 'connected', protocol: '3.1.1', alpn: false }],
    ['MQTT 5', ['--mqtt-version', '5', '--user-property', 'tenant', 'acme', '--content-type', 'application/json'], { event: 'connected', protocol: '5' }],
    ['MQTT 3.1.1 with ALPN x-amzn-mqtt-ca (as on port 443)', ['--alpn'], { event: 'connected', protocol: '3.1.1', alpn: true }],
  ])('GIVEN a certificate from `local certs` WHEN the SDK publishes 25 messages at QoS 1 over %s THEN all are acknowledged and land raw and parsed', async (name, extra, connected) => {
    const tag = `device-sdk-${name.replace(/\W+/g, '-')}`;
    const events = await devicePublish(t.runner.port, t.cert, t.thing, 'iot-test-topic/sdk-device', 25, tag, extra);
    expect(events[0]).toEqual(connected);
    expect(events.filter((e) => e.event === 'puback').map((e) => e.seq)).toEqual([...Array(25).keys()]);
    if (extra.includes('5')) expect(events.filter((e) => e.event === 'puback').every((e) => e.reason_code === 0)).toBe(true);
    expect(events[events.length - 1]).toEqual({ event: 'done', acked: 25 });

    const { raw, parsed } = await delivered(tag);
    expect(raw.map((r) => r.seq).sort((a, b) => Number(a) - Number(b))).toEqual([...Array(25).keys()]);
    expect(parsed).toHaveLength(25);
    expect(parsed[0]).toEqual({ topic: 'iot-test-topic/sdk-device', via: tag, seq: expect.any(Number), device: 'sdk-device', arrival_timestamp: expect.any(Number) });
  });

  test('GIVEN the thing\'s certificate WHEN the SDK connects with another client id THEN the connection is refused and nothing is published', async () => {
    await expect(devicePublish(t.runner.port, t.cert, 'not-the-thing', 'iot-test-topic/x', 1, 'refused')).rejects.toMatchObject({
      stdout: expect.stringMatching(/"event": "error"/),
    });
    expect(t.logs.join('\n')).toMatch(/connect denied for client id "not-the-thing"/);
  });

  test('GIVEN MQTT 5 and a client id the policy refuses WHEN the SDK connects THEN CONNACK 0x87 Not authorized', async () => {
    const failed = await devicePublish(t.runner.port, t.cert, 'not-the-thing', 'iot-test-topic/x', 1, 'refused-5', ['--mqtt-version', '5']).catch((e: { stdout: string }) => e.stdout);
    expect(failed).toMatch(/reason_code\W+135\b/); // CONNACK 0x87 Not authorized
  });
});

describe('a rule with IoT SQL functions and MQTT 5 properties, fed by the SDK', () => {
  const THING = 'sql-device';
  const SQL = 'SELECT topic(2) AS device, via, seq, substring(serial, 2) AS serialTail, md5(serial) AS serialHash, cast(temp AS Int) AS tempInt, '
    + 'get_or_default(site, \'unknown\') AS site, CASE status WHEN \'ok\' THEN \'green\' WHEN \'warn\' THEN \'amber\' ELSE \'red\' END AS light, '
    + 'get_user_properties(\'tenant\') AS tenant, get_mqtt_property(\'content_type\') AS contentType, get_mqtt_property(\'format_indicator\') AS format '
    + 'FROM \'sql-topic/+\'';
  const t = useRunner({
    name: 'device-sdk-sql',
    app: (dir) => {
      const app = new App({ outdir: join(dir, 'cdk.out') });
      const stack = new Stack(app, 'SqlRule');
      new IotCoreFirehosePipeline(stack, 'Pipeline', {
        topic: 'sql-topic', thingName: THING, sql: SQL, monitoring: { alarms: false }, removalPolicy: RemovalPolicy.DESTROY,
      });
      return app.synth().directory;
    },
    things: () => [THING],
  });

  test('GIVEN MQTT 5 with a user property, content type and UTF-8 indicator WHEN published THEN the rule output has the reference\'s results', async () => {
    const extra = ['--extra', JSON.stringify({ serial: '012345', temp: 21.7, status: 'warn' })];
    const v5 = await devicePublish(t.runner.port, t.cert, THING, 'sql-topic/sensor-7', 2, 'sql-5',
      ['--mqtt-version', '5', '--user-property', 'tenant', 'acme', '--content-type', 'application/json', '--utf8', ...extra]);
    expect(v5[v5.length - 1]).toEqual({ event: 'done', acked: 2 });
    const v311 = await devicePublish(t.runner.port, t.cert, THING, 'sql-topic/sensor-8', 1, 'sql-311', extra);
    expect(v311[v311.length - 1]).toEqual({ event: 'done', acked: 1 });

    await t.runner.flush();
    const stream = [...t.runner.model.streams.values()][0];
    const raw = readJsonLines(join(t.dataDir, 's3', stream.backup!.bucket.folder), 'raw/');
    const common = {
      serialTail: '2345', // substring("012345", 2), the reference's example
      serialHash: createHash('md5').update('012345').digest('hex'),
      tempInt: 21, // cast(21.7 AS Int): rounded down
      site: 'unknown', // get_or_default of a missing field
      light: 'amber', // CASE status WHEN 'warn' THEN 'amber'
    };
    expect(raw.filter((r) => r.via === 'sql-5').sort((a, b) => Number(a.seq) - Number(b.seq))).toEqual([0, 1].map((seq) => ({
      device: 'sensor-7', via: 'sql-5', seq, ...common, tenant: ['acme'], contentType: 'application/json', format: 'UTF8_DATA',
    })));
    // MQTT 3.1.1 has no properties: those items are Undefined and left out
    expect(raw.filter((r) => r.via === 'sql-311')).toEqual([{ device: 'sensor-8', via: 'sql-311', seq: 0, ...common }]);
  });

  test('GIVEN the certificate set REVOKED WHEN the SDK connects over MQTT 5 and 3.1.1 THEN both are refused (CONNACK 0x87 / 5)', async () => {
    setCertificateStatus(t.dataDir, { thing: THING }, 'REVOKED');
    const v5 = await devicePublish(t.runner.port, t.cert, THING, 'sql-topic/x', 1, 'revoked-5', ['--mqtt-version', '5']).catch((e: { stdout: string }) => e.stdout);
    expect(v5).toMatch(/reason_code\W+135\b/); // CONNACK 0x87 Not authorized
    await expect(devicePublish(t.runner.port, t.cert, THING, 'sql-topic/x', 1, 'revoked-311')).rejects.toMatchObject({ stdout: expect.stringMatching(/"event": "error"/) });
    expect(t.logs.join('\n')).toMatch(/connect denied for client id "sql-device": the certificate [0-9a-f]{64} of thing "sql-device" is REVOKED/);
  });
});
