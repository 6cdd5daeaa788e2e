/** The replay summary as text: the same lines locally and in AWS. */
import { formatNumber, renderTable } from '../format';

/** What `replay` prints (`--json`: this object). */
export interface ReplayReport {
  /** Where the replay ran. */
  readonly mode: 'local' | 'aws';
  readonly dryRun: boolean;
  /** The pipeline's construct path (locally) or the state machine's ARN (AWS). */
  readonly pipeline: string;
  readonly source: string;
  readonly from: string;
  readonly to: string;
  readonly sourceBucket: string;
  readonly listPrefix: string;
  readonly outputPrefix: string;
  /**
   * The record counts. In AWS they are known only when the execution's output holds them; otherwise absent, and
   * `batches` tells what the map run did.
   */
  readonly counts?: {
    readonly objectsRead: number;
    readonly objectsSkipped: number;
    readonly recordsRead: number;
    readonly ok: number;
    readonly dropped: number;
    readonly failedAgain: number;
    readonly objectsWritten: number;
  };
  readonly problems: readonly string[];
  /** Dry run: the objects that would be read, and the keys their rows would be written to. */
  readonly read?: readonly string[];
  readonly write?: readonly string[];
  /** AWS: the execution, and how to follow it. */
  readonly executionArn?: string;
  readonly status?: string;
  /** AWS: the map run's item counts (batches of objects handed to the worker). */
  readonly batches?: { readonly succeeded: number; readonly failed: number; readonly total: number };
  /** AWS: where the per-record counts are when the output does not hold them. */
  readonly note?: string;
  /** AWS dry run: the execution input it would start the state machine with. */
  readonly input?: string;
}

export function formatReplayReport(r: ReplayReport): string {
  const head = [
    `${r.dryRun ? 'Dry run: would replay' : 'Replayed'} ${r.source} of ${r.pipeline} (${r.from} … ${r.to})`,
    `  read  ${r.sourceBucket}/${r.listPrefix}`,
    `  write ${r.outputPrefix}`,
  ];
  if (r.executionArn) head.push(`  execution ${r.executionArn}${r.status ? ` (${r.status})` : ''}`);
  if (r.dryRun && r.input !== undefined) {
    return [...head, '', `would start the state machine with the input ${r.input}`].join('\n');
  }
  if (r.dryRun) {
    const rows = (r.read ?? []).map((k, i) => [k, r.write?.[i] ?? '']);
    const list = rows.length === 0 ? '(no object in range)' : renderTable(['reads', 'writes'], rows);
    return [...head, '', list, '', `${formatNumber(rows.length)} objects would be read.`].join('\n');
  }
  const c = r.counts;
  if (!c) {
    const b = r.batches;
    return [...head, '', b ? `batches: ${formatNumber(b.succeeded)} of ${formatNumber(b.total)} done, ${formatNumber(b.failed)} failed` : 'batches: no map run was started (no object in range)',
      ...(r.note ? [r.note] : [])].join('\n');
  }
  const table = renderTable(['', 'count'], [
    ['objects read', formatNumber(c.objectsRead)],
    ['records read', formatNumber(c.recordsRead)],
    ['Ok', formatNumber(c.ok)],
    ['Dropped', formatNumber(c.dropped)],
    ['failed again', formatNumber(c.failedAgain)],
    ['objects written', formatNumber(c.objectsWritten)],
  ], [false, true]);
  const problems = r.problems.length === 0 ? [] : ['', `${r.problems.length} lines were not records and were skipped:`, ...r.problems.slice(0, 20).map((p) => `  ${p}`)];
  return [...head, '', table, ...problems].join('\n');
}
