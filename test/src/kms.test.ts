import * as fs from 'fs';
import * as path from 'path';
import { Duration, Size } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  actionsOf, IamRoleProperties, logicalIdOf, mentions, onlyResourceOfType, policyStatements, Reference, referencedId,
  resourcesOfType, statementResources, testStack,
} from './template';
import {
  ColumnType, IotCoreFirehosePipeline, IotLogLevel, Parser, ParserDelivery, PipelineEncryption, TableFormat,
} from '../../src';
import { keyUseTableMarkdown } from '../../src/private/trust-catalog';

/** A customer-managed key with every principal that may use it: stream, rules, direct parser, certificate provider, a query grant. */
function keyStack() {
  const stack = testStack('KeyStack');
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
    topic: 'plant/telemetry',
    encryption: PipelineEncryption.customerManaged(),
    buffering: { interval: Duration.seconds(60), size: Size.mebibytes(64) },
    parser: Parser.reference({ delivery: ParserDelivery.direct() }),
    table: { columns: [{ name: 'temp', type: ColumnType.DOUBLE }], format: TableFormat.parquet() },
  });
  const analyst = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
  pipeline.grantQuery(analyst);
  return { stack, pipeline, analyst, template: Template.fromStack(stack) };
}

describe('who uses the key, through which service', () => {
  test('GIVEN a customer-managed key WHEN synthesized THEN every identity-policy statement on it names the service (kms:ViaService) and an encryption context of the pipeline\'s resources', () => {
    // GIVEN / WHEN
    const { stack, pipeline, analyst, template } = keyStack();
    const keyArn = stack.resolve(pipeline.encryptionKey!.keyArn);
    // THEN
    const uses = policyStatements(stack, template)
      .filter(({ statement }) => statementResources(statement).some((resource) => mentions(resource, keyArn)));
    expect(uses.length).toBeGreaterThan(0);
    for (const { statement } of uses) {
      const via = statement.Condition?.StringEquals?.['kms:ViaService'];
      expect(['s3.eu-west-1.amazonaws.com', 'secretsmanager.eu-west-1.amazonaws.com']).toContain(via);
      const context = { ...statement.Condition?.StringEquals, ...statement.Condition?.StringLike };
      const contextKey = via === 's3.eu-west-1.amazonaws.com' ? 'kms:EncryptionContext:aws:s3:arn' : 'kms:EncryptionContext:SecretARN';
      expect(context[contextKey]).toBeDefined();
      // no kms:*, no Encrypt or ReEncrypt, no GenerateDataKey* wildcard
      expect(actionsOf(statement).filter((action) => /kms:\*|Encrypt$|ReEncrypt|kms:GenerateDataKey\*/.test(action))).toEqual([]);
    }
    // the principals: stream, topic rule, rejected-messages rule, direct parser, certificate provider, the analyst
    const roleIds = [...new Set(uses.flatMap((u) => u.roles.map(referencedId)))].sort();
    expect(roleIds).toEqual(expect.arrayContaining([
      logicalIdOf(pipeline.deliveryStreamRole), logicalIdOf(pipeline.topicRuleRole), logicalIdOf(pipeline.parserFunction.role!), logicalIdOf(analyst),
    ]));
    expect(roleIds).toHaveLength(6);
  });

  test('GIVEN a generated certificate and a key WHEN synthesized THEN the provider may make data keys through Secrets Manager for that secret only', () => {
    const { stack, pipeline, template } = keyStack();
    const secretUses = policyStatements(stack, template).map(({ statement }) => statement)
      .filter((st) => st.Condition?.StringEquals?.['kms:ViaService'] === 'secretsmanager.eu-west-1.amazonaws.com');
    expect(secretUses).toEqual([{
      Effect: 'Allow',
      Action: 'kms:GenerateDataKey',
      Resource: stack.resolve(pipeline.encryptionKey!.keyArn),
      Condition: {
        StringEquals: {
          'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com',
          'kms:EncryptionContext:SecretARN': stack.resolve(pipeline.certificateSecret!.secretArn),
        },
      },
    }]);
  });

  test('GIVEN the key uses WHEN the README is read THEN its "Who uses the key" table is the catalog\'s', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    // On a mismatch, paste keyUseTableMarkdown() (src/private/trust-catalog.ts) into the README's "Who uses the key".
    expect(readme.slice(readme.indexOf('### Who uses the key'))).toContain(keyUseTableMarkdown());
  });
});

describe('IoT logging trust', () => {
  test('GIVEN iotLogging WHEN synthesized THEN AWS IoT may assume the logging role only for this account and its IoT resources (aws:SourceArn, aws:SourceAccount)', () => {
    const stack = testStack('LoggingStack');
    new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'fleet', iotLogging: IotLogLevel.ERROR });
    const template = Template.fromStack(stack);
    const logging = onlyResourceOfType<{ readonly RoleArn: Reference }>(template, 'AWS::IoT::Logging');
    const role = resourcesOfType<IamRoleProperties>(template, 'AWS::IAM::Role')[referencedId(logging.Properties.RoleArn)];
    expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'iot.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iot:eu-west-1:123456789012:*']] } },
      },
    }]);
  });
});
