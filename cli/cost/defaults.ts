/**
 * The `cost` command's defaults: the construct's defaults, so an estimate without options prices the pipeline as
 * `new IotCoreFirehosePipeline(...)` deploys it. Light (no price table): the command definition shows them in `--help`.
 */
import { PROCESSOR_DEFAULTS } from '../../src/contract';

export const COST_DEFAULTS = {
  /** Bytes of a typical topic, `iot-test-topic/<thing name>`. */
  topicBytes: 48,
  basicIngest: false,
  backup: true,
  /** The reference parser's memory (`ParserOptions.memorySize`, @default 512 in src/parser.ts). */
  parserMemoryMb: 512,
  parserMsPerBatch: 50,
  /**
   * The model has one buffer for the processor (how many records one parser invocation gets) and the S3
   * destination (how many objects are written); the construct's defaults for both (`PROCESSOR_DEFAULTS`, `BUFFERING_DEFAULTS`) are the same, a test checks it.
   */
  bufferMb: PROCESSOR_DEFAULTS.bufferSizeMiB,
  bufferSeconds: PROCESSOR_DEFAULTS.bufferIntervalSeconds,
} as const;

