import * as fs from 'fs';
import { basename, dirname, join, resolve, sep } from 'path';
import { AssetHashType, BundlingOptions, Duration, ILocalBundling, RemovalPolicy, Size, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  DEFAULT_DIRECT_PREFIX, DELIVERY_MODES, DeliveryModeName, DESCRIPTOR_SET_FILE, METRICS_NAMESPACE, PARSED_FORMATS, PARSER_ENV,
  POWERTOOLS_ENV, PARTITION_KEY_NAME_PATTERN, PROCESSOR_DEFAULTS, PROCESSOR_LIMITS, REFERENCE_PARSER_SERVICE_NAME,
} from './contract';
import { PayloadDecoder, PayloadFormat, PayloadFormatKind } from './payload';
import { addFunctionCheckovSkips, assetDir, BundledFunction, HANDLER_RUNTIME, loggingRole } from './private/functions';
import { grantKeyThroughS3 } from './private/key-grants';
import { addNagSuppressions, NAG_BUCKET_ARN } from './private/nag';
import { invalid, validateMebibytes, validateSeconds } from './private/validation';

/**
 * How Firehose invokes the parser: its processor parameters. They are always emitted explicitly, because
 * the service defaults have drifted over time.
 */
export interface ParserProcessingOptions {
  /**
   * How long Firehose buffers incoming data before invoking the parser (0–900 seconds).
   * @default Duration.seconds(60)
   */
  readonly bufferInterval?: Duration;
  /**
   * How much data Firehose buffers before invoking the parser (0.2–3 MiB; Lambda's synchronous payload
   * limit is 6 MB for request and response).
   * @default Size.mebibytes(1)
   */
  readonly bufferSize?: Size;
  /**
   * How often Firehose retries a failed invocation before writing the batch under
   * `<errorOutputPrefix>processing-failed/` (0–300).
   * @default 3
   */
  readonly retries?: number;
}

/**
 * Options for `Parser.fromFunction()`.
 */
export interface FunctionParserOptions extends ParserProcessingOptions {
  /**
   * The extension of the objects Firehose writes (before the compression suffix), e.g. `.json` or `.csv`.
   * Must start with a dot.
   * @default - no extension of the parser's own: Firehose's default naming (the compression suffix, e.g. `.gz`)
   */
  readonly fileExtension?: string;
  /**
   * The names of the partition keys the function returns in `metadata.partitionKeys` of every `Ok`
   * record (used with the pipeline's `dynamicPartitioning`).
   * @default - the function returns no partition keys
   */
  readonly partitionKeys?: string[];
}

/**
 * Options for `Parser.fromPython()`.
 */
export interface PythonParserOptions extends FunctionParserOptions {
  /**
   * The folder that holds the parser's Python code: absolute, or relative to the directory `cdk` runs in (the CDK
   * app's folder). Its files are copied into the function's asset, with the Python parser toolkit
   * (`cdk_iot_parser_toolkit`) next to them; tests (`test_*.py`, `*_test.py`, `conftest.py`), `__pycache__`,
   * `*.pyc` and hidden files are left out. Standard library and pure-Python modules only: nothing is installed.
   */
  readonly entry: string;
  /**
   * The handler as `<module>.<function>` (`<package>.<module>.<function>` for a module in a sub-folder); the module's
   * file must exist in `entry`.
   * @default 'index.handler'
   */
  readonly handler?: string;
  /**
   * The Python runtime (arm64).
   * @default lambda.Runtime.PYTHON_3_14
   */
  readonly runtime?: lambda.Runtime;
  /**
   * Memory of the parser function in MiB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Timeout of the parser function (Firehose allows at most 5 minutes).
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * Environment variables of the parser function (e.g. `POWERTOOLS_SERVICE_NAME`, the `service` of its logs and metrics).
   * @default - none
   */
  readonly environment?: { [name: string]: string };
}

/**
 * Options for the JSON Lines output of the reference parser.
 */
export interface JsonLinesOptions {
  /**
   * Name of the field that receives the record's Firehose arrival time (epoch milliseconds).
   * Set to the empty string to leave it out.
   * @default 'arrival_timestamp'
   */
  readonly arrivalTimestampField?: string;
  /**
   * Field names for the topic levels after the base topic: `['device']` turns topic
   * `telemetry/sensor-7` into `"device": "sensor-7"`.
   * @default - no topic fields (the `topic` field itself is always kept)
   */
  readonly topicSegmentFields?: string[];
}

/**
 * Options for the CSV output of the reference parser.
 */
export interface CsvOptions {
  /**
   * The columns, in order: field names or dotted paths (`reading.temperature`). No header row is written
   * (Firehose concatenates the output of many invocations into one object); the column order is this list.
   */
  readonly columns: string[];
}

/**
 * The output formats of the reference parser.
 */
export enum ParsedFormatKind {
  /** One JSON object per line (`.json` objects). */
  JSON_LINES = 'JSON_LINES',
  /** RFC 4180 CSV without a header row (`.csv` objects). */
  CSV = 'CSV',
}

/** What the reference parser reads for each format (`PARSER_FORMAT`) and the extension of its objects. */
const FORMATS: Record<ParsedFormatKind, { readonly name: string; readonly extension: string }> = {
  [ParsedFormatKind.JSON_LINES]: PARSED_FORMATS.jsonLines,
  [ParsedFormatKind.CSV]: PARSED_FORMATS.csv,
};

/**
 * The output format of the reference parser.
 */
export class ParsedFormat {
  /** One JSON object per line (`.json` objects): the message, its topic and the fields chosen in options. */
  public static jsonLines(options: JsonLinesOptions = {}): ParsedFormat {
    return new ParsedFormat(ParsedFormatKind.JSON_LINES, options);
  }

  /** RFC 4180 CSV (`.csv` objects), formula-injection safe, with the given columns. */
  public static csv(options: CsvOptions): ParsedFormat {
    if (!options.columns || options.columns.length === 0) {
      throw new Error('ParsedFormat.csv: give at least one column in `columns`, e.g. { columns: ["topic", "temperature"] }.');
    }
    const seen = new Set<string>();
    for (const column of options.columns) {
      if (Token.isUnresolved(column)) {
        throw new Error('ParsedFormat.csv: column names must be known at synth time (no tokens).');
      }
      if (!/^[^.\s](?:[^.]*[^.\s])?(?:\.[^.\s](?:[^.]*[^.\s])?)*$/.test(column)) {
        throw new Error(`ParsedFormat.csv: "${column}" is not a field name or dotted path; use names like "temperature" or "reading.temperature".`);
      }
      if (seen.has(column)) {
        throw new Error(`ParsedFormat.csv: column "${column}" appears twice; list each column once.`);
      }
      seen.add(column);
    }
    return new ParsedFormat(ParsedFormatKind.CSV, { columns: options.columns });
  }

  /** The format. */
  public readonly kind: ParsedFormatKind;
  /** The file extension of the objects (before the compression suffix): `.json` or `.csv`. */
  public readonly extension: string;
  /**
   * The format's name as the reference parser reads it (`PARSER_FORMAT`).
   * @internal
   */
  public readonly _name: string;
  /**
   * The format's options as JSON (`PARSER_OPTIONS`).
   * @internal
   */
  public readonly _optionsJson: string;

  private constructor(kind: ParsedFormatKind, options: object) {
    this.kind = kind;
    this._name = FORMATS[kind].name;
    this.extension = FORMATS[kind].extension;
    this._optionsJson = JSON.stringify(options);
  }
}

/**
 * Where a partition key's value comes from.
 */
export enum PartitionKeySource {
  /** A level of the MQTT topic. */
  TOPIC_LEVEL = 'TOPIC_LEVEL',
  /** A field of the message. */
  FIELD = 'FIELD',
}

/**
 * A partition key the reference parser computes for every record (`metadata.partitionKeys`), for the
 * pipeline's dynamic partitioning. Records without the value go to the error prefix.
 */
export class PartitionKey {
  /**
   * The topic level at the given 0-based index: with topic `telemetry/site-a/sensor-7`, level 1 is `site-a`.
   */
  public static topicLevel(name: string, level: number): PartitionKey {
    if (!Number.isInteger(level) || level < 0 || level > 7) {
      throw new Error(`PartitionKey.topicLevel: level ${level} is not a topic level index; use 0 to 7 (0 is the first level).`);
    }
    return new PartitionKey(name, PartitionKeySource.TOPIC_LEVEL, level, undefined);
  }

  /** A field of the message, by name or dotted path (`device.id`). */
  public static field(name: string, path: string): PartitionKey {
    if (!/^[^.\s]+(\.[^.\s]+)*$/.test(path)) {
      throw new Error(`PartitionKey.field: "${path}" is not a field name or dotted path; use names like "deviceId" or "device.id".`);
    }
    return new PartitionKey(name, PartitionKeySource.FIELD, undefined, path);
  }

  /** The key name, used as `!{partitionKeyFromLambda:<name>}` in prefixes. */
  public readonly name: string;
  /** Where the value comes from. */
  public readonly source: PartitionKeySource;
  /**
   * The 0-based topic level (`PartitionKeySource.TOPIC_LEVEL`).
   * @default - not a topic-level key
   */
  public readonly level?: number;
  /**
   * The field name or dotted path (`PartitionKeySource.FIELD`).
   * @default - not a field key
   */
  public readonly path?: string;
  /**
   * The key's definition as JSON (`PARSER_PARTITION_KEYS`).
   * @internal
   */
  public readonly _definitionJson: string;

  private constructor(name: string, source: PartitionKeySource, level: number | undefined, path: string | undefined) {
    if (!PARTITION_KEY_NAME_PATTERN.test(name)) {
      throw new Error(`PartitionKey: "${name}" is not a valid partition key name; use 1-64 characters from a-z, A-Z, 0-9, "_" and "-".`);
    }
    this.name = name;
    this.source = source;
    this.level = level;
    this.path = path;
    this._definitionJson = JSON.stringify(source === PartitionKeySource.TOPIC_LEVEL ? { name, topicLevel: level } : { name, field: path });
  }
}

/**
 * Options for `ParserDelivery.direct()`.
 */
export interface DirectDeliveryOptions {
  /**
   * Key prefix in the parsed bucket under which the parser writes its objects.
   * @default 'direct/'
   */
  readonly prefix?: string;
}

/**
 * Where the reference parser's output goes.
 */
export enum ParserDeliveryMode {
  /** The parser answers `Ok` with the parsed data and Firehose writes it. */
  FIREHOSE = 'FIREHOSE',
  /** The parser writes its objects into the parsed bucket itself and answers `Dropped`. */
  DIRECT = 'DIRECT',
}

/** The mode as the reference parser reads it (`PARSER_DELIVERY`). */
const DELIVERY_MODE_NAMES: Record<ParserDeliveryMode, DeliveryModeName> = {
  [ParserDeliveryMode.FIREHOSE]: DELIVERY_MODES.firehose,
  [ParserDeliveryMode.DIRECT]: DELIVERY_MODES.direct,
};

/**
 * Where the reference parser's output goes.
 */
export class ParserDelivery {
  /** The parser answers `Ok` with the parsed data and Firehose writes it to the parsed bucket (default). */
  public static firehose(): ParserDelivery {
    return new ParserDelivery(ParserDeliveryMode.FIREHOSE);
  }

  /**
   * The parser writes one gzipped object per invocation into the parsed bucket itself (with a key derived
   * from the batch, so a retry overwrites instead of duplicating) and answers `Dropped` only after the
   * write succeeded; if the write fails the invocation fails and Firehose retries it.
   */
  public static direct(options: DirectDeliveryOptions = {}): ParserDelivery {
    const prefix = options.prefix ?? DEFAULT_DIRECT_PREFIX;
    if (!Token.isUnresolved(prefix) && (prefix.startsWith('/') || prefix.includes('*') || prefix.includes('!{'))) {
      throw new Error(`ParserDelivery.direct: prefix "${prefix}" must be a plain S3 key prefix (no leading "/", "*" or Firehose expressions), e.g. "${DEFAULT_DIRECT_PREFIX}".`);
    }
    return new ParserDelivery(ParserDeliveryMode.DIRECT, prefix);
  }

  /** Where the output goes. */
  public readonly mode: ParserDeliveryMode;
  /**
   * The key prefix the parser writes under (`ParserDeliveryMode.DIRECT`).
   * @default - none: Firehose delivers
   */
  public readonly prefix?: string;

  private constructor(mode: ParserDeliveryMode, prefix?: string) {
    this.mode = mode;
    this.prefix = prefix;
  }
}

/**
 * Options for `Parser.reference()`.
 */
export interface ReferenceParserOptions extends ParserProcessingOptions {
  /**
   * The output format.
   * @default ParsedFormat.jsonLines()
   */
  readonly format?: ParsedFormat;
  /**
   * Where the output goes.
   * @default ParserDelivery.firehose()
   */
  readonly delivery?: ParserDelivery;
  /**
   * Memory of the parser function in MiB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Timeout of the parser function (Firehose allows at most 5 minutes).
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * Partition keys computed for every record and returned in `metadata.partitionKeys` (for the pipeline's
   * `dynamicPartitioning`; in direct delivery, one object per key combination).
   * @default - no partition keys
   */
  readonly partitionKeys?: PartitionKey[];
  /**
   * How the parser decodes the payloads of a binary pipeline (`payload: PayloadFormat.binary()`) into the fields of
   * its rows: `PayloadDecoder.cbor()`, `.protobuf({ descriptorSet, messageType })`, `.delimited()` or `.csv({ columns })`.
   * A binary pipeline's reference parser needs one; a JSON or Protobuf-in-the-rule pipeline takes none.
   * @default - none: the payload is JSON
   */
  readonly decoder?: PayloadDecoder;
}

/**
 * Options that the pipeline passes to `IParser.bind()`.
 */
export interface ParserBindOptions {
  /** The bucket that receives parsed data. */
  readonly parsedBucket: s3.IBucket;
  /** Retention of log groups the parser creates. */
  readonly logRetention: logs.RetentionDays;
  /**
   * What happens to resources the parser creates when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The pipeline's customer-managed key: encrypt the parser's log group with it and let the parser
   * write objects encrypted with it (direct delivery).
   * @default - no customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The name prefix of the pipeline's log groups. The customer-managed key lets CloudWatch Logs use it only for log
   * groups named with this prefix, so a log group the parser encrypts with `encryptionKey` must be named
   * `<logGroupNamePrefix><something>` (the reference parser's is `<logGroupNamePrefix>parser`).
   * @default - no prefix: the parser names its log groups as it likes
   */
  readonly logGroupNamePrefix?: string;
  /**
   * The pipeline's base topic. The reference parser's `topicSegmentFields` name the topic levels below it: with base
   * topic `factory/telemetry`, `['device']` turns `factory/telemetry/sensor-7` into `"device": "sensor-7"`.
   * @default - a base topic of one level
   */
  readonly baseTopic?: string;
  /**
   * What the pipeline's devices send (its `payload`): the reference parser decodes accordingly, and a parser the
   * construct creates reads it from its environment (`PARSER_PAYLOAD`, set unless JSON).
   * @default PayloadFormat.json()
   */
  readonly payloadFormat?: PayloadFormat;
}

/**
 * What a bound parser gives the pipeline.
 */
export interface ParserConfig {
  /** The Lambda function Firehose invokes with the transformation contract. */
  readonly parserFunction: lambda.IFunction;
  /** Processor parameter BufferIntervalInSeconds. */
  readonly bufferInterval: Duration;
  /** Processor parameter BufferSizeInMBs. */
  readonly bufferSize: Size;
  /** Processor parameter NumberOfRetries. */
  readonly retries: number;
  /**
   * The file extension of the objects Firehose writes, before the compression suffix.
   * @default - Firehose's default naming
   */
  readonly fileExtension?: string;
  /**
   * The names of the partition keys the parser returns for every `Ok` record.
   * @default - none
   */
  readonly partitionKeys?: string[];
}

/**
 * A parser: the Lambda function that turns the raw IoT messages in a Firehose batch into parsed data.
 * Implement it to plug in your own (like aws-kinesisfirehose's `IDataProcessor`), or use `Parser`.
 */
export interface IParser {
  /** Creates what the parser needs in the scope and tells the pipeline how to invoke it. */
  bind(scope: Construct, options: ParserBindOptions): ParserConfig;
}

/**
 * The parsers that come with the library.
 */
export abstract class Parser {
  /**
   * The reference parser (bundled with the library): decodes every record, parses the IoT rule's JSON,
   * writes JSON Lines or CSV, and answers `ProcessingFailed` for a record it cannot parse.
   */
  public static reference(options: ReferenceParserOptions = {}): IParser {
    return new ReferenceParser(options);
  }

  /** Your own Lambda function, which must implement the Firehose data-transformation contract. */
  public static fromFunction(parserFunction: lambda.IFunction, options: FunctionParserOptions = {}): IParser {
    return new FunctionParser(parserFunction, options);
  }

  /**
   * A parser written in Python on the Python parser toolkit (`cdk_iot_parser_toolkit`, shipped with this library):
   * the construct packages the `entry` folder and the toolkit into the function's asset at synth time (no Docker, no
   * installs) and creates the function (arm64, its own role and log group, Lambda's JSON log format).
   */
  public static fromPython(options: PythonParserOptions): IParser {
    return new PythonParser(options);
  }
}

/** Resolves and validates the processor parameters. */
function processingDefaults(scope: Construct, options: ParserProcessingOptions): { bufferInterval: Duration; bufferSize: Size; retries: number } {
  const bufferInterval = options.bufferInterval ?? Duration.seconds(PROCESSOR_DEFAULTS.bufferIntervalSeconds);
  const bufferSize = options.bufferSize ?? Size.mebibytes(PROCESSOR_DEFAULTS.bufferSizeMiB);
  const retries = options.retries ?? PROCESSOR_DEFAULTS.retries;
  const limits = PROCESSOR_LIMITS;
  validateSeconds(scope, 'parser bufferInterval', bufferInterval, limits.bufferIntervalSeconds.min, limits.bufferIntervalSeconds.max);
  validateMebibytes(scope, 'parser bufferSize', bufferSize, limits.bufferSizeMiB.min, limits.bufferSizeMiB.max);
  if (!Token.isUnresolved(retries) && (!Number.isInteger(retries) || retries < limits.retries.min || retries > limits.retries.max)) {
    invalid(scope, 'parser retries', `${retries} is out of range; Firehose accepts a whole number from ${limits.retries.min} to ${limits.retries.max}.`);
  }
  return { bufferInterval, bufferSize, retries };
}

function validateExtension(scope: Construct, extension: string | undefined): void {
  if (extension !== undefined && !Token.isUnresolved(extension) && !/^\.[0-9a-z!\-_.*'()]{1,127}$/.test(extension)) {
    invalid(scope, 'fileExtension', `"${extension}" is not a Firehose file extension; start with "." and use only 0-9 a-z ! - _ . * ' ( ), e.g. ".json".`);
  }
}

/** The parser function's timeout and memory (defaults 1 minute, 512 MiB), validated. */
function functionSize(scope: Construct, options: { readonly timeout?: Duration; readonly memorySize?: number }):
{ timeout: Duration; memorySize: number } {
  const timeout = options.timeout ?? Duration.minutes(1);
  validateSeconds(scope, 'parser timeout', timeout, 1, 300);
  const memorySize = options.memorySize ?? 512;
  if (!Token.isUnresolved(memorySize) && (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240)) {
    invalid(scope, 'parser memorySize', `${memorySize} MiB is out of range; Lambda accepts 128 to 10240.`);
  }
  return { timeout, memorySize };
}

class FunctionParser implements IParser {
  constructor(private readonly parserFunction: lambda.IFunction, private readonly options: FunctionParserOptions) {}

  public bind(scope: Construct): ParserConfig {
    validateExtension(scope, this.options.fileExtension);
    return {
      parserFunction: this.parserFunction,
      ...processingDefaults(scope, this.options),
      fileExtension: this.options.fileExtension,
      partitionKeys: this.options.partitionKeys,
    };
  }
}

/** The Python toolkit's package folder, as the build copies it into the package (assets/parser-toolkit-python). */
const PYTHON_TOOLKIT_PACKAGE = 'cdk_iot_parser_toolkit';
const PYTHON_HANDLER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** Files of the user's folder that stay out of the function: tests, caches, hidden files. */
function shippedPythonFile(name: string): boolean {
  return !(name.startsWith('.') || name === '__pycache__' || name === 'conftest.py' || name.endsWith('.pyc')
    || /^test_.*\.py$/.test(name) || /_test\.py$/.test(name));
}

/**
 * Copies the user's folder and the toolkit into the asset on this machine (CDK's local bundling: the Docker image is
 * never used because this always succeeds). Python imports both from the asset root, which Lambda puts on the path
 * like any module of a .zip package: https://docs.aws.amazon.com/lambda/latest/dg/python-package.html
 */
class PythonAssetBundling implements ILocalBundling {
  constructor(private readonly entry: string, private readonly toolkit: string) {}

  public tryBundle(outputDir: string): boolean {
    fs.cpSync(this.entry, outputDir, { recursive: true, filter: (source) => source === this.entry || shippedPythonFile(basename(source)) });
    fs.cpSync(this.toolkit, join(outputDir, PYTHON_TOOLKIT_PACKAGE), {
      recursive: true,
      filter: (source) => !source.endsWith('.pyc') && basename(source) !== '__pycache__',
    });
    return true;
  }
}

class PythonParser implements IParser {
  private readonly entry: string;
  private readonly handler: string;
  private readonly runtime: lambda.Runtime;

  constructor(private readonly options: PythonParserOptions) {
    const where = 'Parser.fromPython';
    if (typeof options.entry !== 'string' || options.entry.length === 0) {
      throw new Error(`${where}: give \`entry\`, the folder with your parser's Python code, e.g. { entry: 'parsers/globex' }.`);
    }
    this.entry = resolve(options.entry);
    if (!fs.existsSync(this.entry)) {
      throw new Error(`${where}: entry "${options.entry}" does not exist (looked at ${this.entry}); give the folder with your parser's Python code, absolute or relative to the directory cdk runs in.`);
    }
    if (!fs.statSync(this.entry).isDirectory()) {
      throw new Error(`${where}: entry "${options.entry}" is a file; give the folder that holds it (e.g. "${dirname(options.entry)}") and name the module in \`handler\` (e.g. "${basename(options.entry, '.py')}.handler").`);
    }
    if (fs.existsSync(join(this.entry, PYTHON_TOOLKIT_PACKAGE))) {
      throw new Error(`${where}: entry "${options.entry}" has its own ${PYTHON_TOOLKIT_PACKAGE} folder; remove it, the construct adds the toolkit that matches this library.`);
    }
    this.handler = options.handler ?? 'index.handler';
    if (!PYTHON_HANDLER.test(this.handler)) {
      throw new Error(`${where}: handler "${this.handler}" is not <module>.<function>; give e.g. "index.handler" for the function handler in index.py.`);
    }
    const modulePath = this.handler.split('.').slice(0, -1).join(sep);
    const candidates = [`${modulePath}.py`, join(modulePath, '__init__.py')];
    if (!candidates.some((file) => fs.existsSync(join(this.entry, file)))) {
      const present = fs.readdirSync(this.entry).filter((name) => name.endsWith('.py')).sort();
      throw new Error(`${where}: handler "${this.handler}" needs ${candidates[0]} in entry "${options.entry}", which has ${present.length === 0 ? 'no .py files' : `only ${present.join(', ')}`}; create the module or name one of those in \`handler\`.`);
    }
    this.runtime = options.runtime ?? lambda.Runtime.PYTHON_3_14;
    if (this.runtime.family !== lambda.RuntimeFamily.PYTHON) {
      throw new Error(`${where}: runtime ${this.runtime.name} is not a Python runtime; give e.g. lambda.Runtime.PYTHON_3_14.`);
    }
  }

  public bind(scope: Construct, options: ParserBindOptions): ParserConfig {
    validateExtension(scope, this.options.fileExtension);
    const { timeout, memorySize } = functionSize(scope, this.options);
    const toolkit = join(assetDir('parser-toolkit-python'), PYTHON_TOOLKIT_PACKAGE);
    if (!fs.existsSync(join(toolkit, '__init__.py'))) {
      invalid(scope, 'parser', `the Python parser toolkit is missing from this installation of the library (${toolkit}); reinstall the package (in its repository: npx projen bundle:parser-toolkit-python).`);
    }
    const bundling: BundlingOptions = {
      // Never used: local bundling always succeeds. CDK requires an image next to a local bundler.
      image: this.runtime.bundlingImage,
      local: new PythonAssetBundling(this.entry, toolkit),
    };

    const parser = new Construct(scope, 'Parser');
    const description = `Python parser (${basename(this.entry)}/${this.handler}) for the Firehose data-transformation contract`;
    const { role, logGroup } = loggingRole(parser, '', {
      description,
      retention: options.logRetention,
      logGroupName: options.logGroupNamePrefix !== undefined ? `${options.logGroupNamePrefix}parser` : undefined,
      removalPolicy: options.removalPolicy,
      encryptionKey: options.encryptionKey,
    });
    const fn = new lambda.Function(parser, 'Function', {
      // The hash of the bundled output: a change to the user's code or to the toolkit is a new asset.
      code: lambda.Code.fromAsset(this.entry, { bundling, assetHashType: AssetHashType.OUTPUT }),
      handler: this.handler,
      runtime: this.runtime,
      architecture: lambda.Architecture.ARM_64,
      description,
      timeout,
      memorySize,
      role,
      logGroup,
      // The toolkit's JSON log lines carry `level`, which Lambda's JSON log format filters by:
      // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: withPayloadFormat(this.options.environment, options.payloadFormat),
    });
    addFunctionCheckovSkips(fn, Object.keys(withPayloadFormat(this.options.environment, options.payloadFormat) ?? {}).length > 0);
    return {
      parserFunction: fn,
      ...processingDefaults(scope, this.options),
      fileExtension: this.options.fileExtension,
      partitionKeys: this.options.partitionKeys,
    };
  }
}

class ReferenceParser implements IParser {
  constructor(private readonly options: ReferenceParserOptions) {}

  public bind(scope: Construct, options: ParserBindOptions): ParserConfig {
    const format = this.options.format ?? ParsedFormat.jsonLines();
    const delivery = this.options.delivery ?? ParserDelivery.firehose();
    const { timeout, memorySize } = functionSize(scope, this.options);

    const deliveryMode = DELIVERY_MODE_NAMES[delivery.mode];
    const payload = options.payloadFormat ?? PayloadFormat.json();
    const decoder = this.options.decoder;
    validateDecoder(scope, payload, decoder);
    const environment: { [key: string]: string } = {
      [PARSER_ENV.format]: format._name,
      [PARSER_ENV.options]: withBaseTopicLevels(format._optionsJson, options.baseTopic),
      [PARSER_ENV.delivery]: deliveryMode,
      [POWERTOOLS_ENV.serviceName]: REFERENCE_PARSER_SERVICE_NAME,
      [POWERTOOLS_ENV.metricsNamespace]: METRICS_NAMESPACE,
    };
    const partitionKeys = this.options.partitionKeys ?? [];
    const names = partitionKeys.map((key) => key.name);
    if (new Set(names).size !== names.length) {
      invalid(scope, 'parser partitionKeys', `key names must be unique; got ${names.join(', ')}.`);
    }
    if (payload.kind !== PayloadFormatKind.JSON) environment[PARSER_ENV.payload] = payload._name;
    if (decoder) environment[PARSER_ENV.decoder] = JSON.stringify(decoder._spec);
    if (partitionKeys.length > 0) {
      environment[PARSER_ENV.partitionKeys] = `[${partitionKeys.map((key) => key._definitionJson).join(',')}]`;
    }
    const directPrefix = delivery.prefix ?? DEFAULT_DIRECT_PREFIX;
    if (delivery.mode === ParserDeliveryMode.DIRECT) {
      environment[PARSER_ENV.directBucket] = options.parsedBucket.bucketName;
      environment[PARSER_ENV.directPrefix] = directPrefix;
    }

    const parser = new BundledFunction(scope, 'Parser', {
      asset: 'reference-parser',
      code: decoder?._descriptor ? referenceParserWithDescriptorSet(decoder._descriptor.path) : undefined,
      description: `Reference parser (${format._name}${decoder ? `, ${decoder._spec.kind} payloads` : ''}, ${deliveryMode} delivery) for the Firehose data-transformation contract`,
      timeout,
      memorySize,
      environment,
      logRetention: options.logRetention,
      logGroupName: options.logGroupNamePrefix !== undefined ? `${options.logGroupNamePrefix}parser` : undefined,
      removalPolicy: options.removalPolicy,
      encryptionKey: options.encryptionKey,
    });
    if (delivery.mode === ParserDeliveryMode.DIRECT) {
      parser.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [options.parsedBucket.arnForObjects(`${directPrefix}*`)],
      }));
      addNagSuppressions(parser.role.node.findChild('DefaultPolicy'), [{
        id: 'AwsSolutions-IAM5',
        reason: 'The parser writes its own objects (direct delivery) under its prefix of the parsed bucket; keys are derived per batch.',
        appliesTo: [{ regex: `/^Resource::${NAG_BUCKET_ARN}\\/[^*]+\\*$/g` }],
      }]);
      if (options.encryptionKey) grantKeyThroughS3(options.encryptionKey, parser.role, ['kms:GenerateDataKey'], [options.parsedBucket]);
    }
    return {
      parserFunction: parser.function,
      ...processingDefaults(scope, this.options),
      fileExtension: format.extension,
      partitionKeys: names.length > 0 ? names : undefined,
    };
  }
}

/**
 * The format's options plus the number of levels of the base topic, so that the reference parser names the levels
 * below it (`topicSegmentFields`); left out when there are no such fields, or for a one-level or unresolved base topic
 * (the parser's default is 1).
 */
function withBaseTopicLevels(optionsJson: string, baseTopic: string | undefined): string {
  if (baseTopic === undefined || Token.isUnresolved(baseTopic)) return optionsJson;
  const levels = baseTopic.split('/').length;
  const options = JSON.parse(optionsJson);
  if (levels === 1 || options.topicSegmentFields === undefined) return optionsJson;
  return JSON.stringify({ ...options, baseTopicLevels: levels });
}

/**
 * A parser function's environment with the pipeline's payload format (`PARSER_ENV.payload`) added unless it is JSON,
 * so that the toolkit reads the binary envelope; `undefined` when there is nothing to set.
 */
function withPayloadFormat(environment: { [name: string]: string } | undefined, payload: PayloadFormat | undefined):
{ [name: string]: string } | undefined {
  if (payload === undefined || payload.kind === PayloadFormatKind.JSON) return environment;
  return { ...environment, [PARSER_ENV.payload]: payload._name };
}

/** The combinations of payload format and decoder that cannot work, refused with what to change. */
function validateDecoder(scope: Construct, payload: PayloadFormat, decoder: PayloadDecoder | undefined): void {
  if (payload.kind === PayloadFormatKind.JSON && decoder) {
    invalid(scope, 'parser', 'Parser.reference({ decoder }) decodes non-JSON payloads, but the pipeline\'s payload is JSON (the rule passes JSON objects only); give the pipeline `payload: PayloadFormat.binary()`, or leave the decoder out.');
  }
  if (payload.kind === PayloadFormatKind.BINARY && !decoder) {
    invalid(scope, 'parser', 'the pipeline\'s payload is binary (PayloadFormat.binary()), so the reference parser needs to know how to decode it; give it a decoder, e.g. `Parser.reference({ decoder: PayloadDecoder.cbor() })` (or `.delimited()`, `.csv({ columns })`, `.protobuf({ descriptorSet, messageType })`).');
  }
  if (payload.kind === PayloadFormatKind.PROTOBUF && decoder) {
    invalid(scope, 'parser', 'the pipeline\'s payload is PayloadFormat.protobuf(): the topic rule already decodes it and the parser receives JSON; leave the decoder out, or decode in the parser instead with `payload: PayloadFormat.binary()` and `PayloadDecoder.protobuf({ descriptorSet, messageType })`.');
  }
}

/**
 * Copies the reference parser's bundle and the FileDescriptorSet (as `DESCRIPTOR_SET_FILE`, beside index.js) into
 * the function's asset on this machine (CDK's local bundling, which always succeeds: the image is never used).
 */
class ReferenceParserBundling implements ILocalBundling {
  constructor(private readonly bundle: string, private readonly descriptorSet: string) {}

  public tryBundle(outputDir: string): boolean {
    fs.cpSync(this.bundle, outputDir, { recursive: true });
    fs.copyFileSync(this.descriptorSet, join(outputDir, DESCRIPTOR_SET_FILE));
    return true;
  }
}

/** The reference parser's code with a FileDescriptorSet beside its index.js (`PayloadDecoder.protobuf()`). */
function referenceParserWithDescriptorSet(descriptorSet: string): lambda.Code {
  const bundle = assetDir('reference-parser');
  return lambda.Code.fromAsset(bundle, {
    // The hash of the staged output: a new bundle or a changed descriptor set is a new asset.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling always succeeds. CDK requires an image next to a local bundler.
      image: HANDLER_RUNTIME.bundlingImage,
      local: new ReferenceParserBundling(bundle, descriptorSet),
    },
  });
}
