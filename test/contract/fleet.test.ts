/**
 * The fleet provisioning names of the contract: topics as AWS's fleet provisioning MQTT API spells them, and output ids
 * that tools cannot confuse with a pipeline's.
 */
import {
  acceptedTopic, claimPolicyTopics, claimSubscribeFilters, FLEET_OUTPUT_IDS, fleetRequestTopics, PIPELINE_OUTPUT_IDS, rejectedTopic,
  TABLE_OUTPUT_IDS, TEMPLATE_NAME_PATTERN,
} from '../../src/contract';

describe('fleet provisioning contract', () => {
  test('GIVEN a template name WHEN the request topics are built THEN they are the API\'s topics in that format', () => {
    expect(fleetRequestTopics('lathes')).toEqual({
      createCertificate: '$aws/certificates/create/json',
      createFromCsr: '$aws/certificates/create-from-csr/json',
      provision: '$aws/provisioning-templates/lathes/provision/json',
    });
    expect(fleetRequestTopics('lathes', 'cbor').provision).toBe('$aws/provisioning-templates/lathes/provision/cbor');
    expect(acceptedTopic('$aws/certificates/create/json')).toBe('$aws/certificates/create/json/accepted');
    expect(rejectedTopic('$aws/certificates/create/json')).toBe('$aws/certificates/create/json/rejected');
  });

  test('GIVEN a template name WHEN the claim policy\'s topics are built THEN every request and answer topic is covered, and another template\'s is not', () => {
    const covered = (patterns: string[], topic: string) => patterns.some((p) => new RegExp(`^${p.replace(/[$.]/g, '\\$&').replace(/\*/g, '.*')}$`).test(topic));
    for (const format of ['json', 'cbor'] as const) {
      for (const topic of Object.values(fleetRequestTopics('lathes', format))) {
        expect(covered(claimPolicyTopics('lathes'), topic)).toBe(true);
        expect(covered(claimSubscribeFilters('lathes'), acceptedTopic(topic))).toBe(true);
        expect(covered(claimSubscribeFilters('lathes'), rejectedTopic(topic))).toBe(true);
        expect(covered(claimSubscribeFilters('lathes'), topic)).toBe(false);
      }
    }
    expect(covered(claimPolicyTopics('lathes'), fleetRequestTopics('mills').provision)).toBe(false);
    expect(covered(claimPolicyTopics('lathes'), 'factory/telemetry/lathe-1')).toBe(false);
  });

  test('GIVEN the output ids WHEN compared THEN no fleet output id ends with a pipeline or table output id, nor the other way round', () => {
    const pipelineIds = [...Object.values(PIPELINE_OUTPUT_IDS), ...Object.values(TABLE_OUTPUT_IDS)];
    for (const fleetId of Object.values(FLEET_OUTPUT_IDS)) {
      for (const pipelineId of pipelineIds) {
        expect(fleetId.endsWith(pipelineId) || pipelineId.endsWith(fleetId)).toBe(false);
      }
    }
  });

  test('GIVEN template names WHEN checked THEN 1–36 of [0-9A-Za-z_-] pass and others fail', () => {
    expect(TEMPLATE_NAME_PATTERN.test('lathes_2-a')).toBe(true);
    expect(TEMPLATE_NAME_PATTERN.test('a'.repeat(36))).toBe(true);
    expect(TEMPLATE_NAME_PATTERN.test('a'.repeat(37))).toBe(false);
    expect(TEMPLATE_NAME_PATTERN.test('')).toBe(false);
    expect(TEMPLATE_NAME_PATTERN.test('lathes.v2')).toBe(false);
  });
});
