/**
 * A binary pipeline's messages: the topic rule wraps every payload in the binary envelope (`BINARY_ENVELOPE`,
 * `binaryRuleSql` in src/contract/payload.ts): `{"payload": "<base64>", "topic": …, "clientId": …, "timestamp": …}`.
 * The identity fields come from the rule's `topic()`, `clientid()` and `timestamp()`, never from the device.
 *
 * AWS IoT documents the wrapping (`SELECT encode(*, 'base64') AS data, …`) for payloads that are not JSON:
 * https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html
 */
import { decodeBase64Strict, decodeUtf8Strict } from './decode';
import { BINARY_ENVELOPE } from '../../src/contract/payload';

/** A binary pipeline's message: the device's payload bytes and who sent them (`message.binaryPayload()`). */
export interface BinaryPayload {
  /** The payload exactly as the device published it (may be empty). */
  readonly bytes: Uint8Array;
  /** The topic AWS IoT authorized the publish on (the rule's `topic()`). */
  readonly topic: string;
  /** The MQTT client id of the connection (the rule's `clientid()`). */
  readonly clientId: string;
  /** When the rules engine received the message, epoch milliseconds (the rule's `timestamp()`). */
  readonly timestamp: number;
  /** The payload as UTF-8 text (a leading BOM removed); fails the record when it is not valid UTF-8. */
  text(): string;
}

/** Makes the error a problem is thrown as (the toolkit's `ParseError`: this module imports nothing from parser.ts). */
export type FailWith = (reason: string) => Error;

const FIELDS = `{"${BINARY_ENVELOPE.payload}", "${BINARY_ENVELOPE.topic}", "${BINARY_ENVELOPE.clientId}", "${BINARY_ENVELOPE.timestamp}"}`;
const NOT_ENVELOPE = `message is not a binary envelope ${FIELDS}: is the pipeline's payload format binary?`;

class Payload implements BinaryPayload {
  public constructor(
    public readonly bytes: Uint8Array,
    public readonly topic: string,
    public readonly clientId: string,
    public readonly timestamp: number,
    private readonly fail: FailWith,
  ) {}

  public text(): string {
    const text = decodeUtf8Strict(this.bytes);
    if (text === undefined) throw this.fail('binary payload is not valid UTF-8 text');
    return text;
  }
}

/**
 * Reads a parsed message as a binary envelope; throws `fail(reason)` (a reason that never quotes the payload) when it
 * is not one: not an object, `payload` not a string of standard padded base64 (src/contract/base64.ts, as Firehose's
 * own `data`), `topic` not a non-empty string, `clientId` not a string, `timestamp` not epoch milliseconds.
 */
export function readBinaryEnvelope(value: unknown, fail: FailWith): BinaryPayload {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail(NOT_ENVELOPE);
  const envelope = value as { [key: string]: unknown };
  const payload = envelope[BINARY_ENVELOPE.payload];
  const topic = envelope[BINARY_ENVELOPE.topic];
  const clientId = envelope[BINARY_ENVELOPE.clientId];
  const timestamp = envelope[BINARY_ENVELOPE.timestamp];
  if (typeof payload !== 'string') throw fail(NOT_ENVELOPE);
  if (typeof topic !== 'string' || topic === '') throw fail(`binary envelope has no string "${BINARY_ENVELOPE.topic}"`);
  if (typeof clientId !== 'string') throw fail(`binary envelope has no string "${BINARY_ENVELOPE.clientId}"`);
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw fail(`binary envelope's "${BINARY_ENVELOPE.timestamp}" is not epoch milliseconds`);
  }
  const bytes = decodeBase64Strict(payload);
  if (bytes === undefined) throw fail(`binary envelope's "${BINARY_ENVELOPE.payload}" is not standard padded base64`);
  return new Payload(bytes, topic, clientId, timestamp, fail);
}
