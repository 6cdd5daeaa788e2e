/**
 * A journal entry: one acknowledged message with everything the rules engine reads from it, as explicit fields —
 * the connection's principal and source IP, and the MQTT 5 PUBLISH properties — so that a replayed message gives the
 * rules the same values as the live one.
 *
 * On disk a segment starts with `SEGMENT_MAGIC` and its format version (one byte); then entries, each
 * `u32 length | u32 crc32(body) | body`. Version 2 body:
 *
 *   f64 seq | f64 timestamp | u8 qos | u16 len | clientId | u16 len | topic | u16 len | principal |
 *   u8 len | source IP | u32 len | MQTT 5 properties (JSON, names as in `MessageProperties`, correlationData base64) |
 *   payload
 *
 * (a length 0 means absent). Version 1 (segments without the magic, written before the versioned format) has no
 * source IP and properties fields; they rode in the principal after NULs (`<principal>\0<ip>[\0<JSON>]`) and are read
 * back into the fields. A segment of a version this runner does not know is refused with what to do.
 */
import { crc32 } from 'zlib';

/** The version new segments are written in. */
export const JOURNAL_FORMAT_VERSION = 2;

/** The first bytes of a versioned segment; the byte after them is the version. */
export const SEGMENT_MAGIC = Buffer.from('IOTJRNL', 'latin1');

/** The MQTT 5 PUBLISH properties a rule can read. */
export interface MessageProperties {
  readonly contentType?: string;
  /** true: UTF-8 data (1); false: unspecified bytes (0). */
  readonly payloadFormatIndicator?: boolean;
  readonly responseTopic?: string;
  readonly correlationData?: Buffer;
  /** In the order mqtt-packet decoded them (a repeated name keeps all its values). */
  readonly userProperties?: ReadonlyArray<readonly [string, string]>;
  readonly messageExpiryInterval?: number;
}

/** A message as the journal keeps it (`seq` is given by the journal). */
export interface JournalMessage {
  readonly timestamp: number;
  readonly qos: number;
  readonly clientId: string;
  readonly topic: string;
  /** The certificate's fingerprint (what `principal()` returns). */
  readonly principal: string;
  /** The connection's address (`sourceip()`). */
  readonly sourceIp?: string;
  /** MQTT 5 only. */
  readonly properties?: MessageProperties;
  readonly payload: Buffer;
}

/** A journaled message. */
export interface JournalEntry extends JournalMessage {
  readonly seq: number;
}

/** A segment the runner cannot read (written by a newer version). */
export class JournalFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalFormatError';
  }
}

const HEADER = 8;
const MAX_ENTRY = 256 * 1024 * 1024;
/** The smallest body of each version (every string empty, no payload). */
const MIN_BODY: Record<number, number> = { 1: 8 + 8 + 1 + 2 + 2 + 4, 2: 8 + 8 + 1 + 2 + 2 + 2 + 1 + 4 };

/** The header of a new segment. */
export function segmentHeader(): Buffer {
  return Buffer.concat([SEGMENT_MAGIC, Buffer.from([JOURNAL_FORMAT_VERSION])]);
}

/**
 * The sizes of one entry's fields, measured once and then written (`measureEntry`, then `writeEntry`). One object
 * for the whole journal, reused for every entry: encoding runs once per message and leaves no garbage but the
 * properties JSON of an MQTT 5 message.
 */
class EntryLayout {
  public clientIdLength = 0;
  public topicLength = 0;
  public principalLength = 0;
  public sourceIp = '';
  public sourceIpLength = 0;
  public properties = '';
  public propertiesLength = 0;
  public bodyLength = 0;
}

const layout = new EntryLayout();

/** Measures an entry for `writeEntry`; returns its size on disk (header + body). */
export function measureEntry(e: JournalMessage): number {
  layout.clientIdLength = Buffer.byteLength(e.clientId, 'utf8');
  layout.topicLength = Buffer.byteLength(e.topic, 'utf8');
  layout.principalLength = Buffer.byteLength(e.principal, 'utf8');
  layout.sourceIp = e.sourceIp ?? '';
  layout.sourceIpLength = Buffer.byteLength(layout.sourceIp, 'latin1');
  layout.properties = e.properties ? propertiesJson(e.properties) : '';
  layout.propertiesLength = Buffer.byteLength(layout.properties, 'utf8');
  if (layout.principalLength > 0xffff || layout.sourceIpLength > 0xff) throw new RangeError('journal entry: principal or source IP too long');
  layout.bodyLength = 8 + 8 + 1 + 2 + layout.clientIdLength + 2 + layout.topicLength + 2 + layout.principalLength + 1 + layout.sourceIpLength
    + 4 + layout.propertiesLength + e.payload.length;
  return HEADER + layout.bodyLength;
}

/**
 * Writes the entry `measureEntry` measured last (the same message, no other entry measured in between) at `offset`
 * of `buf`, in the current format; returns the offset after it. The journal writes entries straight into its group
 * buffer this way, so a message costs no buffer of its own.
 */
export function writeEntry(buf: Buffer, offset: number, e: JournalMessage, seq: number): number {
  const start = offset;
  let o = offset + HEADER;
  o = buf.writeDoubleLE(seq, o);
  o = buf.writeDoubleLE(e.timestamp, o);
  o = buf.writeUInt8(e.qos, o);
  o = buf.writeUInt16LE(layout.clientIdLength, o);
  o += buf.write(e.clientId, o, 'utf8');
  o = buf.writeUInt16LE(layout.topicLength, o);
  o += buf.write(e.topic, o, 'utf8');
  o = buf.writeUInt16LE(layout.principalLength, o);
  o += buf.write(e.principal, o, 'utf8');
  o = buf.writeUInt8(layout.sourceIpLength, o);
  o += buf.write(layout.sourceIp, o, 'latin1');
  o = buf.writeUInt32LE(layout.propertiesLength, o);
  o += buf.write(layout.properties, o, 'utf8');
  o += e.payload.copy(buf, o);
  buf.writeUInt32LE(layout.bodyLength, start);
  buf.writeUInt32LE(crc32(buf.subarray(start + HEADER, o)), start + 4);
  layout.properties = '';
  return o;
}

/** Encodes one entry (header + body) in the current format, into a buffer of its own. */
export function encodeEntry(e: JournalMessage, seq: number = (e as JournalEntry).seq): Buffer {
  const buf = Buffer.allocUnsafe(measureEntry(e));
  writeEntry(buf, 0, e, seq);
  return buf;
}

/** Decodes the entries of one format; stops at the first torn or corrupt entry and says where. */
export function decodeEntries(data: Buffer, version: number = JOURNAL_FORMAT_VERSION): { entries: JournalEntry[]; validLength: number } {
  const entries: JournalEntry[] = [];
  const minBody = MIN_BODY[version];
  let pos = 0;
  while (pos + HEADER <= data.length) {
    const length = data.readUInt32LE(pos);
    if (length < minBody || length > MAX_ENTRY || pos + HEADER + length > data.length) break;
    const body = data.subarray(pos + HEADER, pos + HEADER + length);
    if (crc32(body) !== data.readUInt32LE(pos + 4)) break;
    entries.push(version === 1 ? decodeVersion1(body) : decodeVersion2(body));
    pos += HEADER + length;
  }
  return { entries, validLength: pos };
}

/**
 * Decodes a segment file: its version from the header (none: version 1), then its entries. `validLength` is where
 * the intact part ends (the rest is a torn tail). Throws JournalFormatError for a version this runner cannot read.
 */
export function decodeSegment(data: Buffer, where: string): { entries: JournalEntry[]; validLength: number; version: number } {
  if (data.length > 0 && data.length <= SEGMENT_MAGIC.length && SEGMENT_MAGIC.subarray(0, data.length).equals(data)) {
    return { entries: [], validLength: 0, version: JOURNAL_FORMAT_VERSION }; // a header cut short: nothing was written after it
  }
  if (data.length < SEGMENT_MAGIC.length + 1 || !data.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC)) {
    return { ...decodeEntries(data, 1), version: 1 };
  }
  const version = data[SEGMENT_MAGIC.length];
  if (MIN_BODY[version] === undefined) {
    throw new JournalFormatError(
      `${where} is in journal format ${version}, which this runner cannot read (it reads formats 1 to ${JOURNAL_FORMAT_VERSION}): `
      + 'run the version of cdk-iot-pipeline that wrote it until its messages are delivered, or move the journal folder away to start without them',
    );
  }
  const start = SEGMENT_MAGIC.length + 1;
  const { entries, validLength } = decodeEntries(data.subarray(start), version);
  return { entries, validLength: start + validLength, version };
}

/** Reads a body field by field. */
class BodyReader {
  private o = 0;

  constructor(private readonly body: Buffer) {}

  public f64(): number {
    const v = this.body.readDoubleLE(this.o);
    this.o += 8;
    return v;
  }

  /** A string after its length (`lengthBytes` 1, 2 or 4); '' when the length is 0. */
  public text(lengthBytes: 1 | 2 | 4, encoding: BufferEncoding = 'utf8'): string {
    const n = this.body.readUIntLE(this.o, lengthBytes);
    this.o += lengthBytes;
    const v = this.body.toString(encoding, this.o, this.o + n);
    this.o += n;
    return v;
  }

  public u8(): number {
    return this.body.readUInt8(this.o++);
  }

  /** The fields both versions begin with: seq, timestamp, qos, client id, topic. */
  public common(): Pick<JournalEntry, 'seq' | 'timestamp' | 'qos' | 'clientId' | 'topic'> {
    return { seq: this.f64(), timestamp: this.f64(), qos: this.u8(), clientId: this.text(2), topic: this.text(2) };
  }

  /** What is left: the payload (a copy, the body is a view of the segment). */
  public rest(): Buffer {
    return Buffer.from(this.body.subarray(this.o));
  }
}

function decodeVersion2(body: Buffer): JournalEntry {
  const r = new BodyReader(body);
  const common = r.common();
  const principal = r.text(2);
  const sourceIp = r.text(1, 'latin1') || undefined;
  const propertiesText = r.text(4);
  const properties = propertiesText ? parseProperties(propertiesText) : undefined;
  return withOptional({ ...common, principal, payload: r.rest() }, sourceIp, properties);
}

/** Version 1: `... | u32 len | principal | payload`, the source IP and properties packed into the principal after NULs. */
function decodeVersion1(body: Buffer): JournalEntry {
  const r = new BodyReader(body);
  const common = r.common();
  const packed = r.text(4);
  const payload = r.rest();
  const first = packed.indexOf('\u0000');
  if (first < 0) return { ...common, principal: packed, payload };
  const second = packed.indexOf('\u0000', first + 1);
  const sourceIp = packed.slice(first + 1, second < 0 ? undefined : second) || undefined;
  let properties: MessageProperties | undefined;
  if (second >= 0) {
    try {
      type Packed = { ct?: string; pf?: boolean; rt?: string; cd?: string; up?: Array<[string, string]>; me?: number };
      const j = JSON.parse(packed.slice(second + 1)) as Packed;
      properties = parseProperties(JSON.stringify({
        contentType: j.ct,
        payloadFormatIndicator: j.pf,
        responseTopic: j.rt,
        correlationData: j.cd,
        userProperties: j.up,
        messageExpiryInterval: j.me,
      }));
    } catch {
      // unreadable properties: the message without them, as version 1 read it
    }
  }
  return withOptional({ ...common, principal: packed.slice(0, first), payload }, sourceIp, properties);
}

function withOptional(entry: JournalEntry, sourceIp: string | undefined, properties: MessageProperties | undefined): JournalEntry {
  if (sourceIp === undefined && properties === undefined) return entry;
  return { ...entry, ...(sourceIp !== undefined ? { sourceIp } : {}), ...(properties !== undefined ? { properties } : {}) };
}

function propertiesJson(p: MessageProperties): string {
  return JSON.stringify({ ...p, correlationData: p.correlationData?.toString('base64') });
}

function parseProperties(text: string): MessageProperties | undefined {
  const j = JSON.parse(text) as Omit<MessageProperties, 'correlationData'> & { correlationData?: string };
  const properties: MessageProperties = {
    ...(j.contentType !== undefined ? { contentType: j.contentType } : {}),
    ...(j.payloadFormatIndicator !== undefined ? { payloadFormatIndicator: j.payloadFormatIndicator } : {}),
    ...(j.responseTopic !== undefined ? { responseTopic: j.responseTopic } : {}),
    ...(j.correlationData !== undefined ? { correlationData: Buffer.from(j.correlationData, 'base64') } : {}),
    ...(j.userProperties !== undefined ? { userProperties: j.userProperties } : {}),
    ...(j.messageExpiryInterval !== undefined ? { messageExpiryInterval: j.messageExpiryInterval } : {}),
  };
  return Object.keys(properties).length > 0 ? properties : undefined;
}
