import { App, Duration, Lazy, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  actionsOf, IamPolicyProperties, logicalIdOf, nagFindings, outputIds, propertiesOfType, Reference, resourcesOfType, resourceTypes, Statement,
  statementsOfRole, TemplateResource, testStack,
} from './template';
import {
  Column, ColumnType, IotCoreFirehosePipeline, IotCoreFirehosePipelineProps, ParquetCompression, ParsedFormat, PartitionKey, Parser,
  PipelineEncryption, TableFormat, TableFormatKind,
} from '../../src';
import { TABLE_OUTPUT_IDS } from '../../src/contract';
import { TABLE_STORAGE } from '../../src/private/table-layout';

const COLUMNS: Column[] = [
  { name: 'topic', type: ColumnType.STRING },
  { name: 'device', type: ColumnType.STRING, comment: 'the topic level after the base topic' },
  { name: 'seq', type: ColumnType.BIGINT },
  { name: 'temp', type: ColumnType.DOUBLE },
  { name: 'arrival_timestamp', type: ColumnType.BIGINT },
];
const JSON_PARSER = Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) });

function newStack(id = 'TestStack'): Stack {
  return testStack(id);
}

/** AWS::Glue::Database, AWS::Glue::Table, the stream's S3 destination, AWS::Athena::WorkGroup and AWS::S3::Bucket, as far as these tests read them. */
interface GlueDatabaseProperties {
  readonly DatabaseInput: { readonly Name: string };
}
interface GlueTableProperties {
  readonly DatabaseName: string;
  readonly CatalogId: unknown;
  readonly TableInput: {
    readonly Name: string;
    readonly TableType: string;
    readonly StorageDescriptor: {
      readonly Location: unknown;
      readonly SerdeInfo: { readonly SerializationLibrary: string };
      readonly InputFormat: string;
    };
    readonly PartitionKeys: Array<{ readonly Name: string; readonly Type: string; readonly Comment?: string }>;
    readonly Parameters: Record<string, unknown>;
  };
}
interface S3DestinationProperties {
  readonly RoleARN: Reference;
  readonly CompressionFormat: string;
  readonly FileExtension?: string;
  readonly BufferingHints: unknown;
  readonly DataFormatConversionConfiguration?: {
    readonly Enabled: boolean;
    readonly OutputFormatConfiguration: { readonly Serializer: { readonly ParquetSerDe: { readonly Compression: string } } };
  };
  readonly DynamicPartitioningConfiguration?: { readonly Enabled: boolean };
  readonly S3BackupConfiguration: { readonly Prefix: string; readonly CompressionFormat: string };
}
interface WorkGroupProperties {
  readonly Name: string;
  readonly WorkGroupConfiguration: {
    readonly BytesScannedCutoffPerQuery?: number;
    readonly ResultConfiguration: {
      readonly OutputLocation?: unknown;
      readonly EncryptionConfiguration?: unknown;
      readonly ExpectedBucketOwner?: unknown;
    };
  };
}
interface BucketProperties {
  readonly BucketEncryption: { readonly ServerSideEncryptionConfiguration: unknown[] };
  readonly AccessControl?: unknown;
}

function synth(props: Partial<IotCoreFirehosePipelineProps> = {}, stack = newStack()) {
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
    topic: 'factory/telemetry',
    parser: JSON_PARSER,
    table: { columns: COLUMNS },
    ...props,
  });
  return { stack, pipeline, template: Template.fromStack(stack) };
}

/** The only resource of a type, with its logical id. */
function only<P>(template: Template, type: string): TemplateResource<P> & { readonly id: string; readonly DependsOn?: string[] } {
  const found = Object.entries(resourcesOfType<P>(template, type));
  expect(found).toHaveLength(1);
  return { id: found[0][0], ...found[0][1] };
}

function s3Destination(template: Template): S3DestinationProperties {
  return only<{ ExtendedS3DestinationConfiguration: S3DestinationProperties }>(template, 'AWS::KinesisFirehose::DeliveryStream').Properties
    .ExtendedS3DestinationConfiguration;
}

/** Every statement of every IAM policy of the template. */
function statements(template: Template): Statement[] {
  return propertiesOfType<IamPolicyProperties>(template, 'AWS::IAM::Policy').flatMap((policy) => policy.PolicyDocument.Statement);
}

/** `s3://<bucket>/<path>` as the table renders the location of a bucket the stack creates. */
function locationIn(stack: Stack, bucket: s3.IBucket, path: string): unknown {
  return { 'Fn::Join': ['', ['s3://', { Ref: stack.resolve(bucket.bucketName).Ref }, path]] };
}

function errorOf(build: () => unknown): string {
  try {
    build();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('table: Glue database and table over the parsed data', () => {
  test('GIVEN table with the default prefix WHEN synthesized THEN a JSON table over parsed/ with year/month/day/hour projected', () => {
    const { pipeline, template } = synth();
    const database = only<GlueDatabaseProperties>(template, 'AWS::Glue::Database');
    expect(database.Properties.DatabaseInput.Name).toBe('test_stack');
    const table = only<GlueTableProperties>(template, 'AWS::Glue::Table');
    expect(table.DependsOn).toEqual([database.id]);
    expect(table.Properties.DatabaseName).toBe('test_stack');
    expect(table.Properties.CatalogId).toEqual({ Ref: 'AWS::AccountId' });
    const input = table.Properties.TableInput;
    expect(input.Name).toBe('pipeline');
    expect(input.TableType).toBe('EXTERNAL_TABLE');
    const bucket = { Ref: Stack.of(pipeline).resolve(pipeline.parsedBucket.bucketName).Ref };
    expect(input.StorageDescriptor).toEqual({
      Location: { 'Fn::Join': ['', ['s3://', bucket, '/parsed/']] },
      Columns: [
        { Name: 'topic', Type: 'string' },
        { Name: 'device', Type: 'string', Comment: 'the topic level after the base topic' },
        { Name: 'seq', Type: 'bigint' },
        { Name: 'temp', Type: 'double' },
        { Name: 'arrival_timestamp', Type: 'bigint' },
      ],
      InputFormat: TABLE_STORAGE.jsonLines.inputFormat,
      OutputFormat: TABLE_STORAGE.jsonLines.outputFormat,
      SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', Parameters: { 'case.insensitive': 'TRUE', 'ignore.malformed.json': 'FALSE' } },
      StoredAsSubDirectories: false,
    });
    expect(input.PartitionKeys.map((k) => [k.Name, k.Type])).toEqual([['year', 'int'], ['month', 'int'], ['day', 'int'], ['hour', 'int']]);
    expect(input.Parameters).toEqual({
      'classification': 'json',
      'EXTERNAL': 'TRUE',
      'projection.enabled': 'true',
      'projection.year.type': 'integer',
      'projection.year.range': '2025,2034',
      'projection.month.type': 'integer',
      'projection.month.range': '1,12',
      'projection.month.digits': '2',
      'projection.day.type': 'integer',
      'projection.day.range': '1,31',
      'projection.day.digits': '2',
      'projection.hour.type': 'integer',
      'projection.hour.range': '0,23',
      'projection.hour.digits': '2',
      'storage.location.template': { 'Fn::Join': ['', ['s3://', bucket, '/parsed/year=${year}/month=${month}/day=${day}/hour=${hour}/']] },
    });
    expect([pipeline.databaseName, pipeline.tableName, pipeline.workGroupName]).toEqual(['test_stack', 'pipeline', 'test_stack-pipeline']);
    // the stream writes JSON Lines as before: no conversion
    expect(s3Destination(template).CompressionFormat).toBe('GZIP');
    expect(s3Destination(template).DataFormatConversionConfiguration).toBeUndefined();
  });

  test('GIVEN table WHEN synthesized THEN the stack outputs name the database, table and workgroup under the contract ids', () => {
    const { template } = synth({ table: { columns: COLUMNS, databaseName: 'plant', tableName: 'telemetry' } });
    const output = (id: string) => Object.entries(template.findOutputs('*') as Record<string, { Value: unknown }>)
      .filter(([logicalId]) => new RegExp(`^Pipeline${id}[0-9A-F]{8}$`).test(logicalId)).map(([, o]) => o.Value);
    expect(output(TABLE_OUTPUT_IDS.databaseName)).toEqual(['plant']);
    expect(output(TABLE_OUTPUT_IDS.tableName)).toEqual(['telemetry']);
    expect(output(TABLE_OUTPUT_IDS.workGroupName)).toEqual(['plant-telemetry']);
    expect(only<WorkGroupProperties>(template, 'AWS::Athena::WorkGroup').Properties.Name).toBe('plant-telemetry');
  });

  test('GIVEN no table WHEN synthesized THEN no Glue or Athena resources and no table outputs', () => {
    const { pipeline, template } = synth({ table: undefined });
    expect(resourceTypes(template)).not.toContainEqual(expect.stringMatching(/^AWS::(Glue|Athena)::/));
    expect(outputIds(template)).not.toContainEqual(expect.stringMatching(new RegExp(`${TABLE_OUTPUT_IDS.databaseName}|${TABLE_OUTPUT_IDS.workGroupName}`)));
    expect(pipeline.databaseName).toBeUndefined();
    expect(pipeline.workGroup).toBeUndefined();
  });

  test('GIVEN a nested pipeline WHEN synthesized THEN the derived names are valid Glue names', () => {
    const stack = newStack('Plant-2-Dev');
    const pipeline = new IotCoreFirehosePipeline(new Construct(stack, 'SiteA'), 'LineOne', { topic: 't', table: { columns: COLUMNS } });
    expect(pipeline.databaseName).toBe('plant_2_dev');
    expect(pipeline.tableName).toBe('site_a_line_one');
    const first = new IotCoreFirehosePipeline(new Construct(stack, '1st'), 'Line', { topic: 'u', table: { columns: COLUMNS } });
    expect(first.tableName).toBe('t_1st_line');
  });

  test('GIVEN two pipelines in one stack WHEN synthesized THEN they share one database; the same table name twice is an error', () => {
    const stack = newStack();
    new IotCoreFirehosePipeline(stack, 'A', { topic: 'a', table: { columns: COLUMNS } });
    new IotCoreFirehosePipeline(stack, 'B', { topic: 'b', table: { columns: COLUMNS } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Glue::Database', 1);
    expect(propertiesOfType<GlueTableProperties>(template, 'AWS::Glue::Table').map((r) => r.TableInput.Name)).toEqual(['a', 'b']);
    expect(errorOf(() => new IotCoreFirehosePipeline(stack, 'C', { topic: 'c', table: { columns: COLUMNS, tableName: 'a' } })))
      .toMatch(/TestStack\/C: invalid `table.tableName`: the database "test_stack" already has a table "a" \(of TestStack\/A\)/);
  });

  test('GIVEN a CSV reference parser WHEN synthesized THEN OpenCSVSerde with RFC 4180 quoting', () => {
    const { template } = synth({
      parser: Parser.reference({ format: ParsedFormat.csv({ columns: ['device', 'temp'] }) }),
      table: { columns: [{ name: 'device', type: ColumnType.STRING }, { name: 'temp', type: ColumnType.DOUBLE }] },
    });
    const input = only<GlueTableProperties>(template, 'AWS::Glue::Table').Properties.TableInput;
    expect(input.Parameters.classification).toBe('csv');
    expect(input.StorageDescriptor.SerdeInfo).toEqual({
      SerializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
      Parameters: { separatorChar: ',', quoteChar: '"', escapeChar: '\\' },
    });
  });

  test('GIVEN a function parser WHEN its extension tells the format THEN the table follows it, and without one it is an error', () => {
    const stack = newStack();
    const fn = new lambda.Function(stack, 'Fn', { code: lambda.Code.fromInline('x'), handler: 'index.handler', runtime: lambda.Runtime.NODEJS_22_X });
    new IotCoreFirehosePipeline(stack, 'Json', { topic: 'j', parser: Parser.fromFunction(fn, { fileExtension: '.json' }), table: { columns: COLUMNS } });
    expect(Template.fromStack(stack).toJSON().Resources).toBeDefined();
    expect(errorOf(() => new IotCoreFirehosePipeline(stack, 'None', { topic: 'n', parser: Parser.fromFunction(fn), table: { columns: COLUMNS } })))
      .toMatch(/invalid `table.format`: TableFormat.fromParser\(\) cannot tell what the parser writes \(it names no file extension\); give Parser.fromFunction\(fn, \{ fileExtension: '.json' \}\)/);
    // Parquet only needs JSON, which a function without an extension may write
    new IotCoreFirehosePipeline(stack, 'Pq', { topic: 'p', parser: Parser.fromFunction(fn), table: { columns: COLUMNS, format: TableFormat.parquet() } });
  });

  test('GIVEN a custom prefix with a date folder WHEN synthesized THEN its key is a date projection and the location is the fixed part', () => {
    const { stack, pipeline, template } = synth({ dataOutputPrefix: 'line-1/dt=!{timestamp:yyyy-MM-dd}/', errorOutputPrefix: 'errors/!{firehose:error-output-type}/' });
    const input = only<GlueTableProperties>(template, 'AWS::Glue::Table').Properties.TableInput;
    expect(input.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string', Comment: '!{timestamp:yyyy-MM-dd}; projected: date yyyy-MM-dd from 2025-01-01 to NOW' }]);
    expect(input.Parameters).toMatchObject({ 'projection.dt.type': 'date', 'projection.dt.range': '2025-01-01,NOW', 'projection.dt.interval.unit': 'DAYS' });
    expect(input.StorageDescriptor.Location).toEqual(locationIn(stack, pipeline.parsedBucket, '/line-1/'));
  });

  test('GIVEN a prefix that cannot be projected WHEN synthesized THEN the error names the prop and says why', () => {
    expect(errorOf(() => synth({ dataOutputPrefix: 'parsed/!{firehose:random-string}/!{timestamp:yyyy}/', errorOutputPrefix: 'e/!{firehose:error-output-type}/' })))
      .toMatch(/TestStack\/Pipeline: invalid `dataOutputPrefix`: the table's partitions cannot be projected from it: "parsed\/!\{firehose:random-string\}\/!\{timestamp:yyyy\}\/": the folder "!\{firehose:random-string\}" holds !\{firehose:random-string\}/);
    const stack = newStack();
    expect(errorOf(() => synth({ dataOutputPrefix: Lazy.string({ produce: () => 'parsed/' }) }, stack))).toMatch(/invalid `dataOutputPrefix`: the table derives its partitions from it, so it must be known at synth time/);
    expect(errorOf(() => synth({ table: { columns: COLUMNS, firstYear: 2030, lastYear: 2020 } }))).toMatch(/invalid `table.firstYear`: the projected years 2030 to 2020/);
    expect(errorOf(() => synth({ table: { columns: COLUMNS, partitionKeyValues: { device: ['a'] } } }))).toMatch(/invalid `table.partitionKeyValues`: partition values are given for "device"/);
  });

  test('GIVEN dynamic partitioning WHEN synthesized THEN the parser\'s keys are injected partition keys, or enum with known values', () => {
    const parser = Parser.reference({ partitionKeys: [PartitionKey.topicLevel('device', 2)] });
    const columns = COLUMNS.filter((c) => c.name !== 'device');
    const withInjected = synth({ dynamicPartitioning: true, parser, table: { columns } });
    const injected = only<GlueTableProperties>(withInjected.template, 'AWS::Glue::Table').Properties.TableInput;
    expect(injected.PartitionKeys.map((k) => k.Name)).toEqual(['device', 'year', 'month', 'day', 'hour']);
    expect(injected.Parameters['projection.device.type']).toBe('injected');
    expect(injected.Parameters['storage.location.template']).toEqual(
      locationIn(withInjected.stack, withInjected.pipeline.parsedBucket, '/parsed/device=${device}/year=${year}/month=${month}/day=${day}/hour=${hour}/'));
    const known = only<GlueTableProperties>(synth({ dynamicPartitioning: true, parser, table: { columns, partitionKeyValues: { device: ['sensor-1', 'sensor-2'] } } }).template, 'AWS::Glue::Table');
    expect(known.Properties.TableInput.Parameters).toMatchObject({ 'projection.device.type': 'enum', 'projection.device.values': 'sensor-1,sensor-2' });
    const many = Array.from({ length: 100 }, (_v, i) => `sensor-${i}`);
    const long = only<GlueTableProperties>(synth({ dynamicPartitioning: true, parser, table: { columns, partitionKeyValues: { device: many } } }).template, 'AWS::Glue::Table');
    expect(long.Properties.TableInput.PartitionKeys[0].Comment).toHaveLength(255);
    expect(long.Properties.TableInput.Parameters['projection.device.values']).toBe(many.join(','));
    // a column named like a partition key is an error: its value lives in the folder
    expect(errorOf(() => synth({ dynamicPartitioning: true, parser, table: { columns: COLUMNS } })))
      .toMatch(/invalid `table.columns`: the column "device" is also a partition key of the data prefix/);
  });

  test.each([
    [[], /give at least one column/],
    [[{ name: 'Temp', type: ColumnType.DOUBLE }], /the column name "Temp" has uppercase letters, which Glue would lowercase; write "temp"/],
    [[{ name: 'temp-c', type: ColumnType.DOUBLE }], /the column name "temp-c" is not a valid name/],
    [[{ name: '1st', type: ColumnType.DOUBLE }], /"1st" is not a valid name/],
    [[{ name: 'temp', type: ColumnType.DOUBLE }, { name: 'temp', type: ColumnType.INT }], /the column "temp" appears twice/],
    [[{ name: 'hour', type: ColumnType.INT }], /the column "hour" is also a partition key/],
    [[{ name: 'x', type: ColumnType.INT, comment: 'c'.repeat(256) }], /comment of "x" is 256 characters long; Glue allows 255/],
  ])('GIVEN columns %j WHEN synthesized THEN the error says what to change', (columns, message) => {
    expect(errorOf(() => synth({ table: { columns: columns as Column[] } }))).toMatch(message);
  });

  test.each([
    [{ databaseName: 'Plant' }, /invalid `table.databaseName`: "Plant" has uppercase letters/],
    [{ tableName: 'tele metry' }, /invalid `table.tableName`: "tele metry" is not a valid name/],
    [{ workGroup: { name: 'bad name' } }, /invalid `table.workGroup.name`: "bad name" is not a valid Athena workgroup name/],
    [{ workGroup: { bytesScannedCutoffPerQuery: Size.mebibytes(9) } }, /invalid `table.workGroup.bytesScannedCutoffPerQuery`: 9437184 bytes is below Athena's minimum of 10000000 bytes/],
    [{ workGroup: { resultsExpiration: Duration.hours(12) } }, /invalid `table.workGroup.resultsExpiration`: 12 hours is not a whole number of days/],
  ])('GIVEN %j WHEN synthesized THEN the error says what to change', (options, message) => {
    expect(errorOf(() => synth({ table: { columns: COLUMNS, ...options } }))).toMatch(message);
  });

  test('GIVEN ZIP compression WHEN a text table is asked for THEN it is an error (Athena cannot read ZIP)', () => {
    expect(errorOf(() => synth({ compression: firehose.Compression.ZIP }))).toMatch(/invalid `compression`: Athena cannot read ZIP objects/);
  });
});

describe('table: TableFormat.parquet() — Firehose record format conversion', () => {
  const parquet = { columns: COLUMNS, format: TableFormat.parquet() };

  test('GIVEN Parquet WHEN synthesized THEN OpenX JSON in, Parquet (Snappy) out with the table\'s schema, UNCOMPRESSED at the S3 level, 64 MiB buffer', () => {
    const { template } = synth({ table: parquet });
    const destination = s3Destination(template);
    const table = only<GlueTableProperties>(template, 'AWS::Glue::Table');
    expect(destination.DataFormatConversionConfiguration).toEqual({
      Enabled: true,
      InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: { CaseInsensitive: true, ConvertDotsInJsonKeysToUnderscores: false } } },
      OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
      SchemaConfiguration: {
        CatalogId: { Ref: 'AWS::AccountId' },
        Region: 'eu-west-1',
        DatabaseName: 'test_stack',
        // aws-cdk-lib's SchemaConfiguration.fromCfnTable names the table by its Ref (its name), which orders the stream after it
        TableName: { Ref: table.id },
        VersionId: 'LATEST',
        RoleARN: destination.RoleARN,
      },
    });
    // The L2 leaves the S3-level compression out with format conversion: CloudFormation's default is UNCOMPRESSED.
    expect(destination.CompressionFormat).toBeUndefined();
    expect(destination.FileExtension).toBe('.parquet');
    expect(destination.BufferingHints).toEqual({ IntervalInSeconds: 60, SizeInMBs: 64 });
    // the raw backup is unchanged
    expect(destination.S3BackupConfiguration).toMatchObject({ CompressionFormat: 'GZIP', BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 } });
    expect(destination.S3BackupConfiguration.Prefix).toMatch(/^raw\//);
    // the table reads Parquet
    expect(table.Properties.TableInput.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    expect(table.Properties.TableInput.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
    expect(table.Properties.TableInput.Parameters.classification).toBe('parquet');
    // (the stream names the table by its Ref above, so CloudFormation creates it after the table)
  });

  test('GIVEN Parquet WHEN synthesized THEN the Firehose role may read exactly that table: GetTable/GetTableVersion(s) on catalog, database, table', () => {
    const { stack, template } = synth({ table: parquet });
    const roleId = s3Destination(template).RoleARN['Fn::GetAtt']![0];
    const policies = propertiesOfType<IamPolicyProperties>(template, 'AWS::IAM::Policy').filter((p) => p.Roles.some((r) => r.Ref === roleId));
    expect(policies.map((p) => p.Roles)).toEqual([[{ Ref: roleId }]]);
    const isGlue = (s: Statement) => actionsOf(s).some((action) => action.startsWith('glue:'));
    const glue = statementsOfRole(stack, template, roleId).filter(isGlue);
    const arn = (resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:glue:eu-west-1:123456789012:${resource}`]] });
    expect(glue).toEqual([{
      Sid: 'ReadTheTableSchema',
      Effect: 'Allow',
      Action: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
      Resource: [arn('catalog'), arn('database/test_stack'), arn('table/test_stack/pipeline')],
    }]);
    expect(statements(template).filter(isGlue)).toHaveLength(1);
  });

  test('GIVEN Parquet options WHEN synthesized THEN the compression inside the files follows them', () => {
    const format = TableFormat.parquet({ compression: ParquetCompression.GZIP });
    expect(format.kind).toBe(TableFormatKind.PARQUET);
    const { template } = synth({ table: { columns: COLUMNS, format } });
    expect(s3Destination(template).DataFormatConversionConfiguration?.OutputFormatConfiguration.Serializer.ParquetSerDe.Compression).toBe('GZIP');
    expect(TableFormat.fromParser().kind).toBe(TableFormatKind.FROM_PARSER);
  });

  test('GIVEN Parquet with dynamic partitioning WHEN synthesized THEN both are configured', () => {
    const { template } = synth({
      dynamicPartitioning: true,
      parser: Parser.reference({ partitionKeys: [PartitionKey.topicLevel('device', 2)] }),
      table: { columns: COLUMNS.filter((c) => c.name !== 'device'), format: TableFormat.parquet() },
    });
    const destination = s3Destination(template);
    expect(destination.DynamicPartitioningConfiguration?.Enabled).toBe(true);
    expect(destination.DataFormatConversionConfiguration?.Enabled).toBe(true);
  });

  test('GIVEN Parquet with a small buffer or a CSV parser WHEN synthesized THEN the error says what to change', () => {
    expect(errorOf(() => synth({ buffering: { size: Size.mebibytes(1) }, table: parquet })))
      .toMatch(/invalid `buffering.size`: 1 MiB is too small for Parquet output \(table.format TableFormat.parquet\(\)\); Firehose record format conversion requires at least 64 MiB/);
    expect(errorOf(() => synth({ parser: Parser.reference({ format: ParsedFormat.csv({ columns: ['temp'] }) }), table: parquet })))
      .toMatch(/invalid `table.format`: TableFormat.parquet\(\) converts the parser's JSON records to Parquet, but the parser writes CSV/);
  });

  test('GIVEN Parquet WHEN any compression is set THEN it applies to the raw backup only', () => {
    const destination = s3Destination(synth({ compression: firehose.Compression.SNAPPY, table: parquet }).template);
    expect(destination.CompressionFormat).toBeUndefined();
    expect(destination.S3BackupConfiguration.CompressionFormat).toBe('Snappy');
  });
});

describe('table: the Athena workgroup', () => {
  test('GIVEN table WHEN synthesized THEN an enforced workgroup with metrics, engine 3, a 10 GiB cutoff and SSE-S3 results in a hardened, expiring bucket', () => {
    const { pipeline, template } = synth();
    const workGroup = only<WorkGroupProperties>(template, 'AWS::Athena::WorkGroup').Properties;
    const results = Stack.of(pipeline).resolve(pipeline.queryResultsBucket!.bucketName);
    expect(workGroup).toEqual({
      Name: 'test_stack-pipeline',
      Description: 'Queries over test_stack.pipeline (cdk-iot-core-firehose-pipeline)',
      State: 'ENABLED',
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        RequesterPaysEnabled: false,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', results, '/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          ExpectedBucketOwner: { Ref: 'AWS::AccountId' },
        },
      },
    });
    const bucket = resourcesOfType<BucketProperties>(template, 'AWS::S3::Bucket')[results.Ref];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: expect.stringMatching(/^PipelineStorageAccessLogsBucket/) }, LogFilePrefix: 'query-results-bucket/' },
      LifecycleConfiguration: { Rules: [{ Id: 'expire-query-results', Status: 'Enabled', ExpirationInDays: 30, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: results,
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    // AND its access logs are delivered through the log bucket's policy (for this bucket only), not an ACL
    expect(bucket.Properties.AccessControl).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^PipelineStorageAccessLogsBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [results.Ref, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': Stack.of(pipeline).account } },
        })]),
      },
    });
  });

  test('GIVEN a customer-managed key WHEN synthesized THEN results are SSE-KMS with the pipeline key, in a bucket encrypted with it', () => {
    const { pipeline, template, stack } = synth({ encryption: PipelineEncryption.customerManaged() });
    const keyArn = stack.resolve(pipeline.encryptionKey!.keyArn);
    expect(only<WorkGroupProperties>(template, 'AWS::Athena::WorkGroup').Properties.WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration)
      .toEqual({ EncryptionOption: 'SSE_KMS', KmsKey: keyArn });
    const bucket = resourcesOfType<BucketProperties>(template, 'AWS::S3::Bucket')[logicalIdOf(pipeline.queryResultsBucket!)];
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true },
    ]);
  });

  test('GIVEN workgroup options WHEN synthesized THEN they are used; disabled means no workgroup, no bucket, no output', () => {
    const stack = newStack();
    const own = new s3.Bucket(stack, 'Results');
    const { template } = synth({ table: { columns: COLUMNS, workGroup: { name: 'analysts', bytesScannedCutoffPerQuery: Size.mebibytes(100), resultsBucket: own } } }, stack);
    const workGroup = only<WorkGroupProperties>(template, 'AWS::Athena::WorkGroup').Properties;
    expect(workGroup.Name).toBe('analysts');
    expect(workGroup.WorkGroupConfiguration.BytesScannedCutoffPerQuery).toBe(100 * 1024 * 1024);
    expect(workGroup.WorkGroupConfiguration.ResultConfiguration.ExpectedBucketOwner).toBeUndefined();
    expect(workGroup.WorkGroupConfiguration.ResultConfiguration.OutputLocation).toEqual(locationIn(stack, own, '/'));
    expect(Object.keys(template.toJSON().Resources).filter((id) => id.includes('QueryResults'))).toEqual([]);

    const disabled = synth({ table: { columns: COLUMNS, workGroup: { enabled: false } } });
    expect(resourceTypes(disabled.template)).not.toContainEqual(expect.stringMatching(/^AWS::Athena::/));
    expect(Object.keys(disabled.template.toJSON().Resources).filter((id) => id.includes('QueryResults'))).toEqual([]);
    expect(outputIds(disabled.template)).not.toContainEqual(expect.stringMatching(new RegExp(TABLE_OUTPUT_IDS.workGroupName)));
    expect(disabled.pipeline.workGroupName).toBeUndefined();
    expect(disabled.pipeline.tableName).toBe('pipeline');
  });

  test('GIVEN the caller\'s own parsed and raw buckets WHEN synthesized THEN the results bucket still logs its access (into its own log bucket)', () => {
    const stack = newStack();
    const { template } = synth({
      parsedBucket: s3.Bucket.fromBucketName(stack, 'P', 'existing-parsed'),
      rawBucket: s3.Bucket.fromBucketName(stack, 'R', 'existing-raw'),
    }, stack);
    const buckets = Object.keys(resourcesOfType(template, 'AWS::S3::Bucket'));
    expect(buckets).toHaveLength(2);
    const logBucket = buckets.find((id) => id.startsWith('PipelineQueryResultsAccessLogsBucket'))!;
    expect(logBucket).toBeDefined();
    // the same kind of log bucket as the pipeline's own: versioned, no ACLs
    expect(resourcesOfType(template, 'AWS::S3::Bucket')[logBucket].Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(only<GlueTableProperties>(template, 'AWS::Glue::Table').Properties.TableInput.StorageDescriptor.Location).toEqual('s3://existing-parsed/parsed/');
  });
});

describe('grantQuery', () => {
  test('GIVEN a role WHEN granted THEN it may run queries in the workgroup, read the table and its objects, write results, use the key through S3 — nothing more', () => {
    const stack = newStack();
    const role = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
      topic: 'factory/telemetry',
      encryption: PipelineEncryption.customerManaged(),
      dataOutputPrefix: 'data/!{timestamp:yyyy}/',
      errorOutputPrefix: 'e/!{firehose:error-output-type}/',
      table: { columns: COLUMNS },
    });
    pipeline.grantQuery(role);
    // without a table there is nothing to grant
    const bare = new IotCoreFirehosePipeline(stack, 'Bare', { topic: 'bare' });
    expect(() => bare.grantQuery(role)).toThrow(/TestStack\/Bare: grantQuery\(\) needs a table; give the pipeline `table: \{ columns: \[...\] \}`/);
    const granted = statementsOfRole(stack, Template.fromStack(stack), logicalIdOf(role));
    const byAction = (action: string) => granted.filter((st) => actionsOf(st).includes(action));
    expect(byAction('athena:StartQueryExecution')[0].Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':athena:eu-west-1:123456789012:workgroup/test_stack-pipeline']] });
    expect(byAction('glue:GetTable')[0].Resource).toHaveLength(3);
    const parsedArn = stack.resolve(pipeline.parsedBucket.bucketArn);
    const resultsArn = stack.resolve(pipeline.queryResultsBucket!.bucketArn);
    const objectsOf = (arn: unknown, prefix: string) => ({ 'Fn::Join': ['', [arn, `/${prefix}*`]] });
    expect(byAction('s3:GetObject').map((st) => st.Resource)).toEqual([objectsOf(parsedArn, 'data/'), objectsOf(resultsArn, '')]);
    expect(byAction('s3:PutObject').map((st) => st.Resource)).toEqual([objectsOf(resultsArn, '')]);
    expect(byAction('s3:ListBucket').map((st) => st.Resource)).toEqual([parsedArn, resultsArn]);
    // only what Athena needs: no deletes, retention, legal hold, or write to the parsed data
    const actions = granted.flatMap((st) => [st.Action].flat());
    expect(actions.filter((a: string) => /Delete|Retention|LegalHold|\*/.test(a))).toEqual([]);
    // the key: through S3 only, for these buckets only; decrypt data and results, data keys for results only
    const keyStatements = granted.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('kms:')));
    const s3Context = (buckets: unknown[]) => buckets.flatMap((arn) => [arn, objectsOf(arn, '')]);
    expect(keyStatements).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: stack.resolve(pipeline.encryptionKey!.keyArn),
        Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' }, StringLike: { 'kms:EncryptionContext:aws:s3:arn': s3Context([parsedArn, resultsArn]) } },
      },
      {
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: stack.resolve(pipeline.encryptionKey!.keyArn),
        Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' }, StringLike: { 'kms:EncryptionContext:aws:s3:arn': s3Context([resultsArn]) } },
      },
    ]);
  });
});

describe('ColumnType', () => {
  test('GIVEN complex types WHEN rendered THEN Glue type syntax', () => {
    expect(ColumnType.decimal(10, 2).inputString).toBe('decimal(10,2)');
    expect(ColumnType.array(ColumnType.DOUBLE).inputString).toBe('array<double>');
    expect(ColumnType.map(ColumnType.STRING, ColumnType.array(ColumnType.INT)).inputString).toBe('map<string,array<int>>');
    expect(ColumnType.struct([{ name: 'lat', type: ColumnType.DOUBLE }, { name: 'tags', type: ColumnType.array(ColumnType.STRING) }]).inputString)
      .toBe('struct<lat:double,tags:array<string>>');
    const primitives = [
      ColumnType.TIMESTAMP, ColumnType.DATE, ColumnType.BOOLEAN, ColumnType.INT, ColumnType.FLOAT, ColumnType.SMALLINT, ColumnType.TINYINT,
    ];
    expect(primitives.map((t) => t.inputString))
      .toEqual(['timestamp', 'date', 'boolean', 'int', 'float', 'smallint', 'tinyint']);
    expect(ColumnType.STRING.isPrimitive).toBe(true);
    expect(ColumnType.array(ColumnType.STRING).isPrimitive).toBe(false);
  });

  test('GIVEN invalid arguments WHEN a type is made THEN the error says what to change', () => {
    expect(() => ColumnType.decimal(0, 0)).toThrow(/precision 0 is out of range; give a whole number from 1 to 38/);
    expect(() => ColumnType.decimal(10, 11)).toThrow(/scale 11 is out of range; give a whole number from 0 to the precision \(10\)/);
    expect(() => ColumnType.map(ColumnType.array(ColumnType.INT), ColumnType.INT)).toThrow(/key type array<int> is not primitive/);
    expect(() => ColumnType.struct([])).toThrow(/at least one field/);
    expect(() => ColumnType.struct([{ name: 'Lat', type: ColumnType.DOUBLE }])).toThrow(/field name "Lat" has uppercase letters/);
    expect(() => ColumnType.struct([{ name: 'a', type: ColumnType.DOUBLE }, { name: 'a', type: ColumnType.INT }])).toThrow(/"a" appears twice/);
  });
});

describe('table: cdk-nag AwsSolutions', () => {
  test('GIVEN tables in every shape (JSON, CSV, Parquet + CMK + dynamic partitioning, own buckets, no workgroup) WHEN checked THEN no unsuppressed findings', () => {
    const stack = new Stack(new App(), 'TableNagStack');
    new IotCoreFirehosePipeline(stack, 'Json', { topic: 'json', parser: JSON_PARSER, table: { columns: COLUMNS } });
    new IotCoreFirehosePipeline(stack, 'Csv', {
      topic: 'csv',
      parser: Parser.reference({ format: ParsedFormat.csv({ columns: ['temp'] }) }),
      table: { columns: [{ name: 'temp', type: ColumnType.DOUBLE }], workGroup: { enabled: false } },
    });
    new IotCoreFirehosePipeline(stack, 'Parquet', {
      topic: 'parquet',
      dynamicPartitioning: true,
      encryption: PipelineEncryption.customerManaged(new kms.Key(stack, 'Key', { enableKeyRotation: true })),
      parser: Parser.reference({ partitionKeys: [PartitionKey.topicLevel('device', 1)] }),
      table: { columns: COLUMNS.filter((c) => c.name !== 'device'), format: TableFormat.parquet() },
    });
    new IotCoreFirehosePipeline(stack, 'Own', {
      topic: 'own',
      parsedBucket: s3.Bucket.fromBucketName(stack, 'ParsedImported', 'existing-parsed'),
      rawBucket: s3.Bucket.fromBucketName(stack, 'RawImported', 'existing-raw'),
      table: { columns: COLUMNS },
    });
    expect(nagFindings(stack)).toEqual([]);
  });
});
