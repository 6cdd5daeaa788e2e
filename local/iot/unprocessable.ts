/**
 * The messages no rule could process (a payload that is not a JSON object into a rule that adds fields to `*`), as the
 * runner reports them: its summary lines, and `<data-dir>/unprocessable.json`, which the runner rewrites while it runs
 * and the local doctor reads (`doctor --app … --data-dir …`).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'fs';
import { join } from 'path';
import { UNPROCESSABLE_FIX, UnprocessableTopic } from './rules';

/** The file in the data dir. */
export const UNPROCESSABLE_FILE = 'unprocessable.json';

/** What the file holds. */
export interface UnprocessableReport {
  /** Every such message since the runner started. */
  readonly total: number;
  /** Per topic (the first 1,000 topics), most messages first. */
  readonly topics: readonly UnprocessableTopic[];
  /** What to change. */
  readonly fix: string;
}

/** The report of a rules engine's counters. */
export function unprocessableReport(total: number, topics: Iterable<UnprocessableTopic>): UnprocessableReport {
  return { total, topics: [...topics].map((t) => ({ ...t })).sort((a, b) => b.count - a.count), fix: UNPROCESSABLE_FIX };
}

/** The summary lines (none when every message could be processed). */
export function unprocessableLines(report: UnprocessableReport): string[] {
  if (report.total === 0) return [];
  const shown = report.topics.slice(0, 10).map((t) => `${t.count} on ${t.topic} (rule ${t.rule})`);
  const more = report.topics.length > shown.length ? `, and ${report.topics.length - shown.length} more topic(s)` : '';
  return [`summary: ${report.total} message(s) no rule could process (payload not a JSON object for a JSON rule): ${shown.join(', ')}${more}; ${report.fix}`];
}

/** Writes the report into the data dir (replacing the file at once). */
export function writeUnprocessable(dataDir: string, report: UnprocessableReport): void {
  const path = join(dataDir, UNPROCESSABLE_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(report, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

/** The report a runner wrote into a data dir; undefined when there is none (or it cannot be read). */
export function readUnprocessable(dataDir: string): UnprocessableReport | undefined {
  const path = join(dataDir, UNPROCESSABLE_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const report = JSON.parse(readFileSync(path, 'utf8')) as UnprocessableReport;
    return typeof report.total === 'number' && Array.isArray(report.topics) ? report : undefined;
  } catch {
    return undefined;
  }
}
