/** Running the checks over the facts: one finding per check, in order. Pure. */
import type { DoctorCheck, Status, Verdict } from './check';
import { PIPELINE_CHECKS, STACK_CHECK } from './checks';
import { DoctorFacts, pipelineFound } from './facts';

/** One finding: a check's verdict, with the check's id and title. */
export interface Finding {
  readonly id: string;
  readonly status: Status;
  readonly title: string;
  readonly detail: string;
  /** What to do (WARN/FAIL). */
  readonly fix?: string;
}

/** A check's verdict as a finding (a PASS carries no fix). */
export function toFinding(check: DoctorCheck, verdict: Verdict): Finding {
  return {
    id: check.id,
    status: verdict.status,
    title: verdict.title ?? check.title,
    detail: verdict.detail,
    ...(verdict.fix !== undefined && verdict.status !== 'PASS' ? { fix: verdict.fix } : {}),
  };
}

/** Turns the facts into findings: the stack check, then, when the stack holds the pipeline, every pipeline check. */
export function evaluateFacts(facts: DoctorFacts): Finding[] {
  const checks: readonly DoctorCheck[] = pipelineFound(facts) ? [STACK_CHECK, ...PIPELINE_CHECKS] : [STACK_CHECK];
  return checks.map((check) => toFinding(check, check.evaluate(facts)));
}
