/** Strict decoding of a record's `data`: base64 (standard alphabet, padded; the contract's decoder) then UTF-8 (fatal). */
export { decodeBase64Strict } from '../../src/contract/base64';

const utf8 = new TextDecoder('utf-8', { fatal: true });

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
