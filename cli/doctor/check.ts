/**
 * What a doctor check is. One check per file under `checks/`, listed in order in `checks/index.ts`: an id (stable,
 * shown in the report and the README), a title, the facts it reads, and a pure `evaluate(facts)` that returns its
 * verdict. The runner (`evaluate.ts`) turns verdicts into findings.
 */
import type { DoctorFacts, FactName } from './facts';

/** PASS: fine. WARN: look at it (or could not be checked). FAIL: the pipeline cannot work like this. */
export type Status = 'PASS' | 'WARN' | 'FAIL';

/** What a check concluded. */
export interface Verdict {
  readonly status: Status;
  readonly detail: string;
  /** What to do (WARN/FAIL; dropped on PASS). */
  readonly fix?: string;
  /** A title naming what was checked more precisely than the check's own (e.g. the client id). */
  readonly title?: string;
}

/** One check. */
export interface DoctorCheck<Id extends string = string> {
  /** Stable id, e.g. `certificate-policy`. */
  readonly id: Id;
  /** What it checks, as the report's title says it. */
  readonly title: string;
  /** The facts `evaluate` reads (directly or through `derived.ts`); a test holds every check to its list. */
  readonly reads: readonly FactName[];
  /** Pure: the same facts give the same verdict. */
  evaluate(facts: DoctorFacts): Verdict;
}

/** Declares a check, keeping its id's literal type (for the `CheckId` union). */
export function defineCheck<Id extends string>(check: DoctorCheck<Id>): DoctorCheck<Id> {
  return check;
}

export function pass(detail: string, title?: string): Verdict {
  return { status: 'PASS', detail, ...(title !== undefined ? { title } : {}) };
}

export function warn(detail: string, fix: string, title?: string): Verdict {
  return { status: 'WARN', detail, fix, ...(title !== undefined ? { title } : {}) };
}

export function fail(detail: string, fix: string, title?: string): Verdict {
  return { status: 'FAIL', detail, fix, ...(title !== undefined ? { title } : {}) };
}

/** A check that could not run because something it needs is missing (another check FAILs for that). */
export function notChecked(why: string, title?: string): Verdict {
  return warn(`not checked: ${why}`, 'fix the FAIL findings above first', title);
}

const RANK: Readonly<Record<Status, number>> = { PASS: 0, WARN: 1, FAIL: 2 };

/** The worst of some statuses (PASS when none). */
export function worst(statuses: readonly Status[]): Status {
  return statuses.reduce<Status>((a, b) => (RANK[b] > RANK[a] ? b : a), 'PASS');
}

/** The stack's partition, Region and account; checks after `stack` run only when the stack exists. */
export function stackOf(facts: DoctorFacts): NonNullable<DoctorFacts['stack']> {
  if (!facts.stack) throw new Error('internal: a pipeline check ran without the stack (evaluate.ts runs them only when pipelineFound)');
  return facts.stack;
}
