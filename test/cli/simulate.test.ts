/**
 * The simulator's parts that need no broker: retry delays, serial numbers and template parameters, the device
 * identities (a certificates folder; certificates issued under the fleet policy, reused by the next run), the default
 * topic, the output, and the usage errors the command reports before it connects anywhere.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { cli } from './support';
import { backoffDelayMs, DEFAULT_BACKOFF } from '../../cli/simulate/backoff';
import { simulate } from '../../cli/simulate/engine';
import type { SimulateSummary } from '../../cli/simulate/engine';
import {
  certsFolderDevices, checkSerialPattern, defaultTopicPattern, deviceParameters, localFleetDevices, parseTemplateParams, serialNumberOf,
  templateRequiredParameters, topicOf,
} from '../../cli/simulate/fleet';
import { formatSummary, progressLine } from '../../cli/simulate/format';
import type { LocalModel, ProvisioningTemplateModel } from '../../local/assembly/model';
import { lookupCertificate } from '../../local/iot/certs';
import type { ProvisioningRecord } from '../../local/iot/provisioning/store';
import { readThing } from '../../local/iot/provisioning/store';
import { cleanup, tempDir } from '../local/helpers';

const TEMPLATE_BODY = JSON.stringify({
  Parameters: { 'SerialNumber': { Type: 'String' }, 'Model': { Type: 'String' }, 'Site': { Type: 'String', Default: 'plant-1' }, 'AWS::IoT::Certificate::Id': { Type: 'String' } },
  Resources: {
    thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { 'Fn::Join': ['', ['lathe-', { Ref: 'SerialNumber' }]] }, AttributePayload: { Model: { Ref: 'Model' } } } },
    certificate: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' } },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'FleetPolicy' } },
  },
});

const TEMPLATE: ProvisioningTemplateModel = {
  name: 'lathes',
  arn: 'arn:aws:iot:eu-west-1:000000000000:provisioningtemplate/lathes',
  stack: 'Plant',
  logicalId: 'PipelineLathesTemplate',
  path: 'Plant/Pipeline/Lathes/Template',
  enabled: true,
  body: TEMPLATE_BODY,
  roleArn: 'arn:aws:iam::000000000000:role/r',
  claimPolicies: [],
};

function model(rules: Array<{ path: string; from: string; firehose?: boolean }> = []): LocalModel {
  return {
    stacks: ['Plant'],
    region: 'eu-west-1',
    account: '000000000000',
    things: new Map(),
    policies: new Map([['FleetPolicy', { name: 'FleetPolicy', path: 'Plant/Pipeline/FleetPolicy', document: { Version: '2012-10-17', Statement: [] } }]]),
    thingPolicies: new Map(),
    rules: rules.map((r) => ({
      name: r.path.replace(/\W/g, '_'),
      stack: 'Plant',
      logicalId: 'Rule',
      path: r.path,
      disabled: false,
      sql: { from: r.from } as LocalModel['rules'][number]['sql'],
      actions: r.firehose === false ? [] : [{ kind: 'firehose', streamName: 's', batchMode: false }],
    })),
    provisioningTemplates: new Map([['lathes', TEMPLATE]]),
    streams: new Map(),
    functions: new Map(),
    buckets: new Map(),
    outputs: {},
    warnings: [],
  } as unknown as LocalModel;
}

describe('backoff with full jitter', () => {
  test('GIVEN retries 1..8 WHEN the jitter is at its top THEN the window doubles from the base and stops at the cap', () => {
    const windows = [1, 2, 3, 4, 5, 6, 7, 8].map((retry) => backoffDelayMs({ baseMs: 500, maxMs: 20_000, maxAttempts: 9 }, retry, () => 1));
    expect(windows).toEqual([500, 1000, 2000, 4000, 8000, 16000, 20000, 20000]);
  });

  test('GIVEN any retry WHEN the jitter is 0 or in between THEN the delay is that share of the window', () => {
    expect(backoffDelayMs(DEFAULT_BACKOFF, 3, () => 0)).toBe(0);
    expect(backoffDelayMs(DEFAULT_BACKOFF, 3, () => 0.25)).toBe(500);
  });
});

describe('serial numbers and template parameters', () => {
  test('GIVEN a pattern WHEN numbering devices THEN {{n}} is the 1-based number in 6 digits', () => {
    expect([0, 1, 41].map((i) => serialNumberOf('LT-{{n}}', i))).toEqual(['LT-000001', 'LT-000002', 'LT-000042']);
  });

  test('GIVEN a pattern without {{n}} THEN it is refused with an example', () => {
    expect(() => checkSerialPattern('LT-1')).toThrow(/has no \{\{n\}\}.*--serial 'LT-\{\{n\}\}'/);
  });

  test('GIVEN --param values THEN NAME=VALUE pairs are read, and a malformed one or a SerialNumber is refused', () => {
    expect(parseTemplateParams(['Model=TX-200', 'Note=a=b'])).toEqual({ Model: 'TX-200', Note: 'a=b' });
    expect(() => parseTemplateParams(['Model'])).toThrow(/is not NAME=VALUE/);
    expect(() => parseTemplateParams(['SerialNumber=1'])).toThrow(/set per device from --serial/);
  });

  test('GIVEN a template with a required parameter not given THEN it is "simulated", a given one wins, one with a Default is left to it', () => {
    expect(deviceParameters('SIM-{{n}}', 2, {}, templateRequiredParameters(TEMPLATE))).toEqual({ Model: 'simulated', SerialNumber: 'SIM-000003' });
    expect(deviceParameters('SIM-{{n}}', 0, { Model: 'TX-200' }, templateRequiredParameters(TEMPLATE))).toEqual({ Model: 'TX-200', SerialNumber: 'SIM-000001' });
  });
});

describe('device identities', () => {
  let dir: string;
  beforeEach(() => { dir = tempDir('simulate-unit'); });
  afterEach(() => cleanup(dir));

  test('GIVEN a folder of certificate pairs THEN devices are the pairs by name, without ca.pem, claims and certificates without a key', () => {
    for (const name of ['b-thing', 'a-thing', 'lathes-claim', 'ca']) {
      writeFileSync(join(dir, `${name}.cert.pem`), `cert of ${name}`);
      writeFileSync(join(dir, `${name}.key.pem`), `key of ${name}`);
    }
    writeFileSync(join(dir, 'no-key.cert.pem'), 'cert');
    expect(certsFolderDevices(dir, 2)).toEqual([
      { clientId: 'a-thing', certPem: 'cert of a-thing', keyPem: 'key of a-thing' },
      { clientId: 'b-thing', certPem: 'cert of b-thing', keyPem: 'key of b-thing' },
    ]);
    expect(() => certsFolderDevices(dir, 3)).toThrow(/has 2 device certificate\(s\).*--devices 3 needs 3/);
    expect(() => certsFolderDevices(join(dir, 'missing'), 1)).toThrow(/does not exist; give a folder of <thing>.cert.pem and <thing>.key.pem pairs/);
  });

  test('GIVEN the fleet template WHEN issuing local devices THEN each thing exists, its certificate is ACTIVE under the fleet policy, and a second run reuses it', () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const first = localFleetDevices({ model: model(), dataDir, template: TEMPLATE, count: 2, params: { Model: 'TX-200' } });
    expect(first.map((d) => d.clientId)).toEqual(['lathe-SIM-000001', 'lathe-SIM-000002']);
    const { X509Certificate, createHash } = jest.requireActual<typeof import('crypto')>('crypto');
    const fingerprint = createHash('sha256').update(new X509Certificate(first[0].certPem).raw).digest('hex');
    const record = lookupCertificate(dataDir, fingerprint) as ProvisioningRecord;
    expect(record).toMatchObject({ thing: 'lathe-SIM-000001', status: 'ACTIVE', policies: ['FleetPolicy'] });
    expect(readThing(dataDir, 'lathe-SIM-000001')).toMatchObject({ name: 'lathe-SIM-000001', attributes: { Model: 'TX-200' }, template: 'lathes', certificates: [fingerprint] });
    let issued = 0;
    const second = localFleetDevices({ model: model(), dataDir, template: TEMPLATE, count: 3, params: { Model: 'TX-200' }, onIssued: () => { issued++; } });
    expect(second.slice(0, 2)).toEqual(first);
    expect(issued).toBe(1);
    expect(readFileSync(join(dataDir, 'simulate', 'devices', 'lathe-SIM-000003.cert.pem'), 'utf8')).toBe(second[2].certPem);
  });
});

describe('the default topic', () => {
  test('GIVEN the template\'s pipeline rule FROM \'<base>/+\' THEN devices publish to <base>/<client id>; another pipeline\'s rule is not it', () => {
    const m = model([{ path: 'Plant/Pipeline/TopicRule', from: 'factory/telemetry/+' }, { path: 'Plant/Other/TopicRule', from: 'other/+' }]);
    expect(defaultTopicPattern(m, TEMPLATE)).toBe('factory/telemetry/{{clientId}}');
    expect(topicOf(defaultTopicPattern(m, TEMPLATE), 'lathe-SIM-000001')).toBe('factory/telemetry/lathe-SIM-000001');
    expect(() => defaultTopicPattern(m)).toThrow(/several pipelines \(factory\/telemetry, other\); give --topic/);
    expect(() => defaultTopicPattern(model([{ path: 'Plant/Pipeline/Rejected', from: 'factory/telemetry/+', firehose: false }]))).toThrow(/no pipeline topic rule/);
  });
});

describe('output', () => {
  const summary: SimulateSummary = {
    devices: 3,
    connected: 1,
    connectFailures: 2,
    connectRetries: 4,
    disconnects: 0,
    sent: 10,
    acknowledged: 9,
    failed: 1,
    durationMs: 5000,
    connectStormMs: 1500,
    publishMs: 2000,
    msgPerSec: 4.5,
    pubackP50Ms: 3.21,
    pubackP99Ms: 150.4,
    pubackMaxMs: 151,
    errors: [
      { device: 'device #2', phase: 'provision', message: 'serial SIM-000002: rejected' },
      { device: 'device #3', phase: 'provision', message: 'serial SIM-000003: rejected' },
      { device: 'lathe-1', phase: 'publish', message: '1 message(s): the connection closed before the acknowledgement' },
    ],
    errorCount: 3,
  };

  test('GIVEN a summary THEN the text has the counts, both phases and the latency, and alike errors once with their number', () => {
    const text = formatSummary(summary, { qos: 1, endpoint: '127.0.0.1:8883' });
    expect(text).toContain('devices           3: 1 connected, 2 could not connect (4 retries, 0 lost while publishing)');
    expect(text).toContain('connect storm     1.50 s');
    expect(text).toContain('messages          10 sent, 9 acknowledged (PUBACK), 1 failed');
    expect(text).toContain('publish→PUBACK    p50 3.2 ms, p99 150 ms, max 151 ms');
    expect(text).toContain('  2× e.g. device #2 provision: rejected');
    expect(text).toContain('  lathe-1 publish: 1 message(s)');
  });

  test('GIVEN QoS 0 THEN the summary says there is no acknowledgement and shows no PUBACK latency', () => {
    const text = formatSummary({ ...summary, pubackP50Ms: undefined, pubackP99Ms: undefined }, { qos: 0, endpoint: 'e' });
    expect(text).toContain('written (QoS 0: no acknowledgement)');
    expect(text).not.toContain('PUBACK');
  });

  test('GIVEN progress THEN one line with phase, connections, messages, rate and latency', () => {
    expect(progressLine({
      phase: 'publishing',
      elapsedMs: 12_400,
      devices: 200,
      connected: 198,
      connectFailures: 2,
      connectRetries: 5,
      sent: 1000,
      acknowledged: 990,
      failed: 0,
      msgPerSec: 201.6,
      pubackP50Ms: 4.44,
      pubackP99Ms: undefined,
    })).toBe('[12s publishing] connected 198/200 (2 failed) retries 5  sent 1000  acked 990  failed 0  202 msg/s  PUBACK p50 4.4 ms p99 -');
  });
});

describe('options refused before connecting', () => {
  test.each([
    [['--devices', '2'], /--messages M \(per device\), or --rate R --duration D/],
    [['--devices', '2', '--messages', '1', '--serial', 'LT-1'], /--serial "LT-1" has no \{\{n\}\}/],
    [['--devices', '2', '--duration', '10s'], /--duration goes with --rate/],
    [['--devices', '0', '--messages', '1'], /--devices must be between 1/],
    [['--devices', '1', '--messages', '1', '--payload-template', '/nonexistent/t.json'], /--payload-template \/nonexistent\/t.json does not exist/],
    [['--devices', '1', '--messages', '1', '--certs', '/nonexistent'], /--topic is needed without --app/],
  ])('GIVEN %j THEN exit 2 with what to change', async (args, message) => {
    const { code, err } = await cli('simulate', '--endpoint', '127.0.0.1:1', ...args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  test('GIVEN a payload template file that does not render to JSON THEN exit 2 naming the file and how to quote placeholders', async () => {
    const dir = tempDir('simulate-template');
    try {
      writeFileSync(join(dir, 't.json'), '{"device": {{clientId}}, "seq": {{seq}}}');
      const { code, err } = await cli('simulate', '--endpoint', '127.0.0.1:1', '--devices', '1', '--messages', '1', '--payload-template', join(dir, 't.json'));
      expect(code).toBe(2);
      expect(err).toMatch(/--payload-template .*t\.json: The message template does not render to JSON/);
      expect(err).toContain('inside double quotes');
    } finally {
      cleanup(dir);
    }
  });

  test('GIVEN invalid engine options THEN simulate() rejects saying which', async () => {
    const base = { host: '127.0.0.1', port: 1, topic: () => 't', payload: () => '{}', qos: 1 as const, mqttVersion: 3 as const, connectRate: 10 };
    await expect(simulate({ ...base, devices: [], ratePerDevice: 1, messagesPerDevice: 1 })).rejects.toThrow(/at least one device/);
    const devices = [{ clientId: 'a', certPem: '', keyPem: '' }];
    await expect(simulate({ ...base, devices, ratePerDevice: 1 })).rejects.toThrow(/messagesPerDevice or durationMs/);
    await expect(simulate({ ...base, devices, ratePerDevice: 0, messagesPerDevice: 1 })).rejects.toThrow(/ratePerDevice must be > 0/);
  });
});
