import { Annotations, CfnOutput, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DeviceCertificate } from './certificate';
import {
  CERTIFICATE_ID_REF, claimPolicyTopics, claimSubscribeFilters, FLEET_CLAIM_SECRET_OUTPUT_DESCRIPTION, FLEET_CONSTRUCT_IDS,
  FLEET_OUTPUT_IDS, FLEET_TEMPLATE_OUTPUT_DESCRIPTION, FLEET_TEMPLATE_RESOURCES, PRE_PROVISIONING_HOOK_PAYLOAD_VERSION,
  PRE_PROVISIONING_HOOK_TIMEOUT_SECONDS, SERIAL_NUMBER_PARAMETER, TEMPLATE_NAME_MAX_LENGTH, TEMPLATE_NAME_PATTERN,
} from './contract';
import { iotArn } from './private/iot-policy';
import { addNagSuppressions } from './private/nag';
import { invalid } from './private/validation';

/** AWS IoT thing names: 1–128 of `[a-zA-Z0-9:_-]` (https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThing.html). */
const THING_NAME_CHARACTERS = /^[a-zA-Z0-9:_-]*$/;
const THING_NAME_MAX_LENGTH = 128;
/**
 * Thing attribute names: `[a-zA-Z0-9_.,@/:#=\[\]-]+`, at most 128 characters
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_AttributePayload.html).
 */
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#=[\]-]{1,128}$/;

/**
 * Options for `IotCoreFirehosePipeline.addFleetProvisioning()`.
 */
export interface AddFleetProvisioningOptions {
  /**
   * The provisioning template's name (1–36 of `[0-9A-Za-z_-]`): devices publish to
   * `$aws/provisioning-templates/<templateName>/provision/json`.
   * @default - derived from the construct path, unique per stack
   */
  readonly templateName?: string;
  /**
   * What the name of every provisioned thing starts with: the thing is `<thingNamePrefix><SerialNumber>`, and the
   * provisioning role may create and change only things whose names start with it.
   * @default - the template name and a hyphen (`<templateName>-`)
   */
  readonly thingNamePrefix?: string;
  /**
   * Template parameters copied into thing attributes of the same name: a device passes them in its RegisterThing
   * request (`parameters`) next to `SerialNumber`, and every one is required.
   * @default - no attributes
   */
  readonly attributes?: string[];
  /**
   * A Lambda function AWS IoT calls before it provisions a device (AWS's pre-provisioning hook contract: the event
   * `{claimCertificateId, certificateId, certificatePem, templateArn, clientId, parameters}`, the answer
   * `{allowProvisioning, parameterOverrides}` within 5 seconds). The construct lets AWS IoT invoke it for this
   * template only.
   * @default - no hook: every device that holds the claim and a serial number is provisioned
   */
  readonly preProvisioningHook?: lambda.IFunction;
  /**
   * The claim certificate, shared by the whole fleet: devices connect with it only to ask for their own certificate.
   * @default DeviceCertificate.generated() - its key in a Secrets Manager secret (`claimCertificateSecret`)
   */
  readonly claimCertificate?: DeviceCertificate;
}

/**
 * Properties of a `FleetProvisioning`.
 */
export interface FleetProvisioningProps extends AddFleetProvisioningOptions {
  /**
   * The name of the IoT policy the template attaches to every provisioned device's certificate (the pipeline's fleet
   * policy: connect as its thing, publish under `<topic>/<thing>`).
   */
  readonly devicePolicyName: string;
  /**
   * What happens to resources the claim certificate creates (the generated claim's secret).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed key for the generated claim's secret.
   * @default - the AWS-managed key of Secrets Manager
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Fleet provisioning by claim: devices manufactured with one shared claim certificate ask AWS IoT, on first boot and
 * over MQTT, for their own certificate and thing. A `FLEET_PROVISIONING` template (enabled) makes the thing
 * `<thingNamePrefix><SerialNumber>`, activates the device's new certificate and attaches the pipeline's fleet policy;
 * the claim policy lets the claim certificate do nothing but that.
 *
 * Provisioning by claim: https://docs.aws.amazon.com/iot/latest/developerguide/provision-wo-cert.html
 */
export class FleetProvisioning extends Construct {
  /** The provisioning template's name. */
  public readonly templateName: string;
  /** The provisioning template's ARN. */
  public readonly templateArn: string;
  /** What the name of every provisioned thing starts with. */
  public readonly thingNamePrefix: string;
  /** The provisioning template. */
  public readonly template: iot.CfnProvisioningTemplate;
  /** The role AWS IoT assumes to provision a device. */
  public readonly provisioningRole: iam.IRole;
  /** The IoT policy attached to the claim certificate. */
  public readonly claimPolicy: iot.CfnPolicy;
  /** The claim certificate's ARN, unless the claim is `DeviceCertificate.none()`. */
  public readonly claimCertificateArn?: string;
  /** The secret with the claim certificate and its private key (generated claims only). */
  public readonly claimCertificateSecret?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: FleetProvisioningProps) {
    super(scope, id);
    this.templateName = props.templateName ?? Names.uniqueResourceName(this, {
      maxLength: TEMPLATE_NAME_MAX_LENGTH,
      separator: '-',
      allowedSpecialCharacters: '_-',
    });
    validateTemplateName(this, this.templateName);
    this.thingNamePrefix = props.thingNamePrefix ?? defaultThingNamePrefix(this, this.templateName);
    validateThingNamePrefix(this, this.thingNamePrefix);
    const attributes = props.attributes ?? [];
    validateAttributes(this, attributes);

    const stack = Stack.of(this);
    // The template's ARN, known before the template exists: the hook's permission names it (AWS IoT must be allowed
    // to invoke the hook when the template is created), and the role's trust must not reference the template.
    const templateArn = stack.formatArn({ service: 'iot', resource: 'provisioningtemplate', resourceName: this.templateName });

    this.provisioningRole = this.createProvisioningRole(props.devicePolicyName);

    let hookPermission: lambda.CfnPermission | undefined;
    if (props.preProvisioningHook) {
      hookPermission = this.allowHook(props.preProvisioningHook, templateArn);
    }

    this.template = new iot.CfnProvisioningTemplate(this, FLEET_CONSTRUCT_IDS.template, {
      templateName: this.templateName,
      description: `Fleet provisioning by claim: thing ${this.thingNamePrefix}<SerialNumber>, certificate activated, the pipeline's fleet policy attached`,
      templateType: 'FLEET_PROVISIONING',
      enabled: true,
      provisioningRoleArn: this.provisioningRole.roleArn,
      templateBody: stack.toJsonString(templateBody(this.thingNamePrefix, attributes, props.devicePolicyName)),
      preProvisioningHook: props.preProvisioningHook
        ? { targetArn: props.preProvisioningHook.functionArn, payloadVersion: PRE_PROVISIONING_HOOK_PAYLOAD_VERSION }
        : undefined,
    });
    // The role's policy must exist before AWS IoT validates the template with it.
    this.template.node.addDependency(this.provisioningRole);
    if (hookPermission) this.template.addDependency(hookPermission);
    this.templateArn = templateArn;

    this.claimPolicy = new iot.CfnPolicy(this, FLEET_CONSTRUCT_IDS.claimPolicy, {
      policyDocument: claimPolicyDocument(this, this.templateName),
    });

    const claimScope = new Construct(this, FLEET_CONSTRUCT_IDS.claimCertificate);
    const claim = props.claimCertificate ?? DeviceCertificate.generated({
      secretDescription: `AWS IoT fleet provisioning claim certificate and private key for template ${this.templateName} (written by the certificate provider)`,
    });
    const config = claim.bind(claimScope, {
      thingName: `${this.templateName}-claim`,
      removalPolicy: props.removalPolicy,
      encryptionKey: props.encryptionKey,
    });
    this.claimCertificateArn = config.certificateArn;
    this.claimCertificateSecret = config.secret;
    if (config.certificateArn) {
      // The claim belongs to no thing: it only obtains certificates for new things.
      new iot.CfnPolicyPrincipalAttachment(claimScope, 'ClaimPolicyAttachment', {
        policyName: this.claimPolicy.ref,
        principal: config.certificateArn,
      });
    }

    new CfnOutput(this, FLEET_OUTPUT_IDS.templateName, { description: FLEET_TEMPLATE_OUTPUT_DESCRIPTION, value: this.templateName });
    if (this.claimCertificateSecret) {
      new CfnOutput(this, FLEET_OUTPUT_IDS.claimCertificateSecretArn, {
        description: FLEET_CLAIM_SECRET_OUTPUT_DESCRIPTION,
        value: this.claimCertificateSecret.secretArn,
      });
    }
  }

  /**
   * The provisioning role: AWS IoT of this account and region may assume it, and it may do what the template body
   * needs, scoped as far as IAM allows — a least-privilege subset of AWS's managed policy AWSIoTThingsRegistration
   * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSIoTThingsRegistration.html).
   */
  private createProvisioningRole(devicePolicyName: string): iam.Role {
    const role = new iam.Role(this, FLEET_CONSTRUCT_IDS.provisioningRole, {
      // AWS IoT's confused-deputy prevention: aws:SourceAccount and aws:SourceArn in the format
      // arn:<partition>:iot:<region>:<account>:* (AWS documents no narrower source ARN for provisioning)
      // https://docs.aws.amazon.com/iot/latest/developerguide/cross-service-confused-deputy-prevention.html
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'iot', resource: '*' }) },
        },
      }),
      description: `Lets AWS IoT provision devices with template ${this.templateName}: create ${this.thingNamePrefix}* things, activate their certificates, attach the fleet policy`,
    });
    // Actions and resource types: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsiot.html
    // AWS::IoT::Thing in the template body: create the thing, or read and update one that already exists.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'TheFleetsThings',
      actions: ['iot:CreateThing', 'iot:DescribeThing', 'iot:UpdateThing'],
      resources: [iotArn(this, 'thing', `${this.thingNamePrefix}*`)],
    }));
    // AWS::IoT::Certificate: read and activate the device's new certificate, attach the fleet policy to it. The
    // certificate's id is known only when a device asks, so the certificate cannot be named.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'TheNewCertificate',
      actions: ['iot:DescribeCertificate', 'iot:UpdateCertificate', 'iot:AttachPolicy'],
      resources: [iotArn(this, 'cert', '*')],
    }));
    // AWS::IoT::Policy by PolicyName: read the fleet policy, and no other.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'TheFleetPolicy',
      actions: ['iot:GetPolicy'],
      resources: [iotArn(this, 'policy', devicePolicyName)],
    }));
    // The thing-certificate attachment: AttachThingPrincipal has no resource type in the service authorization
    // reference, so it cannot be scoped.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'AttachTheCertificateToTheThing',
      actions: ['iot:AttachThingPrincipal'],
      resources: ['*'],
    }));
    addNagSuppressions(role.node.findChild('DefaultPolicy'), [{
      id: 'AwsSolutions-IAM5',
      reason: 'A provisioned device\'s certificate id is known only when the device asks (cert/*); things are limited to the fleet\'s name prefix; AttachThingPrincipal supports no resource-level permission.',
      appliesTo: [
        'Resource::*',
        { regex: '/^Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:cert\\/\\*$/g' },
        { regex: '/^Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:thing\\/.*\\*$/g' },
      ],
    }]);
    return role;
  }

  /**
   * Lets AWS IoT invoke the pre-provisioning hook for this template only (aws:SourceArn = the template's ARN,
   * aws:SourceAccount = this account), as the pre-provisioning hook page asks
   * (https://docs.aws.amazon.com/iot/latest/developerguide/pre-provisioning-hook.html).
   */
  private allowHook(hook: lambda.IFunction, templateArn: string): lambda.CfnPermission {
    if (hook instanceof lambda.Function && hook.timeout && hook.timeout.toSeconds() > PRE_PROVISIONING_HOOK_TIMEOUT_SECONDS) {
      Annotations.of(this).addWarningV2('cdk-iot-core-firehose-pipeline:preProvisioningHookTimeout',
        `preProvisioningHook has a timeout of ${hook.timeout.toSeconds()} s, but AWS IoT waits at most ${PRE_PROVISIONING_HOOK_TIMEOUT_SECONDS} s for it and then rejects the request; give the function a timeout of at most ${PRE_PROVISIONING_HOOK_TIMEOUT_SECONDS} seconds.`);
    }
    return new lambda.CfnPermission(this, FLEET_CONSTRUCT_IDS.hookPermission, {
      action: 'lambda:InvokeFunction',
      functionName: hook.functionArn,
      principal: 'iot.amazonaws.com',
      sourceArn: templateArn,
      sourceAccount: Stack.of(this).account,
    });
  }
}

/**
 * The template body (https://docs.aws.amazon.com/iot/latest/developerguide/provision-template.html): the parameters
 * `SerialNumber`, the attributes, and `AWS::IoT::Certificate::Id` (the certificate the device is registering), and
 * three resources — the thing, the certificate (activated) and the fleet policy (by name).
 */
function templateBody(thingNamePrefix: string, attributes: string[], devicePolicyName: string): object {
  const parameters: Record<string, object> = { [SERIAL_NUMBER_PARAMETER]: { Type: 'String' } };
  const attributePayload: Record<string, object> = {};
  for (const attribute of attributes) {
    parameters[attribute] = { Type: 'String' };
    attributePayload[attribute] = { Ref: attribute };
  }
  parameters[CERTIFICATE_ID_REF] = { Type: 'String' };
  const thingProperties: Record<string, unknown> = {
    ThingName: { 'Fn::Join': ['', [thingNamePrefix, { Ref: SERIAL_NUMBER_PARAMETER }]] },
  };
  if (attributes.length > 0) {
    thingProperties.AttributePayload = attributePayload;
  }
  return {
    Parameters: parameters,
    Resources: {
      [FLEET_TEMPLATE_RESOURCES.thing]: {
        Type: 'AWS::IoT::Thing',
        Properties: thingProperties,
      },
      [FLEET_TEMPLATE_RESOURCES.certificate]: {
        Type: 'AWS::IoT::Certificate',
        Properties: { CertificateId: { Ref: CERTIFICATE_ID_REF }, Status: 'ACTIVE' },
      },
      [FLEET_TEMPLATE_RESOURCES.policy]: {
        Type: 'AWS::IoT::Policy',
        Properties: { PolicyName: devicePolicyName },
      },
    },
  };
}

/**
 * The claim policy: connect with any client id (the claim is shared by the whole fleet, as in AWS's example claim
 * policy), publish and receive on this template's fleet provisioning topics, subscribe to their `/accepted` and
 * `/rejected` answers; nothing else (https://docs.aws.amazon.com/iot/latest/developerguide/provision-wo-cert.html).
 */
function claimPolicyDocument(scope: Construct, templateName: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ConnectWithAnyClientId',
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: iotArn(scope, 'client', '*'),
      },
      {
        Sid: 'FleetProvisioningTopics',
        Effect: 'Allow',
        Action: ['iot:Publish', 'iot:Receive'],
        Resource: claimPolicyTopics(templateName).map((topic) => iotArn(scope, 'topic', topic)),
      },
      {
        Sid: 'FleetProvisioningAnswers',
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: claimSubscribeFilters(templateName).map((filter) => iotArn(scope, 'topicfilter', filter)),
      },
    ],
  };
}

function validateTemplateName(scope: Construct, templateName: string): void {
  if (Token.isUnresolved(templateName)) return;
  if (!TEMPLATE_NAME_PATTERN.test(templateName)) {
    invalid(scope, 'templateName', `"${templateName}" is not a provisioning template name; use 1–${TEMPLATE_NAME_MAX_LENGTH} characters of 0-9, A-Z, a-z, "_" and "-".`);
  }
}

function defaultThingNamePrefix(scope: Construct, templateName: string): string {
  if (Token.isUnresolved(templateName)) {
    invalid(scope, 'thingNamePrefix', 'the template name is only known at deploy time, so the thing-name prefix cannot be derived from it; give `thingNamePrefix` (e.g. "lathe-").');
  }
  return `${templateName}-`;
}

function validateThingNamePrefix(scope: Construct, prefix: string): void {
  if (Token.isUnresolved(prefix)) {
    invalid(scope, 'thingNamePrefix', 'it is a token; the provisioning role is scoped to things whose names start with the prefix, so give it as a literal string (e.g. "lathe-").');
  }
  if (!THING_NAME_CHARACTERS.test(prefix)) {
    invalid(scope, 'thingNamePrefix', `"${prefix}" contains characters a thing name cannot hold; use only a-z, A-Z, 0-9, ":", "_" and "-".`);
  }
  if (prefix.length >= THING_NAME_MAX_LENGTH) {
    invalid(scope, 'thingNamePrefix', `"${prefix}" is ${prefix.length} characters long; a thing name is at most ${THING_NAME_MAX_LENGTH}, and the serial number must fit after the prefix.`);
  }
  if (prefix.includes('*') || prefix.includes('?')) {
    invalid(scope, 'thingNamePrefix', 'it contains an IAM wildcard; remove "*" and "?".');
  }
}

function validateAttributes(scope: Construct, attributes: string[]): void {
  const seen = new Set<string>();
  for (const attribute of attributes) {
    if (Token.isUnresolved(attribute)) {
      invalid(scope, 'attributes', 'an attribute name is a token; give the template parameter names as literal strings.');
    }
    if (!ATTRIBUTE_NAME.test(attribute)) {
      invalid(scope, 'attributes', `"${attribute}" is not a thing attribute name; use 1–128 characters of a-z, A-Z, 0-9 and _.,@/:#=[]-.`);
    }
    if (attribute === CERTIFICATE_ID_REF) {
      invalid(scope, 'attributes', `"${attribute}" is a parameter the template declares itself; remove it from \`attributes\`.`);
    }
    if (seen.has(attribute)) {
      invalid(scope, 'attributes', `"${attribute}" is listed twice; list each attribute once.`);
    }
    seen.add(attribute);
  }
}
