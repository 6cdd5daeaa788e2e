import * as fs from 'fs';
import * as path from 'path';
import { readDescriptorSet } from '../../src/private/descriptor-set';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'protobuf', 'telemetry.binpb');

/** Protobuf wire-format pieces, to build sets the fixture does not cover. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  return [...out, n];
}
function len(field: number, body: number[]): number[] {
  return [...varint(field * 8 + 2), ...varint(body.length), ...body];
}
function str(field: number, value: string): number[] {
  return len(field, [...Buffer.from(value, 'utf8')]);
}

describe('readDescriptorSet', () => {
  test('GIVEN the buf-compiled fixture WHEN read THEN it names the file, its package and both messages with their package', () => {
    const files = readDescriptorSet(fs.readFileSync(FIXTURE));
    expect(files).toEqual([{ name: 'telemetry.proto', package: 'factory.v1', messageTypes: ['factory.v1.Telemetry', 'factory.v1.Location'] }]);
  });

  test('GIVEN nested messages, a file without package and fields the reader skips WHEN read THEN nested names are qualified by their parents', () => {
    // GIVEN: file "a.proto" (no package) with message Outer { message Inner { message Deep {} } } and a varint, a
    // fixed64 and a fixed32 field in the file that the reader skips (syntax-like noise)
    const deep = str(1, 'Deep');
    const inner = [...str(1, 'Inner'), ...len(3, deep)];
    const outer = [...str(1, 'Outer'), ...len(3, inner)];
    const file = [...str(1, 'a.proto'), ...varint(10 * 8 + 0), ...varint(300), ...varint(11 * 8 + 1), 1, 2, 3, 4, 5, 6, 7, 8,
      ...varint(12 * 8 + 5), 1, 2, 3, 4, ...len(4, outer)];
    const set = Uint8Array.from([...len(1, file), ...len(1, [...str(1, 'b.proto'), ...str(2, 'p.q')])]);
    // WHEN / THEN
    expect(readDescriptorSet(set)).toEqual([
      { name: 'a.proto', package: '', messageTypes: ['Outer', 'Outer.Inner', 'Outer.Inner.Deep'] },
      { name: 'b.proto', package: 'p.q', messageTypes: [] },
    ]);
  });

  test('GIVEN the fixture cut short at every length WHEN read THEN each is refused, never read as a smaller set', () => {
    const bytes = fs.readFileSync(FIXTURE);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(() => readDescriptorSet(bytes.subarray(0, cut))).toThrow(/truncated|runs past the end/);
    }
  });

  test('GIVEN bytes that are not a FileDescriptorSet WHEN read THEN the error names the problem', () => {
    expect(() => readDescriptorSet(new Uint8Array())).toThrow('it holds no file');
    // JSON text: `{` is field 15, wire type 3 (a group), which a descriptor set never holds
    expect(() => readDescriptorSet(Buffer.from('{"a":1}'))).toThrow(/unsupported wire type 3 at byte 0/);
    // a set whose field 2 is a string: not a FileDescriptorSet's file
    expect(() => readDescriptorSet(Uint8Array.from(str(2, 'x')))).toThrow('field 2 is not a FileDescriptorSet\'s file (field 1)');
    // a file without a name
    expect(() => readDescriptorSet(Uint8Array.from(len(1, str(2, 'pkg'))))).toThrow('a file has no name');
    // a message without a name
    expect(() => readDescriptorSet(Uint8Array.from(len(1, [...str(1, 'f.proto'), ...len(4, [])])))).toThrow(/has no name/);
    // field number 0
    expect(() => readDescriptorSet(Uint8Array.from([0x02, 0x00]))).toThrow('field number 0 at byte 0');
    // a name that is not UTF-8
    expect(() => readDescriptorSet(Uint8Array.from(len(1, len(1, [0xff, 0xfe]))))).toThrow();
    // a varint that never ends
    expect(() => readDescriptorSet(Uint8Array.from(new Array(11).fill(0xff)))).toThrow(/varint/);
  });
});
