import { Aws, CustomResource, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { CERTIFICATE_ID_TAG, CERTIFICATE_RESOURCE_TYPE, PIPELINE_CONSTRUCT_IDS } from './contract';
import { addCheckovSkips } from './private/checkov';
import { addFunctionCheckovSkips, BundledFunction, loggingRole, STACK_LOG_GROUP_WITHOUT_KEY } from './private/functions';
import { grantKeyThroughSecretsManager } from './private/key-grants';
import { addNagSuppressions } from './private/nag';

/**
 * Options for binding a device certificate to a thing.
 */
export interface DeviceCertificateBindOptions {
  /** The name of the thing the certificate is for. */
  readonly thingName: string;
  /**
   * What happens to resources the certificate creates (the generated certificate's secret).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed key for secrets the certificate creates.
   * @default - the AWS-managed key of Secrets Manager
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * What a bound device certificate provides.
 */
export interface DeviceCertificateConfig {
  /**
   * The ARN of the certificate the thing and the device policy are attached to.
   * @default - no certificate (DeviceCertificate.none()): nothing is attached
   */
  readonly certificateArn?: string;
  /**
   * The certificate id.
   * @default - unknown (certificate given by ARN) or no certificate
   */
  readonly certificateId?: string;
  /**
   * The secret that holds the certificate PEM and its private key (generated certificates only).
   * @default - no secret
   */
  readonly secret?: secretsmanager.ISecret;
}

/**
 * Options for `DeviceCertificate.generated()`.
 */
export interface GeneratedCertificateOptions {
  /**
   * Description of the Secrets Manager secret that receives the certificate and its private key.
   * @default - a description naming the thing
   */
  readonly secretDescription?: string;
}

/**
 * Where a device certificate comes from.
 */
export enum DeviceCertificateSource {
  /** AWS IoT creates a key pair and certificate at deploy time; the key goes to Secrets Manager only. */
  GENERATED = 'GENERATED',
  /** AWS IoT signs a certificate signing request; the private key stays on the device. */
  CSR = 'CSR',
  /** A certificate that already exists in AWS IoT, by ARN. */
  CERTIFICATE_ARN = 'CERTIFICATE_ARN',
  /** No certificate: nothing is attached. */
  NONE = 'NONE',
}

/**
 * The X.509 certificate a device uses to connect to AWS IoT Core over mutual TLS.
 *
 * - `fromCsr(csrPem)`: AWS IoT signs your certificate signing request; the private key never leaves the
 *   device. Recommended for production fleets.
 * - `fromCertificateArn(arn)`: a certificate that already exists in AWS IoT.
 * - `generated()` (the default): AWS IoT creates a key pair and certificate at deploy time; the certificate
 *   PEM and private key go to a Secrets Manager secret only (never to the template, the custom-resource
 *   response or logs). Convenient for getting started and for test devices.
 * - `none()`: no certificate; attach one yourself later.
 */
export class DeviceCertificate {
  /**
   * A certificate that AWS IoT issues from your certificate signing request (PEM).
   * The private key stays on the device.
   */
  public static fromCsr(csrPem: string): DeviceCertificate {
    if (!Token.isUnresolved(csrPem)) {
      const trimmed = csrPem.trim();
      if (!/^-----BEGIN (NEW )?CERTIFICATE REQUEST-----[\s\S]+-----END (NEW )?CERTIFICATE REQUEST-----$/.test(trimmed)) {
        throw new Error('DeviceCertificate.fromCsr: the argument is not a PEM certificate signing request; pass the text between and including "-----BEGIN CERTIFICATE REQUEST-----" and "-----END CERTIFICATE REQUEST-----" (e.g. from `openssl req -new -key device.key`).');
      }
    }
    return new DeviceCertificate(DeviceCertificateSource.CSR, { csrPem });
  }

  /**
   * A certificate that already exists in AWS IoT, by ARN (`arn:<partition>:iot:<region>:<account>:cert/<id>`).
   */
  public static fromCertificateArn(certificateArn: string): DeviceCertificate {
    if (!Token.isUnresolved(certificateArn) && !/^arn:aws[a-zA-Z-]*:iot:[a-z0-9-]+:\d{12}:cert\/[0-9a-f]{64}$/.test(certificateArn)) {
      throw new Error(`DeviceCertificate.fromCertificateArn: "${certificateArn}" is not an AWS IoT certificate ARN; pass one like arn:aws:iot:<region>:<account>:cert/<64 hex characters>.`);
    }
    return new DeviceCertificate(DeviceCertificateSource.CERTIFICATE_ARN, { certificateArn });
  }

  /**
   * A key pair and certificate created by AWS IoT at deploy time (CreateKeysAndCertificate), stored in a
   * Secrets Manager secret as JSON `{certificateId, certificateArn, certificatePem, privateKey, publicKey}`; the
   * secret's tag `iot-pipeline:certificate-id` names the certificate. On delete the certificate is detached, set
   * INACTIVE and deleted — only a certificate that the secret's tag names (the provider acts on no other).
   */
  public static generated(options: GeneratedCertificateOptions = {}): DeviceCertificate {
    return new DeviceCertificate(DeviceCertificateSource.GENERATED, { generated: options });
  }

  /** No certificate: the thing and the device policy are created, nothing is attached. */
  public static none(): DeviceCertificate {
    return new DeviceCertificate(DeviceCertificateSource.NONE, {});
  }

  /** Where the certificate comes from. */
  public readonly source: DeviceCertificateSource;
  private readonly spec: CertificateSpec;

  private constructor(source: DeviceCertificateSource, spec: CertificateSpec) {
    this.source = source;
    this.spec = spec;
  }

  /** Creates what the certificate needs in the scope (a device) and returns its ARN. */
  public bind(scope: Construct, options: DeviceCertificateBindOptions): DeviceCertificateConfig {
    switch (this.source) {
      case DeviceCertificateSource.CSR: {
        const certificate = new iot.CfnCertificate(scope, PIPELINE_CONSTRUCT_IDS.certificate, {
          certificateSigningRequest: this.spec.csrPem!,
          status: 'ACTIVE',
        });
        return { certificateArn: certificate.attrArn, certificateId: certificate.attrId };
      }
      case DeviceCertificateSource.CERTIFICATE_ARN:
        return { certificateArn: this.spec.certificateArn };
      case DeviceCertificateSource.GENERATED:
        return bindGenerated(scope, this.spec.generated ?? {}, options);
      default:
        return {};
    }
  }
}

/** What each source needs. */
interface CertificateSpec {
  readonly csrPem?: string;
  readonly certificateArn?: string;
  readonly generated?: GeneratedCertificateOptions;
}

/**
 * A generated certificate: a secret for the certificate and key, and the custom resource (`Certificate`) that asks
 * AWS IoT for them and writes them into the secret.
 */
function bindGenerated(scope: Construct, generated: GeneratedCertificateOptions, options: DeviceCertificateBindOptions): DeviceCertificateConfig {
  const secret = new secretsmanager.Secret(scope, 'CertificateSecret', {
    description: generated.secretDescription ?? `AWS IoT device certificate and private key for thing ${options.thingName} (written by the certificate provider)`,
    removalPolicy: options.removalPolicy ?? RemovalPolicy.RETAIN,
    encryptionKey: options.encryptionKey,
  });
  const noRotation = 'The secret holds an X.509 certificate and its private key; rotating means issuing a new certificate, which Secrets Manager rotation cannot do.';
  addNagSuppressions(secret, [{ id: 'AwsSolutions-SMG4', reason: noRotation }]);
  if (!options.encryptionKey) {
    addCheckovSkips(secret, [{
      id: 'CKV_AWS_149',
      comment: 'The AWS-managed key of Secrets Manager by default (`encryption: PipelineEncryption.awsManaged()`); `PipelineEncryption.customerManaged()` uses the pipeline key.',
    }]);
  }
  const provider = CertificateProvider.getOrCreate(scope);
  provider.grantWrite(secret, options.encryptionKey);
  protectSecret(secret, provider.role);
  const resource = new CustomResource(scope, PIPELINE_CONSTRUCT_IDS.certificate, {
    serviceToken: provider.serviceToken,
    resourceType: CERTIFICATE_RESOURCE_TYPE,
    properties: { SecretArn: secret.secretArn, ThingName: options.thingName },
  });
  return {
    certificateArn: resource.getAttString('CertificateArn'),
    certificateId: resource.getAttString('CertificateId'),
    secret,
  };
}

/**
 * The secret's resource policy: nobody outside this account (AWS services acting for it aside) may use it, whatever
 * identity policies say; the certificate provider, which only writes the key material, may never read it back; and
 * nobody but the provider may set or remove the ownership tag (`CERTIFICATE_ID_TAG`), the provider's only proof that
 * the certificate it updates or deletes is this secret's (a rewritten tag would make it adopt or delete a foreign
 * certificate). Secrets Manager's TagResource and UntagResource take `aws:TagKeys`
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html); `aws:PrincipalArn`
 * is the role of an assumed-role session
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
 */
function protectSecret(secret: secretsmanager.Secret, providerRole: iam.IRole): void {
  secret.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'OnlyThisAccount',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['secretsmanager:*'],
    resources: ['*'],
    conditions: {
      StringNotEquals: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID },
      BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
    },
  }));
  secret.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'TheCertificateProviderOnlyWrites',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['secretsmanager:GetSecretValue'],
    resources: ['*'],
    conditions: { ArnEquals: { 'aws:PrincipalArn': providerRole.roleArn } },
  }));
  secret.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'OnlyTheCertificateProviderTagsTheOwner',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
    resources: ['*'],
    conditions: {
      'ForAnyValue:StringEquals': { 'aws:TagKeys': [CERTIFICATE_ID_TAG] },
      'ArnNotEquals': { 'aws:PrincipalArn': providerRole.roleArn },
    },
  }));
}

/**
 * The per-stack custom-resource provider behind `DeviceCertificate.generated()`.
 */
class CertificateProvider extends Construct {
  public static getOrCreate(scope: Construct): CertificateProvider {
    const stack = Stack.of(scope);
    const id = 'IotCoreFirehosePipelineCertificateProvider';
    return (stack.node.tryFindChild(id) as CertificateProvider | undefined) ?? new CertificateProvider(stack, id);
  }

  public readonly serviceToken: string;
  private readonly handler: BundledFunction;

  /** The handler's role. */
  public get role(): iam.IRole {
    return this.handler.role;
  }

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.handler = new BundledFunction(this, 'OnEvent', {
      asset: 'certificate-provider',
      description: 'Creates AWS IoT device certificates (private key to Secrets Manager only) and cleans them up on delete',
      timeout: Duration.minutes(2),
      memorySize: 256,
      logRetention: logs.RetentionDays.ONE_YEAR,
      unencryptedLogReason: STACK_LOG_GROUP_WITHOUT_KEY,
    });
    // CreateKeysAndCertificate, ListPrincipalThings, ListAttachedPolicies and DetachThingPrincipal support
    // no resource-level permission; the certificate actions are scoped to certificates of this account/region.
    // AWS IoT certificates cannot be tagged, so IAM cannot narrow them further: the handler acts only on the
    // certificate that the tag of the secret it was given names (and the role can read tags only of those secrets).
    this.handler.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['iot:CreateKeysAndCertificate', 'iot:ListPrincipalThings', 'iot:ListAttachedPolicies', 'iot:DetachThingPrincipal'],
      resources: ['*'],
    }));
    this.handler.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['iot:DescribeCertificate', 'iot:UpdateCertificate', 'iot:DeleteCertificate', 'iot:DetachPolicy'],
      resources: [stack.formatArn({ service: 'iot', resource: 'cert', resourceName: '*' })],
    }));

    const framework = loggingRole(this, 'Framework', {
      description: 'Custom-resource framework for AWS IoT device certificates',
      retention: logs.RetentionDays.ONE_YEAR,
      unencryptedLogReason: STACK_LOG_GROUP_WITHOUT_KEY,
    });
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      logGroup: framework.logGroup,
      frameworkOnEventRole: framework.role,
    });
    this.serviceToken = provider.serviceToken;

    addNagSuppressions(this.handler.role.node.findChild('DefaultPolicy'), [{
      id: 'AwsSolutions-IAM5',
      reason: 'CreateKeysAndCertificate, ListPrincipalThings, ListAttachedPolicies and DetachThingPrincipal support no resource-level permission; AWS IoT certificates cannot be tagged, so the certificate actions name certificates of this account and region, and the handler acts only on the certificate the tag of its secret names.',
      appliesTo: [
        'Resource::*',
        { regex: '/^Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:cert\\/\\*$/g' },
      ],
    }]);
    addNagSuppressions(framework.role.node.findChild('DefaultPolicy'), [{
      id: 'AwsSolutions-IAM5',
      reason: 'The framework may invoke the onEvent handler and its versions (granted by the aws-cdk-lib Provider framework).',
      appliesTo: [{ regex: '/^Resource::<.*OnEventFunction.*\\.Arn>:\\*$/g' }],
    }]);
    const frameworkFunction = provider.node.findChild('framework-onEvent');
    addNagSuppressions(frameworkFunction, [
      { id: 'AwsSolutions-L1', reason: 'The provider framework function\'s runtime is chosen by aws-cdk-lib\'s custom-resources Provider.' },
    ]);
    addFunctionCheckovSkips(frameworkFunction, true);
  }

  /**
   * Lets the handler store a certificate in this secret (PutSecretValue, and the key's data key if any) and mark it
   * with the certificate's id (TagResource of that one tag key; DescribeSecret reads it back, without the value).
   */
  public grantWrite(secret: secretsmanager.ISecret, encryptionKey?: kms.IKey): void {
    this.handler.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret'],
      resources: [secret.secretArn],
    }));
    this.handler.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['secretsmanager:TagResource'],
      resources: [secret.secretArn],
      conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [CERTIFICATE_ID_TAG] } },
    }));
    // The secret is encrypted with the pipeline key through Secrets Manager, for this secret only.
    if (encryptionKey) grantKeyThroughSecretsManager(encryptionKey, this.handler.role, ['kms:GenerateDataKey'], secret);
  }
}
