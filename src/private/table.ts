import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TableFormat, TableFormatKind, TableOptions } from '../table';
import { RecordFormatConversion } from './delivery-stream';
import { grantKeyThroughS3 } from './key-grants';
import { columnNameProblem, tableNameProblem } from './names';
import {
  CSV_SERDE_PARAMETERS, deriveTableLayout, PartitionKeyLayout, projectionParameters, snakeCase, TABLE_STORAGE, TableLayout,
  TableLayoutError, TableStorageName,
} from './table-layout';
import { invalid } from './validation';

/** What the table is made from. */
export interface PipelineTableProps {
  readonly options: TableOptions;
  /** The resolved data output prefix. */
  readonly dataOutputPrefix: string;
  readonly dynamicPartitioning: boolean;
  readonly parsedBucket: s3.IBucket;
  /** The extension of the parser's objects (`.json`, `.csv`), when known. */
  readonly parserFileExtension?: string;
  /** The pipeline's compression (of the parsed objects unless converted to Parquet). */
  readonly compression: firehose.Compression;
}

/** The table of a pipeline. */
export interface PipelineTable {
  readonly databaseName: string;
  readonly tableName: string;
  readonly table: glue.CfnTable;
  readonly database: glue.CfnDatabase;
  readonly layout: TableLayout;
  readonly storage: TableStorageName;
  /** The stream's record format conversion, with `TableFormat.parquet()`. */
  readonly recordFormatConversion?: RecordFormatConversion;
}

const JSON_EXTENSIONS = ['.json', '.jsonl', '.ndjson'];

/** The table names each shared database already holds (two pipelines must not derive the same one). */
const tablesOf = new WeakMap<glue.CfnDatabase, Map<string, string>>();

/**
 * The Glue table over the pipeline's parsed data: columns as given, partition keys and projection from the data
 * prefix, the SerDe of the format; and the Glue database it lives in (one per name and stack).
 */
export function createPipelineTable(pipeline: Construct, props: PipelineTableProps): PipelineTable {
  const options = props.options;
  const format = options.format ?? TableFormat.fromParser();
  const storage = storageOf(pipeline, format, props.parserFileExtension, props.compression);

  // --- columns and partitions ---------------------------------------------------------------------------------
  const columns = options.columns ?? [];
  if (columns.length === 0) {
    invalid(pipeline, 'table.columns', 'give at least one column, e.g. [{ name: \'temp\', type: ColumnType.DOUBLE }].');
  }
  const names = new Set<string>();
  for (const column of columns) {
    const problem = columnNameProblem(column.name);
    if (problem) invalid(pipeline, 'table.columns', `the column name "${column.name}" ${problem}.`);
    if (names.has(column.name)) invalid(pipeline, 'table.columns', `the column "${column.name}" appears twice; list each column once.`);
    if (column.comment !== undefined && !Token.isUnresolved(column.comment) && column.comment.length > 255) {
      invalid(pipeline, 'table.columns', `the comment of "${column.name}" is ${column.comment.length} characters long; Glue allows 255.`);
    }
    names.add(column.name);
  }
  const layout = layoutOf(pipeline, props, options);
  for (const key of layout.partitionKeys) {
    if (names.has(key.name)) {
      invalid(pipeline, 'table.columns', `the column "${key.name}" is also a partition key of the data prefix ("${props.dataOutputPrefix}"); remove the column: queries read "${key.name}" from the object's folder.`);
    }
  }

  // --- names ----------------------------------------------------------------------------------------------------
  const stack = Stack.of(pipeline);
  const databaseName = options.databaseName ?? derivedName(pipeline, 'databaseName', stack.stackName, 'db');
  const relativePath = pipeline.node.scopes.slice(stack.node.scopes.length).map((scope) => scope.node.id).join('_');
  const tableName = options.tableName ?? derivedName(pipeline, 'tableName', relativePath, 't');
  for (const [prop, name] of [['table.databaseName', databaseName], ['table.tableName', tableName]]) {
    const problem = tableNameProblem(name);
    if (problem) invalid(pipeline, prop, `"${name}" ${problem}.`);
  }

  // --- the database (shared per name and stack) and the table -----------------------------------------------------
  const database = databaseOf(stack, databaseName);
  const tables = tablesOf.get(database)!;
  const owner = tables.get(tableName);
  if (owner !== undefined) {
    invalid(pipeline, 'table.tableName', `the database "${databaseName}" already has a table "${tableName}" (of ${owner}); give this pipeline another \`tableName\`.`);
  }
  tables.set(tableName, pipeline.node.path);

  const storageClasses = TABLE_STORAGE[storage];
  const bucketUrl = `s3://${props.parsedBucket.bucketName}/`;
  const table = new glue.CfnTable(pipeline, 'Table', {
    catalogId: Aws.ACCOUNT_ID,
    databaseName,
    tableInput: {
      name: tableName,
      description: `Parsed telemetry of the pipeline ${pipeline.node.path} (${storage === 'parquet' ? 'Parquet' : storage === 'csv' ? 'CSV' : 'JSON Lines'}), partitions projected from the prefix "${props.dataOutputPrefix}"`,
      tableType: 'EXTERNAL_TABLE',
      parameters: {
        classification: storageClasses.classification,
        EXTERNAL: 'TRUE',
        ...projectionParameters(layout, bucketUrl),
      },
      // Glue comments hold at most 255 characters (a long enum list is cut; the projection parameters keep it all).
      partitionKeys: layout.partitionKeys.map((key) => ({ name: key.name, type: key.type, comment: partitionComment(key).slice(0, 255) })),
      storageDescriptor: {
        location: `${bucketUrl}${layout.location}`,
        columns: columns.map((column) => ({ name: column.name, type: column.type.inputString, comment: column.comment })),
        inputFormat: storageClasses.inputFormat,
        outputFormat: storageClasses.outputFormat,
        serdeInfo: {
          serializationLibrary: storageClasses.serializationLibrary,
          parameters: serdeParameters(storage),
        },
        storedAsSubDirectories: false,
      },
    },
  });
  // The construct-tree dependency (DependsOn in the template): CfnResource#addDependency is deprecated in newer aws-cdk-lib.
  table.node.addDependency(database);

  const recordFormatConversion = format.kind === TableFormatKind.PARQUET
    ? { table, databaseName, tableName, parquetCompression: format.parquetCompression! }
    : undefined;
  return { databaseName, tableName, table, database, layout, storage, recordFormatConversion };
}

/** The storage format: Parquet, or what the parser writes (known from its file extension). */
function storageOf(pipeline: Construct, format: TableFormat, extension: string | undefined, compression: firehose.Compression): TableStorageName {
  const ext = extension !== undefined && !Token.isUnresolved(extension) ? extension.toLowerCase() : undefined;
  if (format.kind === TableFormatKind.PARQUET) {
    if (ext === '.csv') {
      invalid(pipeline, 'table.format', 'TableFormat.parquet() converts the parser\'s JSON records to Parquet, but the parser writes CSV (".csv"); use ParsedFormat.jsonLines() for the parser, or TableFormat.fromParser() to query the CSV as it is.');
    }
    return 'parquet';
  }
  if (compression.value === firehose.Compression.ZIP.value) {
    invalid(pipeline, 'compression', 'Athena cannot read ZIP objects, so the table could not read the parsed data; use firehose.Compression.GZIP (or TableFormat.parquet()).');
  }
  if (ext !== undefined && JSON_EXTENSIONS.includes(ext)) return 'jsonLines';
  if (ext === '.csv') return 'csv';
  return invalid(pipeline, 'table.format', `TableFormat.fromParser() cannot tell what the parser writes (${ext === undefined ? 'it names no file extension' : `its file extension is "${extension}"`}); give Parser.fromFunction(fn, { fileExtension: '.json' }) for JSON Lines or '.csv' for CSV.`);
}

function layoutOf(pipeline: Construct, props: PipelineTableProps, options: TableOptions): TableLayout {
  if (Token.isUnresolved(props.dataOutputPrefix)) {
    invalid(pipeline, 'dataOutputPrefix', 'the table derives its partitions from it, so it must be known at synth time (no tokens).');
  }
  try {
    return deriveTableLayout(props.dataOutputPrefix, {
      dynamicPartitioning: props.dynamicPartitioning,
      firstYear: options.firstYear,
      lastYear: options.lastYear,
      partitionKeyValues: options.partitionKeyValues,
    });
  } catch (e) {
    if (!(e instanceof TableLayoutError)) throw e;
    switch (e.subject) {
      case 'years': return invalid(pipeline, 'table.firstYear', e.message);
      case 'partitionKeyValues': return invalid(pipeline, 'table.partitionKeyValues', e.message);
      default: return invalid(pipeline, 'dataOutputPrefix', `the table's partitions cannot be projected from it: ${e.message}`);
    }
  }
}

/** A Glue name from a stack name or construct path: snake case, never empty, never starting with a digit. */
function derivedName(pipeline: Construct, prop: string, source: string, fallback: string): string {
  if (Token.isUnresolved(source)) {
    invalid(pipeline, `table.${prop}`, `the default is derived from "${source}", which is not known at synth time; give \`${prop}\`.`);
  }
  const name = snakeCase(source).slice(0, 255);
  if (name === '') return fallback;
  return /^[0-9]/.test(name) ? `${fallback}_${name}`.slice(0, 255) : name;
}

function databaseOf(stack: Stack, name: string): glue.CfnDatabase {
  const id = `GlueDatabase_${name}`;
  const existing = stack.node.tryFindChild(id);
  if (existing) return existing as glue.CfnDatabase;
  const database = new glue.CfnDatabase(stack, id, {
    catalogId: Aws.ACCOUNT_ID,
    databaseInput: {
      name,
      description: 'Telemetry tables of IoT Core → Firehose pipelines (cdk-iot-core-firehose-pipeline)',
    },
  });
  tablesOf.set(database, new Map());
  return database;
}

function serdeParameters(storage: TableStorageName): Record<string, string> {
  switch (storage) {
    case 'csv': return { ...CSV_SERDE_PARAMETERS };
    case 'parquet': return { 'serialization.format': '1' };
    default: return { 'case.insensitive': 'TRUE', 'ignore.malformed.json': 'FALSE' };
  }
}

function partitionComment(key: PartitionKeyLayout): string {
  const from = key.source.kind === 'timestamp' ? `!{timestamp:${key.source.pattern}}` : `!{partitionKeyFromLambda:${key.source.key}}`;
  const p = key.projection;
  switch (p.type) {
    case 'integer': return `${from}; projected: integer ${p.range.join('-')}`;
    case 'date': return `${from}; projected: date ${p.format} from ${p.range[0]} to NOW`;
    case 'enum': return `${from}; projected: ${p.values.join(', ')}`;
    default: return `${from}; injected: filter it with = in every query`;
  }
}

/** What a query over the table touches. */
export interface TableQueryAccess {
  readonly table: PipelineTable;
  readonly parsedBucket: s3.IBucket;
  readonly workGroupName?: string;
  readonly resultsBucket?: s3.IBucket;
  readonly encryptionKey?: kms.IKey;
}

/**
 * Everything a principal needs to run Athena queries over the table in its workgroup, and nothing more: the Athena
 * query actions on the workgroup; the Glue reads of the catalog, the database and the table; the S3 reads of the
 * table's objects; the S3 actions Athena needs on the query results location (AmazonAthenaFullAccess' statement for
 * it: https://docs.aws.amazon.com/athena/latest/ug/managed-policies.html — no `Delete*`, retention or legal hold);
 * and the pipeline key through S3 only, for these buckets only: `kms:Decrypt` to read data and results,
 * `kms:GenerateDataKey` to write results (https://docs.aws.amazon.com/athena/latest/ug/encryption.html).
 * `bucket.grantRead()`/`grantReadWrite()` are not used: they add deletes, and the bucket key without a condition.
 */
export function grantTableQuery(grantee: iam.IGrantable, access: TableQueryAccess): iam.Grant {
  const stack = Stack.of(access.table.table);
  const { databaseName, tableName, layout } = access.table;
  const glueArn = (resource: string, resourceName?: string) => stack.formatArn({ service: 'glue', resource, resourceName });
  let grant = iam.Grant.addToPrincipal({
    grantee,
    actions: ['glue:GetDatabase', 'glue:GetTable'],
    resourceArns: [glueArn('catalog'), glueArn('database', databaseName), glueArn('table', `${databaseName}/${tableName}`)],
  });
  grant = grant.combine(iam.Grant.addToPrincipal({
    grantee,
    actions: ['s3:GetBucketLocation', 's3:ListBucket'],
    resourceArns: [access.parsedBucket.bucketArn],
  }));
  grant = grant.combine(iam.Grant.addToPrincipal({
    grantee,
    actions: ['s3:GetObject'],
    resourceArns: [access.parsedBucket.arnForObjects(`${layout.location}*`)],
  }));
  if (access.workGroupName !== undefined) {
    grant = grant.combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
      resourceArns: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: access.workGroupName })],
    }));
  }
  if (access.resultsBucket) {
    grant = grant.combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      resourceArns: [access.resultsBucket.bucketArn],
    }));
    grant = grant.combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resourceArns: [access.resultsBucket.arnForObjects('*')],
    }));
  }
  if (access.encryptionKey) {
    const results = access.resultsBucket ? [access.resultsBucket] : [];
    grantKeyThroughS3(access.encryptionKey, grantee, ['kms:Decrypt'], [access.parsedBucket, ...results]);
    if (results.length > 0) grantKeyThroughS3(access.encryptionKey, grantee, ['kms:GenerateDataKey'], results);
  }
  return grant;
}
