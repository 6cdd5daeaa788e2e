/**
 * The local doctor's facts (`doctor --app cdk.out --data-dir D`): the same facts the AWS doctor reads, from the
 * synthesized templates (the local runner's model) and the runner's data dir instead of AWS — the local CA's
 * certificate registry, the bucket folders and the parser's log.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'fs';
import { join, relative, resolve } from 'path';
import type { CertificateFacts, DoctorFacts, LocalFacts, Read } from './facts';
import { loadModel, LocalModel } from '../../local/assembly/model';
import { AssemblyError } from '../../local/errors';
import { listCertificates } from '../../local/iot/registry';
import { readUnprocessable } from '../../local/iot/unprocessable';
import { ERROR_OUTPUT_TYPES, LOCAL_ACCOUNT } from '../../src/contract';
import { findPipelines, PipelineOutputs, selectPipeline } from '../aws/pipeline';
import { CliError, UsageError } from '../errors';
import { loggedReasons } from '../parser/log';

/** What to look at. */
export interface LocalGatherOptions {
  readonly app: string;
  readonly dataDir: string;
  readonly stack?: string;
  readonly pipeline?: string;
  readonly clientId?: string;
  readonly topic?: string;
}

/** How many of the parser's newest failure reasons the report quotes. */
const REASONS_SHOWN = 3;
/** How much of the end of the parser's log is read for them. */
const LOG_TAIL_BYTES = 1024 * 1024;

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const missing = (error: string): Read<never> => ({ ok: false, notFound: true, error });

/** Reads the assembly and the data dir into the doctor's facts. */
export function gatherLocalFacts(o: LocalGatherOptions): DoctorFacts {
  let model: LocalModel;
  try {
    model = loadModel({ app: o.app, stack: o.stack });
  } catch (e) {
    if (e instanceof AssemblyError) throw new CliError(e.message);
    throw e;
  }
  const { stack, pipeline } = choosePipeline(model, o.app, o.pipeline);
  const dataDir = resolve(o.dataDir);
  const thingName = pipeline.thingName;
  const policyNames = thingName !== undefined ? model.thingPolicies.get(thingName) ?? [] : [];
  const policies = policyNames.flatMap((name) => {
    const p = model.policies.get(name);
    return p ? [{ name, document: p.document }] : [];
  });

  // The runner's broker takes the thing from the certificate's subject, issued by `local certs` (the registry).
  const certificates = thingName === undefined ? [] : listCertificates(dataDir).filter((c) => c.thing === thingName)
    .map((c) => ({ id: c.fingerprint, status: c.status, issuedAt: c.issuedAt }));
  const chosen = [...certificates].reverse().find((c) => c.status === 'ACTIVE') ?? certificates[certificates.length - 1];
  const certificate: CertificateFacts | undefined = chosen && {
    source: 'local CA',
    id: chosen.id,
    arn: `arn:aws:iot:${model.region}:${LOCAL_ACCOUNT}:cert/${chosen.id}`,
    read: ok({ status: chosen.status }),
  };

  const rule = model.rules.find((r) => r.name === pipeline.topicRuleName);
  const stream = [...model.streams.values()].find((s) => s.name === pipeline.deliveryStreamName);
  const fn = stream?.processor ? model.functions.get(stream.processor.functionArn) : undefined;
  const bucketDir = stream ? join(dataDir, 's3', stream.destination.bucket.folder) : join(dataDir, 's3');
  const local: LocalFacts = {
    dataDir,
    certificates,
    processingFailed: processingFailedFiles(bucketDir),
    ...unprocessableOf(dataDir, rule?.name),
    ...(fn ? { parserLog: parserLog(join(dataDir, 'logs', `${fn.name}.log`)) } : {}),
  };
  return {
    stackName: stack,
    windowMinutes: 0,
    now: new Date(),
    stack: { status: 'SYNTHESIZED', partition: 'aws', region: model.region, account: LOCAL_ACCOUNT },
    pipelinePrefix: pipeline.prefix,
    thingName,
    topic: pipeline.topic,
    publishTopic: pipeline.publishTopic,
    clientId: o.clientId ?? thingName,
    deviceTopic: o.topic,
    policyName: policyNames[0],
    ruleName: pipeline.topicRuleName,
    streamName: pipeline.deliveryStreamName,
    parsedBucket: pipeline.parsedBucket,
    rawBucket: pipeline.rawBucket,
    thing: thingName !== undefined && model.things.has(thingName) ? ok(true as const) : missing(`thing ${thingName} is not in the assembly`),
    certificate,
    certificateProblem: certificate ? undefined : `the local CA issued no certificate for thing ${thingName}`,
    attachedPolicies: ok(policies),
    pipelinePolicy: policies[0] ? ok(policies[0]) : missing('the thing has no policy in the assembly'),
    thingPrincipals: ok(certificate?.arn ? [certificate.arn] : []),
    rule: rule
      ? ok({
        sql: rule.sql.sql,
        disabled: rule.disabled,
        firehoseStreams: rule.actions.flatMap((a) => (a.kind === 'firehose' ? [a.streamName] : [])),
        hasErrorAction: rule.errorAction !== undefined,
      })
      : missing(`the assembly has no topic rule ${pipeline.topicRuleName}`),
    local,
  };
}

/** The pipeline the user means, from the stacks' outputs as the AWS doctor finds them. */
function choosePipeline(model: LocalModel, app: string, wanted: string | undefined): { stack: string; pipeline: PipelineOutputs } {
  const found = model.stacks.flatMap((stack) => {
    const outputs = Object.entries(model.outputs)
      .filter(([key]) => key.startsWith(`${stack}.`))
      .map(([key, value]) => ({ OutputKey: key.slice(stack.length + 1), OutputValue: value }));
    return findPipelines(outputs).map((pipeline) => ({ stack, pipeline }));
  });
  const names = found.map((f) => `${f.stack}/${f.pipeline.prefix}`).join(', ');
  if (found.length === 0) throw new CliError(`${app} has no IotCoreFirehosePipeline (no stack output names a thing).`);
  if (wanted === undefined) {
    if (found.length > 1) throw new UsageError(`${app} holds ${found.length} pipelines (${names}); pass --pipeline <one of them> (or --stack).`);
    return found[0];
  }
  const [stackPart, id] = wanted.includes('/') ? wanted.split('/', 2) : [undefined, wanted];
  const inStack = found.filter((f) => stackPart === undefined || f.stack === stackPart);
  const byStack = new Map<string, PipelineOutputs[]>();
  for (const f of inStack) byStack.set(f.stack, [...(byStack.get(f.stack) ?? []), f.pipeline]);
  const matches = [...byStack].flatMap(([stack, pipelines]) => {
    try {
      return [{ stack, pipeline: selectPipeline(stack, pipelines, id) }];
    } catch {
      return [];
    }
  });
  if (matches.length === 1) return matches[0];
  throw new UsageError(matches.length === 0
    ? `${app} has no pipeline "${wanted}"; it holds: ${names}.`
    : `--pipeline ${wanted} matches a pipeline in several stacks; pass <stack>/<id>: ${matches.map((m) => `${m.stack}/${m.pipeline.prefix}`).join(', ')}.`);
}

/** The messages the runner counted as unprocessable for the pipeline's rule (its `unprocessable.json`). */
function unprocessableOf(dataDir: string, ruleName: string | undefined): Pick<LocalFacts, 'unprocessable'> {
  const report = readUnprocessable(dataDir);
  if (!report) return {};
  const topics = report.topics.filter((t) => ruleName === undefined || t.rule === ruleName).map(({ topic, count }) => ({ topic, count }));
  return { unprocessable: { total: topics.reduce((n, t) => n + t.count, 0), topics, fix: report.fix } };
}

/** The objects under the processing-failed error prefix of a bucket folder: how many, the newest. */
function processingFailedFiles(bucketDir: string): LocalFacts['processingFailed'] {
  let count = 0;
  let newest: { file: string; mtime: number } | undefined;
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
      } else if (relative(bucketDir, path).split(/[\\/]/).includes(ERROR_OUTPUT_TYPES.processingFailed) && !entry.name.startsWith('.')) {
        count++;
        const mtime = statSync(path).mtimeMs;
        if (!newest || mtime > newest.mtime) newest = { file: path, mtime };
      }
    }
  };
  walk(bucketDir);
  return { bucketDir, count, ...(newest ? { newestFile: newest.file } : {}) };
}

/** The parser's log and the newest distinct reasons it logged for failed records (from its last megabyte). */
function parserLog(path: string): NonNullable<LocalFacts['parserLog']> {
  if (!existsSync(path)) return { path, exists: false, reasons: [] };
  const size = statSync(path).size;
  const length = Math.min(size, LOG_TAIL_BYTES);
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  const reasons = [...new Set([...loggedReasons(buffer.toString('utf8')).values()].reverse())].slice(0, REASONS_SHOWN);
  return { path, exists: true, reasons };
}
