import { UsageError } from '../../../cli/errors';
import { MessageTemplate } from '../../../cli/publish/template';

const ENV = { now: () => 1_700_000_000_123, random: () => 0.25, uuid: () => '00000000-0000-4000-8000-000000000001' };

describe('MessageTemplate', () => {
  test('GIVEN every placeholder WHEN rendered THEN each is replaced with its value', () => {
    // GIVEN
    const t = MessageTemplate.parse('{"seq": {{seq}}, "ts": {{now}}, "at": "{{iso}}", "r": {{random}}, "n": {{randomInt:10:20}}, "id": "{{uuid}}", "c": "{{clientId}}"}');
    // WHEN
    const text = t.render({ seq: 7, clientId: 'dev-1' }, ENV);
    // THEN
    expect(JSON.parse(text)).toEqual({
      seq: 7, ts: 1_700_000_000_123, at: '2023-11-14T22:13:20.123Z', r: 0.25, n: 12, id: '00000000-0000-4000-8000-000000000001', c: 'dev-1',
    });
  });

  test('GIVEN {{now}} and {{iso}} in one message THEN they show the same instant', () => {
    // GIVEN a clock that advances on every read
    let t = 1_000;
    const t0 = MessageTemplate.parse('{"a": {{now}}, "b": "{{iso}}", "c": {{now}}}');
    // WHEN
    const first = JSON.parse(t0.render({ seq: 1, clientId: 'x' }, { ...ENV, now: () => t++ }));
    const second = JSON.parse(t0.render({ seq: 2, clientId: 'x' }, { ...ENV, now: () => t++ }));
    // THEN
    expect(first).toEqual({ a: 1000, b: new Date(1000).toISOString(), c: 1000 });
    expect(second.a).toBe(1001);
  });

  test('GIVEN spaces inside braces and negative randomInt bounds THEN they are accepted', () => {
    // GIVEN
    const t = MessageTemplate.parse('{"a": {{ seq }}, "b": {{randomInt:-5:-5}}}');
    // WHEN
    const text = t.render({ seq: 3, clientId: 'x' }, ENV);
    // THEN
    expect(text).toBe('{"a": 3, "b": -5}');
  });

  test.each([
    [0, 1], [0.999999, 6],
  ])('GIVEN random() = %s THEN {{randomInt:1:6}} gives %s (inclusive bounds)', (r, expected) => {
    // GIVEN
    const t = MessageTemplate.parse('{{randomInt:1:6}}');
    // WHEN / THEN
    expect(t.render({ seq: 1, clientId: 'x' }, { ...ENV, random: () => r })).toBe(String(expected));
  });

  test('GIVEN a client id with a quote THEN it is escaped for a JSON string', () => {
    // GIVEN
    const t = MessageTemplate.parse('{"c": "{{clientId}}"}');
    // WHEN
    const text = t.render({ seq: 1, clientId: 'a"b' }, ENV);
    // THEN
    expect(JSON.parse(text)).toEqual({ c: 'a"b' });
  });

  test.each([
    ['{"a": {{nope}}}', 'Unknown template placeholder {{nope}}'],
    ['{"a": {{randomInt:5}}}', 'write {{randomInt:MIN:MAX}}'],
    ['{"a": {{randomInt:9:1}}}', 'min 9 is greater than max 1'],
  ])('GIVEN %j WHEN parsed THEN a usage error says %j', (text, message) => {
    // WHEN / THEN
    expect(() => MessageTemplate.parse(text)).toThrow(UsageError);
    expect(() => MessageTemplate.parse(text)).toThrow(message);
  });

  test('GIVEN an unquoted text placeholder WHEN validated THEN the error shows the rendering and the quoting rule', () => {
    // GIVEN
    const t = MessageTemplate.parse('{"at": {{iso}}}');
    // WHEN / THEN
    expect(() => t.validate('dev-1', ENV)).toThrow(/does not render to JSON[\s\S]*rendered: \{"at": 2023-11-14T22:13:20\.123Z\}[\s\S]*inside double quotes/);
  });

  test('GIVEN a template that renders to a JSON number WHEN validated THEN it is refused (the rule needs an object)', () => {
    // WHEN / THEN
    expect(() => MessageTemplate.parse('{{seq}}').validate('x', ENV)).toThrow('needs a JSON object');
  });

  test('GIVEN a valid template WHEN validated THEN the sample is returned', () => {
    // WHEN
    const sample = MessageTemplate.parse('{"c": "{{clientId}}"}').validate('dev-9', ENV);
    // THEN
    expect(sample).toBe('{"c": "dev-9"}');
  });
});

describe('MessageTemplate.parseText (publish --raw)', () => {
  test('GIVEN a text template WHEN rendered THEN every placeholder is replaced, the client id as it is, and one timestamp serves {{now}} and {{iso}}', () => {
    // GIVEN
    const t = MessageTemplate.parseText('{{clientId}},{{seq}},{{now}},{{iso}},{{random}},{{randomInt:1:4}},{{uuid}}\n');
    // WHEN
    const text = t.render({ seq: 3, clientId: 'a"b\\c' }, ENV);
    // THEN
    expect(text).toBe('a"b\\c,3,1700000000123,2023-11-14T22:13:20.123Z,0.25,2,00000000-0000-4000-8000-000000000001\n');
  });

  test('GIVEN the same text as a JSON template THEN the client id is JSON-escaped there (and only there)', () => {
    expect(MessageTemplate.parse('"{{clientId}}"').render({ seq: 1, clientId: 'a"b' }, ENV)).toBe('"a\\"b"');
    expect(MessageTemplate.parseText('"{{clientId}}"').render({ seq: 1, clientId: 'a"b' }, ENV)).toBe('"a"b"');
  });

  test('GIVEN a malformed placeholder in a text template THEN the same usage error as for JSON', () => {
    expect(() => MessageTemplate.parseText('t={{randomInt:9:1}}')).toThrow('min 9 is greater than max 1');
  });
});
