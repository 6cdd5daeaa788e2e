/**
 * The local query engine's surface for the CLI (`cdk-iot-pipeline query --app`) and the tests: the Glue tables of
 * a cloud assembly, read over the runner's bucket folders with DuckDB. Loads no runner code (broker, CA, Lambda).
 */
export { loadTableModels } from '../assembly/model';
export type { LoadTablesOptions } from '../assembly/model';
export { TableError } from '../assembly/table';
export type { TableModel, GlueColumn } from '../assembly/table';
export { AssemblyError } from '../errors';
export { queryLocal, QueryError, ATHENA_CATALOG } from './engine';
export type { LocalQueryOptions } from './engine';
export { loadDuckDb, QueryEngineMissingError, DUCKDB_INSTALL_COMMAND, DUCKDB_PACKAGE, DUCKDB_VERSION } from './duckdb';
export type { DuckDbModule } from './duckdb';
export { cellValue, isNumericType } from './result';
export type { JsonValue, QueryResult, ResultColumn } from './result';
