/** `AWS::S3::Bucket`: a bucket of the stack, kept as a folder under `<data-dir>/s3/` (or on an S3-compatible endpoint). */
import type { BucketRef, StackReader } from '../stack-reader';

/** The bucket's local name, folder and endpoint name (its properties only decide whether the name is its own). */
export function loadBucket(stack: StackReader, id: string): BucketRef {
  return stack.ownBucket(id);
}
