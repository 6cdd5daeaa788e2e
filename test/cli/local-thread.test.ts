import { canStartRunnerThread, onForwardedStopSignal, runnerThreadOptions } from '../../cli/local/thread';
import { HEAP_FLAGS, YOUNG_GENERATION_MB } from '../../local/heap';

describe('the runner thread (cli/local/thread.ts)', () => {
  test('GIVEN the main thread THEN the runner may get a thread of its own, and no options were handed to this one', () => {
    expect(canStartRunnerThread()).toBe(true);
    expect(runnerThreadOptions()).toBeUndefined();
  });

  test('GIVEN the main thread THEN stop signals are not taken from a parent port (the process gets them)', () => {
    expect(onForwardedStopSignal(() => undefined)).toBe(false);
  });

  test('GIVEN the heap settings THEN the young generation is two 1 MiB semi-spaces and the old generation growth is bounded', () => {
    expect(YOUNG_GENERATION_MB).toBe(3);
    expect(HEAP_FLAGS).toEqual(['--heap-growing-percent=75']);
  });
});
