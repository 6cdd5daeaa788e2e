/**
 * What a message's row is made of, by payload format (`PARSER_PAYLOAD`): the rule's JSON object (json), the decoded
 * payload of a binary envelope (binary), or the object the rule decoded (protobuf). In every case the row is what a
 * JSON device would have given — `{topic, ...fields}` — and `topic` is the one AWS IoT authorized (the envelope's,
 * from the rule's `topic()`), never a `topic` field the device sent.
 *
 * Each decoder is loaded only when configured (`require` at init, like direct mode's S3 client in index.ts), so a
 * JSON pipeline never loads a decoding library and a CBOR pipeline never loads the Protobuf one.
 */
import { BINARY_ENVELOPE, PAYLOAD_DECODERS, PAYLOAD_FORMATS } from '../../src/contract/payload';
import { JsonObject, ParseError, ParserMessage } from '../toolkit';
import { ConfigError, DecoderConfig, ReferenceParserConfig } from './config';
import type { DecoderContext, PayloadDecoder } from './decoders/types';

/** One message's rows before the configured fields (topic segments, arrival time) are added. */
export type RowReader = (message: ParserMessage) => JsonObject | readonly JsonObject[];

/** `{topic, ...fields}`, with the authorized topic even when the payload has a `topic` of its own. */
function withTopic(topic: string, fields: JsonObject): JsonObject {
  const row: JsonObject = { topic, ...fields };
  row.topic = topic;
  return row;
}

const CONTEXT: DecoderContext = { fail: reason => new ParseError(reason), misconfigured: message => new ConfigError(message) };

/*
 * `./decoders/<kind>` is a separate file of the asset (the build bundles each decoder on its own and keeps the path
 * external in index.js), so index.js stays small and a pipeline reads and compiles only its own decoder.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
function loadDecoder(decoder: DecoderConfig, descriptorDir: string): PayloadDecoder {
  switch (decoder.kind) {
    case PAYLOAD_DECODERS.cbor:
      return (require('./decoders/cbor') as typeof import('./decoders/cbor')).cborDecoder(CONTEXT);
    case PAYLOAD_DECODERS.protobuf:
      return (require('./decoders/protobuf') as typeof import('./decoders/protobuf'))
        .protobufDecoder({ messageType: decoder.messageType, descriptorDir }, CONTEXT);
    case PAYLOAD_DECODERS.delimited:
      return (require('./decoders/delimited') as typeof import('./decoders/delimited')).delimitedDecoder(decoder, CONTEXT);
    default:
      return (require('./decoders/csv') as typeof import('./decoders/csv')).csvDecoder(decoder, CONTEXT);
  }
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** A binary payload without a decoder: UTF-8 JSON text of one object. */
function jsonPayload(message: ParserMessage): JsonObject {
  const payload = message.binaryPayload();
  let value: unknown;
  try {
    value = JSON.parse(payload.text());
  } catch (e) {
    if (e instanceof ParseError) throw e;
    throw new ParseError('binary payload is not JSON (configure a decoder: PayloadDecoder.cbor(), .protobuf(), .delimited() or .csv())');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ParseError('binary payload is JSON but not an object');
  return withTopic(payload.topic, value as JsonObject);
}

/** Builds the reader for the configuration; `descriptorDir` is where the protobuf decoder finds its FileDescriptorSet. */
export function rowReader(config: ReferenceParserConfig, descriptorDir: string): RowReader {
  if (config.payload === PAYLOAD_FORMATS.json) return message => message.jsonObject();
  if (config.payload === PAYLOAD_FORMATS.protobuf) {
    return (message) => {
      const envelope = message.jsonObject();
      const topic = envelope[BINARY_ENVELOPE.topic];
      const fields = envelope[BINARY_ENVELOPE.payload];
      if (typeof topic !== 'string') throw new ParseError(`protobuf envelope has no string "${BINARY_ENVELOPE.topic}"`);
      if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
        throw new ParseError(`protobuf envelope has no decoded "${BINARY_ENVELOPE.payload}" object: is the rule's decode(*, 'proto', …) right?`);
      }
      return withTopic(topic, fields as JsonObject);
    };
  }
  if (config.decoder === undefined) return jsonPayload;
  const decode = loadDecoder(config.decoder, descriptorDir);
  return (message) => {
    const payload = message.binaryPayload();
    const decoded = decode(payload);
    return Array.isArray(decoded)
      ? (decoded as readonly JsonObject[]).map(fields => withTopic(payload.topic, fields))
      : withTopic(payload.topic, decoded as JsonObject);
  };
}
