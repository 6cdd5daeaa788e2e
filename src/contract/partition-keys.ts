/**
 * Dynamic-partitioning key values: Firehose puts them into S3 keys as they are (`!{partitionKeyFromLambda:<name>}`),
 * so a value from a device (a topic level, a payload field) must not be able to add path levels (`a/b`), climb
 * (`..`), fake a Hive partition (`x=1`), or push the key past S3's 1,024 bytes. A value outside this safe set fails
 * its record (`ProcessingFailed`, the reason logged): Firehose writes the source record under
 * `<errorOutputPrefix>processing-failed/`, and the raw backup keeps it too.
 */

/** The longest partition-key value: thing names are at most 128 characters, and several keys must fit one S3 key. */
export const PARTITION_KEY_VALUE_MAX_LENGTH = 128;

/** The characters of a safe value: letters, digits and `_ - . : @ +` (every AWS IoT thing name fits). */
export const PARTITION_KEY_VALUE_PATTERN = /^[A-Za-z0-9_.:@+-]+$/;

/** The safe set in words, for error messages and documentation. */
export const PARTITION_KEY_VALUE_SAFE_SET =
  `1-${PARTITION_KEY_VALUE_MAX_LENGTH} characters from A-Z a-z 0-9 _ - . : @ +, and not "." or ".."`;

/**
 * Why a partition-key value is not in the safe set, without quoting it (it comes from a device), or undefined when it
 * is safe.
 */
export function partitionKeyValueProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > PARTITION_KEY_VALUE_MAX_LENGTH) return `is ${value.length} characters long (at most ${PARTITION_KEY_VALUE_MAX_LENGTH})`;
  if (value === '.' || value === '..') return 'is "." or ".." (a path segment)';
  if (!PARTITION_KEY_VALUE_PATTERN.test(value)) {
    if (value.includes('/')) return 'contains "/" (it would add S3 key levels)';
    if (value.includes('=')) return 'contains "=" (it would look like a Hive partition)';
    return 'contains a character outside A-Z a-z 0-9 _ - . : @ +';
  }
  return undefined;
}
