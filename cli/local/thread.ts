/**
 * `cdk-iot-pipeline local` runs the runner in a worker thread of the CLI's process, for its heap settings
 * (local/heap.ts): a worker's young generation can be capped (`resourceLimits.maxYoungGenerationSizeMb`), the main
 * thread's cannot once Node has started. The main thread parses the command line (commander, once) and hands the
 * parsed options to the thread (`workerData`); then it only waits: it forwards SIGTERM/SIGINT to the runner's
 * thread (`run.ts` stops the runner on them) and exits with the thread's exit code. The thread's stdout and stderr
 * are the process's. Loaded eagerly by cli/index.ts, so it imports nothing heavy.
 */
import { setFlagsFromString } from 'v8';
import { isMainThread, parentPort, Worker, workerData } from 'worker_threads';
import { HEAP_FLAGS, YOUNG_GENERATION_MB } from '../../local/heap';

/** What the main thread posts to the runner's thread when the process receives a stop signal. */
export interface StopSignalMessage {
  readonly stopSignal: NodeJS.Signals;
}

/** What the runner's thread is started with: the `local` command's options, as commander parsed them. */
interface RunnerThreadData<T> {
  readonly runLocal: T;
}

/** Whether the runner may move to a thread of its own: in the main thread only (never from the thread itself). */
export function canStartRunnerThread(): boolean {
  return isMainThread;
}

/** Runs `script` (the CLI) in the runner's thread, which runs the runner with `options`; resolves with its exit code. */
export function runInRunnerThread<T>(script: string, options: T): Promise<number> {
  for (const flag of HEAP_FLAGS) setFlagsFromString(flag);
  const worker = new Worker(script, {
    workerData: { runLocal: options } satisfies RunnerThreadData<T>,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  const forward = (signal: NodeJS.Signals) => worker.postMessage({ stopSignal: signal } satisfies StopSignalMessage);
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  return new Promise((resolve) => {
    worker.once('error', (e) => process.stderr.write(`error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`));
    worker.once('exit', (code) => {
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      resolve(code);
    });
  });
}

/** In the runner's thread: the `local` options the main thread parsed. Otherwise undefined. */
export function runnerThreadOptions<T>(): T | undefined {
  if (isMainThread) return undefined;
  return (workerData as Partial<RunnerThreadData<T>> | undefined)?.runLocal;
}

/** In the runner's thread: calls `handler` for each stop signal the main thread forwards. Otherwise false. */
export function onForwardedStopSignal(handler: (signal: NodeJS.Signals) => void): boolean {
  if (isMainThread || !parentPort) return false;
  parentPort.on('message', (m: Partial<StopSignalMessage>) => {
    if (m && typeof m.stopSignal === 'string') handler(m.stopSignal);
  });
  return true;
}
