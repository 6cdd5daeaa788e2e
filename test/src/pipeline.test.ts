import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  actionsOf, allPolicyActions, arnInStack, IamRoleProperties, logicalIdOf, PolicyDocument, propertiesOfType, Reference,
  resourceOf, resourcesOfType, Statement, statementsOfRole, stringsIn, testStack,
} from './template';
import {
  DeviceCertificate, DeviceCertificateSource, IotCoreFirehosePipeline, IotCoreFirehosePipelineProps, ParsedFormat, ParsedFormatKind,
  PartitionKey, PartitionKeySource, Parser, ParserDelivery, ParserDeliveryMode, PipelineEncryption,
} from '../../src';
import {
  CERTIFICATE_ID_TAG, DATA_ENDPOINT_OUTPUT_ID, PIPELINE_CONSTRUCT_IDS, PIPELINE_OUTPUT_IDS, THING_NAME_OUTPUT_DESCRIPTION,
} from '../../src/contract';

const newStack = (): Stack => testStack();

function synth(props: Partial<IotCoreFirehosePipelineProps> = {}): { stack: Stack; pipeline: IotCoreFirehosePipeline; template: Template } {
  const stack = newStack();
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'iot-test-topic', ...props });
  return { stack, pipeline, template: Template.fromStack(stack) };
}

/** AWS::IoT::Policy, AWS::IoT::TopicRule, AWS::S3::Bucket and AWS::Logs::LogGroup as far as these tests read them. */
interface IotPolicyProperties {
  readonly PolicyDocument: PolicyDocument;
}
interface TopicRuleAction {
  readonly Firehose?: { readonly RoleArn: Reference };
  readonly S3?: { readonly BucketName: unknown; readonly Key: string; readonly RoleArn: Reference };
}
interface TopicRuleProperties {
  readonly RuleName: string;
  readonly TopicRulePayload: { readonly Sql: string; readonly Actions: TopicRuleAction[]; readonly ErrorAction: TopicRuleAction };
}
interface LifecycleRule {
  readonly Id: string;
}
interface BucketProperties {
  readonly PublicAccessBlockConfiguration?: unknown;
  readonly BucketEncryption?: {
    readonly ServerSideEncryptionConfiguration: Array<{ readonly ServerSideEncryptionByDefault: { readonly SSEAlgorithm: string } }>;
  };
  readonly LifecycleConfiguration?: { readonly Rules: LifecycleRule[] };
  readonly LoggingConfiguration?: { readonly DestinationBucketName: unknown };
  readonly AccessControl?: unknown;
  readonly OwnershipControls?: unknown;
  readonly VersioningConfiguration?: unknown;
  readonly BucketName?: unknown;
}
/** A log group name the construct renders: `[prefix, <stack id part>, suffix]` joined. */
interface LogGroupName {
  readonly 'Fn::Join': [string, [string, unknown, string]];
}
interface LogGroupProperties {
  readonly LogGroupName?: LogGroupName;
  readonly RetentionInDays?: number;
}

/** The resolved statements of the policy document of the only IoT policy of a stack. */
function devicePolicyStatements(stack: Stack, template: Template): Statement[] {
  const policies = propertiesOfType<IotPolicyProperties>(template, 'AWS::IoT::Policy');
  expect(policies).toHaveLength(1);
  return stack.resolve(policies[0].PolicyDocument.Statement) as Statement[];
}

/** The logical id of the role a CloudFormation `Fn::GetAtt` names. */
function roleIdOf(arn: Reference): string {
  const getAtt = arn['Fn::GetAtt'];
  if (!getAtt) throw new Error(`expected { 'Fn::GetAtt': [roleId, 'Arn'] }, got a reference with ${Object.keys(arn).join(', ')}`);
  return getAtt[0];
}

/** The resolved statements of every policy attached to the delivery stream's role. */
function firehoseStatements(stack: Stack, template: Template): Statement[] {
  return statementsOfRole(stack, template, roleIdOf(parameters(template).RoleArn as Reference));
}

interface DeliveryStreamProperties {
  readonly ExtendedS3DestinationConfiguration: {
    readonly ProcessingConfiguration: {
      readonly Processors: Array<{ readonly Parameters: Array<{ readonly ParameterName: string; readonly ParameterValue: unknown }> }>;
    };
  };
}

/** The parameters of the delivery stream's (only) processor, by name. */
function parameters(template: Template): Record<string, unknown> {
  const [stream] = propertiesOfType<DeliveryStreamProperties>(template, 'AWS::KinesisFirehose::DeliveryStream');
  const processor = stream.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0];
  return Object.fromEntries(processor.Parameters.map((p) => [p.ParameterName, p.ParameterValue]));
}

describe('device: thing, policy, certificate', () => {
  test('GIVEN defaults WHEN synthesized THEN the policy allows Connect as the thing and Publish to the topic and below, nothing else', () => {
    const { stack, pipeline, template } = synth();

    template.resourceCountIs('AWS::IoT::Thing', 1);
    template.resourceCountIs('AWS::IoT::Policy', 1);
    const statements = devicePolicyStatements(stack, template);
    expect(statements).toHaveLength(2);
    const [connect, publish] = statements;
    expect(connect.Action).toEqual('iot:Connect');
    expect(connect.Condition).toEqual({ Bool: { 'iot:Connection.Thing.IsAttached': 'true' } });
    expect(connect.Resource).toEqual(arnInStack('iot', `client/${pipeline.thingName}`));
    expect(publish.Action).toEqual('iot:Publish');
    expect(publish.Resource).toEqual([arnInStack('iot', 'topic/iot-test-topic'), arnInStack('iot', 'topic/iot-test-topic/*')]);
    for (const statement of statements) {
      expect(statement.Effect).toEqual('Allow');
      // No wildcard resource: neither "*" nor an ARN ending in ":*", "topic/*" or "client/*".
      expect(stringsIn(statement.Resource)).not.toContainEqual(expect.stringMatching(/^\*$|:\*$|:topic\/\*$|:client\/\*$/));
    }
  });

  test('GIVEN no thing name WHEN synthesized THEN the derived name is valid for IoT and the thing uses it', () => {
    const { pipeline, template } = synth();
    expect(pipeline.thingName).toMatch(/^[a-zA-Z0-9:_-]{1,128}$/);
    expect(pipeline.thingName).toContain('Pipeline');
    template.hasResourceProperties('AWS::IoT::Thing', { ThingName: pipeline.thingName });
  });

  test('GIVEN a thing name WHEN synthesized THEN thing and policy use it', () => {
    const { stack, template } = synth({ thingName: 'sensor-7' });
    template.hasResourceProperties('AWS::IoT::Thing', { ThingName: 'sensor-7' });
    expect(devicePolicyStatements(stack, template)).toContainEqual(expect.objectContaining({ Action: 'iot:Connect', Resource: arnInStack('iot', 'client/sensor-7') }));
  });

  test('GIVEN the default certificate WHEN synthesized THEN it is generated into a secret and attached to thing and policy', () => {
    const { stack, pipeline, template } = synth();
    expect(pipeline.device.certificateSource).toEqual(DeviceCertificateSource.GENERATED);
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.resourceCountIs('Custom::IotDeviceCertificate', 1);
    const certificate = Object.keys(template.findResources('Custom::IotDeviceCertificate'))[0];
    template.hasResourceProperties('Custom::IotDeviceCertificate', {
      SecretArn: stack.resolve(pipeline.certificateSecret!.secretArn),
      ThingName: pipeline.thingName,
    });
    template.hasResourceProperties('AWS::IoT::ThingPrincipalAttachment', {
      ThingName: stack.resolve(pipeline.thing.ref),
      Principal: { 'Fn::GetAtt': [certificate, 'CertificateArn'] },
    });
    template.hasResourceProperties('AWS::IoT::PolicyPrincipalAttachment', {
      PolicyName: stack.resolve(pipeline.devicePolicy.ref),
      Principal: { 'Fn::GetAtt': [certificate, 'CertificateArn'] },
    });
  });

  test('GIVEN a generated certificate WHEN synthesized THEN the provider may write that secret only and its response holds ids only', () => {
    const { stack, pipeline, template } = synth();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['secretsmanager:PutSecretValue']), Resource: stack.resolve(pipeline.certificateSecret!.secretArn) }),
        ]),
      },
    });
    // No statement grants reading any secret.
    expect(allPolicyActions(stack, template)).not.toContain('secretsmanager:GetSecretValue');
    expect(allPolicyActions(stack, template)).not.toContain('secretsmanager:*');
    template.hasOutput('*', { Value: stack.resolve(pipeline.certificateSecret!.secretArn) });
  });

  test('GIVEN a generated certificate WHEN synthesized THEN the provider may tag its secrets with the certificate id only, and describe them', () => {
    const { stack, pipeline, template } = synth();
    const secretArn = stack.resolve(pipeline.certificateSecret!.secretArn);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret'], Resource: secretArn }),
          Match.objectLike({
            Action: 'secretsmanager:TagResource',
            Resource: secretArn,
            Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [CERTIFICATE_ID_TAG] } },
          }),
        ]),
      },
    });
  });

  test('GIVEN a generated certificate WHEN synthesized THEN the secret\'s resource policy denies other accounts, the provider reading it and anyone else changing its ownership tag', () => {
    const { stack, template } = synth();
    const policies = propertiesOfType<{ ResourcePolicy: PolicyDocument }>(template, 'AWS::SecretsManager::ResourcePolicy');
    expect(policies).toHaveLength(1);
    const statements = stack.resolve(policies[0].ResourcePolicy.Statement);
    expect(statements).toEqual([
      expect.objectContaining({
        Sid: 'OnlyThisAccount',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:*',
        Condition: { StringNotEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } }, BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
      }),
      expect.objectContaining({
        Sid: 'TheCertificateProviderOnlyWrites',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:GetSecretValue',
        Condition: { ArnEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [expect.stringMatching(/^IotCoreFirehosePipelineCertificateProviderOnEventRole/), 'Arn'] } } },
      }),
      expect.objectContaining({
        Sid: 'OnlyTheCertificateProviderTagsTheOwner',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
        Condition: {
          'ForAnyValue:StringEquals': { 'aws:TagKeys': ['iot-pipeline:certificate-id'] },
          'ArnNotEquals': { 'aws:PrincipalArn': { 'Fn::GetAtt': [expect.stringMatching(/^IotCoreFirehosePipelineCertificateProviderOnEventRole/), 'Arn'] } },
        },
      }),
    ]);
  });

  test('GIVEN a CSR WHEN synthesized THEN AWS IoT signs it and no secret or provider is created', () => {
    const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END CERTIFICATE REQUEST-----';
    const { pipeline, template } = synth({ certificate: DeviceCertificate.fromCsr(csr) });
    expect(pipeline.device.certificateSource).toEqual(DeviceCertificateSource.CSR);
    template.hasResourceProperties('AWS::IoT::Certificate', { CertificateSigningRequest: csr, Status: 'ACTIVE' });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('Custom::IotDeviceCertificate', 0);
    const certificate = Object.keys(template.findResources('AWS::IoT::Certificate'))[0];
    template.hasResourceProperties('AWS::IoT::ThingPrincipalAttachment', { Principal: { 'Fn::GetAtt': [certificate, 'Arn'] } });
    template.hasResourceProperties('AWS::IoT::PolicyPrincipalAttachment', { Principal: { 'Fn::GetAtt': [certificate, 'Arn'] } });
  });

  test('GIVEN a certificate ARN WHEN synthesized THEN thing and policy are attached to it', () => {
    const arn = `arn:aws:iot:eu-west-1:123456789012:cert/${'a'.repeat(64)}`;
    const { pipeline, template } = synth({ certificate: DeviceCertificate.fromCertificateArn(arn) });
    expect(pipeline.device.certificateSource).toEqual(DeviceCertificateSource.CERTIFICATE_ARN);
    expect(pipeline.device.certificateArn).toEqual(arn);
    template.resourceCountIs('AWS::IoT::Certificate', 0);
    template.hasResourceProperties('AWS::IoT::ThingPrincipalAttachment', { Principal: arn });
    template.hasResourceProperties('AWS::IoT::PolicyPrincipalAttachment', { Principal: arn });
  });

  test('GIVEN no certificate WHEN synthesized THEN thing and policy exist and nothing is attached', () => {
    const { pipeline, template } = synth({ certificate: DeviceCertificate.none() });
    expect(pipeline.device.certificateSource).toEqual(DeviceCertificateSource.NONE);
    expect(pipeline.device.certificateArn).toBeUndefined();
    template.resourceCountIs('AWS::IoT::Thing', 1);
    template.resourceCountIs('AWS::IoT::Policy', 1);
    template.resourceCountIs('AWS::IoT::ThingPrincipalAttachment', 0);
    template.resourceCountIs('AWS::IoT::PolicyPrincipalAttachment', 0);
    template.resourceCountIs('Custom::IotDeviceCertificate', 0);
  });
});

describe('topic rule', () => {
  test('GIVEN defaults WHEN synthesized THEN the rule selects the topic level below the base topic into Firehose with a newline separator', () => {
    const { stack, pipeline, template } = synth();
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: {
        Sql: "SELECT topic() as topic, * FROM 'iot-test-topic/+' WHERE isUndefined(topic)",
        AwsIotSqlVersion: '2016-03-23',
        RuleDisabled: false,
        Actions: [{
          Firehose: {
            DeliveryStreamName: stack.resolve(pipeline.deliveryStream.deliveryStreamName),
            Separator: '\n',
            RoleArn: Match.anyValue(),
          },
        }],
      },
    });
  });

  test('GIVEN defaults WHEN synthesized THEN failed actions keep the IoT error message in the raw bucket under iot-rule-errors/', () => {
    const { stack, pipeline, template } = synth();
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: {
        ErrorAction: {
          S3: {
            BucketName: stack.resolve(pipeline.rawBucket.bucketName),
            Key: Match.stringLikeRegexp('^iot-rule-errors/\\$\\{parse_time\\(.*\\$\\{newuuid\\(\\)\\}\\.json$'),
          },
        },
      },
    });
  });

  test('GIVEN the rule role WHEN synthesized THEN it may only PutRecord to this stream and write rule errors, and only this rule assumes it', () => {
    const { stack, pipeline, template } = synth();
    const rule = resourceOf<TopicRuleProperties>(template, pipeline.topicRule).Properties;
    const roleId = roleIdOf(rule.TopicRulePayload.Actions[0].Firehose!.RoleArn);
    expect(roleId).toEqual(logicalIdOf(pipeline.topicRuleRole));
    const role = resourceOf<IamRoleProperties>(template, pipeline.topicRuleRole).Properties;
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'iot.amazonaws.com' });
    expect(stack.resolve(role.AssumeRolePolicyDocument.Statement[0].Condition)).toEqual({
      StringEquals: {
        'aws:SourceAccount': { Ref: 'AWS::AccountId' },
        'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iot:eu-west-1:123456789012:rule/${rule.RuleName}`]] },
      },
    });
    expect(rule.RuleName).toMatch(/^[a-zA-Z0-9_]{1,128}$/);
    const statements = statementsOfRole(stack, template, roleId);
    expect(statements).toEqual([
      { Action: 'firehose:PutRecord', Effect: 'Allow', Resource: stack.resolve(pipeline.deliveryStream.deliveryStreamArn) },
      { Action: 's3:PutObject', Effect: 'Allow', Resource: stack.resolve(pipeline.rawBucket.arnForObjects('iot-rule-errors/*')) },
    ]);
  });

  test('GIVEN custom SQL WHEN synthesized THEN the rule uses it and there is no rejected-messages rule', () => {
    const sql = "SELECT topic(2) as device, temperature FROM 'iot-test-topic/#' WHERE temperature > 50";
    const { pipeline, template } = synth({ sql });
    template.hasResourceProperties('AWS::IoT::TopicRule', { TopicRulePayload: { Sql: sql } });
    template.resourceCountIs('AWS::IoT::TopicRule', 1);
    expect(pipeline.rejectedMessagesRule).toBeUndefined();
  });

  test('GIVEN defaults WHEN synthesized THEN a second rule keeps messages with their own "topic" in the raw bucket, with a role that trusts only it', () => {
    const { stack, pipeline, template } = synth();
    template.resourceCountIs('AWS::IoT::TopicRule', 2);
    const rejected = resourceOf<TopicRuleProperties>(template, pipeline.rejectedMessagesRule!).Properties;
    const main = resourceOf<TopicRuleProperties>(template, pipeline.topicRule).Properties;
    expect(rejected.RuleName).toEqual(`${main.RuleName}_Rejected`);
    const payload = rejected.TopicRulePayload;
    expect(payload.Sql).toEqual("SELECT * FROM 'iot-test-topic/+' WHERE NOT isUndefined(topic)");
    expect(payload.Actions).toHaveLength(1);
    expect(payload.Actions[0].S3).toMatchObject({
      BucketName: stack.resolve(pipeline.rawBucket.bucketName),
      Key: 'iot-rule-rejected/${parse_time("yyyy/MM/dd/HH", timestamp(), "UTC")}/${clientid()}/${newuuid()}.json',
    });
    expect(payload.ErrorAction.S3!.Key).toMatch(/^iot-rule-errors\//);
    const roleId = roleIdOf(payload.Actions[0].S3!.RoleArn);
    expect(roleId).not.toEqual(roleIdOf(main.TopicRulePayload.Actions[0].Firehose!.RoleArn));
    const role = resourcesOfType<IamRoleProperties>(template, 'AWS::IAM::Role')[roleId].Properties;
    expect(stack.resolve(role.AssumeRolePolicyDocument.Statement)).toEqual([expect.objectContaining({
      Principal: { Service: 'iot.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': arnInStack('iot', `rule/${rejected.RuleName}`) } },
    })]);
    expect(statementsOfRole(stack, template, roleId)).toEqual([{
      Action: 's3:PutObject',
      Effect: 'Allow',
      Resource: [stack.resolve(pipeline.rawBucket.arnForObjects('iot-rule-rejected/*')), stack.resolve(pipeline.rawBucket.arnForObjects('iot-rule-errors/*'))],
    }]);
  });

  test('GIVEN Basic Ingest WHEN synthesized THEN there is no rejected-messages rule (a Basic Ingest message reaches only its rule)', () => {
    const { pipeline, template } = synth({ basicIngest: true });
    template.resourceCountIs('AWS::IoT::TopicRule', 1);
    expect(pipeline.rejectedMessagesRule).toBeUndefined();
  });
});

describe('delivery stream', () => {
  test('GIVEN defaults WHEN synthesized THEN DirectPut, SSE, 60 s / 1 MiB, GZIP, prefixes, .json.gz, logging and raw backup', () => {
    const { stack, pipeline, template } = synth();
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: {
        BucketARN: stack.resolve(pipeline.parsedBucket.bucketArn),
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 1 },
        CompressionFormat: 'GZIP',
        Prefix: 'parsed/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
        ErrorOutputPrefix: Match.stringLikeRegexp('^errors/!\\{firehose:error-output-type\\}/'),
        FileExtension: '.json.gz',
        CloudWatchLoggingOptions: { Enabled: true, LogGroupName: stack.resolve(pipeline.deliveryLogGroup.logGroupName) },
        S3BackupMode: 'Enabled',
        S3BackupConfiguration: {
          BucketARN: stack.resolve(pipeline.rawBucket.bucketArn),
          CompressionFormat: 'GZIP',
          Prefix: Match.stringLikeRegexp('^raw/'),
          ErrorOutputPrefix: Match.stringLikeRegexp('^raw-errors/!\\{firehose:error-output-type\\}/'),
          CloudWatchLoggingOptions: Match.objectLike({ Enabled: true }),
        },
      },
    });
    const logGroups = propertiesOfType<LogGroupProperties>(template, 'AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThan(1);
    for (const logGroup of logGroups) expect(logGroup.RetentionInDays).toEqual(365);
  });

  test('GIVEN defaults WHEN synthesized THEN the pipeline\'s log groups are named under one prefix that differs per stack creation', () => {
    const { pipeline, template } = synth();
    const name = resourceOf<LogGroupProperties>(template, pipeline.deliveryLogGroup).Properties.LogGroupName!;
    expect(name).toEqual({
      'Fn::Join': ['', [expect.stringMatching(/^\/iot-pipeline\/TestStack-Pipeline-[0-9A-F]{8}\/$/), { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }, '/delivery']],
    });
    // The other named log group (the parser's) differs from the delivery log group's name in its last part only.
    const [prefix, stackIdPart] = name['Fn::Join'][1];
    const named = propertiesOfType<LogGroupProperties>(template, 'AWS::Logs::LogGroup').flatMap((g) => (g.LogGroupName ? [g.LogGroupName] : []));
    expect(named).toHaveLength(2);
    expect(named).toEqual(expect.arrayContaining(['delivery', 'parser'].map((suffix) => ({ 'Fn::Join': ['', [prefix, stackIdPart, `/${suffix}`]] }))));
  });

  test('GIVEN defaults WHEN synthesized THEN the processor parameters are all explicit', () => {
    const { stack, pipeline, template } = synth();
    const params = parameters(template);
    expect(params).toEqual({
      RoleArn: expect.objectContaining({ 'Fn::GetAtt': expect.arrayContaining(['Arn']) }),
      LambdaArn: stack.resolve(pipeline.parserFunction.functionArn),
      NumberOfRetries: '3',
      BufferSizeInMBs: '1',
      BufferIntervalInSeconds: '60',
    });
  });

  test('GIVEN buffering and processor options WHEN synthesized THEN they reach the template, retries 0 included', () => {
    const fn = (stack: Stack) => new lambda.Function(stack, 'Fn', {
      code: lambda.Code.fromInline('exports.handler = async () => ({ records: [] })'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
    });
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
      topic: 'plant/line-1',
      buffering: { interval: Duration.seconds(300), size: Size.mebibytes(64) },
      parser: Parser.fromFunction(fn(stack), { bufferInterval: Duration.seconds(0), bufferSize: Size.kibibytes(256), retries: 0, fileExtension: '.csv' }),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: { BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 64 }, FileExtension: '.csv.gz' },
    });
    expect(parameters(template)).toMatchObject({ NumberOfRetries: '0', BufferSizeInMBs: '0.25', BufferIntervalInSeconds: '0' });
    // The reference parser is not created when the user brings a function.
    expect(pipeline.parserFunction.node.path).toEqual('TestStack/Fn');
  });

  test('GIVEN the Firehose role WHEN synthesized THEN it may invoke exactly the parser function', () => {
    const { stack, pipeline, template } = synth();
    const invokes = firehoseStatements(stack, template).filter((s) => actionsOf(s).some((action) => action.startsWith('lambda:')));
    expect(invokes).toHaveLength(1);
    expect(invokes[0].Action).toEqual(['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration']);
    expect(invokes[0].Resource).toEqual(stack.resolve(pipeline.parserFunction.functionArn));
  });

  test('GIVEN the Firehose role WHEN synthesized THEN it holds the six S3 actions Firehose needs, objects only under the stream\'s prefixes, no s3:Delete*', () => {
    const { stack, pipeline, template } = synth();
    const role = resourceOf<IamRoleProperties>(template, pipeline.deliveryStreamRole).Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'firehose.amazonaws.com' },
      // The Firehose developer guide's trust for an S3 destination: sts:ExternalId = the account id.
      Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
    }]);
    expect(parameters(template).RoleArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(pipeline.deliveryStreamRole), 'Arn'] });
    const statements = firehoseStatements(stack, template);
    const s3Statements = statements.filter((s) => actionsOf(s).some((action) => action.startsWith('s3:')));
    expect(s3Statements).toEqual([
      {
        Sid: 'BucketsOfTheStream',
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: [stack.resolve(pipeline.parsedBucket.bucketArn), stack.resolve(pipeline.rawBucket.bucketArn)],
      },
      {
        Sid: 'ObjectsUnderTheStreamPrefixes',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        Resource: ['parsed/year=', 'errors/', 'raw/year=', 'raw-errors/'].map((prefix, i) =>
          stack.resolve((i < 2 ? pipeline.parsedBucket : pipeline.rawBucket).arnForObjects(`${prefix}*`))),
      },
    ]);
    expect(statements.flatMap(actionsOf)).not.toContainEqual(expect.stringMatching(/^(s3:Delete|s3:\*|s3:PutObjectRetention|s3:PutObjectLegalHold|kms:)/));
    // Every other statement: the log group and the parser, nothing else.
    expect(statements.flatMap(actionsOf).filter((a) => !a.startsWith('s3:')).sort())
      .toEqual(['lambda:GetFunctionConfiguration', 'lambda:InvokeFunction', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    // No other role is created for the stream (aws-cdk-lib's destination and stream roles).
    const trustsFirehose = propertiesOfType<IamRoleProperties>(template, 'AWS::IAM::Role')
      .filter((r) => r.AssumeRolePolicyDocument.Statement.some((st) => stringsIn(st.Principal).includes('firehose.amazonaws.com')));
    expect(trustsFirehose).toHaveLength(1);
  });

  test('GIVEN a customer-managed key WHEN synthesized THEN the Firehose role may use it through S3 for the pipeline\'s buckets only', () => {
    const { stack, pipeline, template } = synth({ encryption: PipelineEncryption.customerManaged() });
    const kmsStatements = firehoseStatements(stack, template).filter((s) => actionsOf(s).some((action) => action.startsWith('kms:')));
    expect(kmsStatements).toEqual([{
      Sid: 'DataKeysThroughS3',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: stack.resolve(pipeline.encryptionKey!.keyArn),
      Condition: {
        StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
        StringLike: {
          'kms:EncryptionContext:aws:s3:arn': [
            stack.resolve(pipeline.parsedBucket.bucketArn), stack.resolve(pipeline.parsedBucket.arnForObjects('*')),
            stack.resolve(pipeline.rawBucket.bucketArn), stack.resolve(pipeline.rawBucket.arnForObjects('*')),
          ],
        },
      },
    }]);
  });

  test('GIVEN prefixes without a given error prefix, and the backup off WHEN synthesized THEN the object scope widens only as far as Firehose may write', () => {
    const { stack, pipeline, template } = synth({ dataOutputPrefix: 'data/', backup: { enabled: false } });
    const objects = firehoseStatements(stack, template).filter((s) => s.Sid === 'ObjectsUnderTheStreamPrefixes');
    expect(objects).toHaveLength(1);
    // Without an error prefix Firehose chooses where errors go: the whole bucket, and only the parsed bucket.
    expect(objects[0].Resource).toEqual(stack.resolve(pipeline.parsedBucket.arnForObjects('*')));
  });

  test('GIVEN backup disabled WHEN synthesized THEN the stream has no backup configuration', () => {
    const { template } = synth({ backup: { enabled: false } });
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: { S3BackupMode: Match.absent(), S3BackupConfiguration: Match.absent() },
    });
  });

  test('GIVEN uncompressed output WHEN synthesized THEN the extension has no compression suffix', () => {
    const { template } = synth({ compression: firehose.Compression.UNCOMPRESSED });
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: { CompressionFormat: 'UNCOMPRESSED', FileExtension: '.json' },
    });
  });

  test('GIVEN custom prefixes WHEN synthesized THEN they are used', () => {
    const { template } = synth({ dataOutputPrefix: 'site-a/!{timestamp:yyyy-MM-dd}/', errorOutputPrefix: 'site-a-errors/!{firehose:error-output-type}/' });
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: { Prefix: 'site-a/!{timestamp:yyyy-MM-dd}/', ErrorOutputPrefix: 'site-a-errors/!{firehose:error-output-type}/' },
    });
  });
});

describe('parser', () => {
  test('GIVEN the reference parser WHEN synthesized THEN it is a pinned arm64 function from the bundled asset with its own log group and the JSON log format', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 60,
      Environment: { Variables: { PARSER_FORMAT: 'jsonl', PARSER_DELIVERY: 'firehose' } },
      LoggingConfig: { LogGroup: Match.anyValue(), LogFormat: 'JSON' },
    });
  });

  test('GIVEN CSV output WHEN synthesized THEN the parser gets the columns and objects end in .csv.gz', () => {
    const { template } = synth({ parser: Parser.reference({ format: ParsedFormat.csv({ columns: ['topic', 'reading.temperature'] }) }) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { PARSER_FORMAT: 'csv', PARSER_OPTIONS: '{"columns":["topic","reading.temperature"]}' } },
    });
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', { ExtendedS3DestinationConfiguration: { FileExtension: '.csv.gz' } });
  });

  test('GIVEN a two-level base topic WHEN synthesized THEN the reference parser learns it, so topicSegmentFields name the levels below it', () => {
    const { template } = synth({
      topic: 'factory/telemetry',
      parser: Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { PARSER_FORMAT: 'jsonl', PARSER_OPTIONS: '{"topicSegmentFields":["device"],"baseTopicLevels":2}' } },
    });
  });

  test('GIVEN a two-level base topic and no topicSegmentFields WHEN synthesized THEN the parser options stay as the format gives them', () => {
    const { template } = synth({ topic: 'plant/line-1', parser: Parser.reference({ format: ParsedFormat.csv({ columns: ['machine'] }) }) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { PARSER_FORMAT: 'csv', PARSER_OPTIONS: '{"columns":["machine"]}' } },
    });
  });

  test('GIVEN a one-level base topic WHEN synthesized THEN the parser options stay as the format gives them', () => {
    const { template } = synth({ parser: Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) }) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { PARSER_OPTIONS: '{"topicSegmentFields":["device"]}' } },
    });
  });

  test('GIVEN direct delivery WHEN synthesized THEN the parser may PutObject under its prefix of the parsed bucket only', () => {
    const { stack, pipeline, template } = synth({ parser: Parser.reference({ delivery: ParserDelivery.direct({ prefix: 'by-parser/' }) }) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { PARSER_DELIVERY: 'direct', PARSER_DIRECT_PREFIX: 'by-parser/', PARSER_DIRECT_BUCKET: stack.resolve(pipeline.parsedBucket.bucketName) } },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 's3:PutObject', Effect: 'Allow', Resource: stack.resolve(pipeline.parsedBucket.arnForObjects('by-parser/*')) }]) },
    });
  });

  test('GIVEN a handler role WHEN synthesized THEN no function role carries an AWS-managed policy', () => {
    const { template } = synth({ certificate: DeviceCertificate.none() });
    const roles = propertiesOfType<IamRoleProperties>(template, 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      expect(role.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('storage', () => {
  test('GIVEN defaults WHEN synthesized THEN parsed and raw buckets are hardened, logged and retained', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::S3::Bucket', 3);
    const buckets = Object.values(resourcesOfType<BucketProperties>(template, 'AWS::S3::Bucket'))
      .filter((bucket) => bucket.Properties.LoggingConfiguration !== undefined);
    expect(buckets).toHaveLength(2);
    for (const bucket of buckets) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption?.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toEqual('AES256');
      expect(bucket.DeletionPolicy).toEqual('Retain');
    }
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('GIVEN RemovalPolicy.DESTROY WHEN synthesized THEN buckets are emptied (auto-delete) and deleted with the stack', () => {
    const { stack, template } = synth({ removalPolicy: RemovalPolicy.DESTROY });
    const buckets = resourcesOfType<BucketProperties>(template, 'AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(3);
    const autoDeletes = propertiesOfType<{ BucketName: Reference }>(template, 'Custom::S3AutoDeleteObjects');
    expect(autoDeletes.map((r) => (stack.resolve(r.BucketName) as Reference).Ref).sort()).toEqual(Object.keys(buckets).sort());
    for (const bucket of Object.values(buckets)) {
      expect(bucket.DeletionPolicy).toEqual('Delete');
    }
  });

  test('GIVEN the default RETAIN WHEN synthesized THEN no bucket is auto-deleted', () => {
    const { template } = synth();
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('GIVEN defaults WHEN synthesized THEN noncurrent versions expire, incomplete uploads are aborted, rule errors and rejected messages expire', () => {
    const { pipeline, template } = synth();
    const rules = (bucket: s3.IBucket) => resourceOf<BucketProperties>(template, bucket).Properties.LifecycleConfiguration?.Rules;
    const noncurrent = {
      Id: 'expire-noncurrent-versions',
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      ExpiredObjectDeleteMarker: true,
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    };
    expect(rules(pipeline.parsedBucket)).toEqual([noncurrent]);
    expect(rules(pipeline.rawBucket)).toEqual([
      noncurrent,
      { Id: 'expire-rule-errors', Status: 'Enabled', Prefix: 'iot-rule-errors/', ExpirationInDays: 90 },
      { Id: 'expire-rejected-messages', Status: 'Enabled', Prefix: 'iot-rule-rejected/', ExpirationInDays: 90 },
    ]);
    expect(rules(pipeline.accessLogsBucket!)).toEqual([{ Id: 'expire-access-logs', Status: 'Enabled', ExpirationInDays: 365 }, noncurrent]);
  });

  test('GIVEN lifecycle options WHEN synthesized THEN they replace the defaults; fractions of days are rejected', () => {
    const { pipeline, template } = synth({
      lifecycle: { noncurrentVersionExpiration: Duration.days(7), ruleErrorExpiration: Duration.days(14), accessLogExpiration: Duration.days(400) },
    });
    const rules = (bucket: s3.IBucket) => resourceOf<BucketProperties>(template, bucket).Properties.LifecycleConfiguration?.Rules;
    const noncurrent = expect.objectContaining({ Id: 'expire-noncurrent-versions', NoncurrentVersionExpiration: { NoncurrentDays: 7 } });
    expect(rules(pipeline.rawBucket)).toEqual([
      noncurrent,
      expect.objectContaining({ Id: 'expire-rule-errors', ExpirationInDays: 14 }),
      expect.objectContaining({ Id: 'expire-rejected-messages', ExpirationInDays: 14 }),
    ]);
    expect(rules(pipeline.parsedBucket)).toEqual([noncurrent]);
    expect(rules(pipeline.accessLogsBucket!)).toEqual([expect.objectContaining({ Id: 'expire-access-logs', ExpirationInDays: 400 }), noncurrent]);
    expect(() => synth({ lifecycle: { ruleErrorExpiration: Duration.hours(12) } }))
      .toThrow(/invalid `lifecycle.ruleErrorExpiration`: 12 hours is not a whole number of days/);
  });

  test.each([true, false])('GIVEN @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy=%s WHEN synthesized THEN the access logs arrive through the log bucket\'s policy, never an ACL', (flag) => {
    const stack = testStack('TestStack', { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': flag });
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 't' });
    const template = Template.fromStack(stack);
    const logsId = logicalIdOf(pipeline.accessLogsBucket!);
    const logs = resourceOf<BucketProperties>(template, pipeline.accessLogsBucket!);
    expect(logs.Properties.AccessControl).toBeUndefined();
    expect(logs.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(logs.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const policies = propertiesOfType<{ Bucket: Reference; PolicyDocument: PolicyDocument }>(template, 'AWS::S3::BucketPolicy').filter((p) => p.Bucket.Ref === logsId);
    expect(policies).toHaveLength(1);
    const delivery = policies[0].PolicyDocument.Statement.filter((st) => st.Principal?.Service === 'logging.s3.amazonaws.com');
    expect(delivery.map((st) => stack.resolve(st))).toEqual([pipeline.parsedBucket, pipeline.rawBucket].map((bucket, i) => ({
      Sid: `S3ServerAccessLogs${i === 0 ? 'ParsedBucket' : 'RawBucket'}`,
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: stack.resolve(pipeline.accessLogsBucket!.arnForObjects(i === 0 ? 'parsed-bucket/*' : 'raw-bucket/*')),
      Condition: { ArnLike: { 'aws:SourceArn': stack.resolve(bucket.bucketArn) }, StringEquals: { 'aws:SourceAccount': '123456789012' } },
    })));
    for (const bucket of [pipeline.parsedBucket, pipeline.rawBucket]) {
      const props = resourceOf<BucketProperties>(template, bucket).Properties;
      expect(props.LoggingConfiguration?.DestinationBucketName).toEqual({ Ref: logsId });
    }
  });

  test('GIVEN the caller\'s buckets WHEN synthesized THEN no bucket is created and the stream writes to them', () => {
    const stack = newStack();
    const parsed = s3.Bucket.fromBucketName(stack, 'Parsed', 'my-parsed');
    const raw = s3.Bucket.fromBucketName(stack, 'Raw', 'my-raw');
    new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 't', parsedBucket: parsed, rawBucket: raw });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: {
        BucketARN: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-parsed']] },
        S3BackupConfiguration: { BucketARN: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-raw']] } },
      },
    });
  });
});

describe('endpoint and outputs', () => {
  test('GIVEN a pipeline WHEN synthesized THEN the iot:Data-ATS endpoint is looked up once and output', () => {
    const { stack, pipeline, template } = synth();
    template.hasResourceProperties('Custom::AWS', {
      Create: Match.serializedJson(Match.objectLike({ service: 'IoT', action: 'DescribeEndpoint', parameters: { endpointType: 'iot:Data-ATS' } })),
    });
    template.hasOutput('IotDataAtsEndpoint', { Value: stack.resolve(pipeline.dataEndpoint) });
  });
});

describe('two pipelines in one stack', () => {
  test('GIVEN two pipelines WHEN synthesized THEN each has its own resources, shared singletons once, and no physical names clash', () => {
    const stack = newStack();
    const a = new IotCoreFirehosePipeline(stack, 'CustomerA', { topic: 'customer-a' });
    const b = new IotCoreFirehosePipeline(stack, 'CustomerB', { topic: 'customer-b' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 2);
    template.resourceCountIs('AWS::IoT::TopicRule', 4);
    template.resourceCountIs('AWS::IoT::Thing', 2);
    template.resourceCountIs('Custom::AWS', 1);
    expect(a.thingName).not.toEqual(b.thingName);
    expect(stack.resolve(a.dataEndpoint)).toEqual(stack.resolve(b.dataEndpoint));
    // No hard-coded physical names besides the thing names and the rule names (unique per construct path: their
    // roles trust exactly them) and the log groups (unique per construct path and stack creation).
    const ruleNames = propertiesOfType<TopicRuleProperties>(template, 'AWS::IoT::TopicRule').map((r) => r.RuleName);
    expect(new Set(ruleNames).size).toEqual(4);
    expect(ruleNames).toEqual(Array(4).fill(expect.stringMatching(/^TestStack_Customer[AB]_[0-9A-F]{8}(_Rejected)?$/)));
    // A log group name is `<prefix>` + the stack id's unique part + `/<suffix>`: the literal parts tell them apart.
    const logGroupNames = propertiesOfType<LogGroupProperties>(template, 'AWS::Logs::LogGroup')
      .flatMap((r) => (r.LogGroupName ? [r.LogGroupName['Fn::Join'][1]] : []));
    expect(logGroupNames).toHaveLength(4);
    expect(new Set(logGroupNames.map(([prefix, , suffix]) => `${prefix}…${suffix}`)).size).toEqual(4);
    const named = ['AWS::KinesisFirehose::DeliveryStream', 'AWS::IoT::Policy', 'AWS::S3::Bucket', 'AWS::Lambda::Function', 'AWS::IAM::Role'];
    for (const type of named) {
      for (const resource of Object.values(resourcesOfType<Record<string, unknown> | undefined>(template, type))) {
        const props = resource.Properties ?? {};
        const names = [props.DeliveryStreamName, props.PolicyName, props.BucketName, props.FunctionName, props.RoleName];
        expect(names.filter((name) => name !== undefined)).toEqual([]);
      }
    }
  });
});

describe('enum-like classes', () => {
  test('GIVEN each DeviceCertificate factory WHEN built THEN it exposes its source', () => {
    const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----';
    expect(DeviceCertificate.generated().source).toEqual(DeviceCertificateSource.GENERATED);
    expect(DeviceCertificate.fromCsr(csr).source).toEqual(DeviceCertificateSource.CSR);
    expect(DeviceCertificate.fromCertificateArn(`arn:aws:iot:eu-west-1:123456789012:cert/${'c'.repeat(64)}`).source).toEqual(DeviceCertificateSource.CERTIFICATE_ARN);
    expect(DeviceCertificate.none().source).toEqual(DeviceCertificateSource.NONE);
  });

  test('GIVEN each ParsedFormat factory WHEN built THEN it exposes its kind and extension', () => {
    expect(ParsedFormat.jsonLines()).toMatchObject({ kind: ParsedFormatKind.JSON_LINES, extension: '.json' });
    expect(ParsedFormat.csv({ columns: ['a'] })).toMatchObject({ kind: ParsedFormatKind.CSV, extension: '.csv' });
  });

  test('GIVEN each PartitionKey factory WHEN built THEN it exposes its source and where the value comes from', () => {
    expect(PartitionKey.topicLevel('device', 1)).toMatchObject({ name: 'device', source: PartitionKeySource.TOPIC_LEVEL, level: 1, path: undefined });
    expect(PartitionKey.field('site', 'meta.site')).toMatchObject({ name: 'site', source: PartitionKeySource.FIELD, level: undefined, path: 'meta.site' });
  });

  test('GIVEN each ParserDelivery factory WHEN built THEN it exposes its mode and the direct prefix', () => {
    expect(ParserDelivery.firehose()).toMatchObject({ mode: ParserDeliveryMode.FIREHOSE, prefix: undefined });
    expect(ParserDelivery.direct()).toMatchObject({ mode: ParserDeliveryMode.DIRECT, prefix: 'direct/' });
    expect(ParserDelivery.direct({ prefix: 'mine/' })).toMatchObject({ mode: ParserDeliveryMode.DIRECT, prefix: 'mine/' });
  });
});

describe('names the CLI and the local runner look for (src/contract)', () => {
  test('GIVEN a pipeline WHEN synthesized THEN every output id of the contract is an output of the pipeline, the thing-name output has the contract description', () => {
    const { template } = synth();
    const outputs = template.toJSON().Outputs as Record<string, { Description?: string }>;
    for (const id of Object.values(PIPELINE_OUTPUT_IDS)) {
      expect(Object.keys(outputs).filter((logicalId) => new RegExp(`^Pipeline${id}[0-9A-F]{8}$`).test(logicalId))).toHaveLength(1);
    }
    const thingOutput = Object.entries(outputs).find(([logicalId]) => logicalId.startsWith(`Pipeline${PIPELINE_OUTPUT_IDS.thingName}`))!;
    expect(thingOutput[1].Description).toEqual(THING_NAME_OUTPUT_DESCRIPTION);
    expect(outputs[DATA_ENDPOINT_OUTPUT_ID]).toBeDefined();
  });

  test('GIVEN a pipeline with an added device WHEN synthesized THEN its own device, policy, rule and stream carry the contract construct ids', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 't' });
    pipeline.addDevice('Extra', { thingName: 'extra' });
    const template = Template.fromStack(stack);
    const ids = PIPELINE_CONSTRUCT_IDS;
    const logicalIds = (type: string) => Object.keys(template.findResources(type));
    expect(pipeline.device.node.id).toEqual(ids.device);
    expect(logicalIds('AWS::IoT::Thing').filter((id) => id.startsWith(`Pipeline${ids.device}${ids.thing}`))).toHaveLength(1);
    expect(logicalIds('Custom::IotDeviceCertificate').filter((id) => id.startsWith(`Pipeline${ids.device}${ids.certificate}`))).toHaveLength(1);
    expect(logicalIds('AWS::IoT::Policy').map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([`Pipeline${ids.devicePolicy}`, `Pipeline${ids.fleetPolicy}`]);
    expect(logicalIds('AWS::IoT::TopicRule').map((id) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([`Pipeline${ids.topicRule}`, 'PipelineRejectedMessagesRule']);
    expect(logicalIds('AWS::KinesisFirehose::DeliveryStream').map((id) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([`Pipeline${ids.deliveryStream}`]);
  });
});
