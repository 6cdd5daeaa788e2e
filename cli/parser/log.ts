/** Reading what a parser logged: the reasons it gave for the records it failed. */

/**
 * The reasons a parser logged per record: JSON log lines with `recordId` and `reason` (the parser toolkit's
 * "Record answered ProcessingFailed" lines), in log order; a record logged twice keeps its last reason.
 */
export function loggedReasons(log: string): Map<string, string> {
  const reasons = new Map<string, string>();
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { recordId?: unknown; reason?: unknown };
      if (typeof entry.recordId === 'string' && typeof entry.reason === 'string') {
        reasons.delete(entry.recordId);
        reasons.set(entry.recordId, entry.reason);
      }
    } catch {
      // not a JSON log line
    }
  }
  return reasons;
}
