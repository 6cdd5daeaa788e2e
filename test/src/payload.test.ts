import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  ACCOUNT, assetPathOf, logicalIdOf, nagFindings, onlyResourceOfType, REGION, resourcesOfType, Statement,
} from './template';
import {
  ColumnType, IotCoreFirehosePipeline, IotCoreFirehosePipelineProps, Parser, PayloadDecoder, PayloadFormat, TableFormat,
} from '../../src';
import { BINARY_ENVELOPE, DESCRIPTOR_SET_FILE, DESCRIPTOR_SET_PREFIX, PARSER_ENV, PROTOBUF_RULE_LIMITS } from '../../src/contract';

const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'protobuf');
const DESCRIPTOR_SET = path.join(FIXTURE_DIR, 'telemetry.binpb');
const MESSAGE_TYPE = 'factory.v1.Telemetry';

const tmp: string[] = [];
function tmpDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmp.push(dir);
  return dir;
}
afterAll(() => tmp.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function synth(props: Partial<IotCoreFirehosePipelineProps> = {}) {
  const app = new App({ outdir: tmpDir('payload-out-'), context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'TestStack', { env: { account: ACCOUNT, region: REGION } });
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'meters', ...props });
  return { app, stack, pipeline, template: Template.fromStack(stack) };
}

interface RuleProperties { readonly RuleName: string; readonly TopicRulePayload: { readonly Sql: unknown } }
interface FunctionProperties { readonly Environment?: { readonly Variables: Record<string, string> } }

function ruleSqls(stack: Stack, template: Template): unknown[] {
  return Object.values(resourcesOfType<RuleProperties>(template, 'AWS::IoT::TopicRule')).map((r) => stack.resolve(r.Properties.TopicRulePayload.Sql));
}

function parserEnvironment(template: Template): Record<string, string> {
  const fn = onlyResourceOfType<FunctionProperties>(template, 'AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('parser') } });
  return fn.Properties.Environment?.Variables ?? {};
}

const cbor = () => Parser.reference({ decoder: PayloadDecoder.cbor() });

describe('the topic rule per payload format', () => {
  test('GIVEN no payload WHEN synthesized THEN the JSON rule and the rejected-messages rule are as before', () => {
    const { stack, pipeline, template } = synth();
    expect(pipeline.payloadFormat.kind).toEqual('JSON');
    expect(ruleSqls(stack, template)).toEqual([
      "SELECT topic() as topic, * FROM 'meters/+' WHERE isUndefined(topic)",
      "SELECT * FROM 'meters/+' WHERE NOT isUndefined(topic)",
    ]);
    expect(pipeline.descriptorSetBucket).toBeUndefined();
  });

  test('GIVEN PayloadFormat.binary() WHEN synthesized THEN the rule wraps the bytes with the identity from the rule\'s functions, and there is no rejected-messages rule', () => {
    const { stack, pipeline, template } = synth({ payload: PayloadFormat.binary(), parser: cbor() });
    expect(ruleSqls(stack, template)).toEqual([
      "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId, timestamp() AS timestamp FROM 'meters/+'",
    ]);
    expect(pipeline.rejectedMessagesRule).toBeUndefined();
    // the envelope's field names are the contract's
    expect(Object.values(BINARY_ENVELOPE).sort()).toEqual(['clientId', 'payload', 'timestamp', 'topic']);
  });

  test('GIVEN PayloadFormat.binary() and your own SQL WHEN synthesized THEN your SQL is the rule, without a rejected-messages rule', () => {
    const sql = "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId, timestamp() AS timestamp FROM 'meters/+' WHERE topic(2) <> 'test'";
    const { stack, template } = synth({ payload: PayloadFormat.binary(), parser: cbor(), sql });
    expect(ruleSqls(stack, template)).toEqual([sql]);
  });

  test('GIVEN PayloadFormat.protobuf() WHEN synthesized THEN the rule decodes with the deployed descriptor set, the file named without .proto', () => {
    const { stack, pipeline, template } = synth({ payload: PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }) });
    const bucketRef = stack.resolve(pipeline.descriptorSetBucket!.bucketName);
    const sqls = ruleSqls(stack, template);
    expect(sqls).toHaveLength(1);
    // the key is the prefix and a hash of the file's content
    const hash = createHash('sha256').update(fs.readFileSync(DESCRIPTOR_SET)).digest('hex').slice(0, 16);
    expect(sqls[0]).toEqual({
      'Fn::Join': ['', [
        "SELECT decode(*, 'proto', '", bucketRef,
        `', '${DESCRIPTOR_SET_PREFIX}${hash}.desc', 'telemetry', '${MESSAGE_TYPE}') AS payload, topic() AS topic, clientid() AS clientId, timestamp() AS timestamp FROM 'meters/+'`,
      ]],
    });
    expect(pipeline.payloadFormat.protoFile).toEqual('telemetry');
    expect(pipeline.payloadFormat.descriptorSet).toEqual(DESCRIPTOR_SET);
    expect(pipeline.rejectedMessagesRule).toBeUndefined();
  });

  test('GIVEN a protoFile WHEN given with or without .proto THEN the rule names it as given', () => {
    for (const protoFile of ['telemetry', 'telemetry.proto']) {
      const format = PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: 'factory.v1.Location', protoFile });
      expect(format.protoFile).toEqual(protoFile);
    }
  });

  test('GIVEN a changed descriptor set WHEN synthesized THEN its object key changes (AWS IoT may take 15 minutes to see a changed object)', () => {
    const copy = path.join(tmpDir('descriptor-'), 'telemetry.binpb');
    // the same set with a second file appended (a valid set with different bytes)
    const extra = Buffer.from([0x0a, 0x07, 0x0a, 0x05, ...Buffer.from('x.pro')]);
    fs.writeFileSync(copy, Buffer.concat([fs.readFileSync(DESCRIPTOR_SET), extra]));
    const keyOf = (file: string) => {
      const { stack, template } = synth({ payload: PayloadFormat.protobuf({ descriptorSet: file, messageType: MESSAGE_TYPE }) });
      return JSON.stringify(ruleSqls(stack, template)).match(/payload-schemas\/[0-9a-f]{16}\.desc/)![0];
    };
    expect(keyOf(copy)).not.toEqual(keyOf(DESCRIPTOR_SET));
  });
});

describe('the descriptor set bucket (PayloadFormat.protobuf())', () => {
  const protobuf = () => synth({ payload: PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }) });

  test('GIVEN a Protobuf pipeline WHEN synthesized THEN the bucket is hardened: SSE-S3, versioned, no public access, no ACLs, access logs', () => {
    const { pipeline, template } = protobuf();
    const bucket = template.toJSON().Resources[logicalIdOf(pipeline.descriptorSetBucket!)];
    expect(bucket.Properties).toEqual(expect.objectContaining({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalIdOf(pipeline.accessLogsBucket!) }, LogFilePrefix: 'payload-schemas-bucket/' },
    }));
    expect(bucket.DeletionPolicy).toEqual('Retain');
  });

  test('GIVEN a Protobuf pipeline WHEN synthesized THEN only AWS IoT of this account and region may read the descriptor sets, over TLS', () => {
    const { stack, pipeline, template } = protobuf();
    const policy = onlyResourceOfType<{ Bucket: unknown; PolicyDocument: { Statement: Statement[] } }>(template, 'AWS::S3::BucketPolicy', {
      Properties: { Bucket: { Ref: logicalIdOf(pipeline.descriptorSetBucket!) } },
    });
    const statements = stack.resolve(policy.Properties.PolicyDocument.Statement) as Statement[];
    expect(statements.map((s) => s.Effect)).toEqual(['Deny', 'Allow']);
    expect(statements[0].Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    expect(statements[1]).toEqual({
      Sid: 'AwsIotReadsDescriptorSets',
      Effect: 'Allow',
      Principal: { Service: 'iot.amazonaws.com' },
      Action: 's3:Get*',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(pipeline.descriptorSetBucket!), 'Arn'] }, `/${DESCRIPTOR_SET_PREFIX}*`]] },
      Condition: {
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iot:${REGION}:${ACCOUNT}:*`]] } },
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
      },
    });
  });

  test('GIVEN a Protobuf pipeline WHEN synthesized THEN the descriptor set is deployed under its prefix, without pruning, before the rule', () => {
    const { app, stack, pipeline, template } = protobuf();
    const deployments = resourcesOfType<{ DestinationBucketName: unknown; DestinationBucketKeyPrefix: string; Prune: boolean }>(template, 'Custom::CDKBucketDeployment');
    const [[deploymentId, deployment]] = Object.entries(deployments);
    expect(Object.keys(deployments)).toHaveLength(1);
    expect(stack.resolve(deployment.Properties.DestinationBucketName)).toEqual({ Ref: logicalIdOf(pipeline.descriptorSetBucket!) });
    expect(deployment.Properties.DestinationBucketKeyPrefix).toEqual(DESCRIPTOR_SET_PREFIX);
    expect(deployment.Properties.Prune).toBe(false);
    const rule = template.toJSON().Resources[logicalIdOf(pipeline.topicRule)];
    expect(rule.DependsOn).toContain(deploymentId);
    // the asset holds exactly the descriptor set, under the key the rule names
    const assets = fs.readdirSync(app.outdir).filter((name) => name.startsWith('asset.'))
      .map((name) => path.join(app.outdir, name)).filter((dir) => fs.statSync(dir).isDirectory() && fs.readdirSync(dir).some((f) => f.endsWith('.desc')));
    expect(assets).toHaveLength(1);
    const [file] = fs.readdirSync(assets[0]);
    expect(JSON.stringify(ruleSqls(stack, template))).toContain(`${DESCRIPTOR_SET_PREFIX}${file}`);
    expect(fs.readFileSync(path.join(assets[0], file))).toEqual(fs.readFileSync(DESCRIPTOR_SET));
  });

  test('GIVEN RemovalPolicy.DESTROY WHEN synthesized THEN the bucket is emptied and deleted with the stack', () => {
    const { pipeline, template } = synth({
      payload: PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const bucketId = logicalIdOf(pipeline.descriptorSetBucket!);
    expect(template.toJSON().Resources[bucketId].DeletionPolicy).toEqual('Delete');
    template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: bucketId } });
  });

  test('GIVEN both buckets given (no access-log bucket of the pipeline) WHEN a Protobuf pipeline is synthesized THEN the descriptor bucket logs into one of its own', () => {
    const app = new App();
    const stack = new Stack(app, 'Own', { env: { account: ACCOUNT, region: REGION } });
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
      topic: 'meters',
      parsedBucket: new s3.Bucket(stack, 'Parsed'),
      rawBucket: new s3.Bucket(stack, 'Raw'),
      payload: PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }),
    });
    expect(pipeline.accessLogsBucket).toBeUndefined();
    const bucket = Template.fromStack(stack).toJSON().Resources[logicalIdOf(pipeline.descriptorSetBucket!)];
    expect(bucket.Properties.LoggingConfiguration.LogFilePrefix).toEqual('payload-schemas-bucket/');
  });

  test('GIVEN two Protobuf pipelines in one stack WHEN synthesized THEN they share aws-cdk-lib\'s deployment function and role, each with its own bucket', () => {
    const stack = new Stack(new App(), 'Two', { env: { account: ACCOUNT, region: REGION } });
    const a = new IotCoreFirehosePipeline(stack, 'A', { topic: 'a', payload: PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }) });
    const b = new IotCoreFirehosePipeline(stack, 'B', { topic: 'b', payload: PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }) });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::CDKBucketDeployment', 2);
    expect(logicalIdOf(a.descriptorSetBucket!)).not.toEqual(logicalIdOf(b.descriptorSetBucket!));
    const deploymentFunctions = Object.keys(resourcesOfType(template, 'AWS::Lambda::Function')).filter((id) => id.startsWith('CustomCDKBucketDeployment'));
    expect(deploymentFunctions).toHaveLength(1);
    const roles = Object.keys(resourcesOfType(template, 'AWS::IAM::Role')).filter((id) => id.startsWith('IotCoreFirehosePipelineDescriptorDeployment'));
    expect(roles).toHaveLength(1);
  });

  test('GIVEN a Protobuf pipeline WHEN checked with cdk-nag THEN there are no unsuppressed findings', () => {
    const stack = new Stack(new App(), 'NagProtobuf');
    new IotCoreFirehosePipeline(stack, 'Pipeline', {
      topic: 'meters',
      payload: PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('the reference parser\'s decoder', () => {
  test('GIVEN a JSON pipeline WHEN synthesized THEN the parser has neither the payload format nor a decoder in its environment', () => {
    const env = parserEnvironment(synth().template);
    expect(env[PARSER_ENV.payload]).toBeUndefined();
    expect(env[PARSER_ENV.decoder]).toBeUndefined();
  });

  test.each([
    ['cbor', PayloadDecoder.cbor(), { kind: 'cbor' }],
    ['delimited (defaults)', PayloadDecoder.delimited(), { kind: 'delimited', fieldSeparator: ';', keyValueSeparator: '=' }],
    ['delimited', PayloadDecoder.delimited({ fieldSeparator: '&', keyValueSeparator: ':' }), { kind: 'delimited', fieldSeparator: '&', keyValueSeparator: ':' }],
    ['csv (default separator)', PayloadDecoder.csv({ columns: ['temp', 'hum'] }), { kind: 'csv', columns: ['temp', 'hum'], separator: ',' }],
    ['csv', PayloadDecoder.csv({ columns: ['temp'], separator: ';' }), { kind: 'csv', columns: ['temp'], separator: ';' }],
    ['protobuf', PayloadDecoder.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }), { kind: 'protobuf', messageType: MESSAGE_TYPE }],
  ])('GIVEN a binary pipeline with the %s decoder WHEN synthesized THEN the parser reads the format and the decoder from its environment', (_name, decoder, spec) => {
    const env = parserEnvironment(synth({ payload: PayloadFormat.binary(), parser: Parser.reference({ decoder }) }).template);
    expect(env[PARSER_ENV.payload]).toEqual('binary');
    expect(JSON.parse(env[PARSER_ENV.decoder])).toEqual(spec);
  });

  test('GIVEN PayloadFormat.protobuf() WHEN synthesized THEN the parser knows the payload arrives decoded, and takes no decoder', () => {
    const env = parserEnvironment(synth({ payload: PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }) }).template);
    expect(env[PARSER_ENV.payload]).toEqual('protobuf');
    expect(env[PARSER_ENV.decoder]).toBeUndefined();
  });

  test('GIVEN PayloadDecoder.protobuf() WHEN synthesized THEN the parser\'s asset is the reference parser\'s bundle with the descriptor set beside index.js', () => {
    const { app, template } = synth({
      payload: PayloadFormat.binary(),
      parser: Parser.reference({ decoder: PayloadDecoder.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }) }),
    });
    const fn = onlyResourceOfType<FunctionProperties>(template, 'AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('parser') } });
    const root = path.join(app.outdir, assetPathOf(fn));
    const bundle = path.join(__dirname, '..', '..', 'assets', 'reference-parser');
    expect(fs.readdirSync(root).sort()).toEqual([...fs.readdirSync(bundle), DESCRIPTOR_SET_FILE].sort());
    expect(fs.readFileSync(path.join(root, DESCRIPTOR_SET_FILE))).toEqual(fs.readFileSync(DESCRIPTOR_SET));
    expect(fs.readFileSync(path.join(root, 'index.js'))).toEqual(fs.readFileSync(path.join(bundle, 'index.js')));
  });

  test('GIVEN the CBOR decoder WHEN synthesized THEN the parser\'s asset is the reference parser\'s bundle as it is', () => {
    const { app, template } = synth({ payload: PayloadFormat.binary(), parser: cbor() });
    const fn = onlyResourceOfType<FunctionProperties>(template, 'AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('parser') } });
    expect(fs.readdirSync(path.join(app.outdir, assetPathOf(fn)))).not.toContain(DESCRIPTOR_SET_FILE);
  });

  test('GIVEN a binary pipeline with a Python parser WHEN synthesized THEN its environment names the payload format next to the user\'s variables', () => {
    const entry = tmpDir('python-parser-');
    fs.writeFileSync(path.join(entry, 'index.py'), 'def handler(event, context):\n    return {"records": []}\n');
    const env = parserEnvironment(synth({ payload: PayloadFormat.binary(), parser: Parser.fromPython({ entry, environment: { MY_VAR: 'x' } }) }).template);
    expect(env).toEqual({ MY_VAR: 'x', [PARSER_ENV.payload]: 'binary' });
  });

  test('GIVEN a binary pipeline with a queryable table WHEN synthesized THEN the table is the same as a JSON pipeline\'s', () => {
    const table = { columns: [{ name: 'temp', type: ColumnType.DOUBLE }], format: TableFormat.parquet() };
    const tableOf = (props: Partial<IotCoreFirehosePipelineProps>) => {
      const { stack, pipeline, template } = synth({ table, ...props });
      pipeline.grantQuery(new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() }));
      const glue = onlyResourceOfType<{ TableInput: unknown }>(template, 'AWS::Glue::Table');
      return stack.resolve(glue.Properties.TableInput);
    };
    const binary = tableOf({ payload: PayloadFormat.binary(), parser: cbor() });
    expect(binary).toEqual(tableOf({}));
    expect(JSON.stringify(binary)).toContain('"temp"');
  });

  test('GIVEN binary pipelines (CBOR, delimited) WHEN checked with cdk-nag THEN there are no unsuppressed findings', () => {
    const stack = new Stack(new App(), 'NagBinary');
    new IotCoreFirehosePipeline(stack, 'Cbor', { topic: 'cbor', payload: PayloadFormat.binary(), parser: cbor() });
    new IotCoreFirehosePipeline(stack, 'Proto', {
      topic: 'proto',
      payload: PayloadFormat.binary(),
      parser: Parser.reference({ decoder: PayloadDecoder.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }) }),
    });
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('payload formats and decoders: what to change', () => {
  test('GIVEN a decoder on a JSON pipeline WHEN synthesized THEN the error says to make the payload binary', () => {
    expect(() => synth({ parser: cbor() })).toThrow(/TestStack\/Pipeline: invalid `parser`: .*give the pipeline `payload: PayloadFormat\.binary\(\)`/);
  });

  test('GIVEN a binary pipeline with the reference parser and no decoder WHEN synthesized THEN the error says to give a decoder', () => {
    expect(() => synth({ payload: PayloadFormat.binary() })).toThrow(/needs to know how to decode it; give it a decoder, e\.g\. `Parser\.reference\(\{ decoder: PayloadDecoder\.cbor\(\) \}\)`/);
    expect(() => synth({ payload: PayloadFormat.binary(), parser: Parser.reference() })).toThrow(/give it a decoder/);
  });

  test('GIVEN a decoder on a Protobuf-in-the-rule pipeline WHEN synthesized THEN the error says the rule already decodes', () => {
    expect(() => synth({ payload: PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }), parser: cbor() }))
      .toThrow(/the topic rule already decodes it .*leave the decoder out/);
  });

  test('GIVEN your own SQL with PayloadFormat.protobuf() WHEN synthesized THEN it is refused, saying why and what to use', () => {
    expect(() => synth({ payload: PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE }), sql: "SELECT * FROM 'meters/+'" }))
      .toThrow(/invalid `sql`: with `payload: PayloadFormat\.protobuf\(\)` the construct writes the rule .*leave `sql` out/);
  });

  const factories: Array<[string, (descriptorSet: string, messageType: string, protoFile?: string) => unknown]> = [
    ['PayloadFormat.protobuf', (descriptorSet, messageType, protoFile) => PayloadFormat.protobuf({ descriptorSet, messageType, protoFile })],
    ['PayloadDecoder.protobuf', (descriptorSet, messageType) => PayloadDecoder.protobuf({ descriptorSet, messageType })],
  ];
  describe.each(factories)('%s', (where, make) => {
    test('GIVEN a missing file WHEN created THEN the error names the path it looked at', () => {
      expect(() => make('schemas/none.desc', MESSAGE_TYPE)).toThrow(`${where}: descriptorSet "schemas/none.desc" is not a file (looked at ${path.resolve('schemas/none.desc')})`);
      expect(() => make(FIXTURE_DIR, MESSAGE_TYPE)).toThrow(/is not a file/);
      expect(() => make('', MESSAGE_TYPE)).toThrow(/give `descriptorSet`, the path of a FileDescriptorSet file/);
    });

    test('GIVEN a file over 32 KiB WHEN created THEN the error gives the size, the limit and how to shrink it', () => {
      const big = path.join(tmpDir('big-'), 'big.desc');
      fs.writeFileSync(big, Buffer.alloc(PROTOBUF_RULE_LIMITS.descriptorSetBytes + 1));
      expect(() => make(big, MESSAGE_TYPE)).toThrow(`has ${PROTOBUF_RULE_LIMITS.descriptorSetBytes + 1} bytes; AWS IoT reads a FileDescriptorSet of at most 32768 bytes`);
    });

    test('GIVEN a file that is not a FileDescriptorSet (the .proto source, a truncated set) WHEN created THEN the error says how to compile one', () => {
      expect(() => make(path.join(FIXTURE_DIR, 'telemetry.proto'), MESSAGE_TYPE)).toThrow(/is not a FileDescriptorSet \(.*\); compile it with `protoc --include_imports/);
      const truncated = path.join(tmpDir('cut-'), 'cut.desc');
      fs.writeFileSync(truncated, fs.readFileSync(DESCRIPTOR_SET).subarray(0, 40));
      expect(() => make(truncated, MESSAGE_TYPE)).toThrow(/is not a FileDescriptorSet \((truncated|field runs past)/);
    });

    test('GIVEN a message type the set does not declare WHEN created THEN the error lists the ones it does', () => {
      expect(() => make(DESCRIPTOR_SET, 'Telemetry')).toThrow(`${where}: descriptorSet "${DESCRIPTOR_SET}" declares no message "Telemetry"; it declares factory.v1.Telemetry, factory.v1.Location.`);
      expect(() => make(DESCRIPTOR_SET, 'factory v1')).toThrow(/is not a message type name; give it with its package/);
    });
  });

  test('GIVEN a protoFile that does not declare the message WHEN created THEN the error names the file that does', () => {
    expect(() => PayloadFormat.protobuf({ descriptorSet: DESCRIPTOR_SET, messageType: MESSAGE_TYPE, protoFile: 'other' }))
      .toThrow('PayloadFormat.protobuf: `protoFile` "other" does not declare "factory.v1.Telemetry"; telemetry.proto does. Give "telemetry" or leave `protoFile` out.');
  });

  test('GIVEN bad text decoder options WHEN created THEN each error says what to give', () => {
    expect(() => PayloadDecoder.delimited({ fieldSeparator: '' })).toThrow('PayloadDecoder.delimited: `fieldSeparator` "" must be non-empty text without line breaks');
    expect(() => PayloadDecoder.delimited({ keyValueSeparator: '\n' })).toThrow(/`keyValueSeparator` "\\n" must be non-empty text without line breaks/);
    expect(() => PayloadDecoder.delimited({ fieldSeparator: '==', keyValueSeparator: '=' })).toThrow(/overlap, so a line cannot be split; choose two different separators/);
    expect(() => PayloadDecoder.csv({ columns: [] })).toThrow('PayloadDecoder.csv: give the field names of the columns in `columns`');
    expect(() => PayloadDecoder.csv({ columns: ['a', 'a'] })).toThrow('column "a" appears twice');
    expect(() => PayloadDecoder.csv({ columns: [' '] })).toThrow(/column names must be non-empty text/);
    expect(() => PayloadDecoder.csv({ columns: ['a'], separator: ';;' })).toThrow(/separator ";;" must be one character other than the quote/);
    expect(() => PayloadDecoder.csv({ columns: ['a'], separator: '"' })).toThrow(/must be one character other than the quote/);
  });
});

describe('descriptor sets whose names cannot go into the rule', () => {
  test('GIVEN a set whose declaring file has a quote in its name WHEN used THEN the error says to rename the .proto file', () => {
    // GIVEN: a set with one file "it's.proto" declaring message M (built from the wire format)
    const str = (field: number, value: string) => [field * 8 + 2, Buffer.byteLength(value), ...Buffer.from(value)];
    const message = str(1, 'M');
    const file = [...str(1, "it's.proto"), 4 * 8 + 2, message.length, ...message];
    const set = path.join(tmpDir('quote-'), 'quote.desc');
    fs.writeFileSync(set, Uint8Array.from([1 * 8 + 2, file.length, ...file]));
    // WHEN / THEN
    expect(() => PayloadFormat.protobuf({ descriptorSet: set, messageType: 'M' }))
      .toThrow('PayloadFormat.protobuf: the file "it\'s.proto" that declares "M" has a single quote in its name');
  });
});
