import { Names, RemovalPolicy } from 'aws-cdk-lib';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DeviceCertificate, DeviceCertificateSource } from './certificate';
import { PIPELINE_CONSTRUCT_IDS } from './contract';
import { validateThingName } from './private/validation';

/**
 * Properties of an `IotDevice`.
 */
export interface IotDeviceProps {
  /**
   * The thing name, also the MQTT client id the device must connect with.
   * @default - derived from the construct path: unique per stack, valid for AWS IoT (at most 128 characters)
   */
  readonly thingName?: string;
  /**
   * The device's certificate.
   * @default DeviceCertificate.generated()
   */
  readonly certificate?: DeviceCertificate;
  /**
   * The name of the IoT policy to attach to the certificate.
   */
  readonly policyName: string;
  /**
   * What happens to resources the certificate creates (the generated certificate's secret).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed key for the generated certificate's secret.
   * @default - the AWS-managed key of Secrets Manager
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * One device: an IoT thing, its certificate, and the attachments of the certificate to the thing and to
 * the device policy.
 */
export class IotDevice extends Construct {
  /** The IoT thing. */
  public readonly thing: iot.CfnThing;
  /** The thing name (the client id the device connects with). */
  public readonly thingName: string;
  /** Where the certificate comes from. */
  public readonly certificateSource: DeviceCertificateSource;
  /** The certificate ARN, unless the certificate source is `NONE`. */
  public readonly certificateArn?: string;
  /** The secret with the certificate and private key (generated certificates only). */
  public readonly certificateSecret?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: IotDeviceProps) {
    super(scope, id);
    this.thingName = props.thingName ?? Names.uniqueResourceName(this, {
      maxLength: 128,
      separator: '-',
      allowedSpecialCharacters: '_-',
    });
    validateThingName(this, this.thingName);

    this.thing = new iot.CfnThing(this, PIPELINE_CONSTRUCT_IDS.thing, { thingName: this.thingName });

    const certificate = props.certificate ?? DeviceCertificate.generated();
    this.certificateSource = certificate.source;
    const config = certificate.bind(this, {
      thingName: this.thingName,
      removalPolicy: props.removalPolicy,
      encryptionKey: props.encryptionKey,
    });
    this.certificateArn = config.certificateArn;
    this.certificateSecret = config.secret;

    if (config.certificateArn) {
      new iot.CfnThingPrincipalAttachment(this, 'ThingPrincipalAttachment', {
        thingName: this.thing.ref,
        principal: config.certificateArn,
      });
      new iot.CfnPolicyPrincipalAttachment(this, 'PolicyPrincipalAttachment', {
        policyName: props.policyName,
        principal: config.certificateArn,
      });
    }
  }
}
