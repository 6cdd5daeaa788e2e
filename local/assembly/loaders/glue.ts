/**
 * `AWS::Glue::Table`: the table the local query engine reads and record format conversion takes its schema from
 * (the table model itself is in ../table.ts).
 */
import type { StackReader } from '../stack-reader';
import { loadTable, TableModel } from '../table';

/** The properties the runner reads (values may still be intrinsics). */
export interface CfnGlueTableProperties {
  readonly DatabaseName?: unknown;
  readonly TableInput?: unknown;
}

/** The table; a location that is not in S3 or cannot be resolved throws (the caller names the resource). */
export function loadGlueTable(stack: StackReader, id: string, props: CfnGlueTableProperties): TableModel {
  return loadTable({
    database: stack.resolveString(props.DatabaseName, 'DatabaseName'),
    stack: stack.name,
    logicalId: id,
    path: stack.pathOf(id),
    input: stack.resolve(props.TableInput ?? {}) as Record<string, any>,
    bucketOf: (name) => stack.bucket(name, id, 'StorageDescriptor.Location', false),
  });
}
