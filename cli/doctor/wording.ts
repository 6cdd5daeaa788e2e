/** Small text helpers the checks share. */
import type { DoctorFacts } from './facts';

/** `the last 60 min`. */
export function windowText(facts: DoctorFacts): string {
  return `the last ${facts.windowMinutes} min`;
}

/** The longest common prefix of the listed prefixes, cut back to a whole path level. */
export function commonPrefix(prefixes: readonly string[]): string {
  if (prefixes.length === 0) return '';
  let p = prefixes[0];
  for (const q of prefixes) while (!q.startsWith(p)) p = p.slice(0, -1);
  return p.slice(0, p.lastIndexOf('/') + 1);
}

/** At most `n` characters, with `…` when cut. */
export function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
