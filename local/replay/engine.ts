/**
 * Local replay: re-runs the records of the runner's bucket folders through the pipeline's current parser — the
 * processing-failed records (`errors/processing-failed/…`) back into the live prefix, or the raw backup into a new
 * prefix (a backfill). It is the replay worker's logic (`src/contract/replay.ts`: plan, read, batch into events of at
 * most 6 MB, split the responses, name the outputs after the source key) over folders instead of S3, with the parser
 * run from its asset by the runner's Lambda runtime (`local/lambda/runtime.ts`), exactly as `cdk-iot-pipeline local`
 * runs it. The runner need not be running.
 *
 * Output keys derive from the source key only, so a second replay of the same objects overwrites what the first wrote.
 */
import { randomUUID } from 'crypto';
import { promises as fsp } from 'fs';
import { join, resolve } from 'path';
import { promisify } from 'util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'zlib';
import {
  buildTransformationEvents, compilePrefix, compressionExtension, emptyReplayCounts, FailedRecord, objectInRange,
  objectNameTime, OkRow, planReplay, ReplayCounts, ReplayInputError, ReplayLayout, replayObjectName, replayOutputs,
  ReplayPlan, ReplaySource, readReplayObject, splitParserResponse,
} from '../../src/contract';
import { BucketRef, LocalModel, loadModel, StreamModel } from '../assembly/model';
import { AssemblyError, RunnerError } from '../errors';
import { createInvoker, InvocationError, Invoker, stageFunctionCode } from '../lambda/runtime';
import { LocalS3Api } from '../s3/api';
import { randomRunCredentials } from '../s3/sigv4';
import { FolderSink } from '../s3/sinks';

const gunzip = promisify(gunzipCb);
const gzip = promisify(gzipCb);

/** The first hour of a replay whose `from` is not given: everything the folders keep. */
export const REPLAY_EARLIEST_HOUR = '1970-01-01T00';

/** What to replay. */
export interface LocalReplayOptions {
  /** The cloud assembly (cdk.out). */
  readonly app: string;
  /** The runner's data dir (its `s3/` folders hold the objects). */
  readonly dataDir: string;
  /** Only this stack's pipelines. */
  readonly stack?: string;
  /** The pipeline (its construct id) when the assembly holds several with a parser. */
  readonly pipeline?: string;
  readonly source: string;
  /** First hour (ISO 8601 UTC). @default REPLAY_EARLIEST_HOUR */
  readonly from?: string;
  /** Last hour (ISO 8601 UTC), inclusive. @default the current hour */
  readonly to?: string;
  readonly outputPrefix?: string;
  /** List what would be read and written; invoke nothing, write nothing. */
  readonly dryRun?: boolean;
  /** Objects replayed at the same time. @default 4 */
  readonly concurrency?: number;
  /** Progress lines. */
  readonly progress?: (line: string) => void;
  /** The clock (epoch ms) for the default `to` and `attemptEndingTimestamp`. */
  readonly now?: () => number;
}

/** What a replay did (or, dry, would do): the same fields `replay --stack` prints. */
export interface ReplaySummary {
  readonly mode: 'local';
  readonly dryRun: boolean;
  readonly pipeline: string;
  readonly source: ReplaySource;
  readonly from: string;
  readonly to: string;
  /** The bucket (folder) read and the prefix listed. */
  readonly sourceBucket: string;
  readonly listPrefix: string;
  /** Where `Ok` rows go. */
  readonly outputPrefix: string;
  readonly counts: ReplayCounts;
  /** Lines of source objects that were not records (skipped), with their object. */
  readonly problems: string[];
  /** Dry run: the objects that would be read. */
  readonly read?: string[];
  /** Dry run: the key prefixes and names the rows of each object would be written to. */
  readonly write?: string[];
}

/** A replay that cannot run as asked; the message says what to change. */
export class LocalReplayError extends RunnerError {
  constructor(message: string) {
    super(message);
    this.name = 'LocalReplayError';
  }
}

/** Runs a replay over the runner's folders; resolves with its summary. */
export async function replayLocal(options: LocalReplayOptions): Promise<ReplaySummary> {
  const dataDir = resolve(options.dataDir);
  const now = options.now ?? Date.now;
  const model = loadModel({ app: options.app, stack: options.stack });
  const stream = selectStream(model, options.pipeline);
  const layout = replayLayoutOf(stream);
  const from = options.from ?? REPLAY_EARLIEST_HOUR;
  const to = options.to ?? new Date(now()).toISOString().slice(0, 13);
  let plan: ReplayPlan;
  try {
    const input = { source: options.source, from, to, ...(options.outputPrefix === undefined ? {} : { outputPrefix: options.outputPrefix }) };
    plan = planReplay(input, layout);
  } catch (e) {
    if (e instanceof ReplayInputError) throw new LocalReplayError(cliWording(e.message));
    throw e;
  }
  const bucket = bucketOf(stream, plan.sourceBucket);
  const sink = new FolderSink(join(dataDir, 's3'));
  const listed = await listKeys(sink.bucketDir(bucket), plan.listPrefix);
  const keys = listed.filter((k) => objectInRange(k, plan));
  // Listed under the prefix but outside the hours (or not named as Firehose names objects): not replayed.
  const skipped = listed.length - keys.length;
  const base = {
    mode: 'local' as const,
    pipeline: stream.path,
    source: plan.source,
    from,
    to,
    sourceBucket: bucket.folder,
    listPrefix: plan.listPrefix,
    outputPrefix: plan.outputPrefix,
  };
  if (options.dryRun) {
    const data = compilePrefix(plan.outputPrefix, { dynamicPartitioning: layout.dynamicPartitioning });
    const write = keys.map((k) => data.renderPredictable({ timestamp: objectNameTime(k)!, timeZone: layout.timeZone })
      + (data.partitionKeys.length > 0 ? '…/' : '') + replayObjectName(k, layout.extension));
    const counts = { ...emptyReplayCounts(), objectsRead: keys.length, objectsSkipped: skipped };
    return { ...base, dryRun: true, counts, problems: [], read: keys, write };
  }
  const counts = { ...emptyReplayCounts(), objectsSkipped: skipped };
  const problems: string[] = [];
  if (keys.length === 0) return { ...base, dryRun: false, counts, problems };

  const loaded = model.functions.get(stream.processor!.functionArn);
  if (!loaded) throw new AssemblyError(`${stream.path}: the parser function ${stream.processor!.functionArn} is not in the assembly`);
  // A parser in direct mode writes its own objects: it reaches the same folders through the loopback S3 API.
  // (with the run's own keys, which that API alone accepts, as in the runner)
  const fn = stageFunctionCode(loaded, join(dataDir, 'runtime'));
  const credentials = randomRunCredentials();
  const s3Api = await LocalS3Api.start(sink, model.buckets, () => undefined, credentials);
  let invoker: Invoker | undefined;
  try {
    invoker = createInvoker(fn, join(dataDir, 'logs'), { AWS_ENDPOINT_URL_S3: s3Api.endpoint }, credentials);
    const worker = new ObjectReplayer(stream, layout, plan, sink, invoker, now);
    let next = 0;
    let done = 0;
    const lane = async () => {
      while (next < keys.length) {
        const key = keys[next++];
        const result = await worker.replay(bucket, key);
        addInto(counts, result.counts);
        problems.push(...result.problems.map((p) => `${key}: ${p}`));
        done++;
        if (done % 100 === 0 || done === keys.length) options.progress?.(`${done}/${keys.length} objects, ${counts.recordsRead} records read`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, keys.length)) }, lane));
  } finally {
    await invoker?.close();
    await s3Api.close();
  }
  return { ...base, dryRun: false, counts, problems };
}

function addInto(a: ReplayCounts, b: ReplayCounts): void {
  for (const k of Object.keys(a) as Array<keyof ReplayCounts>) a[k] += b[k];
}

/** The contract's input field names, as the CLI's options name them. */
function cliWording(message: string): string {
  return message.replace(/"outputPrefix"/g, '--output-prefix').replace(/"source"/g, '--source').replace(/"from"/g, '--from').replace(/"to"/g, '--to');
}

/** The pipeline to replay: the one stream with a parser, or the one `pipeline` names. */
export function selectStream(model: LocalModel, pipeline?: string): StreamModel {
  const withParser = [...model.streams.values()].filter((s) => s.processor !== undefined);
  const id = (s: StreamModel) => s.path.split('/').slice(1, -1).join('/');
  if (pipeline !== undefined) {
    const match = withParser.filter((s) => s.path.split('/').includes(pipeline));
    if (match.length === 1) return match[0];
    throw new LocalReplayError(`No pipeline "${pipeline}" with a parser in the assembly; give --pipeline one of: ${withParser.map(id).join(', ') || '(none)'}.`);
  }
  if (withParser.length === 1) return withParser[0];
  if (withParser.length === 0) throw new LocalReplayError('The assembly has no delivery stream with a parser (a Lambda processor): nothing to replay through.');
  throw new LocalReplayError(`The assembly holds ${withParser.length} pipelines with a parser; choose one with --pipeline (${withParser.map(id).join(', ')}).`);
}

/** The contract's layout of a local stream: its folders, prefixes and extensions. */
export function replayLayoutOf(stream: StreamModel): ReplayLayout {
  if (stream.conversion) {
    throw new LocalReplayError(`${stream.path}: the stream converts records to Parquet; the local replay writes the parser's rows as they are and does not convert (replay it with --stack in AWS).`);
  }
  const d = stream.destination;
  return {
    parsedBucket: d.bucket.folder,
    rawBucket: stream.backup?.bucket.folder,
    dataOutputPrefix: d.prefix.source,
    errorOutputPrefix: d.errorPrefix.source,
    backupPrefix: stream.backup?.prefix.source,
    dynamicPartitioning: stream.dynamicPartitioning,
    timeZone: d.timeZone,
    extension: d.extension,
    errorExtension: compressionExtension(d.compression),
  };
}

function bucketOf(stream: StreamModel, folder: string): BucketRef {
  if (stream.destination.bucket.folder === folder) return stream.destination.bucket;
  return stream.backup!.bucket;
}

/**
 * The keys of the objects in a bucket folder that start with `prefix`, sorted; only the folders on the prefix's path
 * are walked. Temp files of a write in progress (`.<hex>.tmp`) are not objects.
 */
export async function listKeys(bucketDir: string, prefix: string): Promise<string[]> {
  const slash = prefix.lastIndexOf('/');
  const startDir = slash < 0 ? '' : prefix.slice(0, slash + 1);
  const out: string[] = [];
  const walk = async (dirKey: string): Promise<void> => {
    let entries: import('fs').Dirent[];
    try {
      entries = await fsp.readdir(join(bucketDir, ...dirKey.split('/').filter((s) => s !== '')), { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const entry of entries) {
      const key = dirKey + entry.name;
      if (entry.isDirectory()) {
        const asDir = key + '/';
        if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) await walk(asDir);
      } else if (!(entry.name.startsWith('.') && entry.name.endsWith('.tmp')) && key.startsWith(prefix)) {
        out.push(key);
      }
    }
  };
  await walk(startDir);
  return out.sort();
}

/** Replays one object at a time: read, events, parser, outputs — the worker's steps. */
class ObjectReplayer {
  constructor(
    private readonly stream: StreamModel,
    private readonly layout: ReplayLayout,
    private readonly plan: ReplayPlan,
    private readonly sink: FolderSink,
    private readonly invoker: Invoker,
    private readonly now: () => number,
  ) {}

  public async replay(bucket: BucketRef, key: string): Promise<{ counts: ReplayCounts; problems: string[] }> {
    const counts = emptyReplayCounts();
    const raw = await fsp.readFile(this.sink.describe(bucket, key));
    // GZIP by its magic bytes: the backup and the error output may be compressed, or not, whatever the key says.
    const body = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? await gunzip(raw) : raw;
    const { records, problems } = readReplayObject(this.plan.source, body, objectNameTime(key)!);
    counts.objectsRead = 1;
    counts.recordsRead = records.length;
    const { batches, tooLarge } = buildTransformationEvents(records, {
      deliveryStreamArn: this.stream.arn,
      region: this.stream.region,
      invocationId: () => randomUUID(),
    });
    const ok: OkRow[] = [];
    const failed: FailedRecord[] = tooLarge.map((record) => ({
      record, errorCode: 'Replay.RecordTooLarge', errorMessage: 'The record alone makes an event larger than the 6 MB Lambda accepts',
    }));
    for (const batch of batches) {
      const response = await this.invoke(batch.event);
      const split = 'failed' in response
        ? { ok: [], dropped: 0, failed: batch.records.map((record) => ({ record, ...response.failed })) }
        : splitParserResponse(batch, response.response);
      ok.push(...split.ok);
      counts.dropped += split.dropped;
      failed.push(...split.failed);
    }
    const outputs = replayOutputs(ok, failed, {
      sourceKey: key,
      outputPrefix: this.plan.outputPrefix,
      errorOutputPrefix: this.plan.errorOutputPrefix,
      dynamicPartitioning: this.layout.dynamicPartitioning,
      timeZone: this.layout.timeZone,
      extension: this.layout.extension,
      errorExtension: this.layout.errorExtension,
      lambdaArn: this.stream.processor!.lambdaArn,
      now: this.now(),
    });
    const target = this.stream.destination;
    for (const o of [...outputs.data, ...outputs.errors]) {
      const out = target.compression === 'GZIP' ? await gzip(o.body) : o.body;
      await this.sink.put(target.bucket, o.key, out);
    }
    counts.ok = outputs.data.reduce((n, o) => n + o.records, 0);
    counts.failedAgain = outputs.errors.reduce((n, o) => n + o.records, 0);
    counts.objectsWritten = outputs.data.length + outputs.errors.length;
    return { counts, problems };
  }

  /** Invokes the parser, retried as the stream's processor is (NumberOfRetries); a failure fails the batch's records. */
  private async invoke(event: unknown): Promise<{ response: unknown } | { failed: { errorCode: string; errorMessage: string } }> {
    const attempts = this.stream.processor!.retries + 1;
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return { response: await this.invoker.invoke(event) };
      } catch (e) {
        if (!(e instanceof InvocationError)) throw e;
        last = `The Lambda function was successfully invoked but it returned an error result: ${e.errorType}: ${e.message}`;
      }
    }
    return { failed: { errorCode: 'Lambda.FunctionError', errorMessage: last } };
  }
}
