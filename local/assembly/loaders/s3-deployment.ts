/**
 * `Custom::CDKBucketDeployment` (aws-cdk-lib's `BucketDeployment`): files the stack copies into a bucket when it is
 * deployed — for the pipeline, the FileDescriptorSet `decode(*, 'proto', …)` reads. The runner copies the same files
 * into the bucket (its folder, or the S3-compatible endpoint) at start (local/s3/deployments.ts).
 *
 * In the template the sources are asset objects (`SourceObjectKeys`: `<asset hash>.zip` in the bootstrap bucket); the
 * cloud assembly holds each asset staged: a directory (zipped only when it is published) or a `.zip` file. The
 * properties are those of aws-cdk-lib's bucket-deployment handler: `DestinationBucketName`,
 * `DestinationBucketKeyPrefix` (default none), `Extract` (default true: the archive's files, else the archive itself
 * as one object named after the source key), `SourceMarkers` (per source, the deploy-time values to put in place of
 * their markers in its files).
 */
import { existsSync, statSync } from 'fs';
import { basename, join } from 'path';
import { readBoolean } from '../stack-reader';
import type { BucketRef, StackReader } from '../stack-reader';

/** The properties the runner reads (values may still be intrinsics). */
export interface CfnBucketDeploymentProperties {
  readonly SourceObjectKeys?: unknown;
  readonly DestinationBucketName?: unknown;
  readonly DestinationBucketKeyPrefix?: unknown;
  readonly Extract?: unknown;
  readonly SourceMarkers?: unknown;
}

/** One source of a deployment: a staged asset of the cloud assembly. */
export interface DeploymentSource {
  /** The source object's key in the assets bucket (`<hash>.zip`). */
  readonly objectKey: string;
  /** The staged asset: a directory, or a `.zip` file. */
  readonly path: string;
  readonly isDirectory: boolean;
  /**
   * `SourceMarkers`: the deploy-time values (`Source.data`/`jsonData` with tokens) to put in place of their markers
   * in the source's files, resolved as the runner resolves the template.
   */
  readonly markers: Readonly<Record<string, string>>;
}

export interface BucketDeploymentModel {
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  readonly bucket: BucketRef;
  /** `DestinationBucketKeyPrefix`, with its trailing `/` as given ('' for none). */
  readonly prefix: string;
  /** Copy the archive's files (true) or the archive itself. */
  readonly extract: boolean;
  readonly sources: readonly DeploymentSource[];
}

/** The deployment, its sources found among the assembly's assets; fails naming a source that is not there. */
export function loadBucketDeployment(stack: StackReader, id: string, props: CfnBucketDeploymentProperties): BucketDeploymentModel {
  const bucket = stack.bucket(props.DestinationBucketName, id, 'DestinationBucketName', false);
  const prefix = props.DestinationBucketKeyPrefix === undefined ? '' : stack.resolveString(props.DestinationBucketKeyPrefix, 'DestinationBucketKeyPrefix');
  const keys = stack.resolve(props.SourceObjectKeys ?? []);
  if (!Array.isArray(keys)) stack.fail(id, 'SourceObjectKeys is not a list');
  const markerLists = Array.isArray(props.SourceMarkers) ? props.SourceMarkers as unknown[] : [];
  const sources = (keys as unknown[]).map((key, i) => {
    const objectKey = String(key);
    const hash = basename(objectKey).replace(/\.zip$/, '');
    const path = stack.stack.assets.get(hash) ?? join(stack.stack.dir, `asset.${hash}`);
    if (!existsSync(path)) {
      stack.fail(id, `its source ${objectKey} is not an asset of the cloud assembly (looked for ${path}); synthesize the app again`);
    }
    const markers: Record<string, string> = {};
    for (const [marker, value] of Object.entries((markerLists[i] ?? {}) as Record<string, unknown>)) {
      try {
        markers[marker] = stack.resolveString(value, `SourceMarkers ${marker}`);
      } catch (e) {
        // a deploy-time value the runner cannot resolve: the files keep the marker, the rest of the stack still runs
        stack.warn(id, `the deploy-time value of ${marker} in ${objectKey} is not resolvable locally (${(e as Error).message}); the file keeps the marker`);
      }
    }
    return { objectKey, path, isDirectory: statSync(path).isDirectory(), markers };
  });
  return {
    stack: stack.name,
    logicalId: id,
    path: stack.pathOf(id),
    bucket,
    prefix,
    extract: readBoolean(props.Extract, true),
    sources,
  };
}
