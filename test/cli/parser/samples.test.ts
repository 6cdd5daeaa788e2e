/** The samples `parser test` reads, and the reasons it takes from a parser's log. */
import { loggedReasons } from '../../../cli/parser/log';
import { readEvents, readMessages } from '../../../cli/parser/samples';

const DEFAULTS = { deliveryStreamArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/s', region: 'us-east-1', now: 1_700_000_000_000 };

describe('readMessages', () => {
  test('GIVEN lines with blanks and CRLF endings THEN each non-empty line is one message with its line number', () => {
    const messages = readMessages('{"a":1}\r\n\n  \nplain text\n', 'in.jsonl');
    expect(messages.map((m) => [m.line, m.data.toString('utf8')])).toEqual([[1, '{"a":1}'], [4, 'plain text']]);
  });

  test('GIVEN an empty input THEN the error says what to give', () => {
    expect(() => readMessages('\n\n', 'in.txt')).toThrow(/in\.txt holds no messages: give one message a line/);
  });
});

describe('readEvents', () => {
  test('GIVEN one event without the optional fields THEN the placeholders and the arrival time fill them', () => {
    const [event] = readEvents(JSON.stringify({ records: [{ recordId: 'r1', data: 'aGk=' }] }), 'e.json', DEFAULTS);
    expect(event).toEqual({
      invocationId: 'parser-test-1',
      deliveryStreamArn: DEFAULTS.deliveryStreamArn,
      region: 'us-east-1',
      records: [{ recordId: 'r1', approximateArrivalTimestamp: DEFAULTS.now, data: 'aGk=' }],
    });
  });

  test('GIVEN events one a line THEN each is read, keeping its own fields', () => {
    const lines = [
      JSON.stringify({ invocationId: 'i1', records: [{ recordId: 'a', data: '', approximateArrivalTimestamp: 5 }] }),
      JSON.stringify({ region: 'eu-west-1', records: [] }),
    ].join('\n');
    const events = readEvents(lines, 'e.jsonl', DEFAULTS);
    expect(events.map((e) => [e.invocationId, e.region, e.records.length])).toEqual([['i1', 'us-east-1', 1], ['parser-test-2', 'eu-west-1', 0]]);
    expect(events[0].records[0].approximateArrivalTimestamp).toBe(5);
  });

  test('GIVEN messages given as events THEN the error says to leave out --events', () => {
    expect(() => readEvents('{"temp":1}', 'm.jsonl', DEFAULTS)).toThrow(/event 1 has no "records" array.*leave out --events/);
  });

  test('GIVEN a record without data THEN the error names the record and the event', () => {
    expect(() => readEvents('[{"records":[]},{"records":[{"recordId":"x"}]}]', 'e.json', DEFAULTS)).toThrow(/record 1 of event 2 needs "recordId" and "data"/);
  });

  test('GIVEN a line that is not JSON THEN the error names the line', () => {
    expect(() => readEvents('{"records":[]}\nnope', 'e.jsonl', DEFAULTS)).toThrow(/e\.jsonl line 2 is not JSON/);
  });
});

describe('loggedReasons', () => {
  test('GIVEN a parser log with JSON lines and plain prints THEN the reasons are keyed by record id, the last one winning', () => {
    const log = [
      'python parser got 2 records',
      JSON.stringify({ level: 'WARN', message: 'Record answered ProcessingFailed', recordId: 'r1', index: 0, reason: 'first' }),
      JSON.stringify({ level: 'INFO', message: 'Batch answered', records: 2 }),
      '{not json',
      JSON.stringify({ level: 'WARN', message: 'Record answered ProcessingFailed', recordId: 'r1', index: 0, reason: 'retried' }),
      JSON.stringify({ recordId: 'r2', reason: 42 }),
    ].join('\n');
    expect([...loggedReasons(log)]).toEqual([['r1', 'retried']]);
  });
});
