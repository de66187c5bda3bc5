/**
 * Decoders turn a record's value bytes into a typed value. They throw on bad input; the source catches and
 * routes the record to the dead-letter list, so one bad record never stops a stream.
 */
import { isUtf8 } from 'node:buffer';
import Papa from 'papaparse';
import { StreamlabError, oneLineMessage } from '../errors';
import { JsonValue } from '../record';

export interface Decoder<T> {
  readonly name: string;
  decode(value: Buffer): T;
}

/**
 * The bytes as text, refusing bytes that are not UTF-8: Buffer.toString would turn them into U+FFFD silently, a
 * change of data nobody asked for. Node's isUtf8 is simdutf, a small share of a JSON decode.
 */
export function utf8Text(value: Buffer): string {
  if (!isUtf8(value)) throw new Error('value is not valid UTF-8 (binary data? use the bytes decoder to keep it as bytes)');
  return value.toString('utf8');
}

export function describeJson(parsed: unknown): string {
  return parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
}

/** JSON.parse, with its message on one line (it quotes the input, newlines and all). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(oneLineMessage((e as Error).message));
  }
}

export const jsonDecoder: Decoder<JsonValue> = {
  name: 'json',
  decode(value) {
    const parsed = parseJson(utf8Text(value));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`expected a JSON object, got ${describeJson(parsed)}`);
    }
    return parsed as JsonValue;
  },
};

export const stringDecoder: Decoder<string> = {
  name: 'string',
  decode: utf8Text,
};

/** The value as it came, for binary payloads (a copy: the fetched slice would pin the whole fetch buffer). */
export const bytesDecoder: Decoder<Buffer> = {
  name: 'bytes',
  decode: (value) => Buffer.from(value),
};

export const numberDecoder: Decoder<number> = {
  name: 'number',
  decode(value) {
    const text = utf8Text(value).trim();
    const n = text === '' ? NaN : Number(text);
    if (!Number.isFinite(n)) throw new Error(`value '${oneLineMessage(text, 40)}' is not a number`);
    return n;
  },
};

/** One CSV line per record, with the column names given up front (records carry no header). */
export function csvDecoder(columns: string[], options: { delimiter?: string } = {}): Decoder<JsonValue> {
  if (columns.length === 0) throw new StreamlabError('csv decoder needs column names', 'pass columns, e.g. ["time", "sensor", "value"]');
  return {
    name: 'csv',
    decode(value) {
      const result = Papa.parse<string[]>(utf8Text(value).replace(/\r?\n$/, ''), {
        delimiter: options.delimiter ?? ',',
        dynamicTyping: false,
      });
      const row = result.data[0];
      if (result.errors.length > 0 || !row || result.data.length !== 1) {
        throw new Error(`not one CSV line${result.errors[0] ? ` (${oneLineMessage(result.errors[0].message)})` : ''}`);
      }
      if (row.length !== columns.length) throw new Error(`expected ${columns.length} CSV fields, got ${row.length}`);
      const out: JsonValue = {};
      for (let i = 0; i < columns.length; i++) {
        const cell = row[i]!;
        const n = cell.trim() === '' ? NaN : Number(cell);
        out[columns[i]!] = Number.isFinite(n) ? n : cell;
      }
      return out;
    },
  };
}

/** The built-in format names (the registry in ./formats lists every format, registry ones included). */
export const DECODER_NAMES = ['json', 'string', 'number', 'csv', 'bytes'] as const;
export type DecoderName = (typeof DECODER_NAMES)[number];
