import { csvCell, csvLine, CSV_FORMULA_ESCAPE } from '../../../lambda/toolkit';

describe('csvCell', () => {
  test.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line1\nline2', '"line1\nline2"'],
    ['cr\rinside', '"cr\rinside"'],
    ['émoji 🚀', 'émoji 🚀'],
    ['  padded  ', '  padded  '],
  ])('GIVEN the string %p WHEN written THEN RFC 4180 quoting gives %p', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  test.each([
    ['=1+2', "'=1+2"],
    ['+SUM(A1)', "'+SUM(A1)"],
    ['-2+3', "'-2+3"],
    ['@cmd', "'@cmd"],
    ['\tlead', "'\tlead"],
    ['\rlead', "\"'\rlead\""],
    ['=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ['=a,b', '"\'=a,b"'],
  ])('GIVEN the formula-like string %p WHEN written THEN it is prefixed with a single quote: %p', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
    expect(CSV_FORMULA_ESCAPE).toBe("'");
  });

  test('GIVEN strings that only contain formula characters later WHEN written THEN they are not prefixed', () => {
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell(' =1')).toBe(' =1');
  });

  test('GIVEN numbers and booleans WHEN written THEN they are plain, negative numbers included (no formula possible)', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(21.5)).toBe('21.5');
    expect(csvCell(0)).toBe('0');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(false)).toBe('false');
    expect(csvCell(10n)).toBe('10');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(Number.POSITIVE_INFINITY)).toBe('');
  });

  test('GIVEN missing values WHEN written THEN the cell is empty', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(() => 1)).toBe('');
  });

  test('GIVEN objects and arrays WHEN written THEN the cell holds their JSON, quoted', () => {
    expect(csvCell({ a: 1, b: 'x' })).toBe('"{""a"":1,""b"":""x""}"');
    expect(csvCell([1, 2])).toBe('"[1,2]"');
    expect(csvCell([])).toBe('[]');
    expect(csvCell({})).toBe('{}');
  });
});

describe('csvLine', () => {
  test('GIVEN mixed values WHEN a line is written THEN cells are comma-joined without terminator', () => {
    expect(csvLine(['a', 1, null, 'b,c', { k: 'v' }, '=x'])).toBe('a,1,,"b,c","{""k"":""v""}",\'=x');
    expect(csvLine([])).toBe('');
    expect(csvLine([undefined, undefined])).toBe(',');
  });
});
