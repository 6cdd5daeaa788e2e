/**
 * `publish --protobuf`: JSON samples encoded as one message type of a FileDescriptorSet (the form `protoc
 * --descriptor_set_out` and `buf build` write, and AWS IoT's `decode(*, 'proto', …)` reads), with @bufbuild/protobuf.
 * The JSON may name fields by their proto names (`device_id`) or their JSON names (`deviceId`), as the Protobuf JSON
 * mapping allows; an unknown field or a value of the wrong type is an error that names the field.
 */
import { createFileRegistry, DescMessage, fromBinary, fromJson, JsonValue, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { UsageError } from '../errors';

/** Encodes JSON values as one message type. */
export interface ProtobufEncoder {
  /** The message type's full name. */
  readonly messageType: string;
  /** The message's fields by proto name. */
  readonly fields: readonly string[];
  encode(value: unknown): Uint8Array;
}

/**
 * Reads the FileDescriptorSet (`bytes`, read from `descriptorSetFile`) and finds the message type; each problem is a
 * usage error that says what to change.
 */
export function protobufEncoder(bytes: Uint8Array, descriptorSetFile: string, messageType: string): ProtobufEncoder {
  const compile = 'Compile the .proto file into one: `buf build telemetry.proto -o telemetry.binpb`, or `protoc --include_imports --descriptor_set_out=telemetry.binpb telemetry.proto`.';
  let registry: ReturnType<typeof createFileRegistry>;
  try {
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  } catch (e) {
    throw new UsageError(`--descriptor-set ${descriptorSetFile} is not a usable FileDescriptorSet (${(e as Error).message}). ${compile}`);
  }
  const name = messageType.replace(/^\./, '');
  const desc = registry.getMessage(name);
  if (!desc) {
    const known: string[] = [];
    for (const type of registry) if (type.kind === 'message') known.push(type.typeName);
    throw new UsageError(
      `--message-type ${messageType} is not in ${descriptorSetFile}; `
      + (known.length > 0 ? `its message types: ${known.sort().join(', ')}.` : `it holds no message types. ${compile}`)
      + ' Give the full name, package included (e.g. factory.v1.Telemetry).',
    );
  }
  return encoderOf(desc);
}

function encoderOf(desc: DescMessage): ProtobufEncoder {
  const fields = desc.fields.map((f) => f.name);
  return {
    messageType: desc.typeName,
    fields,
    encode(value) {
      let message;
      try {
        message = fromJson(desc, value as JsonValue);
      } catch (e) {
        throw new UsageError(
          `The message does not fit ${desc.typeName}: ${(e as Error).message}. `
          + `Write --template with its fields (proto or JSON names): ${desc.fields.map((f) => f.jsonName === f.name ? f.name : `${f.name}/${f.jsonName}`).join(', ')}.`,
        );
      }
      return toBinary(desc, message);
    },
  };
}
