import { createHash } from 'crypto';
import * as fs from 'fs';
import { resolve } from 'path';
import { Token } from 'aws-cdk-lib';
import { PROTOBUF_RULE_LIMITS } from '../contract';
import { readDescriptorSet } from './descriptor-set';

/** A FileDescriptorSet read and checked at synth: what the rule, the deployment and the parser's asset need. */
export interface CheckedDescriptorSet {
  /** The file's absolute path. */
  readonly path: string;
  /** The fully qualified message type, as given. */
  readonly messageType: string;
  /** The name of the file in the set that declares the message type, as the set records it (`telemetry.proto`). */
  readonly declaringFile: string;
  /** A hash of the file's bytes (hex, 16 characters): a changed descriptor gets a new object key. */
  readonly hash: string;
}

/**
 * Reads and checks a FileDescriptorSet for `where` (`PayloadFormat.protobuf`, `PayloadDecoder.protobuf`): the file
 * exists, holds at most `PROTOBUF_RULE_LIMITS.descriptorSetBytes` (the limit AWS IoT's `decode` sets, kept for the
 * parser's decoder too so that a set works in both places), parses as a FileDescriptorSet and declares `messageType`
 * — and, when given, declares it in `protoFile`. Every error says what to change.
 */
export function checkDescriptorSet(where: string, file: string, messageType: string, protoFile?: string): CheckedDescriptorSet {
  if (typeof file !== 'string' || file.length === 0 || Token.isUnresolved(file)) {
    throw new Error(`${where}: give \`descriptorSet\`, the path of a FileDescriptorSet file (e.g. from \`protoc --include_imports --descriptor_set_out=telemetry.desc telemetry.proto\`).`);
  }
  if (typeof messageType !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(messageType)) {
    throw new Error(`${where}: \`messageType\` "${messageType}" is not a message type name; give it with its package, e.g. "factory.v1.Telemetry".`);
  }
  const path = resolve(file);
  if (!fs.existsSync(path) || !fs.statSync(path).isFile()) {
    throw new Error(`${where}: descriptorSet "${file}" is not a file (looked at ${path}); give the path of a FileDescriptorSet, absolute or relative to the directory cdk runs in.`);
  }
  const bytes = fs.readFileSync(path);
  const limit = PROTOBUF_RULE_LIMITS.descriptorSetBytes;
  if (bytes.length > limit) {
    throw new Error(`${where}: descriptorSet "${file}" has ${bytes.length} bytes; AWS IoT reads a FileDescriptorSet of at most ${limit} bytes (32 KiB). Compile only the files the message needs (protoc --include_imports <its .proto>), without source info.`);
  }
  let files;
  try {
    files = readDescriptorSet(bytes);
  } catch (e) {
    throw new Error(`${where}: descriptorSet "${file}" is not a FileDescriptorSet (${(e as Error).message}); compile it with \`protoc --include_imports --descriptor_set_out=<file> <your .proto>\` or \`buf build -o <file>\`.`);
  }
  const declaring = files.find((f) => f.messageTypes.includes(messageType));
  if (!declaring) {
    const known = files.flatMap((f) => f.messageTypes);
    throw new Error(`${where}: descriptorSet "${file}" declares no message "${messageType}"; it declares ${known.length === 0 ? 'no messages' : known.join(', ')}. Give one of those (with its package) as \`messageType\`.`);
  }
  if (declaring.name.includes("'")) {
    throw new Error(`${where}: the file "${declaring.name}" that declares "${messageType}" has a single quote in its name, which cannot appear inside the rule's decode(); compile the set from a .proto file whose name has no quote.`);
  }
  if (protoFile !== undefined && !sameProtoFile(declaring.name, protoFile)) {
    throw new Error(`${where}: \`protoFile\` "${protoFile}" does not declare "${messageType}"; ${declaring.name} does. Give "${protoFileArgument(declaring.name)}" or leave \`protoFile\` out.`);
  }
  return { path, messageType, declaringFile: declaring.name, hash: createHash('sha256').update(bytes).digest('hex').slice(0, 16) };
}

/**
 * The file as AWS IoT's `decode(*, 'proto', <bucket>, <key>, <proto file>, <message>)` names it: the name of the
 * `.proto` file without its extension — the developer guide's example decodes a message "defined in
 * `PROTO_FILENAME.proto`" with the argument `'<PROTO_FILENAME>'`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html).
 */
export function protoFileArgument(fileName: string): string {
  return fileName.replace(/\.proto$/, '');
}

/** Whether the user's `protoFile` names the set's file, with or without `.proto`. */
function sameProtoFile(setName: string, given: string): boolean {
  return given === setName || given === protoFileArgument(setName);
}
