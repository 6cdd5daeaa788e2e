/**
 * Device payloads that are not JSON: what the topic rule makes of them, and how the construct tells the reference
 * parser to decode them. The construct (`PayloadFormat`, `PayloadDecoder`), the parsers (`lambda/`), the CLI and the
 * runner read these names; nothing else spells them.
 *
 * AWS IoT documents that with a non-JSON payload `*` is the raw bytes, that fields can be added to `*` only for JSON
 * or empty payloads, and that binary is wrapped with `encode(*, 'base64')` or decoded in the rule with
 * `decode(*, 'proto', …)` (https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html).
 */

/** What the pipeline's devices send, as the construct writes it into the parser's environment (`PARSER_ENV.payload`). */
export const PAYLOAD_FORMATS = {
  /** JSON objects: today's rule, `SELECT topic() as topic, * …`. */
  json: 'json',
  /** Any bytes (text lines, CBOR, Protobuf, …): the rule wraps them, base64, in `BINARY_ENVELOPE`. */
  binary: 'binary',
  /** Protobuf decoded in the rule (`decode(*, 'proto', …)`): `BINARY_ENVELOPE.payload` holds the decoded object. */
  protobuf: 'protobuf',
} as const;
/** A payload format as the parser reads it. */
export type PayloadFormatName = (typeof PAYLOAD_FORMATS)[keyof typeof PAYLOAD_FORMATS];

/**
 * The JSON object the binary and Protobuf rules write for every message. The identity fields come from the rule's
 * functions (`topic()`, `clientid()`, `timestamp()`), never from the payload, so a device cannot forge them.
 */
export const BINARY_ENVELOPE = {
  /** `binary`: the payload's bytes, base64 (`encode(*, 'base64')`); `protobuf`: the decoded message object. */
  payload: 'payload',
  /** `topic()`: the topic AWS IoT authorized the publish on. */
  topic: 'topic',
  /** `clientid()`: the MQTT client id of the connection. */
  clientId: 'clientId',
  /** `timestamp()`: when the rules engine received the message, epoch milliseconds. */
  timestamp: 'timestamp',
} as const;

/** The rule's SELECT list for a binary pipeline (every item a function, as a non-JSON payload requires). */
const ENVELOPE_IDENTITY = `topic() AS ${BINARY_ENVELOPE.topic}, clientid() AS ${BINARY_ENVELOPE.clientId}, timestamp() AS ${BINARY_ENVELOPE.timestamp}`;

/** The default rule of a binary pipeline: every message one level below the base topic, wrapped in `BINARY_ENVELOPE`. */
export function binaryRuleSql(topic: string): string {
  return `SELECT encode(*, 'base64') AS ${BINARY_ENVELOPE.payload}, ${ENVELOPE_IDENTITY} FROM '${topic}/+'`;
}

/** Where a Protobuf pipeline's rule finds its FileDescriptorSet, and what it decodes. */
export interface ProtobufRuleDescriptor {
  /** The bucket holding the FileDescriptorSet (may be a deploy-time token). */
  readonly bucket: string;
  /** Its object key. */
  readonly key: string;
  /**
   * The `.proto` file that declares the message, as `decode` names it: the file's name in the descriptor set without
   * `.proto` (the developer guide decodes a message "defined in `PROTO_FILENAME.proto`" with `'<PROTO_FILENAME>'`,
   * binary-payloads.html); the construct writes it so unless the user gives `protoFile`.
   */
  readonly protoFile: string;
  /** The message type, as `decode` names it. */
  readonly messageType: string;
}

/** The default rule of a Protobuf pipeline: the payload decoded in the rule into `BINARY_ENVELOPE.payload`. */
export function protobufRuleSql(topic: string, descriptor: ProtobufRuleDescriptor): string {
  const decode = `decode(*, 'proto', '${descriptor.bucket}', '${descriptor.key}', '${descriptor.protoFile}', '${descriptor.messageType}')`;
  return `SELECT ${decode} AS ${BINARY_ENVELOPE.payload}, ${ENVELOPE_IDENTITY} FROM '${topic}/+'`;
}

/** AWS IoT's limits on `decode(*, 'proto', …)` (binary-payloads.html). */
export const PROTOBUF_RULE_LIMITS = {
  /** The FileDescriptorSet object. */
  descriptorSetBytes: 32 * 1024,
  /** The payload a rule decodes. */
  payloadBytes: 128 * 1024,
  /** `decode` calls in one SQL expression. */
  decodeCallsPerExpression: 2,
} as const;

/** The key prefix of FileDescriptorSets in the bucket the construct deploys them to. */
export const DESCRIPTOR_SET_PREFIX = 'payload-schemas/';

/** The reference parser's payload decoders (`PayloadDecoder`), by the name in `PARSER_ENV.decoder`'s `kind`. */
export const PAYLOAD_DECODERS = {
  cbor: 'cbor',
  protobuf: 'protobuf',
  delimited: 'delimited',
  csv: 'csv',
} as const;
/** A decoder's name. */
export type PayloadDecoderName = (typeof PAYLOAD_DECODERS)[keyof typeof PAYLOAD_DECODERS];

/**
 * The decoder as the construct writes it (JSON) into `PARSER_ENV.decoder`. Only the fields of its `kind` are set.
 * Protobuf's FileDescriptorSet travels in the parser's code asset as `DESCRIPTOR_SET_FILE`, not in the environment
 * (Lambda's environment is limited to 4 KB).
 */
export interface PayloadDecoderSpec {
  readonly kind: PayloadDecoderName;
  /** protobuf: the fully qualified message type (`package.Message`). */
  readonly messageType?: string;
  /** delimited: between fields (`;` in `temp=21.5;hum=40`). */
  readonly fieldSeparator?: string;
  /** delimited: between a key and its value (`=`). */
  readonly keyValueSeparator?: string;
  /** csv: the field names, in column order. */
  readonly columns?: readonly string[];
  /** csv: the column separator. */
  readonly separator?: string;
}

/** The FileDescriptorSet's file name inside the reference parser's code asset (beside `index.js`). */
export const DESCRIPTOR_SET_FILE = 'payload-descriptor-set.binpb';
