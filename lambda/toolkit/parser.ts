import { BinaryPayload, readBinaryEnvelope } from './binary';
import { decodeBase64Strict, decodeUtf8Strict, jsonStringBytes } from './decode';
import { defaultLogger, defaultMetrics, ToolkitLogger, ToolkitMetrics } from './observability';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationHandler,
  FirehoseTransformationResultRecord,
  LambdaContextLike,
} from './types';
import { RECORD_RESULT, RECORD_RESULTS, RecordResult, RESPONSE_LIMIT_BYTES } from '../../src/contract/parser';
import { partitionKeyValueProblem } from '../../src/contract/partition-keys';

/**
 * Upper bound (exclusive) for the serialized response, in bytes. Lambda's synchronous response limit is
 * 6 MB (6,291,456 B); like AWS's own processor blueprints the toolkit stops at 6,000,000 B for headroom.
 */
export const MAX_RESPONSE_BYTES: number = RESPONSE_LIMIT_BYTES;

/**
 * Throw it from `parse` / `serialize` / `partitionKeys` to fail the record with a reason that is safe to log.
 * The message is logged verbatim, so it must not quote the payload.
 */
export class ParseError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ParseError';
  }
}

/** A parsed JSON object. */
export type JsonObject = { [key: string]: unknown };

/** Dynamic-partitioning keys of one record (`!{partitionKeyFromLambda:<name>}` in the S3 prefix). */
export type PartitionKeys = { readonly [name: string]: string };

/** Facts about the invocation, passed to `parse` and to a sink. */
export interface InvocationInfo {
  readonly invocationId: string;
  readonly deliveryStreamArn: string;
  readonly region: string;
}

/** One message: a line of a record (or the whole record with `splitLines: false`), already decoded. */
export interface ParserMessage {
  /** The message text, without its line separator (`\n` or `\r\n`). */
  readonly text: string;
  /** Position of the message within its record (0-based, blank lines not counted). */
  readonly index: number;
  /** The Firehose record the message came from. */
  readonly recordId: string;
  /** When Firehose received the record, epoch milliseconds. */
  readonly approximateArrivalTimestamp: number;
  /** `JSON.parse(text)`; throws a `ParseError` (which never quotes the payload) on invalid JSON. */
  json(): unknown;
  /** Like `json()`, but also fails the record unless the message is a JSON object (not an array, scalar or null). */
  jsonObject(): JsonObject;
  /** A binary pipeline's message (the rule's envelope): the payload's bytes, `text()`, topic, client id and timestamp. */
  binaryPayload(): BinaryPayload;
}

/** What `parse` returns: one row, several rows, or nothing (`null`, `undefined` or `[]`). */
export type ParseOutput<Row> = Row | readonly Row[] | null | undefined;

/** A group of records whose rows a sink must store durably before they are answered `Dropped`. */
export interface SinkGroup {
  /** The partition keys the group's records share (undefined without `partitionKeys`). */
  readonly partitionKeys?: PartitionKeys;
  /** The recordIds whose rows are in `data`, in input order. */
  readonly recordIds: readonly string[];
  /** The serialized rows of those records, each terminated by `\n`. */
  readonly data: string;
}

/** Facts a sink may derive object names from. */
export interface SinkInvocation extends InvocationInfo {
  /** `approximateArrivalTimestamp` of the invocation's first record (undefined for an empty batch). */
  readonly firstArrivalTimestamp?: number;
}

/**
 * Stores rows itself instead of handing them back to Firehose. Called once per invocation with every
 * group (one per distinct partition-key set) when at least one record produced rows. When it resolves,
 * those records are answered `Dropped`; when it rejects, the handler throws so Firehose retries the whole
 * batch. Firehose delivery is at-least-once: name what you write so that a retry overwrites it.
 */
export type Sink = (groups: readonly SinkGroup[], invocation: SinkInvocation) => Promise<void>;

/** How to build a Firehose transformation handler. `Row` must not itself be an array type. */
export interface ParserOptions<Row> {
  /**
   * Turns one message into rows. Throwing fails the whole record (`ProcessingFailed`); returning
   * nothing for every message of a record drops it (`Dropped`). Must be synchronous.
   */
  readonly parse: (message: ParserMessage, invocation: InvocationInfo) => ParseOutput<Row>;
  /**
   * Serializes one row to a line (without terminator; the toolkit appends `\n`).
   * @default - strings as-is, anything else `JSON.stringify(row)`
   */
  readonly serialize?: (row: Row) => string;
  /**
   * Partition keys for dynamic partitioning; all rows of one record must agree (else the record fails).
   * @default - no `metadata.partitionKeys`
   */
  readonly partitionKeys?: (row: Row, message: ParserMessage) => PartitionKeys | undefined;
  /**
   * Split each record on `\n` (a trailing `\r` is removed, blank lines are skipped). Set `false` when a
   * record is one message that may contain newlines.
   * @default true
   */
  readonly splitLines?: boolean;
  /** @default - rows are answered `Ok` in `data` */
  readonly sink?: Sink;
  /** @default MAX_RESPONSE_BYTES */
  readonly maxResponseBytes?: number;
  /** @default - one JSON line per log call on stdout (see observability.ts) */
  readonly logger?: ToolkitLogger;
  /** @default - one CloudWatch EMF line per invocation on stdout (see observability.ts) */
  readonly metrics?: ToolkitMetrics;
  /** How many failed records are logged one by one per invocation (the rest only counted). @default 10 */
  readonly maxLoggedFailures?: number;
}

/** The reason recorded for records answered `ProcessingFailed` by the response-size guard. */
export const RESPONSE_SIZE_REASON = 'response size limit: answered ProcessingFailed so the batch stays below the limit';

class Message implements ParserMessage {
  public constructor(
    public readonly text: string,
    public readonly index: number,
    public readonly recordId: string,
    public readonly approximateArrivalTimestamp: number,
  ) {}

  public json(): unknown {
    try {
      return JSON.parse(this.text);
    } catch (e) {
      throw new ParseError(jsonErrorReason(e));
    }
  }

  public jsonObject(): JsonObject {
    const value = this.json();
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ParseError(`message is ${describeJson(value)}, expected a JSON object`);
    }
    return value as JsonObject;
  }

  public binaryPayload(): BinaryPayload {
    return readBinaryEnvelope(this.json(), reason => new ParseError(reason));
  }
}

/** V8's JSON.parse messages quote the input; keep only the position. */
function jsonErrorReason(e: unknown): string {
  const message = e instanceof Error ? e.message : '';
  const position = /position (\d+)/.exec(message);
  if (position) return `invalid JSON at position ${position[1]}`;
  if (message.includes('end of JSON input')) return 'invalid JSON: unexpected end of input';
  return 'invalid JSON';
}

function describeJson(value: unknown): string {
  if (value === null) return 'JSON null';
  if (Array.isArray(value)) return 'a JSON array';
  return `a JSON ${typeof value}`;
}

/** A loggable reason for a thrown value, without payload. */
function failureReason(e: unknown): string {
  if (e instanceof ParseError) return e.message;
  if (e instanceof SyntaxError) return 'SyntaxError (message withheld: it may quote the payload)';
  if (e instanceof Error) return `${e.name}: ${e.message}`.slice(0, 200);
  return 'non-Error value thrown';
}

function defaultSerialize(row: unknown): string {
  return typeof row === 'string' ? row : JSON.stringify(row);
}

/**
 * Validates partition keys and returns them as a canonical (sorted) object, or undefined when empty. A value outside
 * the safe set (`PARTITION_KEY_VALUE_SAFE_SET`: it would become part of an S3 key) fails the record.
 */
function canonicalPartitionKeys(keys: unknown): PartitionKeys | undefined {
  if (keys === undefined || keys === null) return undefined;
  if (typeof keys !== 'object' || Array.isArray(keys)) throw new ParseError('partitionKeys() must return an object of strings');
  const names = Object.keys(keys).sort();
  if (names.length === 0) return undefined;
  const canonical: { [name: string]: string } = {};
  for (const name of names) {
    const value = (keys as JsonObject)[name];
    if (typeof value !== 'string') throw new ParseError(`partition key "${name}" is not a string`);
    const problem = partitionKeyValueProblem(value);
    if (problem !== undefined) throw new ParseError(`partition key "${name}" ${problem}; values must be in the safe set`);
    canonical[name] = value;
  }
  return canonical;
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

// Serialized sizes of response entries, derived from JSON.stringify so they cannot drift. `recordId` bytes
// (with quotes) and `data` characters are added per entry.
const ENTRY_OVERHEAD = Object.fromEntries(RECORD_RESULTS.map(result =>
  [result, JSON.stringify({ recordId: '', result, data: '' }).length - 2])) as { readonly [R in RecordResult]: number };
/** `,"metadata":{"partitionKeys":<keys>}` without `<keys>`. */
const METADATA_OVERHEAD = JSON.stringify({ metadata: { partitionKeys: {} } }).length - 2 - 2 + 1;
/** `{"records":[` + `]}`. */
const ENVELOPE_BYTES = JSON.stringify({ records: [] }).length;

/** The serialized size of one response entry. */
function entryBytes(recordIdJsonBytes: number, result: RecordResult, dataChars: number, partitionKeysJsonBytes?: number): number {
  return recordIdJsonBytes + ENTRY_OVERHEAD[result] + dataChars
    + (partitionKeysJsonBytes === undefined ? 0 : METADATA_OVERHEAD + partitionKeysJsonBytes);
}

/** A record that produced rows: answered `Ok` with them (or handed to the sink). */
interface RowsOutcome {
  readonly result: typeof RECORD_RESULT.ok;
  /** The serialized rows, each terminated by `\n`. */
  readonly rows: string;
  readonly partitionKeys: PartitionKeys | undefined;
  /** The record's decoded size in bytes. */
  readonly bytesIn: number;
}

/** A record that produced no rows, or whose rows a sink stored. */
interface DroppedOutcome {
  readonly result: typeof RECORD_RESULT.dropped;
  readonly bytesIn: number;
}

/** A record that failed, with a reason that is safe to log (it never quotes the payload). */
interface FailedOutcome {
  readonly result: typeof RECORD_RESULT.processingFailed;
  readonly reason: string;
  /** The record's decoded size in bytes (0 when its data is not base64). */
  readonly bytesIn: number;
}

/**
 * What the per-record step returns: the record's answer as a value, one of the contract's three results. The
 * batch collects them in input order (Powertools' `BasePartialProcessor` does the same); nothing is passed back
 * through shared variables, so interleaved invocations cannot see each other's records.
 */
type RecordOutcome = RowsOutcome | DroppedOutcome | FailedOutcome;

const NOT_BASE64: FailedOutcome = { result: RECORD_RESULT.processingFailed, reason: 'data is not valid base64', bytesIn: 0 };

interface Failure {
  readonly recordId: string;
  readonly index: number;
  readonly reason: string;
}

/**
 * The answers of one invocation, settled strictly in input order. Before settling record `i`, `reserve`
 * holds the size of empty `ProcessingFailed` answers for records `i..n-1`, so an answer is only accepted
 * when every later record can still be answered.
 */
class Answers {
  public readonly records: FirehoseTransformationResultRecord[];
  public ok = 0;
  public dropped = 0;
  public failed = 0;
  public overflowed = 0;
  public bytesIn = 0;
  public bytesOut = 0;
  public used: number;
  public readonly failures: Failure[] = [];
  private reserve = 0;
  private next = 0;
  private readonly idBytes: Float64Array;

  public constructor(
    private readonly input: readonly FirehoseTransformationEventRecord[],
    private readonly limit: number,
    private readonly maxLoggedFailures: number,
  ) {
    const n = input.length;
    this.records = new Array(n);
    this.idBytes = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const recordId = input[i]?.recordId;
      if (typeof recordId !== 'string') {
        throw new TypeError(`Invalid Firehose transformation event: record ${i} has no string recordId`);
      }
      this.idBytes[i] = jsonStringBytes(recordId);
      this.reserve += this.idBytes[i] + ENTRY_OVERHEAD.ProcessingFailed;
    }
    this.used = ENVELOPE_BYTES + Math.max(0, n - 1);
    if (this.used + this.reserve >= limit) {
      throw new Error(`Cannot answer ${n} records below ${limit} bytes even with empty answers; the batch is retried`);
    }
  }

  /** Answers the next record with its outcome (`Ok` only if it fits, else `ProcessingFailed`). */
  public answer(outcome: RecordOutcome): void {
    const i = this.next++;
    this.reserve -= this.idBytes[i] + ENTRY_OVERHEAD.ProcessingFailed;
    this.bytesIn += outcome.bytesIn;
    if (outcome.result === RECORD_RESULT.ok) this.answerRows(i, outcome.rows, outcome.partitionKeys);
    else if (outcome.result === RECORD_RESULT.dropped) this.answerDropped(i);
    else this.answerFailed(i, outcome.reason);
  }

  private answerRows(i: number, rows: string, keys: PartitionKeys | undefined): void {
    const bytes = Buffer.from(rows, 'utf8');
    const data = bytes.toString('base64');
    const size = entryBytes(this.idBytes[i], RECORD_RESULT.ok, data.length,
      keys === undefined ? undefined : Buffer.byteLength(JSON.stringify(keys), 'utf8'));
    if (this.used + size + this.reserve >= this.limit) {
      this.overflowed++;
      this.answerFailed(i, RESPONSE_SIZE_REASON);
      return;
    }
    const recordId = this.input[i].recordId;
    this.records[i] = keys === undefined
      ? { recordId, result: RECORD_RESULT.ok, data }
      : { recordId, result: RECORD_RESULT.ok, data, metadata: { partitionKeys: keys } };
    this.used += size;
    this.ok++;
    this.bytesOut += bytes.length;
  }

  private answerDropped(i: number): void {
    this.records[i] = { recordId: this.input[i].recordId, result: RECORD_RESULT.dropped, data: '' };
    this.used += this.idBytes[i] + ENTRY_OVERHEAD.Dropped;
    this.dropped++;
  }

  private answerFailed(i: number, reason: string): void {
    const recordId = this.input[i].recordId;
    this.records[i] = { recordId, result: RECORD_RESULT.processingFailed, data: '' };
    this.used += this.idBytes[i] + ENTRY_OVERHEAD.ProcessingFailed;
    this.failed++;
    if (this.failures.length < this.maxLoggedFailures) this.failures.push({ recordId, index: i, reason });
  }
}

/**
 * Builds a Firehose transformation handler from a `parse` function.
 *
 * The handler answers every input record exactly once, in input order, with `Ok`, `Dropped` or
 * `ProcessingFailed`, and keeps the serialized response below `maxResponseBytes`. It throws only when the
 * batch must be retried as a whole: a malformed event, a failed sink write, or a batch that could not be
 * answered within the limit even with empty answers.
 */
export function createParser<Row>(options: ParserOptions<Row>): FirehoseTransformationHandler {
  const parse = options.parse.bind(options);
  const serialize: (row: Row) => string = options.serialize ? options.serialize.bind(options) : defaultSerialize;
  const partitionKeysOf = options.partitionKeys ? options.partitionKeys.bind(options) : undefined;
  const splitLines = options.splitLines ?? true;
  const sink = options.sink;
  const limit = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const maxLoggedFailures = options.maxLoggedFailures ?? 10;
  if (!Number.isInteger(limit) || limit <= ENVELOPE_BYTES) {
    throw new Error(`maxResponseBytes must be an integer above ${ENVELOPE_BYTES}, got ${limit}`);
  }
  // Two small objects that read their environment now (as at Lambda init); stdout is first touched by the first log line.
  const logger = options.logger ?? defaultLogger();
  const metrics = options.metrics ?? defaultMetrics();

  /** The per-record step: decodes, splits, parses and serializes one record, and returns its outcome. */
  function processRecord(record: FirehoseTransformationEventRecord, invocation: InvocationInfo): RecordOutcome {
    const data = record.data;
    const bytes = typeof data === 'string' ? decodeBase64Strict(data) : undefined;
    if (bytes === undefined) return NOT_BASE64;
    const bytesIn = bytes.length;
    const text = decodeUtf8Strict(bytes);
    if (text === undefined) return { result: RECORD_RESULT.processingFailed, reason: 'data is not valid UTF-8', bytesIn };
    let out = '';
    let rows = 0;
    let keys: PartitionKeys | undefined;
    let keysCanonical = '';
    try {
      const length = text.length;
      let start = 0;
      let index = 0;
      while (start < length) {
        let end = splitLines ? text.indexOf('\n', start) : -1;
        if (end === -1) end = length;
        let stop = end;
        if (splitLines && stop > start && text.charCodeAt(stop - 1) === 0x0d) stop--;
        if (stop > start && !(splitLines && isBlank(text, start, stop))) {
          const message = new Message(start === 0 && stop === length ? text : text.slice(start, stop),
            index++, record.recordId, record.approximateArrivalTimestamp);
          const result = parse(message, invocation);
          if (result !== undefined && result !== null) {
            if (typeof (result as { then?: unknown }).then === 'function') {
              throw new ParseError('parse() returned a Promise; it must be synchronous');
            }
            const isList = Array.isArray(result);
            const count = isList ? (result as readonly Row[]).length : 1;
            for (let r = 0; r < count; r++) {
              const row = isList ? (result as readonly Row[])[r] : result as Row;
              const line = serialize(row);
              if (typeof line !== 'string') throw new ParseError('serialize() did not return a string');
              out += line;
              out += '\n';
              rows++;
              if (partitionKeysOf) {
                const k = canonicalPartitionKeys(partitionKeysOf(row, message));
                const canonical = k === undefined ? '' : JSON.stringify(k);
                if (rows === 1) {
                  keys = k;
                  keysCanonical = canonical;
                } else if (canonical !== keysCanonical) {
                  throw new ParseError('rows of one record have different partition keys');
                }
              }
            }
          }
        }
        start = end + 1;
      }
    } catch (e) {
      return { result: RECORD_RESULT.processingFailed, reason: failureReason(e), bytesIn };
    }
    if (rows === 0) return { result: RECORD_RESULT.dropped, bytesIn };
    return { result: RECORD_RESULT.ok, rows: out, partitionKeys: keys, bytesIn };
  }

  /*
   * Speed against the budgets (warm ≤ 1.25× the floor, cold start ≤ 1.15×; bench/parser-bench.ts, `npx projen bench`,
   * with `-- --compare <older bundle>` to time an earlier build in the same run). Measured on 2 shared cores, as
   * CPU time paired with the floor in the same process (wall time moved ±20% with the load):
   * - Warm: the reference parser's defaults 1.14–1.18× the floor (1 MB and 6 MB); without the added
   *   `arrival_timestamp` field 1.07–1.11×. Most of the gap is that field: the floor writes no field, the defaults
   *   write ~12% more output bytes (1.04 vs 0.93 MB), and adding a property to each parsed object costs ~9% of
   *   JSON.parse + JSON.stringify alone.
   * - Cold (1 MB): `require` is ~2 ms; the first batch costs ~1.8× the floor's CPU (46 vs 25 ms). About 20 ms of that is
   *   TurboFan compiling the per-record path on background threads (`node --trace-opt`: processRecord with what it
   *   inlines ≥ 10 ms, answerRows ≥ 4 ms, answerAll's OSR ~3 ms; the floor's one loop ~7 ms in all); with
   *   `node --no-opt` the same first batch costs 26.5 vs 17.8 ms, with `--no-turbo-inlining` 38 vs 22 ms (paired
   *   1.77×, from 1.87×). The first log line also initializes process.stdout (~1.7 ms), which the floor never
   *   touches. So the cold budget is held back by how much code the hot path makes V8 compile and run unoptimized,
   *   not by module init: what is left to try is a smaller per-record path, not fewer imports.
   *   Tried without a measurable gain: `buffer.isUtf8` + `toString` instead of the fatal TextDecoder (slower cold),
   *   one object shape for all three outcomes, calling `parse` with `.call` instead of a bound function.
   * - Where the warm time goes (`node --cpu-prof`, the reference parser's defaults unminified, 300 warm 1 MB batches of
   *   the bench's messages, on the shared machine at load 15): JSON.stringify of the rows 26%, JSON.parse 22%, GC 13%,
   *   base64 and UTF-8 conversions ~12%, everything of the toolkit's own (processRecord, Answers, answerRows, the
   *   strict base64 check) ~9%. The floor pays for the same parse, stringify and conversions. Decoding is at the floor:
   *   the fatal TextDecoder 0.54–0.55 ms per 1 MB batch, `toString('utf8')` 0.52–0.55 ms, `isAscii` + `latin1Slice`
   *   0.56–0.64 ms (median CPU of 60 rounds). The defaults' added `arrival_timestamp` alone — JSON.parse, set one
   *   property, JSON.stringify, against the same without the property — costs 1.09–1.23× (two runs), which is most of
   *   the budget's 1.25×: what is left to win is in the reference parser's added fields (its config), not in this loop.
   */

  /**
   * One pass: answers each record as soon as it is processed (keeps intermediate strings short-lived). A plain
   * function, not inlined in the async handler: V8 can optimize (OSR) a long-running loop in a normal
   * function while it runs, which matters for the first batch after a cold start.
   */
  function answerAll(records: readonly FirehoseTransformationEventRecord[], invocation: InvocationInfo, answers: Answers): void {
    for (let i = 0; i < records.length; i++) answers.answer(processRecord(records[i], invocation));
  }

  /**
   * Processes every record for a sink: the rows grouped by partition keys, and each record's outcome once the
   * sink has stored the groups (a record with rows becomes `Dropped`, its rows now in a group).
   */
  function collectForSink(records: readonly FirehoseTransformationEventRecord[], invocation: InvocationInfo):
  { groups: SinkGroup[]; outcomes: RecordOutcome[] } {
    const groups = new Map<string, { partitionKeys: PartitionKeys | undefined; recordIds: string[]; chunks: string[] }>();
    const outcomes: RecordOutcome[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const outcome = processRecord(records[i], invocation);
      if (outcome.result !== RECORD_RESULT.ok) {
        outcomes[i] = outcome;
        continue;
      }
      const groupKey = outcome.partitionKeys === undefined ? '' : JSON.stringify(outcome.partitionKeys);
      let group = groups.get(groupKey);
      if (!group) {
        group = { partitionKeys: outcome.partitionKeys, recordIds: [], chunks: [] };
        groups.set(groupKey, group);
      }
      group.recordIds.push(records[i].recordId);
      group.chunks.push(outcome.rows);
      outcomes[i] = { result: RECORD_RESULT.dropped, bytesIn: outcome.bytesIn };
    }
    return {
      groups: [...groups.values()].map(g => (g.partitionKeys === undefined
        ? { recordIds: g.recordIds, data: g.chunks.join('') }
        : { partitionKeys: g.partitionKeys, recordIds: g.recordIds, data: g.chunks.join('') })),
      outcomes,
    };
  }

  return async (event: FirehoseTransformationEvent, context?: LambdaContextLike) => {
    const records = event?.records as readonly FirehoseTransformationEventRecord[] | undefined;
    if (!Array.isArray(records)) {
      throw new TypeError('Invalid Firehose transformation event: "records" is not an array');
    }
    const n = records.length;
    const invocation: InvocationInfo = {
      invocationId: event.invocationId,
      deliveryStreamArn: event.deliveryStreamArn,
      region: event.region,
    };
    const logContext = { invocationId: event.invocationId, awsRequestId: context?.awsRequestId };
    const answers = new Answers(records, limit, maxLoggedFailures);
    let written = 0;

    if (!sink) {
      answerAll(records, invocation, answers);
    } else {
      // Process everything, store the rows through the sink, then answer: written records `Dropped`.
      const { groups, outcomes } = collectForSink(records, invocation);
      if (groups.length > 0) {
        try {
          await sink(groups, { ...invocation, firstArrivalTimestamp: records[0].approximateArrivalTimestamp });
        } catch (e) {
          logger.error('Sink write failed; throwing so Firehose retries the whole batch', {
            ...logContext, groups: groups.length, error: failureReason(e),
          });
          metrics.addMetric('SinkFailures', 'Count', 1);
          metrics.publishStoredMetrics();
          throw e;
        }
        for (const group of groups) {
          written += group.recordIds.length;
          answers.bytesOut += Buffer.byteLength(group.data, 'utf8');
        }
      }
      for (const outcome of outcomes) answers.answer(outcome);
    }

    const { ok, dropped, failed, overflowed, bytesIn, bytesOut, failures } = answers;
    for (const failure of failures) {
      logger.warn('Record answered ProcessingFailed', { ...logContext, ...failure });
    }
    if (failed > failures.length) {
      logger.warn('More records answered ProcessingFailed than logged one by one', {
        ...logContext, failed, logged: failures.length,
      });
    }
    logger.info('Batch answered', {
      ...logContext, records: n, ok, dropped, failed, overflowed, written, bytesIn, bytesOut, responseBytes: answers.used,
    });
    metrics.addMetric('RecordsIn', 'Count', n);
    metrics.addMetric('RecordsOk', 'Count', ok);
    metrics.addMetric('RecordsDropped', 'Count', dropped);
    metrics.addMetric('RecordsFailed', 'Count', failed);
    metrics.addMetric('RecordsOverflowed', 'Count', overflowed);
    if (sink) metrics.addMetric('RecordsWritten', 'Count', written);
    metrics.addMetric('BytesIn', 'Bytes', bytesIn);
    metrics.addMetric('BytesOut', 'Bytes', bytesOut);
    metrics.publishStoredMetrics();

    return { records: answers.records };
  };
}
