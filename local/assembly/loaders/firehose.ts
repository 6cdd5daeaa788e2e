/**
 * `AWS::KinesisFirehose::DeliveryStream` with an (extended) S3 destination: buffering, compression, prefixes, the
 * Lambda processor, the source record backup and record format conversion to Parquet. What the runner cannot run
 * faithfully (another destination, another processor type, ORC, ZIP/Snappy compression) throws, and the caller names
 * the stream.
 */
import { compressionExtension, PROCESSOR_DEFAULTS } from '../../../src/contract';
import { compileStreamPrefix, StreamPrefix } from '../../firehose/keys';
import { UnresolvableError } from '../cloud-assembly';
import { BucketRef, readBoolean, StackReader } from '../stack-reader';
import type { TableModel } from '../table';

export interface BufferingModel {
  readonly intervalMs: number;
  readonly sizeBytes: number;
}

export interface S3TargetModel {
  readonly bucket: BucketRef;
  readonly prefix: StreamPrefix;
  /** ErrorOutputPrefix, with Firehose's default `<error-output-type>/yyyy/MM/dd/HH/` when absent. */
  readonly errorPrefix: StreamPrefix;
  readonly buffering: BufferingModel;
  readonly compression: 'UNCOMPRESSED' | 'GZIP';
  /** The extension of the objects: FileExtension, else the compression's. */
  readonly extension: string;
  readonly timeZone?: string;
}

export interface ProcessorModel {
  readonly functionArn: string;
  /** The invoked ARN as Firehose reports it in error records (`...:function:<name>:$LATEST`). */
  readonly lambdaArn: string;
  readonly bufferSizeBytes: number;
  readonly bufferIntervalMs: number;
  readonly retries: number;
}

/**
 * Record format conversion (`DataFormatConversionConfiguration`): JSON in, Parquet out, with the schema of a Glue
 * table of the assembly.
 */
export interface ConversionModel {
  /** The Glue table whose columns are the schema (`SchemaConfiguration`). */
  readonly table: TableModel;
  readonly deserializer:
  | { readonly kind: 'openx'; readonly caseInsensitive: boolean; readonly mappings: Record<string, string>; readonly dotsToUnderscores: boolean }
  | { readonly kind: 'hive'; readonly timestampFormats: readonly string[] };
  /** ParquetSerDe.Compression (Firehose's default: SNAPPY). */
  readonly compression: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';
  /** ParquetSerDe.EnableDictionaryCompression (default true). */
  readonly dictionary: boolean;
  /** ParquetSerDe.PageSizeBytes (default 1 MiB). */
  readonly pageSizeBytes: number;
  /** What Firehose names in a format-conversion-failed record (`dataCatalogTable`). */
  readonly catalog: {
    readonly catalogId?: string;
    readonly databaseName: string;
    readonly tableName: string;
    readonly region: string;
    readonly versionId: string;
    readonly roleArn?: string;
  };
}

export interface StreamModel {
  readonly name: string;
  readonly arn: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  readonly region: string;
  readonly destination: S3TargetModel;
  readonly dynamicPartitioning: boolean;
  readonly processor?: ProcessorModel;
  readonly backup?: S3TargetModel;
  /** Record format conversion to Parquet, when the stream asks for it. */
  readonly conversion?: ConversionModel;
}

/** A CloudFormation scalar after resolving (booleans and numbers may arrive as strings). */
type Scalar = string | number | boolean;

/** `S3DestinationConfiguration` / `ExtendedS3DestinationConfiguration` / `S3BackupConfiguration`, resolved. */
export interface CfnS3DestinationConfiguration {
  readonly BucketARN?: string;
  readonly Prefix?: string;
  readonly ErrorOutputPrefix?: string;
  readonly CompressionFormat?: string;
  readonly FileExtension?: string;
  readonly CustomTimeZone?: string;
  readonly BufferingHints?: { readonly IntervalInSeconds?: Scalar; readonly SizeInMBs?: Scalar };
}

export interface CfnExtendedS3DestinationConfiguration extends CfnS3DestinationConfiguration {
  readonly DynamicPartitioningConfiguration?: { readonly Enabled?: Scalar };
  readonly ProcessingConfiguration?: {
    readonly Enabled?: Scalar;
    readonly Processors?: ReadonlyArray<{ readonly Type?: string; readonly Parameters?: readonly CfnProcessorParameter[] }>;
  };
  readonly S3BackupMode?: string;
  readonly S3BackupConfiguration?: CfnS3DestinationConfiguration;
  readonly DataFormatConversionConfiguration?: CfnDataFormatConversionConfiguration;
}

export interface CfnProcessorParameter {
  readonly ParameterName: string;
  readonly ParameterValue: Scalar;
}

export interface CfnDataFormatConversionConfiguration {
  readonly Enabled?: Scalar;
  readonly SchemaConfiguration?: {
    readonly CatalogId?: Scalar;
    readonly DatabaseName?: string;
    readonly TableName?: string;
    readonly Region?: string;
    readonly VersionId?: Scalar;
    readonly RoleARN?: string;
  };
  readonly InputFormatConfiguration?: {
    readonly Deserializer?: {
      readonly HiveJsonSerDe?: { readonly TimestampFormats?: readonly Scalar[] };
      readonly OpenXJsonSerDe?: {
        readonly CaseInsensitive?: Scalar;
        readonly ColumnToJsonKeyMappings?: Record<string, Scalar>;
        readonly ConvertDotsInJsonKeysToUnderscores?: Scalar;
      };
    };
  };
  readonly OutputFormatConfiguration?: {
    readonly Serializer?: {
      readonly OrcSerDe?: unknown;
      readonly ParquetSerDe?: { readonly Compression?: string; readonly EnableDictionaryCompression?: Scalar; readonly PageSizeBytes?: Scalar };
    };
  };
}

/** The delivery stream's properties, resolved. */
export interface CfnDeliveryStreamProperties {
  readonly DeliveryStreamType?: string;
  readonly ExtendedS3DestinationConfiguration?: CfnExtendedS3DestinationConfiguration;
  readonly S3DestinationConfiguration?: CfnS3DestinationConfiguration;
}

/** What the stream's model depends on besides its own properties. */
export interface StreamContext {
  /** Overrides every buffering and processor interval (ms). */
  readonly bufferIntervalMs?: number;
  /** The Glue tables of the stacks being run (record format conversion reads its schema there). */
  readonly tables: Map<string, TableModel>;
}

const MIB = 1024 * 1024;

/** Firehose's own buffering hints of an S3 destination without BufferingHints (the construct always sets them). */
const FIREHOSE_S3_BUFFERING_DEFAULTS = { intervalSeconds: 300, sizeMiB: 5 } as const;

export function loadDeliveryStream(stack: StackReader, id: string, props: CfnDeliveryStreamProperties, context: StreamContext): StreamModel {
  const name = stack.physicalName(id);
  const type = props.DeliveryStreamType ?? 'DirectPut';
  if (type !== 'DirectPut') stack.warn(id, `DeliveryStreamType ${type}: the local runner only feeds it from IoT rule actions`);
  const ext: CfnExtendedS3DestinationConfiguration | undefined = props.ExtendedS3DestinationConfiguration ?? props.S3DestinationConfiguration;
  if (!ext) throw new UnresolvableError('only S3 destinations (ExtendedS3DestinationConfiguration) are run locally');
  const dynamicPartitioning = readBoolean(ext.DynamicPartitioningConfiguration?.Enabled, false);
  const destination = s3Target(stack, id, ext, context, { dynamicPartitioning, allowExtension: true });
  const conversion = loadConversion(ext.DataFormatConversionConfiguration, context.tables, stack.region);
  if (conversion && destination.compression !== 'UNCOMPRESSED') {
    throw new UnresolvableError(`CompressionFormat ${destination.compression} with record format conversion: Firehose requires UNCOMPRESSED (the Parquet serializer compresses)`);
  }
  const processor = loadProcessor(ext.ProcessingConfiguration, context);
  const backup = ext.S3BackupMode === 'Enabled' && ext.S3BackupConfiguration
    ? s3Target(stack, id, ext.S3BackupConfiguration, context, { dynamicPartitioning: false, allowExtension: false })
    : undefined;
  return {
    name,
    arn: stack.arn('firehose', `deliverystream/${name}`),
    stack: stack.name,
    logicalId: id,
    path: stack.pathOf(id),
    region: stack.region,
    destination,
    dynamicPartitioning,
    processor,
    backup,
    conversion,
  };
}

/** The Lambda processor of `ProcessingConfiguration` (undefined when absent or disabled). */
function loadProcessor(
  processing: CfnExtendedS3DestinationConfiguration['ProcessingConfiguration'], context: StreamContext,
): ProcessorModel | undefined {
  if (!processing || !readBoolean(processing.Enabled, true)) return undefined;
  let processor: ProcessorModel | undefined;
  for (const p of processing.Processors ?? []) {
    const params: Record<string, string | undefined> = Object.fromEntries(
      (p.Parameters ?? []).map((x) => [x.ParameterName, String(x.ParameterValue)]),
    );
    if (p.Type === 'Lambda') {
      if (processor) throw new UnresolvableError('more than one Lambda processor');
      const functionArn = String(params.LambdaArn ?? '').replace(/:\$LATEST$/, '');
      processor = {
        functionArn,
        lambdaArn: `${functionArn}:$LATEST`,
        bufferSizeBytes: Math.round(Number(params.BufferSizeInMBs ?? PROCESSOR_DEFAULTS.bufferSizeMiB) * MIB),
        bufferIntervalMs: context.bufferIntervalMs ?? Number(params.BufferIntervalInSeconds ?? PROCESSOR_DEFAULTS.bufferIntervalSeconds) * 1000,
        retries: Number(params.NumberOfRetries ?? PROCESSOR_DEFAULTS.retries),
      };
    } else if (p.Type === 'AppendDelimiterToRecord' || p.Type === 'RecordDeAggregation' || p.Type === 'MetadataExtraction') {
      throw new UnresolvableError(`the ${p.Type} processor is not supported by the local runner`);
    }
  }
  return processor;
}

/** `DataFormatConversionConfiguration` (undefined when absent or disabled). */
function loadConversion(
  c: CfnDataFormatConversionConfiguration | undefined, tables: Map<string, TableModel>, region: string,
): ConversionModel | undefined {
  if (!c || !readBoolean(c.Enabled, true)) return undefined;
  const schema = c.SchemaConfiguration ?? {};
  const qualified = `${String(schema.DatabaseName ?? '').toLowerCase()}.${String(schema.TableName ?? '').toLowerCase()}`;
  const table = tables.get(qualified);
  if (!table) {
    throw new UnresolvableError(`record format conversion reads its schema from the Glue table ${qualified}, which is not a table of the stack(s) being run`);
  }
  const input = c.InputFormatConfiguration?.Deserializer ?? {};
  const output = c.OutputFormatConfiguration?.Serializer ?? {};
  if (output.OrcSerDe) throw new UnresolvableError('record format conversion to ORC is not supported by the local runner (Parquet is)');
  const parquet = output.ParquetSerDe ?? {};
  const compression = String(parquet.Compression ?? 'SNAPPY').toUpperCase();
  if (compression !== 'SNAPPY' && compression !== 'GZIP' && compression !== 'UNCOMPRESSED') {
    throw new UnresolvableError(`ParquetSerDe.Compression ${compression} is not one of SNAPPY, GZIP, UNCOMPRESSED`);
  }
  let deserializer: ConversionModel['deserializer'];
  if (input.HiveJsonSerDe) {
    deserializer = { kind: 'hive', timestampFormats: (input.HiveJsonSerDe.TimestampFormats ?? []).map(String) };
  } else {
    const openx = input.OpenXJsonSerDe ?? {};
    deserializer = {
      kind: 'openx',
      caseInsensitive: readBoolean(openx.CaseInsensitive, true),
      mappings: Object.fromEntries(Object.entries(openx.ColumnToJsonKeyMappings ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
      dotsToUnderscores: readBoolean(openx.ConvertDotsInJsonKeysToUnderscores, false),
    };
  }
  return {
    table,
    deserializer,
    compression,
    dictionary: readBoolean(parquet.EnableDictionaryCompression, true),
    pageSizeBytes: Number(parquet.PageSizeBytes ?? MIB),
    catalog: {
      catalogId: schema.CatalogId === undefined ? undefined : String(schema.CatalogId),
      databaseName: table.database,
      tableName: table.name,
      region: String(schema.Region ?? region),
      versionId: String(schema.VersionId ?? 'LATEST'),
      roleArn: schema.RoleARN === undefined ? undefined : String(schema.RoleARN),
    },
  };
}

function s3Target(
  stack: StackReader, id: string, c: CfnS3DestinationConfiguration, context: StreamContext,
  options: { readonly dynamicPartitioning: boolean; readonly allowExtension: boolean },
): S3TargetModel {
  const compression = String(c.CompressionFormat ?? 'UNCOMPRESSED');
  if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP') {
    throw new UnresolvableError(`compression ${compression} is not supported by the local runner (GZIP and UNCOMPRESSED are)`);
  }
  const prefix = compileStreamPrefix(c.Prefix, { dynamicPartitioning: options.dynamicPartitioning });
  const errorPrefix = compileStreamPrefix(c.ErrorOutputPrefix, { errorOutput: true });
  const hints = c.BufferingHints ?? {};
  return {
    bucket: stack.bucket(c.BucketARN, id, 'BucketARN', true),
    prefix,
    errorPrefix,
    buffering: {
      intervalMs: context.bufferIntervalMs ?? Number(hints.IntervalInSeconds ?? FIREHOSE_S3_BUFFERING_DEFAULTS.intervalSeconds) * 1000,
      sizeBytes: Math.round(Number(hints.SizeInMBs ?? FIREHOSE_S3_BUFFERING_DEFAULTS.sizeMiB) * MIB),
    },
    compression,
    extension: options.allowExtension && typeof c.FileExtension === 'string' && c.FileExtension !== '' ? c.FileExtension : compressionExtension(compression),
    timeZone: typeof c.CustomTimeZone === 'string' && c.CustomTimeZone !== '' ? c.CustomTimeZone : undefined,
  };
}
