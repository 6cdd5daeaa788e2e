/**
 * What the broker knows about a message beyond topic and payload, as the rules engine sees it: the connection's
 * source IP (`sourceip()`) and, for MQTT 5 publishes, the message properties (`get_mqtt_property(name)`,
 * `get_user_properties(key)`), plus AWS IoT Core's MQTT 5 limits the broker applies.
 *
 * The journal keeps a message's principal as a string; these extras travel in it after a NUL (a certificate
 * fingerprint never contains one), so a replayed message gives the rules the same values as the live one without a
 * change to the journal's format: `<principal>\0<source ip>[\0<JSON of the MQTT 5 properties>]`.
 */

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

/** The MQTT 5 PUBLISH properties a rule can read. */
export interface MessageProperties {
  readonly contentType?: string;
  /** true: UTF-8 data (1); false: unspecified bytes (0). */
  readonly payloadFormatIndicator?: boolean;
  readonly responseTopic?: string;
  readonly correlationData?: Buffer;
  /** In the order mqtt-packet decoded them (a repeated name keeps all its values). */
  readonly userProperties?: ReadonlyArray<readonly [string, string]>;
  readonly messageExpiryInterval?: number;
}

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

/** The principal with the source IP and MQTT 5 properties appended (see the file comment). */
export function packPrincipal(principal: string, sourceIp: string | undefined, props: MessageProperties | undefined): string {
  if (sourceIp === undefined && props === undefined) return principal;
  let packed = `${principal}\u0000${sourceIp ?? ''}`;
  if (props) {
    packed += `\u0000${JSON.stringify({
      ct: props.contentType,
      pf: props.payloadFormatIndicator,
      rt: props.responseTopic,
      cd: props.correlationData?.toString('base64'),
      up: props.userProperties,
      me: props.messageExpiryInterval,
    })}`;
  }
  return packed;
}

/** The parts `packPrincipal` joined. */
export interface UnpackedPrincipal {
  readonly principal: string;
  readonly sourceIp?: string;
  readonly properties?: MessageProperties;
}

export function unpackPrincipal(packed: string | undefined): UnpackedPrincipal {
  if (packed === undefined) return { principal: '' };
  const first = packed.indexOf('\u0000');
  if (first < 0) return { principal: packed };
  const principal = packed.slice(0, first);
  const second = packed.indexOf('\u0000', first + 1);
  const sourceIp = packed.slice(first + 1, second < 0 ? undefined : second) || undefined;
  if (second < 0) return { principal, sourceIp };
  try {
    type Packed = { ct?: string; pf?: boolean; rt?: string; cd?: string; up?: Array<[string, string]>; me?: number };
    const j = JSON.parse(packed.slice(second + 1)) as Packed;
    const properties: MessageProperties = {
      ...(j.ct !== undefined ? { contentType: j.ct } : {}),
      ...(j.pf !== undefined ? { payloadFormatIndicator: j.pf } : {}),
      ...(j.rt !== undefined ? { responseTopic: j.rt } : {}),
      ...(j.cd !== undefined ? { correlationData: Buffer.from(j.cd, 'base64') } : {}),
      ...(j.up !== undefined ? { userProperties: j.up } : {}),
      ...(j.me !== undefined ? { messageExpiryInterval: j.me } : {}),
    };
    return { principal, sourceIp, properties };
  } catch {
    return { principal, sourceIp };
  }
}
