/**
 * Reads the names out of a Protobuf FileDescriptorSet (the `.desc`/`.binpb` file `protoc --descriptor_set_out` or
 * `buf build -o` writes): each file's name and package and the fully qualified names of its messages, nested ones
 * included. Only what the construct validates at synth is read; everything else is skipped by its wire type, so the
 * construct needs no Protobuf package.
 *
 * Wire format: https://protobuf.dev/programming-guides/encoding/ ; field numbers from descriptor.proto
 * (FileDescriptorSet.file = 1; FileDescriptorProto.name = 1, package = 2, message_type = 4;
 * DescriptorProto.name = 1, nested_type = 3).
 */

/** One `.proto` file of a descriptor set. */
export interface DescriptorFile {
  /** The file's name as the set records it (`telemetry.proto`). */
  readonly name: string;
  /** Its package (empty when it declares none). */
  readonly package: string;
  /** The fully qualified names of its messages (`factory.v1.Telemetry`, `factory.v1.Telemetry.Inner`). */
  readonly messageTypes: readonly string[];
}

/** A field of a message: its number, and its bytes when it is length-delimited. */
interface Field { readonly number: number; readonly bytes?: Uint8Array }

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** The fields of one message, in order; throws on truncated or malformed input, saying at which byte. */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (pos >= buf.length) throw new Error(`truncated varint at byte ${pos}`);
      const byte = buf[pos++];
      if (shift < 49) value += (byte % 128) * 2 ** shift;
      if (byte < 128) return value;
    }
    throw new Error(`varint longer than 10 bytes at byte ${pos}`);
  };
  const skip = (n: number) => {
    if (pos + n > buf.length) throw new Error(`field runs past the end (${pos + n} > ${buf.length} bytes)`);
    pos += n;
  };
  while (pos < buf.length) {
    const start = pos;
    const tag = varint();
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    if (number === 0) {
      throw new Error(`field number 0 at byte ${start}`);
    }
    if (wire === WIRE_VARINT) {
      varint();
      out.push({ number });
    } else if (wire === WIRE_I64 || wire === WIRE_I32) {
      skip(wire === WIRE_I64 ? 8 : 4);
      out.push({ number });
    } else if (wire === WIRE_LEN) {
      const length = varint();
      const from = pos;
      skip(length);
      out.push({ number, bytes: buf.subarray(from, pos) });
    } else {
      throw new Error(`unsupported wire type ${wire} at byte ${start}`);
    }
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(field: Field): string {
  return utf8.decode(field.bytes);
}

/** The fully qualified names of a DescriptorProto and its nested messages, under `scope`. */
function messageNames(bytes: Uint8Array, scope: string): string[] {
  const own = fields(bytes);
  const name = own.find((f) => f.number === 1 && f.bytes);
  if (!name) throw new Error(`a message in ${scope || 'the root package'} has no name`);
  const full = scope ? `${scope}.${text(name)}` : text(name);
  return [full, ...own.filter((f) => f.number === 3 && f.bytes).flatMap((f) => messageNames(f.bytes!, full))];
}

/**
 * The files of a FileDescriptorSet. Throws, naming the problem, when the bytes are not one (truncated, a wire type
 * out of place, a file without a name, or no file at all).
 */
export function readDescriptorSet(bytes: Uint8Array): DescriptorFile[] {
  const files = fields(bytes).map((field) => {
    if (field.number !== 1 || !field.bytes) throw new Error(`field ${field.number} is not a FileDescriptorSet's file (field 1)`);
    const file = fields(field.bytes);
    const name = file.find((f) => f.number === 1 && f.bytes);
    if (!name) throw new Error('a file has no name');
    const pkg = file.find((f) => f.number === 2 && f.bytes);
    const packageName = pkg ? text(pkg) : '';
    return {
      name: text(name),
      package: packageName,
      messageTypes: file.filter((f) => f.number === 4 && f.bytes).flatMap((f) => messageNames(f.bytes!, packageName)),
    };
  });
  if (files.length === 0) throw new Error('it holds no file');
  return files;
}
