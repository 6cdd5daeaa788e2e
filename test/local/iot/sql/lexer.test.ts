import { SqlError, tokenize } from '../../../../local/iot/sql';

describe('IoT SQL lexer', () => {
  test('GIVEN a statement WHEN tokenized THEN strings, numbers, names and operators are separate tokens with positions', () => {
    const tokens = tokenize('SELECT a.b AS x FROM \'t/+\' WHERE n >= 1.5');
    expect(tokens.map((t) => `${t.kind}:${t.text}`)).toEqual([
      'ident:SELECT', 'ident:a', 'op:.', 'ident:b', 'ident:AS', 'ident:x', 'ident:FROM', 'string:\'t/+\'', 'ident:WHERE', 'ident:n', 'op:>=', 'number:1.5', 'eof:',
    ]);
    expect(tokens[7].pos).toBe(21);
  });

  test.each<[string, string, string | number]>([
    ['\'it\'\'s\'', 'string', 'it\'s'],
    ['"say ""hi"""', 'string', 'say "hi"'],
    ['`odd-name`', 'quoted', 'odd-name'],
    ['1.5e2', 'number', 150],
    ['.5', 'number', 0.5],
    ['7E-1', 'number', 0.7],
  ])('GIVEN %s WHEN tokenized THEN one %s token with the value %j', (text, kind, value) => {
    const [token, eof] = tokenize(text);
    expect(token).toMatchObject({ kind, value, pos: 0 });
    expect(eof.kind).toBe('eof');
  });

  test.each<[string, RegExp]>([
    ['SELECT \'open FROM \'a\'', /unterminated string starting at column 21/],
    ['`open', /unterminated quoted name/],
    ['SELECT 1abc FROM \'a\'', /invalid number "1a" at column 8/],
    ['SELECT a # b FROM \'a\'', /unexpected character "#" at column 10/],
  ])('GIVEN %s WHEN tokenized THEN SqlError %s', (text, expected) => {
    expect(() => tokenize(text)).toThrow(SqlError);
    expect(() => tokenize(text)).toThrow(expected);
  });
});
