/**
 * Replay: re-running records through the pipeline's current parser — the logic the replay worker Lambda (in AWS)
 * and `cdk-iot-pipeline replay` (locally) share, so both read, batch, split and name objects the same way.
 *
 * Nothing here touches AWS, the file system or a compression library: callers pass bytes in (already gunzipped) and
 * take bytes out (to gzip themselves).
 *
 * What AWS documents and this module follows:
 * - A processing-failed record is one JSON object `{attemptsMade, arrivalTimestamp, errorCode, errorMessage,
 *   attemptEndingTimestamp, rawData (base64), lambdaArn}` under the error output prefix with
 *   `!{firehose:error-output-type}` = `processing-failed`
 *   (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html).
 * - The transformation event is `{invocationId, deliveryStreamArn, region, records: [{recordId,
 *   approximateArrivalTimestamp, data}]}`; the response `{records: [{recordId, result, data, metadata?}]}` with
 *   result `Ok` | `Dropped` | `ProcessingFailed`; request and response each at most 6 MB
 *   (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html,
 *   https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 * - The raw backup keeps the untransformed records as the rule wrote them, one after the other; the topic rule ends
 *   each with `FIREHOSE_ACTION_SEPARATOR` (`\n`), so a raw object splits into records at that separator.
 * - `!{timestamp:…}` renders the approximate arrival time of the oldest record of an object, and object names are
 *   `<stream>-<version>-YYYY-MM-dd-HH-mm-ss-<random>` (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html,
 *   https://docs.aws.amazon.com/firehose/latest/dev/basic-deliver.html).
 *
 * Where AWS is silent, the choices are:
 * - A raw backup record has no arrival time of its own: it gets the time in its object's name (the oldest record's,
 *   so the record lands in the hour its backup object is filed under).
 * - Objects, not records, are the unit of a time range: an object is replayed when the time in its name lies in
 *   `[from, to + 1 h)`; every record of it goes under its own original arrival hour.
 * - Output keys derive from the source key (`<rendered prefix><source name>-replay-<hash><extension>`): replaying the
 *   same object twice overwrites the same keys instead of adding rows twice.
 */
import { decodeBase64Strict } from './base64';
import { RECORD_RESULTS, RecordResult, RESPONSE_LIMIT_BYTES } from './parser';
import { partitionKeyValueProblem } from './partition-keys';
import { CompiledPrefix, compilePrefix, ERROR_OUTPUT_TYPES, PrefixError } from './prefixes';
import { FIREHOSE_ACTION_SEPARATOR } from './topics';

/** What a replay reads: the records the parser failed, or the raw backup (a backfill). */
export const REPLAY_SOURCES = ['processing-failed', 'raw'] as const;
/** A replay source. */
export type ReplaySource = (typeof REPLAY_SOURCES)[number];

/** The `!{firehose:error-output-type}` of records that failed again during a replay. */
export const REPLAY_FAILED_OUTPUT_TYPE = 'replay-failed';

/** Where a raw backfill may write unless the construct is told otherwise (the worker may write nowhere else). */
export const DEFAULT_BACKFILL_ROOT = 'backfill/';

/** The stack output with the replay state machine's ARN (the CLI finds the state machine by it). */
export const REPLAY_OUTPUT_IDS = {
  stateMachineArn: 'ReplayStateMachineArnOutput',
} as const;
/** The description of that output: how tools recognise it when the id was overridden. */
export const REPLAY_STATE_MACHINE_OUTPUT_DESCRIPTION = 'Replay state machine (cdk-iot-pipeline replay --stack)';

/** Environment variables the construct sets on the replay worker. */
export const REPLAY_WORKER_ENV = {
  /** The parser function to invoke (its ARN). */
  parserFunction: 'REPLAY_PARSER_FUNCTION',
  /** The delivery stream's ARN, put into the rebuilt events as `deliveryStreamArn`. */
  deliveryStreamArn: 'REPLAY_DELIVERY_STREAM_ARN',
  /** JSON of `ReplayLayout`. */
  layout: 'REPLAY_LAYOUT',
} as const;

/** How the pipeline lays out its buckets: what the replay reads and writes. */
export interface ReplayLayout {
  /** The parsed bucket's name (destination, error output). */
  readonly parsedBucket: string;
  /** The raw bucket's name (backup); absent without a raw backup. */
  readonly rawBucket?: string;
  /** The live data output prefix. */
  readonly dataOutputPrefix: string;
  /** The error output prefix. */
  readonly errorOutputPrefix: string;
  /** The raw backup prefix; absent without a raw backup. */
  readonly backupPrefix?: string;
  /** The stream partitions dynamically. */
  readonly dynamicPartitioning: boolean;
  /** The stream's time zone (IANA). @default UTC */
  readonly timeZone?: string;
  /** The extension of the data objects Firehose writes, including the compression suffix (e.g. `.json.gz`). */
  readonly extension: string;
  /** The extension of error objects: the compression suffix only (e.g. `.gz`), as Firehose names them. */
  readonly errorExtension: string;
  /** Where a raw backfill may write (`outputPrefix` must start with it). @default DEFAULT_BACKFILL_ROOT */
  readonly backfillRoot?: string;
  /** The largest event the worker sends the parser, in bytes (at most 6,000,000). @default RESPONSE_LIMIT_BYTES */
  readonly eventLimitBytes?: number;
}

/** An execution input that cannot be replayed; the message says what to change. */
export class ReplayInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayInputError';
  }
}

/** The execution input: `{source, from, to, outputPrefix?}` (hours as ISO 8601, e.g. `2026-03-04T05`). */
export interface ReplayInput {
  readonly source: ReplaySource;
  readonly from: string;
  readonly to: string;
  readonly outputPrefix?: string;
}

/** A validated replay: what to list and where to write. */
export interface ReplayPlan {
  readonly source: ReplaySource;
  /** Epoch ms of the first hour (inclusive). */
  readonly fromMs: number;
  /** Epoch ms of the end of the last hour (exclusive). */
  readonly toMs: number;
  /** The bucket to list. */
  readonly sourceBucket: string;
  /** The key prefix to list: shared by every object of the hours in range. */
  readonly listPrefix: string;
  /** The data prefix the `Ok` rows go to. */
  readonly outputPrefix: string;
  /** The prefix the records that fail again go to (rendered with `replay-failed`). */
  readonly errorOutputPrefix: string;
}

const HOUR_MS = 3_600_000;
/** Hours of a range whose listing prefix is computed hour by hour; longer ranges list the prefix's static part. */
const MAX_LISTED_HOURS = 24 * 366 * 2;
const ISO_HOUR = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})(?::00(?::00(?:\.0{1,3})?)?)?(?:Z|[+-]00:?00)?$/;

/** Parses an ISO hour (`2026-03-04T05`, `2026-03-04T05:00:00Z`) in UTC; throws `ReplayInputError`. */
export function parseIsoHour(field: string, value: unknown): number {
  const m = typeof value === 'string' ? ISO_HOUR.exec(value.trim()) : null;
  if (!m) {
    throw new ReplayInputError(`"${field}" must be an hour in ISO 8601 UTC such as "2026-03-04T05" or "2026-03-04T05:00:00Z"; got ${JSON.stringify(value)}.`);
  }
  const [year, month, day, hour] = m.slice(1).map(Number);
  const ms = Date.UTC(year, month - 1, day, hour);
  const d = new Date(ms);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || d.getUTCHours() !== hour) {
    throw new ReplayInputError(`"${field}": ${JSON.stringify(value)} is not a date and hour that exists; write e.g. "2026-03-04T05".`);
  }
  return ms;
}

/**
 * Validates an execution input against the pipeline's layout and plans the replay. `processing-failed` writes into
 * the live data prefix unless `outputPrefix` is given; `raw` needs an `outputPrefix` under the backfill root that
 * differs from the live one (the live prefix already holds those rows).
 */
export function planReplay(input: unknown, layout: ReplayLayout): ReplayPlan {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ReplayInputError('The input must be a JSON object {"source": "processing-failed" | "raw", "from": "<ISO hour>", "to": "<ISO hour>", "outputPrefix"?: "..."}.');
  }
  const i = input as Record<string, unknown>;
  const known = new Set(['source', 'from', 'to', 'outputPrefix']);
  const unknown = Object.keys(i).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new ReplayInputError(`Unknown input field(s) ${unknown.join(', ')}; the fields are source, from, to and outputPrefix.`);
  const source = i.source;
  if (typeof source !== 'string' || !(REPLAY_SOURCES as readonly string[]).includes(source)) {
    throw new ReplayInputError(`"source" must be one of ${REPLAY_SOURCES.map((s) => `"${s}"`).join(', ')}; got ${JSON.stringify(source)}.`);
  }
  const fromMs = parseIsoHour('from', i.from);
  const toMs = parseIsoHour('to', i.to) + HOUR_MS;
  if (toMs <= fromMs) throw new ReplayInputError(`"from" (${String(i.from)}) is after "to" (${String(i.to)}); swap them.`);
  let outputPrefix = layout.dataOutputPrefix;
  if (i.outputPrefix !== undefined) {
    if (typeof i.outputPrefix !== 'string' || i.outputPrefix.trim() === '') {
      throw new ReplayInputError('"outputPrefix" must be a non-empty string such as "backfill/v2/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/".');
    }
    outputPrefix = i.outputPrefix;
    try {
      compilePrefix(outputPrefix, { dynamicPartitioning: layout.dynamicPartitioning });
    } catch (e) {
      if (e instanceof PrefixError) throw new ReplayInputError(`"outputPrefix": ${e.message}`);
      throw e;
    }
  }
  const root = layout.backfillRoot ?? DEFAULT_BACKFILL_ROOT;
  if (source === 'raw') {
    if (layout.rawBucket === undefined || layout.backupPrefix === undefined) {
      throw new ReplayInputError('"source": "raw" needs the raw backup, which this pipeline does not keep; replay "processing-failed" instead.');
    }
    if (i.outputPrefix === undefined || outputPrefix === layout.dataOutputPrefix) {
      throw new ReplayInputError(`"source": "raw" re-parses records whose rows are already in the live prefix "${layout.dataOutputPrefix}"; give an "outputPrefix" under "${root}" (e.g. "${root}v2/") so nothing is doubled.`);
    }
  }
  if (i.outputPrefix !== undefined && outputPrefix !== layout.dataOutputPrefix && !outputPrefix.startsWith(root)) {
    throw new ReplayInputError(`"outputPrefix" "${outputPrefix}" must start with "${root}" (the only prefix besides the live one the replay may write to).`);
  }
  const sourcePrefix = source === 'raw'
    ? compilePrefix(layout.backupPrefix)
    : compilePrefix(layout.errorOutputPrefix, { errorOutput: true });
  const errorType = source === 'raw' ? undefined : ERROR_OUTPUT_TYPES.processingFailed;
  return {
    source: source as ReplaySource,
    fromMs,
    toMs,
    sourceBucket: source === 'raw' ? layout.rawBucket! : layout.parsedBucket,
    listPrefix: listingPrefix(sourcePrefix, fromMs, toMs, layout.timeZone, errorType),
    outputPrefix,
    errorOutputPrefix: layout.errorOutputPrefix,
  };
}

/** The longest key prefix that every object of the hours `[fromMs, toMs)` shares. */
export function listingPrefix(prefix: CompiledPrefix, fromMs: number, toMs: number, timeZone?: string, errorOutputType?: string): string {
  const hours = Math.ceil((toMs - fromMs) / HOUR_MS);
  if (hours > MAX_LISTED_HOURS) {
    return prefix.renderPredictable({ timestamp: fromMs, timeZone, errorOutputType }).slice(0, staticLength(prefix, errorOutputType));
  }
  let common: string | undefined;
  for (let t = fromMs; t < toMs; t += HOUR_MS) {
    const p = prefix.renderPredictable({ timestamp: t, timeZone, errorOutputType });
    common = common === undefined ? p : commonStart(common, p);
  }
  return common ?? '';
}

/** The length of the rendered prefix before its first timestamp expression. */
function staticLength(prefix: CompiledPrefix, errorOutputType?: string): number {
  let n = 0;
  for (const p of prefix.parts) {
    if (p.kind === 'text') n += p.text.length;
    else if (p.kind === 'errorOutputType') n += (errorOutputType ?? '').length;
    else break;
  }
  return n;
}

function commonStart(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

const OBJECT_TIME = /-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[^/]*$/;

/** The time in a Firehose object name (`…-YYYY-MM-dd-HH-mm-ss-<random>…`, UTC), or undefined. */
export function objectNameTime(key: string): number | undefined {
  const m = OBJECT_TIME.exec(key);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Whether an object listed under the plan's prefix is replayed: its name's time lies in the plan's hours. */
export function objectInRange(key: string, plan: Pick<ReplayPlan, 'fromMs' | 'toMs'>): boolean {
  if (key.endsWith('/')) return false;
  const t = objectNameTime(key);
  return t !== undefined && t >= plan.fromMs && t < plan.toMs;
}

/** One record read back from S3. */
export interface ReplayRecord {
  /** The bytes Firehose gave the parser. */
  readonly data: Buffer;
  /** Epoch ms: the record's original arrival time. */
  readonly arrivalTimestamp: number;
}

/** What reading an object found. */
export interface ReadResult {
  readonly records: ReplayRecord[];
  /** Lines that are not processing-failed records (say why, with their ordinal); they are skipped. */
  readonly problems: string[];
}

/**
 * Reads an object's bytes (gunzipped by the caller) into records: the JSON objects of a processing-failed object
 * (one per line as Firehose writes them; concatenated objects are read too), or the separator-ended records of a
 * raw backup object (each keeps its separator, as the parser received it), which get `objectTime` as arrival time.
 */
export function readReplayObject(source: ReplaySource, body: Buffer, objectTime: number): ReadResult {
  if (source === 'raw') return { records: splitRaw(body, objectTime), problems: [] };
  const records: ReplayRecord[] = [];
  const problems: string[] = [];
  splitJsonObjects(body.toString('utf8')).forEach((text, n) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      problems.push(`error record ${n + 1} is not JSON`);
      return;
    }
    const r = parsed as { rawData?: unknown; arrivalTimestamp?: unknown };
    const data = typeof r.rawData === 'string' ? decodeBase64Strict(r.rawData) : undefined;
    if (!data) {
      problems.push(`error record ${n + 1} has no base64 "rawData"`);
      return;
    }
    const arrival = typeof r.arrivalTimestamp === 'number' && Number.isFinite(r.arrivalTimestamp) ? r.arrivalTimestamp : objectTime;
    records.push({ data, arrivalTimestamp: arrival });
  });
  return { records, problems };
}

function splitRaw(body: Buffer, arrivalTimestamp: number): ReplayRecord[] {
  const sep = Buffer.from(FIREHOSE_ACTION_SEPARATOR, 'utf8');
  const records: ReplayRecord[] = [];
  let start = 0;
  while (start < body.length) {
    const at = body.indexOf(sep, start);
    const end = at < 0 ? body.length : at + sep.length;
    records.push({ data: body.subarray(start, end), arrivalTimestamp });
    start = end;
  }
  return records;
}

/** Splits text into its top-level JSON objects (newline-separated or back to back); other text between them is skipped. */
export function splitJsonObjects(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      if (depth > 0) inString = true;
    } else if (c === 0x7b) {
      if (depth++ === 0) start = i;
    } else if (c === 0x7d && depth > 0) {
      if (--depth === 0) out.push(text.slice(start, i + 1));
    }
  }
  if (depth > 0) out.push(text.slice(start));
  return out;
}

/** A Firehose data-transformation event. */
export interface TransformationEvent {
  readonly invocationId: string;
  readonly deliveryStreamArn: string;
  readonly region: string;
  readonly records: Array<{ readonly recordId: string; readonly approximateArrivalTimestamp: number; readonly data: string }>;
}

/** A batch of records as one event, and which record each id stands for. */
export interface ReplayBatch {
  readonly event: TransformationEvent;
  readonly records: ReplayRecord[];
}

/** What the events are built with. */
export interface BuildEventsOptions {
  readonly deliveryStreamArn: string;
  readonly region: string;
  /** The event's `invocationId` for the n-th batch. */
  readonly invocationId: (n: number) => string;
  /** The largest event in bytes (its JSON). @default RESPONSE_LIMIT_BYTES (6,000,000) */
  readonly limitBytes?: number;
}

/** Records too large for any event: each one is failed again with `Replay.RecordTooLarge`. */
export interface BuildEventsResult {
  readonly batches: ReplayBatch[];
  readonly tooLarge: ReplayRecord[];
}

/**
 * Packs records, in order, into as few Firehose-shaped events as fit `limitBytes` each (counted as the JSON Lambda
 * receives). Record ids are the record's position in the list, unique within the object.
 */
export function buildTransformationEvents(records: readonly ReplayRecord[], options: BuildEventsOptions): BuildEventsResult {
  const limit = Math.min(options.limitBytes ?? RESPONSE_LIMIT_BYTES, RESPONSE_LIMIT_BYTES);
  const envelope = (n: number) => Buffer.byteLength(JSON.stringify({
    invocationId: options.invocationId(n), deliveryStreamArn: options.deliveryStreamArn, region: options.region, records: [],
  }));
  const batches: ReplayBatch[] = [];
  const tooLarge: ReplayRecord[] = [];
  let current: { entries: TransformationEvent['records'][number][]; records: ReplayRecord[]; bytes: number } | undefined;
  const flush = () => {
    if (current && current.entries.length > 0) {
      batches.push({
        event: {
          invocationId: options.invocationId(batches.length),
          deliveryStreamArn: options.deliveryStreamArn,
          region: options.region,
          records: current.entries,
        },
        records: current.records,
      });
    }
    current = undefined;
  };
  records.forEach((record, index) => {
    const entry = { recordId: String(index), approximateArrivalTimestamp: record.arrivalTimestamp, data: record.data.toString('base64') };
    const size = Buffer.byteLength(JSON.stringify(entry)) + 1;
    const base = envelope(batches.length);
    if (base + size > limit) {
      tooLarge.push(record);
      return;
    }
    if (current && current.bytes + size > limit) flush();
    if (!current) current = { entries: [], records: [], bytes: base };
    current.entries.push(entry);
    current.records.push(record);
    current.bytes += size;
  });
  flush();
  return { batches, tooLarge };
}

/** A row the parser answered `Ok` for. */
export interface OkRow {
  readonly record: ReplayRecord;
  readonly data: Buffer;
  readonly partitionKeys?: Readonly<Record<string, string>>;
}

/** A record that failed again, with the error Firehose would have written. */
export interface FailedRecord {
  readonly record: ReplayRecord;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** A parser response split by result. */
export interface SplitResponse {
  readonly ok: OkRow[];
  readonly dropped: number;
  readonly failed: FailedRecord[];
}

/**
 * Splits a parser's response to a batch by result, checking it as Firehose does: a response that is not an object
 * with `records`, that misses or repeats a record id, answers an unknown id or an unknown result, or has an `Ok` record
 * without strict base64 `data`, fails every record of the batch (`Lambda.JsonProcessingException`,
 * `Lambda.MissingRecordId`, `Lambda.DuplicatedRecordId`); `ProcessingFailed` records fail with
 * `Lambda.ProcessingFailedStatus`.
 */
export function splitParserResponse(batch: ReplayBatch, response: unknown): SplitResponse {
  const all = (errorCode: string, errorMessage: string): SplitResponse => ({
    ok: [], dropped: 0, failed: batch.records.map((record) => ({ record, errorCode, errorMessage })),
  });
  const json = (message: string) => all('Lambda.JsonProcessingException', message);
  if (typeof response !== 'object' || response === null || !Array.isArray((response as { records?: unknown }).records)) {
    return json('The Lambda response is not an object with a "records" array. Ensure that the returned records follow the status model required by Firehose.');
  }
  const byId = new Map(batch.event.records.map((r, i) => [r.recordId, batch.records[i]]));
  const seen = new Map<string, { result: RecordResult; data: Buffer; partitionKeys?: Record<string, string> }>();
  for (const [n, raw] of (response as { records: unknown[] }).records.entries()) {
    if (typeof raw !== 'object' || raw === null) return json(`Response record ${n} is not an object.`);
    const r = raw as { recordId?: unknown; result?: unknown; data?: unknown; metadata?: unknown };
    if (typeof r.recordId !== 'string') return json(`Response record ${n} has no recordId.`);
    if (!byId.has(r.recordId)) return all('Lambda.MissingRecordId', `Record ID ${r.recordId} in the response does not match any record of the request.`);
    if (seen.has(r.recordId)) return all('Lambda.DuplicatedRecordId', `Record ID ${r.recordId} is answered more than once.`);
    if (typeof r.result !== 'string' || !(RECORD_RESULTS as readonly string[]).includes(r.result)) {
      return json(`Record ${r.recordId} has result ${JSON.stringify(r.result)}; it must be one of ${RECORD_RESULTS.join(', ')}.`);
    }
    let data: Buffer = Buffer.alloc(0);
    if (r.result === 'Ok') {
      const decoded = typeof r.data === 'string' ? decodeBase64Strict(r.data) : undefined;
      if (!decoded) return json(`Record ${r.recordId} is Ok but its data is not standard, padded base64 text.`);
      data = decoded;
    }
    let partitionKeys: Record<string, string> | undefined;
    const keys = (r.metadata as { partitionKeys?: unknown } | null | undefined)?.partitionKeys;
    if (keys !== undefined && keys !== null) {
      if (typeof keys !== 'object' || Object.values(keys).some((v) => typeof v !== 'string')) {
        return json(`Record ${r.recordId} has metadata.partitionKeys that is not an object of strings.`);
      }
      partitionKeys = keys as Record<string, string>;
    }
    seen.set(r.recordId, { result: r.result as RecordResult, data, partitionKeys });
  }
  const missing = batch.event.records.find((r) => !seen.has(r.recordId));
  if (missing) return all('Lambda.MissingRecordId', `Record ID ${missing.recordId} is missing from the Lambda response.`);
  const out: { ok: OkRow[]; dropped: number; failed: FailedRecord[] } = { ok: [], dropped: 0, failed: [] };
  for (const entry of batch.event.records) {
    const answer = seen.get(entry.recordId)!;
    const record = byId.get(entry.recordId)!;
    if (answer.result === 'Ok') out.ok.push({ record, data: answer.data, partitionKeys: answer.partitionKeys });
    else if (answer.result === 'Dropped') out.dropped++;
    else out.failed.push({ record, errorCode: 'Lambda.ProcessingFailedStatus', errorMessage: 'ProcessingFailed status set for record' });
  }
  return out;
}

/** One object to write: its key and the records (concatenated, as Firehose does) before compression. */
export interface ReplayObject {
  readonly key: string;
  readonly body: Buffer;
  readonly records: number;
}

/** What the output objects of one source object are named with. */
export interface OutputContext {
  /** The key of the object the records were read from. */
  readonly sourceKey: string;
  /** The data prefix (live or the backfill's). */
  readonly outputPrefix: string;
  /** The error output prefix (rendered with `replay-failed`). */
  readonly errorOutputPrefix: string;
  readonly dynamicPartitioning: boolean;
  readonly timeZone?: string;
  /** The extension of the data objects, compression suffix included (e.g. `.json.gz`). */
  readonly extension: string;
  /** The extension of the error objects (the compression suffix only, e.g. `.gz`). */
  readonly errorExtension: string;
  /** The parser's ARN, written into the error records as `lambdaArn`. */
  readonly lambdaArn: string;
  /** Epoch ms written as `attemptEndingTimestamp`. */
  readonly now: number;
}

/**
 * The objects one source object's results become: `Ok` rows grouped by the prefix of their original arrival hour (and
 * partition keys), failed-again records as error records under `replay-failed`. Keys derive from the source key only,
 * so a second replay of the same object overwrites them. A row whose partition key is missing or unsafe fails again
 * (`DynamicPartitioning.MissingPartitionKey`, `Replay.UnsafePartitionKey`).
 */
export function replayOutputs(
  ok: readonly OkRow[],
  failed: readonly FailedRecord[],
  ctx: OutputContext,
): { data: ReplayObject[]; errors: ReplayObject[] } {
  const data = compilePrefix(ctx.outputPrefix, { dynamicPartitioning: ctx.dynamicPartitioning });
  const errors = compilePrefix(ctx.errorOutputPrefix, { errorOutput: true });
  const failures = [...failed];
  const groups = new Map<string, Buffer[]>();
  for (const row of ok) {
    let partitionKeys: Record<string, string> | undefined;
    if (data.partitionKeys.length > 0) {
      const missing = data.partitionKeys.find((k) => row.partitionKeys?.[k] === undefined);
      if (missing !== undefined) {
        failures.push({ record: row.record, errorCode: 'DynamicPartitioning.MissingPartitionKey', errorMessage: `The processor returned no partition key "${missing}" for the record` });
        continue;
      }
      const unsafe = data.partitionKeys.map((k) => [k, partitionKeyValueProblem(row.partitionKeys![k])] as const).find(([, p]) => p !== undefined);
      if (unsafe) {
        failures.push({ record: row.record, errorCode: 'Replay.UnsafePartitionKey', errorMessage: `The value of partition key "${unsafe[0]}" ${unsafe[1]}` });
        continue;
      }
      partitionKeys = Object.fromEntries(data.partitionKeys.map((k) => [k, row.partitionKeys![k]]));
    }
    const prefix = data.render({ timestamp: row.record.arrivalTimestamp, timeZone: ctx.timeZone, partitionKeys, randomString: () => 'replay' });
    const list = groups.get(prefix) ?? [];
    list.push(row.data);
    groups.set(prefix, list);
  }
  const errorGroups = new Map<string, Buffer[]>();
  for (const f of failures) {
    const prefix = errors.render({ timestamp: f.record.arrivalTimestamp, timeZone: ctx.timeZone, errorOutputType: REPLAY_FAILED_OUTPUT_TYPE, randomString: () => 'replay' });
    const list = errorGroups.get(prefix) ?? [];
    list.push(replayFailedRecord(f, ctx));
    errorGroups.set(prefix, list);
  }
  const objects = (g: Map<string, Buffer[]>, extension: string) => {
    const name = replayObjectName(ctx.sourceKey, extension);
    return [...g.entries()].map(([prefix, bodies]) => ({ key: prefix + name, body: Buffer.concat(bodies), records: bodies.length }));
  };
  return { data: objects(groups, ctx.extension), errors: objects(errorGroups, ctx.errorExtension) };
}

/** The JSON line of a record that failed again: the fields Firehose writes for a processing-failed record. */
export function replayFailedRecord(f: FailedRecord, ctx: Pick<OutputContext, 'lambdaArn' | 'now'>): Buffer {
  return Buffer.from(JSON.stringify({
    attemptsMade: 1,
    arrivalTimestamp: f.record.arrivalTimestamp,
    errorCode: f.errorCode,
    errorMessage: f.errorMessage,
    attemptEndingTimestamp: ctx.now,
    rawData: f.record.data.toString('base64'),
    lambdaArn: ctx.lambdaArn,
  }) + '\n', 'utf8');
}

/**
 * The name of a replay output object: the source object's name without extension, `-replay-`, 8 hex digits of a hash
 * of the whole source key (two sources with one name stay apart), and the output extension.
 */
export function replayObjectName(sourceKey: string, extension: string): string {
  const base = sourceKey.slice(sourceKey.lastIndexOf('/') + 1);
  const dot = base.search(/\.[A-Za-z0-9]+(\.[A-Za-z0-9]+)?$/);
  const stem = (dot > 0 ? base.slice(0, dot) : base) || 'object';
  return `${stem}-replay-${keyHash(sourceKey)}${extension}`;
}

/** A 32-bit polynomial hash as 8 hex digits (a name, not a checksum). */
function keyHash(text: string): string {
  let h = 7;
  for (const byte of Buffer.from(text, 'utf8')) h = (h * 131 + byte) % 4_294_967_291;
  return h.toString(16).padStart(8, '0');
}

/** The counts a replay reports (the worker per batch, the state machine and the CLI summed). */
export interface ReplayCounts {
  objectsRead: number;
  objectsSkipped: number;
  recordsRead: number;
  ok: number;
  dropped: number;
  failedAgain: number;
  objectsWritten: number;
}

/** Zero counts. */
export function emptyReplayCounts(): ReplayCounts {
  return { objectsRead: 0, objectsSkipped: 0, recordsRead: 0, ok: 0, dropped: 0, failedAgain: 0, objectsWritten: 0 };
}

/** Adds `b` into `a`. */
export function addReplayCounts(a: ReplayCounts, b: ReplayCounts): ReplayCounts {
  for (const k of Object.keys(a) as Array<keyof ReplayCounts>) a[k] += b[k];
  return a;
}

/**
 * The `!{firehose:error-output-type}` of the replay's run folder: each worker batch writes its `ReplayCounts` there,
 * and the state machine's last state sums them into the execution's output (the Distributed Map discards the
 * children's answers to stay under Step Functions' 256 KiB state limit).
 */
export const REPLAY_RUNS_OUTPUT_TYPE = 'replay-runs';

/**
 * The key prefix of the replay's run folder in the parsed bucket: the error output prefix up to its
 * `!{firehose:error-output-type}` rendered as `replay-runs` (e.g. `errors/replay-runs/`); when the error type is not
 * in the prefix's fixed start, `replay-runs/` under the fixed start's folder. Always ends with `/`.
 */
export function replayRunsPrefix(errorOutputPrefix: string): string {
  let out = '';
  for (const p of compilePrefix(errorOutputPrefix, { errorOutput: true }).parts) {
    if (p.kind === 'text') {
      out += p.text;
    } else if (p.kind === 'errorOutputType') {
      out += REPLAY_RUNS_OUTPUT_TYPE;
      break;
    } else {
      break;
    }
  }
  if (!out.endsWith(REPLAY_RUNS_OUTPUT_TYPE)) out = `${out.slice(0, out.lastIndexOf('/') + 1)}${REPLAY_RUNS_OUTPUT_TYPE}`;
  return `${out}/`;
}

/**
 * An execution name as StartExecution accepts it: 1–80 characters without white space, brackets, wildcards,
 * `" # % \ ^ | ~ \` $ & , ; : /` or control characters
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html), so it is one key segment.
 */
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

/** The folder of one execution's batch counts: `<runs prefix><execution name>/`. Throws on a name that is no key segment. */
export function replayRunFolder(runsPrefix: string, executionName: unknown): string {
  if (typeof executionName !== 'string' || !EXECUTION_NAME.test(executionName) || executionName === '.' || executionName === '..') {
    throw new ReplayInputError(`The execution name ${JSON.stringify(executionName)} is not a Step Functions execution name; the state machine passes "$$.Execution.Name".`);
  }
  return `${runsPrefix}${executionName}/`;
}

/**
 * The key of one batch's counts: derived from the batch's first source key and its size, so a retried batch (the
 * same items) overwrites its own counts instead of adding them twice.
 */
export function replayBatchCountsKey(runFolder: string, firstSourceKey: string, objects: number): string {
  return `${runFolder}${hash61(firstSourceKey)}-${objects}.json`;
}

/**
 * A polynomial hash modulo the prime 2^61 − 1, as 16 hex digits: batch names of one run must not collide (a 32-bit
 * hash would, at 100k batches).
 */
function hash61(text: string): string {
  let h = 7n;
  for (const byte of Buffer.from(text, 'utf8')) h = (h * 1_000_003n + BigInt(byte) + 1n) % 2_305_843_009_213_693_951n;
  return h.toString(16).padStart(16, '0');
}

/** Reads one batch's counts object; throws when it is not `ReplayCounts`. */
export function parseReplayCounts(text: string, where: string): ReplayCounts {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not JSON; it should hold one batch's replay counts.`);
  }
  const counts = emptyReplayCounts();
  for (const k of Object.keys(counts) as Array<keyof ReplayCounts>) {
    const v = (parsed as Record<string, unknown> | null)?.[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${where} has no whole count "${k}"; it should hold one batch's replay counts.`);
    counts[k] = v;
  }
  return counts;
}
