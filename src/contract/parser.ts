/**
 * The parser: how the construct configures it (environment variables of the reference parser), how Firehose
 * invokes it (processor parameters) and what it may answer (the data-transformation contract).
 */

/** Environment variables the construct sets on the reference parser, which reads them at start. */
export const PARSER_ENV = {
  /** The output format's name (`PARSED_FORMATS[...].name`). */
  format: 'PARSER_FORMAT',
  /** The format's options as JSON. */
  options: 'PARSER_OPTIONS',
  /** `firehose` or `direct` (`DELIVERY_MODES`). */
  delivery: 'PARSER_DELIVERY',
  /** Direct delivery: the bucket the parser writes to. */
  directBucket: 'PARSER_DIRECT_BUCKET',
  /** Direct delivery: the key prefix it writes under. */
  directPrefix: 'PARSER_DIRECT_PREFIX',
  /** The partition keys as a JSON array of `{name, topicLevel}` / `{name, field}`. */
  partitionKeys: 'PARSER_PARTITION_KEYS',
  /** What the devices send (`PAYLOAD_FORMATS`); unset = json. */
  payload: 'PARSER_PAYLOAD',
  /** The payload decoder as JSON (`PayloadDecoderSpec`); unset = none (the payload is JSON). */
  decoder: 'PARSER_DECODER',
} as const;

/** Powertools' own variables (logs and metrics of every parser built with the toolkit). */
export const POWERTOOLS_ENV = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  metricsDisabled: 'POWERTOOLS_METRICS_DISABLED',
} as const;

/** The CloudWatch metrics namespace of the parsers (`RecordsIn`, `RecordsOk`, ...). */
export const METRICS_NAMESPACE = 'IotCoreFirehosePipeline';
/** The service name the construct gives the reference parser. */
export const REFERENCE_PARSER_SERVICE_NAME = 'iot-firehose-parser';
/** The service name of a toolkit parser without `POWERTOOLS_SERVICE_NAME`. */
export const TOOLKIT_DEFAULT_SERVICE_NAME = 'firehose-parser';

/** The reference parser's output formats: the name it reads and the extension of the objects (before compression). */
export const PARSED_FORMATS = {
  jsonLines: { name: 'jsonl', extension: '.json' },
  csv: { name: 'csv', extension: '.csv' },
} as const;
/** A format name as the reference parser reads it. */
export type ParsedFormatName = (typeof PARSED_FORMATS)[keyof typeof PARSED_FORMATS]['name'];

/** Where the reference parser's output goes. */
export const DELIVERY_MODES = { firehose: 'firehose', direct: 'direct' } as const;
/** A delivery mode as the reference parser reads it. */
export type DeliveryModeName = (typeof DELIVERY_MODES)[keyof typeof DELIVERY_MODES];

/** Partition key names: what the construct accepts and the reference parser checks (`!{partitionKeyFromLambda:<name>}`). */
export const PARTITION_KEY_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** The field that receives a record's arrival time in the reference parser's JSON Lines. */
export const DEFAULT_ARRIVAL_TIMESTAMP_FIELD = 'arrival_timestamp';

/** The processor parameters the construct emits unless given (always explicitly: service defaults drift). */
export const PROCESSOR_DEFAULTS = {
  bufferIntervalSeconds: 60,
  bufferSizeMiB: 1,
  retries: 3,
} as const;

/** The ranges Firehose accepts for the processor parameters. */
export const PROCESSOR_LIMITS = {
  bufferIntervalSeconds: { min: 0, max: 900 },
  bufferSizeMiB: { min: 0.2, max: 3 },
  retries: { min: 0, max: 300 },
} as const;

/** Buffering of the S3 destination unless given. */
export const BUFFERING_DEFAULTS = {
  intervalSeconds: 60,
  sizeMiB: 1,
  /** With dynamic partitioning (or record format conversion) Firehose needs at least 64 MiB. */
  partitionedSizeMiB: 64,
} as const;

/** The ranges Firehose accepts for the S3 destination's buffering. */
export const BUFFERING_LIMITS = {
  intervalSeconds: { min: 0, max: 900 },
  sizeMiB: { min: 1, max: 128 },
  partitionedIntervalSeconds: { min: 60, max: 900 },
  partitionedSizeMiB: { min: 64, max: 128 },
} as const;

/** The largest response a parser may give: Lambda's synchronous limit is 6 MB (the AWS blueprints stop at 6,000,000). */
export const RESPONSE_LIMIT_BYTES = 6_000_000;

/**
 * The results a parser may answer per record, defined once: `Ok` (rows in `data`), `Dropped` (nothing to deliver) and
 * `ProcessingFailed` (Firehose writes the source record under the error output prefix).
 * https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
 */
export const RECORD_RESULT = { ok: 'Ok', dropped: 'Dropped', processingFailed: 'ProcessingFailed' } as const;
/** Every record result, for checks that a value is one of them. */
export const RECORD_RESULTS = [RECORD_RESULT.ok, RECORD_RESULT.dropped, RECORD_RESULT.processingFailed] as const;
/** One record's result. */
export type RecordResult = (typeof RECORD_RESULTS)[number];
