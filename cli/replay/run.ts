/**
 * `cdk-iot-pipeline replay`, once its options are parsed: checks them (before anything is read), runs the replay
 * locally (`local/replay/`) or in AWS (the replay state machine), prints the summary. A replay with records that
 * failed again exits 1.
 */
import { existsSync } from 'fs';
import { join, resolve } from 'path';
import { AssemblyError, RunnerError } from '../../local/errors';
import { REPLAY_EARLIEST_HOUR, replayLocal } from '../../local/replay/engine';
import { parseIsoHour, REPLAY_SOURCES, ReplayInputError, ReplaySource } from '../../src/contract';
import type { AwsOptions } from '../aws/options';
import { awsOptionsOf } from '../aws/options';
import type { CommandContext } from '../command';
import { CliError, UsageError } from '../errors';
import { printReport, progressLines } from '../io';
import { formatReplayReport, ReplayReport } from './format';

/** The replay command's options as given. */
export interface ReplayOptions extends AwsOptions {
  readonly source: string;
  readonly from?: string;
  readonly to?: string;
  readonly outputPrefix?: string;
  readonly app?: string;
  readonly dataDir?: string;
  readonly stack?: string;
  readonly pipeline?: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export async function runReplay(o: ReplayOptions, context: CommandContext): Promise<void> {
  checkOptions(o);
  const progress = progressLines(context.io, o.quiet || o.json);
  let report: ReplayReport;
  if (o.app !== undefined || o.dataDir !== undefined) {
    if (o.region !== undefined || o.profile !== undefined || o.endpointUrl !== undefined) {
      throw new UsageError('--region, --profile and --endpoint-url are for a replay in AWS (--stack without --app/--data-dir); a local replay reads --app and --data-dir.');
    }
    if (o.app === undefined || o.dataDir === undefined) {
      throw new UsageError('A local replay needs both --app <cdk.out> (the pipeline and its parser) and --data-dir <dir> (the runner\'s folders).');
    }
    const app = resolve(o.app);
    if (!existsSync(join(app, 'manifest.json'))) {
      throw new UsageError(`${app} is not a cloud assembly (no manifest.json): run \`cdk synth\` first, or pass --app <the cdk.out directory>.`);
    }
    const dataDir = resolve(o.dataDir);
    if (!existsSync(join(dataDir, 's3'))) {
      throw new UsageError(`${dataDir} holds no bucket folders (no s3/): pass the --data-dir \`cdk-iot-pipeline local\` ran with.`);
    }
    try {
      report = await replayLocal({
        app,
        dataDir,
        stack: o.stack,
        pipeline: o.pipeline,
        source: o.source,
        from: o.from,
        to: o.to,
        outputPrefix: o.outputPrefix,
        dryRun: o.dryRun,
        progress,
      });
    } catch (e) {
      if (e instanceof AssemblyError) throw new CliError(e.message);
      if (e instanceof RunnerError) throw new UsageError(e.message);
      throw e;
    }
  } else if (o.stack !== undefined) {
    report = await runAwsReplay(o, progress);
  } else {
    throw new UsageError('Where should the replay run? Locally: --app <cdk.out> --data-dir <runner data dir>; in AWS: --stack <stack>.');
  }
  printReport(context.io, report, o.json, formatReplayReport);
  if (!report.dryRun && ((report.counts?.failedAgain ?? 0) > 0 || (report.batches?.failed ?? 0) > 0)) context.setExitCode(1);
}

async function runAwsReplay(o: ReplayOptions, progress: ((line: string) => void) | undefined): Promise<ReplayReport> {
  /* eslint-disable @typescript-eslint/no-require-imports -- the SDK loads only for a replay in AWS */
  const { AwsClients } = require('../aws/clients') as typeof import('../aws/clients');
  const { SFNClient } = require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn');
  const { replayInAws } = require('./aws') as typeof import('./aws');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const aws = awsOptionsOf(o);
  const clients = new AwsClients(aws);
  const sfn = new SFNClient({
    ...(aws.region ? { region: aws.region } : {}),
    ...(aws.profile ? { profile: aws.profile } : {}),
    ...(aws.endpointUrl ? { endpoint: aws.endpointUrl } : {}),
  });
  try {
    return await replayInAws({ clients, sfn }, {
      stack: o.stack!,
      pipeline: o.pipeline,
      input: {
        source: o.source as ReplaySource,
        from: o.from ?? REPLAY_EARLIEST_HOUR,
        to: o.to ?? new Date().toISOString().slice(0, 13),
        ...(o.outputPrefix === undefined ? {} : { outputPrefix: o.outputPrefix }),
      },
      dryRun: o.dryRun,
      progress,
      onInterrupt: (stop) => {
        // Ctrl-C stops following; the execution keeps running in AWS.
        process.once('SIGINT', stop);
        return () => process.removeListener('SIGINT', stop);
      },
    });
  } finally {
    clients.destroy();
    sfn.destroy();
  }
}

/** The checks that need no assembly and no AWS: the source, the hours, and the output prefix of a backfill. */
function checkOptions(o: ReplayOptions): void {
  if (!(REPLAY_SOURCES as readonly string[]).includes(o.source)) {
    throw new UsageError(`--source ${o.source}: replay one of ${REPLAY_SOURCES.join(', ')} (the records the parser failed, or the raw backup).`);
  }
  let fromMs: number | undefined;
  let toMs: number | undefined;
  try {
    if (o.from !== undefined) fromMs = parseIsoHour('from', o.from);
    if (o.to !== undefined) toMs = parseIsoHour('to', o.to);
  } catch (e) {
    if (e instanceof ReplayInputError) throw new UsageError(e.message.replace(/^"(from|to)"/, '--$1'));
    throw e;
  }
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
    throw new UsageError(`--from ${o.from} is after --to ${o.to}; swap them.`);
  }
  if (o.source === 'raw' && o.outputPrefix === undefined) {
    throw new UsageError('--source raw re-parses records whose rows are already in the live prefix: give --output-prefix under backfill/ (e.g. backfill/v2/) so nothing is doubled.');
  }
}
