import { onForwardedStopSignal, startsRunner } from '../../cli/local/thread';
import { HEAP_FLAGS, YOUNG_GENERATION_MB } from '../../local/heap';

describe('the runner thread (cli/local/thread.ts)', () => {
  test.each([
    [['local'], true],
    [['local', '--app', 'cdk.out', '--port', '0'], true],
    [['local', 'certs', '--thing', 't', '--out', 'o'], false],
    [['local', 'certs', 'status'], false],
    [['local', '--help'], false],
    [['publish', '--help'], false],
    [[], false],
  ])('GIVEN the arguments %j THEN the runner thread is used: %s', (args, expected) => {
    expect(startsRunner(args)).toBe(expected);
  });

  test('GIVEN the main thread THEN stop signals are not taken from a parent port (the process gets them)', () => {
    expect(onForwardedStopSignal(() => undefined)).toBe(false);
  });

  test('GIVEN the heap settings THEN the young generation is two 1 MiB semi-spaces and the old generation growth is bounded', () => {
    expect(YOUNG_GENERATION_MB).toBe(3);
    expect(HEAP_FLAGS).toEqual(['--heap-growing-percent=75']);
  });
});
