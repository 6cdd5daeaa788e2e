import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { crc32 } from 'zlib';
import { decodeEntries, encodeEntry, Journal, JournalEntry, JournalFormatError, JournalMessage } from '../../../local/journal/journal';
import { cleanup, tempDir, waitFor } from '../helpers';

function message(i: number): JournalMessage {
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

  test('GIVEN groups that outgrow the group buffer and groups written while the next fills WHEN reopened THEN every entry is replayed intact, in order', async () => {
    // Payloads of 0 to 100 KiB: a group of them outgrows the 64 KiB the group buffer starts with, and the buffers are
    // reused from group to group, so a stale byte of an earlier group would show up as a wrong payload or CRC.
    const payload = (i: number) => Buffer.alloc((i * 7919) % (100 * 1024), String.fromCharCode(97 + (i % 26)));
    const { journal } = Journal.open(dir);
    const acked: Array<Promise<void>> = [];
    for (let round = 0; round < 4; round++) {
      for (let i = round * 15; i < (round + 1) * 15; i++) {
        const entry = { ...message(i), payload: payload(i) };
        acked.push(new Promise((resolve, reject) => journal.append(entry, (err) => (err ? reject(err) : resolve()))));
      }
      await new Promise((resolve) => setImmediate(resolve)); // the next round fills while this one is written
    }
    await Promise.all(acked);
    expect(journal.commits).toBeGreaterThan(1);
    await journal.close();
    const { replay, truncated, journal: reopened } = Journal.open(dir);
    expect(truncated).toBe(0);
    expect(replay.map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_v, i) => i + 1));
    replay.forEach((e, i) => {
      expect(e.topic).toBe(`t/${i}`);
      expect(e.payload.equals(payload(i))).toBe(true);
    });
    await reopened.close();
  });

  test('GIVEN acknowledged entries, some done, and no clean close (a crash) WHEN reopened THEN exactly the not-done entries are replayed, in order', async () => {
    const { journal } = Journal.open(dir);
    await appendAll(journal, 10);
    for (const seq of [1, 2, 3, 5, 8]) journal.deliver(seq, Promise.resolve());
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
    seqs.forEach((s) => journal.deliver(s, Promise.resolve()));
    await Promise.resolve();
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
    seqs.slice(0, 90).forEach((s) => journal.deliver(s, Promise.resolve()));
    await waitFor('old segments removed', () => readdirSync(dir).filter((n) => n.endsWith('.log')).length <= 2);
    const reopened = Journal.open(dir);
    expect(reopened.replay.map((e) => e.seq)).toEqual(seqs.slice(90));
    await reopened.journal.close();
  });

  test('GIVEN a delivery that has not resolved WHEN the journal closes THEN the entry is not done and is replayed', async () => {
    const { journal } = Journal.open(dir);
    const [first, second] = await appendAll(journal, 2);
    journal.deliver(first, Promise.resolve());
    journal.deliver(second, new Promise(() => undefined)); // abandoned on stop
    await Promise.resolve();
    await journal.close();
    const reopened = Journal.open(dir);
    expect(reopened.replay.map((e) => e.seq)).toEqual([second]);
    await reopened.journal.close();
  });

  test('GIVEN a segment the runner wrote before the versioned format (source IP and MQTT 5 properties packed into the principal) WHEN opened THEN its entries are replayed with those as fields', async () => {
    const packed = `${'f'.repeat(64)}\u0000192.0.2.1\u0000${JSON.stringify({ ct: 'text/plain', cd: Buffer.from([1, 2]).toString('base64'), up: [['a', '1']] })}`;
    writeFileSync(join(dir, 'segment-0000000000000007.log'), Buffer.concat([version1Entry(7, packed, '{"n":1}'), version1Entry(8, 'abc', '{"n":2}')]));
    const { journal, replay } = Journal.open(dir);
    expect(replay).toEqual([
      {
        ...VERSION1_FIELDS,
        seq: 7,
        principal: 'f'.repeat(64),
        sourceIp: '192.0.2.1',
        properties: { contentType: 'text/plain', correlationData: Buffer.from([1, 2]), userProperties: [['a', '1']] },
        payload: Buffer.from('{"n":1}'),
      },
      { ...VERSION1_FIELDS, seq: 8, principal: 'abc', payload: Buffer.from('{"n":2}') },
    ]);
    // new entries continue the sequence in a segment of the current format
    const [next] = await appendAll(journal, 1);
    expect(next).toBe(9);
    await journal.close();
    const current = readdirSync(dir).find((n) => n !== 'segment-0000000000000007.log' && n.endsWith('.log'))!;
    expect(readFileSync(join(dir, current)).subarray(0, 8).toString('latin1')).toBe('IOTJRNL\u0002');
  });

  test('GIVEN a segment whose format header was cut short (a crash right after it was created) WHEN opened THEN it is dropped, nothing is replayed', async () => {
    writeFileSync(join(dir, 'segment-0000000000000001.log'), Buffer.from('IOTJ', 'latin1'));
    const { journal, replay, truncated } = Journal.open(dir);
    expect(replay).toEqual([]);
    expect(truncated).toBe(4);
    await journal.close();
    expect(readdirSync(dir).filter((n) => n.endsWith('.log'))).toEqual([]);
  });

  test('GIVEN a segment of a format this runner does not know WHEN opened THEN it is refused with what to do', () => {
    writeFileSync(join(dir, 'segment-0000000000000001.log'), Buffer.concat([Buffer.from('IOTJRNL', 'latin1'), Buffer.from([9])]));
    expect(() => Journal.open(dir)).toThrow(JournalFormatError);
    expect(() => Journal.open(dir)).toThrow(/segment-0000000000000001\.log is in journal format 9.*reads formats 1 to 2.*move the journal folder away/);
  });
});

/** What every entry of `version1Entry` has. */
const VERSION1_FIELDS = { timestamp: 1700000000000, qos: 1, clientId: 'dev', topic: 't/1' } as const;

/** An entry as the runner wrote it before the versioned format: `... | u32 len | principal | payload`. */
function version1Entry(seq: number, principal: string, payload: string): Buffer {
  const strings = [Buffer.from('dev'), Buffer.from('t/1')];
  const p = Buffer.from(principal, 'utf8');
  const body = Buffer.alloc(8 + 8 + 1 + 2 + strings[0].length + 2 + strings[1].length + 4 + p.length + payload.length);
  let o = body.writeDoubleLE(seq, 0);
  o = body.writeDoubleLE(1700000000000, o);
  o = body.writeUInt8(1, o);
  for (const text of strings) {
    o = body.writeUInt16LE(text.length, o);
    o += text.copy(body, o);
  }
  o = body.writeUInt32LE(p.length, o);
  o += p.copy(body, o);
  body.write(payload, o, 'utf8');
  const header = Buffer.alloc(8);
  header.writeUInt32LE(body.length, 0);
  header.writeUInt32LE(crc32(body), 4);
  return Buffer.concat([header, body]);
}
