import { Token } from 'aws-cdk-lib';
import { PAYLOAD_DECODERS, PAYLOAD_FORMATS, PayloadDecoderSpec, PayloadFormatName } from './contract';
import { CheckedDescriptorSet, checkDescriptorSet, protoFileArgument } from './private/payload-schema';

/**
 * Options for `PayloadFormat.protobuf()`.
 */
export interface ProtobufPayloadOptions {
  /**
   * The path of a FileDescriptorSet file (at most 32 KiB) that declares `messageType`, absolute or relative to the
   * directory `cdk` runs in: `protoc --include_imports --descriptor_set_out=telemetry.desc telemetry.proto` or
   * `buf build -o telemetry.binpb`.
   */
  readonly descriptorSet: string;
  /** The message type of the payloads, with its package: `factory.v1.Telemetry`. */
  readonly messageType: string;
  /**
   * The `.proto` file that declares `messageType`, as the rule's `decode` names it (the file name without `.proto`).
   * @default - the file in the set that declares `messageType`
   */
  readonly protoFile?: string;
}

/**
 * The payload formats a pipeline's topic rule handles.
 */
export enum PayloadFormatKind {
  /** JSON objects. */
  JSON = 'JSON',
  /** Any bytes, wrapped by the rule. */
  BINARY = 'BINARY',
  /** Protobuf, decoded by the rule. */
  PROTOBUF = 'PROTOBUF',
}

const FORMAT_NAMES: Record<PayloadFormatKind, PayloadFormatName> = {
  [PayloadFormatKind.JSON]: PAYLOAD_FORMATS.json,
  [PayloadFormatKind.BINARY]: PAYLOAD_FORMATS.binary,
  [PayloadFormatKind.PROTOBUF]: PAYLOAD_FORMATS.protobuf,
};

/**
 * What the pipeline's devices send, and so what its topic rule does with a message.
 */
export class PayloadFormat {
  /**
   * JSON objects (the default): the rule is `SELECT topic() as topic, * FROM '<topic>/+' WHERE isUndefined(topic)`,
   * and the rejected-messages rule keeps a payload with its own `topic` out of the parsed data.
   */
  public static json(): PayloadFormat {
    return new PayloadFormat(PayloadFormatKind.JSON);
  }

  /**
   * Any bytes (text lines, CSV, CBOR, Protobuf decoded by the parser, ...): the rule wraps every message as
   * `{"payload": "<the bytes, base64>", "topic": ..., "clientId": ..., "timestamp": ...}`, the identity fields from
   * `topic()`, `clientid()` and `timestamp()`, out of the payload's reach. Give the reference parser a
   * `PayloadDecoder`, or read `message.binaryPayload()` in your own parser.
   */
  public static binary(): PayloadFormat {
    return new PayloadFormat(PayloadFormatKind.BINARY);
  }

  /**
   * Protobuf decoded by AWS IoT in the rule (`decode(*, 'proto', ...)`): the construct deploys the FileDescriptorSet
   * to a bucket of its own that AWS IoT may read, and the parser receives the decoded message as JSON in the
   * envelope's `payload`. The descriptor set is checked at synth: it exists, holds at most 32 KiB and declares
   * `messageType`.
   */
  public static protobuf(options: ProtobufPayloadOptions): PayloadFormat {
    const checked = checkDescriptorSet('PayloadFormat.protobuf', options.descriptorSet, options.messageType, options.protoFile);
    return new PayloadFormat(PayloadFormatKind.PROTOBUF, checked, options.protoFile ?? protoFileArgument(checked.declaringFile));
  }

  /** The format. */
  public readonly kind: PayloadFormatKind;
  /**
   * The absolute path of the FileDescriptorSet (`PayloadFormat.protobuf()`).
   * @default - none: not Protobuf
   */
  public readonly descriptorSet?: string;
  /**
   * The message type (`PayloadFormat.protobuf()`).
   * @default - none: not Protobuf
   */
  public readonly messageType?: string;
  /**
   * The `.proto` file the rule's `decode` names (`PayloadFormat.protobuf()`).
   * @default - none: not Protobuf
   */
  public readonly protoFile?: string;
  /**
   * The format's name as the parser reads it (`PARSER_ENV.payload`).
   * @internal
   */
  public readonly _name: PayloadFormatName;
  /**
   * The checked descriptor set (`PayloadFormat.protobuf()`).
   * @internal
   */
  public readonly _descriptor?: CheckedDescriptorSet;

  private constructor(kind: PayloadFormatKind, descriptor?: CheckedDescriptorSet, protoFile?: string) {
    this.kind = kind;
    this._name = FORMAT_NAMES[kind];
    this._descriptor = descriptor;
    this.descriptorSet = descriptor?.path;
    this.messageType = descriptor?.messageType;
    this.protoFile = protoFile;
  }
}

/**
 * Options for `PayloadDecoder.protobuf()`.
 */
export interface ProtobufDecoderOptions {
  /**
   * The path of a FileDescriptorSet file (at most 32 KiB) that declares `messageType`, absolute or relative to the
   * directory `cdk` runs in. It is copied into the parser's code.
   */
  readonly descriptorSet: string;
  /** The message type of the payloads, with its package: `factory.v1.Telemetry`. */
  readonly messageType: string;
}

/**
 * Options for `PayloadDecoder.delimited()`.
 */
export interface DelimitedDecoderOptions {
  /**
   * Between two fields (`;` in `temp=21.5;hum=40`).
   * @default ';'
   */
  readonly fieldSeparator?: string;
  /**
   * Between a field's key and its value (`=` in `temp=21.5`).
   * @default '='
   */
  readonly keyValueSeparator?: string;
}

/**
 * Options for `PayloadDecoder.csv()`.
 */
export interface CsvDecoderOptions {
  /** The field names of the columns, in order: with `['temp', 'hum']`, `21.5,40` has the fields `temp` and `hum`. */
  readonly columns: string[];
  /**
   * The column separator (one character).
   * @default ','
   */
  readonly separator?: string;
}

/**
 * The payload decoders of the reference parser.
 */
export enum PayloadDecoderKind {
  /** CBOR (RFC 8949). */
  CBOR = 'CBOR',
  /** Protobuf, with a FileDescriptorSet. */
  PROTOBUF = 'PROTOBUF',
  /** Text lines of key-value pairs. */
  DELIMITED = 'DELIMITED',
  /** One CSV line of values. */
  CSV = 'CSV',
}

/**
 * How the reference parser decodes the payloads of a binary pipeline (`PayloadFormat.binary()`) into the fields of
 * its rows: the rows are the same as a JSON device's, with `topic` and the fields of the output format added.
 * A payload the decoder cannot read fails that record (`ProcessingFailed`, with the reason), never the batch.
 */
export class PayloadDecoder {
  /** CBOR (RFC 8949): a map becomes the row's fields. */
  public static cbor(): PayloadDecoder {
    return new PayloadDecoder(PayloadDecoderKind.CBOR, { kind: PAYLOAD_DECODERS.cbor });
  }

  /**
   * Protobuf, decoded by the parser with the given FileDescriptorSet (copied into the parser's code; checked at synth:
   * it exists, holds at most 32 KiB and declares `messageType`). To decode in the rule instead, use
   * `PayloadFormat.protobuf()` and no decoder.
   */
  public static protobuf(options: ProtobufDecoderOptions): PayloadDecoder {
    const checked = checkDescriptorSet('PayloadDecoder.protobuf', options.descriptorSet, options.messageType);
    return new PayloadDecoder(PayloadDecoderKind.PROTOBUF, { kind: PAYLOAD_DECODERS.protobuf, messageType: checked.messageType }, checked);
  }

  /** Text of key-value pairs, `temp=21.5;hum=40`: the keys name the row's fields. */
  public static delimited(options: DelimitedDecoderOptions = {}): PayloadDecoder {
    const where = 'PayloadDecoder.delimited';
    const fieldSeparator = separator(where, 'fieldSeparator', options.fieldSeparator ?? ';');
    const keyValueSeparator = separator(where, 'keyValueSeparator', options.keyValueSeparator ?? '=');
    if (fieldSeparator.includes(keyValueSeparator) || keyValueSeparator.includes(fieldSeparator)) {
      throw new Error(`${where}: fieldSeparator "${fieldSeparator}" and keyValueSeparator "${keyValueSeparator}" overlap, so a line cannot be split; choose two different separators, e.g. ";" and "=".`);
    }
    return new PayloadDecoder(PayloadDecoderKind.DELIMITED, { kind: PAYLOAD_DECODERS.delimited, fieldSeparator, keyValueSeparator });
  }

  /** One CSV line of values, named by `columns` in order. */
  public static csv(options: CsvDecoderOptions): PayloadDecoder {
    const where = 'PayloadDecoder.csv';
    const columns = options.columns ?? [];
    if (columns.length === 0) {
      throw new Error(`${where}: give the field names of the columns in \`columns\`, e.g. { columns: ['temp', 'hum'] }.`);
    }
    const seen = new Set<string>();
    for (const column of columns) {
      if (Token.isUnresolved(column) || typeof column !== 'string' || column.trim().length === 0) {
        throw new Error(`${where}: column names must be non-empty text known at synth time; got ${JSON.stringify(column)}.`);
      }
      if (seen.has(column)) {
        throw new Error(`${where}: column "${column}" appears twice; name each column once.`);
      }
      seen.add(column);
    }
    const sep = separator(where, 'separator', options.separator ?? ',');
    if (sep.length !== 1 || sep === '"') {
      throw new Error(`${where}: separator "${sep}" must be one character other than the quote ("), e.g. "," or ";".`);
    }
    return new PayloadDecoder(PayloadDecoderKind.CSV, { kind: PAYLOAD_DECODERS.csv, columns: [...columns], separator: sep });
  }

  /** The decoder. */
  public readonly kind: PayloadDecoderKind;
  /**
   * The absolute path of the FileDescriptorSet (`PayloadDecoder.protobuf()`).
   * @default - none: not Protobuf
   */
  public readonly descriptorSet?: string;
  /**
   * The decoder as the reference parser reads it (`PARSER_ENV.decoder`, JSON).
   * @internal
   */
  public readonly _spec: PayloadDecoderSpec;
  /**
   * The checked descriptor set (`PayloadDecoder.protobuf()`).
   * @internal
   */
  public readonly _descriptor?: CheckedDescriptorSet;

  private constructor(kind: PayloadDecoderKind, spec: PayloadDecoderSpec, descriptor?: CheckedDescriptorSet) {
    this.kind = kind;
    this._spec = spec;
    this._descriptor = descriptor;
    this.descriptorSet = descriptor?.path;
  }
}

/** A separator: non-empty text known at synth time, without line breaks (a record is one message). */
function separator(where: string, prop: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0 || Token.isUnresolved(value) || /[\r\n]/.test(value)) {
    throw new Error(`${where}: \`${prop}\` ${JSON.stringify(value)} must be non-empty text without line breaks, known at synth time, e.g. ";".`);
  }
  return value;
}
