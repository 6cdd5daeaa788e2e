/**
 * Generated device certificates (`DeviceCertificate.generated()`): the custom resource the construct declares,
 * the certificate provider (a Lambda handler) implements, and the CLI reads back.
 */

/** The CloudFormation type of the custom resource that creates a certificate. */
export const CERTIFICATE_RESOURCE_TYPE = 'Custom::IotDeviceCertificate';

/** The JSON the certificate provider writes into the pipeline's Secrets Manager secret. */
export interface GeneratedCertificateSecret {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  readonly privateKey: string;
  readonly publicKey: string;
}
