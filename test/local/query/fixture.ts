/**
 * Fixture apps for the query engine and the runner's Parquet conversion, synthesized with the library from ../../src:
 * - `QueryJson`: the reference parser's JSON Lines and a table over it (the default Hive-style hourly prefix).
 * - `QueryParquet`: the same data as Parquet (`TableFormat.parquet()`: Firehose record format conversion).
 * - `QueryCustom`: hand-written L1 Glue resources over a non-Hive prefix (`data/!{timestamp:yyyy}/!{timestamp:MM}/`),
 *   as a user without the `table` prop would write them, with partition projection.
 */
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Column, ColumnType, IotCoreFirehosePipeline, ParsedFormat, Parser, TableFormat } from '../../../src';

export const QUERY_STACKS = { json: 'QueryJson', parquet: 'QueryParquet', custom: 'QueryCustom' } as const;

/** The columns of the telemetry tables. */
export const TELEMETRY_COLUMNS: Column[] = [
  { name: 'device', type: ColumnType.STRING },
  { name: 'temp', type: ColumnType.DOUBLE },
  { name: 'seq', type: ColumnType.BIGINT },
];

/** Synthesizes the fixture app into `outdir` and returns it. */
export function synthQueryFixture(outdir: string): string {
  const app = new App({ outdir });
  const json = new Stack(app, QUERY_STACKS.json, { env: { region: 'eu-west-1' } });
  new IotCoreFirehosePipeline(json, 'Pipeline', {
    topic: 'telemetry', // one level: the reference parser's topicSegmentFields name the levels after the first
    buffering: { interval: Duration.seconds(60), size: Size.mebibytes(1) },
    parser: Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) }),
    table: { databaseName: 'plant', tableName: 'telemetry', columns: TELEMETRY_COLUMNS },
  });

  const parquet = new Stack(app, QUERY_STACKS.parquet, { env: { region: 'eu-west-1' } });
  // Another construct id: the runner names bucket folders by logical id, and the two stacks share one data dir in tests.
  new IotCoreFirehosePipeline(parquet, 'ParquetPipeline', {
    topic: 'telemetry', // one level: the reference parser's topicSegmentFields name the levels after the first
    buffering: { interval: Duration.seconds(60), size: Size.mebibytes(64) },
    parser: Parser.reference({ format: ParsedFormat.jsonLines({ topicSegmentFields: ['device'] }) }),
    table: { databaseName: 'plant_parquet', tableName: 'telemetry', columns: TELEMETRY_COLUMNS, format: TableFormat.parquet() },
  });

  const custom = new Stack(app, QUERY_STACKS.custom, { env: { region: 'eu-west-1' } });
  const bucket = new s3.Bucket(custom, 'Data');
  const db = new glue.CfnDatabase(custom, 'Db', { catalogId: custom.account, databaseInput: { name: 'custom_db' } });
  const table = new glue.CfnTable(custom, 'Readings', {
    catalogId: custom.account,
    databaseName: 'custom_db',
    tableInput: {
      name: 'readings',
      tableType: 'EXTERNAL_TABLE',
      parameters: {
        'classification': 'json',
        'projection.enabled': 'true',
        'projection.year.type': 'integer',
        'projection.year.range': '2020,2040',
        'projection.month.type': 'integer',
        'projection.month.range': '1,12',
        'projection.month.digits': '2',
        'storage.location.template': `s3://${bucket.bucketName}/data/\${year}/\${month}/`,
      },
      partitionKeys: [{ name: 'year', type: 'int' }, { name: 'month', type: 'int' }],
      storageDescriptor: {
        location: `s3://${bucket.bucketName}/data/`,
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        columns: [
          { name: 'id', type: 'string' },
          { name: 'seen_at', type: 'timestamp' },
          { name: 'tags', type: 'array<string>' },
          { name: 'pos', type: 'struct<lat:double,lon:double>' },
          { name: 'amount', type: 'decimal(10,2)' },
        ],
      },
    },
  });
  table.addDependency(db);
  return app.synth().directory;
}
