/**
 * Strict base64, as Firehose sends and expects a record's `data`: the standard alphabet, padded (RFC 4648 §4).
 * The parser toolkit decodes records with it and the local runner checks parser responses with it, so a record
 * the runner accepts is one the toolkit accepts and the other way round.
 */

/**
 * Decodes standard, padded base64 strictly, or returns `undefined`.
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
