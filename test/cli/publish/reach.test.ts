/** Whether `publish`'s topic reaches a topic rule, and a rule that takes its payload (the warnings before sending). */
import { GetTopicRuleCommand, IoTClient } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClients } from '../../../cli/aws/clients';
import { awsRule, nonJsonPayloadWarning, SamplePayload, unreachedRules } from '../../../cli/publish/reach';
import { binaryRuleSql, defaultRuleSql, protobufRuleSql, rejectedRuleSql } from '../../../src/contract';

const PIPELINE = { name: 'Telemetry_Pipeline', from: 'iot-test-topic/+' };

describe('unreachedRules', () => {
  test('GIVEN the device topic one level below the base WHEN checked THEN no warning', () => {
    expect(unreachedRules('iot-test-topic/dev-1', [PIPELINE])).toBeUndefined();
  });

  test.each(['iot-test-topic', 'iot-test-topic/dev-1/extra', 'other/dev-1'])('GIVEN %s WHEN checked THEN the warning names the topic and each rule\'s filter', (topic) => {
    const warning = unreachedRules(topic, [PIPELINE, { name: 'Other', from: 'plant/#' }]);
    expect(warning).toContain(`no topic rule selects topic ${topic} (Telemetry_Pipeline reads FROM 'iot-test-topic/+'; Other reads FROM 'plant/#')`);
    expect(warning).toContain('land nowhere');
  });

  test('GIVEN a Basic Ingest topic naming the rule WHEN checked THEN its filter is matched without the prefix', () => {
    expect(unreachedRules('$aws/rules/Telemetry_Pipeline/iot-test-topic/dev-1', [PIPELINE])).toBeUndefined();
    expect(unreachedRules('$aws/rules/Elsewhere/iot-test-topic/dev-1', [PIPELINE])).toContain('no topic rule selects');
  });

  test('GIVEN only a disabled rule, or no rules known WHEN checked THEN nothing is claimed', () => {
    expect(unreachedRules('x', [{ ...PIPELINE, disabled: true }])).toBeUndefined();
    expect(unreachedRules('x', [])).toBeUndefined();
  });
});

describe('nonJsonPayloadWarning', () => {
  // The rules the construct synthesizes: the JSON pipeline's rule and its rejected-messages rule, and the binary rules.
  const JSON_RULE = { name: 'Telemetry_Pipeline', from: 'iot-test-topic/+', sql: defaultRuleSql('iot-test-topic') };
  const REJECTED_RULE = { name: 'Telemetry_Rejected', from: 'iot-test-topic/+', sql: rejectedRuleSql('iot-test-topic') };
  const BINARY_RULE = { name: 'Telemetry_Pipeline', from: 'iot-test-topic/+', sql: binaryRuleSql('iot-test-topic') };
  const PROTOBUF_RULE = {
    name: 'Telemetry_Pipeline',
    from: 'iot-test-topic/+',
    sql: protobufRuleSql('iot-test-topic', { bucket: 'schemas', key: 'payload-schemas/t.binpb', protoFile: 'telemetry.proto', messageType: 'Telemetry' }),
  };
  const sample = (kind: SamplePayload['kind'], bytes: Buffer | string): SamplePayload => ({ kind, bytes: Buffer.from(bytes), clientId: 'dev-1' });
  const TEXT = sample('text', 'temp=21.5;seq=1');
  const CBOR = sample('cbor', Buffer.from('a263736571016474656d70f94000', 'hex'));

  test.each([
    ['--raw text', TEXT, 'the --raw text payload is not JSON'],
    ['CBOR', CBOR, 'the CBOR payload is not JSON'],
    ['Protobuf', sample('protobuf', Buffer.from([0x0a, 0x05, 0x64, 0x65, 0x76, 0x2d, 0x31])), 'the Protobuf payload is not JSON'],
    ['file bytes', sample('file', Buffer.from([0x00, 0xff])), 'the --payload-file bytes are not JSON'],
  ])('GIVEN %s into the JSON pipeline (with its rejected-messages rule) WHEN checked THEN the warning names the JSON rule and says to use PayloadFormat.binary()', (_name, payload, what) => {
    // WHEN
    const warning = nonJsonPayloadWarning('iot-test-topic/dev-1', [JSON_RULE, REJECTED_RULE], payload);
    // THEN
    expect(warning).toContain(`${what}, and rule Telemetry_Pipeline (${JSON_RULE.sql}) takes JSON only`);
    expect(warning).not.toContain('Telemetry_Rejected');
    expect(warning).toContain('Deploy the pipeline with `payload: PayloadFormat.binary()`');
  });

  test.each([
    ['the binary rule', BINARY_RULE],
    ['the Protobuf rule', PROTOBUF_RULE],
    ['a rule of * alone (the bytes pass unchanged)', { name: 'Passthrough', from: 'iot-test-topic/+', sql: 'SELECT * FROM \'iot-test-topic/+\'' }],
  ])('GIVEN a non-JSON payload into %s WHEN checked THEN no warning', (_name, rule) => {
    expect(nonJsonPayloadWarning('iot-test-topic/dev-1', [rule], CBOR)).toBeUndefined();
  });

  test('GIVEN JSON samples into the binary pipeline, or a --raw text that is a JSON object into the JSON pipeline THEN no warning', () => {
    expect(nonJsonPayloadWarning('iot-test-topic/dev-1', [BINARY_RULE], sample('json', '{"seq": 1}'))).toBeUndefined();
    expect(nonJsonPayloadWarning('iot-test-topic/dev-1', [JSON_RULE], sample('text', '{"seq": 1}'))).toBeUndefined();
  });

  test('GIVEN a JSON rule that is disabled, reads another topic, or whose SQL is unknown THEN nothing is claimed', () => {
    expect(nonJsonPayloadWarning('iot-test-topic/dev-1', [{ ...JSON_RULE, disabled: true }], TEXT)).toBeUndefined();
    expect(nonJsonPayloadWarning('other/dev-1', [JSON_RULE], TEXT)).toBeUndefined();
    expect(nonJsonPayloadWarning('iot-test-topic/dev-1', [{ name: 'Telemetry_Pipeline', from: 'iot-test-topic/+' }], TEXT)).toBeUndefined();
  });

  test('GIVEN a Basic Ingest topic naming the JSON rule WHEN checked THEN the warning is given', () => {
    expect(nonJsonPayloadWarning('$aws/rules/Telemetry_Pipeline/iot-test-topic/dev-1', [JSON_RULE], TEXT)).toContain('takes JSON only');
  });
});

describe('awsRule', () => {
  const iot = mockClient(IoTClient);
  afterAll(() => iot.restore());

  test('GIVEN the pipeline\'s JSON rule in AWS (GetTopicRule) WHEN a CBOR payload is checked against it THEN the warning names it', async () => {
    // GIVEN
    iot.on(GetTopicRuleCommand, { ruleName: 'Telemetry_Pipeline' }).resolves({ rule: { ruleName: 'Telemetry_Pipeline', sql: defaultRuleSql('iot-test-topic'), ruleDisabled: false } });
    // WHEN
    const rule = await awsRule(new AwsClients({ region: 'eu-west-1' }), 'Telemetry_Pipeline');
    // THEN
    expect(rule).toEqual({ name: 'Telemetry_Pipeline', from: 'iot-test-topic/+', disabled: false, sql: defaultRuleSql('iot-test-topic') });
    expect(nonJsonPayloadWarning('iot-test-topic/dev-1', [rule!], { kind: 'cbor', bytes: Buffer.from([0xa1, 0x61, 0x61, 0x01]), clientId: 'dev-1' }))
      .toContain('the CBOR payload is not JSON, and rule Telemetry_Pipeline');
  });
});
