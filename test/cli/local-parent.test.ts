/** The runner stops with the process that started it: the parent-process watch (fake timers, a fake parent pid). */
import { watchParent } from '../../cli/local/run';

describe('watchParent', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('GIVEN the same parent WHEN checked again and again THEN nothing happens; WHEN re-parented THEN onGone runs once', () => {
    // GIVEN
    let ppid = 4242;
    const onGone = jest.fn();
    watchParent(() => ppid, onGone, 1000);
    // WHEN the parent stays
    jest.advanceTimersByTime(10_000);
    // THEN
    expect(onGone).not.toHaveBeenCalled();
    // WHEN it exits (the process is adopted by init)
    ppid = 1;
    jest.advanceTimersByTime(1000);
    // THEN once, and the watch is over
    expect(onGone).toHaveBeenCalledTimes(1);
    ppid = 7;
    jest.advanceTimersByTime(10_000);
    expect(onGone).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});
