import { decodeBase64Strict, decodeUtf8Strict, jsonStringBytes } from './decode';
import { defaultLogger, defaultMetrics, ToolkitLogger, ToolkitMetrics } from './observability';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationHandler,
  FirehoseTransformationResultRecord,
  LambdaContextLike,
} from './types';
import { RESPONSE_LIMIT_BYTES } from '../../src/contract/parser';
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
const ENTRY_OVERHEAD = {
  Ok: JSON.stringify({ recordId: '', result: 'Ok', data: '' }).length - 2,
  Dropped: JSON.stringify({ recordId: '', result: 'Dropped', data: '' }).length - 2,
  ProcessingFailed: JSON.stringify({ recordId: '', result: 'ProcessingFailed', data: '' }).length - 2,
} as const;
/** `,"metadata":{"partitionKeys":<keys>}` without `<keys>`. */
const METADATA_OVERHEAD = JSON.stringify({ metadata: { partitionKeys: {} } }).length - 2 - 2 + 1;
/** `{"records":[` + `]}`. */
const ENVELOPE_BYTES = JSON.stringify({ records: [] }).length;

/** The serialized size of one response entry. */
function entryBytes(recordIdJsonBytes: number, result: keyof typeof ENTRY_OVERHEAD, dataChars: number, partitionKeysJsonBytes?: number): number {
  return recordIdJsonBytes + ENTRY_OVERHEAD[result] + dataChars
    + (partitionKeysJsonBytes === undefined ? 0 : METADATA_OVERHEAD + partitionKeysJsonBytes);
}

interface Group {
  readonly partitionKeys: PartitionKeys | undefined;
  readonly recordIds: string[];
  readonly chunks: string[];
}

interface Failure {
  readonly recordId: string;
  readonly index: number;
  readonly reason: string;
}

/** The outcome of parsing one record. */
const enum Outcome { Rows, NoRows, Failed }

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

  /** Answers the next record `Ok` with `rows` if it fits, else `ProcessingFailed`. */
  public rows(rows: string, keys: PartitionKeys | undefined): void {
    const i = this.next++;
    this.reserve -= this.idBytes[i] + ENTRY_OVERHEAD.ProcessingFailed;
    const bytes = Buffer.from(rows, 'utf8');
    const data = bytes.toString('base64');
    const size = entryBytes(this.idBytes[i], 'Ok', data.length,
      keys === undefined ? undefined : Buffer.byteLength(JSON.stringify(keys), 'utf8'));
    if (this.used + size + this.reserve >= this.limit) {
      this.overflowed++;
      this.answerFailed(i, RESPONSE_SIZE_REASON);
      return;
    }
    const recordId = this.input[i].recordId;
    this.records[i] = keys === undefined
      ? { recordId, result: 'Ok', data }
      : { recordId, result: 'Ok', data, metadata: { partitionKeys: keys } };
    this.used += size;
    this.ok++;
    this.bytesOut += bytes.length;
  }

  /** Answers the next record `Dropped`. */
  public drop(): void {
    const i = this.next++;
    this.reserve -= this.idBytes[i] + ENTRY_OVERHEAD.ProcessingFailed;
    this.records[i] = { recordId: this.input[i].recordId, result: 'Dropped', data: '' };
    this.used += this.idBytes[i] + ENTRY_OVERHEAD.Dropped;
    this.dropped++;
  }

  /** Answers the next record `ProcessingFailed`. */
  public fail(reason: string): void {
    const i = this.next++;
    this.reserve -= this.idBytes[i] + ENTRY_OVERHEAD.ProcessingFailed;
    this.answerFailed(i, reason);
  }

  private answerFailed(i: number, reason: string): void {
    const recordId = this.input[i].recordId;
    this.records[i] = { recordId, result: 'ProcessingFailed', data: '' };
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

  // Results of `parseRecord`, consumed synchronously right after each call (no await in between), so
  // interleaved invocations cannot see each other's values.
  let bytesIn = 0;
  let rowsOut = '';
  let keysOut: PartitionKeys | undefined;
  let reasonOut = '';

  /** Decodes, splits, parses and serializes one record into rowsOut / keysOut / reasonOut. */
  function parseRecord(record: FirehoseTransformationEventRecord, invocation: InvocationInfo): Outcome {
    const data = record.data;
    const bytes = typeof data === 'string' ? decodeBase64Strict(data) : undefined;
    if (bytes === undefined) {
      reasonOut = 'data is not valid base64';
      return Outcome.Failed;
    }
    bytesIn += bytes.length;
    const text = decodeUtf8Strict(bytes);
    if (text === undefined) {
      reasonOut = 'data is not valid UTF-8';
      return Outcome.Failed;
    }
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
      reasonOut = failureReason(e);
      return Outcome.Failed;
    }
    if (rows === 0) return Outcome.NoRows;
    rowsOut = out;
    keysOut = keys;
    return Outcome.Rows;
  }

  /**
   * One pass: answers each record as soon as it is parsed (keeps intermediate strings short-lived). A plain
   * function, not inlined in the async handler: V8 can optimize (OSR) a long-running loop in a normal
   * function while it runs, which matters for the first batch after a cold start.
   */
  function answerAll(records: readonly FirehoseTransformationEventRecord[], invocation: InvocationInfo, answers: Answers): void {
    for (let i = 0; i < records.length; i++) {
      const outcome = parseRecord(records[i], invocation);
      if (outcome === Outcome.Rows) answers.rows(rowsOut, keysOut);
      else if (outcome === Outcome.NoRows) answers.drop();
      else answers.fail(reasonOut);
      rowsOut = '';
      keysOut = undefined;
    }
  }

  /** Parses every record for a sink; rows grouped by partition keys, outcomes and reasons by index. */
  function collectGroups(records: readonly FirehoseTransformationEventRecord[], invocation: InvocationInfo,
    outcomes: Uint8Array, reasons: string[]): Map<string, Group> {
    const groups = new Map<string, Group>();
    for (let i = 0; i < records.length; i++) {
      const outcome = parseRecord(records[i], invocation);
      outcomes[i] = outcome;
      if (outcome === Outcome.Failed) {
        reasons[i] = reasonOut;
      } else if (outcome === Outcome.Rows) {
        const groupKey = keysOut === undefined ? '' : JSON.stringify(keysOut);
        let group = groups.get(groupKey);
        if (!group) {
          group = { partitionKeys: keysOut, recordIds: [], chunks: [] };
          groups.set(groupKey, group);
        }
        group.recordIds.push(records[i].recordId);
        group.chunks.push(rowsOut);
      }
      rowsOut = '';
      keysOut = undefined;
    }
    return groups;
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
    bytesIn = 0;
    let totalBytesIn = 0;
    let written = 0;

    if (!sink) {
      answerAll(records, invocation, answers);
      totalBytesIn = bytesIn;
    } else {
      // Parse everything, store the rows through the sink, then answer: written records `Dropped`.
      const outcomes = new Uint8Array(n);
      const reasons: string[] = new Array(n);
      const groups = collectGroups(records, invocation, outcomes, reasons);
      totalBytesIn = bytesIn; // read before the await: invocations may interleave there
      if (groups.size > 0) {
        const list: SinkGroup[] = [...groups.values()].map(g => (g.partitionKeys === undefined
          ? { recordIds: g.recordIds, data: g.chunks.join('') }
          : { partitionKeys: g.partitionKeys, recordIds: g.recordIds, data: g.chunks.join('') }));
        groups.clear();
        try {
          await sink(list, { ...invocation, firstArrivalTimestamp: records[0].approximateArrivalTimestamp });
        } catch (e) {
          logger.error('Sink write failed; throwing so Firehose retries the whole batch', {
            ...logContext, groups: list.length, error: failureReason(e),
          });
          metrics.addMetric('SinkFailures', 'Count', 1);
          metrics.publishStoredMetrics();
          throw e;
        }
        for (const group of list) {
          written += group.recordIds.length;
          answers.bytesOut += Buffer.byteLength(group.data, 'utf8');
        }
      }
      for (let i = 0; i < n; i++) {
        if (outcomes[i] === Outcome.Failed) answers.fail(reasons[i]);
        else answers.drop();
      }
    }

    const { ok, dropped, failed, overflowed, bytesOut, failures } = answers;
    for (const failure of failures) {
      logger.warn('Record answered ProcessingFailed', { ...logContext, ...failure });
    }
    if (failed > failures.length) {
      logger.warn('More records answered ProcessingFailed than logged one by one', {
        ...logContext, failed, logged: failures.length,
      });
    }
    logger.info('Batch answered', {
      ...logContext, records: n, ok, dropped, failed, overflowed, written, bytesIn: totalBytesIn, bytesOut, responseBytes: answers.used,
    });
    metrics.addMetric('RecordsIn', 'Count', n);
    metrics.addMetric('RecordsOk', 'Count', ok);
    metrics.addMetric('RecordsDropped', 'Count', dropped);
    metrics.addMetric('RecordsFailed', 'Count', failed);
    metrics.addMetric('RecordsOverflowed', 'Count', overflowed);
    if (sink) metrics.addMetric('RecordsWritten', 'Count', written);
    metrics.addMetric('BytesIn', 'Bytes', totalBytesIn);
    metrics.addMetric('BytesOut', 'Bytes', bytesOut);
    metrics.publishStoredMetrics();

    return { records: answers.records };
  };
}
