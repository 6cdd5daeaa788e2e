/**
 * Retry delays for connecting (and onboarding) simulated devices: exponential backoff with full jitter, as AWS asks
 * of devices that connect to AWS IoT Core:
 * - "Use an exponential backoff with jitter and retry logic to connect remote devices to the cloud … to avoid
 *   retries from multiple devices occurring simultaneously"
 *   (https://docs.aws.amazon.com/wellarchitected/latest/iot-lens-checklist/best-practice-11-4.html);
 * - the AWS IoT Device SDK's retry utilities: "sleep for some random amount of seconds between 0 and the lesser of
 *   the backoff window … and a predefined maximum delay value. The backoff window is doubled with each retry attempt"
 *   (https://docs.aws.amazon.com/embedded-csdk/202009.00/lib-ref/docs/doxygen/output/html/retryutils_page.html).
 */

/** How a device retries. */
export interface BackoffPolicy {
  /** The first backoff window (ms); doubled with each retry. */
  readonly baseMs: number;
  /** The largest window (ms). */
  readonly maxMs: number;
  /** Attempts in all (the first included) before the device counts as failed. */
  readonly maxAttempts: number;
}

/** The simulator's default: 0.5 s doubling to at most 20 s, 6 attempts (about 40 s of retrying at worst). */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 20_000, maxAttempts: 6 };

/**
 * The delay before retry number `retry` (1 = the first retry): uniformly random in [0, min(maxMs, baseMs·2^(retry-1))].
 */
export function backoffDelayMs(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  const window = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return random() * window;
}
