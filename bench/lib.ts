/** Shared pieces of the parser benchmark (see parser-bench.ts). */
import { performance } from 'node:perf_hooks';
import type { FirehoseTransformationEvent, FirehoseTransformationResult, FirehoseTransformationResultRecord } from '../lambda/toolkit';

/** A ~200 B telemetry message as the IoT rule emits it (topic first, "\n" separator). */
export function message(i: number): string {
  return JSON.stringify({
    topic: `iot-test-topic/device-${String(i % 250).padStart(4, '0')}`,
    ts: 1720859923841 + i * 37,
    seq: i,
    temperature: Math.round((20 + Math.sin(i) * 5) * 100) / 100,
    humidity: Math.round((45 + Math.cos(i) * 10) * 10) / 10,
    voltage: 3.3 - (i % 10) / 100,
    status: i % 97 === 0 ? 'warn' : 'ok',
    fw: '1.4.2-build.20240712',
    rssi: -67 - (i % 20),
    loc: { lat: 52.52 + (i % 7) / 1000, lon: 13.405 },
  }) + '\n';
}

/** A Firehose event whose JSON is at most `eventBytes` long. */
export function buildEvent(eventBytes: number): FirehoseTransformationEvent {
  const records = [];
  let size = 200; // envelope
  for (let i = 0; ; i++) {
    const record = {
      recordId: `4965387935219457455197774550722${String(i).padStart(10, '0')}0608511091278050492418000000`.slice(0, 62),
      approximateArrivalTimestamp: 1720859923841 + i * 11,
      data: Buffer.from(message(i), 'utf8').toString('base64'),
    };
    const recordSize = JSON.stringify(record).length + 1;
    if (size + recordSize > eventBytes) break;
    size += recordSize;
    records.push(record);
  }
  return {
    invocationId: '08ef5d48-b830-41f6-b5c6-087bec91a044',
    deliveryStreamArn: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/bench',
    region: 'eu-west-1',
    records,
  };
}

/**
 * The floor: what any JSON-to-JSON transformation must do per record — base64 decode, JSON.parse,
 * JSON.stringify, base64 encode — plus the answer object.
 */
export function floor(event: FirehoseTransformationEvent): FirehoseTransformationResult {
  const answers: FirehoseTransformationResultRecord[] = new Array(event.records.length);
  for (let i = 0; i < event.records.length; i++) {
    const record = event.records[i];
    const obj = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8'));
    const data = Buffer.from(JSON.stringify(obj) + '\n', 'utf8').toString('base64');
    answers[i] = { recordId: record.recordId, result: 'Ok', data };
  }
  return { records: answers };
}

export { median } from './report';

/** Each candidate's wall time per run and its CPU time as a ratio to the first candidate's in the same round. */
export interface CandidateTimes {
  readonly times: number[][];
  readonly cpuRatios: number[][];
}

/**
 * Runs every candidate `warmup` times, then `runs` rounds of each in turn, timing wall clock and process CPU; the CPU
 * of each round is divided by the first candidate's, so a busy machine scales both sides of the ratio alike.
 */
export async function timeCandidates(candidates: readonly (() => unknown)[], warmup: number, runs: number): Promise<CandidateTimes> {
  for (let i = 0; i < warmup; i++) for (const run of candidates) await run();
  const times: number[][] = candidates.map(() => []);
  const cpuRatios: number[][] = candidates.map(() => []);
  for (let i = 0; i < runs; i++) {
    const cpu: number[] = [];
    for (let c = 0; c < candidates.length; c++) {
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      await candidates[c]();
      times[c].push(performance.now() - start);
      const used = process.cpuUsage(cpu0);
      cpu.push(used.user + used.system);
    }
    cpu.forEach((us, c) => cpuRatios[c].push(us / cpu[0]));
  }
  return { times, cpuRatios };
}

export function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (cells: readonly string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(headers), '|' + widths.map(w => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

/** The line prefix a child process reports its result with (on stderr; stdout carries the handler's logs). */
export const RESULT_MARKER = 'BENCH-RESULT ';
