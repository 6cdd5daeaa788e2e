/**
 * `cdk-iot-pipeline parser test`, once its options are parsed: run a parser over sample messages exactly as the
 * local runner would — the runner's Firehose stream batches them (processor buffer size, record ids, arrival
 * times, retries, response validation) and the runner's Lambda runtimes run the handler — and report per record
 * Ok / Dropped / Failed with the reason and the output. Loaded only when the command runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loggedReasons } from './log';
import { FirehoseEvent, readEvents, readMessages } from './samples';
import { parseBufferSize, resolveTarget } from './target';
import { LocalDeliveryStream, validateResponse } from '../../local/firehose/delivery-stream';
import { RulesEngine } from '../../local/iot/rules';
import { ruleReceives } from '../../local/iot/topic-filter';
import { createInvoker, InvocationError, Invoker } from '../../local/lambda/runtime';
import type { ObjectSink } from '../../local/s3/sinks';
import { LOCAL_ACCOUNT } from '../../src/contract';
import type { CommandContext } from '../command';
import { UsageError } from '../errors';
import { renderTable } from '../format';
import { printReport } from '../io';

/** The `parser test` command's options as given. */
export interface ParserTestOptions {
  readonly entry?: string;
  readonly handler?: string;
  readonly app?: string;
  readonly stack?: string;
  readonly pipeline?: string;
  /** A file, or `-` for stdin. */
  readonly input: string;
  /** The input holds raw Firehose events, not messages. */
  readonly events?: boolean;
  /** With --app: the messages are payloads published to this topic, run through the pipeline's topic rule. */
  readonly topic?: string;
  readonly bufferSize?: string;
  readonly json?: boolean;
  readonly expectOk?: boolean;
}

/** What became of one record. */
export interface RecordOutcome {
  /** The sample's line in the input (messages), or its position in the event (`--events`, 1-based). */
  readonly line?: number;
  readonly event?: number;
  /** Undefined when the rule forwarded nothing (`Skipped`). */
  readonly batch?: number;
  readonly recordId?: string;
  /** `Skipped`: with --topic, the topic rule forwarded nothing for the message (the reason says why). */
  readonly result: 'Ok' | 'Dropped' | 'Failed' | 'Skipped';
  /** Why it failed (the parser's logged reason, else what Firehose would record), or why the rule skipped it. */
  readonly reason?: string;
  /** The data the parser answered (Ok), as UTF-8 text. */
  readonly output?: string;
  readonly partitionKeys?: Record<string, string>;
}

/** The report `--json` prints. */
export interface ParserTestReport {
  readonly parser: string;
  readonly runtime: string;
  readonly batches: number;
  readonly invocations: number;
  readonly summary: { readonly records: number; readonly ok: number; readonly dropped: number; readonly failed: number; readonly skipped: number };
  readonly records: RecordOutcome[];
}

/** One invocation event the stream sent, and what the last attempt got. */
interface Invocation {
  readonly event: FirehoseEvent;
  attempts: number;
  last: { response: unknown } | { error: unknown };
}

/** An invoker that remembers every event and the answer of its last attempt. */
class RecordingInvoker implements Invoker {
  public readonly invocations: Invocation[] = [];
  private readonly byEvent = new Map<unknown, Invocation>();

  constructor(private readonly inner: Invoker) {}

  public async invoke(event: unknown): Promise<unknown> {
    let invocation = this.byEvent.get(event);
    if (!invocation) {
      invocation = { event: event as FirehoseEvent, attempts: 0, last: { error: new Error('not invoked') } };
      this.byEvent.set(event, invocation);
      this.invocations.push(invocation);
    }
    invocation.attempts++;
    try {
      const response = await this.inner.invoke(event);
      invocation.last = { response };
      return response;
    } catch (e) {
      invocation.last = { error: e };
      throw e;
    }
  }

  public close(): Promise<void> {
    return this.inner.close();
  }
}

/** Objects are not written: the report shows what the parser answered. */
const DISCARD: ObjectSink = {
  describe: (bucket, key) => `s3://${bucket.name}/${key}`,
  put: async () => undefined,
  prepare: async () => undefined,
};

/** Runs the parser over the samples and prints the report; exit code 1 with `--expect-ok` when a record failed. */
export async function runParserTest(o: ParserTestOptions, context: CommandContext): Promise<void> {
  const input = readInput(o.input);
  const scratch = mkdtempSync(join(tmpdir(), 'cdk-iot-parser-test-'));
  try {
    const report = await testParser(o, input, scratch);
    printReport(context.io, report, o.json, formatParserTest);
    context.setExitCode(o.expectOk && report.summary.failed > 0 ? 1 : 0);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function readInput(input: string): { text: string; source: string } {
  if (input === '-') return { text: readFileSync(0, 'utf8'), source: 'stdin' };
  if (!existsSync(input)) throw new UsageError(`--input ${input} does not exist: give a file of messages (one a line) or - for stdin.`);
  return { text: readFileSync(input, 'utf8'), source: input };
}

/** Runs the parser over the input's samples (messages or events) and collects each record's outcome. */
export async function testParser(o: ParserTestOptions, input: { text: string; source: string }, scratch: string): Promise<ParserTestReport> {
  const target = resolveTarget({
    entry: o.entry,
    handler: o.handler,
    app: o.app,
    stack: o.stack,
    pipeline: o.pipeline,
    scratchDir: scratch,
    bufferSizeMiB: o.bufferSize !== undefined ? parseBufferSize(o.bufferSize) : undefined,
  });
  // Read the samples before starting a runtime, so bad input costs nothing.
  const events = o.events
    ? readEvents(input.text, input.source, { deliveryStreamArn: target.stream.arn, region: target.stream.region, now: Date.now() })
    : undefined;
  const messages = events ? undefined : readMessages(input.text, input.source);
  if (o.topic !== undefined && (events || !target.rules || target.rules.length === 0)) {
    throw new UsageError('--topic runs the messages through the pipeline\'s topic rule: give --app (and leave out --events).');
  }
  const topic = o.topic;
  if (topic !== undefined && !target.rules!.some((r) => !r.disabled && ruleReceives(r.name, r.sql.from, topic))) {
    const filters = target.rules!.map((r) => `'${r.sql.from}'`).join(', ');
    throw new UsageError(`--topic ${topic} is not a topic the pipeline's rule reads (FROM ${filters}): a device publishing there reaches no parser. Give a topic the filter matches.`);
  }
  const logDir = join(scratch, 'logs');
  const invoker = new RecordingInvoker(createInvoker(target.fn, logDir));
  let records: Array<{ line?: number; event?: number; batch?: number; recordId?: string; raw: Outcome }>;
  try {
    if (events) {
      records = [];
      for (const [e, event] of events.entries()) {
        let last: Invocation['last'];
        try {
          last = { response: await invoker.invoke(event) };
        } catch (error) {
          last = { error };
        }
        const outcomes = outcomesOf(event, last);
        event.records.forEach((r, i) => records.push({ event: i + 1, batch: e + 1, recordId: r.recordId, raw: outcomes[i] }));
      }
    } else {
      // The runner's stream batches the messages (processor buffer size), numbers the records and retries.
      const stream = new LocalDeliveryStream(target.stream, { sink: DISCARD, invoker, log: () => undefined });
      // The line each record came from, in the order the stream receives them.
      const recordLines: number[] = [];
      const skipped: Array<{ line: number; raw: Outcome }> = [];
      if (o.topic !== undefined) {
        // The runner's rules engine: the rule's SQL (WHERE, SELECT) and its Firehose action put the records.
        const engineLog: string[] = [];
        const streams = new Map([[target.stream.name, stream]]);
        const engine = new RulesEngine(target.rules!, streams, DISCARD, (line) => engineLog.push(line), LOCAL_ACCOUNT);
        for (const m of messages!) {
          const before = stream.stats.recordsIn;
          const logged = engineLog.length;
          void engine.ingest({ topic: o.topic, clientId: 'parser-test', timestamp: Date.now(), payload: m.data, qos: 1 });
          for (let n = stream.stats.recordsIn - before; n > 0; n--) recordLines.push(m.line);
          if (stream.stats.recordsIn === before) {
            const why = engineLog.slice(logged).join('; ') || 'the rule\'s WHERE clause did not select it';
            skipped.push({ line: m.line, raw: { result: 'Skipped', reason: why } });
          }
        }
        await engine.drain();
      } else {
        const separator = Buffer.from(target.separator, 'utf8');
        for (const m of messages!) {
          void stream.put({ data: Buffer.concat([m.data, separator]), arrival: Date.now() });
          recordLines.push(m.line);
        }
      }
      await stream.drain();
      stream.stop();
      records = [];
      let next = 0;
      invoker.invocations.forEach((invocation, b) => {
        const outcomes = outcomesOf(invocation.event, invocation.last);
        invocation.event.records.forEach((r, i) => {
          records.push({ line: recordLines[next++], batch: b + 1, recordId: r.recordId, raw: outcomes[i] });
        });
      });
      records.push(...skipped);
      records.sort((a, b) => a.line! - b.line!);
    }
  } finally {
    await invoker.close();
  }
  const logFile = join(logDir, `${target.fn.name}.log`);
  const logged = existsSync(logFile) ? loggedReasons(readFileSync(logFile, 'utf8')) : new Map<string, string>();
  const outcomes: RecordOutcome[] = records.map(({ raw, ...where }) => {
    if (raw.result === 'Failed') {
      return { ...where, result: 'Failed', reason: (where.recordId !== undefined ? logged.get(where.recordId) : undefined) ?? raw.reason };
    }
    return { ...where, ...raw };
  });
  const count = (result: RecordOutcome['result']) => outcomes.filter((r) => r.result === result).length;
  return {
    parser: target.label,
    runtime: target.fn.runtime,
    batches: events ? events.length : invoker.invocations.length,
    invocations: invoker.invocations.reduce((n, i) => n + i.attempts, 0),
    summary: {
      records: outcomes.length - count('Skipped'), ok: count('Ok'), dropped: count('Dropped'), failed: count('Failed'), skipped: count('Skipped'),
    },
    records: outcomes,
  };
}

type Outcome =
  | { result: 'Ok'; output: string; partitionKeys?: Record<string, string> }
  | { result: 'Dropped' }
  | { result: 'Failed'; reason: string }
  | { result: 'Skipped'; reason: string };

/** Each record's outcome from the last answer to its event: validated as Firehose validates it. */
function outcomesOf(event: FirehoseEvent, last: Invocation['last']): Outcome[] {
  const ids = event.records.map((r) => r.recordId);
  let problem: string;
  if ('response' in last) {
    const validated = validateResponse(ids, last.response);
    if ('results' in validated) {
      return ids.map((id): Outcome => {
        const r = validated.results.get(id)!;
        if (r.result === 'Ok') return { result: 'Ok', output: r.data.toString('utf8'), ...(r.partitionKeys ? { partitionKeys: r.partitionKeys } : {}) };
        if (r.result === 'Dropped') return { result: 'Dropped' };
        return { result: 'Failed', reason: 'answered ProcessingFailed (the parser logged no reason for it)' };
      });
    }
    problem = `the response was rejected, so every record of the batch failed: ${validated.problem.errorCode}: ${validated.problem.errorMessage}`;
  } else {
    const e = last.error;
    problem = e instanceof InvocationError
      ? `the invocation failed, so every record of the batch failed: ${e.errorType}: ${e.message}`
      : `the invocation failed: ${(e as Error).message}`;
  }
  return ids.map(() => ({ result: 'Failed', reason: problem }));
}

/** Text shown for a record's output: its lines joined with a visible ⏎, without the final newline. */
function shown(output: string): string {
  return output.replace(/\n$/, '').replace(/\r?\n/g, ' ⏎ ');
}

/** The report as text: a table of records, then the summary. */
export function formatParserTest(report: ParserTestReport): string {
  const rows = report.records.map((r) => [
    r.line !== undefined ? `line ${r.line}` : `record ${r.event}`,
    r.batch !== undefined ? String(r.batch) : '-',
    r.result,
    r.result === 'Failed' || r.result === 'Skipped' ? r.reason ?? '' : r.result === 'Ok'
      ? `${r.partitionKeys ? `[${Object.entries(r.partitionKeys).map(([k, v]) => `${k}=${v}`).join(' ')}] ` : ''}${shown(r.output ?? '')}`
      : '',
  ]);
  const { summary: s } = report;
  return [
    `parser ${report.parser} (${report.runtime})`,
    renderTable(['sample', 'batch', 'result', 'reason / output'], rows),
    '',
    `${s.records} record(s) in ${report.batches} batch(es), ${report.invocations} invocation(s): ${s.ok} Ok, ${s.dropped} Dropped, ${s.failed} Failed`
      + `${s.skipped > 0 ? `; ${s.skipped} message(s) the topic rule did not forward` : ''}`,
  ].join('\n');
}
