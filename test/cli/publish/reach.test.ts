/** Whether `publish`'s topic reaches a topic rule (the warning before sending). */
import { unreachedRules } from '../../../cli/publish/reach';

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
