/** Strict decoding of a record's `data`: base64 (standard alphabet, padded) then UTF-8 (fatal). */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes standard, padded base64 (RFC 4648 §4) strictly, or returns `undefined`.
 *
 * Node's decoder is lenient (it skips characters outside the alphabet, accepts the URL-safe alphabet and
 * stops at a misplaced `=`). Instead of a regular expression over every character (slow on 1 MB batches),
 * the input is rejected when its length is not a multiple of 4, when it holds `-` or `_`, or when the
 * decoded length differs from the length the padding announces — which is exactly when a character was
 * skipped or decoding stopped early. A property test checks this against a strict regular expression.
 */
export function decodeBase64Strict(data: string): Buffer | undefined {
  const length = data.length;
  if (length % 4 !== 0) return undefined;
  if (data.indexOf('-') !== -1 || data.indexOf('_') !== -1) return undefined;
  const padding = length === 0 ? 0 : data.charCodeAt(length - 1) !== 0x3d ? 0 : data.charCodeAt(length - 2) !== 0x3d ? 1 : 2;
  const bytes = Buffer.from(data, 'base64');
  return bytes.length === (length / 4) * 3 - padding ? bytes : undefined;
}

/** Decodes UTF-8 strictly (a leading BOM is removed), or returns `undefined` for malformed input. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Printable ASCII except `"` and `\\`: JSON.stringify adds only the two quotes. */
const PLAIN_JSON_STRING = /^[ !#-[\]-~]*$/;

/** The number of bytes `JSON.stringify(s)` takes in UTF-8. */
export function jsonStringBytes(s: string): number {
  // A regular expression runs as native code even before the JIT warms up (cold start).
  return PLAIN_JSON_STRING.test(s) ? s.length + 2 : Buffer.byteLength(JSON.stringify(s), 'utf8');
}
