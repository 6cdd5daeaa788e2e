/**
 * The reference parser: IoT-rule messages (`{"topic": "<topic>/<sub>", ...payload}`) to JSON Lines or CSV,
 * built on the toolkit. Configured by environment variables (see README.md next to this file):
 * PARSER_FORMAT, PARSER_OPTIONS, PARSER_DELIVERY, PARSER_DIRECT_BUCKET, PARSER_DIRECT_PREFIX, PARSER_PARTITION_KEYS,
 * PARSER_PAYLOAD and PARSER_DECODER (non-JSON devices: payload.ts and decoders/).
 */
import { Environment, readConfig } from './config';
import type { PutObjectSender } from './direct';
import { csvSerializer, messageParser, partitionKeysOf } from './formats';
import { rowReader } from './payload';
import { DELIVERY_MODES, PARSED_FORMATS } from '../../src/contract/parser';
import { createParser, FirehoseTransformationHandler, JsonObject, ToolkitLogger, ToolkitMetrics } from '../toolkit';

export { ConfigError, readConfig } from './config';
export type { Environment, ReferenceParserConfig } from './config';

/** Replaceable collaborators (tests); by default the toolkit's JSON-line logger, EMF metrics and a real S3 client. */
export interface ReferenceParserDependencies {
  readonly logger?: ToolkitLogger;
  readonly metrics?: ToolkitMetrics;
  /** Used in direct mode instead of a new `S3Client`. */
  readonly s3?: PutObjectSender;
  /** Where the protobuf decoder finds its FileDescriptorSet (`DESCRIPTOR_SET_FILE`); by default beside index.js. */
  readonly descriptorDir?: string;
}

type S3Sdk = typeof import('@aws-sdk/client-s3');
type DirectModule = typeof import('./direct');

/*
 * Direct mode's code (the AWS SDK S3 client, node:crypto, node:zlib) is required only in direct mode: the
 * SDK alone costs ~100 ms of cold start, which the default (firehose) mode should not pay. A static import
 * would always load it, and a dynamic `import()` does not fit the CommonJS bundle's synchronous init.
 * esbuild keeps './direct' in the bundle and initializes it on first require.
 */
function loadS3Sdk(): S3Sdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
  return require('@aws-sdk/client-s3') as S3Sdk;
}

function loadDirect(): DirectModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./direct') as DirectModule;
}

/** Builds the handler for a configuration; throws `ConfigError` on a bad one. */
export function createReferenceHandler(env: Environment, deps: ReferenceParserDependencies = {}): FirehoseTransformationHandler {
  const config = readConfig(env);
  let sink;
  if (config.delivery === DELIVERY_MODES.direct) {
    const sdk = loadS3Sdk();
    sink = loadDirect().createDirectSink({
      client: deps.s3 ?? new sdk.S3Client({}),
      putObjectCommand: sdk.PutObjectCommand,
      bucket: config.directBucket,
      prefix: config.directPrefix,
      extension: `${config.format === PARSED_FORMATS.csv.name ? PARSED_FORMATS.csv.extension : PARSED_FORMATS.jsonLines.extension}.gz`,
    });
  }
  return createParser<JsonObject>({
    parse: messageParser(config, rowReader(config, deps.descriptorDir ?? __dirname)),
    serialize: config.format === PARSED_FORMATS.csv.name ? csvSerializer(config) : undefined,
    partitionKeys: partitionKeysOf(config),
    sink,
    logger: deps.logger,
    metrics: deps.metrics,
  });
}

/** The Lambda entry point. Its S3 client (direct mode only) lives at module scope, reused across invocations. */
export const handler: FirehoseTransformationHandler = createReferenceHandler(process.env);
