/** Default prefix of parsed objects (Hive-style hourly partitions, UTC). */
export const DEFAULT_DATA_OUTPUT_PREFIX = 'parsed/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
/** Default prefix of records Firehose could not process or deliver. */
export const DEFAULT_ERROR_OUTPUT_PREFIX = 'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
/** Default prefix of the raw source-record backup. */
export const DEFAULT_BACKUP_PREFIX = 'raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
/** Default error prefix of the raw source-record backup. */
export const DEFAULT_BACKUP_ERROR_PREFIX = 'raw-errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
/** Key prefix of the IoT rule's error action in the raw bucket. */
export const RULE_ERRORS_PREFIX = 'iot-rule-errors/';
