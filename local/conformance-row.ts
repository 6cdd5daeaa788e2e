/**
 * One row of the local runner's conformance table (conformance.ts) and the three ways to write one, shared by the
 * table and the sections that keep their rows next to their code (iot/provisioning/conformance.ts).
 */
export type Support = 'supported' | 'not supported' | 'not applicable';

/** The test that proves a row: a file and a fragment of the test's title (or, for SQL functions, of its example). */
export interface ProvingTest {
  readonly file: string;
  readonly title: string;
}

export interface ConformanceRow {
  readonly feature: string;
  readonly status: Support;
  readonly note: string;
  readonly test?: ProvingTest;
}

/** A feature the runner supports, with the test that proves it. */
export function yes(feature: string, note: string, file: string, title: string): ConformanceRow {
  return { feature, status: 'supported', note, test: { file, title } };
}

/** A feature the runner does not support. */
export function no(feature: string, note: string): ConformanceRow {
  return { feature, status: 'not supported', note };
}

/** A feature that does not apply to the runner: AWS does not offer it, or it has no meaning on one machine. */
export function na(feature: string, note: string): ConformanceRow {
  return { feature, status: 'not applicable', note };
}
