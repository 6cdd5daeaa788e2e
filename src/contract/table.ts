/**
 * The queryable table of a pipeline (`table` prop): the construct creates a Glue database and table and an Athena
 * workgroup and names them in stack outputs; `cdk-iot-pipeline query --stack` reads the outputs, and the local
 * runner's `query --app` reads the same table from the synthesized template.
 */

/** The construct id of each table output (per pipeline, like `PIPELINE_OUTPUT_IDS`). */
export const TABLE_OUTPUT_IDS = {
  databaseName: 'DatabaseNameOutput',
  tableName: 'TableNameOutput',
  workGroupName: 'WorkGroupNameOutput',
} as const;

/** A table output, by what it holds. */
export type TableOutputName = keyof typeof TABLE_OUTPUT_IDS;
