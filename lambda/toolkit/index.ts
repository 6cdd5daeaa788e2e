/**
 * Firehose-contract toolkit: write a Firehose data-transformation Lambda as one `parse` function.
 *
 * Published as `cdk-iot-core-firehose-pipeline/parser-toolkit`. Reference: its README.md, shipped in the package as
 * `assets/parser-toolkit/README.md` (`lambda/toolkit/README.md` in the repository).
 */
export { createParser, MAX_RESPONSE_BYTES, ParseError, RESPONSE_SIZE_REASON } from './parser';
export type {
  InvocationInfo,
  JsonObject,
  ParseOutput,
  ParserMessage,
  ParserOptions,
  PartitionKeys,
  Sink,
  SinkGroup,
  SinkInvocation,
} from './parser';
export type { BinaryPayload } from './binary';
export { csvCell, csvLine, CSV_FORMULA_ESCAPE } from './csv';
export { DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME } from './observability';
export type { ToolkitLogger, ToolkitMetrics } from './observability';
export type {
  FirehoseKinesisRecordMetadata,
  FirehoseRecordTransformationStatus,
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationHandler,
  FirehoseTransformationMetadata,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
  LambdaContextLike,
} from './types';
