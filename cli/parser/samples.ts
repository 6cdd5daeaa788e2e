/**
 * The samples `parser test` runs: messages, one a line (JSON Lines or plain text), or raw Firehose transformation
 * events (`--events`: one event object, an array of them, or one a line).
 */
import { UsageError } from '../errors';

/** One sample message and the line it came from (1-based). */
export interface SampleMessage {
  readonly line: number;
  readonly data: Buffer;
}

/** One record of a raw Firehose event, as the parser receives it. */
export interface EventRecord {
  readonly recordId: string;
  readonly approximateArrivalTimestamp: number;
  readonly data: string;
}

/** A raw Firehose transformation event. */
export interface FirehoseEvent {
  readonly invocationId: string;
  readonly deliveryStreamArn: string;
  readonly region: string;
  readonly records: EventRecord[];
}

/** The messages of a JSON Lines or text input: every non-empty line (a trailing `\r` removed), with its line number. */
export function readMessages(text: string, source: string): SampleMessage[] {
  const messages: SampleMessage[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() !== '') messages.push({ line: i + 1, data: Buffer.from(line, 'utf8') });
  });
  if (messages.length === 0) throw new UsageError(`${source} holds no messages: give one message a line (JSON Lines or text).`);
  return messages;
}

/**
 * The events of an `--events` input: one JSON event, a JSON array of events, or one event a line. Every record needs
 * `recordId` and base64 `data`; `approximateArrivalTimestamp` defaults to now, the event's other fields to placeholders.
 */
export function readEvents(text: string, source: string, defaults: { deliveryStreamArn: string; region: string; now: number }): FirehoseEvent[] {
  let values: unknown[];
  try {
    const whole: unknown = JSON.parse(text);
    values = Array.isArray(whole) ? whole : [whole];
  } catch {
    values = text.split('\n').map((l, i) => ({ l: l.trim(), i })).filter(({ l }) => l !== '').map(({ l, i }) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        throw new UsageError(`${source} line ${i + 1} is not JSON: --events takes Firehose events ({"records":[{"recordId","data"}]}) as one JSON value, an array, or one a line.`);
      }
    });
  }
  if (values.length === 0) throw new UsageError(`${source} holds no events.`);
  return values.map((value, e) => {
    const event = value as { invocationId?: unknown; deliveryStreamArn?: unknown; region?: unknown; records?: unknown };
    if (typeof event !== 'object' || event === null || !Array.isArray(event.records)) {
      throw new UsageError(`${source}: event ${e + 1} has no "records" array; a Firehose event is {"records":[{"recordId":"…","data":"<base64>"}]}. For messages, leave out --events.`);
    }
    const records = event.records.map((r: unknown, i: number): EventRecord => {
      const record = r as { recordId?: unknown; data?: unknown; approximateArrivalTimestamp?: unknown };
      if (typeof record?.recordId !== 'string' || typeof record.data !== 'string') {
        throw new UsageError(`${source}: record ${i + 1} of event ${e + 1} needs "recordId" and "data" (base64) strings.`);
      }
      return {
        recordId: record.recordId,
        approximateArrivalTimestamp: typeof record.approximateArrivalTimestamp === 'number' ? record.approximateArrivalTimestamp : defaults.now,
        data: record.data,
      };
    });
    return {
      invocationId: typeof event.invocationId === 'string' ? event.invocationId : `parser-test-${e + 1}`,
      deliveryStreamArn: typeof event.deliveryStreamArn === 'string' ? event.deliveryStreamArn : defaults.deliveryStreamArn,
      region: typeof event.region === 'string' ? event.region : defaults.region,
      records,
    };
  });
}
