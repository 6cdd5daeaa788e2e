/**
 * The write-ahead journal of QoS 1 messages: append-only segment files in `<data-dir>/journal/`, fsynced with
 * group commit, and "done" markers once everything derived from a message is durable in S3.
 *
 * - `append()` encodes the message into the current group; the group is written with one write() and made
 *   durable with one fdatasync(); then every callback of the group runs (the broker sends the PUBACKs there).
 *   While one group is being synced the next one fills, so throughput is bounded by bandwidth, not by sync
 *   latency. Entries are encoded straight into the group's buffer, and the two group buffers (filling, being
 *   written) are reused, so a message allocates no buffer of its own (it did: one per entry, then a concatenation
 *   per group — ~2 × 330 bytes of short-lived external memory per 200-byte message).
 * - Entries and their versioned format: entry.ts. A torn or corrupt tail (kill -9 during a write) fails the
 *   length/CRC check and is truncated at the next start.
 * - `deliver(seq, delivered)` is the one place an entry is marked done: when the promise of everything derived from
 *   the message (the rules engine's `ingest`) resolves. A delivery abandoned on stop never resolves, so its entry
 *   stays and is replayed.
 * - `<segment>.done` holds the u32 offsets (seq - first seq of the segment) of delivered entries. Done markers are
 *   written after the S3 objects are durable, so a crash can only leave an entry not marked (it is replayed:
 *   at-least-once), never marked but lost. A segment whose entries are all done is deleted.
 * - `open()` returns the entries that are not done, in order, for replay.
 */
import { close, closeSync, fdatasync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, write, writeSync } from 'fs';
import { join } from 'path';
import { decodeSegment, JournalEntry, JournalMessage, measureEntry, segmentHeader, writeEntry } from './entry';

export { decodeEntries, decodeSegment, encodeEntry, JOURNAL_FORMAT_VERSION, JournalFormatError } from './entry';
export type { JournalEntry, JournalMessage, MessageProperties } from './entry';

export interface JournalOptions {
  /** Rotate the active segment beyond this size. */
  readonly segmentBytes?: number;
  /** fdatasync each group (default true; false only for measurements). */
  readonly sync?: boolean;
}

interface Segment {
  readonly firstSeq: number;
  readonly logPath: string;
  readonly donePath: string;
  entries: number;
  done: number;
  doneFd?: number;
  pendingDone: number[];
  active: boolean;
}

type Callback = (err: Error | null) => void;

/** The size a group buffer starts with (it doubles when a group needs more). */
const GROUP_BUFFER_BYTES = 64 * 1024;
/**
 * The largest group buffer kept for reuse: at the bench:local load (100 devices × 32 in flight, ~330-byte entries)
 * a group holds up to ~1 MiB.
 */
const MAX_KEPT_GROUP_BUFFER_BYTES = 2 * 1024 * 1024;

/** The journal. */
export class Journal {
  /** Opens (creating) the journal and returns the entries to replay. */
  public static open(dir: string, options: JournalOptions = {}): { journal: Journal; replay: JournalEntry[]; truncated: number } {
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir).filter((n) => /^segment-\d{16}\.log$/.test(n)).sort();
    const segments = new Map<number, Segment>();
    const replay: JournalEntry[] = [];
    let truncated = 0;
    let nextSeq = 1;
    for (const name of names) {
      const firstSeq = Number(name.slice('segment-'.length, -'.log'.length));
      const logPath = join(dir, name);
      const donePath = logPath.replace(/\.log$/, '.done');
      const data = readFileSync(logPath);
      const { entries, validLength } = decodeSegment(data, logPath);
      if (validLength < data.length) {
        truncated += data.length - validLength;
        const fd = openSync(logPath, 'r+');
        ftruncateSync(fd, validLength);
        fsyncSync(fd);
        closeSync(fd);
      }
      const done = new Set<number>();
      try {
        const d = readFileSync(donePath);
        for (let i = 0; i + 4 <= d.length; i += 4) done.add(d.readUInt32LE(i));
      } catch {
        // no done markers yet
      }
      const segment: Segment = { firstSeq, logPath, donePath, entries: entries.length, done: 0, pendingDone: [], active: false };
      for (const e of entries) {
        nextSeq = Math.max(nextSeq, e.seq + 1);
        if (done.has(e.seq - firstSeq)) segment.done++;
        else replay.push(e);
      }
      if (segment.done >= segment.entries) {
        unlinkQuiet(logPath);
        unlinkQuiet(donePath);
      } else {
        segments.set(firstSeq, segment);
      }
    }
    const journal = new Journal(dir, segments, nextSeq, options);
    return { journal, replay, truncated };
  }

  private readonly segmentBytes: number;
  private readonly sync: boolean;
  private active!: Segment;
  private fd = -1;
  private activeBytes = 0;
  /** The group being filled: `groupEntries` entries in `group[0, groupBytes)`. */
  private group: Buffer = Buffer.allocUnsafe(GROUP_BUFFER_BYTES);
  private groupBytes = 0;
  private groupEntries = 0;
  /** The buffer of the group last written, reused for the next group. */
  private spare?: Buffer;
  private groupCallbacks: Callback[] = [];
  private groupFirstSeq = 0;
  private flushing = false;
  private scheduled = false;
  private doneTimer?: NodeJS.Timeout;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** Number of group commits (for the benchmark). */
  public commits = 0;

  private constructor(
    private readonly dir: string,
    private readonly segments: Map<number, Segment>,
    private nextSeq: number,
    options: JournalOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.sync = options.sync ?? true;
    this.rotate();
  }

  /** Entries not yet done (in all segments). */
  public get outstanding(): number {
    let n = 0;
    for (const s of this.segments.values()) n += s.entries - s.done;
    return n;
  }

  /** Appends a message; `durable` runs once it is fsynced. Returns its sequence number. */
  public append(message: JournalMessage, durable: Callback): number {
    if (this.closed) {
      durable(new Error('the journal is closed'));
      return -1;
    }
    const size = measureEntry(message);
    const seq = this.nextSeq++;
    if (this.groupBytes + size > this.group.length) this.growGroup(this.groupBytes + size);
    this.groupBytes = writeEntry(this.group, this.groupBytes, message, seq);
    if (this.groupEntries === 0) this.groupFirstSeq = seq;
    this.groupEntries++;
    this.groupCallbacks.push(durable);
    this.active.entries++;
    if (!this.flushing && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return seq;
  }

  /**
   * Marks the entry done once everything derived from it is durable (`delivered` resolves); the one place entries
   * are marked. A delivery that never resolves (abandoned on stop, a write that failed) leaves the entry for replay.
   */
  public deliver(seq: number, delivered: PromiseLike<unknown>): void {
    delivered.then(() => this.markDone(seq));
  }

  private markDone(seq: number): void {
    const segment = this.segmentOf(seq);
    if (!segment) return;
    segment.pendingDone.push(seq - segment.firstSeq);
    if (!this.doneTimer && !this.closed) {
      this.doneTimer = setTimeout(() => {
        this.doneTimer = undefined;
        this.writeDone();
      }, 50);
    }
  }

  /** Waits for the current groups to be durable. */
  public async idle(): Promise<void> {
    if (!this.flushing && !this.scheduled && this.groupEntries === 0) return;
    await new Promise<void>((resolveIdle) => this.idleWaiters.push(resolveIdle));
  }

  /** Flushes everything, writes and syncs done markers, closes files. */
  public async close(): Promise<void> {
    await this.idle();
    this.closed = true;
    if (this.doneTimer) clearTimeout(this.doneTimer);
    this.doneTimer = undefined;
    this.writeDone();
    for (const s of this.segments.values()) {
      if (s.doneFd !== undefined) {
        fsyncSync(s.doneFd);
        closeSync(s.doneFd);
        s.doneFd = undefined;
      }
    }
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      await new Promise<void>((res) => close(fd, () => res()));
    }
    this.active.active = false;
    this.retireIfDone(this.active);
  }

  private segmentOf(seq: number): Segment | undefined {
    let best: Segment | undefined;
    for (const s of this.segments.values()) {
      if (s.firstSeq <= seq && (!best || s.firstSeq > best.firstSeq)) best = s;
    }
    return best;
  }

  private rotate(): void {
    if (this.fd >= 0) closeSync(this.fd);
    const previous = this.active as Segment | undefined;
    // Entries appended but not yet written (the next group) go into the new segment.
    const carried = this.groupEntries;
    const firstSeq = carried > 0 ? this.groupFirstSeq : this.nextSeq;
    if (this.active && carried > 0) this.active.entries -= carried;
    const logPath = join(this.dir, `segment-${String(firstSeq).padStart(16, '0')}.log`);
    this.active = { firstSeq, logPath, donePath: logPath.replace(/\.log$/, '.done'), entries: carried, done: 0, pendingDone: [], active: true };
    this.segments.set(firstSeq, this.active);
    if (previous) {
      previous.active = false;
      this.retireIfDone(previous);
    }
    this.fd = openSync(logPath, 'a');
    // The format version first; it becomes durable with the first group commit (fdatasync covers the whole file).
    writeSync(this.fd, segmentHeader());
    this.activeBytes = 0;
    fsyncDir(this.dir);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.groupEntries === 0) {
      this.flushing = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    this.flushing = true;
    const filled = this.group;
    const data = filled.subarray(0, this.groupBytes);
    const callbacks = this.groupCallbacks;
    this.group = this.spare ?? Buffer.allocUnsafe(GROUP_BUFFER_BYTES);
    this.spare = undefined;
    this.groupBytes = 0;
    this.groupEntries = 0;
    this.groupCallbacks = [];
    const fd = this.fd;
    const finish = (err: Error | null) => {
      // Written: the buffer is free again (one grown by a burst beyond MAX_KEPT_GROUP_BUFFER_BYTES is let go).
      if (filled.length <= MAX_KEPT_GROUP_BUFFER_BYTES) this.spare = filled;
      this.commits++;
      this.activeBytes += data.length;
      for (const cb of callbacks) cb(err);
      if (this.activeBytes >= this.segmentBytes && !this.closed) this.rotate();
      this.flush();
    };
    const writeFrom = (offset: number) => {
      write(fd, data, offset, data.length - offset, null, (err, written) => {
        if (err) return finish(err);
        if (offset + written < data.length) return writeFrom(offset + written);
        if (!this.sync) return finish(null);
        fdatasync(fd, (syncErr) => finish(syncErr));
      });
    };
    writeFrom(0);
  }

  /** Grows the group's buffer to hold `needed` bytes (doubling), keeping what it holds. */
  private growGroup(needed: number): void {
    const grown = Buffer.allocUnsafe(Math.max(needed, this.group.length * 2));
    this.group.copy(grown, 0, 0, this.groupBytes);
    this.group = grown;
  }

  private writeDone(): void {
    for (const s of [...this.segments.values()]) {
      if (s.pendingDone.length === 0) continue;
      const buf = Buffer.allocUnsafe(s.pendingDone.length * 4);
      s.pendingDone.forEach((offset, i) => buf.writeUInt32LE(offset, i * 4));
      s.done += s.pendingDone.length;
      s.pendingDone = [];
      if (s.doneFd === undefined) s.doneFd = openSync(s.donePath, 'a');
      writeSync(s.doneFd, buf);
      this.retireIfDone(s);
    }
  }

  private retireIfDone(s: Segment): void {
    if (s.active || s.done < s.entries || s.pendingDone.length > 0) return;
    if (s.doneFd !== undefined) closeSync(s.doneFd);
    s.doneFd = undefined;
    unlinkQuiet(s.logPath);
    unlinkQuiet(s.donePath);
    this.segments.delete(s.firstSeq);
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    fsyncSync(fd);
    closeSync(fd);
  } catch {
    // not supported on this platform
  }
}

/** Size of the journal directory in bytes (for status output). */
export function journalBytes(dir: string): number {
  try {
    return readdirSync(dir).reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);
  } catch {
    return 0;
  }
}
