/** The local doctor (`doctor --app --data-dir`), once its options are parsed: gather, run the local checks, print. */
import type { CommandContext } from '../command';
import { printReport } from '../io';
import { toFinding } from './evaluate';
import { pipelineFound } from './facts';
import { LOCAL_CHECKS } from './local-checks';
import { gatherLocalFacts, LocalGatherOptions } from './local-gather';
import { buildReport, DoctorReport, formatDoctorReport } from './report';

/** Gathers the local facts and runs the local checks. */
export function runLocalDoctor(options: LocalGatherOptions): DoctorReport {
  const facts = gatherLocalFacts(options);
  const checks = pipelineFound(facts) ? LOCAL_CHECKS : LOCAL_CHECKS.slice(0, 1);
  return buildReport(facts, checks.map((check) => toFinding(check, check.evaluate(facts))));
}

/** Runs the local doctor and prints; the exit code is 0 when nothing FAILs. */
export function runLocalDoctorCommand(options: LocalGatherOptions, output: { json?: boolean }, context: CommandContext): void {
  const report = runLocalDoctor(options);
  printReport(context.io, report, output.json, formatDoctorReport);
  context.setExitCode(report.summary.fail === 0 ? 0 : 1);
}
