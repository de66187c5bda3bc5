/**
 * Record headers as streamlab shows and writes them: each value text when its bytes are UTF-8, else the bytes (a
 * Buffer), never text with U+FFFD in place of bytes. A name that occurs more than once keeps all its values, in order.
 */
import { isUtf8 } from 'node:buffer';
import type { IHeaders } from 'kafkajs';
import type { HeaderValue, RecordHeaders } from '../record';

export type { HeaderValue, RecordHeaders };

const headerValue = (v: Buffer | string | undefined): HeaderValue => (typeof v === 'string' ? v : v === undefined ? '' : isUtf8(v) ? v.toString('utf8') : Buffer.from(v));

/** A fetched record's headers; undefined when it has none (most records: nothing is allocated for them). */
export function fromKafkaHeaders(headers: IHeaders | undefined): RecordHeaders | undefined {
  if (!headers) return undefined;
  let out: RecordHeaders | undefined;
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    out ??= {};
    const value = Array.isArray(v) ? v.map(headerValue) : headerValue(v);
    // A header named __proto__ is a field like any other, not the object's prototype.
    if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    else out[name] = value;
  }
  return out;
}

export function toKafkaHeaders(headers: RecordHeaders): IHeaders {
  const out: IHeaders = {};
  for (const name of Object.keys(headers)) out[name] = headers[name] as IHeaders[string];
  return out;
}

/** What is wrong with headers given to a sink, or undefined. */
export function headersProblem(headers: unknown): string | undefined {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers) || Buffer.isBuffer(headers)) return 'must be an object of text or Buffer values';
  for (const name of Object.keys(headers)) {
    const v = (headers as Record<string, unknown>)[name];
    const ok = (x: unknown) => typeof x === 'string' || Buffer.isBuffer(x);
    if (!(ok(v) || (Array.isArray(v) && v.every(ok)))) return `'${name}' is ${v === null ? 'null' : Array.isArray(v) ? 'a list with a value that is not text or bytes' : `a ${typeof v}`}, not text or bytes`;
  }
  return undefined;
}

export { headersText } from '../record';
