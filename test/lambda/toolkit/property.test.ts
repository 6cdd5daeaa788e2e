import * as fc from 'fast-check';
import { createParser, csvCell, FirehoseTransformationEvent } from '../../../lambda/toolkit';
import { decodeBase64Strict, jsonStringBytes } from '../../../lambda/toolkit/decode';
import { assertValidResponse, capturingMetrics, event, record } from '../fixtures/contract';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

test('GIVEN random strings near the base64 alphabet WHEN decoded strictly THEN exactly the RFC 4648 strings are accepted, with Node\'s bytes', () => {
  const chars = fc.constantFrom(...'AQgw+/=-_ \n.!9z'.split(''));
  const candidate = fc.oneof(
    fc.stringOf(chars, { maxLength: 16 }),
    fc.uint8Array({ maxLength: 16 }).map(b => Buffer.from(b).toString('base64')),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.nat(30), chars).map(([b, at, c]) => {
      const s = Buffer.from(b).toString('base64');
      const i = at % s.length;
      return s.slice(0, i) + c + s.slice(i + 1);
    }),
  );
  fc.assert(fc.property(candidate, s => {
    const decoded = decodeBase64Strict(s);
    expect(decoded !== undefined).toBe(STRICT_BASE64.test(s));
    if (decoded) expect(decoded.equals(Buffer.from(s, 'base64'))).toBe(true);
  }), { numRuns: 10_000 });
});

test('GIVEN any string WHEN its JSON size is computed THEN it equals the UTF-8 length of JSON.stringify', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.fullUnicodeString(), fc.string16bits()), s => {
    expect(jsonStringBytes(s)).toBe(Buffer.byteLength(JSON.stringify(s), 'utf8'));
  }), { numRuns: 5_000 });
});

/** Reads one RFC 4180 cell back (the inverse of csvCell for strings). */
function readCell(cell: string): string {
  if (!cell.startsWith('"')) return cell;
  expect(cell.endsWith('"')).toBe(true);
  const inner = cell.slice(1, -1);
  expect(inner.replace(/""/g, '')).not.toContain('"');
  return inner.replace(/""/g, '"');
}

test('GIVEN any string WHEN written as a CSV cell THEN reading it back gives the string (with the quote prefix for formulas)', () => {
  fc.assert(fc.property(fc.fullUnicodeString({ maxLength: 30 }), s => {
    const cell = csvCell(s);
    const formula = /^[=+\-@\t\r]/.test(s);
    expect(readCell(cell)).toBe(formula ? `'${s}` : s);
    if (!cell.startsWith('"')) expect(cell).not.toMatch(/[",\r\n]/);
  }), { numRuns: 5_000 });
});

test('GIVEN random rows and a random response limit WHEN answered THEN the response fits the limit, Ok answers are unchanged, and all are when the limit is generous', async () => {
  const handlerFor = (limit?: number) => createParser<string>({
    parse: m => m.text,
    partitionKeys: row => (row.length % 3 === 0 ? undefined : { len: String(row.length % 3) }),
    maxResponseBytes: limit,
    logger: quiet,
    metrics: capturingMetrics(),
  });
  const unlimited = handlerFor();
  const rows = fc.array(fc.tuple(fc.fullUnicodeString({ maxLength: 300 }), fc.string({ maxLength: 8 })), { maxLength: 10 });
  await fc.assert(fc.asyncProperty(rows, fc.double({ min: 0, max: 1.2, noNaN: true }), async (payloads, fraction) => {
    // GIVEN
    const input: FirehoseTransformationEvent = event(payloads.map(([p, id]) => record(p, id)));
    const full = await unlimited(input);
    const fullSize = Buffer.byteLength(JSON.stringify(full));
    const floorSize = Buffer.byteLength(JSON.stringify({
      records: input.records.map(r => ({ recordId: r.recordId, result: 'ProcessingFailed', data: '' })),
    }));
    const limit = Math.max(floorSize + 1, Math.round(fullSize * fraction));
    // WHEN
    const response = await handlerFor(limit)(input);
    // THEN
    assertValidResponse(input, response, limit);
    // While answering a record the guard reserves an empty ProcessingFailed answer for every later record; a
    // later answer that turns out smaller than that reservation (a Dropped one, or an Ok one whose data is
    // shorter than the 14 characters "ProcessingFailed" has over "Ok") is the slack the guard cannot foresee.
    const entrySize = (answer: object) => Buffer.byteLength(JSON.stringify(answer));
    const slack = full.records.reduce((sum, answer) =>
      sum + Math.max(0, entrySize({ recordId: answer.recordId, result: 'ProcessingFailed', data: '' }) - entrySize(answer)), 0);
    if (limit > fullSize + slack) expect(response).toEqual(full);
    response.records.forEach((answer, i) => {
      if (answer.result === 'Ok') expect(answer).toEqual(full.records[i]);
    });
  }), { numRuns: 2_000 });
});
