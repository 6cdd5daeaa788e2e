/**
 * What the broker allows a connection, beyond AWS IoT Core's MQTT rules: how many connections at once, how long a
 * TLS handshake may take, and the MQTT 5 CONNACK properties that announce AWS IoT Core's capabilities.
 *
 * AWS IoT Core's MQTT 5 CONNACK (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html, "MQTT 5
 * properties" and "MQTT 5 supported features"): Maximum QoS 1, Retain Available 1, Wildcard Subscription
 * Available 1, Subscription Identifiers Available 0 (not supported), Topic Alias Maximum 8, Maximum Packet Size
 * 128 KB, Receive Maximum 100 (the 100 unacknowledged inbound QoS 1 publishes of
 * https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits). Shared Subscription Available
 * is 1 in AWS but 0 here: the local broker (aedes) refuses `$share/…` filters, and the CONNACK must say so.
 * aedes writes Topic Alias Maximum, Maximum Packet Size, Receive Maximum and Shared Subscription Available 0 itself
 * (broker options); the other four are appended to the CONNACK it writes (`withAwsConnackProperties`).
 */

/** Concurrent connections by default: a 10,000-device fleet, each device on one connection. */
export const DEFAULT_MAX_CONNECTIONS = 10000;

/** A TLS handshake that does not finish in this time is dropped (ms). */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10000;

/** The CONNACK properties aedes does not write, with AWS IoT Core's values: property identifier → byte value. */
export const AWS_CONNACK_BYTE_PROPERTIES: ReadonlyArray<readonly [id: number, value: number, name: string]> = [
  [0x24, 1, 'Maximum QoS'],
  [0x25, 1, 'Retain Available'],
  [0x28, 1, 'Wildcard Subscription Available'],
  [0x29, 0, 'Subscription Identifiers Available'],
];

/** MQTT's Variable Byte Integer (MQTT 5.0 §1.5.5): its value and length at `offset`, or undefined when incomplete. */
function readVarInt(buf: Buffer, offset: number): { value: number; length: number } | undefined {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    if (offset + i >= buf.length) return undefined;
    const byte = buf[offset + i];
    value += (byte % 128) * 128 ** i;
    if (byte < 128) return { value, length: i + 1 }; // no continuation bit
  }
  throw new Error('malformed Variable Byte Integer');
}

function varInt(value: number): Buffer {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte += 128; // continuation bit
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}

/** The length of the complete packet at the start of `buf` (fixed header + remaining length), or undefined. */
export function packetLength(buf: Buffer): number | undefined {
  const remaining = readVarInt(buf, 1);
  return remaining && 1 + remaining.length + remaining.value;
}

/**
 * An MQTT 5 CONNACK with `extra` byte properties appended to its property list (a successful CONNACK; a refusal,
 * reason code ≥ 0x80, is returned unchanged). `connack` is one complete packet.
 */
export function appendConnackProperties(connack: Buffer, extra: ReadonlyArray<readonly [number, number, string]>): Buffer {
  const remaining = readVarInt(connack, 1);
  if (connack[0] !== 0x20 || !remaining) throw new Error('not a CONNACK');
  const body = connack.subarray(1 + remaining.length);
  if (body.length < 2 || body[1] >= 0x80) return connack;
  const propertiesLength = body.length > 2 ? readVarInt(body, 2) : { value: 0, length: 0 };
  if (!propertiesLength) throw new Error('malformed CONNACK properties');
  const properties = body.subarray(2 + propertiesLength.length);
  const added = Buffer.from(extra.flatMap(([id, value]) => [id, value]));
  const newProperties = Buffer.concat([properties, added]);
  const newBody = Buffer.concat([body.subarray(0, 2), varInt(newProperties.length), newProperties]);
  return Buffer.concat([Buffer.from([0x20]), varInt(newBody.length), newBody]);
}

/**
 * Makes the next packet written to `socket` (the CONNACK of an MQTT 5 client) carry AWS IoT Core's CONNACK
 * properties: the pieces mqtt-packet writes are gathered until the packet is complete, rewritten once, and the
 * socket's own `write` is restored.
 */
export function withAwsConnackProperties(socket: { write: (...args: never[]) => boolean }): void {
  const target = socket as unknown as { write: (chunk: Buffer | string, ...rest: unknown[]) => boolean };
  const original = target.write;
  let pending = Buffer.alloc(0);
  const callbacks: Array<(err?: Error | null) => void> = [];
  target.write = function write(chunk: Buffer | string, ...rest: unknown[]): boolean {
    const callback = rest.find((r) => typeof r === 'function') as ((err?: Error | null) => void) | undefined;
    if (callback) callbacks.push(callback);
    pending = Buffer.concat([pending, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    const length = packetLength(pending);
    if (length === undefined || pending.length < length) return true;
    delete (target as { write?: unknown }).write; // back to the socket's own write
    if (target.write !== original) target.write = original;
    const first = pending.subarray(0, length);
    const packet = first[0] === 0x20 ? appendConnackProperties(first, AWS_CONNACK_BYTE_PROPERTIES) : first;
    const after = pending.subarray(length);
    const done = (err?: Error | null) => callbacks.forEach((cb) => cb(err));
    return original.call(target, after.length > 0 ? Buffer.concat([packet, after]) : packet, done);
  };
}
