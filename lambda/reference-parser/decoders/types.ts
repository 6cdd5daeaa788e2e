import type { BinaryPayload, JsonObject } from '../../toolkit';

/**
 * Turns one binary payload into the fields of its row (or rows): what a JSON device would have sent. Throws a
 * `ParseError` (its reason never quotes the payload) when the payload cannot be decoded: that record fails, never
 * the batch. Built once at init from the decoder's configuration.
 */
export type PayloadDecoder = (payload: BinaryPayload) => JsonObject | readonly JsonObject[];

/**
 * What a decoder gets from the parser that loads it. Each decoder is its own file in the asset
 * (`assets/reference-parser/decoders/<kind>.js`, required only when configured), so it must not bundle a second copy
 * of the toolkit: it throws the errors the parser makes (the toolkit's `ParseError`, the parser's `ConfigError`).
 */
export interface DecoderContext {
  /** The error that fails one record (`ParseError`): its reason is logged, so it never quotes the payload. */
  readonly fail: (reason: string) => Error;
  /** The error a misconfiguration throws at init (`ConfigError`). */
  readonly misconfigured: (message: string) => Error;
}

/** Sets a field without ever touching the prototype (a device may send a key named `__proto__`). */
export function setField(row: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(row, key, { value, enumerable: true, writable: true, configurable: true });
  else row[key] = value;
}

/** A JSON number literal (RFC 8259 §6), as the text decoders recognise numbers. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The text's number when it is a JSON number literal with a finite value, else the text itself. */
export function numberOrText(text: string): number | string {
  if (!JSON_NUMBER.test(text)) return text;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** The payload's lines (LF or CRLF), blank ones (only spaces and TABs) skipped, each with its 1-based number. */
export function linesOf(text: string): Array<[string, number]> {
  const lines: Array<[string, number]> = [];
  const parts = text.split('\n');
  for (let i = 0; i < parts.length; i++) {
    const line = parts[i].endsWith('\r') ? parts[i].slice(0, -1) : parts[i];
    if (line.trim() !== '') lines.push([line, i + 1]);
  }
  return lines;
}
