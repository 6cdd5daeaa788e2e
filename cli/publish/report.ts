/** What `publish` reports: counts, latency percentiles, the first failures; as JSON or as text. */
import { formatNumber } from '../format';
import type { PayloadKind } from './payload';

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** What happened. */
export interface PublishReport {
  readonly endpoint: string;
  readonly clientId: string;
  readonly topic: string;
  readonly qos: 0 | 1;
  readonly mqttVersion: '3.1.1' | '5';
  readonly requested: number;
  readonly sent: number;
  /** QoS 1: PUBACK received; QoS 0: written to the socket. */
  readonly acked: number;
  readonly failed: number;
  readonly durationMs: number;
  readonly messagesPerSecond: number;
  readonly latencyMeasures: 'publish→PUBACK' | 'publish→written';
  readonly latencyMs?: LatencySummary;
  /** The first failures (at most 10). */
  readonly errors: Array<{ readonly seq: number; readonly error: string }>;
  /** Why the connection ended early, with what to do. */
  readonly connectionLost?: string;
  /** What the messages held: json (--template), text (--raw), file (--payload-file), cbor, protobuf. */
  readonly payloadKind: PayloadKind;
  /** The payload bytes of every message sent. */
  readonly bytesSent: number;
  /** The size of the first message's payload. */
  readonly firstMessageBytes: number;
  /** The first message: its text, or for CBOR and Protobuf the JSON it encodes. */
  readonly firstMessage: string;
  /** The first message's bytes, base64, when they are not its text (file, CBOR, Protobuf). */
  readonly firstMessageBase64?: string;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** p50/p90/p99/max of latencies (unsorted input). */
export function summarizeLatencies(latencies: readonly number[]): LatencySummary | undefined {
  if (latencies.length === 0) return undefined;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}

/** The report as text lines. */
export function formatPublishReport(r: PublishReport): string {
  const lines = [
    `Sent ${r.sent}/${r.requested} messages to ${r.topic} at QoS ${r.qos} (MQTT ${r.mqttVersion}) on ${r.endpoint} as ${r.clientId}`
      + ` in ${formatNumber(r.durationMs / 1000, 1)} s (${formatNumber(r.messagesPerSecond, 1)} msg/s)`,
    `${r.qos === 1 ? 'acked (PUBACK)' : 'written'} ${r.acked}, failed ${r.failed}`,
    `payload ${r.payloadKind}: ${formatNumber(r.bytesSent, 0)} bytes sent (first message ${formatNumber(r.firstMessageBytes, 0)} bytes)`,
  ];
  if (r.latencyMs) {
    const l = r.latencyMs;
    lines.push(`latency ${r.latencyMeasures} (ms): p50 ${l.p50.toFixed(1)}  p90 ${l.p90.toFixed(1)}  p99 ${l.p99.toFixed(1)}  max ${l.max.toFixed(1)}`);
  }
  for (const e of r.errors) lines.push(`  message ${e.seq}: ${e.error}`);
  if (r.connectionLost) lines.push(r.connectionLost);
  return lines.join('\n');
}
