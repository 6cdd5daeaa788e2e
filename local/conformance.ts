/**
 * The local runner's conformance table: every AWS feature the pipeline touches — the IoT SQL functions and syntax,
 * MQTT, IoT policies, Firehose — with what the runner does (supported / not supported / not applicable) and, for
 * each supported row, the test that proves it. The SQL function rows come from the function table itself
 * (iot/sql/functions.ts), the MQTT limits from iot/mqtt5.ts; local/README.md carries the rendered table between
 * `<!-- conformance:begin -->` and `<!-- conformance:end -->`, and test/local/conformance.test.ts fails when the
 * two disagree, when a supported row has no test, or when a named test does not exist.
 */
import { ConformanceRow, na, no, Support, yes } from './conformance-row';
import { MQTT5_LIMITS } from './iot/mqtt5';
import { LOCAL_ACCOUNT } from '../src/contract';
import { FLEET_PROVISIONING_PAGE, fleetProvisioningRows } from './iot/provisioning/conformance';
import { EXTERNAL_FUNCTIONS, functionAnchor, FUNCTIONS_PAGE, SUPPORTED_FUNCTIONS } from './iot/sql/functions';

export type { ConformanceRow, ProvingTest, Support } from './conformance-row';

export interface ConformanceSection {
  readonly title: string;
  /** The AWS page the rows come from. */
  readonly source: string;
  readonly rows: readonly ConformanceRow[];
}

const T = {
  reference: 'test/local/iot/sql/reference.test.ts',
  functions: 'test/local/iot/sql/functions.test.ts',
  evaluator: 'test/local/iot/sql/evaluator.test.ts',
  parser: 'test/local/iot/sql/parser.test.ts',
  templates: 'test/local/iot/sql/templates.test.ts',
  rules: 'test/local/iot/rules.test.ts',
  example: 'test/local/example.e2e.test.ts',
  mqtt5: 'test/local/mqtt5.e2e.test.ts',
  sdk: 'test/local/device-sdk.e2e.test.ts',
  process: 'test/local/cli-process.e2e.test.ts',
  fixture: 'test/local/fixture.e2e.test.ts',
  authorizer: 'test/local/iot/authorizer.test.ts',
  policy: 'test/local/iot/policy.test.ts',
  stream: 'test/local/firehose/delivery-stream.test.ts',
  keys: 'test/local/firehose/keys.test.ts',
  model: 'test/local/assembly/model.test.ts',
  cli: 'test/cli/commands/local.test.ts',
  replay: 'test/cli/replay/replay.e2e.test.ts',
  protobuf: 'test/local/iot/sql/protobuf.test.ts',
  binary: 'test/local/binary-payloads.e2e.test.ts',
  deployment: 'test/local/assembly/s3-deployment.test.ts',
} as const;

const BINARY_PAYLOADS_PAGE = 'https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html';

/** One row per function of the reference: implemented (proved by the reference's examples) or calling another service. */
function functionRows(): ConformanceRow[] {
  const rows: ConformanceRow[] = SUPPORTED_FUNCTIONS.map((name) => ({
    feature: `[\`${name}\`](${FUNCTIONS_PAGE}#${functionAnchor(name)})`,
    status: 'supported' as const,
    note: FUNCTION_NOTES[name] ?? '',
    test: { file: T.reference, title: `${name}(` },
  }));
  for (const [name, { service, anchor }] of EXTERNAL_FUNCTIONS) {
    rows.push({ feature: `[\`${name}\`](${FUNCTIONS_PAGE}#${anchor})`, status: 'not supported', note: `calls ${service}: the rule is refused at start, naming the rule and the function` });
  }
  return rows.sort((a, b) => a.feature.localeCompare(b.feature));
}

/** What the local runner does differently from (or beyond) the reference's words, per function. */
const FUNCTION_NOTES: Readonly<Record<string, string>> = {
  bitnot: 'the page\'s example says 2; the runner gives the 64-bit NOT its table describes (-14)',
  decode: '`base64`, and `proto` (Protobuf): see "IoT SQL statements" below',
  get: 'the page\'s `get("abc", 1)` example says "a"; the runner follows its table (0-based: "b")',
  get_mqtt_property: '`content_type`, `format_indicator`, `response_topic`, `correlation_data` (base64) of MQTT 5 messages',
  get_user_properties: 'the values of the key, in order (an array); Undefined when absent or MQTT 3.1.1',
  get_or_default: 'the default when the expression is Undefined',
  md2: 'implemented in the runner (Node\'s OpenSSL 3 has no MD2)',
  parse_time: 'Java patterns of the contract\'s formatter, plus `G` and `z`',
  principal: 'the certificate\'s SHA-256 fingerprint',
  sourceip: 'the connection\'s address (127.0.0.1 on loopback)',
  time_to_epoch: 'JDK 11 patterns: y M d D H h k K m s S a E G z VV Z X O',
  accountid: LOCAL_ACCOUNT,
  regexp_matches: 'Java regular expressions run as JavaScript ones (a leading `(?i)` becomes a flag)',
};

function sqlRows(): ConformanceRow[] {
  return [
    yes('`SELECT` items, `AS`, `*`, nested `a.b`, `a[0]`', '', T.evaluator, 'SELECT a.b.c AS deep, a.b'),
    yes('`SELECT VALUE`', 'the value itself is the output (an array for batchMode)', T.reference, 'SELECT VALUE arr outputs the array'),
    yes('`WHERE`', 'Undefined does not fire', T.evaluator, 'IoT SQL: WHERE'),
    yes('[`SET` variables](https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-set.html)', 'in SELECT, WHERE, later SET items and action templates; immutable', T.reference, 'SET variables in SELECT, WHERE and later SET items'),
    yes('[`CASE v WHEN … THEN … ELSE … END`](https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-case.html)', '', T.reference, 'CASE color WHEN'),
    no('`CASE WHEN <condition>` (searched CASE)', 'not in the reference; refused at start (write `CASE true WHEN <condition>`)'),
    yes('[Object and array literals](https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-literals.html)', '', T.reference, 'object and array literals'),
    yes('[Nested object queries](https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-nested-queries.html) `(SELECT … FROM …)`', '', T.reference, 'iot-sql-nested-queries.html: the three examples'),
    yes('[Operators](https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-operators.html) `AND OR NOT > >= < <= <> = + - * / %`', 'Int / Int is an Int; `=` is false for mismatched types', T.reference, 'the operator tables'),
    no('`IN`, `IS`, `LIKE`, `BETWEEN`, `EXISTS`', 'not in the reference; refused at start'),
    yes('[Data types and conversions](https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-data-types.html)', 'whole numbers are Ints (SQL V2); numbers are doubles (AWS: 34 digits)', T.reference, 'cast('),
    yes('[Substitution templates](https://docs.aws.amazon.com/iot/latest/developerguide/iot-substitution-templates.html) `${…}` in action keys', 'SET variables too', T.templates, 'WHEN its template renders @'),
    yes(`[Binary payloads](${BINARY_PAYLOADS_PAGE}) with \`SELECT *\` alone`, 'passed through as bytes, unchanged', T.protobuf, 'GIVEN SELECT * alone WHEN the payload is not JSON'),
    yes(`[Binary payloads](${BINARY_PAYLOADS_PAGE}) wrapped: \`encode(*, 'base64') AS …\` (the binary pipeline's rule)`, 'any payload, JSON or not; the exact bytes reach the stream', T.binary, 'raw bytes (a newline, 0xff) are published'),
    yes(`[Binary payloads](${BINARY_PAYLOADS_PAGE}) with \`SELECT *, <more>\``, 'an empty payload adds nothing; a payload that is not a JSON object is not delivered (AWS documents no outcome), counted per topic in the runner\'s summary, `unprocessable.json` and log, with what to change', T.binary, 'none is delivered, they are counted on their topic'),
    yes(`[\`decode(*, 'proto', <bucket>, <key>, <proto file>, <message>)\`](${BINARY_PAYLOADS_PAGE}#binary-payloads-protobuf)`, 'the FileDescriptorSet read from the bucket (a BucketDeployment is copied there at start), compiled once per bucket, key and content; fields named as in the .proto (AWS documents no naming)', T.binary, 'WHEN a device publishes Telemetry messages THEN the raw backup holds the envelope with the decoded message'),
    yes(`\`decode(…, 'proto')\` [limits](${BINARY_PAYLOADS_PAGE}#binary-payloads-protobuf): descriptor ≤ 32 KiB, payload ≤ 128 KiB, ≤ 2 calls, not in substitution templates`, 'sizes: the message is not delivered; calls and templates: the rule is refused at start', T.protobuf, 'GIVEN two decode calls in a statement THEN it loads; GIVEN three'),
    yes('[BucketDeployment](https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_s3_deployment.BucketDeployment.html) (`Custom::CDKBucketDeployment`)', 'directory assets copied into the bucket under the key prefix at start; a .zip asset only unextracted', T.deployment, 'the descriptor set is in the bucket folder under the prefix'),
    yes('[Basic Ingest](https://docs.aws.amazon.com/iot/latest/developerguide/iot-basic-ingest.html) `$aws/rules/<rule>/…`', '', T.rules, 'GIVEN a Basic Ingest topic'),
    yes('Error action with AWS\'s error message', '', T.rules, 'the error action gets the AWS-shaped failure'),
    no('Actions other than Firehose and S3', 'skipped with a warning at start; the rule still runs its other actions'),
    no('SQL version 2015-10-08 and beta', 'the runner evaluates 2016-03-23 (what the construct uses)'),
  ];
}

function mqttRows(): ConformanceRow[] {
  return [
    yes('MQTT 3.1.1 over mutual TLS (X.509 client certificate)', 'a certificate from another CA fails the handshake', T.example, 'mqtt.js publishes QoS 1 over mutual TLS'),
    yes('MQTT 5 on the same port', 'aedes 2.0.0-beta.1', T.example, 'it is accepted on the same port'),
    yes('ALPN `x-amzn-mqtt-ca` (devices on port 443)', 'accepted on the runner\'s port (no ALPN is accepted too)', T.sdk, 'ALPN x-amzn-mqtt-ca (as on port 443)'),
    no('MQTT over WebSocket (SigV4), custom authorizers, username/password', 'mutual TLS only'),
    yes('QoS 0 (best effort)', 'not journaled', T.example, 'GIVEN QoS 0 messages'),
    yes('QoS 1, acknowledged only once durable', 'PUBACK after the journal\'s fsync; replayed after kill -9', T.process, 'killed with SIGKILL and restarted'),
    yes('QoS 2 refused', 'MQTT 3.1.1: disconnect; MQTT 5: DISCONNECT 0x9B', T.mqtt5, 'a QoS 2 publish'),
    yes('Connect denied by policy', 'CONNACK 5 (3.1.1) / 0x87 Not authorized (5)', T.sdk, 'CONNACK 0x87 Not authorized'),
    yes('Publish denied by policy', 'MQTT 3.1.1: disconnect; MQTT 5: PUBACK 0x87, the connection stays', T.mqtt5, 'PUBACK 0x87 Not authorized, the connection stays'),
    yes('Subscribe denied by policy', 'SUBACK 0x80 (3.1.1) / 0x87 (5)', T.mqtt5, 'SUBACK 0x87'),
    yes(`Message payload up to ${MQTT5_LIMITS.maxPayloadBytes / 1024} KB`, 'larger: disconnect (3.1.1) / DISCONNECT 0x95 (5)', T.mqtt5, 'a payload over 128 KB'),
    yes(`MQTT 5 Topic Alias Maximum ${MQTT5_LIMITS.topicAliasMaximum}`, 'a larger alias: DISCONNECT 0x94', T.mqtt5, 'alias 9 is DISCONNECT 0x94'),
    yes(`MQTT 5 Receive Maximum ${MQTT5_LIMITS.receiveMaximum} (unacknowledged QoS 1 publishes per client)`, 'advertised in CONNACK; more: DISCONNECT 0x93', T.mqtt5, 'DISCONNECT 0x93 Receive Maximum exceeded'),
    yes(`MQTT 5 Message Expiry Interval (clamped to ${MQTT5_LIMITS.maxMessageExpirySeconds} s)`, '', T.mqtt5, 'the expiry clamped to 604,800 s'),
    yes('MQTT 5 user properties, content type, payload format indicator', 'forwarded to subscribers; `get_user_properties`, `get_mqtt_property` in rules', T.sdk, 'WHEN published THEN the rule output has the reference'),
    yes('MQTT 5 request/response (response topic, correlation data)', 'forwarded to subscribers; `get_mqtt_property` in rules', T.mqtt5, 'response topic, correlation data'),
    yes('MQTT 5 reason codes on CONNACK, PUBACK, SUBACK and server DISCONNECT', '0x87, 0x93, 0x94, 0x95, 0x9B as above', T.mqtt5, 'DISCONNECT 0x87'),
    yes('MQTT 3.1.1 ↔ MQTT 5 delivery', '', T.mqtt5, 'delivered across versions'),
    yes('Certificate status ACTIVE / INACTIVE / REVOKED', '`local certs status`; not ACTIVE: CONNECT refused, open connections closed (AWS: within minutes; locally at once); REVOKED is final', T.mqtt5, 'certificate is set INACTIVE'),
    yes('Basic Ingest topics never reach subscribers', '', T.fixture, 'GIVEN Basic Ingest'),
    no('MQTT 5 clean start + session expiry, retained messages, will messages, shared subscriptions', 'aedes keeps sessions and retained messages in memory only; not verified against AWS (the pipeline only ingests)'),
    na('MQTT 5 subscription identifiers, AUTH (enhanced authentication), server redirection', 'AWS IoT Core does not support them'),
  ];
}

function policyRows(): ConformanceRow[] {
  return [
    yes('`iot:Connect` on `client/<clientId>`', '', T.authorizer, 'allowed by the Connect statement'),
    yes('`iot:Publish` on `topic/<topic>`', '', T.example, 'GIVEN a topic the policy does not allow'),
    yes('`iot:Subscribe` on `topicfilter/<filter>`, `iot:Receive` on `topic/<topic>`', '', T.authorizer, 'WHEN subscribing THEN denied'),
    yes('Explicit Deny wins', '', T.authorizer, 'the Deny wins'),
    yes('IAM wildcards `*` and `?` (MQTT `+`/`#` literal in resources)', '', T.authorizer, 'IAM wildcards'),
    yes('Policy variables `${iot:Connection.Thing.ThingName}`, `${iot:ClientId}`', 'resolved only when the client id is the thing name (IsAttached)', T.authorizer, '${iot:Connection.Thing.ThingName}'),
    yes('`iot:Connection.Thing.IsAttached` and String*/Bool/Arn*/Null conditions', '', T.authorizer, 'StringEquals / Bool false conditions on IsAttached'),
    yes('Other condition operators and keys', 'do not match, with a note in the denial', T.policy, 'an unsupported condition operator'),
    yes('Thing, policy and principal attachments from the template', 'a certificate from `local certs` for thing X counts as attached to X', T.model, 'thing, policy attachment, rule, stream'),
  ];
}

function firehoseRows(): ConformanceRow[] {
  return [
    yes('Buffering by size and interval', '`--buffer-interval` overrides the intervals', T.stream, 'WHEN it is reached THEN the batch goes to the processor'),
    yes('GZIP and UNCOMPRESSED', '', T.keys, 'WHEN no FileExtension THEN the compression extension'),
    no('ZIP, Snappy, Hadoop-Snappy compression', 'refused at start, naming the stream'),
    yes('S3 backup of the source records', '', T.stream, 'raw backup of all source records'),
    yes('Lambda processor: event, response checks, retries', 'Node.js (worker thread) and Python (python3)', T.stream, 'WHEN retries are 2 THEN the third attempt delivers'),
    yes('`Ok` / `Dropped` / `ProcessingFailed`, error output with AWS\'s fields', '', T.stream, 'GIVEN Ok, Dropped and ProcessingFailed results'),
    yes('Object keys, `Prefix`/`ErrorOutputPrefix` expressions, `FileExtension`, `CustomTimeZone`', '', T.keys, '<prefix><stream>-<version>-YYYY-MM-dd-HH-mm-ss-<uuid><extension>'),
    yes('Dynamic partitioning with `!{partitionKeyFromLambda:…}`', '', T.stream, 'partition keys from the processor'),
    no('`!{partitionKeyFromQuery:…}` (JQ) and record format conversion (Parquet/ORC)', 'refused at start, naming the stream'),
    yes('Records over 1,000 KiB refused', '', T.stream, 'a record over 1,000 KiB'),
    na('Server-side encryption (KMS), CloudWatch error logging, destinations other than S3', 'folders on disk; the construct\'s destination is S3'),
  ];
}

/** `cdk-iot-pipeline replay --app … --data-dir …`: the replay state machine's work, done on one machine. */
function replayRows(): ConformanceRow[] {
  return [
    yes('Processing-failed records re-run through the current parser', 'rows go to the live prefix under each record\'s original arrival hour; the parser runs from its asset as the runner runs it', T.replay, 'WHEN processing-failed is replayed twice'),
    yes('A second replay overwrites, never duplicates', 'output keys derive from the source object\'s key', T.replay, 'every record is in the parsed folder exactly once'),
    yes('Raw backup backfilled into a new prefix', '`--output-prefix` under `backfill/`; the live prefix is refused', T.replay, 'WHEN backfilled into a new prefix'),
    yes('Records that fail again, with AWS\'s error-record fields', 'under `replay-failed` in the error output prefix', T.replay, 'legacy records are only in processing-failed'),
    yes('Dry run', 'lists the objects it would read and the keys it would write', T.replay, 'GIVEN a dry run'),
    no('Record format conversion (Parquet) of replayed rows', 'refused, naming the stream; replay such a pipeline in AWS (`--stack`)'),
    na('Distributed Map concurrency, tolerated failures, map runs', 'one process: four objects at a time through the runner\'s Lambda runtime'),
  ];
}

/** The sections of the table. */
export function conformanceSections(): ConformanceSection[] {
  return [
    { title: 'IoT SQL functions', source: FUNCTIONS_PAGE, rows: functionRows() },
    { title: 'IoT SQL statements', source: 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html', rows: sqlRows() },
    { title: 'MQTT', source: 'https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html', rows: mqttRows() },
    { title: 'IoT policies', source: 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html', rows: policyRows() },
    { title: 'Amazon Data Firehose', source: 'https://docs.aws.amazon.com/firehose/latest/dev/what-is-this-service.html', rows: firehoseRows() },
    { title: 'Fleet provisioning by claim', source: FLEET_PROVISIONING_PAGE, rows: fleetProvisioningRows() },
    { title: 'Replay (`cdk-iot-pipeline replay --app`)', source: 'https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html', rows: replayRows() },
  ];
}

/** The counts of a section's rows by status. */
export function counts(rows: readonly ConformanceRow[]): Record<Support, number> {
  const out: Record<Support, number> = { 'supported': 0, 'not supported': 0, 'not applicable': 0 };
  for (const r of rows) out[r.status]++;
  return out;
}

/** The table as Markdown (what local/README.md holds between the conformance markers). */
export function renderConformance(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines: string[] = [
    'Generated from the code by `local/conformance.ts`; `test/local/conformance.test.ts` fails when this table and the',
    'code disagree (`UPDATE_CONFORMANCE=1 npx jest test/local/conformance.test.ts` rewrites it).',
  ];
  for (const section of conformanceSections()) {
    const c = counts(section.rows);
    lines.push('', `### ${section.title}`, '', `Source: ${section.source} — ${c.supported} supported, ${c['not supported']} not supported, ${c['not applicable']} not applicable.`, '');
    lines.push('| feature | local runner | note | proved by |', '|---|---|---|---|');
    for (const r of section.rows) {
      const test = r.test ? `\`${r.test.file.replace(/^test\//, '')}\`: "${r.test.title}"` : '';
      lines.push(`| ${cell(r.feature)} | ${r.status} | ${cell(r.note)} | ${test} |`);
    }
  }
  return lines.join('\n');
}
