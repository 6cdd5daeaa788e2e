/**
 * What the broker knows about a message beyond topic and payload, as the rules engine sees it: the connection's
 * source IP (`sourceip()`) and, for MQTT 5 publishes, the message properties (`get_mqtt_property(name)`,
 * `get_user_properties(key)`), plus AWS IoT Core's MQTT 5 limits the broker applies. The journal keeps both as fields
 * of its entry (journal/entry.ts), so a replayed message gives the rules the same values as the live one.
 */
import type { MessageProperties } from '../journal/entry';

export type { MessageProperties } from '../journal/entry';

/** AWS IoT Core's MQTT 5 limits (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html, MQTT 5 section). */
export const MQTT5_LIMITS = {
  /** Topic Alias Maximum the broker accepts from a client. */
  topicAliasMaximum: 8,
  /** Message Expiry Interval: values above are clamped (seconds; 7 days). */
  maxMessageExpirySeconds: 604800,
  /** Unacknowledged inbound QoS 1 publishes per client (Receive Maximum advertised in CONNACK). */
  receiveMaximum: 100,
  /** The message payload limit (bytes). */
  maxPayloadBytes: 128 * 1024,
  /**
   * Maximum Packet Size announced in CONNACK and enforced on every inbound packet, MQTT 3.1.1 too (bytes, the whole
   * packet on the wire): 128 KB.
   */
  maxPacketBytes: 128 * 1024,
} as const;

/** MQTT 5 reason codes the broker sends (MQTT 5.0 §2.4; AWS IoT Core's table in the page above). */
export const REASON = {
  notAuthorized: 0x87,
  receiveMaximumExceeded: 0x93,
  packetTooLarge: 0x95,
  qosNotSupported: 0x9b,
} as const;

/** The properties of an mqtt-packet PUBLISH (`packet.properties`), or undefined when there are none to keep. */
export function messageProperties(raw: {
  contentType?: string;
  payloadFormatIndicator?: boolean;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Record<string, string | string[]>;
  messageExpiryInterval?: number;
} | undefined): MessageProperties | undefined {
  if (!raw) return undefined;
  const userProperties: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(raw.userProperties ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) userProperties.push([name, String(v)]);
  }
  const props: MessageProperties = {
    ...(raw.contentType !== undefined ? { contentType: raw.contentType } : {}),
    ...(raw.payloadFormatIndicator !== undefined ? { payloadFormatIndicator: Boolean(raw.payloadFormatIndicator) } : {}),
    ...(raw.responseTopic !== undefined ? { responseTopic: raw.responseTopic } : {}),
    ...(raw.correlationData !== undefined ? { correlationData: Buffer.from(raw.correlationData) } : {}),
    ...(userProperties.length > 0 ? { userProperties } : {}),
    ...(raw.messageExpiryInterval !== undefined ? { messageExpiryInterval: raw.messageExpiryInterval } : {}),
  };
  return Object.keys(props).length > 0 ? props : undefined;
}
