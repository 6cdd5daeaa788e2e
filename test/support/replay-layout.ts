/**
 * The replay layout of a pipeline with the construct's defaults (prefixes, no dynamic partitioning, gzip), for the
 * tests of the replay logic and of the replay worker; each names its own buckets.
 */
import {
  DEFAULT_BACKUP_PREFIX, DEFAULT_DATA_OUTPUT_PREFIX, DEFAULT_ERROR_OUTPUT_PREFIX, ReplayLayout,
} from '../../src/contract';

export function defaultReplayLayout(buckets: { readonly parsedBucket: string; readonly rawBucket: string }): ReplayLayout {
  return {
    parsedBucket: buckets.parsedBucket,
    rawBucket: buckets.rawBucket,
    dataOutputPrefix: DEFAULT_DATA_OUTPUT_PREFIX,
    errorOutputPrefix: DEFAULT_ERROR_OUTPUT_PREFIX,
    backupPrefix: DEFAULT_BACKUP_PREFIX,
    dynamicPartitioning: false,
    extension: '.json.gz',
    errorExtension: '.gz',
  };
}
