/** Defaults of `cdk-iot-pipeline query` (light: the command definition imports it). */

/** The runner's data folder unless given (`DEFAULT_DATA_DIR` of `local/`, which a test compares; not imported: it is heavy). */
export const QUERY_DEFAULT_DATA_DIR = '.iot-local';

/** The cloud assembly unless given. */
export const QUERY_DEFAULT_APP = 'cdk.out';
