import { Aws, Duration, RemovalPolicy, Size, Token } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ABORT_INCOMPLETE_UPLOADS_DAYS, LIFECYCLE_DEFAULT_DAYS } from '../storage';
import { WorkGroupOptions } from '../table';
import { createAccessLogsBucket, logInto } from './access-logs';
import { hardenedBucketProps } from './hardened-bucket';
import { workGroupNameProblem } from './names';
import { ATHENA_MIN_BYTES_SCANNED_CUTOFF } from './table-layout';
import { invalid } from './validation';

/** What the workgroup is made for. */
export interface QueryWorkGroupProps {
  readonly options: WorkGroupOptions;
  readonly databaseName: string;
  readonly tableName: string;
  readonly encryptionKey?: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  /** The pipeline's server-access-log bucket, when it created one. */
  readonly accessLogsBucket?: s3.IBucket;
}

/** The workgroup and where its results go. */
export interface QueryWorkGroup {
  readonly workGroup: athena.CfnWorkGroup;
  readonly workGroupName: string;
  readonly resultsBucket: s3.IBucket;
}

/** Athena engine 3 (Trino): the SQL the README documents. Pinned so that a new engine is a deliberate change. */
const ENGINE_VERSION = 'Athena engine version 3';

/**
 * The Athena workgroup of a pipeline's table: results in a hardened bucket that expires them, encrypted with the
 * pipeline's key (SSE-KMS) or SSE-S3, settings enforced on every query, CloudWatch metrics, a bytes-scanned cutoff.
 */
export function createQueryWorkGroup(pipeline: Construct, props: QueryWorkGroupProps): QueryWorkGroup {
  const options = props.options;
  const workGroupName = options.name ?? `${props.databaseName}-${props.tableName}`.slice(0, 128);
  const problem = workGroupNameProblem(workGroupName);
  if (problem) invalid(pipeline, 'table.workGroup.name', `"${workGroupName}" ${problem}.`);

  const cutoff = options.bytesScannedCutoffPerQuery ?? Size.gibibytes(10);
  const cutoffBytes = cutoff.toBytes();
  if (!Token.isUnresolved(cutoffBytes) && cutoffBytes < ATHENA_MIN_BYTES_SCANNED_CUTOFF) {
    invalid(pipeline, 'table.workGroup.bytesScannedCutoffPerQuery', `${cutoffBytes} bytes is below Athena's minimum of ${ATHENA_MIN_BYTES_SCANNED_CUTOFF} bytes (10 MB); give Size.mebibytes(10) or more.`);
  }
  const expiration = options.resultsExpiration ?? Duration.days(30);
  const expirationDays = expiration.toDays({ integral: false });
  if (!Token.isUnresolved(expirationDays) && (!Number.isInteger(expirationDays) || expirationDays < 1)) {
    invalid(pipeline, 'table.workGroup.resultsExpiration', `${expiration.toHumanString()} is not a whole number of days; S3 lifecycle rules expire objects after 1 or more whole days.`);
  }

  const resultsBucket = options.resultsBucket ?? resultsBucketOf(pipeline, props, expiration);
  const key = props.encryptionKey;
  const workGroup = new athena.CfnWorkGroup(pipeline, 'QueryWorkGroup', {
    name: workGroupName,
    description: `Queries over ${props.databaseName}.${props.tableName} (cdk-iot-core-firehose-pipeline)`,
    state: 'ENABLED',
    // The workgroup holds no data (results live in the bucket): deleting the stack deletes it with its query history.
    recursiveDeleteOption: true,
    workGroupConfiguration: {
      enforceWorkGroupConfiguration: true,
      publishCloudWatchMetricsEnabled: true,
      bytesScannedCutoffPerQuery: cutoffBytes,
      requesterPaysEnabled: false,
      engineVersion: { selectedEngineVersion: ENGINE_VERSION },
      resultConfiguration: {
        outputLocation: `s3://${resultsBucket.bucketName}/`,
        encryptionConfiguration: key
          ? { encryptionOption: 'SSE_KMS', kmsKey: key.keyArn }
          : { encryptionOption: 'SSE_S3' },
        expectedBucketOwner: options.resultsBucket ? undefined : Aws.ACCOUNT_ID,
      },
    },
  });
  return { workGroup, workGroupName, resultsBucket };
}

/** A bucket with the settings of the pipeline's own buckets, whose results expire. */
function resultsBucketOf(pipeline: Construct, props: QueryWorkGroupProps, expiration: Duration): s3.IBucket {
  // The pipeline created no bucket of its own (both were given): the results bucket needs a log bucket too.
  const accessLogs = props.accessLogsBucket ?? createAccessLogsBucket(pipeline, 'QueryResultsAccessLogsBucket', {
    removalPolicy: props.removalPolicy,
    expiration: Duration.days(LIFECYCLE_DEFAULT_DAYS.accessLogExpiration),
    noncurrentVersions: {
      id: 'expire-noncurrent-versions',
      noncurrentVersionExpiration: Duration.days(LIFECYCLE_DEFAULT_DAYS.noncurrentVersionExpiration),
      expiredObjectDeleteMarker: true,
      abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOADS_DAYS),
    },
  });
  const key = props.encryptionKey;
  const results = new s3.Bucket(pipeline, 'QueryResultsBucket', hardenedBucketProps({
    removalPolicy: props.removalPolicy,
    encryptionKey: key,
    lifecycleRules: [{
      id: 'expire-query-results',
      expiration,
      noncurrentVersionExpiration: Duration.days(1),
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    }],
  }));
  logInto(results, accessLogs, 'query-results-bucket/');
  return results;
}
