/**
 * `cdk-iot-pipeline replay --app … --data-dir …` end to end: the local runner runs a pipeline whose parser fails
 * the messages with a `legacy` field; the parser is fixed (a new assembly, the same construct tree); the replay of
 * `processing-failed` puts every record into the parsed folder exactly once, and a second replay changes nothing; a
 * raw backfill into a new prefix yields every published record once.
 */
import { join } from 'path';
import { REPLAY_THING, REPLAY_TOPIC, synthReplayApp } from './replay-app';
import { run } from '../../../cli';
import { cleanup, connect, issue, listFiles, readJsonLines, startRunner, tempDir } from '../../local/helpers';

jest.mock('aedes', () => jest.requireActual('../../local/helpers').aedesCommonJs());
jest.setTimeout(180000);

const MESSAGES = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ n, ...(n % 3 === 0 ? { legacy: true } : {}) }));
const LEGACY = MESSAGES.filter((m) => m.legacy).map((m) => m.n);
const ALL = MESSAGES.map((m) => m.n);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
  return { code, stdout, stderr };
}

describe('cdk-iot-pipeline replay (local)', () => {
  let dir: string;
  let dataDir: string;
  let fixedApp: string;
  let parsedDir: string;

  /** The `n` of every row in the parsed bucket under a key prefix, sorted. */
  const rowsUnder = (prefix: string) => readJsonLines(parsedDir, prefix).map((r) => r.n as number).sort((a, b) => a - b);

  beforeAll(async () => {
    dir = tempDir('replay-e2e');
    dataDir = join(dir, 'data');
    const buggyApp = synthReplayApp(join(dir, 'buggy', 'cdk.out'), false);
    fixedApp = synthReplayApp(join(dir, 'fixed', 'cdk.out'), true);
    const t = await startRunner({ app: buggyApp, dataDir });
    try {
      const cert = issue(dataDir, REPLAY_THING);
      const client = await connect(t.runner.port, cert, REPLAY_THING);
      try {
        for (const m of MESSAGES) await client.publishAsync(`${REPLAY_TOPIC}/d${m.n}`, JSON.stringify(m), { qos: 1 });
      } finally {
        await client.endAsync();
      }
      await t.runner.flush();
      const stream = [...t.runner.model.streams.values()][0];
      parsedDir = join(dataDir, 's3', stream.destination.bucket.folder);
    } finally {
      await t.runner.stop();
    }
  });

  afterAll(() => cleanup(dir));

  test('GIVEN the buggy parser ran THEN the legacy records are only in processing-failed', () => {
    expect(rowsUnder('parsed/')).toEqual(ALL.filter((n) => !LEGACY.includes(n)));
    const failed = readJsonLines(parsedDir, 'errors/processing-failed/')
      .map((r) => JSON.parse(Buffer.from(r.rawData as string, 'base64').toString('utf8')).n as number).sort((a, b) => a - b);
    expect(failed).toEqual(LEGACY);
  });

  test('GIVEN a dry run THEN it lists the processing-failed objects and writes nothing', async () => {
    const before = listFiles(parsedDir);
    const r = await cli(['replay', '--app', fixedApp, '--data-dir', dataDir, '--source', 'processing-failed', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.dryRun).toBe(true);
    expect(report.read.length).toBeGreaterThan(0);
    expect(report.read.every((k: string) => k.startsWith('errors/processing-failed/'))).toBe(true);
    expect(report.write.every((k: string) => k.startsWith('parsed/') && k.includes('-replay-'))).toBe(true);
    expect(listFiles(parsedDir)).toEqual(before);
  });

  test('GIVEN the fixed parser WHEN processing-failed is replayed twice THEN every record is in the parsed folder exactly once', async () => {
    const first = await cli(['replay', '--app', fixedApp, '--data-dir', dataDir, '--source', 'processing-failed', '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report.counts).toMatchObject({ recordsRead: LEGACY.length, ok: LEGACY.length, dropped: 0, failedAgain: 0 });
    expect(report.counts.objectsWritten).toBeGreaterThan(0);
    expect(rowsUnder('parsed/')).toEqual(ALL);
    // The replayed rows are the fixed parser's.
    const replayed = readJsonLines(parsedDir, 'parsed/').filter((r) => r.legacy === true);
    expect(replayed.map((r) => r.parser)).toEqual(LEGACY.map(() => 'v2'));

    const second = await cli(['replay', '--app', fixedApp, '--data-dir', dataDir, '--source', 'processing-failed']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`records read\\s+${LEGACY.length}\\n`));
    expect(rowsUnder('parsed/')).toEqual(ALL);
  });

  test('GIVEN the raw backup WHEN backfilled into a new prefix THEN every published record is there once, and the live prefix is untouched', async () => {
    const live = rowsUnder('parsed/');
    const r = await cli(['replay', '--app', fixedApp, '--data-dir', dataDir, '--source', 'raw', '--output-prefix', 'backfill/v2/', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).counts).toMatchObject({ recordsRead: ALL.length, ok: ALL.length, failedAgain: 0 });
    expect(rowsUnder('backfill/v2/')).toEqual(ALL);
    expect(rowsUnder('parsed/')).toEqual(live);
    await cli(['replay', '--app', fixedApp, '--data-dir', dataDir, '--source', 'raw', '--output-prefix', 'backfill/v2/']);
    expect(rowsUnder('backfill/v2/')).toEqual(ALL);
  });

  test('GIVEN hours before the records arrived THEN no object is read and nothing is written', async () => {
    const before = listFiles(parsedDir);
    const r = await cli(['replay', '--app', fixedApp, '--data-dir', dataDir, '--source', 'processing-failed', '--from', '2020-01-01T00', '--to', '2020-01-01T23', '--json']);
    expect(r.code).toBe(0);
    const counts = JSON.parse(r.stdout).counts;
    expect(counts).toMatchObject({ objectsRead: 0, recordsRead: 0, objectsWritten: 0 });
    expect(listFiles(parsedDir)).toEqual(before);
  });

  test('GIVEN the live prefix as a backfill\'s output WHEN replaying raw THEN it is refused with what to change', async () => {
    const r = await cli(['replay', '--app', fixedApp, '--data-dir', dataDir, '--source', 'raw', '--output-prefix', 'somewhere/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/must start with "backfill\/"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
