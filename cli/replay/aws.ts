/**
 * `replay --stack`: starts the pipeline's replay state machine (found by the stack output the construct writes) with
 * the execution input `{source, from, to, outputPrefix?}`, follows the execution and its Distributed Map run with a
 * progress line, and prints the summary from the execution's output: the construct's last state (`Summarize`) sums
 * the counts every batch wrote into the execution's run folder and puts them at `$.counts`, so the summary is the one
 * the local replay prints. Ctrl-C stops following, never the execution.
 *
 * Step Functions APIs used, as documented:
 * - StartExecution (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html)
 * - DescribeExecution: status RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE, `output` when
 *   it succeeded, `error` and `cause` when not
 *   (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html)
 * - ListMapRuns, DescribeMapRun: `itemCounts` {pending, running, succeeded, failed, timedOut, aborted, total}
 *   (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListMapRuns.html,
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html,
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_MapRunItemCounts.html)
 */
import type { Output } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, DescribeMapRunCommand, ListMapRunsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { emptyReplayCounts, REPLAY_OUTPUT_IDS, REPLAY_STATE_MACHINE_OUTPUT_DESCRIPTION, ReplayCounts, ReplayInput } from '../../src/contract';
import type { AwsClients } from '../aws/clients';
import { explainAwsError } from '../aws/errors';
import { describeStack } from '../aws/stack';
import { CliError, UsageError } from '../errors';
import type { ReplayReport } from './format';

/** Exit code when Ctrl-C stops following (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Said when the execution's output holds no record counts: a state machine deployed before it summed the batches
 * (its map discards the children's answers).
 */
export const NO_COUNTS_NOTE = 'The execution\'s output keeps no record counts (a replay deployed before it summed its batches: deploy again to get them); the replay worker logs them per batch ("replayed a batch") in its log group.';

/** What a replay in AWS needs. */
export interface AwsReplayOptions {
  readonly stack: string;
  readonly pipeline?: string;
  readonly input: ReplayInput;
  readonly dryRun?: boolean;
  readonly progress?: (line: string) => void;
  /** Between two looks at the execution. @default 5000 */
  readonly pollMs?: number;
  /** Registers what Ctrl-C does; returns the unregistration. */
  readonly onInterrupt?: (stop: () => void) => () => void;
}

/** The clients: CloudFormation (through `AwsClients`) and Step Functions (faked at `send` in tests). */
export interface AwsReplayClients {
  readonly clients: Pick<AwsClients, 'cloudFormation'>;
  readonly sfn: Pick<SFNClient, 'send'>;
}

/** Finds the replay state machine's ARN among a stack's outputs: by its output id (with CDK's hash), else its description. */
export function findReplayStateMachine(outputs: readonly Output[], stack: string, pipeline?: string): string {
  const byId = new RegExp(`^(.*?)${REPLAY_OUTPUT_IDS.stateMachineArn}(?:[0-9A-F]{8})?$`);
  let found = outputs.filter((o) => byId.test(o.OutputKey ?? '') || o.Description === REPLAY_STATE_MACHINE_OUTPUT_DESCRIPTION);
  if (pipeline !== undefined) found = found.filter((o) => (o.OutputKey ?? '').startsWith(pipeline));
  const arns = [...new Set(found.map((o) => o.OutputValue).filter((v): v is string => v !== undefined))];
  if (arns.length === 1) return arns[0];
  if (arns.length === 0) {
    throw new CliError(`Stack ${stack} has no replay state machine${pipeline ? ` for pipeline ${pipeline}` : ''} (no output ${REPLAY_OUTPUT_IDS.stateMachineArn}): add \`pipeline.addReplay('Replay')\` to the app and deploy, or replay locally with --app/--data-dir.`);
  }
  throw new UsageError(`Stack ${stack} has ${arns.length} replay state machines; choose one with --pipeline (outputs ${found.map((o) => o.OutputKey).join(', ')}).`);
}

/**
 * Sums the replay counts in an execution's output, whatever shape the state machine gives it: the construct's
 * `{…input, plan, counts}`, the counts object alone, an array of them (a map's results), or objects holding them.
 * Undefined when the output holds none.
 */
export function countsInOutput(output: string | undefined): ReplayCounts | undefined {
  if (output === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    return undefined;
  }
  const total = emptyReplayCounts();
  const keys = Object.keys(total) as Array<keyof ReplayCounts>;
  let found = false;
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (['objectsRead', 'recordsRead', 'ok'].every((k) => typeof o[k] === 'number')) {
        found = true;
        for (const k of keys) total[k] += typeof o[k] === 'number' ? o[k] as number : 0;
      } else {
        Object.values(o).forEach(visit);
      }
    }
  };
  visit(parsed);
  return found ? total : undefined;
}

/** The plan the state machine wrote into its output (`sourceBucket`, `listPrefix`, `outputPrefix`), if any. */
function planInOutput(output: string | undefined): { sourceBucket?: string; listPrefix?: string; outputPrefix?: string } {
  let found: Record<string, unknown> | undefined;
  const visit = (v: unknown): void => {
    if (found || typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (typeof o.sourceBucket === 'string' && typeof o.listPrefix === 'string') found = o;
    else Object.values(o).forEach(visit);
  };
  try {
    visit(JSON.parse(output ?? 'null'));
  } catch {
    // not JSON: no plan
  }
  return { sourceBucket: found?.sourceBucket as string, listPrefix: found?.listPrefix as string, outputPrefix: found?.outputPrefix as string };
}

/** Starts the replay in AWS and follows it to the end (or until Ctrl-C). */
export async function replayInAws(c: AwsReplayClients, o: AwsReplayOptions): Promise<ReplayReport> {
  const stack = await describeStack(c.clients as AwsClients, o.stack);
  if (!stack) throw new CliError(`Stack ${o.stack} does not exist in this account and Region: check --stack, --region and --profile.`);
  const stateMachineArn = findReplayStateMachine(stack.outputs, o.stack, o.pipeline);
  const base = {
    mode: 'aws' as const,
    pipeline: stateMachineArn,
    source: o.input.source,
    from: o.input.from,
    to: o.input.to,
    problems: [],
  };
  if (o.dryRun) {
    return {
      ...base,
      dryRun: true,
      sourceBucket: '(listed by the state machine)',
      listPrefix: '',
      outputPrefix: o.input.outputPrefix ?? '(the live prefix)',
      input: JSON.stringify(o.input),
    };
  }
  let executionArn: string;
  try {
    const started = await c.sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(o.input) }));
    executionArn = started.executionArn!;
  } catch (e) {
    throw explainAwsError(e, `Starting ${stateMachineArn}`);
  }
  o.progress?.(`started ${executionArn}`);
  let interrupted = false;
  let wake: (() => void) | undefined;
  const unregister = o.onInterrupt?.(() => {
    interrupted = true;
    wake?.();
  });
  try {
    let mapRunArn: string | undefined;
    let lastLine = '';
    for (;;) {
      if (interrupted) {
        throw new CliError(`Stopped following; the execution keeps running. Follow it with: aws stepfunctions describe-execution --execution-arn ${executionArn}`, INTERRUPTED_EXIT_CODE);
      }
      const execution = await c.sfn.send(new DescribeExecutionCommand({ executionArn }));
      const status = execution.status ?? 'UNKNOWN';
      if (status !== 'RUNNING') {
        if (status !== 'SUCCEEDED') {
          throw new CliError(`The replay execution ended ${status}${execution.error ? `: ${execution.error}` : ''}${execution.cause ? ` (${execution.cause})` : ''}. Its history: aws stepfunctions get-execution-history --execution-arn ${executionArn}`);
        }
        const counts = countsInOutput(execution.output);
        const plan = planInOutput(execution.output);
        // The map run's final item counts: what it did, also when the output keeps no per-record counts.
        mapRunArn ??= (await c.sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns?.[0]?.mapRunArn;
        const items = mapRunArn ? (await c.sfn.send(new DescribeMapRunCommand({ mapRunArn }))).itemCounts : undefined;
        const batches = items
          ? { succeeded: items.succeeded ?? 0, failed: (items.failed ?? 0) + (items.timedOut ?? 0) + (items.aborted ?? 0), total: items.total ?? 0 }
          : undefined;
        return {
          ...base,
          dryRun: false,
          executionArn,
          status,
          sourceBucket: plan.sourceBucket ?? '',
          listPrefix: plan.listPrefix ?? '',
          outputPrefix: plan.outputPrefix ?? o.input.outputPrefix ?? '(the live prefix)',
          ...(counts ? { counts } : { note: NO_COUNTS_NOTE }),
          ...(batches ? { batches } : {}),
        };
      }
      mapRunArn ??= (await c.sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns?.[0]?.mapRunArn;
      let line = `execution ${status}`;
      if (mapRunArn) {
        const run = await c.sfn.send(new DescribeMapRunCommand({ mapRunArn }));
        const i = run.itemCounts;
        if (i) line = `map run ${run.status ?? ''}: ${i.succeeded ?? 0}/${i.total ?? 0} batches done, ${i.running ?? 0} running, ${(i.failed ?? 0) + (i.timedOut ?? 0)} failed`;
      }
      if (line !== lastLine) o.progress?.(line);
      lastLine = line;
      await new Promise<void>((res) => {
        if (interrupted) {
          res();
          return;
        }
        const timer = setTimeout(res, o.pollMs ?? 5000);
        wake = () => {
          clearTimeout(timer);
          res();
        };
      });
    }
  } finally {
    unregister?.();
  }
}
