import { Duration, Size } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { columnNameProblem } from './private/names';

/**
 * The type of a column, in Glue (Hive) type syntax: `ColumnType.STRING`, `ColumnType.decimal(10, 2)`,
 * `ColumnType.array(ColumnType.DOUBLE)`, `ColumnType.struct([{ name: 'lat', type: ColumnType.DOUBLE }])`.
 */
export class ColumnType {
  /** Text (`string`). */
  public static readonly STRING = new ColumnType('string', true);
  /** `true` / `false` (`boolean`). */
  public static readonly BOOLEAN = new ColumnType('boolean', true);
  /** 8-bit signed integer (`tinyint`). */
  public static readonly TINYINT = new ColumnType('tinyint', true);
  /** 16-bit signed integer (`smallint`). */
  public static readonly SMALLINT = new ColumnType('smallint', true);
  /** 32-bit signed integer (`int`). */
  public static readonly INT = new ColumnType('int', true);
  /** 64-bit signed integer (`bigint`): epoch milliseconds, counters. */
  public static readonly BIGINT = new ColumnType('bigint', true);
  /** 32-bit floating point (`float`). */
  public static readonly FLOAT = new ColumnType('float', true);
  /** 64-bit floating point (`double`). */
  public static readonly DOUBLE = new ColumnType('double', true);
  /**
   * Date and time (`timestamp`). In JSON the value must be text such as `2025-06-01 12:00:00.000`; keep epoch
   * milliseconds (like the reference parser's `arrival_timestamp`) in a BIGINT column and convert in the query.
   */
  public static readonly TIMESTAMP = new ColumnType('timestamp', true);
  /** A calendar date (`date`), `yyyy-MM-dd` in JSON and CSV. */
  public static readonly DATE = new ColumnType('date', true);

  /**
   * A fixed-point number (`decimal(precision, scale)`).
   * @param precision total digits, 1–38
   * @param scale digits after the decimal point, 0–precision
   */
  public static decimal(precision: number, scale: number): ColumnType {
    if (!Number.isInteger(precision) || precision < 1 || precision > 38) {
      throw new Error(`ColumnType.decimal: precision ${precision} is out of range; give a whole number from 1 to 38.`);
    }
    if (!Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw new Error(`ColumnType.decimal: scale ${scale} is out of range; give a whole number from 0 to the precision (${precision}).`);
    }
    return new ColumnType(`decimal(${precision},${scale})`, true);
  }

  /** A list of values of one type (`array<type>`). */
  public static array(itemType: ColumnType): ColumnType {
    return new ColumnType(`array<${itemType.inputString}>`, false);
  }

  /** A map from keys of a primitive type to values of one type (`map<key,value>`). */
  public static map(keyType: ColumnType, valueType: ColumnType): ColumnType {
    if (!keyType.isPrimitive) {
      throw new Error(`ColumnType.map: the key type ${keyType.inputString} is not primitive; use a type such as ColumnType.STRING.`);
    }
    return new ColumnType(`map<${keyType.inputString},${valueType.inputString}>`, false);
  }

  /** A nested object with named fields (`struct<name:type,...>`); field names follow the column name rules. */
  public static struct(fields: Column[]): ColumnType {
    if (fields.length === 0) {
      throw new Error('ColumnType.struct: give at least one field, e.g. ColumnType.struct([{ name: \'lat\', type: ColumnType.DOUBLE }]).');
    }
    const seen = new Set<string>();
    for (const field of fields) {
      const problem = columnNameProblem(field.name);
      if (problem) throw new Error(`ColumnType.struct: the field name "${field.name}" ${problem}.`);
      if (seen.has(field.name)) throw new Error(`ColumnType.struct: the field "${field.name}" appears twice; list each field once.`);
      seen.add(field.name);
    }
    return new ColumnType(`struct<${fields.map((f) => `${f.name}:${f.type.inputString}`).join(',')}>`, false);
  }

  /** The type in Glue (Hive) syntax, e.g. `decimal(10,2)` or `array<double>`. */
  public readonly inputString: string;
  /** Whether the type is primitive (not an array, map or struct). */
  public readonly isPrimitive: boolean;

  private constructor(inputString: string, isPrimitive: boolean) {
    this.inputString = inputString;
    this.isPrimitive = isPrimitive;
  }
}

/**
 * One column of the table.
 */
export interface Column {
  /**
   * The column name: lowercase letters, digits and `_`, starting with a letter or `_`, at most 255 characters.
   * JSON keys are matched case-insensitively (`deviceId` in the data fills column `deviceid`).
   */
  readonly name: string;
  /** The column type. */
  readonly type: ColumnType;
  /**
   * A description shown in the Glue console and by `DESCRIBE`.
   * @default - no comment
   */
  readonly comment?: string;
}

/**
 * What the table's objects are.
 */
export enum TableFormatKind {
  /** Whatever the parser writes: JSON Lines (`.json`) or CSV (`.csv`), compressed as the pipeline's `compression`. */
  FROM_PARSER = 'FROM_PARSER',
  /** Apache Parquet, converted by Firehose from the parser's JSON. */
  PARQUET = 'PARQUET',
}

/**
 * The compression inside Parquet files.
 */
export enum ParquetCompression {
  /** Snappy: fast, the usual choice for Parquet. */
  SNAPPY = 'SNAPPY',
  /** GZIP: smaller files, slower to write and read. */
  GZIP = 'GZIP',
  /** No compression. */
  UNCOMPRESSED = 'UNCOMPRESSED',
}

/**
 * Options for `TableFormat.parquet()`.
 */
export interface ParquetOptions {
  /**
   * The compression of the data pages inside each Parquet file (the S3 objects themselves are not compressed again).
   * @default ParquetCompression.SNAPPY
   */
  readonly compression?: ParquetCompression;
}

/**
 * What the table's objects are: the parser's own output, or Parquet converted by Firehose.
 */
export class TableFormat {
  /**
   * The parser's output as it is: JSON Lines (OpenX JSON SerDe) for `.json` objects, CSV without a header
   * (OpenCSVSerde; the columns in the order the parser writes them) for `.csv` objects.
   */
  public static fromParser(): TableFormat {
    return new TableFormat(TableFormatKind.FROM_PARSER);
  }

  /**
   * Apache Parquet: Firehose converts the parser's JSON records (OpenX JSON SerDe) to Parquet with the table's
   * columns as the schema. Needs a buffer of at least 64 MiB (the default with this format) and a parser that
   * writes JSON; the raw backup stays as it is.
   */
  public static parquet(options: ParquetOptions = {}): TableFormat {
    return new TableFormat(TableFormatKind.PARQUET, options.compression ?? ParquetCompression.SNAPPY);
  }

  /** What the objects are. */
  public readonly kind: TableFormatKind;
  /**
   * The compression inside Parquet files (`TableFormatKind.PARQUET`).
   * @default - not Parquet
   */
  public readonly parquetCompression?: ParquetCompression;

  private constructor(kind: TableFormatKind, parquetCompression?: ParquetCompression) {
    this.kind = kind;
    this.parquetCompression = parquetCompression;
  }
}

/**
 * The Athena workgroup of the table.
 */
export interface WorkGroupOptions {
  /**
   * Create an Athena workgroup for the table.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * The workgroup name (1–128 characters of a-z, A-Z, 0-9, `.`, `_` and `-`).
   * @default - `<databaseName>-<tableName>`
   */
  readonly name?: string;
  /**
   * Cancel a query once it has scanned this much data (Athena bills by bytes scanned). At least 10 MB.
   * @default Size.gibibytes(10)
   */
  readonly bytesScannedCutoffPerQuery?: Size;
  /**
   * How long query results are kept in the results bucket the workgroup creates.
   * @default Duration.days(30)
   */
  readonly resultsExpiration?: Duration;
  /**
   * The bucket for query results.
   * @default - a hardened bucket is created (same settings as the pipeline's buckets, results expire)
   */
  readonly resultsBucket?: s3.IBucket;
}

/**
 * A queryable table over the pipeline's parsed data: a Glue database and table with partition projection derived
 * from the data output prefix, and an Athena workgroup.
 */
export interface TableOptions {
  /**
   * The columns of each parsed record (partition keys come from the prefix and are not listed here).
   */
  readonly columns: Column[];
  /**
   * The Glue database. One `AWS::Glue::Database` is created per name and stack (pipelines of a stack may share it);
   * a name can be created by one stack per account and region.
   * @default - the stack name in snake case (`IotTelemetryExample` → `iot_telemetry_example`)
   */
  readonly databaseName?: string;
  /**
   * The table name (lowercase letters, digits and `_`).
   * @default - the pipeline's construct path in the stack, in snake case (`Pipeline` → `pipeline`)
   */
  readonly tableName?: string;
  /**
   * What the objects are.
   * @default TableFormat.fromParser()
   */
  readonly format?: TableFormat;
  /**
   * The first year the time partition keys of the prefix project (`year=…` and the like). Athena looks only for
   * partitions inside the projected range, and a query that does not filter on the time keys enumerates every
   * hour of it: keep the range close to your data.
   * @default 2025
   */
  readonly firstYear?: number;
  /**
   * The last year integer year keys project (keys with several date fields, such as `dt=yyyy-MM-dd`, end at `NOW`).
   * @default - firstYear + 9
   */
  readonly lastYear?: number;
  /**
   * The values a dynamic-partitioning key takes, by partition key name: the key is projected as `enum` (queries
   * may leave it out) instead of `injected` (every query must filter it with `=`).
   * @default - every dynamic-partitioning key is injected
   */
  readonly partitionKeyValues?: { [key: string]: string[] };
  /**
   * The Athena workgroup.
   * @default - a workgroup with a results bucket, enforced settings, CloudWatch metrics and a 10 GiB cutoff
   */
  readonly workGroup?: WorkGroupOptions;
}
