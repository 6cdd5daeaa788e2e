/**
 * Device identity in the parsed data: what the construct's rules, the local runner, `doctor` and the parsers agree on
 * so that a device cannot make its records name another device.
 *
 * - The default rule (`defaultRuleSql` in topics.ts) forwards only messages without a top-level `topic` key.
 * - The rejected-messages rule below keeps those (a payload `topic` is either a mistake or an attempt to pass for
 *   another topic) out of the parsed data but not lost: it writes them, unchanged, into the raw bucket under
 *   `REJECTED_MESSAGES_PREFIX`, keyed by the client id AWS IoT authenticated.
 * - Partition-key values must be in a safe set (`partition-keys.ts`).
 */

/** Where the rejected-messages rule writes messages whose payload carries its own `topic`. */
export const REJECTED_MESSAGES_PREFIX = 'iot-rule-rejected/';

/**
 * The rejected-messages rule's S3 key (an IoT substitution template):
 * `iot-rule-rejected/yyyy/MM/dd/HH/<client id>/<uuid>.json` — the client id is the one the device connected with
 * (its thing name, enforced by the device policy), not anything from the payload.
 */
export const REJECTED_MESSAGES_KEY = `${REJECTED_MESSAGES_PREFIX}\${parse_time("yyyy/MM/dd/HH", timestamp(), "UTC")}/\${clientid()}/\${newuuid()}.json`;

/** The rejected-messages rule's SQL: the messages of `defaultRuleSql(topic)`'s filter that it leaves out, as published. */
export function rejectedRuleSql(topic: string): string {
  return `SELECT * FROM '${topic}/+' WHERE NOT isUndefined(topic)`;
}

/**
 * The tag the certificate provider puts on a generated certificate's secret: the id of the certificate whose key
 * the secret holds. AWS IoT certificates cannot be tagged, so this is how the provider proves, on update and delete,
 * that it created the certificate it is asked to act on; `doctor` reads it (DescribeSecret) to learn the certificate
 * id without reading the private key.
 */
export const CERTIFICATE_ID_TAG = 'iot-pipeline:certificate-id';
