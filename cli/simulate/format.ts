/** The simulator's output: the live progress line and the human summary (`--json` prints the summary object itself). */
import type { SimulateProgress, SimulateSummary } from './engine';

function ms(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

/** One line: phase, connections, messages, rate and latency. */
export function progressLine(p: SimulateProgress): string {
  const seconds = (p.elapsedMs / 1000).toFixed(0);
  const connect = `connected ${p.connected}/${p.devices}${p.connectFailures > 0 ? ` (${p.connectFailures} failed)` : ''}${p.connectRetries > 0 ? ` retries ${p.connectRetries}` : ''}`;
  const messages = `sent ${p.sent}  acked ${p.acknowledged}  failed ${p.failed}`;
  return `[${seconds}s ${p.phase}] ${connect}  ${messages}  ${Math.round(p.msgPerSec)} msg/s  PUBACK p50 ${ms(p.pubackP50Ms)} p99 ${ms(p.pubackP99Ms)}`;
}

/** What the summary says about the run it comes from. */
export interface SummaryContext {
  readonly qos: 0 | 1;
  readonly endpoint: string;
}

/** The summary for people: counts, the two phases, latency, and the first errors. */
export function formatSummary(s: SimulateSummary, c: SummaryContext): string {
  const lines = [
    `endpoint          ${c.endpoint}`,
    `devices           ${s.devices}: ${s.connected} connected, ${s.connectFailures} could not connect (${s.connectRetries} retries, ${s.disconnects} lost while publishing)`,
    `connect storm     ${(s.connectStormMs / 1000).toFixed(2)} s (first attempt to last device connected)`,
    `messages          ${s.sent} sent, ${s.acknowledged} ${c.qos === 1 ? 'acknowledged (PUBACK)' : 'written (QoS 0: no acknowledgement)'}, ${s.failed} failed`,
    `throughput        ${s.msgPerSec.toFixed(1)} msg/s over ${(s.publishMs / 1000).toFixed(2)} s of publishing`,
    ...(c.qos === 1 ? [`publish→PUBACK    p50 ${ms(s.pubackP50Ms)}, p99 ${ms(s.pubackP99Ms)}, max ${ms(s.pubackMaxMs)}`] : []),
  ];
  if (s.errorCount > 0) {
    lines.push(`errors            ${s.errorCount}${s.errorCount > s.errors.length ? ` (the first ${s.errors.length} kept)` : ''}:`);
    // Alike errors once, with how many of the kept ones there were and the first device.
    const alike = new Map<string, { first: string; count: number }>();
    for (const e of s.errors) {
      const text = `${e.phase}: ${e.message.replace(/^serial \S+: /, '')}${e.code !== undefined ? ` (${e.code})` : ''}`;
      const seen = alike.get(text);
      if (seen) seen.count++;
      else alike.set(text, { first: e.device, count: 1 });
    }
    for (const [text, { first, count }] of alike) lines.push(`  ${count > 1 ? `${count}× e.g. ` : ''}${first} ${text}`);
  }
  return lines.join('\n');
}
