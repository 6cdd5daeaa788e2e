import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { nagFindings } from './template';
import { AddFleetProvisioningOptions, DeviceCertificate, IotCoreFirehosePipeline, PipelineEncryption } from '../../src';
import {
  CERTIFICATE_RESOURCE_TYPE, FLEET_CLAIM_SECRET_OUTPUT_DESCRIPTION, FLEET_CONSTRUCT_IDS, FLEET_OUTPUT_IDS, FLEET_TEMPLATE_OUTPUT_DESCRIPTION,
  PIPELINE_CONSTRUCT_IDS,
} from '../../src/contract';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ARN = `arn:aws:iot:${REGION}:${ACCOUNT}`;

function newStack(): Stack {
  return new Stack(new App(), 'FleetStack', { env: { account: ACCOUNT, region: REGION } });
}

function synth(options: AddFleetProvisioningOptions = {}) {
  const stack = newStack();
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'factory/telemetry' });
  const fleet = pipeline.addFleetProvisioning('Lathes', options);
  return { stack, pipeline, fleet, template: Template.fromStack(stack) };
}

/** The provisioning template's body, parsed. */
function body(stack: Stack, template: Template): any {
  const templates = Object.values(template.findResources('AWS::IoT::ProvisioningTemplate'));
  expect(templates).toHaveLength(1);
  const resolved = stack.resolve((templates[0] as any).Properties.TemplateBody);
  return JSON.parse(typeof resolved === 'string' ? resolved : flattenJoin(resolved));
}

/** `{"Fn::Join": ["", [...]]}` with `{"Ref": id}` parts rendered as `<id>`: the body's CloudFormation references. */
function flattenJoin(value: any): string {
  return value['Fn::Join'][1].map((part: any) => (typeof part === 'string' ? part : `<${part.Ref}>`)).join('');
}

/** A resolved value as text: `Fn::Join` parts joined, `AWS::Partition` as `aws`, any other `Ref` as `<logical id>`. */
function text(value: any): any {
  if (Array.isArray(value)) return value.map(text);
  if (typeof value !== 'object' || value === null) return value;
  if (value.Ref === 'AWS::Partition') return 'aws';
  if (value.Ref) return `<${value.Ref}>`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(text).join(value['Fn::Join'][0]);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, text(v)]));
}

/** The logical id of the pipeline's fleet policy. */
function fleetPolicyId(template: Template): string {
  const ids = Object.keys(template.findResources('AWS::IoT::Policy')).filter((id) => id.startsWith(`Pipeline${PIPELINE_CONSTRUCT_IDS.fleetPolicy}`));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** The statements of the provisioning role's policy. */
function roleStatements(template: Template): any[] {
  const roleIds = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith('PipelineLathesProvisioningRole'));
  expect(roleIds).toHaveLength(1);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleIds[0]))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** A pre-provisioning hook that allows every device, with the given timeout in seconds. */
function hookFunction(stack: Stack, timeoutSeconds: number): lambda.Function {
  return new lambda.Function(stack, 'Hook', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ allowProvisioning: true })'),
    timeout: Duration.seconds(timeoutSeconds),
  });
}

describe('FleetProvisioning', () => {
  test('GIVEN a fleet with a hook WHEN synthesized THEN each resource sits at the construct path the contract names (tools find them by it)', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'factory/telemetry' });
    const hook = lambda.Function.fromFunctionArn(stack, 'Hook', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:hook`);
    pipeline.addFleetProvisioning('Lathes', { templateName: 'lathes', preProvisioningHook: hook });
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
    // the CloudFormation type of the resource at a construct path below the fleet
    const at = (...ids: string[]) => {
      const child = ids.reduce((node: IConstruct, id) => node.node.findChild(id), pipeline.node.findChild('Lathes'));
      const resource = child instanceof CfnResource ? child : child.node.defaultChild as CfnResource;
      return resources[stack.getLogicalId(resource)]?.Type;
    };
    expect(at(FLEET_CONSTRUCT_IDS.template)).toBe('AWS::IoT::ProvisioningTemplate');
    expect(at(FLEET_CONSTRUCT_IDS.provisioningRole)).toBe('AWS::IAM::Role');
    expect(at(FLEET_CONSTRUCT_IDS.claimPolicy)).toBe('AWS::IoT::Policy');
    expect(at(FLEET_CONSTRUCT_IDS.hookPermission)).toBe('AWS::Lambda::Permission');
    expect(at(FLEET_CONSTRUCT_IDS.claimCertificate, PIPELINE_CONSTRUCT_IDS.certificate)).toBe(CERTIFICATE_RESOURCE_TYPE);
  });

  test('GIVEN a template name and prefix WHEN synthesized THEN an enabled FLEET_PROVISIONING template with that name uses the provisioning role', () => {
    const { template } = synth({ templateName: 'lathes', thingNamePrefix: 'lathe-' });
    template.hasResourceProperties('AWS::IoT::ProvisioningTemplate', {
      TemplateName: 'lathes',
      TemplateType: 'FLEET_PROVISIONING',
      Enabled: true,
      ProvisioningRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineLathesProvisioningRole'), 'Arn'] },
      PreProvisioningHook: Match.absent(),
    });
  });

  test('GIVEN attributes WHEN synthesized THEN the body makes thing <prefix><SerialNumber> with the attributes, activates the certificate and attaches the fleet policy', () => {
    const { stack, template } = synth({ templateName: 'lathes', thingNamePrefix: 'lathe-', attributes: ['Model', 'SerialNumber'] });
    const parsed = body(stack, template);
    expect(parsed.Parameters).toEqual({
      'SerialNumber': { Type: 'String' },
      'Model': { Type: 'String' },
      'AWS::IoT::Certificate::Id': { Type: 'String' },
    });
    expect(parsed.Resources.thing).toEqual({
      Type: 'AWS::IoT::Thing',
      Properties: {
        ThingName: { 'Fn::Join': ['', ['lathe-', { Ref: 'SerialNumber' }]] },
        AttributePayload: { Model: { Ref: 'Model' }, SerialNumber: { Ref: 'SerialNumber' } },
      },
    });
    expect(parsed.Resources.certificate).toEqual({
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    });
    // the policy is the pipeline's fleet policy, by the name CloudFormation gives it
    expect(parsed.Resources.policy).toEqual({ Type: 'AWS::IoT::Policy', Properties: { PolicyName: `<${fleetPolicyId(template)}>` } });
    expect(Object.keys(parsed.Resources)).toEqual(['thing', 'certificate', 'policy']);
  });

  test('GIVEN no attributes WHEN synthesized THEN the thing has no attribute payload', () => {
    const { stack, template } = synth({ templateName: 'lathes' });
    const parsed = body(stack, template);
    expect(parsed.Resources.thing.Properties.AttributePayload).toBeUndefined();
    expect(Object.keys(parsed.Parameters)).toEqual(['SerialNumber', 'AWS::IoT::Certificate::Id']);
  });

  test('GIVEN a fleet WHEN synthesized THEN the fleet policy confines each device to its thing and its sub-topic, and the pipeline\'s own device is confined too', () => {
    const { template, pipeline } = synth({ templateName: 'lathes' });
    const fleet = template.findResources('AWS::IoT::Policy')[fleetPolicyId(template)] as any;
    const [connect, publish] = text(fleet.Properties.PolicyDocument.Statement);
    expect(fleet.Properties.PolicyDocument.Statement).toHaveLength(2);
    expect(connect).toEqual(expect.objectContaining({
      Action: 'iot:Connect',
      Resource: `${ARN}:client/\${iot:Connection.Thing.ThingName}`,
      Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
    }));
    expect(publish.Action).toBe('iot:Publish');
    expect(publish.Resource).toHaveLength(2);
    expect(publish.Resource[0]).toMatch(/^arn:aws:iot:eu-west-1:123456789012:topic\/(\$aws\/rules\/[^/]+\/)?factory\/telemetry\/\$\{iot:Connection.Thing.ThingName\}$/);
    expect(publish.Resource[1]).toBe(`${publish.Resource[0]}/*`);
    // the pipeline's own device policy is confined to its sub-topic from now on
    const own = Object.entries(template.findResources('AWS::IoT::Policy')).find(([id]) => id.startsWith(`Pipeline${PIPELINE_CONSTRUCT_IDS.devicePolicy}`))![1] as any;
    expect(text(own.Properties.PolicyDocument.Statement[1].Resource[0])).toBe(`${ARN}:topic/factory/telemetry/${pipeline.thingName}`);
  });

  test('GIVEN no template name WHEN synthesized THEN a valid name is derived and the prefix is <name>-', () => {
    const { stack, template, fleet } = synth();
    expect(fleet.templateName).toMatch(/^[0-9A-Za-z_-]{1,36}$/);
    expect(fleet.thingNamePrefix).toBe(`${fleet.templateName}-`);
    expect(body(stack, template).Resources.thing.Properties.ThingName['Fn::Join'][1][0]).toBe(`${fleet.templateName}-`);
  });

  test('GIVEN two fleets in one stack WHEN synthesized THEN their derived template names differ', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'factory/telemetry' });
    const a = pipeline.addFleetProvisioning('Lathes');
    const b = pipeline.addFleetProvisioning('Mills');
    expect(a.templateName).not.toBe(b.templateName);
    Template.fromStack(stack).resourceCountIs('AWS::IoT::ProvisioningTemplate', 2);
    // one fleet policy shared by both fleets
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::IoT::Policy')).filter((id) => id.startsWith(`Pipeline${PIPELINE_CONSTRUCT_IDS.fleetPolicy}`))).toHaveLength(1);
  });

  test('GIVEN a fleet WHEN synthesized THEN the claim policy allows connect with any client id and exactly the template\'s fleet provisioning topics', () => {
    const { stack, fleet } = synth({ templateName: 'lathes' });
    const document = text(stack.resolve(fleet.claimPolicy.policyDocument));
    expect(document.Statement).toEqual([
      { Sid: 'ConnectWithAnyClientId', Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}:client/*` },
      {
        Sid: 'FleetProvisioningTopics',
        Effect: 'Allow',
        Action: ['iot:Publish', 'iot:Receive'],
        Resource: [
          `${ARN}:topic/$aws/certificates/create/*`,
          `${ARN}:topic/$aws/certificates/create-from-csr/*`,
          `${ARN}:topic/$aws/provisioning-templates/lathes/provision/*`,
        ],
      },
      {
        Sid: 'FleetProvisioningAnswers',
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: [
          `${ARN}:topicfilter/$aws/certificates/create/*/accepted`,
          `${ARN}:topicfilter/$aws/certificates/create/*/rejected`,
          `${ARN}:topicfilter/$aws/certificates/create-from-csr/*/accepted`,
          `${ARN}:topicfilter/$aws/certificates/create-from-csr/*/rejected`,
          `${ARN}:topicfilter/$aws/provisioning-templates/lathes/provision/*/accepted`,
          `${ARN}:topicfilter/$aws/provisioning-templates/lathes/provision/*/rejected`,
        ],
      },
    ]);
  });

  test('GIVEN the default claim WHEN synthesized THEN a generated certificate carries the claim policy, attached to no thing, and its secret is an output', () => {
    const { stack, fleet, template } = synth({ templateName: 'lathes' });
    expect(fleet.claimCertificateSecret).toBeDefined();
    template.hasResourceProperties('AWS::IoT::PolicyPrincipalAttachment', {
      PolicyName: { Ref: stack.getLogicalId(fleet.claimPolicy) },
      Principal: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineLathesClaimCertificate[0-9A-F]{8}$'), 'CertificateArn'] },
    });
    const thingAttachments = Object.values(template.findResources('AWS::IoT::ThingPrincipalAttachment')) as any[];
    expect(thingAttachments.some((a) => JSON.stringify(a).includes('LathesClaimCertificate'))).toBe(false);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('fleet provisioning claim certificate .* template lathes'),
    });
    const outputs = template.findOutputs('*');
    const templateOutput = Object.entries(outputs).find(([id]) => id.startsWith(`PipelineLathes${FLEET_OUTPUT_IDS.templateName}`));
    const secretOutput = Object.entries(outputs).find(([id]) => id.startsWith(`PipelineLathes${FLEET_OUTPUT_IDS.claimCertificateSecretArn}`));
    expect(templateOutput?.[1]).toEqual({ Description: FLEET_TEMPLATE_OUTPUT_DESCRIPTION, Value: 'lathes' });
    const secretId = stack.getLogicalId(fleet.claimCertificateSecret!.node.defaultChild as CfnResource);
    expect(secretOutput?.[1]).toEqual({ Description: FLEET_CLAIM_SECRET_OUTPUT_DESCRIPTION, Value: { Ref: secretId } });
  });

  test('GIVEN a claim certificate from a CSR WHEN synthesized THEN it is activated, carries the claim policy, and there is no secret or secret output', () => {
    const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----';
    const { fleet, template } = synth({ templateName: 'lathes', claimCertificate: DeviceCertificate.fromCsr(csr) });
    expect(fleet.claimCertificateSecret).toBeUndefined();
    template.hasResourceProperties('AWS::IoT::Certificate', { CertificateSigningRequest: csr, Status: 'ACTIVE' });
    template.hasResourceProperties('AWS::IoT::PolicyPrincipalAttachment', {
      Principal: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineLathesClaimCertificate[0-9A-F]{8}$'), 'Arn'] },
    });
    expect(Object.keys(template.findOutputs('*')).some((id) => id.includes(FLEET_OUTPUT_IDS.claimCertificateSecretArn))).toBe(false);
  });

  test('GIVEN a fleet WHEN synthesized THEN only AWS IoT of this account may assume the provisioning role', () => {
    const { template } = synth({ templateName: 'lathes' });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'iot.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': ACCOUNT },
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iot:${REGION}:${ACCOUNT}:*`]] } },
          },
        }],
      },
      Description: Match.stringLikeRegexp('template lathes'),
    });
  });

  test('GIVEN a fleet WHEN synthesized THEN the provisioning role may only create the fleet\'s things, activate certificates and read the fleet policy', () => {
    const { template } = synth({ templateName: 'lathes', thingNamePrefix: 'lathe-' });
    const statements = text(roleStatements(template));
    expect(statements).toHaveLength(4);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: ['iot:CreateThing', 'iot:DescribeThing', 'iot:UpdateThing'], Resource: `${ARN}:thing/lathe-*` }),
      expect.objectContaining({ Action: ['iot:DescribeCertificate', 'iot:UpdateCertificate', 'iot:AttachPolicy'], Resource: `${ARN}:cert/*` }),
      expect.objectContaining({ Action: 'iot:AttachThingPrincipal', Resource: '*' }),
      expect.objectContaining({
        Action: 'iot:GetPolicy',
        Resource: `${ARN}:policy/<${fleetPolicyId(template)}>`,
      }),
    ]));
    const actions = statements.flatMap((s: any) => [s.Action].flat());
    for (const forbidden of ['iot:CreatePolicy', 'iot:DeleteThing', 'iot:CreateKeysAndCertificate', 'iot:RegisterThing', 'iot:*']) {
      expect(actions).not.toContain(forbidden);
    }
  });

  test('GIVEN a pre-provisioning hook WHEN synthesized THEN the template names it with payload version 2020-04-01 and AWS IoT may invoke it for this template only', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'factory/telemetry' });
    const hook = hookFunction(stack, 5);
    pipeline.addFleetProvisioning('Lathes', { templateName: 'lathes', preProvisioningHook: hook });
    const template = Template.fromStack(stack);
    const hookArn = { 'Fn::GetAtt': [stack.getLogicalId(hook.node.defaultChild as lambda.CfnFunction), 'Arn'] };
    template.hasResourceProperties('AWS::IoT::ProvisioningTemplate', {
      PreProvisioningHook: { TargetArn: hookArn, PayloadVersion: '2020-04-01' },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: hookArn,
      Principal: 'iot.amazonaws.com',
      SourceArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iot:${REGION}:${ACCOUNT}:provisioningtemplate/lathes`]] },
      SourceAccount: ACCOUNT,
    });
    // the template is created after the permission: AWS IoT may check it can invoke the hook
    const [permissionId] = Object.keys(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'iot.amazonaws.com' } }));
    template.hasResource('AWS::IoT::ProvisioningTemplate', { DependsOn: Match.arrayWith([permissionId]) });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('preProvisioningHook'))).toEqual([]);
  });

  test('GIVEN a hook with a timeout over 5 s WHEN synthesized THEN a warning says to lower it', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'factory/telemetry' });
    const hook = hookFunction(stack, 30);
    pipeline.addFleetProvisioning('Lathes', { preProvisioningHook: hook });
    Annotations.fromStack(stack).hasWarning('/FleetStack/Pipeline/Lathes', Match.stringLikeRegexp('timeout of 30 s.*at most 5 seconds'));
  });

  test.each([
    ['templateName', { templateName: 'has space' }, /invalid `templateName`: "has space" is not a provisioning template name; use 1–36 characters/],
    ['templateName', { templateName: 'a'.repeat(37) }, /invalid `templateName`.*1–36/],
    ['templateName', { templateName: '' }, /invalid `templateName`/],
    ['thingNamePrefix', { thingNamePrefix: 'lathe/' }, /invalid `thingNamePrefix`: "lathe\/" contains characters a thing name cannot hold/],
    ['thingNamePrefix', { thingNamePrefix: 'x'.repeat(128) }, /invalid `thingNamePrefix`.*at most 128/],
    ['attributes', { attributes: ['Model', 'Model'] }, /invalid `attributes`: "Model" is listed twice/],
    ['attributes', { attributes: ['has space'] }, /invalid `attributes`: "has space" is not a thing attribute name/],
    ['attributes', { attributes: ['AWS::IoT::Certificate::Id'] }, /invalid `attributes`.*declares itself/],
  ])('GIVEN an invalid %s WHEN added THEN the error says what to change', (_prop, options, message) => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'factory/telemetry' });
    expect(() => pipeline.addFleetProvisioning('Lathes', options as AddFleetProvisioningOptions)).toThrow(message);
  });

  test('GIVEN a template name that is a token and no prefix WHEN added THEN the error asks for thingNamePrefix', () => {
    const stack = newStack();
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'factory/telemetry' });
    const tokenName = new lambda.Function(stack, 'Named', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    }).functionName;
    expect(() => pipeline.addFleetProvisioning('Mills', { templateName: tokenName })).toThrow(/give `thingNamePrefix`/);
    expect(() => pipeline.addFleetProvisioning('Drills', { templateName: tokenName, thingNamePrefix: 'drill-' })).not.toThrow();
  });

  test('GIVEN fleets with every claim mode, a hook and a customer-managed key WHEN checked with cdk-nag THEN there are no unsuppressed findings', () => {
    const stack = new Stack(new App(), 'FleetNagStack');
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'factory/telemetry', encryption: PipelineEncryption.customerManaged() });
    const hook = hookFunction(stack, 5);
    pipeline.addFleetProvisioning('Lathes', { templateName: 'lathes', attributes: ['Model'], preProvisioningHook: hook });
    pipeline.addFleetProvisioning('Mills', { claimCertificate: DeviceCertificate.none() });
    const findings = nagFindings(stack).filter((finding) => !finding.startsWith('/FleetNagStack/Hook'));
    expect(findings).toEqual([]);
  });
});
