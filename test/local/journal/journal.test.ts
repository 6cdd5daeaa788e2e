import { appendFileSync, readdirSync, statSync } from 'fs';
import { join } from 'path';
import { decodeEntries, encodeEntry, Journal, JournalEntry, Ticket } from '../../../local/journal/journal';
import { cleanup, tempDir, waitFor } from '../helpers';

function message(i: number): Omit<JournalEntry, 'seq'> {
  return { timestamp: 1700000000000 + i, qos: 1, clientId: `dev-${i % 3}`, topic: `t/${i}`, principal: 'f'.repeat(64), payload: Buffer.from(JSON.stringify({ i })) };
}

function appendAll(journal: Journal, count: number, from = 0): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, (_v, k) => new Promise<number>((resolve, reject) => {
    let seq = -1;
    seq = journal.append(message(from + k), (err) => (err ? reject(err) : resolve(seq)));
  })));
}

describe('journal', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('journal');
  });
  afterEach(() => cleanup(dir));

  test('GIVEN an entry WHEN encoded and decoded THEN every field survives', () => {
    const entry: JournalEntry = { seq: 42, ...message(7), payload: Buffer.from([0, 1, 2, 255]) };
    const { entries, validLength } = decodeEntries(encodeEntry(entry));
    expect(entries).toEqual([entry]);
    expect(validLength).toBe(encodeEntry(entry).length);
  });

  test('GIVEN many appends in one tick WHEN durable THEN they share few group commits and all callbacks run', async () => {
    const { journal } = Journal.open(dir);
    const seqs = await appendAll(journal, 500);
    expect(seqs).toEqual(Array.from({ length: 500 }, (_v, i) => i + 1));
    expect(journal.commits).toBeLessThan(10);
    await journal.close();
  });

  test('GIVEN acknowledged entries, some done, and no clean close (a crash) WHEN reopened THEN exactly the not-done entries are replayed, in order', async () => {
    const { journal } = Journal.open(dir);
    await appendAll(journal, 10);
    for (const seq of [1, 2, 3, 5, 8]) journal.markDone(seq);
    await waitFor('done markers on disk', () => readdirSync(dir).some((n) => n.endsWith('.done') && statSync(join(dir, n)).size === 20));
    // no close(): the process "dies" here
    const reopened = Journal.open(dir);
    expect(reopened.replay.map((e) => e.seq)).toEqual([4, 6, 7, 9, 10]);
    expect(reopened.replay[0]).toMatchObject({ topic: 't/3', clientId: 'dev-0', qos: 1 });
    expect(JSON.parse(reopened.replay[0].payload.toString())).toEqual({ i: 3 });
    await reopened.journal.close();
  });

  test('GIVEN a torn tail (a write cut short) WHEN reopened THEN the complete entries are replayed and the tail is truncated', async () => {
    const { journal } = Journal.open(dir);
    await appendAll(journal, 3);
    const segment = readdirSync(dir).find((n) => n.endsWith('.log'))!;
    const half = encodeEntry(message(4), 4).subarray(0, 20);
    appendFileSync(join(dir, segment), half);
    const reopened = Journal.open(dir);
    expect(reopened.replay.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(reopened.truncated).toBe(20);
    await reopened.journal.close();
  });

  test('GIVEN every entry done WHEN closed THEN the segments are deleted and nothing is replayed', async () => {
    const { journal } = Journal.open(dir);
    const seqs = await appendAll(journal, 20);
    seqs.forEach((s) => journal.markDone(s));
    await journal.close();
    expect(readdirSync(dir)).toEqual([]);
    const reopened = Journal.open(dir);
    expect(reopened.replay).toEqual([]);
    await reopened.journal.close();
  });

  test('GIVEN small segments WHEN many entries are appended THEN it rotates, and fully delivered old segments are removed', async () => {
    const { journal } = Journal.open(dir, { segmentBytes: 2000 });
    let seqs: number[] = [];
    for (let round = 0; round < 5; round++) seqs = seqs.concat(await appendAll(journal, 20, round * 20));
    expect(readdirSync(dir).filter((n) => n.endsWith('.log')).length).toBeGreaterThan(2);
    seqs.slice(0, 90).forEach((s) => journal.markDone(s));
    await waitFor('old segments removed', () => readdirSync(dir).filter((n) => n.endsWith('.log')).length <= 2);
    const reopened = Journal.open(dir);
    expect(reopened.replay.map((e) => e.seq)).toEqual(seqs.slice(90));
    await reopened.journal.close();
  });

  test('GIVEN a ticket WHEN holds and releases balance THEN done is called once', () => {
    const done = jest.fn();
    const t = new Ticket(done);
    t.hold();
    t.hold();
    t.release();
    t.release();
    expect(done).not.toHaveBeenCalled();
    t.release();
    expect(done).toHaveBeenCalledTimes(1);
  });
});
