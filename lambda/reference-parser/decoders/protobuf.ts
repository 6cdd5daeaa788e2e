/**
 * `PayloadDecoder.protobuf`: a Protocol Buffers message → the row's fields, with the message type read from a
 * FileDescriptorSet (the file the construct copies beside index.js, `DESCRIPTOR_SET_FILE`; the same form AWS IoT's
 * `decode(*, 'proto', …)` reads: https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html).
 * The descriptor set is read and the message type resolved once, at init; a record only runs `fromBinary` + `toJson`.
 *
 * The fields are the Protobuf JSON mapping (https://protobuf.dev/programming-guides/json/) with the .proto field names
 * (`device_id`, not `deviceId`). AWS documents no naming for `decode(*, 'proto', …)`'s output, so the proto names —
 * what the .proto file says — are used, and a pipeline that decodes in the rule gives the same rows only if AWS does
 * too. Per the mapping: enums → their value names (an unknown number stays a number); 64-bit integers → decimal
 * strings; `bytes` → base64; NaN and ±Infinity → "NaN" / "Infinity" / "-Infinity"; fields at their default value
 * (proto3 implicit presence: 0, "", false, empty lists) are omitted. An empty payload is a valid message (all defaults).
 *
 * The library is @bufbuild/protobuf (CommonJS build, no code generation): chosen over protobufjs for bundle size
 * and conformance; protobufjs decodes faster (figures in bench/results/parser.json and the README next to this folder).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createFileRegistry, DescMessage, fromBinary, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import type { DecoderContext, PayloadDecoder } from './types';
import { DESCRIPTOR_SET_FILE } from '../../../src/contract/payload';
import type { JsonObject } from '../../toolkit';

/** Reads the FileDescriptorSet in `dir` and finds `messageType` in it; throws `misconfigured` (ConfigError) saying what to change. */
function loadMessageType(dir: string, messageType: string, misconfigured: DecoderContext['misconfigured']): DescMessage {
  const file = path.join(dir, DESCRIPTOR_SET_FILE);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw misconfigured(`the protobuf decoder needs its FileDescriptorSet at ${file}; it is missing `
      + '(the construct copies PayloadDecoder.protobuf\'s descriptorSet there)');
  }
  let registry;
  try {
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  } catch (e) {
    throw misconfigured(`${file} is not a FileDescriptorSet (${e instanceof Error ? e.message : e}); `
      + 'compile it with `buf build -o <file>.binpb` or `protoc --include_imports --descriptor_set_out=<file>`');
  }
  const type = registry.getMessage(messageType);
  if (type === undefined) {
    const known = [...registry].filter(d => d.kind === 'message').map(d => d.typeName).sort();
    throw misconfigured(`message type ${JSON.stringify(messageType)} is not in the FileDescriptorSet; it declares: ${known.join(', ') || 'no message'}`);
  }
  return type;
}

export function protobufDecoder(
  options: { readonly messageType: string; readonly descriptorDir: string },
  { fail, misconfigured }: DecoderContext,
): PayloadDecoder {
  const type = loadMessageType(options.descriptorDir, options.messageType, misconfigured);
  const name = type.typeName;
  return (payload) => {
    let message;
    try {
      message = fromBinary(type, payload.bytes);
    } catch (e) {
      // The library's messages name the wire problem ("premature EOF", "invalid wire type"), never the data.
      throw fail(`payload is not a valid ${name}: ${e instanceof Error ? e.message.slice(0, 120) : 'unknown error'}`);
    }
    return toJson(type, message, { useProtoFieldName: true }) as JsonObject;
  };
}
