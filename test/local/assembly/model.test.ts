import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { AssemblyError, readAssembly, Resolver } from '../../../local/assembly/cloud-assembly';
import { loadModel } from '../../../local/assembly/model';
import { stageFunctionCode } from '../../../local/lambda/runtime';
import { PROCESSOR_DEFAULTS } from '../../../src/contract';
import { synthExampleStack } from '../fixture-app';
import { cleanup, exampleThing, tempDir } from '../helpers';

/** Writes a one-stack assembly with the given resources. */
function assembly(dir: string, resources: object, extra: { environment?: string; parameters?: object } = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
    version: '48.0.0',
    artifacts: {
      Mini: { type: 'aws:cloudformation:stack', environment: extra.environment ?? 'aws://unknown-account/unknown-region', properties: { templateFile: 'Mini.template.json' } },
    },
  }));
  writeFileSync(join(dir, 'Mini.template.json'), JSON.stringify({ Resources: resources, Parameters: extra.parameters }));
  return dir;
}

/** Writes a one-stack assembly with the given resources and expects loading it to fail with an AssemblyError. */
function expectAssemblyError(app: string, resources: object, message: RegExp): void {
  assembly(app, resources);
  expect(() => loadModel({ app })).toThrow(AssemblyError);
  expect(() => loadModel({ app })).toThrow(message);
}

const RULE = (sql: string) => ({
  Type: 'AWS::IoT::TopicRule',
  Properties: { TopicRulePayload: { Sql: sql, AwsIotSqlVersion: '2016-03-23', Actions: [] } },
  Metadata: { 'aws:cdk:path': 'Mini/Pipeline/TopicRule' },
});

describe('reading a synthesized pipeline (the example app\'s first stack, synthesized in this process)', () => {
  let scratch: string;
  let app: string;
  beforeAll(() => {
    scratch = tempDir('model');
    app = synthExampleStack(join(scratch, 'cdk.out'));
  });
  afterAll(() => cleanup(scratch));

  test('GIVEN the assembly WHEN loaded THEN thing, policy attachment, rule, stream, processor and parser asset are resolved', () => {
    const m = loadModel({ app, stack: 'IotTelemetryExample' });
    const thing = exampleThing(app);

    expect(m.stacks).toEqual(['IotTelemetryExample']);
    expect(m.region).toBe('us-east-1');
    expect([...m.things.keys()]).toEqual([thing]);
    expect(m.thingPolicies.get(thing)).toEqual([expect.stringMatching(/^PipelineDevicePolicy/)]);

    // The topic rule, and the rejected-messages rule (payloads with their own "topic" → the raw bucket).
    expect(m.rules.map((r) => r.path)).toEqual(['IotTelemetryExample/Pipeline/TopicRule', 'IotTelemetryExample/Pipeline/RejectedMessagesRule']);
    const rule = m.rules[0];
    expect(rule.sql.sql).toBe('SELECT topic() as topic, * FROM \'iot-test-topic/+\' WHERE isUndefined(topic)');
    expect(rule.sql.from).toBe('iot-test-topic/+');
    expect(rule.path).toBe('IotTelemetryExample/Pipeline/TopicRule');
    expect(rule.actions).toEqual([{ kind: 'firehose', streamName: expect.stringMatching(/^PipelineDeliveryStream/), separator: '\n', batchMode: false }]);
    expect(rule.errorAction).toMatchObject({ kind: 's3', bucket: { folder: expect.stringMatching(/^PipelineStorageRawBucket/) } });

    const stream = m.streams.get((rule.actions[0] as { streamName: string }).streamName)!;
    expect(stream.destination.bucket.folder).toMatch(/^PipelineStorageParsedBucket/);
    expect(stream.destination.buffering).toEqual({ intervalMs: 60000, sizeBytes: 1024 * 1024 });
    expect(stream.destination.compression).toBe('GZIP');
    expect(stream.destination.extension).toBe('.json.gz');
    expect(stream.destination.prefix.source).toBe('parsed/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/');
    expect(stream.destination.errorPrefix.usesErrorOutputType).toBe(true);
    expect(stream.backup).toMatchObject({ bucket: { folder: expect.stringMatching(/^PipelineStorageRawBucket/) }, compression: 'GZIP', extension: '.gz' });
    expect(stream.processor).toMatchObject({ retries: 3, bufferSizeBytes: 1024 * 1024, bufferIntervalMs: 60000 });
    expect(stream.processor!.functionArn).toMatch(/^arn:aws:lambda:us-east-1:000000000000:function:PipelineParserFunction/);

    const fn = m.functions.get(stream.processor!.functionArn)!;
    expect(fn.handler).toBe('index.handler');
    expect(fn.runtime).toMatch(/^nodejs/);
    expect(existsSync(join(fn.codeDir, 'index.js'))).toBe(true);
    expect(fn.environment.PARSER_FORMAT).toBe('jsonl');
  });

  test('GIVEN --buffer-interval WHEN loaded THEN every interval (destination, backup, processor) is overridden', () => {
    const m = loadModel({ app, bufferIntervalMs: 2000 });
    const stream = [...m.streams.values()][0];
    expect(stream.destination.buffering.intervalMs).toBe(2000);
    expect(stream.backup!.buffering.intervalMs).toBe(2000);
    expect(stream.processor!.bufferIntervalMs).toBe(2000);
  });
});

describe('intrinsics', () => {
  let dir: string;
  afterEach(() => cleanup(dir));

  test('GIVEN Ref, GetAtt, Join, Sub, Select, Split WHEN resolved THEN local names, ARNs with account 000000000000 and the stack region', () => {
    dir = tempDir('intrinsics');
    assembly(dir, {
      Bucket: { Type: 'AWS::S3::Bucket' },
      Named: { Type: 'AWS::S3::Bucket', Properties: { BucketName: { 'Fn::Join': ['-', ['my', { Ref: 'AWS::Region' }]] } } },
      Stream: { Type: 'AWS::KinesisFirehose::DeliveryStream' },
      Thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: 'sensor-1' } },
    }, { environment: 'aws://123456789012/eu-central-1', parameters: { Env: { Type: 'String', Default: 'dev' } } });
    const [stack] = readAssembly(dir);
    const r = new Resolver(stack);
    expect(r.resolve({ Ref: 'Bucket' })).toBe('Bucket');
    expect(r.resolve({ Ref: 'Named' })).toBe('my-eu-central-1');
    expect(r.resolve({ 'Fn::GetAtt': ['Bucket', 'Arn'] })).toBe('arn:aws:s3:::Bucket');
    expect(r.resolve({ 'Fn::GetAtt': 'Stream.Arn' })).toBe('arn:aws:firehose:eu-central-1:000000000000:deliverystream/Stream');
    expect(r.resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:client/${Thing}-${Env}-${!Literal}' }))
      .toBe('arn:aws:iot:eu-central-1:000000000000:client/sensor-1-dev-${Literal}');
    expect(r.resolve({ 'Fn::Sub': ['${A}/${Stream.Arn}', { A: { Ref: 'AWS::StackName' } }] })).toBe('Mini/arn:aws:firehose:eu-central-1:000000000000:deliverystream/Stream');
    expect(r.resolve({ 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] })).toBe('b');
    expect(r.resolve({ List: [{ Ref: 'AWS::NoValue' }, 'x'] })).toEqual({ List: ['x'] });
    expect(() => r.resolve({ 'Fn::ImportValue': 'x' })).toThrow(/not resolved by the local runner/);
    expect(() => r.resolve({ Ref: 'Nope' })).toThrow(/not in stack/);
  });
});

describe('defaults of a template that leaves parameters out', () => {
  let dir: string;
  afterEach(() => cleanup(dir));

  test('GIVEN a Lambda processor without parameters and a destination without hints WHEN loaded THEN the processor defaults of the contract and Firehose\'s S3 defaults', () => {
    dir = tempDir('defaults');
    assembly(join(dir, 'cdk.out'), {
      B: { Type: 'AWS::S3::Bucket' },
      F: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: 'exports.handler = async () => ({ records: [] });' } } },
      S: {
        Type: 'AWS::KinesisFirehose::DeliveryStream',
        Properties: {
          ExtendedS3DestinationConfiguration: {
            BucketARN: { 'Fn::GetAtt': ['B', 'Arn'] },
            ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: { 'Fn::GetAtt': ['F', 'Arn'] } }] }] },
          },
        },
      },
    });
    const stream = loadModel({ app: join(dir, 'cdk.out') }).streams.get('S')!;
    expect(stream.processor).toMatchObject({
      bufferSizeBytes: PROCESSOR_DEFAULTS.bufferSizeMiB * 1024 * 1024,
      bufferIntervalMs: PROCESSOR_DEFAULTS.bufferIntervalSeconds * 1000,
      retries: PROCESSOR_DEFAULTS.retries,
    });
    expect(stream.destination.buffering).toEqual({ intervalMs: 300000, sizeBytes: 5 * 1024 * 1024 });
    expect(stream.destination.errorPrefix.render({ timestamp: Date.UTC(2026, 0, 2, 3), errorOutputType: 'processing-failed' })).toBe('processing-failed/2026/01/02/03/');
  });

  test('GIVEN a function with inline code WHEN loaded THEN nothing is written; the runner writes the module file when it stages the function', () => {
    dir = tempDir('inline');
    const source = 'def handler(event, context):\n    return {"records": []}\n';
    assembly(join(dir, 'cdk.out'), {
      F: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'python3.12', Handler: 'app.handler', Code: { ZipFile: source } } },
    });
    const fn = [...loadModel({ app: join(dir, 'cdk.out') }).functions.values()][0];
    expect(fn.codeDir).toBe('');
    expect(fn.inlineCode).toEqual({ fileName: 'app.py', source });

    const staged = stageFunctionCode(fn, join(dir, 'runtime'));
    expect(staged.codeDir).toBe(join(dir, 'runtime', 'inline-code', 'Mini-F'));
    expect(readFileSync(join(staged.codeDir, 'app.py'), 'utf8')).toBe(source);
  });
});

describe('failing at start, naming the construct', () => {
  let dir: string;
  afterEach(() => cleanup(dir));

  test.each<[string, string, RegExp]>([
    ['unsupported SQL', 'SELECT * FROM \'a/#\' WHERE a IN (1)', /Mini: TopicRule \(Mini\/Pipeline\/TopicRule\): topic rule: SQL "SELECT \* FROM 'a\/#' WHERE a IN \(1\)": the IN operator/],
    ['an unknown function', 'SELECT to_json(a) FROM \'a\'', /TopicRule \(Mini\/Pipeline\/TopicRule\).*function to_json\(\) \(column 8\) is not in the AWS IoT SQL reference/],
    ['a function that calls another service', 'SELECT aws_lambda(\'arn:aws:lambda:us-east-1:123456789012:function:f\', *) AS r FROM \'a\'',
      /TopicRule \(Mini\/Pipeline\/TopicRule\): topic rule: SQL ".*": aws_lambda\(\) \(column 8\) calls AWS Lambda, which the local runner does not emulate/],
    ['a bad topic filter', 'SELECT * FROM \'a/#/b\'', /TopicRule \(Mini\/Pipeline\/TopicRule\).*# must be a whole level/],
  ])('GIVEN a rule with %s WHEN loaded THEN AssemblyError with its logical id and path', (_name, sql, message) => {
    dir = tempDir('bad');
    expectAssemblyError(join(dir, 'cdk.out'), { TopicRule: RULE(sql) }, message);
  });

  test('GIVEN a stream with ZIP compression WHEN loaded THEN AssemblyError naming the stream', () => {
    dir = tempDir('bad');
    assembly(join(dir, 'cdk.out'), {
      B: { Type: 'AWS::S3::Bucket' },
      S: {
        Type: 'AWS::KinesisFirehose::DeliveryStream',
        Metadata: { 'aws:cdk:path': 'Mini/S/Resource' },
        Properties: { ExtendedS3DestinationConfiguration: { BucketARN: { 'Fn::GetAtt': ['B', 'Arn'] }, CompressionFormat: 'ZIP' } },
      },
    });
    expect(() => loadModel({ app: join(dir, 'cdk.out') })).toThrow(/S \(Mini\/S\/Resource\): delivery stream: compression ZIP is not supported/);
  });

  test('GIVEN a stream prefix with !{partitionKeyFromQuery:…} WHEN loaded THEN AssemblyError naming the stream and what to use instead', () => {
    dir = tempDir('bad');
    assembly(join(dir, 'cdk.out'), {
      B: { Type: 'AWS::S3::Bucket' },
      S: {
        Type: 'AWS::KinesisFirehose::DeliveryStream',
        Metadata: { 'aws:cdk:path': 'Mini/S/Resource' },
        Properties: {
          ExtendedS3DestinationConfiguration: {
            BucketARN: { 'Fn::GetAtt': ['B', 'Arn'] },
            Prefix: 'p/!{partitionKeyFromQuery:id}/',
            DynamicPartitioningConfiguration: { Enabled: true },
          },
        },
      },
    });
    expect(() => loadModel({ app: join(dir, 'cdk.out') }))
      .toThrow(/S \(Mini\/S\/Resource\): delivery stream: .*partitionKeyFromQuery:id.*not supported by the local runner; use partition keys from the Lambda processor/);
  });

  test('GIVEN a directory without manifest.json or an unknown --stack WHEN loaded THEN it says what to give', () => {
    dir = tempDir('bad');
    expect(() => loadModel({ app: dir })).toThrow(/no manifest.json.*cdk synth/);
    assembly(join(dir, 'cdk.out'), {});
    expect(() => loadModel({ app: join(dir, 'cdk.out'), stack: 'Other' })).toThrow(/No stack "Other".*it has: Mini/);
  });

  test('GIVEN an unsupported action WHEN loaded THEN a warning, and the rule still runs its other actions', () => {
    dir = tempDir('warn');
    assembly(join(dir, 'cdk.out'), {
      TopicRule: {
        Type: 'AWS::IoT::TopicRule',
        Properties: { TopicRulePayload: { Sql: 'SELECT * FROM \'a\'', AwsIotSqlVersion: '2016-03-23', Actions: [{ Lambda: { FunctionArn: 'arn:aws:lambda:x' } }] } },
      },
    });
    const m = loadModel({ app: join(dir, 'cdk.out') });
    expect(m.warnings).toEqual([expect.stringMatching(/action 0 Lambda is not run locally/)]);
    expect(m.rules[0].actions).toEqual([{ kind: 'unsupported', type: 'Lambda' }]);
  });
});

describe('fleet provisioning templates (AWS::IoT::ProvisioningTemplate), read in the same pass as the rest', () => {
  let dir: string;
  afterEach(() => cleanup(dir));

  const BODY = JSON.stringify({ Parameters: { SerialNumber: { Type: 'String' } }, Resources: {} });
  const POLICY = (path: string) => ({
    Type: 'AWS::IoT::Policy',
    Properties: { PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] } },
    Metadata: { 'aws:cdk:path': path },
  });
  const TEMPLATE = (properties: object, path = 'Mini/P/Lathes/Template') => ({
    Type: 'AWS::IoT::ProvisioningTemplate',
    Properties: { TemplateBody: BODY, ProvisioningRoleArn: 'arn:aws:iam::123456789012:role/R', ...properties },
    Metadata: { 'aws:cdk:path': path },
  });
  const HOOK = { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: 'exports.handler = async () => ({ allowProvisioning: true });' } } };

  test('GIVEN a fleet template with a hook and a claim policy beside it, one with defaults and a JITP template WHEN loaded THEN the fleet templates by name, with their claim policy and hook', () => {
    dir = tempDir('fleet');
    assembly(join(dir, 'cdk.out'), {
      Hook: HOOK,
      Claim: POLICY('Mini/P/Lathes/ClaimPolicy/Resource'),
      Device: POLICY('Mini/P/DevicePolicy/Resource'),
      T: TEMPLATE({ TemplateName: 'lathes', Enabled: 'true', PreProvisioningHook: { TargetArn: { 'Fn::GetAtt': ['Hook', 'Arn'] }, PayloadVersion: '2020-04-01' } }),
      Plain: TEMPLATE({}, 'Mini/P/Mills/Template/Resource'),
      Jitp: TEMPLATE({ TemplateName: 'jitp', TemplateType: 'JITP', Enabled: true }, 'Mini/P/Jitp/Template'),
    });
    const m = loadModel({ app: join(dir, 'cdk.out') });
    const hookArn = [...m.functions.keys()][0];
    expect([...m.provisioningTemplates!.keys()]).toEqual(['lathes', 'Plain']);
    expect(m.provisioningTemplates!.get('lathes')).toMatchObject({
      name: 'lathes',
      stack: 'Mini',
      logicalId: 'T',
      path: 'Mini/P/Lathes/Template',
      enabled: true,
      body: BODY,
      roleArn: 'arn:aws:iam::123456789012:role/R',
      hookArn,
      claimPolicies: ['Claim'],
    });
    expect(m.provisioningTemplates!.get('lathes')!.arn).toMatch(/^arn:aws:iot:[^:]+:[^:]+:provisioningtemplate\/lathes$/);
    // Enabled defaults to false; no TemplateName: the logical id; no ClaimPolicy beside Mills: none.
    expect(m.provisioningTemplates!.get('Plain')).toMatchObject({ enabled: false, hookArn: undefined, claimPolicies: [] });
  });

  test.each<[string, object, RegExp]>([
    ['a hook that is not a function of the stacks', { TemplateName: 'lathes', PreProvisioningHook: { TargetArn: 'arn:aws:lambda:us-east-1:123456789012:function:elsewhere' } },
      /Mini: T \(Mini\/P\/Lathes\/Template\): its pre-provisioning hook arn:aws:lambda:us-east-1:123456789012:function:elsewhere is not a function of the stack\(s\) being run/],
    ['a name AWS does not accept', { TemplateName: 'lathes.v2' }, /T \(Mini\/P\/Lathes\/Template\): TemplateName "lathes.v2" is not 1-36 of \[0-9A-Za-z_-\]/],
    ['a body that cannot be resolved locally', { TemplateName: 'lathes', TemplateBody: { 'Fn::ImportValue': 'Body' } }, /T \(Mini\/P\/Lathes\/Template\): TemplateBody: /],
  ])('GIVEN a template with %s WHEN loaded THEN AssemblyError naming the template', (_name, properties, message) => {
    dir = tempDir('fleet-bad');
    expectAssemblyError(join(dir, 'cdk.out'), { T: TEMPLATE(properties) }, message);
  });

  test('GIVEN two templates with one name WHEN loaded THEN AssemblyError naming both', () => {
    dir = tempDir('fleet-twice');
    assembly(join(dir, 'cdk.out'), { A: TEMPLATE({ TemplateName: 'lathes' }), B: TEMPLATE({ TemplateName: 'lathes' }, 'Mini/P/Other/Template') });
    expect(() => loadModel({ app: join(dir, 'cdk.out') })).toThrow(/B \(Mini\/P\/Other\/Template\): template name "lathes" is also used by Mini\/P\/Lathes\/Template/);
  });
});
