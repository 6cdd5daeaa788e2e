import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { resourceOf } from './template';
import { IotCoreFirehosePipeline } from '../../src';

/** The cdk-nag suppressions a resource carries in its template metadata. */
interface NagMetadata {
  readonly rules_to_suppress: Array<{ readonly id: string; readonly reason: string }>;
}

describe('data endpoint lookup', () => {
  test('GIVEN a pipeline WHEN synthesized THEN the AwsCustomResource singleton is found by the id derived from PROVIDER_FUNCTION_UUID and carries the suppressions', () => {
    // GIVEN
    const stack = new Stack(new App(), 'EndpointStack');
    // WHEN
    new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet' });
    // THEN: the singleton is there under the derived id, no "not found" warning, and its nag suppression is on it
    const singleton = stack.node.children.find((child) => child.node.id.startsWith('AWS') && child.node.id.length === 35);
    expect(singleton?.node.id).toEqual(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.split('-').join('')}`);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('singleton function was not found'));
    if (!singleton) throw new Error('the stack has no AwsCustomResource singleton function');
    const nag = resourceOf<unknown>(Template.fromStack(stack), singleton).Metadata?.cdk_nag as NagMetadata | undefined;
    expect(nag?.rules_to_suppress.map((rule) => rule.id)).toContain('AwsSolutions-L1');
  });
});
