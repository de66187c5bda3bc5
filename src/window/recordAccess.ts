/**
 * Reading what the engine needs from a record: its fields, event time and key. Records are StreamRecords from a
 * TopicSource (fields in record.value, event time in record.time) or plain objects; a value that is not an
 * object (from the number or string decoder) reads as the single field `value`.
 */
import type { StreamRecord } from '../record';
import { StreamlabError } from '../errors';
import { eventTimeOf } from '../record';
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

export function isStreamRecord(x: unknown): x is StreamRecord<unknown> {
  const r = x as StreamRecord<unknown> | null;
  return r !== null && typeof r === 'object' && typeof r.offset === 'number' && typeof r.partition === 'number' && typeof r.time === 'number' && 'value' in r;
}

export function fieldsOf(value: unknown): Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Fields) : { value };
}

/** Event time from a field holding epoch ms, an ISO-8601 string or a Date; NaN when there is none. */
export function timeFromField(fields: Fields, field: string): number {
  const v = fields[field];
  return typeof v === 'number' ? v : eventTimeOf(fields, field);
}

/** The Map key for a record's key fields: the value itself for one field (no string building per record). */
export function keyReader(keyBy: readonly string[]): { mapKey: (fields: Fields) => unknown; values: (fields: Fields) => unknown[] } {
  if (keyBy.length === 0) return { mapKey: () => '', values: () => [] };
  if (keyBy.length === 1) {
    const k = keyBy[0]!;
    return { mapKey: (f) => f[k] ?? null, values: (f) => [f[k] ?? null] };
  }
  return {
    // A separator that does not occur in ordinary text keeps ('a|b', 'c') and ('a', 'b|c') apart.
    mapKey: (f) => {
      let s = '';
      for (let i = 0; i < keyBy.length; i++) s += (i ? '\u241f' : '') + String(f[keyBy[i]!] ?? null);
      return s;
    },
    values: (f) => keyBy.map((k) => f[k] ?? null),
  };
}

export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 30 ? `${v.slice(0, 30)}...` : v}' (a string)`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${String(v)} (a ${typeof v})`;
}
