/** The open-files limit a fleet run needs: every process on a side of the run holds one socket per device. */
import { spawnSync } from 'child_process';

/** File descriptors a process needs besides one socket per device (journal, buckets, libraries, stdio). */
export const FD_HEADROOM = 1024;

/** The open-files limit child processes inherit (`ulimit -n`). */
export function openFilesLimit(): number {
  const text = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
  return text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text);
}

/** Throws, saying what to change, when `limit` open files cannot hold `devices` connections in one process. */
export function checkOpenFiles(devices: number, limit: number): void {
  const needed = devices + FD_HEADROOM;
  if (limit < needed) {
    throw new Error(`the open-files limit (ulimit -n) is ${limit}, and ${devices} devices need at least ${needed} per process `
      + `(the runner, Mosquitto and the simulator each hold one socket per device): raise it with \`ulimit -n ${needed}\` `
      + `in this shell, or run fewer devices (--devices ${Math.max(1, limit - FD_HEADROOM)})`);
  }
}
