/**
 * `decode(*, 'proto', '<bucket>', '<key>', '<proto file>', '<message>')` as the local rules engine evaluates it: the
 * FileDescriptorSet is read from the bucket (the runner's bucket folder, where the stack's BucketDeployment put it at
 * start), compiled once per (bucket, key, content) with @bufbuild/protobuf, and the payload decoded into a JSON object.
 *
 * AWS IoT documents the function and its limits on
 * https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html ("Decoding protobuf message payloads"):
 * the descriptor set (a FileDescriptorSet, ≤ 32 KiB) in S3, at most two `decode` calls per SQL expression, payloads of
 * at most 128 KiB, and no `decode` inside substitution templates. What AWS does when a limit is exceeded at run time
 * is not documented; locally the message fails the rule's evaluation (`SqlEvaluationError`: its actions do not run,
 * the runner counts and logs it). The two limits that can be seen in the SQL text (calls per statement, templates)
 * fail when the rule is loaded (`SqlError`).
 *
 * Field names: AWS does not document how the decoded message's fields are named in the JSON; the local runner uses
 * the names in the .proto file (`device_id`, not `deviceId`), with the Protocol Buffers JSON mapping for values
 * (enums by name, 64-bit integers as strings, bytes as base64, fields at their default value left out).
 */
import { createHash } from 'crypto';
import type * as ProtobufModule from '@bufbuild/protobuf';
import type * as WktModule from '@bufbuild/protobuf/wkt';
import { SqlEvaluationError } from './errors';
import type { SqlValue } from './values';
import { PROTOBUF_RULE_LIMITS } from '../../../src/contract';

let loaded: { readonly pb: typeof ProtobufModule; readonly wkt: typeof WktModule } | undefined;

/**
 * @bufbuild/protobuf, loaded on the first decode: the CLI bundle keeps it in a vendor file of its own, which commands
 * that load the runner's modules without decoding (`local certs`) never read.
 */
function protobuf(): { readonly pb: typeof ProtobufModule; readonly wkt: typeof WktModule } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  loaded ??= { pb: require('@bufbuild/protobuf') as typeof ProtobufModule, wkt: require('@bufbuild/protobuf/wkt') as typeof WktModule };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return loaded;
}

/** The reference page of `decode(…, 'proto')` and its limits. */
export const PROTOBUF_DECODE_PAGE = 'https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html';

/** Where `decode(*, 'proto', …)` reads descriptor sets: the runner's buckets. */
export interface ObjectReader {
  /**
   * A token that changes when the object changes (its size and modification time), or undefined when the bucket
   * has no such object. Asked for every decode, so it must be cheap (one `stat`).
   */
  version(bucket: string, key: string): string | undefined;
  /** The object's bytes, or undefined when there is none. */
  read(bucket: string, key: string): Buffer | undefined;
}

/** A compiled descriptor set, as cached. */
interface CachedObject {
  readonly version: string;
  readonly registry: ProtobufModule.FileRegistry;
}

/** The most distinct descriptor sets kept compiled (a rule names one; a handful of rules a few). */
const MAX_REGISTRIES = 64;

/**
 * Compiled descriptor sets, per (bucket, key) and per content: an object whose version (size, mtime) has not changed
 * is not read again, and an object rewritten with the same bytes keeps its compiled registry.
 */
export class DescriptorCache {
  private readonly byObject = new Map<string, CachedObject>();
  private readonly byContent = new Map<string, ProtobufModule.FileRegistry>();
  /** How many times a descriptor set was compiled (tests: the cache works). */
  public compilations = 0;

  constructor(private readonly objects: ObjectReader) {}

  /** The registry of `s3://bucket/key`; throws SqlEvaluationError when it is missing, too large or not a descriptor set. */
  public registry(bucket: string, key: string): ProtobufModule.FileRegistry {
    const id = `${bucket}\u0000${key}`;
    const version = this.objects.version(bucket, key);
    if (version === undefined) {
      this.byObject.delete(id);
      throw new SqlEvaluationError(`decode(*, 'proto'): no descriptor set s3://${bucket}/${key} (the stack deploys it with a BucketDeployment, `
        + 'which the local runner copies into the bucket folder at start; check the bucket and key in the rule)');
    }
    const cached = this.byObject.get(id);
    if (cached && cached.version === version) return cached.registry;
    const bytes = this.objects.read(bucket, key);
    if (bytes === undefined) throw new SqlEvaluationError(`decode(*, 'proto'): s3://${bucket}/${key} disappeared while it was read`);
    if (bytes.length > PROTOBUF_RULE_LIMITS.descriptorSetBytes) {
      throw new SqlEvaluationError(`decode(*, 'proto'): the descriptor set s3://${bucket}/${key} has ${bytes.length} bytes; AWS IoT reads at most `
        + `${PROTOBUF_RULE_LIMITS.descriptorSetBytes} (32 KiB): keep only the .proto files the message needs (${PROTOBUF_DECODE_PAGE})`);
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    let registry = this.byContent.get(hash);
    if (!registry) {
      registry = compileDescriptorSet(bytes, `s3://${bucket}/${key}`);
      this.compilations++;
      if (this.byContent.size >= MAX_REGISTRIES) this.byContent.clear();
      this.byContent.set(hash, registry);
    }
    if (this.byObject.size >= MAX_REGISTRIES) this.byObject.clear();
    this.byObject.set(id, { version, registry });
    return registry;
  }
}

/** Parses a FileDescriptorSet into a registry; SqlEvaluationError when it is not one. */
function compileDescriptorSet(bytes: Uint8Array, where: string): ProtobufModule.FileRegistry {
  try {
    const { pb, wkt } = protobuf();
    return pb.createFileRegistry(pb.fromBinary(wkt.FileDescriptorSetSchema, bytes));
  } catch (e) {
    throw new SqlEvaluationError(`decode(*, 'proto'): ${where} is not a FileDescriptorSet (${(e as Error).message}); `
      + 'build it with `protoc --descriptor_set_out=<file> --include_imports <file>.proto` or `buf build -o <file>`');
  }
}

/**
 * The message type `messageType` of the file `protoFile` in a registry. The file may be named with or without its
 * `.proto` extension, the message fully qualified (`factory.v1.Telemetry`) or relative to the file's package.
 */
export function findMessage(registry: ProtobufModule.FileRegistry, protoFile: string, messageType: string): ProtobufModule.DescMessage {
  const file = registry.getFile(protoFile) ?? registry.getFile(`${protoFile}.proto`);
  if (!file) {
    const files = [...registry.files].map((f) => f.name + '.proto');
    throw new SqlEvaluationError(`decode(*, 'proto'): the descriptor set has no file "${protoFile}"; it has ${files.join(', ') || 'none'}`);
  }
  const message = registry.getMessage(messageType) ?? (file.proto.package ? registry.getMessage(`${file.proto.package}.${messageType}`) : undefined);
  if (!message || message.file !== file) {
    const declared = file.messages.map((m) => m.typeName);
    throw new SqlEvaluationError(`decode(*, 'proto'): ${file.name}.proto declares no message "${messageType}"; it declares ${declared.join(', ') || 'none'}`);
  }
  return message;
}

/** Decodes a payload with a message type into the JSON object the rule sees. */
export function decodeProtobuf(message: ProtobufModule.DescMessage, payload: Buffer): SqlValue {
  if (payload.length > PROTOBUF_RULE_LIMITS.payloadBytes) {
    throw new SqlEvaluationError(`decode(*, 'proto'): the payload has ${payload.length} bytes; AWS IoT decodes payloads of at most `
      + `${PROTOBUF_RULE_LIMITS.payloadBytes} (128 KiB) (${PROTOBUF_DECODE_PAGE})`);
  }
  try {
    const { pb } = protobuf();
    return pb.toJson(message, pb.fromBinary(message, payload), { useProtoFieldName: true }) as SqlValue;
  } catch (e) {
    throw new SqlEvaluationError(`decode(*, 'proto'): the payload is not a ${message.typeName} message (${(e as Error).message})`);
  }
}
