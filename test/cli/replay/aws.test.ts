/**
 * `replay --stack`: the state machine found by its stack output, the execution started with the replay input and
 * followed through its map run, the summary summed from the output; Ctrl-C leaves the execution running. The SDK
 * clients are faked at `send` (there is no local emulator of map runs).
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, DescribeMapRunCommand, ListMapRunsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CliError } from '../../../cli/errors';
import { countsInOutput, findReplayStateMachine, INTERRUPTED_EXIT_CODE, NO_COUNTS_NOTE, replayInAws } from '../../../cli/replay/aws';
import { formatReplayReport } from '../../../cli/replay/format';
import { REPLAY_OUTPUT_IDS, REPLAY_STATE_MACHINE_OUTPUT_DESCRIPTION } from '../../../src/contract';

const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:PipelineReplay';
const EXEC = 'arn:aws:states:eu-west-1:123456789012:execution:PipelineReplay:e1';
const MAP_RUN = 'arn:aws:states:eu-west-1:123456789012:mapRun:PipelineReplay/Objects:m1';
const INPUT = { source: 'processing-failed' as const, from: '2026-03-04T00', to: '2026-03-04T23' };

function batch(objectsRead: number, recordsRead: number, ok: number, failedAgain: number) {
  return { objectsRead, objectsSkipped: 0, recordsRead, ok, dropped: recordsRead - ok - failedAgain, failedAgain, objectsWritten: objectsRead };
}

/** A CloudFormation fake with the stack's outputs, and a Step Functions fake whose execution runs `polls` looks. */
function fakes(options: { polls: number; final?: { status: string; output?: string; error?: string; cause?: string } }) {
  const sent: unknown[] = [];
  let looks = 0;
  const cloudFormation = {
    send: async (cmd: unknown) => {
      expect(cmd).toBeInstanceOf(DescribeStacksCommand);
      return {
        Stacks: [{
          StackName: 'Telemetry',
          StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Telemetry/x',
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'PipelineThingNameOutput1A2B3C4D', OutputValue: 'thing' },
            { OutputKey: `PipelineReplay${REPLAY_OUTPUT_IDS.stateMachineArn}5E6F7A8B`, OutputValue: SM },
          ],
        }],
      };
    },
  };
  const sfn = {
    send: async (cmd: unknown) => {
      sent.push(cmd);
      if (cmd instanceof StartExecutionCommand) return { executionArn: EXEC };
      if (cmd instanceof DescribeExecutionCommand) {
        looks++;
        if (looks <= options.polls) return { status: 'RUNNING' };
        return options.final ?? {
          status: 'SUCCEEDED',
          output: JSON.stringify({ plan: { sourceBucket: 'parsed-bucket', listPrefix: 'errors/processing-failed/year=2026/', outputPrefix: 'parsed/' }, results: [batch(2, 10, 8, 1), batch(1, 5, 5, 0)] }),
        };
      }
      if (cmd instanceof ListMapRunsCommand) return { mapRuns: [{ mapRunArn: MAP_RUN }] };
      if (cmd instanceof DescribeMapRunCommand) return { status: 'RUNNING', itemCounts: { succeeded: looks, total: 3, running: 1, failed: 0, timedOut: 0 } };
      throw new Error(`unexpected command ${(cmd as object).constructor.name}`);
    },
  };
  return { clients: { cloudFormation } as never, sfn: sfn as never, sent };
}

describe('replay --stack', () => {
  test('GIVEN a deployed replay WHEN started THEN it sends the input, follows the map run and sums the batches', async () => {
    // GIVEN
    const f = fakes({ polls: 2 });
    const progress: string[] = [];
    // WHEN
    const report = await replayInAws(f, { stack: 'Telemetry', input: INPUT, pollMs: 1, progress: (l) => progress.push(l) });
    // THEN
    const start = f.sent.find((c) => c instanceof StartExecutionCommand) as StartExecutionCommand;
    expect(start.input).toEqual({ stateMachineArn: SM, input: JSON.stringify(INPUT) });
    expect(progress).toEqual([`started ${EXEC}`, 'map run RUNNING: 1/3 batches done, 1 running, 0 failed', 'map run RUNNING: 2/3 batches done, 1 running, 0 failed']);
    expect(report.counts).toEqual({ objectsRead: 3, objectsSkipped: 0, recordsRead: 15, ok: 13, dropped: 1, failedAgain: 1, objectsWritten: 3 });
    expect(report).toMatchObject({ mode: 'aws', executionArn: EXEC, status: 'SUCCEEDED', sourceBucket: 'parsed-bucket', outputPrefix: 'parsed/' });
    expect(formatReplayReport(report)).toMatch(/records read\s+15\n/);
  });

  test('GIVEN the construct\'s output (input, plan and the summed counts at $.counts) THEN the full summary is printed, row by row', async () => {
    // GIVEN: what the Summarize state leaves: the execution's state with the worker's sum of the batches' counts.
    const counts = { objectsRead: 120, objectsSkipped: 4, recordsRead: 48_000, ok: 47_100, dropped: 700, failedAgain: 200, objectsWritten: 150 };
    const f = fakes({
      polls: 0,
      final: { status: 'SUCCEEDED', output: JSON.stringify({ ...INPUT, plan: { source: 'processing-failed', sourceBucket: 'parsed-bucket', listPrefix: 'errors/processing-failed/year=2026/', outputPrefix: 'parsed/', fromMs: 1, toMs: 2 }, counts }) },
    });
    // WHEN
    const report = await replayInAws(f, { stack: 'Telemetry', input: INPUT, pollMs: 1 });
    // THEN
    expect(report.counts).toEqual(counts);
    expect(report.note).toBeUndefined();
    const rows = formatReplayReport(report).split('\n').map((l) => l.trim().replace(/\s{2,}/g, ' | '));
    expect(rows).toEqual(expect.arrayContaining([
      'objects read | 120', 'records read | 48,000', 'Ok | 47,100', 'Dropped | 700', 'failed again | 200', 'objects written | 150',
    ]));
    expect(formatReplayReport(report)).not.toContain(NO_COUNTS_NOTE);
  });

  test('GIVEN an output with the input and the plan only (the map discards its children\'s answers) THEN the map run\'s batches and where the counts are logged are printed', async () => {
    // GIVEN
    const f = fakes({
      polls: 1,
      final: { status: 'SUCCEEDED', output: JSON.stringify({ ...INPUT, plan: { sourceBucket: 'parsed-bucket', listPrefix: 'errors/processing-failed/year=2026/', outputPrefix: 'parsed/' } }) },
    });
    // WHEN
    const report = await replayInAws(f, { stack: 'Telemetry', input: INPUT, pollMs: 1 });
    // THEN
    expect(report.counts).toBeUndefined();
    expect(report.batches).toEqual({ succeeded: 2, failed: 0, total: 3 });
    expect(report.listPrefix).toBe('errors/processing-failed/year=2026/');
    const text = formatReplayReport(report);
    expect(text).toContain('batches: 2 of 3 done, 0 failed');
    expect(text).toContain(NO_COUNTS_NOTE);
  });

  test('GIVEN Ctrl-C while it runs THEN it stops following, says how to follow, and the execution is not stopped', async () => {
    // GIVEN
    const f = fakes({ polls: 1000 });
    let stop: (() => void) | undefined;
    // WHEN
    const run = replayInAws(f, {
      stack: 'Telemetry',
      input: INPUT,
      pollMs: 60000,
      onInterrupt: (s) => { stop = s; return () => { stop = undefined; }; },
      progress: (line) => { if (line.startsWith('map run')) stop?.(); },
    });
    // THEN
    await expect(run).rejects.toThrow(new CliError(`Stopped following; the execution keeps running. Follow it with: aws stepfunctions describe-execution --execution-arn ${EXEC}`));
    await run.catch((e: CliError) => expect(e.exitCode).toBe(INTERRUPTED_EXIT_CODE));
    expect(f.sent.map((c) => (c as object).constructor.name)).not.toContain('StopExecutionCommand');
    expect(stop).toBeUndefined();
  });

  test('GIVEN a failed execution THEN the error and cause are printed with where to look', async () => {
    const f = fakes({ polls: 0, final: { status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold', cause: 'too many batches failed' } });
    await expect(replayInAws(f, { stack: 'Telemetry', input: INPUT, pollMs: 1 }))
      .rejects.toThrow(/ended FAILED: States.ExceedToleratedFailureThreshold \(too many batches failed\)\. Its history: aws stepfunctions get-execution-history/);
  });

  test('GIVEN --dry-run THEN nothing is started and the input is shown', async () => {
    const f = fakes({ polls: 0 });
    const report = await replayInAws(f, { stack: 'Telemetry', input: { ...INPUT, source: 'raw', outputPrefix: 'backfill/v2/' }, dryRun: true });
    expect(f.sent).toEqual([]);
    expect(formatReplayReport(report)).toContain('would start the state machine with the input {"source":"raw","from":"2026-03-04T00","to":"2026-03-04T23","outputPrefix":"backfill/v2/"}');
  });

  test('GIVEN outputs THEN the state machine is found by id or description, and its absence says what to add', () => {
    expect(findReplayStateMachine([{ OutputKey: 'Custom', OutputValue: SM, Description: REPLAY_STATE_MACHINE_OUTPUT_DESCRIPTION }], 'S')).toBe(SM);
    expect(() => findReplayStateMachine([{ OutputKey: 'Other', OutputValue: 'x' }], 'S')).toThrow(/add `pipeline.addReplay\('Replay'\)`/);
    expect(() => findReplayStateMachine([
      { OutputKey: `AReplay${REPLAY_OUTPUT_IDS.stateMachineArn}`, OutputValue: SM },
      { OutputKey: `BReplay${REPLAY_OUTPUT_IDS.stateMachineArn}`, OutputValue: `${SM}2` },
    ], 'S')).toThrow(/choose one with --pipeline/);
  });

  test('GIVEN outputs of other shapes THEN the counts are summed or reported missing', () => {
    expect(countsInOutput(JSON.stringify(batch(1, 4, 4, 0)))?.recordsRead).toBe(4);
    expect(countsInOutput(JSON.stringify([[batch(1, 4, 4, 0)], [batch(1, 6, 3, 3)]]))?.failedAgain).toBe(3);
    expect(countsInOutput(JSON.stringify({ ResultWriterDetails: { Bucket: 'b', Key: 'k' } }))).toBeUndefined();
    expect(countsInOutput('not json')).toBeUndefined();
  });
});
