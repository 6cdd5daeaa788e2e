/**
 * `cdk-iot-pipeline replay` locally: records per second of a processing-failed replay of N records (default 100,000)
 * through the reference parser (run from its asset by the runner's Lambda runtime), against reading the same objects
 * alone (read, gunzip, split into records — the floor any replay pays). Both in the same run, interleaved, medians.
 *
 *   npx projen bench:replay [-- --records 100000 --per-object 1000 --runs 3 --json]
 *
 * The objects are written straight into a data dir's bucket folder as Firehose's processing-failed objects (GZIP JSON
 * lines with `rawData`), one hour, named as Firehose names them; no runner and no MQTT are involved.
 */
import { mkdirSync, mkdtempSync, promises as fsp, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { performance } from 'perf_hooks';
import { gunzipSync, gzipSync } from 'zlib';
import { App, Stack } from 'aws-cdk-lib';
import { fmt, message, table } from './lib';
import { machine, median, printJson, round, wantsJson } from './report';
import { loadModel } from '../local/assembly/model';
import { objectName } from '../local/firehose/keys';
import { listKeys, replayLocal } from '../local/replay/engine';
import { FolderSink } from '../local/s3/sinks';
import { IotCoreFirehosePipeline, Parser } from '../src';
import { ERROR_OUTPUT_TYPES, readReplayObject } from '../src/contract';

interface Options {
  readonly records: number;
  readonly perObject: number;
  readonly runs: number;
  readonly json: boolean;
}

function options(argv: string[]): Options {
  const value = (name: string, fallback: number): number => {
    const i = argv.indexOf(name);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} needs a positive whole number, got ${argv[i + 1]}`);
    return n;
  };
  return { records: value('--records', 100_000), perObject: value('--per-object', 1000), runs: value('--runs', 3), json: wantsJson(argv) };
}

function synth(outdir: string): string {
  const app = new App({ outdir });
  const stack = new Stack(app, 'ReplayBench', { env: { region: 'eu-west-1' } });
  new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'iot-test-topic', monitoring: { alarms: false }, parser: Parser.reference() });
  return app.synth().directory;
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const work = mkdtempSync(join(tmpdir(), 'cdk-iot-replay-bench-'));
  try {
    const app = synth(join(work, 'cdk.out'));
    const dataDir = join(work, 'data');
    const model = loadModel({ app });
    const stream = [...model.streams.values()][0];
    const target = stream.destination;
    const hour = Date.UTC(2026, 2, 4, 5);
    const sink = new FolderSink(join(dataDir, 's3'));
    say(`writing ${o.records.toLocaleString('en-US')} processing-failed records in objects of ${o.perObject}…`);
    let written = 0;
    for (let n = 0; written < o.records; n++) {
      const count = Math.min(o.perObject, o.records - written);
      const lines: string[] = [];
      for (let i = 0; i < count; i++) {
        const arrival = hour + (written + i) * 7 % 3_600_000;
        lines.push(JSON.stringify({
          attemptsMade: 4,
          arrivalTimestamp: arrival,
          errorCode: 'Lambda.ProcessingFailedStatus',
          errorMessage: 'ProcessingFailed status set for record',
          attemptEndingTimestamp: arrival + 1000,
          rawData: Buffer.from(message(written + i)).toString('base64'),
          lambdaArn: stream.processor!.lambdaArn,
        }));
      }
      const at = hour + n * 1000;
      const key = target.errorPrefix.render({ timestamp: at, errorOutputType: ERROR_OUTPUT_TYPES.processingFailed }) + objectName(stream.name, 1, at, '.gz');
      const path = sink.describe(target.bucket, key);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, gzipSync(lines.join('\n') + '\n'));
      written += count;
    }

    const readAlone = async (): Promise<number> => {
      const keys = await listKeys(sink.bucketDir(target.bucket), 'errors/processing-failed/');
      let records = 0;
      for (const key of keys) {
        const body = gunzipSync(await fsp.readFile(sink.describe(target.bucket, key)));
        records += readReplayObject('processing-failed', body, hour).records.length;
      }
      return records;
    };
    const readMs: number[] = [];
    const replayMs: number[] = [];
    let counts: Record<string, number> = {};
    for (let run = 1; run <= o.runs; run++) {
      let t0 = performance.now();
      const read = await readAlone();
      readMs.push(performance.now() - t0);
      if (read !== o.records) throw new Error(`read ${read} records, wrote ${o.records}`);
      t0 = performance.now();
      const summary = await replayLocal({ app, dataDir, source: 'processing-failed', from: '2026-03-04T05', to: '2026-03-04T05' });
      replayMs.push(performance.now() - t0);
      counts = { ...summary.counts };
      if (summary.counts.ok !== o.records) throw new Error(`the replay answered ${summary.counts.ok} records Ok of ${o.records}: ${JSON.stringify(summary.counts)}`);
      say(`run ${run}/${o.runs}: read alone ${fmt(readMs[run - 1], 0)} ms, replay ${fmt(replayMs[run - 1], 0)} ms`);
    }
    const read = median(readMs);
    const replay = median(replayMs);
    const figures = {
      records: o.records,
      objects: Math.ceil(o.records / o.perObject),
      runs: o.runs,
      replayMs: round(replay, 0),
      readAloneMs: round(read, 0),
      replayRecordsPerSecond: round(o.records / (replay / 1000), 0),
      readAloneRecordsPerSecond: round(o.records / (read / 1000), 0),
      ratio: round(replay / read, 2),
      counts,
    };
    process.stdout.write(`${table(['', 'ms (median)', 'records/s'], [
      ['replay (reference parser, end to end)', fmt(replay, 0), fmt(figures.replayRecordsPerSecond, 0)],
      ['reading the same objects alone', fmt(read, 0), fmt(figures.readAloneRecordsPerSecond, 0)],
    ])}\n\nratio = replay / reading alone: ${fmt(figures.ratio, 2)}× (${figures.objects} objects, ${o.records.toLocaleString('en-US')} records)\n`);
    if (o.json) printJson({ ...figures, machine: machine() });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench:replay failed: ${(e as Error).message}\n`);
  process.exit(1);
});
