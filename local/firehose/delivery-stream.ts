/**
 * One Firehose delivery stream with an extended S3 destination, run locally:
 *
 *   put ─┬─▶ backup buffer (backup hints) ──────────────────────────────────▶ backup bucket  <backup prefix>
 *        └─▶ processor buffer (BufferSizeInMBs / BufferIntervalInSeconds) ─▶ Lambda (NumberOfRetries)
 *                 Ok ──▶ destination buffer (hints; one object per partition) ─▶ bucket  <prefix>
 *                 Dropped ──▶ nothing
 *                 ProcessingFailed / retries exhausted ──▶ error buffer ──▶ bucket  <errorOutputPrefix> (processing-failed)
 *
 * The response is validated like Firehose does: at most RESPONSE_LIMIT_BYTES (Lambda's synchronous limit), every
 * recordId exactly once, only Ok/Dropped/ProcessingFailed, strict base64 data (the parser toolkit's decoder). A buffer is delivered when it reaches its size or its interval has passed since its first record.
 * With record format conversion (`DataFormatConversionConfiguration`) the destination object is one Parquet file of
 * the buffer's rows (conversion.ts); records that do not convert go to the error output as `format-conversion-failed`.
 * Objects are compressed (GZIP) and named `<prefix><stream>-1-YYYY-MM-dd-HH-mm-ss-<uuid><extension>`; the
 * prefix is rendered with the arrival time of the oldest record in the object. A failed S3 write is retried
 * (with backoff) until it succeeds or the runner stops; the journal replays what was not delivered.
 *
 * `put` returns the promise of durability: it resolves once every object derived from the record (backup, and the
 * destination or error object — or nothing, when the processor dropped it) is written. A record abandoned on stop
 * never resolves. The error records themselves are built in error-records.ts.
 */
import { randomUUID } from 'crypto';
import { promisify } from 'util';
import { gzip as gzipCallback } from 'zlib';
import { compileConversion, ConversionError, RecordConverter } from './conversion';
import { ErrorOutputType, ErrorRecord, formatConversionFailedRecord, partitionKeyMissingRecord, ProcessingProblem, processingFailedRecord } from './error-records';
import { objectName } from './keys';
import { compressionExtension, decodeBase64Strict, DELIVERY_OBJECT_KINDS, DeliveryObjectKind, RECORD_RESULT, RECORD_RESULTS, RecordResult, RESPONSE_LIMIT_BYTES } from '../../src/contract';
import type { BufferingModel, S3TargetModel, StreamModel } from '../assembly/model';
import { FirehoseBatch, firehoseEvent, InvocationError, Invoker } from '../lambda/runtime';
import type { ObjectSink } from '../s3/sinks';

const gzip = promisify(gzipCallback);

/** A record as PutRecord receives it. */
export interface FirehoseRecord {
  readonly data: Buffer;
  /** Epoch ms (approximateArrivalTimestamp). */
  readonly arrival: number;
}

/** What the stream logs. */
export type Logger = (line: string) => void;

/** Something buffered for one object; `source.delivered()` runs once, when it is durable (or deliberately dropped). */
interface Item {
  readonly data: Buffer;
  readonly arrival: number;
  /** The record it comes from. */
  readonly source: SourceRecord;
}

/**
 * A record put into the stream, buffered as it is (for the backup and the processor): its put resolves once each of
 * the `left` objects derived from it is written. One object per record — it was an item, a countdown closure and
 * its context — since every record lives until its objects are written, long enough to reach the old generation.
 */
class SourceRecord implements Item {
  constructor(public readonly data: Buffer, public readonly arrival: number, private left: number, private readonly resolve: () => void) {}

  public get source(): SourceRecord {
    return this;
  }

  /** One of the record's objects is written (or it was dropped). */
  public delivered(): void {
    if (--this.left === 0) this.resolve();
  }
}

interface DestinationItem extends Item {
  readonly partitionKeys?: Record<string, string>;
}

interface ErrorItem extends Item {
  readonly type: ErrorOutputType;
}


/** Counters (for tests, status and the benchmark). */
export interface StreamStats {
  recordsIn: number;
  bytesIn: number;
  invocations: number;
  invocationErrors: number;
  recordsOk: number;
  recordsDropped: number;
  recordsFailed: number;
  /** Records that record format conversion could not convert (sent to the error output). */
  recordsConversionFailed: number;
  objectsWritten: number;
  backupObjectsWritten: number;
  errorObjectsWritten: number;
  writeRetries: number;
}

/** A buffer that flushes at a size or after an interval since its first item. */
class Buffering<T extends { readonly data: Buffer; readonly arrival: number }> {
  private items: T[] = [];
  private bytes = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly hints: BufferingModel, private readonly deliver: (items: T[]) => void) {}

  public get length(): number {
    return this.items.length;
  }

  public add(item: T): void {
    this.items.push(item);
    this.bytes += item.data.length;
    if (this.bytes >= this.hints.sizeBytes) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), Math.max(0, this.hints.intervalMs));
    }
  }

  /** Delivers what is buffered now. */
  public flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.bytes = 0;
    this.deliver(items);
  }

  public stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** A processor response record after validation. */
interface ValidResult {
  readonly result: RecordResult;
  readonly data: Buffer;
  readonly partitionKeys?: Record<string, string>;
}

/** Why a response was rejected. */
export type ResponseProblem = ProcessingProblem;

const EMPTY = Buffer.alloc(0);
const RESULTS: ReadonlySet<string> = new Set(RECORD_RESULTS);

/** Validates a processor response against the record ids of the request, like Firehose does. */
export function validateResponse(
  recordIds: readonly string[],
  response: unknown,
): { results: Map<string, ValidResult> } | { problem: ResponseProblem } {
  const json = (message: string) => ({ problem: { errorCode: 'Lambda.JsonProcessingException', errorMessage: message } });
  const size = responseBytes(response);
  if (size > RESPONSE_LIMIT_BYTES) {
    // Lambda itself fails such an invocation (Function.ResponseSizeTooLarge); Firehose sees a function error.
    return {
      problem: {
        errorCode: 'Lambda.FunctionError',
        errorMessage: `The Lambda function was successfully invoked but it returned an error result: Function.ResponseSizeTooLarge: the response is ${size} bytes, more than the ${RESPONSE_LIMIT_BYTES} bytes allowed.`,
      },
    };
  }
  if (typeof response !== 'object' || response === null || !Array.isArray((response as { records?: unknown }).records)) {
    return json('The Lambda response is not an object with a "records" array. Ensure that the returned records follow the status model required by Firehose.');
  }
  const expected = new Set(recordIds);
  const results = new Map<string, ValidResult>();
  for (const [i, raw] of ((response as { records: unknown[] }).records).entries()) {
    if (typeof raw !== 'object' || raw === null) return json(`Response record ${i} is not an object.`);
    const r = raw as { recordId?: unknown; result?: unknown; data?: unknown; metadata?: unknown };
    if (typeof r.recordId !== 'string') return json(`Response record ${i} has no recordId.`);
    if (!expected.has(r.recordId)) {
      return { problem: { errorCode: 'Lambda.MissingRecordId', errorMessage: `Record ID ${r.recordId} in the response does not match any record of the request.` } };
    }
    if (results.has(r.recordId)) {
      return { problem: { errorCode: 'Lambda.DuplicatedRecordId', errorMessage: `Record ID ${r.recordId} is answered more than once.` } };
    }
    if (typeof r.result !== 'string' || !RESULTS.has(r.result)) {
      return json(`Record ${r.recordId} has result ${JSON.stringify(r.result)}; it must be one of ${RECORD_RESULTS.join(', ')}.`);
    }
    let data: Buffer = EMPTY;
    if (r.result === RECORD_RESULT.ok) {
      const decoded = typeof r.data === 'string' ? decodeBase64Strict(r.data) : undefined;
      if (!decoded) return json(`Record ${r.recordId} is Ok but its data is not standard, padded base64 text.`);
      data = decoded;
    } else if (r.data !== undefined && r.data !== null && typeof r.data !== 'string') {
      return json(`Record ${r.recordId} has data that is not base64 text.`);
    }
    let partitionKeys: Record<string, string> | undefined;
    if (r.metadata !== undefined && r.metadata !== null) {
      const keys = (r.metadata as { partitionKeys?: unknown }).partitionKeys;
      if (keys !== undefined) {
        if (typeof keys !== 'object' || keys === null || Object.values(keys).some((v) => typeof v !== 'string')) {
          return json(`Record ${r.recordId} has metadata.partitionKeys that is not an object of strings.`);
        }
        partitionKeys = keys as Record<string, string>;
      }
    }
    results.set(r.recordId, { result: r.result as RecordResult, data, partitionKeys });
  }
  const missing = recordIds.find((id) => !results.has(id));
  if (missing !== undefined) {
    return { problem: { errorCode: 'Lambda.MissingRecordId', errorMessage: `Record ID ${missing} is missing from the Lambda response.` } };
  }
  return { results };
}

/**
 * The size of a response as Lambda would serialize it (JSON); a response that cannot be serialized counts as 0.
 * Summed record by record — `[` + the records joined by `,` + `]` is how JSON.stringify writes an array, a record it
 * cannot write (undefined) being `null` — so that no string of the whole response (~1.3 MB for a 1 MB batch, straight
 * into the old generation) is made for every batch.
 */
function responseBytes(response: unknown): number {
  try {
    const records = typeof response === 'object' && response !== null ? (response as { records?: unknown }).records : undefined;
    if (!Array.isArray(records)) return Buffer.byteLength(JSON.stringify(response) ?? '');
    let bytes = Buffer.byteLength(JSON.stringify({ ...(response as object), records: [] })) + Math.max(0, records.length - 1);
    for (const record of records) bytes += Buffer.byteLength(JSON.stringify(record) ?? 'null');
    return bytes;
  } catch {
    return 0;
  }
}

export interface StreamDependencies {
  readonly sink: ObjectSink;
  readonly invoker?: Invoker;
  readonly log: Logger;
  /** Called with every object written (bucket folder, key, records). */
  readonly onObject?: (info: { bucket: string; key: string; location: string; records: number; kind: DeliveryObjectKind }) => void;
}

/** The stream. */
export class LocalDeliveryStream {
  public readonly stats: StreamStats = {
    recordsIn: 0,
    bytesIn: 0,
    invocations: 0,
    invocationErrors: 0,
    recordsOk: 0,
    recordsDropped: 0,
    recordsFailed: 0,
    recordsConversionFailed: 0,
    objectsWritten: 0,
    backupObjectsWritten: 0,
    errorObjectsWritten: 0,
    writeRetries: 0,
  };
  private readonly backup?: Buffering<Item>;
  private readonly processor?: Buffering<Item>;
  private readonly destination: Buffering<DestinationItem>;
  private readonly errors: Buffering<ErrorItem>;
  private readonly converter?: RecordConverter;
  private readonly inFlight = new Set<Promise<void>>();
  private processorQueue: Promise<void> = Promise.resolve();
  private invocationCounter = 0;
  private stopping = false;

  constructor(public readonly model: StreamModel, private readonly deps: StreamDependencies) {
    if (model.processor && !deps.invoker) throw new Error(`${model.path}: no invoker for the processor ${model.processor.functionArn}`);
    const dest = model.destination;
    if (model.conversion) this.converter = compileConversion(model.conversion);
    this.destination = new Buffering(dest.buffering, (items) => this.track(this.writeDestination(items)));
    this.errors = new Buffering(dest.buffering, (items) => this.track(this.writeErrors(items)));
    if (model.backup) {
      const target = model.backup;
      this.backup = new Buffering(target.buffering, (items) => this.track(this.writeBackup(target, items)));
    }
    if (model.processor) {
      const p = model.processor;
      this.processor = new Buffering({ sizeBytes: p.bufferSizeBytes, intervalMs: p.bufferIntervalMs }, (items) => {
        // One invocation at a time per stream; batches queue up in order.
        const run = this.processorQueue.then(() => this.process(items));
        this.processorQueue = run.catch(() => undefined);
        this.track(run);
      });
    }
  }

  /**
   * PutRecord / PutRecordBatch. Resolves once every object derived from the record is durable (see the file
   * comment); throws at once for a record Firehose refuses.
   */
  public put(record: FirehoseRecord): Promise<void> {
    if (record.data.length > 1000 * 1024) {
      throw new Error(`record of ${record.data.length} bytes is larger than Firehose's 1,000 KiB limit`);
    }
    this.stats.recordsIn++;
    this.stats.bytesIn += record.data.length;
    return new Promise<void>((resolve) => {
      const item = new SourceRecord(record.data, record.arrival, this.backup ? 2 : 1, resolve);
      this.backup?.add(item);
      if (this.processor) this.processor.add(item);
      else this.destination.add(item);
    });
  }

  /** Delivers everything buffered now and waits until it is written (shutdown, tests). */
  public async drain(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      this.processor?.flush();
      this.backup?.flush();
      await this.settle();
      this.destination.flush();
      this.errors.flush();
      await this.settle();
      const buffered = (this.processor?.length ?? 0) + (this.backup?.length ?? 0) + this.destination.length + this.errors.length;
      if (this.inFlight.size === 0 && buffered === 0) return;
    }
  }

  /** Stops timers and write retries (after drain, or to abandon on a crash-like stop). */
  public stop(): void {
    this.stopping = true;
    this.processor?.stop();
    this.backup?.stop();
    this.destination.stop();
    this.errors.stop();
  }

  private async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((e) => this.deps.log(`${this.model.name}: ${(e as Error).message}`)).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async process(records: Item[]): Promise<void> {
    const p = this.model.processor!;
    const batch = ++this.invocationCounter;
    const ids = records.map((_r, i) => `${String(batch).padStart(12, '0')}${String(i).padStart(8, '0')}`);
    const request: FirehoseBatch = {
      invocationId: randomUUID(),
      deliveryStreamArn: this.model.arn,
      region: this.model.region,
      records: records.map((r, i) => ({ recordId: ids[i], approximateArrivalTimestamp: r.arrival, data: r.data })),
    };
    // The Node.js runtime encodes the data in its own thread (runtime.ts); others get the event built here.
    const invoker = this.deps.invoker!;
    const event = invoker.invokeFirehose ? undefined : firehoseEvent(request);
    let problem: ResponseProblem = { errorCode: 'Lambda.FunctionError', errorMessage: 'not invoked' };
    let attempts = 0;
    for (; attempts <= p.retries && !this.stopping;) {
      attempts++;
      this.stats.invocations++;
      try {
        const response = await (event === undefined ? invoker.invokeFirehose!(request) : invoker.invoke(event));
        const validated = validateResponse(ids, response);
        if ('results' in validated) {
          this.route(records, ids, validated.results, attempts);
          return;
        }
        problem = validated.problem;
      } catch (e) {
        problem = e instanceof InvocationError
          ? { errorCode: 'Lambda.FunctionError', errorMessage: `The Lambda function was successfully invoked but it returned an error result: ${e.errorType}: ${e.message}` }
          : { errorCode: 'Lambda.InvokeError', errorMessage: (e as Error).message };
      }
      this.stats.invocationErrors++;
      this.deps.log(`${this.model.name}: processor attempt ${attempts}/${p.retries + 1} failed: ${problem.errorCode}: ${problem.errorMessage}`);
    }
    if (this.stopping && attempts <= p.retries) return; // abandoned on stop: the journal replays these records
    const ending = Date.now();
    for (const r of records) this.processingFailed(r, attempts, problem, ending);
  }

  /** Sends one source record to the error output as `processing-failed`. */
  private processingFailed(r: Item, attempts: number, problem: ResponseProblem, ending: number): void {
    this.stats.recordsFailed++;
    this.failed(r, processingFailedRecord({
      attemptsMade: attempts,
      arrivalTimestamp: r.arrival,
      ...problem,
      attemptEndingTimestamp: ending,
      rawData: r.data,
      lambdaArn: this.model.processor!.lambdaArn,
    }));
  }

  /** Buffers the error record of a source item; the item is delivered when the error object is. */
  private failed(item: Item, record: ErrorRecord): void {
    this.errors.add({ type: record.type, data: record.data, arrival: item.arrival, source: item.source });
  }

  private route(records: Item[], ids: string[], results: Map<string, ValidResult>, attempts: number): void {
    const ending = Date.now();
    records.forEach((r, i) => {
      const result = results.get(ids[i])!;
      if (result.result === RECORD_RESULT.ok) {
        this.stats.recordsOk++;
        this.destination.add({ data: result.data, arrival: r.arrival, source: r.source, partitionKeys: result.partitionKeys });
      } else if (result.result === RECORD_RESULT.dropped) {
        this.stats.recordsDropped++;
        r.source.delivered();
      } else {
        this.processingFailed(r, attempts, { errorCode: 'Lambda.ProcessingFailedStatus', errorMessage: 'ProcessingFailed status set for record' }, ending);
      }
    });
  }

  private async writeDestination(items: DestinationItem[]): Promise<void> {
    const target = this.model.destination;
    const keys = target.prefix.partitionKeys;
    if (keys.length === 0) {
      await this.writeConverted(target, items, {});
      return;
    }
    const groups = new Map<string, { partitionKeys: Record<string, string>; items: DestinationItem[] }>();
    for (const item of items) {
      const missing = keys.find((k) => item.partitionKeys?.[k] === undefined);
      if (missing !== undefined) {
        this.failed(item, partitionKeyMissingRecord({ arrivalTimestamp: item.arrival, rawData: item.data, key: missing }));
        continue;
      }
      const values = Object.fromEntries(keys.map((k) => [k, item.partitionKeys![k]]));
      const id = JSON.stringify(values);
      if (!groups.has(id)) groups.set(id, { partitionKeys: values, items: [] });
      groups.get(id)!.items.push(item);
    }
    await Promise.all([...groups.values()].map((g) => this.writeConverted(target, g.items, { partitionKeys: g.partitionKeys })));
  }

  /**
   * Writes one destination object: the records as they are, or (record format conversion) one Parquet file of
   * their rows; a record that cannot be converted goes to the error output as `format-conversion-failed`.
   */
  private async writeConverted(target: S3TargetModel, items: DestinationItem[], ctx: { partitionKeys?: Record<string, string> }): Promise<void> {
    if (!this.converter) {
      await this.writeObject(target, items, DELIVERY_OBJECT_KINDS.destination, ctx);
      return;
    }
    const converted: DestinationItem[] = [];
    const rows: Array<Record<string, unknown>> = [];
    for (const item of items) {
      try {
        rows.push(...this.converter.rows(item.data));
        converted.push(item);
      } catch (e) {
        if (!(e instanceof ConversionError)) throw e;
        this.stats.recordsConversionFailed++;
        this.failed(item, formatConversionFailedRecord({
          arrivalTimestamp: item.arrival,
          rawData: item.data,
          errorCode: e.errorCode,
          errorMessage: e.message,
          catalog: this.model.conversion!.catalog,
        }));
      }
    }
    if (converted.length === 0) return;
    await this.writeObject(target, converted, DELIVERY_OBJECT_KINDS.destination, ctx, this.converter.write(rows));
  }

  private async writeErrors(items: ErrorItem[]): Promise<void> {
    const byType = new Map<string, ErrorItem[]>();
    for (const item of items) {
      if (!byType.has(item.type)) byType.set(item.type, []);
      byType.get(item.type)!.push(item);
    }
    await Promise.all([...byType.entries()].map(([type, group]) => (
      this.writeObject(this.model.destination, group, DELIVERY_OBJECT_KINDS.error, { errorOutputType: type }))));
  }

  private async writeBackup(target: S3TargetModel, items: Item[]): Promise<void> {
    await this.writeObject(target, items, DELIVERY_OBJECT_KINDS.backup, {});
  }

  private async writeObject(
    target: S3TargetModel,
    items: readonly Item[],
    kind: DeliveryObjectKind,
    ctx: { partitionKeys?: Record<string, string>; errorOutputType?: string },
    converted?: Buffer,
  ): Promise<void> {
    let oldest = items[0].arrival;
    for (const item of items) if (item.arrival < oldest) oldest = item.arrival;
    const prefix = kind === DELIVERY_OBJECT_KINDS.error ? target.errorPrefix : target.prefix;
    // Error objects carry the compression's extension only (FileExtension is for the destination's data).
    const extension = kind === DELIVERY_OBJECT_KINDS.error ? compressionExtension(target.compression) : target.extension;
    const key = prefix.render({ timestamp: oldest, timeZone: target.timeZone, ...ctx }) + objectName(this.model.name, 1, oldest, extension);
    const raw = converted ?? Buffer.concat(items.map((i) => i.data));
    const body = target.compression === 'GZIP' && !converted ? await gzip(raw) : raw;
    for (let attempt = 0; ; attempt++) {
      // After stop() gave up (its timeout passed), no write may start: the journal replays the records at the
      // next start, and a late write from the stopped runner would duplicate them.
      if (this.stopping) {
        this.deps.log(`${this.model.name}: not writing ${key} after stop; the journal replays it at the next start`);
        return;
      }
      try {
        await this.deps.sink.put(target.bucket, key, body);
        break;
      } catch (e) {
        if (this.stopping) {
          this.deps.log(`${this.model.name}: giving up writing ${key} on stop (${(e as Error).message}); the journal replays it at the next start`);
          return;
        }
        this.stats.writeRetries++;
        const delay = Math.min(5000, 200 * 2 ** Math.min(attempt, 5));
        this.deps.log(`${this.model.name}: writing ${this.deps.sink.describe(target.bucket, key)} failed (${(e as Error).message}); retrying in ${delay} ms`);
        await new Promise((res) => setTimeout(res, delay));
      }
    }
    if (kind === DELIVERY_OBJECT_KINDS.destination) this.stats.objectsWritten++;
    else if (kind === DELIVERY_OBJECT_KINDS.backup) this.stats.backupObjectsWritten++;
    else this.stats.errorObjectsWritten++;
    this.deps.onObject?.({ bucket: target.bucket.folder, key, location: this.deps.sink.describe(target.bucket, key), records: items.length, kind });
    for (const item of items) item.source.delivered();
  }
}
