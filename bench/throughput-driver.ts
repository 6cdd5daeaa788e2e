/**
 * Child process of parser-bench.ts (bundled by it with esbuild, run with plain node): times the reference
 * parser's exported `handler`, configured by the PARSER_* environment like in Lambda, against the floor,
 * interleaved in one process. One configuration per process, as in Lambda, so call sites stay monomorphic.
 *
 * Arguments: <eventBytes> <warmup> <runs> [<compare bundle>]. With a compare bundle (another build's reference
 * parser, e.g. before a change) its handler is timed too, interleaved with the other two. Besides wall time, each
 * run's CPU time (process.cpuUsage, all threads) is divided by the floor's in the same round: that paired ratio
 * moves far less with the load of a shared machine. Reports one JSON line on stderr.
 */
import { buildEvent, floor, median, RESULT_MARKER, timeCandidates } from './lib';
import { handler } from '../lambda/reference-parser';

async function main(): Promise<void> {
  const [eventBytes, warmup, runs] = process.argv.slice(2, 5).map(Number);
  const compareFile = process.argv[5];
  const event = buildEvent(eventBytes);
  const candidates = [() => floor(event), () => handler(event, { awsRequestId: 'bench' })];
  if (compareFile) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const compare = (require(compareFile) as { handler: typeof handler }).handler;
    candidates.push(() => compare(event, { awsRequestId: 'bench' }));
  }
  const { times, cpuRatios } = await timeCandidates(candidates, warmup, runs);
  const result = await handler(event);
  process.stderr.write(RESULT_MARKER + JSON.stringify({
    records: event.records.length,
    floorMs: median(times[0]),
    parserMs: median(times[1]),
    parserCpuRatio: median(cpuRatios[1]),
    ...(compareFile ? { compareMs: median(times[2]), compareCpuRatio: median(cpuRatios[2]) } : {}),
    ok: result.records.filter(r => r.result === 'Ok').length,
    responseBytes: Buffer.byteLength(JSON.stringify(result)),
    avgMessageBytes: event.records.reduce((sum, r) => sum + Buffer.from(r.data, 'base64').length, 0) / event.records.length,
  }) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
