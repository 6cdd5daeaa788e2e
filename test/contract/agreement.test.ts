/**
 * The construct, the CLI and the local runner agree on the names in src/contract: the construct is synthesized
 * here, and its real template is fed to the CLI's stack discovery (as CloudFormation would return the outputs and
 * resources of the deployed stack) and to the runner's model (as `cdk-iot-pipeline local` loads cdk.out). A name
 * changed on one side only — an output id, a construct id, the data-endpoint output — fails these tests.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { Output, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { App, CfnResource as CfnConstruct, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { dataEndpointOutput, findPipelines, pipelineResources } from '../../cli/aws/pipeline';
import { loadModel, LocalModel } from '../../local/assembly/model';
import { DeviceCertificate, IotCoreFirehosePipeline } from '../../src';
import { DATA_ENDPOINT_OUTPUT_ID, PIPELINE_OUTPUT_IDS, PipelineOutputName } from '../../src/contract';

type CfnValue = string | { [intrinsic: string]: unknown };
interface CfnResource { Type: string; Properties?: Record<string, unknown> }
interface CfnTemplate { Resources: Record<string, CfnResource>; Outputs: Record<string, { Value: CfnValue; Description?: string }> }

const STACK = 'ContractStack';
let outdir: string;
let template: CfnTemplate;
/** Construct path → logical id of every CloudFormation resource (from the construct tree, not from the template). */
const logicalIds = new Map<string, string>();

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'cdk-iot-contract-'));
  const app = new App({ outdir });
  const stack = new Stack(app, STACK);
  // GIVEN two pipelines in one stack: the default shape (generated certificate), and Basic Ingest without a certificate
  new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'telemetry', monitoring: { alarms: false } });
  new IotCoreFirehosePipeline(stack, 'Ingest', {
    topic: 'plant/line-1', basicIngest: true, certificate: DeviceCertificate.none(), monitoring: { alarms: false },
  });
  app.synth();
  template = Template.fromStack(stack).toJSON() as CfnTemplate;
  for (const construct of stack.node.findAll()) {
    if (construct instanceof CfnConstruct) logicalIds.set(construct.node.path, stack.resolve(construct.logicalId) as string);
  }
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** A deployed stack's value for a template value: each resource's physical id is `<logical id>-physical`. */
function deployed(value: CfnValue): string {
  if (typeof value === 'string') return value;
  if ('Ref' in value) return `${value.Ref as string}-physical`;
  if ('Fn::GetAtt' in value) return (value['Fn::GetAtt'] as string[]).join('-');
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, CfnValue[]];
    return parts.map(deployed).join(separator);
  }
  throw new Error(`no deployed value for ${JSON.stringify(value)}`);
}

/** The logical id of the one resource of a type whose construct path is `<stack>/<path>/...`. */
function resourceAt(path: string, type: string): string {
  const under = (at: string) => at === `${STACK}/${path}` || at.startsWith(`${STACK}/${path}/`);
  const ids = [...logicalIds].filter(([at, id]) => under(at) && template.Resources[id]?.Type === type).map(([, id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0];
}

function stackOutputs(): Output[] {
  return Object.entries(template.Outputs).map(([key, o]) => ({ OutputKey: key, OutputValue: deployed(o.Value), Description: o.Description }));
}

describe('the CLI finds what the construct synthesizes', () => {
  test('GIVEN the stack outputs WHEN the CLI discovers pipelines THEN it finds both, with every output the construct writes', () => {
    const pipelines = findPipelines(stackOutputs());
    expect(pipelines.map((p) => p.prefix).sort()).toEqual(['Ingest', 'Pipeline']);

    const main = pipelines.find((p) => p.prefix === 'Pipeline')!;
    const thing = template.Resources[resourceAt('Pipeline/Device', 'AWS::IoT::Thing')];
    const expected: Record<PipelineOutputName, string> = {
      thingName: thing.Properties!.ThingName as string,
      topic: 'telemetry',
      publishTopic: 'telemetry',
      deliveryStreamName: `${resourceAt('Pipeline', 'AWS::KinesisFirehose::DeliveryStream')}-physical`,
      parsedBucket: `${resourceAt('Pipeline/Storage/ParsedBucket', 'AWS::S3::Bucket')}-physical`,
      rawBucket: `${resourceAt('Pipeline/Storage/RawBucket', 'AWS::S3::Bucket')}-physical`,
      topicRuleName: `${resourceAt('Pipeline/TopicRule', 'AWS::IoT::TopicRule')}-physical`,
      certificateSecretArn: `${resourceAt('Pipeline/Device', 'AWS::SecretsManager::Secret')}-physical`,
    };
    // every name of the contract is found: a renamed output id leaves a hole here
    expect(Object.keys(expected).sort()).toEqual(Object.keys(PIPELINE_OUTPUT_IDS).sort());
    expect(main).toEqual({ prefix: 'Pipeline', ...expected });

    const ingest = pipelines.find((p) => p.prefix === 'Ingest')!;
    expect(ingest.publishTopic).toEqual(`$aws/rules/${resourceAt('Ingest/TopicRule', 'AWS::IoT::TopicRule')}-physical/plant/line-1`);
    expect(ingest.certificateSecretArn).toBeUndefined();
  });

  test('GIVEN the stack outputs WHEN the CLI looks for the data endpoint THEN it finds the one output of the stack', () => {
    expect(Object.keys(template.Outputs).filter((k) => k.startsWith(DATA_ENDPOINT_OUTPUT_ID))).toHaveLength(1);
    expect(dataEndpointOutput(stackOutputs())).toEqual(deployed(template.Outputs[DATA_ENDPOINT_OUTPUT_ID].Value));
  });

  test('GIVEN the stack resources WHEN the CLI assigns them to the pipeline THEN it picks the pipeline\'s own thing, policy, rule, stream and certificate', () => {
    const resources: StackResourceSummary[] = Object.entries(template.Resources).map(([id, r]) => ({
      LogicalResourceId: id, ResourceType: r.Type, PhysicalResourceId: `${id}-physical`, ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date(0),
    }));
    const found = pipelineResources(resources, 'Pipeline', ['Pipeline', 'Ingest']);
    expect(found).toEqual({
      thingName: `${resourceAt('Pipeline/Device', 'AWS::IoT::Thing')}-physical`,
      policyName: `${resourceAt('Pipeline/DevicePolicy', 'AWS::IoT::Policy')}-physical`,
      topicRuleName: `${resourceAt('Pipeline/TopicRule', 'AWS::IoT::TopicRule')}-physical`,
      deliveryStreamName: `${resourceAt('Pipeline', 'AWS::KinesisFirehose::DeliveryStream')}-physical`,
      certificateId: `${resourceAt('Pipeline/Device', 'Custom::IotDeviceCertificate')}-physical`,
      ambiguous: [],
    });
  });
});

describe('the local runner loads what the construct synthesizes, and the CLI finds it there', () => {
  let model: LocalModel;
  beforeAll(() => {
    model = loadModel({ app: outdir });
  });

  test('GIVEN the runner\'s resolved outputs WHEN the CLI discovers pipelines THEN each names a thing, stream, buckets and rule of the runner\'s model', () => {
    const outputs: Output[] = Object.entries(model.outputs)
      .filter(([key]) => key.startsWith(`${STACK}.`))
      .map(([key, value]) => ({ OutputKey: key.slice(STACK.length + 1), OutputValue: value }));
    const pipelines = findPipelines(outputs);
    expect(pipelines.map((p) => p.prefix).sort()).toEqual(['Ingest', 'Pipeline']);
    for (const p of pipelines) {
      expect(model.things.has(p.thingName!)).toBe(true);
      expect(model.streams.has(p.deliveryStreamName!)).toBe(true);
      expect(model.buckets.has(p.parsedBucket!)).toBe(true);
      expect(model.buckets.has(p.rawBucket!)).toBe(true);
      expect(model.rules.map((r) => r.name)).toContain(p.topicRuleName);
      expect(p.topic).toEqual(p.prefix === 'Pipeline' ? 'telemetry' : 'plant/line-1');
    }
  });
});
