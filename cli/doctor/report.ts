/** The doctor's report: what was checked and the findings, as JSON (`--json`) or as a text table with the fixes. */
import { renderTable } from '../format';
import type { Finding } from './evaluate';
import type { DoctorFacts } from './facts';

/** The report (its JSON is the `--json` output). */
export interface DoctorReport {
  readonly stack: string;
  readonly pipeline?: string;
  readonly region?: string;
  readonly thingName?: string;
  readonly topic?: string;
  readonly clientId?: string;
  readonly windowMinutes: number;
  readonly findings: Finding[];
  readonly summary: { readonly pass: number; readonly warn: number; readonly fail: number };
}

/** The report of the findings about these facts. */
export function buildReport(facts: DoctorFacts, findings: Finding[]): DoctorReport {
  const count = (status: Finding['status']) => findings.filter((f) => f.status === status).length;
  return {
    stack: facts.stackName,
    pipeline: facts.pipelinePrefix,
    region: facts.stack?.region,
    thingName: facts.thingName,
    topic: facts.topic,
    clientId: facts.clientId,
    windowMinutes: facts.windowMinutes,
    findings,
    summary: { pass: count('PASS'), warn: count('WARN'), fail: count('FAIL') },
  };
}

/** The report as text. */
export function formatDoctorReport(report: DoctorReport): string {
  const head = `doctor: stack ${report.stack}${report.region ? ` (${report.region})` : ''}`
    + `${report.pipeline !== undefined ? `, pipeline ${report.pipeline || '(unnamed)'}` : ''}`
    + `${report.thingName ? `, thing ${report.thingName}` : ''}${report.topic ? `, topic ${report.topic}` : ''}`;
  const rows = report.findings.map((f) => [f.status, f.id, f.detail]);
  const lines = [head, '', renderTable(['Status', 'Check', 'Finding'], rows)];
  const fixes = report.findings.filter((f) => f.fix !== undefined);
  if (fixes.length > 0) {
    lines.push('', 'What to do:');
    for (const f of fixes) lines.push(`  ${f.status} ${f.id}: ${f.fix}`);
  }
  lines.push('', `${report.summary.pass} PASS, ${report.summary.warn} WARN, ${report.summary.fail} FAIL`);
  return lines.join('\n');
}
