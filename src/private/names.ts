import { Token } from 'aws-cdk-lib';
import { GLUE_NAME_PATTERN, WORKGROUP_NAME_PATTERN } from './table-layout';

/** Why a column, struct field or partition key name is not valid for Glue and Athena; undefined when it is. */
export function columnNameProblem(name: string): string | undefined {
  if (Token.isUnresolved(name)) return 'must be known at synth time (no tokens)';
  if (GLUE_NAME_PATTERN.test(name)) return undefined;
  if (GLUE_NAME_PATTERN.test(name.toLowerCase())) {
    return `has uppercase letters, which Glue would lowercase; write "${name.toLowerCase()}" (JSON keys match case-insensitively)`;
  }
  return 'is not a valid name; use 1-255 lowercase letters, digits and "_", starting with a letter or "_"';
}

/** Why a database or table name is not valid; undefined when it is. */
export function tableNameProblem(name: string): string | undefined {
  return columnNameProblem(name);
}

/** Why a workgroup name is not valid; undefined when it is. */
export function workGroupNameProblem(name: string): string | undefined {
  if (Token.isUnresolved(name)) return 'must be known at synth time (no tokens)';
  return WORKGROUP_NAME_PATTERN.test(name) ? undefined : 'is not a valid Athena workgroup name; use 1-128 characters from a-z, A-Z, 0-9, ".", "_" and "-"';
}
