/** `AWS::S3::Bucket`: a bucket of the stack, kept as a folder under `<data-dir>/s3/` (or on an S3-compatible endpoint). */
import { endpointBucketName } from '../cloud-assembly';
import { BucketRef, sanitizeFolder, StackReader } from '../stack-reader';

/** The properties the runner reads (values may still be intrinsics). */
export interface CfnBucketProperties {
  readonly BucketName?: unknown;
}

/**
 * The bucket's local name (BucketName, else its logical id), its folder (the logical id, or `<stack>-<logical id>`
 * when another stack run with it has the same id) and its name on an S3-compatible endpoint.
 */
export function loadBucket(stack: StackReader, id: string, props: CfnBucketProperties): BucketRef {
  const name = stack.physicalName(id);
  const qualifiedId = stack.qualified.has(id) ? `${stack.stack.stackName}-${id}` : id;
  const folder = stack.qualified.has(id) ? sanitizeFolder(qualifiedId) : id;
  const explicit = props.BucketName !== undefined;
  return { name, folder, endpointName: explicit || stack.endpointBucketNames ? name : endpointBucketName(qualifiedId) };
}
