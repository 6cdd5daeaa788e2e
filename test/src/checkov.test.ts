/**
 * checkov skips (Metadata.checkov.skip): each sits on exactly the kind of resource its check looks at, names a
 * reason, and the README's "checkov skips" tables list it with that reason.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  DeviceCertificate, IotCoreFirehosePipeline, Parser, ParserDelivery, PayloadDecoder, PayloadFormat, PipelineEncryption,
} from '../../src';

/** What each check the library skips looks at. */
const CHECK_TYPES: Record<string, string> = {
  CKV_AWS_18: 'AWS::S3::Bucket',
  CKV_AWS_149: 'AWS::SecretsManager::Secret',
  CKV_AWS_158: 'AWS::Logs::LogGroup',
  CKV_AWS_115: 'AWS::Lambda::Function',
  CKV_AWS_116: 'AWS::Lambda::Function',
  CKV_AWS_117: 'AWS::Lambda::Function',
  CKV_AWS_173: 'AWS::Lambda::Function',
};

function skips(configure: (stack: Stack) => void): Array<{ id: string; comment: string; type: string; logicalId: string }> {
  const app = new App();
  const stack = new Stack(app, 'CheckovStack');
  configure(stack);
  const resources = app.synth().getStackByName(stack.stackName).template.Resources as Record<string, {
    readonly Type: string;
    readonly Metadata?: { readonly checkov?: { readonly skip?: Array<{ readonly id: string; readonly comment: string }> } };
  }>;
  return Object.entries(resources).flatMap(([logicalId, r]) =>
    (r.Metadata?.checkov?.skip ?? []).map((skip) => ({ ...skip, type: r.Type, logicalId })));
}

const VARIANTS: Record<string, (stack: Stack) => void> = {
  'defaults, a replay': (stack) => new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 't' }).addReplay('Replay'),
  'customer-managed key, direct delivery, DESTROY, devices': (stack) => {
    const p = new IotCoreFirehosePipeline(stack, 'Pipeline', {
      topic: 't',
      encryption: PipelineEncryption.customerManaged(),
      parser: Parser.reference({ delivery: ParserDelivery.direct() }),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    p.addDevice('Extra', { certificate: DeviceCertificate.generated() });
    p.addReplay('Replay');
  },
  'binary and Protobuf payloads (the descriptor set bucket and its deployment), the caller\'s buckets': (stack) => {
    new IotCoreFirehosePipeline(stack, 'Cbor', { topic: 'c', payload: PayloadFormat.binary(), parser: Parser.reference({ decoder: PayloadDecoder.cbor() }) });
    new IotCoreFirehosePipeline(stack, 'Proto', {
      topic: 'p',
      payload: PayloadFormat.protobuf({ descriptorSet: join(__dirname, '..', 'fixtures', 'protobuf', 'telemetry.binpb'), messageType: 'factory.v1.Telemetry' }),
      parsedBucket: s3.Bucket.fromBucketName(stack, 'P', 'my-parsed'),
      rawBucket: s3.Bucket.fromBucketName(stack, 'R', 'my-raw'),
      removalPolicy: RemovalPolicy.DESTROY,
    });
  },
  'the caller\'s buckets, no certificate': (stack) => new IotCoreFirehosePipeline(stack, 'Pipeline', {
    topic: 't',
    certificate: DeviceCertificate.none(),
    parsedBucket: s3.Bucket.fromBucketName(stack, 'P', 'my-parsed'),
    rawBucket: s3.Bucket.fromBucketName(stack, 'R', 'my-raw'),
  }),
};

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const section = README.slice(README.indexOf('### checkov skips'));

describe.each(Object.entries(VARIANTS))('checkov skips: %s', (_name, configure) => {
  const found = skips(configure);

  test('GIVEN the synthesized stack THEN there are skips, each on the resource type its check looks at', () => {
    expect(found.length).toBeGreaterThan(0);
    for (const skip of found) {
      expect({ id: skip.id, type: skip.type }).toEqual({ id: skip.id, type: CHECK_TYPES[skip.id] ?? '(a check the README does not explain)' });
    }
  });

  test('GIVEN the synthesized stack THEN every skip has a reason, listed with it in the README', () => {
    for (const skip of found) {
      expect(skip.comment.length).toBeGreaterThan(40);
      expect(section).toContain(`| ${skip.id} |`);
      expect(section).toContain(`| ${skip.comment} |`);
    }
  });
});

test('GIVEN a customer-managed key THEN no encryption finding is skipped on the pipeline\'s own secret, log groups or buckets', () => {
  const found = skips(VARIANTS['customer-managed key, direct delivery, DESTROY, devices']);
  const pipelineOwned = found.filter((s) => s.logicalId.startsWith('Pipeline'));
  expect(pipelineOwned.filter((s) => s.id === 'CKV_AWS_149' || s.id === 'CKV_AWS_158')).toEqual([]);
});
