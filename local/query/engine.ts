/**
 * The local query engine: DuckDB, in memory, over the runner's bucket folders. Every Glue table of the assembly is a
 * view named as in Athena (`<database>.<table>`, also `awsdatacatalog.<database>.<table>`); when the tables share
 * one database, it is the default schema, as the query's database is in Athena. One statement per query, as Athena
 * runs; its errors are DuckDB's own messages (`QueryError`).
 */
import { join } from 'path';
import { DuckDbModule, loadDuckDb } from './duckdb';
import { cellValue, JsonValue, QueryResult } from './result';
import { ident, listTableFiles, viewSql } from './views';
import type { TableModel } from '../assembly/table';

/** The query (or a table's view) failed; the message is the engine's. */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

export interface LocalQueryOptions {
  /** The Glue tables (`loadTableModels`), by `<database>.<table>`. */
  readonly tables: ReadonlyMap<string, TableModel>;
  /** The runner's bucket folders: `<data-dir>/s3`. */
  readonly s3Dir: string;
  /** The default database for unqualified table names (default: the one database the tables share, if any). */
  readonly database?: string;
  /** The engine (default: `loadDuckDb()`, which throws `QueryEngineMissingError`). */
  readonly duckdb?: DuckDbModule;
  /** Receives progress lines (tables and the files they read). */
  readonly progress?: (line: string) => void;
}

/**
 * Athena (Trino) behaviour and function names the local engine takes on, so more of Athena's SQL runs unchanged:
 * `/` of two integers is integer division, and a few Trino functions as DuckDB macros. (The README lists the rest.)
 */
export const ATHENA_COMPATIBILITY: readonly string[] = [
  'SET integer_division = true',
  // Trino: from_unixtime(double) → timestamp (UTC); regexp_like(s, p); approx_distinct(x); json_extract_scalar(j, path)
  'CREATE MACRO from_unixtime(s) AS make_timestamp(CAST(round(s * 1000000) AS BIGINT))',
  'CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)',
  'CREATE MACRO approx_distinct(x) AS approx_count_distinct(x)',
  'CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)',
];

/** The catalog name Athena qualifies databases with. */
export const ATHENA_CATALOG = 'awsdatacatalog';

/** Runs one SQL statement over the tables' data in the runner's folders. */
export async function queryLocal(sql: string, options: LocalQueryOptions): Promise<QueryResult> {
  const duckdb = options.duckdb ?? loadDuckDb();
  const instance = await duckdb.DuckDBInstance.create(':memory:', {
    // The engine never downloads extensions (JSON and Parquet are built in).
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'"); // times read and shown in UTC, as Athena does
    await connection.run(`ATTACH ':memory:' AS ${ATHENA_CATALOG}; USE ${ATHENA_CATALOG};`);
    for (const statement of ATHENA_COMPATIBILITY) await connection.run(statement);
    const databases = new Set([...options.tables.values()].map((t) => t.database));
    for (const database of databases) await connection.run(`CREATE SCHEMA ${ident(database)}`);
    for (const table of options.tables.values()) {
      const bucketDir = join(options.s3Dir, table.bucket.folder);
      const files = listTableFiles(table, bucketDir);
      options.progress?.(`${table.qualifiedName}: ${files.length} object(s) under ${join(bucketDir, table.layout.prefix)}`);
      const select = viewSql({ table, files, bucketDir });
      try {
        await connection.run(`CREATE VIEW ${ident(table.database)}.${ident(table.name)} AS ${select}`);
      } catch (e) {
        throw new QueryError(`table ${table.qualifiedName}: ${(e as Error).message}`);
      }
    }
    const database = options.database ?? (databases.size === 1 ? [...databases][0] : undefined);
    if (database !== undefined) await connection.run(`USE ${ATHENA_CATALOG}.${ident(database)}`);

    let statements;
    try {
      statements = await connection.extractStatements(sql);
    } catch (e) {
      throw new QueryError((e as Error).message.replace(/^Failed to extract statements: /, ''));
    }
    if (statements.count !== 1) {
      throw new QueryError(`give one SQL statement (as Athena runs one per query); this text has ${statements.count}`);
    }
    let reader;
    try {
      reader = await connection.runAndReadAll(sql);
    } catch (e) {
      throw new QueryError((e as Error).message);
    }
    const names = reader.columnNames();
    const types = reader.columnTypes().map((t) => String(t));
    const rows = reader.getRowsJson().map((row) => row.map((value, i) => cell(types[i], value as JsonValue)));
    return { columns: names.map((name, i) => ({ name, type: types[i] })), rows };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** DuckDB's JSON form of a value, with wide numbers (given as text) back to numbers where they are exact. */
function cell(type: string, value: JsonValue): JsonValue {
  return typeof value === 'string' ? cellValue(type, value) : value;
}
