/**
 * What `publish` sends in each message: JSON from a template (the default), text from a template (`--raw`), the
 * bytes of a file (`--payload-file`), or the template's JSON samples encoded as CBOR (`--cbor`) or as a Protobuf
 * message (`--protobuf`). Every choice is checked, and a sample message built, before anything connects.
 *
 * cbor-x and @bufbuild/protobuf load only when `--cbor` / `--protobuf` are given (the CLI bundle keeps them in their
 * own vendor files, projenrc/bundle-cli.ts).
 */
import { readFileSync } from 'fs';
import { UsageError } from '../errors';
import type { ProtobufEncoder } from './protobuf';
import { DEFAULT_TEMPLATE, MessageTemplate, RenderContext, TemplateEnvironment } from './template';

/**
 * AWS IoT Core accepts message payloads of at most 128 KB
 * (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits).
 */
export const IOT_MAX_PAYLOAD_BYTES = 128 * 1024;

/** What a message holds: `json` (--template), `text` (--raw), `file` (--payload-file), `cbor`, `protobuf`. */
export const PAYLOAD_KINDS = ['json', 'text', 'file', 'cbor', 'protobuf'] as const;
export type PayloadKind = (typeof PAYLOAD_KINDS)[number];

/** The options that choose the payload (as given on the command line). */
export interface PayloadOptions {
  readonly template?: string;
  readonly templateFile?: string;
  readonly raw?: string;
  readonly payloadFile?: string;
  readonly cbor?: boolean;
  readonly protobuf?: boolean;
  readonly descriptorSet?: string;
  readonly messageType?: string;
}

/** One message, rendered. */
export interface RenderedMessage {
  /** What is published. */
  readonly bytes: Buffer;
  /** The text the bytes were made from: the JSON or text message, the JSON sample CBOR/Protobuf encoded; none for a file. */
  readonly text?: string;
}

/** The payload of every message of a run. */
export interface MessagePayload {
  readonly kind: PayloadKind;
  /** Renders message `seq`; throws a UsageError when its sample does not fit the encoding. */
  render(ctx: RenderContext, env?: TemplateEnvironment): RenderedMessage;
  /** Renders the first message for `clientId` and checks it (JSON where JSON is needed, the 128 KB limit). */
  check(clientId: string, env?: TemplateEnvironment): RenderedMessage;
}

/** Reads a file given with an option; a missing file is a usage error naming the option. */
export function readOptionFile(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`Cannot read ${option} file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
}

/**
 * The payload the options choose. Conflicting options, an unreadable file, a file over 128 KB, a broken template and
 * (with --protobuf) a descriptor set without the message type are usage errors that say what to change.
 */
export function resolvePayload(o: PayloadOptions): MessagePayload {
  const sources = ([['--template', o.template], ['--template-file', o.templateFile], ['--raw', o.raw], ['--payload-file', o.payloadFile]] as const)
    .filter(([, value]) => value !== undefined).map(([name]) => name);
  if (sources.length > 1) {
    throw new UsageError(sources.length === 2
      ? `Give ${sources[0]} or ${sources[1]}, not both.`
      : `Give one of ${sources.join(', ')}, not several.`);
  }
  if (o.cbor && o.protobuf) {
    throw new UsageError('Give --cbor or --protobuf, not both: each encodes the JSON of --template in its own way.');
  }
  const encoding = o.cbor ? '--cbor' : o.protobuf ? '--protobuf' : undefined;
  if (encoding !== undefined && o.raw !== undefined) {
    throw new UsageError(`${encoding} encodes the JSON messages of --template; --raw text is sent as it is. Leave out ${encoding}, or give --template '<JSON>' instead of --raw.`);
  }
  if (encoding !== undefined && o.payloadFile !== undefined) {
    throw new UsageError(`--payload-file is sent byte for byte; ${encoding} encodes the JSON messages of --template. Leave out ${encoding} (encode the file yourself), or give --template '<JSON>' instead of --payload-file.`);
  }
  if (!o.protobuf && (o.descriptorSet !== undefined || o.messageType !== undefined)) {
    throw new UsageError('--descriptor-set and --message-type describe a Protobuf payload: add --protobuf (or leave them out).');
  }
  if (o.protobuf && (o.descriptorSet === undefined || o.messageType === undefined)) {
    const missing = [o.descriptorSet === undefined ? '--descriptor-set <FileDescriptorSet file>' : undefined, o.messageType === undefined ? '--message-type <package.Message>' : undefined]
      .filter((m) => m !== undefined).join(' and ');
    throw new UsageError(
      `--protobuf needs ${missing}, e.g. --protobuf --descriptor-set telemetry.binpb --message-type factory.v1.Telemetry `
      + '(make the set with `buf build telemetry.proto -o telemetry.binpb` or `protoc --include_imports --descriptor_set_out=telemetry.binpb telemetry.proto`).',
    );
  }

  if (o.payloadFile !== undefined) return filePayload(o.payloadFile);
  if (o.raw !== undefined) return textPayload(MessageTemplate.parseText(o.raw));
  const templateText = o.templateFile !== undefined ? readOptionFile(o.templateFile, '--template-file').toString('utf8') : o.template;
  const template = MessageTemplate.parse(templateText ?? DEFAULT_TEMPLATE);
  if (o.cbor) return encodedPayload('cbor', template, cborEncoder());
  if (o.protobuf) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- @bufbuild/protobuf loads only for --protobuf
    const { protobufEncoder } = require('./protobuf') as typeof import('./protobuf');
    const encoder: ProtobufEncoder = protobufEncoder(readOptionFile(o.descriptorSet!, '--descriptor-set'), o.descriptorSet!, o.messageType!);
    return encodedPayload('protobuf', template, (value) => encoder.encode(value));
  }
  return jsonPayload(template);
}

/** The size check every kind shares. */
function checkSize(message: RenderedMessage, what: string): RenderedMessage {
  if (message.bytes.length > IOT_MAX_PAYLOAD_BYTES) {
    throw new UsageError(`${what} is ${message.bytes.length} bytes; AWS IoT Core accepts at most ${IOT_MAX_PAYLOAD_BYTES} bytes (128 KB) a message. Send less.`);
  }
  return message;
}

function jsonPayload(template: MessageTemplate): MessagePayload {
  const render = (ctx: RenderContext, env?: TemplateEnvironment): RenderedMessage => {
    const text = template.render(ctx, env);
    return { bytes: Buffer.from(text, 'utf8'), text };
  };
  return {
    kind: 'json',
    render,
    check: (clientId, env) => {
      template.validate(clientId, env);
      return checkSize(render({ seq: 1, clientId }, env), 'The rendered message');
    },
  };
}

function textPayload(template: MessageTemplate): MessagePayload {
  const render = (ctx: RenderContext, env?: TemplateEnvironment): RenderedMessage => {
    const text = template.render(ctx, env);
    return { bytes: Buffer.from(text, 'utf8'), text };
  };
  return { kind: 'text', render, check: (clientId, env) => checkSize(render({ seq: 1, clientId }, env), 'The rendered --raw message') };
}

function filePayload(file: string): MessagePayload {
  const bytes = readOptionFile(file, '--payload-file');
  const message: RenderedMessage = { bytes };
  checkSize(message, `--payload-file ${file}`);
  return { kind: 'file', render: () => message, check: () => message };
}

/** A JSON template whose every message is parsed and encoded (CBOR, Protobuf). */
function encodedPayload(kind: 'cbor' | 'protobuf', template: MessageTemplate, encode: (value: unknown) => Uint8Array): MessagePayload {
  const render = (ctx: RenderContext, env?: TemplateEnvironment): RenderedMessage => {
    const text = template.render(ctx, env);
    const encoded = encode(JSON.parse(text));
    return { bytes: Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength), text };
  };
  return {
    kind,
    render,
    check: (clientId, env) => {
      template.validate(clientId, env);
      return checkSize(render({ seq: 1, clientId }, env), `The ${kind === 'cbor' ? 'CBOR' : 'Protobuf'}-encoded message`);
    },
  };
}

/**
 * CBOR (RFC 8949) with cbor-x's default encoder: plain maps, arrays and numbers, without cbor-x's record extension.
 * Its `index-no-eval` build: plain JavaScript, without the optional native string extractor (cbor-extract, used
 * only to decode) and without generated code, so the CLI bundle holds no native module.
 */
function cborEncoder(): (value: unknown) => Uint8Array {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- cbor-x loads only for --cbor
  const { encode } = require('cbor-x/index-no-eval') as { encode(value: unknown): Uint8Array };
  return (value) => encode(value);
}
