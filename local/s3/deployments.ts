/**
 * The stacks' BucketDeployments at the runner's start: each source's files copied into the destination bucket under
 * its key prefix, as aws-cdk-lib's bucket-deployment handler does when the stack is deployed (the loader:
 * local/assembly/loaders/s3-deployment.ts). And the reader `decode(*, 'proto', …)` reads the buckets with
 * (`BucketObjects`): the bucket folders, and with `--s3-endpoint` the deployed files kept in memory.
 *
 * A staged asset is a directory, copied file by file (its zip exists only once published). A `.zip` asset is copied
 * as it is when the deployment does not extract it; extracting one locally is not done (reported at start): give
 * `Source.asset` a directory instead.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { basename, join, relative, sep } from 'path';
import { keyToPath, ObjectSink } from './sinks';
import type { BucketDeploymentModel, BucketRef } from '../assembly/model';
import { sanitizeFolder } from '../assembly/stack-reader';
import type { ObjectReader } from '../iot/sql';

/** Files deployed, kept in memory for the reader when the buckets are not folders (at most this size each). */
const KEPT_BYTES = 64 * 1024;

/** What the deployments wrote: `<bucket name>\0<key>` → bytes of the small files (for `BucketObjects`). */
export type DeployedObjects = Map<string, Buffer>;

/** The files of a directory, relative paths with `/`. */
function filesOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * A file with each marker replaced by its value, byte for byte elsewhere (as the deployment handler replaces them in
 * every file of the source); the file itself when the source has no markers.
 */
function withMarkers(body: Buffer, markers: Readonly<Record<string, string>>): Buffer {
  const entries = Object.entries(markers);
  if (entries.length === 0) return body;
  let text = body.toString('latin1'); // one character per byte: markers are ASCII, the rest is kept as it is
  for (const [marker, value] of entries) text = text.split(marker).join(Buffer.from(value, 'utf8').toString('latin1'));
  return Buffer.from(text, 'latin1');
}

/** Copies every deployment's files into its bucket; returns the small ones by bucket and key. */
export async function deployToBuckets(
  deployments: readonly BucketDeploymentModel[], sink: ObjectSink, log: (line: string) => void,
): Promise<DeployedObjects> {
  const deployed: DeployedObjects = new Map();
  for (const d of deployments) {
    let count = 0;
    for (const source of d.sources) {
      const objects: Array<[string, () => Buffer]> = [];
      if (source.isDirectory && d.extract) {
        for (const file of filesOf(source.path)) {
          objects.push([d.prefix + file, () => withMarkers(readFileSync(join(source.path, file)), source.markers)]);
        }
      } else if (!source.isDirectory && !d.extract) {
        objects.push([d.prefix + basename(source.objectKey), () => readFileSync(source.path)]);
      } else {
        log(`warning: ${d.path}: its source ${source.path} is ${source.isDirectory ? 'a directory and the deployment does not extract it' : 'a .zip the deployment extracts'}; `
          + 'the local runner copies directories file by file and .zip files unextracted only, so this source is not in the bucket. Give Source.asset a directory.');
        continue;
      }
      for (const [key, read] of objects) {
        const body = read();
        // The runner's rules read a small deployed file from memory (below), so a bucket that refuses the write
        // (an --s3-endpoint that is down) costs a warning, not the start: the broker and the journal still take messages.
        if (body.length <= KEPT_BYTES) deployed.set(`${d.bucket.name}\u0000${key}`, body);
        try {
          await sink.put(d.bucket, key, body);
          count++;
        } catch (e) {
          log(`warning: ${d.path}: could not write ${key} to ${sink.describe(d.bucket, '')} (${(e as Error).message}); `
            + `it is not in the bucket${body.length <= KEPT_BYTES ? ', and the rules read it from the stack\'s asset meanwhile' : ''}. Restart the runner when the bucket takes writes.`);
        }
      }
    }
    log(`s3: ${d.path}: deployed ${count} object(s) to ${sink.describe(d.bucket, d.prefix)}`);
  }
  return deployed;
}

/** The buckets as `decode(*, 'proto', …)` reads them: the deployed files, else the bucket folders. */
export class BucketObjects implements ObjectReader {
  constructor(
    private readonly s3Root: string,
    private readonly buckets: ReadonlyMap<string, BucketRef>,
    private readonly deployed: DeployedObjects,
  ) {}

  public version(bucket: string, key: string): string | undefined {
    const path = this.path(bucket, key);
    try {
      const stat = statSync(path);
      return stat.isFile() ? `${stat.size}:${stat.mtimeMs}` : undefined;
    } catch {
      return this.deployed.has(`${bucket}\u0000${key}`) ? 'deployed' : undefined;
    }
  }

  public read(bucket: string, key: string): Buffer | undefined {
    try {
      return readFileSync(this.path(bucket, key));
    } catch {
      return this.deployed.get(`${bucket}\u0000${key}`);
    }
  }

  private path(bucket: string, key: string): string {
    return join(this.s3Root, this.buckets.get(bucket)?.folder ?? sanitizeFolder(bucket), keyToPath(key));
  }
}
