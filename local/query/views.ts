/**
 * A Glue table as a DuckDB view over the runner's bucket folders: the files under the table's location that the
 * partition layout matches (Athena's partition projection template, or Hive-style `key=value/` folders), read with
 * the table's format, its columns cast to their Glue types, its partition keys taken from the path.
 *
 * Pure (no DuckDB): `listTableFiles` walks folders, `viewSql` writes the SQL, so both are tested without the engine.
 */
import { readdirSync, statSync } from 'fs';
import { join, relative, sep } from 'path';
import { GlueColumn, GlueType, parseGlueType, TableError, TableModel } from '../assembly/table';

/** The Glue (Hive DDL) type as DuckDB spells it. */
export function duckDbType(type: GlueType): string {
  switch (type.kind) {
    case 'string': return 'VARCHAR';
    case 'boolean': return 'BOOLEAN';
    case 'tinyint': return 'TINYINT';
    case 'smallint': return 'SMALLINT';
    case 'int': return 'INTEGER';
    case 'bigint': return 'BIGINT';
    case 'float': return 'FLOAT';
    case 'double': return 'DOUBLE';
    case 'timestamp': return 'TIMESTAMP';
    case 'date': return 'DATE';
    case 'binary': return 'BLOB';
    case 'decimal': return `DECIMAL(${type.precision},${type.scale})`;
    case 'array': return `${duckDbType(type.element)}[]`;
    case 'map': return `MAP(${duckDbType(type.key)}, ${duckDbType(type.value)})`;
    case 'struct': return `STRUCT(${type.fields.map((f) => `${ident(f.name)} ${duckDbType(f.type)}`).join(', ')})`;
  }
}

/** A quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal. */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** How the partition keys are read from a file's path. */
export type PartitionReading =
  | { readonly kind: 'none' }
  /** Every folder after the location is `key=${key}`: DuckDB's Hive partitioning reads them (and prunes files by them). */
  | { readonly kind: 'hive' }
  /** Any other template: each key is a capture group of a regular expression over the file name. */
  | { readonly kind: 'regexp'; readonly pattern: string; readonly groups: Record<string, number> };

const PLACEHOLDER = /\$\{([^}]+)\}/g;

/** The regular expression (source) of a key template: literal text, `([^/]+)` per `${key}`; and the keys in order. */
export function templatePattern(template: string): { pattern: string; keys: string[] } {
  const keys: string[] = [];
  let pattern = '';
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    pattern += escapeRegExp(template.slice(last, m.index));
    pattern += '([^/]+)';
    keys.push(m[1]);
    last = m.index! + m[0].length;
  }
  pattern += escapeRegExp(template.slice(last));
  return { pattern, keys };
}

/** How a table's partition keys are read (Hive-style folders or a regular expression). */
export function partitionReading(table: TableModel, bucketDir: string): PartitionReading {
  if (table.partitionKeys.length === 0) return { kind: 'none' };
  const rest = table.layout.template.startsWith(table.layout.prefix) ? table.layout.template.slice(table.layout.prefix.length) : undefined;
  const segments = rest?.split('/').filter((s) => s !== '') ?? [];
  const hive = rest !== undefined && segments.length === table.partitionKeys.length
    && segments.every((s, i) => s === `${table.partitionKeys[i].name}=\${${table.partitionKeys[i].name}}`)
    && !/=/.test(bucketDir);
  if (hive) return { kind: 'hive' };
  const { pattern, keys } = templatePattern(table.layout.template);
  const groups: Record<string, number> = {};
  keys.forEach((k, i) => {
    if (groups[k] === undefined) groups[k] = i + 1;
  });
  return { kind: 'regexp', pattern: `^${escapeRegExp(bucketDir.split(sep).join('/'))}/${pattern}`, groups };
}

/**
 * The files of a table in its bucket folder, sorted: under the location, matching the partition template, without
 * the names Athena skips (starting with `_` or `.`, which also leaves out the runner's temporary files).
 */
export function listTableFiles(table: TableModel, bucketDir: string): string[] {
  const root = join(bucketDir, ...table.layout.prefix.split('/').filter((s) => s !== ''));
  const { pattern } = templatePattern(table.layout.template);
  const matcher = new RegExp(`^${pattern}`);
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // no data yet
    }
    for (const name of names) {
      if (name.startsWith('.') || name.startsWith('_')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
      } else if (matcher.test(relative(bucketDir, path).split(sep).join('/'))) {
        out.push(path);
      }
    }
  };
  walk(root);
  return out.sort();
}

/** What `viewSql` reads. */
export interface ViewSource {
  readonly table: TableModel;
  /** The table's files (`listTableFiles`). */
  readonly files: readonly string[];
  /** The bucket's folder (for the partition pattern). */
  readonly bucketDir: string;
}

/** The `SELECT` that defines the table's view (columns, then partition keys, as Athena orders them). */
export function viewSql(source: ViewSource): string {
  const { table, files } = source;
  if (table.storage.format === 'unsupported') {
    throw new TableError(`table ${table.qualifiedName} cannot be queried locally: ${table.storage.reason}`);
  }
  const columns = table.columns.map((c) => ({ ...c, parsed: parseGlueType(c.type) }));
  const keys = table.partitionKeys.map((c) => ({ ...c, parsed: parseGlueType(c.type) }));
  if (files.length === 0) {
    // No object yet: an empty relation with the table's columns.
    const nulls = [...columns, ...keys].map((c) => `CAST(NULL AS ${duckDbType(c.parsed)}) AS ${ident(c.name)}`);
    return `SELECT ${nulls.join(', ')} WHERE false`;
  }
  const reading = partitionReading(table, source.bucketDir);
  const list = `[${files.map((f) => literal(f.split(sep).join('/'))).join(', ')}]`;
  const partitionOptions = reading.kind === 'hive'
    ? `, hive_partitioning = true, hive_types = {${keys.map((k) => `${literal(k.name)}: ${literal(duckDbType(k.parsed))}`).join(', ')}}`
    : reading.kind === 'regexp' ? ', hive_partitioning = false, filename = true' : ', hive_partitioning = false';
  let from: string;
  let select: string[];
  const storage = table.storage;
  switch (storage.format) {
    case 'json': {
      // Timestamps are read as text and converted like the OpenX SerDe (epoch seconds or milliseconds, or text).
      const spec = columns.map((c) => `${literal(c.name)}: ${literal(c.parsed.kind === 'timestamp' ? 'VARCHAR' : duckDbType(c.parsed))}`);
      from = `read_json(${list}, format = 'newline_delimited', compression = 'auto_detect', columns = {${spec.join(', ')}}${partitionOptions})`;
      select = columns.map((c) => (c.parsed.kind === 'timestamp' ? `${jsonTimestamp(ident(c.name))} AS ${ident(c.name)}` : ident(c.name)));
      break;
    }
    case 'csv': {
      const spec = columns.map((c) => `${literal(c.name)}: ${literal(duckDbType(c.parsed))}`);
      const quoting = storage.quote !== undefined ? `, quote = ${literal(storage.quote)}, escape = ${literal(storage.escape ?? storage.quote)}` : '';
      from = `read_csv(${list}, header = false, skip = ${storage.skipHeaderLines}, delim = ${literal(storage.delimiter)}${quoting}, compression = 'auto_detect', columns = {${spec.join(', ')}}${partitionOptions})`;
      select = columns.map((c) => ident(c.name));
      break;
    }
    case 'parquet':
      from = `read_parquet(${list}, union_by_name = true${partitionOptions})`;
      select = columns.map((c) => `CAST(${ident(c.name)} AS ${duckDbType(c.parsed)}) AS ${ident(c.name)}`);
      break;
  }
  for (const k of keys) {
    if (reading.kind === 'regexp') {
      select.push(`CAST(regexp_extract(filename, ${literal(reading.pattern)}, ${reading.groups[k.name]}) AS ${duckDbType(k.parsed)}) AS ${ident(k.name)}`);
    } else {
      select.push(ident(k.name));
    }
  }
  return `SELECT ${select.join(', ')} FROM ${from}`;
}

/** A JSON value read as text → TIMESTAMP: epoch milliseconds, epoch seconds (maybe fractional), or timestamp text. */
function jsonTimestamp(expr: string): string {
  return `CASE WHEN ${expr} IS NULL THEN NULL`
    + ` WHEN regexp_full_match(${expr}, '-?[0-9]+') AND abs(CAST(${expr} AS HUGEINT)) >= 100000000000 THEN epoch_ms(CAST(${expr} AS BIGINT))`
    + ` WHEN regexp_full_match(${expr}, '-?[0-9]+(\\.[0-9]+)?') THEN make_timestamp(CAST(round(CAST(${expr} AS DOUBLE) * 1000000) AS BIGINT))`
    + ` ELSE CAST(replace(replace(${expr}, 'T', ' '), 'Z', '') AS TIMESTAMP) END`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The columns of a table, in the order its view has them. */
export function viewColumns(table: TableModel): GlueColumn[] {
  return [...table.columns, ...table.partitionKeys];
}
