/**
 * The rules engine: every published message is matched against each enabled rule's FROM topic filter (MQTT
 * matching), or — Basic Ingest — sent straight to the rule named in `$aws/rules/<ruleName>/<topic>` with the
 * prefix removed from topic(). WHERE decides, SELECT builds the output, and each action runs. A failed action
 * sends the AWS-shaped error message to the rule's errorAction:
 * `{ruleName, topic, cloudwatchTraceId, clientId, base64OriginalPayload, failures:[{failedAction, failedResource, errorMessage}]}`.
 *
 * `ingest` returns the promise that everything the message caused is durable (the streams' `put`, the S3 actions'
 * writes); the journal marks the message done when it resolves. A write that fails is logged and never resolves,
 * so the message stays in the journal for replay.
 */
import { randomUUID } from 'crypto';
import { DescriptorCache, NonJsonPayloadError, ObjectReader, SqlEvaluationError, SqlMessage, SqlValue } from './sql';
import { topicMatches } from './topic-filter';
import { BASIC_INGEST_PREFIX, LOCAL_ACCOUNT, splitBasicIngest } from '../../src/contract';
import type { ActionModel, RuleModel } from '../assembly/model';
import type { FirehoseRecord, LocalDeliveryStream, Logger } from '../firehose/delivery-stream';
import type { MessageProperties } from '../journal/entry';
import type { ObjectSink } from '../s3/sinks';

/** A message as the broker hands it over. */
export interface IngestMessage {
  readonly topic: string;
  readonly clientId: string;
  readonly timestamp: number;
  readonly payload: Buffer;
  /** The certificate's fingerprint (`principal()`). */
  readonly principal?: string;
  /** The connection's address (`sourceip()`). */
  readonly sourceIp?: string;
  /** The MQTT 5 PUBLISH properties (`get_mqtt_property()`, `get_user_properties()`). */
  readonly properties?: MessageProperties;
  readonly qos: number;
}

const DELIVERED: Promise<void> = Promise.resolve();
/** A delivery that will not complete (its write failed): the journal keeps the message. */
const NOT_DELIVERED: Promise<void> = new Promise<void>(() => undefined);

/** Counters per rule. */
export interface RuleStats {
  matched: number;
  filtered: number;
  parseErrors: number;
  actionFailures: number;
  errorActionFailures: number;
}

/** Messages a rule could not process because the payload is not a JSON object, on one topic. */
export interface UnprocessableTopic {
  readonly topic: string;
  /** The rule (the first one that met such a message on the topic). */
  readonly rule: string;
  count: number;
}

/** What to change when a JSON rule meets payloads that are not JSON (the construct's binary payload format). */
export const UNPROCESSABLE_FIX = 'give the pipeline `payload: PayloadFormat.binary()` (its rule wraps any payload: encode(*, \'base64\')), '
  + 'or make the devices send JSON objects';

/** The most topics counted one by one; messages on further topics are counted in the total only. */
const MAX_COUNTED_TOPICS = 1000;

/** The engine. */
export class RulesEngine {
  public readonly stats = new Map<string, RuleStats>();
  public ruleNotFound = 0;
  /**
   * Messages no rule could process: a payload that is not a JSON object met a SELECT that adds fields to `*` (a JSON
   * rule), per topic; `unprocessableTotal` counts them all.
   */
  public readonly unprocessable = new Map<string, UnprocessableTopic>();
  public unprocessableTotal = 0;
  private readonly descriptors?: DescriptorCache;
  private readonly byName = new Map<string, RuleModel>();
  private readonly pendingWrites = new Set<Promise<unknown>>();
  private readonly matchCache = new Map<string, RuleModel[]>();
  /** Topics already logged as selected by no rule. */
  private readonly unselectedTopics = new Set<string>();

  constructor(
    private readonly rules: RuleModel[],
    private readonly streams: Map<string, LocalDeliveryStream>,
    private readonly sink: ObjectSink,
    private readonly log: Logger,
    private readonly accountId: string = LOCAL_ACCOUNT,
    /** The buckets `decode(*, 'proto', …)` reads its descriptor sets from. */
    objects?: ObjectReader,
  ) {
    if (objects) this.descriptors = new DescriptorCache(objects);
    for (const rule of rules) {
      this.byName.set(rule.name, rule);
      this.stats.set(rule.name, { matched: 0, filtered: 0, parseErrors: 0, actionFailures: 0, errorActionFailures: 0 });
    }
  }

  /**
   * Runs the rules for one message; resolves once everything it caused is durable (at once when nothing was
   * caused: no rule matched, WHERE filtered it, RuleNotFound).
   */
  public ingest(message: IngestMessage): Promise<void> {
    const deliveries: Array<Promise<void>> = [];
    if (message.topic.startsWith(BASIC_INGEST_PREFIX)) {
      const basic = splitBasicIngest(message.topic);
      const rule = basic && this.byName.get(basic.ruleName);
      if (!basic || !rule || rule.disabled) {
        this.ruleNotFound++;
        const why = basic ? `no enabled rule named "${basic.ruleName}"` : `not of the form ${BASIC_INGEST_PREFIX}<ruleName>/<topic>`;
        this.log(`rules: Basic Ingest topic ${message.topic}: ${why} (RuleNotFound); the message is dropped`);
        return DELIVERED;
      }
      this.run(rule, message, basic.topic, deliveries);
    } else {
      const selected = this.matching(message.topic);
      if (selected.length === 0 && !this.unselectedTopics.has(message.topic)) {
        // Once per topic: a device that publishes where no rule reads gets PUBACK and its messages land nowhere (a rule
        // is triggered only by topics its FROM filter matches: docs.aws.amazon.com/iot/latest/developerguide/iot-sql-from.html).
        if (this.unselectedTopics.size < 1000) this.unselectedTopics.add(message.topic);
        const filters = this.rules.filter((r) => !r.disabled).map((r) => `'${r.sql.from}'`);
        this.log(`rules: no rule selected the message on ${message.topic} from ${message.clientId}: the enabled rules read `
          + `${[...new Set(filters)].join(', ') || 'nothing (no enabled rule)'}; it is acknowledged and dropped, as in AWS. Publish to a topic one of them matches.`);
      }
      for (const rule of selected) this.run(rule, message, message.topic, deliveries);
    }
    if (deliveries.length === 0) return DELIVERED;
    if (deliveries.length === 1) return deliveries[0];
    return Promise.all(deliveries).then(() => undefined);
  }

  /** The enabled rules whose FROM matches a topic (cached per topic). */
  private matching(topic: string): RuleModel[] {
    let hit = this.matchCache.get(topic);
    if (!hit) {
      hit = this.rules.filter((rule) => !rule.disabled && topicMatches(rule.sql.from, topic));
      if (this.matchCache.size >= 10000) this.matchCache.clear();
      this.matchCache.set(topic, hit);
    }
    return hit;
  }

  /** Waits for error-action and S3-action writes. */
  public async drain(): Promise<void> {
    while (this.pendingWrites.size > 0) await Promise.allSettled([...this.pendingWrites]);
  }

  /** Runs one rule; the deliveries its actions start are added to `deliveries`. */
  private run(rule: RuleModel, message: IngestMessage, topic: string, deliveries: Array<Promise<void>>): void {
    const stats = this.stats.get(rule.name)!;
    const sqlMessage: SqlMessage = {
      topic,
      clientId: message.clientId,
      timestamp: message.timestamp,
      payload: message.payload,
      principal: message.principal,
      accountId: this.accountId,
      sourceIp: message.sourceIp,
      mqtt: message.properties,
      descriptors: this.descriptors,
    };
    // JSON output stays text until the action turns it into bytes (with the separator): one copy per message.
    let output: string | Buffer;
    let value: SqlValue | undefined;
    try {
      const result = rule.sql.evaluate(sqlMessage);
      if (result.kind === 'skip') {
        stats.filtered++;
        return;
      }
      if (result.kind === 'raw') {
        // The payload may be a view of the socket's read buffer: each action copies it into the bytes it keeps (the
        // Firehose record with its separator, the S3 object), so the bytes are copied once per action, not twice.
        output = result.payload;
      } else {
        value = result.value;
        output = JSON.stringify(result.value);
      }
    } catch (e) {
      if (e instanceof NonJsonPayloadError) {
        stats.parseErrors++;
        this.countUnprocessable(rule, message);
        return;
      }
      if (e instanceof SqlEvaluationError) {
        stats.parseErrors++;
        this.log(`rules: ${rule.name}: message on ${message.topic} from ${message.clientId} not processed (ParseError): ${e.message}`);
        return;
      }
      throw e;
    }
    stats.matched++;
    const failures: Array<{ failedAction: string; failedResource: string; errorMessage: string }> = [];
    for (const action of rule.actions) {
      const failure = this.runAction(action, sqlMessage, output, value, message.timestamp, deliveries);
      if (failure) failures.push(failure);
    }
    if (failures.length > 0) {
      stats.actionFailures += failures.length;
      for (const f of failures) this.log(`rules: ${rule.name}: ${f.failedAction} on ${f.failedResource} failed: ${f.errorMessage}`);
      if (rule.errorAction) {
        const errorMessage = JSON.stringify({
          ruleName: rule.name,
          topic,
          cloudwatchTraceId: sqlMessage.traceId ?? (sqlMessage.traceId = randomUUID()),
          clientId: message.clientId,
          base64OriginalPayload: message.payload.toString('base64'),
          failures,
        });
        const failure = this.runAction(rule.errorAction, sqlMessage, errorMessage, undefined, message.timestamp, deliveries);
        if (failure) {
          stats.errorActionFailures++;
          this.log(`rules: ${rule.name}: the error action failed too (${failure.errorMessage}); the message is lost, as in AWS`);
        }
      }
    }
  }

  /**
   * Counts a message whose payload is not a JSON object for a rule that adds fields to `*`; the first one on a topic is
   * logged with what to change (AWS IoT adds data to `*` only for JSON or empty payloads:
   * https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html).
   */
  private countUnprocessable(rule: RuleModel, message: IngestMessage): void {
    this.unprocessableTotal++;
    const counted = this.unprocessable.get(message.topic);
    if (counted) {
      counted.count++;
      return;
    }
    if (this.unprocessable.size < MAX_COUNTED_TOPICS) this.unprocessable.set(message.topic, { topic: message.topic, rule: rule.name, count: 1 });
    this.log(`rules: ${rule.name}: the payload on ${message.topic} from ${message.clientId} is not a JSON object, and the rule's SELECT adds fields to * `
      + `(${rule.sql.sql}), which AWS IoT does only for JSON or empty payloads: the message is not delivered. Further ones on this topic are `
      + `counted, not logged (the runner's summary). To keep them: ${UNPROCESSABLE_FIX}.`);
  }

  /** Runs an action; returns the failure (AWS error-message shape) or undefined. Its writes are added to `deliveries`. */
  private runAction(
    action: ActionModel, m: SqlMessage, output: string | Buffer, value: SqlValue | undefined, arrival: number, deliveries: Array<Promise<void>>,
  ) {
    switch (action.kind) {
      case 'firehose': {
        const stream = this.streams.get(action.streamName);
        if (!stream) {
          return {
            failedAction: 'FirehoseAction',
            failedResource: action.streamName,
            errorMessage: `Failed to send message to Firehose. The error received was ResourceNotFoundException: Firehose ${action.streamName} not found under account ${this.accountId}.`,
          };
        }
        const records: Array<string | Buffer> = action.batchMode && Array.isArray(value)
          ? value.slice(0, 500).map((v) => JSON.stringify(v))
          : [output];
        const separator = action.separator ?? '';
        try {
          for (const data of records) {
            const bytes = typeof data === 'string'
              ? Buffer.from(data + separator, 'utf8')
              : separator ? Buffer.concat([data, Buffer.from(separator, 'utf8')]) : Buffer.from(data);
            const record: FirehoseRecord = { data: bytes, arrival };
            deliveries.push(stream.put(record));
          }
        } catch (e) {
          return { failedAction: 'FirehoseAction', failedResource: action.streamName, errorMessage: `Failed to send message to Firehose. ${(e as Error).message}` };
        }
        return undefined;
      }
      case 's3': {
        const key = action.key.render(m);
        const write = this.sink.put(action.bucket, key, typeof output === 'string' ? Buffer.from(output, 'utf8') : Buffer.from(output)).then(
          () => true,
          (e: Error) => {
            // AWS would call the error action for an S3 action failure; locally a folder write failing is an
            // environment problem, reported and kept in the journal for replay.
            this.log(`rules: S3 action write of ${this.sink.describe(action.bucket, key)} failed: ${e.message}`);
            return false;
          },
        );
        const tracked = write.finally(() => this.pendingWrites.delete(tracked));
        this.pendingWrites.add(tracked);
        deliveries.push(tracked.then((written) => (written ? undefined : NOT_DELIVERED)));
        return undefined;
      }
      default:
        return undefined;
    }
  }
}
