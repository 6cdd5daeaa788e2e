/**
 * Fleet provisioning by claim (`pipeline.addFleetProvisioning()`): the names the construct synthesizes and the local
 * runner, the `provision` CLI and `doctor` read back — the template body's parameters and resources, the claim
 * policy's topics, the stack outputs and the construct ids.
 *
 * AWS's fleet provisioning MQTT API: https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html
 * Provisioning templates: https://docs.aws.amazon.com/iot/latest/developerguide/provision-template.html
 */

/**
 * Construct ids inside a pipeline: `addFleetProvisioning(id)` creates a construct `id` with these children, so the
 * template's logical id is `<path prefix><id>Template<hash>` and the claim certificate's custom resource sits under
 * `<id>/ClaimCertificate/Certificate`.
 */
export const FLEET_CONSTRUCT_IDS = {
  /** The `AWS::IoT::ProvisioningTemplate`. */
  template: 'Template',
  /** The role AWS IoT assumes to provision (`ProvisioningRoleArn`). */
  provisioningRole: 'ProvisioningRole',
  /** The IoT policy attached to the claim certificate. */
  claimPolicy: 'ClaimPolicy',
  /** The scope of the claim certificate (a generated claim: its secret and custom resource below it). */
  claimCertificate: 'ClaimCertificate',
  /** The permission for AWS IoT to invoke the pre-provisioning hook. */
  hookPermission: 'PreProvisioningHookPermission',
} as const;

/**
 * Construct ids of a fleet's stack outputs, created inside the fleet construct: the logical id is
 * `<path prefix><fleet id><output id><hash>`, so the two outputs of one fleet share the prefix before the output id.
 * Tools find outputs by the end of their logical id, so no fleet output id ends with a pipeline's output id
 * (`CertificateSecretArnOutput`, ...) or the other way round.
 */
export const FLEET_OUTPUT_IDS = {
  /** The provisioning template's name. */
  templateName: 'FleetTemplateNameOutput',
  /** The ARN of the Secrets Manager secret with the claim certificate and its private key (generated claims only). */
  claimCertificateSecretArn: 'FleetClaimSecretArnOutput',
} as const;

/** The description of the template-name output: how tools recognise a fleet's outputs. */
export const FLEET_TEMPLATE_OUTPUT_DESCRIPTION = 'Fleet provisioning template name (provisioning by claim)';

/** The description of the claim-secret output. */
export const FLEET_CLAIM_SECRET_OUTPUT_DESCRIPTION = 'Secrets Manager secret with the fleet claim certificate and private key';

/** The template's only required parameter: the thing name is `<thingNamePrefix><SerialNumber>`. */
export const SERIAL_NUMBER_PARAMETER = 'SerialNumber';

/** The keys of the template body's `Resources`. */
export const FLEET_TEMPLATE_RESOURCES = {
  thing: 'thing',
  certificate: 'certificate',
  policy: 'policy',
} as const;

/** The placeholder AWS IoT resolves to the id of the certificate being registered (fleet templates). */
export const CERTIFICATE_ID_REF = 'AWS::IoT::Certificate::Id';

/** Provisioning template names: 1–36 of [0-9A-Za-z_-] (AWS::IoT::ProvisioningTemplate TemplateName). */
export const TEMPLATE_NAME_PATTERN = /^[0-9A-Za-z_-]{1,36}$/;

/** The longest template name. */
export const TEMPLATE_NAME_MAX_LENGTH = 36;

/** The pre-provisioning hook's payload version (the only one AWS documents). */
export const PRE_PROVISIONING_HOOK_PAYLOAD_VERSION = '2020-04-01';

/** A pre-provisioning hook must answer within this many seconds, or the request is rejected. */
export const PRE_PROVISIONING_HOOK_TIMEOUT_SECONDS = 5;

/** A certificate ownership token expires this many seconds after it was issued. */
export const CERTIFICATE_OWNERSHIP_TOKEN_TTL_SECONDS = 3600;

/** The payload formats of the fleet provisioning MQTT API. */
export const FLEET_PAYLOAD_FORMATS = ['json', 'cbor'] as const;

/** A payload format of the fleet provisioning MQTT API. */
export type FleetPayloadFormat = typeof FLEET_PAYLOAD_FORMATS[number];

/** CreateKeysAndCertificate: `$aws/certificates/create/<format>`. */
export const CREATE_CERTIFICATE_TOPIC_PREFIX = '$aws/certificates/create/';

/** CreateCertificateFromCsr: `$aws/certificates/create-from-csr/<format>`. */
export const CREATE_FROM_CSR_TOPIC_PREFIX = '$aws/certificates/create-from-csr/';

/** RegisterThing: `$aws/provisioning-templates/<templateName>/provision/<format>`. */
export function provisionTopicPrefix(templateName: string): string {
  return `$aws/provisioning-templates/${templateName}/provision/`;
}

/** The request topic of each fleet provisioning operation, in one format. */
export function fleetRequestTopics(templateName: string, format: FleetPayloadFormat = 'json'): {
  createCertificate: string; createFromCsr: string; provision: string;
} {
  return {
    createCertificate: `${CREATE_CERTIFICATE_TOPIC_PREFIX}${format}`,
    createFromCsr: `${CREATE_FROM_CSR_TOPIC_PREFIX}${format}`,
    provision: `${provisionTopicPrefix(templateName)}${format}`,
  };
}

/** The response topics of a request topic. */
export function acceptedTopic(requestTopic: string): string {
  return `${requestTopic}/accepted`;
}

/** The rejection topic of a request topic. */
export function rejectedTopic(requestTopic: string): string {
  return `${requestTopic}/rejected`;
}

/**
 * What the claim policy allows, as topic names (for `iot:Publish`/`iot:Receive`, resource type `topic`) and topic
 * filters (for `iot:Subscribe`, resource type `topicfilter`); wildcards are IAM-policy wildcards (`*`), matching
 * every format and its `/accepted` and `/rejected`. Nothing else may be published, received or subscribed to.
 */
export function claimPolicyTopics(templateName: string): string[] {
  return [
    `${CREATE_CERTIFICATE_TOPIC_PREFIX}*`,
    `${CREATE_FROM_CSR_TOPIC_PREFIX}*`,
    `${provisionTopicPrefix(templateName)}*`,
  ];
}

/**
 * The topic filters the claim policy lets a device subscribe to (resource type `topicfilter`): the `/accepted` and
 * `/rejected` answers of each operation in any format, and nothing else.
 */
export function claimSubscribeFilters(templateName: string): string[] {
  return claimPolicyTopics(templateName).flatMap((topic) => [acceptedTopic(topic), rejectedTopic(topic)]);
}
