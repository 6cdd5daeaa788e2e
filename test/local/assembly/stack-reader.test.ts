import { readBoolean } from '../../../local/assembly/stack-reader';

describe('readBoolean: the one reader of CloudFormation booleans', () => {
  test.each<[unknown, boolean, boolean]>([
    [true, false, true],
    ['true', false, true],
    [false, true, false],
    ['false', true, false],
    // absent, or anything else: the property's default
    [undefined, true, true],
    [undefined, false, false],
    ['TRUE', false, false],
    ['yes', true, true],
    [1, false, false],
  ])('GIVEN %p with default %p THEN %p', (value, fallback, expected) => {
    expect(readBoolean(value, fallback)).toBe(expected);
  });
});
