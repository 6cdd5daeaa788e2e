/**
 * LocalRunner.start in this process (opens sockets): a start that fails part-way releases everything it opened, so
 * the CLI process can exit and the data dir can be used again.
 */
import { existsSync, readdirSync } from 'fs';
import { createServer, Server } from 'net';
import { join } from 'path';
import { synthExampleStack } from './fixture-app';
import { cleanup, tempDir } from './helpers';
import { AssemblyError, LocalRunner, RunnerError } from '../../local';

jest.mock('aedes', () => jest.requireActual('./helpers').aedesCommonJs());
jest.setTimeout(120000);

/** What keeps an event loop alive (timers, servers, sockets) and the open file descriptors, counted by kind. */
function openResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  if (existsSync('/proc/self/fd')) counts.fileDescriptors = readdirSync('/proc/self/fd').length;
  return counts;
}

/** Waits for pending closes to settle (a few event-loop turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
}

describe('a local runner that cannot start', () => {
  let dir: string;
  let app: string;
  let blocker: Server;
  let busyPort: number;

  beforeAll(async () => {
    dir = tempDir('runner');
    app = synthExampleStack(join(dir, 'cdk.out'));
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    busyPort = (blocker.address() as { port: number }).port;
    // Warm up once (loads aedes, creates the CA) so the comparison below counts only what a start leaves open.
    const warm = await LocalRunner.start({ app, dataDir: join(dir, 'warm'), port: 0, log: () => undefined });
    await warm.stop();
  });

  afterAll(async () => {
    await new Promise<void>((r) => blocker.close(() => r()));
    cleanup(dir);
  });

  test('GIVEN a port in use WHEN the runner starts THEN it rejects with RunnerError EADDRINUSE and leaves nothing open: broker, journal, Lambda runtime, S3 API, lock', async () => {
    const dataDir = join(dir, 'busy');
    await settle();
    const before = openResources();
    const failed = await LocalRunner.start({ app, dataDir, port: busyPort, log: () => undefined }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RunnerError);
    expect(failed).toMatchObject({ code: 'EADDRINUSE', message: `port ${busyPort} on 127.0.0.1 is in use; choose another port (0 picks a free one)` });
    await settle();
    expect(openResources()).toEqual(before);
    expect(existsSync(join(dataDir, 'runner.lock'))).toBe(false);

    // the data dir is free again
    const runner = await LocalRunner.start({ app, dataDir, port: 0, log: () => undefined });
    await runner.stop();
  });

  test('GIVEN a data dir another runner uses WHEN a second runner starts THEN RunnerError naming the pid, and the first keeps running', async () => {
    const dataDir = join(dir, 'shared');
    const first = await LocalRunner.start({ app, dataDir, port: 0, log: () => undefined });
    try {
      await expect(LocalRunner.start({ app, dataDir, port: 0, log: () => undefined }))
        .rejects.toThrow(new RunnerError(`another local runner (pid ${process.pid}) uses the data dir ${dataDir}; stop it or use another data dir`));
      expect(existsSync(join(dataDir, 'runner.lock'))).toBe(true);
    } finally {
      await first.stop();
    }
    expect(existsSync(join(dataDir, 'runner.lock'))).toBe(false);
  });

  test('GIVEN a directory that is not a cloud assembly WHEN the runner starts THEN AssemblyError (a RunnerError) and the lock is released', async () => {
    const dataDir = join(dir, 'no-app');
    const failed = await LocalRunner.start({ app: join(dir, 'nothing-here'), dataDir, port: 0, log: () => undefined }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(AssemblyError);
    expect(failed).toBeInstanceOf(RunnerError);
    expect((failed as Error).message).toMatch(/no manifest.json/);
    expect(existsSync(join(dataDir, 'runner.lock'))).toBe(false);
  });
});
