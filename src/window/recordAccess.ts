/**
 * Reading what the engine needs from a record: its fields, event time and key. Records are StreamRecords from a
 * TopicSource (fields in record.value, event time in record.time) or plain objects; a value that is not an
 * object (from the number or string decoder) reads as the single field `value`.
 */
import type { StreamRecord } from '../record';
import { StreamlabError } from '../errors';
import { eventTimeOf } from '../record';
import { fieldReader, ownField } from '../record';
import { Fields } from './aggregatePlan';

export type TimeOption = string | ((fields: Fields, record: unknown) => number);

/**
 * Event time of a record, from the `time` option: a field, a function, 'processing' (the clock, read once per
 * call through `now`), or by default record.time for StreamRecords and the field 'time' for plain objects.
 */
export interface TimeReader {
  read(fields: Fields, record: unknown, stream: boolean): number;
  processing: boolean;
  /** The field read for plain objects, for messages; undefined for functions and processing time. */
  field: string | undefined;
  /** For processing time: the clock value used for the records of the current call. */
  now: number;
}

export function timeReader(option: TimeOption | undefined): TimeReader {
  if (option === undefined) {
    return { read: (f, r, stream) => (stream ? (r as StreamRecord<unknown>).time : timeFromField(f, 'time')), processing: false, field: 'time', now: 0 };
  }
  if (option === 'processing') {
    const reader: TimeReader = { read: () => reader.now, processing: true, field: undefined, now: 0 };
    return reader;
  }
  if (typeof option === 'function') return { read: (f, r) => option(f, r), processing: false, field: undefined, now: 0 };
  if (typeof option === 'string' && option !== '') return { read: (f) => timeFromField(f, option), processing: false, field: option, now: 0 };
  throw new StreamlabError(`time must be a field name, a function or 'processing', got ${describeValue(option)}`);
}

export { isStreamRecord } from '../record';

export function fieldsOf(value: unknown): Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Fields) : { value };
}

/** Event time from a field holding epoch ms, an ISO-8601 string or a Date; NaN when there is none. */
export function timeFromField(fields: Fields, field: string): number {
  const v = ownField(fields, field);
  return typeof v === 'number' ? v : eventTimeOf(fields, field);
}

/**
 * The Map key for a record's key fields. Keys group by value, as Kafka Streams groups by the key's serialized
 * bytes: a scalar of one field is its own Map key (no string building per record); an object or array becomes a
 * canonical text (fields sorted), so two equal objects are one group; several fields are encoded with their type
 * and length, so 1 and '1', null and 'null', ('a|b', 'c') and ('a', 'b|c') all stay apart. A missing field is null.
 * A key that cannot be read as a value (a circular object, a symbol) gives BAD_KEY.
 */
export function keyReader(keyBy: readonly string[]): { mapKey: (fields: Fields) => unknown; values: (fields: Fields) => unknown[] } {
  if (keyBy.length === 0) return { mapKey: () => '', values: () => [] };
  if (keyBy.length === 1) {
    const read = fieldReader(keyBy[0]!);
    return {
      mapKey: (f) => {
        const v = read(f);
        return v === undefined ? null : v !== null && typeof v === 'object' ? objectKey(v) : v;
      },
      values: (f) => [read(f) ?? null],
    };
  }
  const readers = keyBy.map(fieldReader);
  return {
    mapKey: (f) => {
      try {
        let s = '';
        for (let i = 0; i < readers.length; i++) s += keyText(readers[i]!(f), []);
        return s;
      } catch (e) {
        if (e instanceof KeyError) return BAD_KEY;
        throw e;
      }
    },
    values: (f) => readers.map((read) => read(f) ?? null),
  };
}

/** What mapKey gives for a key that cannot be grouped by value; the engine sets its record aside ('bad-key'). */
export const BAD_KEY: unique symbol = Symbol('bad key');

class KeyError extends Error {}

function objectKey(v: object): string | typeof BAD_KEY {
  try {
    return OBJECT_KEY + keyText(v, []);
  } catch (e) {
    if (e instanceof KeyError) return BAD_KEY;
    throw e;
  }
}

// Marks the canonical text of an object key of a single key field, apart from string keys (a string key would
// have to start with this NUL and lone surrogate to collide: not text any encoder produces).
const OBJECT_KEY = '\u0000\ud800';

/** Type-tagged, length-prefixed text of a key value: equal values give equal text, different ones different text. */
function keyText(v: unknown, ancestors: object[]): string {
  switch (typeof v) {
    case 'string':
      return `s${v.length}:${v}`;
    case 'number':
      return `n${v};`;
    case 'boolean':
      return v ? 't' : 'f';
    case 'bigint':
      return `i${v};`;
    case 'undefined':
      return 'z';
    case 'symbol':
    case 'function':
      throw new KeyError(`a ${typeof v} cannot be a key`);
  }
  if (v === null) return 'z';
  const o = v as object;
  if (o instanceof Date) return `d${o.getTime()};`;
  if (ArrayBuffer.isView(o)) {
    const bytes = Buffer.from(o.buffer, o.byteOffset, o.byteLength).toString('hex');
    return `b${bytes.length}:${bytes}`;
  }
  if (ancestors.includes(o)) throw new KeyError('a circular object cannot be a key');
  ancestors.push(o);
  try {
    if (Array.isArray(o)) return `a${o.length}[${o.map((x) => keyText(x, ancestors)).join('')}]`;
    if (o instanceof Map) return `m${o.size}{${[...o].map(([a, b]) => keyText(a, ancestors) + keyText(b, ancestors)).sort().join('')}}`;
    if (o instanceof Set) return `e${o.size}{${[...o].map((x) => keyText(x, ancestors)).sort().join('')}}`;
    const names = Object.keys(o).sort();
    return `o${names.length}{${names.map((n) => `${n.length}:${n}${keyText((o as Record<string, unknown>)[n], ancestors)}`).join('')}}`;
  } finally {
    ancestors.pop();
  }
}

export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 30 ? `${v.slice(0, 30)}...` : v}' (a string)`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${String(v)} (a ${typeof v})`;
}
