/**
 * The Glue tables of a stack (`AWS::Glue::Table`), as the local query engine and the runner's record format
 * conversion need them: columns, storage format, location in a bucket, partition keys, and where partitions are
 * (Athena partition projection's `storage.location.template`, or Hive-style `key=value/` folders under the
 * location). Read from the standard CloudFormation shape, so a table written by hand reads the same as the
 * construct's.
 */

/** The bucket of a table (the shape of the model's `BucketRef`, declared here so the two files do not import each other). */
export interface TableBucket {
  readonly name: string;
  /** The folder under `<data-dir>/s3/`. */
  readonly folder: string;
  readonly endpointName: string;
}

/** One column (or partition key) with its Glue (Hive DDL) type, lowercased: `string`, `decimal(10,2)`, `array<int>`. */
export interface GlueColumn {
  readonly name: string;
  readonly type: string;
  readonly comment?: string;
}

/** How the table's objects are stored, from its SerDe (and input format). */
export type TableStorage =
  | { readonly format: 'json'; readonly serde: string; readonly caseInsensitive: boolean; readonly mappings: Record<string, string> }
  | { readonly format: 'csv'; readonly serde: string; readonly delimiter: string; readonly quote?: string; readonly escape?: string; readonly skipHeaderLines: number }
  | { readonly format: 'parquet'; readonly serde: string }
  | { readonly format: 'unsupported'; readonly serde: string; readonly reason: string };

/** Where the table's partitions are, relative to its bucket. */
export interface PartitionLayout {
  /** The key prefix every object of the table starts with (the location's path: `parsed/`; '' = the bucket's root). */
  readonly prefix: string;
  /**
   * The folder of one partition with `${key}` for each partition key (`parsed/year=${year}/month=${month}/`), from the
   * projection's `storage.location.template`, else the Hive-style folders Athena expects under the location.
   * Equal to `prefix` for an unpartitioned table.
   */
  readonly template: string;
  /** Partition projection is enabled (`projection.enabled`). */
  readonly projected: boolean;
}

/** A Glue table of the assembly. */
export interface TableModel {
  readonly database: string;
  readonly name: string;
  /** `<database>.<table>`, as queries name it. */
  readonly qualifiedName: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  readonly columns: readonly GlueColumn[];
  readonly partitionKeys: readonly GlueColumn[];
  readonly storage: TableStorage;
  /** The bucket the location names (a bucket of the stack, or an imported one). */
  readonly bucket: TableBucket;
  readonly layout: PartitionLayout;
  /** `TableInput.Parameters`, resolved. */
  readonly parameters: Record<string, string>;
}

/** A table the query engine or the runner cannot use; the message says why. */
export class TableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TableError';
  }
}

/** SerDe libraries by the format they read. */
const JSON_SERDES = ['org.openx.data.jsonserde.JsonSerDe', 'org.apache.hive.hcatalog.data.JsonSerDe', 'org.apache.hadoop.hive.serde2.JsonSerDe'];
const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
const OPEN_CSV_SERDE = 'org.apache.hadoop.hive.serde2.OpenCSVSerde';
const LAZY_SIMPLE_SERDE = 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe';
const PARQUET_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';

/** What `loadTable` needs from the resolved template. */
export interface RawTable {
  readonly database: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  /** `TableInput`, with every intrinsic resolved. */
  readonly input: Record<string, any>;
  /** Maps the location's bucket name to its folder. */
  readonly bucketOf: (name: string) => TableBucket;
}

/** Builds the model of one table (throws `TableError` for a location that is not in S3). */
export function loadTable(raw: RawTable): TableModel {
  const input = raw.input;
  const name = String(input.Name ?? raw.logicalId).toLowerCase();
  const database = raw.database.toLowerCase();
  const where = `table ${database}.${name} (${raw.path})`;
  const sd = (input.StorageDescriptor ?? {}) as Record<string, any>;
  const columns = columnsOf(sd.Columns);
  const partitionKeys = columnsOf(input.PartitionKeys);
  const parameters = stringMap(input.Parameters);
  const location = typeof sd.Location === 'string' ? sd.Location : '';
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!m) throw new TableError(`${where}: StorageDescriptor.Location "${location}" is not an s3://bucket/prefix location`);
  const bucket = raw.bucketOf(m[1]);
  const prefix = withSlash(m[2]);
  const projected = (parameters['projection.enabled'] ?? '').toLowerCase() === 'true';
  let template = prefix + partitionKeys.map((k) => `${k.name}=\${${k.name}}/`).join('');
  const declared = parameters['storage.location.template'];
  if (projected && declared !== undefined) {
    const t = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(declared);
    if (!t) throw new TableError(`${where}: storage.location.template "${declared}" is not an s3:// location`);
    if (t[1] !== m[1]) throw new TableError(`${where}: storage.location.template is in bucket ${t[1]}, the location in ${m[1]}; the local engine reads one bucket per table`);
    template = withSlash(t[2]);
    for (const key of partitionKeys) {
      if (!template.includes(`\${${key.name}}`)) throw new TableError(`${where}: storage.location.template has no \${${key.name}} for partition key ${key.name}`);
    }
  }
  return {
    database,
    name,
    qualifiedName: `${database}.${name}`,
    stack: raw.stack,
    logicalId: raw.logicalId,
    path: raw.path,
    columns,
    partitionKeys,
    storage: storageOf(sd),
    bucket,
    layout: { prefix, template, projected },
    parameters,
  };
}

function storageOf(sd: Record<string, any>): TableStorage {
  const serde = String(sd.SerdeInfo?.SerializationLibrary ?? '');
  const params = stringMap(sd.SerdeInfo?.Parameters);
  if (JSON_SERDES.includes(serde)) {
    const mappings: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) if (k.startsWith('mapping.')) mappings[k.slice('mapping.'.length).toLowerCase()] = v;
    return { format: 'json', serde, caseInsensitive: (params['case.insensitive'] ?? 'true').toLowerCase() !== 'false', mappings };
  }
  if (serde === PARQUET_SERDE || sd.InputFormat === PARQUET_INPUT_FORMAT) return { format: 'parquet', serde };
  if (serde === OPEN_CSV_SERDE) {
    return {
      format: 'csv',
      serde,
      delimiter: params.separatorChar ?? ',',
      quote: params.quoteChar ?? '"',
      escape: params.escapeChar ?? '\\',
      skipHeaderLines: Number(params['skip.header.line.count'] ?? 0) || 0,
    };
  }
  if (serde === LAZY_SIMPLE_SERDE) {
    return {
      format: 'csv',
      serde,
      delimiter: params['field.delim'] ?? params['serialization.format'] ?? '\u0001',
      escape: params['escape.delim'],
      skipHeaderLines: Number(params['skip.header.line.count'] ?? 0) || 0,
    };
  }
  return { format: 'unsupported', serde, reason: `its SerDe ${serde || '(none)'} is not read locally (JSON, CSV and Parquet SerDes are)` };
}

function columnsOf(value: unknown): GlueColumn[] {
  if (!Array.isArray(value)) return [];
  return value.map((c: Record<string, unknown>) => ({
    name: String(c.Name ?? '').toLowerCase(),
    type: String(c.Type ?? 'string').toLowerCase().replace(/\s+/g, ''),
    ...(typeof c.Comment === 'string' ? { comment: c.Comment } : {}),
  }));
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}

function withSlash(path: string): string {
  return path === '' || path.endsWith('/') ? path : `${path}/`;
}

/** A parsed Glue (Hive DDL) type. */
export type GlueType =
  | { readonly kind: 'string' | 'boolean' | 'tinyint' | 'smallint' | 'int' | 'bigint' | 'float' | 'double' | 'timestamp' | 'date' | 'binary' }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'array'; readonly element: GlueType }
  | { readonly kind: 'map'; readonly key: GlueType; readonly value: GlueType }
  | { readonly kind: 'struct'; readonly fields: ReadonlyArray<{ readonly name: string; readonly type: GlueType }> };

/** Parses a Glue column type (`struct<a:int,b:array<string>>`); throws `TableError` for one it does not know. */
export function parseGlueType(text: string): GlueType {
  const source = text.toLowerCase().replace(/\s+/g, '');
  let i = 0;
  const fail = (why: string): never => {
    throw new TableError(`column type "${text}": ${why}`);
  };
  const word = (): string => {
    const m = /^[a-z_][a-z0-9_]*/.exec(source.slice(i));
    if (!m) fail(`expected a type or field name at position ${i + 1}`);
    i += m![0].length;
    return m![0];
  };
  const expect = (c: string) => {
    if (source[i] !== c) fail(`expected "${c}" at position ${i + 1}`);
    i++;
  };
  const type = (): GlueType => {
    const w = word();
    switch (w) {
      case 'string': case 'boolean': case 'tinyint': case 'smallint': case 'bigint': case 'float': case 'double':
      case 'timestamp': case 'date': case 'binary':
        return { kind: w };
      case 'int': case 'integer': return { kind: 'int' };
      case 'char': case 'varchar':
        if (source[i] === '(') {
          i = source.indexOf(')', i) + 1;
          if (i === 0) fail('unclosed (');
        }
        return { kind: 'string' };
      case 'decimal': {
        let precision = 10;
        let scale = 0;
        if (source[i] === '(') {
          const m = /^\((\d+)(?:,(\d+))?\)/.exec(source.slice(i));
          if (!m) fail('decimal needs (precision[, scale])');
          precision = Number(m![1]);
          scale = Number(m![2] ?? 0);
          i += m![0].length;
        }
        return { kind: 'decimal', precision, scale };
      }
      case 'array': {
        expect('<');
        const element = type();
        expect('>');
        return { kind: 'array', element };
      }
      case 'map': {
        expect('<');
        const key = type();
        expect(',');
        const value = type();
        expect('>');
        return { kind: 'map', key, value };
      }
      case 'struct': {
        expect('<');
        const fields: Array<{ name: string; type: GlueType }> = [];
        while (source[i] !== '>') {
          const name = word();
          expect(':');
          fields.push({ name, type: type() });
          if (source[i] === ',') i++;
          else if (source[i] !== '>') fail(`expected "," or ">" at position ${i + 1}`);
        }
        i++;
        return { kind: 'struct', fields };
      }
      default:
        return fail(`unknown type ${w}`);
    }
  };
  const parsed = type();
  if (i !== source.length) fail(`unexpected "${source.slice(i)}"`);
  return parsed;
}
