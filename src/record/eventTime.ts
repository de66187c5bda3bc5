/**
 * Event time of a decoded value: a field holding an epoch number, an ISO-8601 string or a Date.
 *
 * Kafka's own timestamps are epoch milliseconds, but the time fields of records say nothing of their unit, and a
 * wrong guess shifts data by decades without a word (seconds read as ms land in January 1970). So, like Flink's and
 * Kafka Streams' timestamp extractors, the unit is declared (`timeUnit`, default ms) and never guessed; a number
 * whose magnitude does not fit the declared unit is refused with the unit it looks like, so the fix is one option.
 */
import { ownField } from './ownField';

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';
export const TIME_UNITS: readonly TimeUnit[] = ['s', 'ms', 'us', 'ns'];
const MS_PER_UNIT: Record<TimeUnit, number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };

/**
 * Epoch-ms times a stream can plausibly carry: 1973-03-03 to the year 5138. Epoch numbers of today in the other
 * units fall outside it by orders of magnitude (seconds ~1.7e9, us ~1.7e15, ns ~1.7e18), so outside means "another
 * unit", not "old data". ISO-8601 strings and Dates carry their own unit and are not held to it.
 */
export const PLAUSIBLE_MS = { min: 1e11, max: 1e14 } as const;

// ISO-8601 as data carries it (date, optional time with T or a space, optional fraction and zone). Date.parse
// alone is far too lenient: it reads "5" and "-5" as May 2001.
const ISO_8601 = /^[+-]?\d{4,6}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)?(?:Z|z|[+-]\d\d(?::?\d\d)?)?$/;
const EPOCH_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Epoch ms of an ISO-8601 string (a time without a zone is UTC, as is a date alone), or NaN. */
export function parseIsoTime(text: string): number {
  const t = text.trim();
  if (!ISO_8601.test(t)) return NaN;
  const iso = t.replace(' ', 'T').replace(',', '.');
  const at = iso.indexOf('T');
  if (at < 0) return Date.parse(iso);
  return Date.parse(/(?:[zZ]|[+-]\d\d(?::?\d\d)?)$/.test(iso.slice(at + 1)) ? iso : `${iso}Z`);
}

/**
 * Lenient event time for the windowing engine, which also takes small test times (0, 1000...): a number as it is,
 * a string of digits as a number, an ISO-8601 string, or a Date. NaN when the field is missing or unreadable.
 */
export function eventTimeOf(value: unknown, field: string): number {
  if (value === null || typeof value !== 'object') return NaN;
  const raw = ownField(value, field);
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') return EPOCH_NUMBER.test(raw.trim()) ? Number(raw) : parseIsoTime(raw);
  if (raw instanceof Date) return raw.getTime();
  return NaN;
}

/** What reading a record's time field gave: epoch ms, or why there is no usable time (one line, with the fix). */
export type TimeReading = number | { error: string; missing: boolean };

/**
 * Strict event time for records from a topic: a finite epoch number in `unit` (or a string of one) whose value in
 * ms is plausible, an ISO-8601 string, or a Date.
 */
export function readEventTime(raw: unknown, field: string, unit: TimeUnit = 'ms'): TimeReading {
  if (raw === undefined || raw === null) return { error: `no time field '${field}'`, missing: true };
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && EPOCH_NUMBER.test(raw.trim())) n = Number(raw);
  else if (typeof raw === 'string') {
    const ms = parseIsoTime(raw);
    if (Number.isFinite(ms)) return ms;
    return { error: `time field '${field}' is '${clip(raw)}', not an epoch number or an ISO-8601 time`, missing: false };
  } else if (raw instanceof Date) {
    const ms = raw.getTime();
    return Number.isFinite(ms) ? ms : { error: `time field '${field}' is an invalid Date`, missing: false };
  } else {
    return { error: `time field '${field}' is ${Array.isArray(raw) ? 'an array' : `a ${typeof raw}`}, not a time`, missing: false };
  }
  const shown = typeof raw === 'string' ? `'${clip(raw)}'` : String(n);
  if (!Number.isFinite(n)) return { error: `time field '${field}' is ${shown === 'Infinity' || shown === '-Infinity' ? shown : `${shown} (${n})`}, not a finite time`, missing: false };
  const ms = n * MS_PER_UNIT[unit];
  if (ms >= PLAUSIBLE_MS.min && ms < PLAUSIBLE_MS.max) return ms;
  const likely = TIME_UNITS.find((u) => u !== unit && n * MS_PER_UNIT[u] >= PLAUSIBLE_MS.min && n * MS_PER_UNIT[u] < PLAUSIBLE_MS.max);
  const asUnit = Math.abs(ms) < 8.64e15 ? ` (${new Date(ms).toISOString()} as epoch ${unit})` : '';
  if (likely) {
    const asLikely = new Date(n * MS_PER_UNIT[likely]).toISOString();
    return { error: `time field '${field}' is ${shown}${asUnit}: it looks like epoch ${UNIT_NAMES[likely]} (${asLikely}); pass timeUnit: '${likely}' (--time-unit ${likely} in a magic)`, missing: false };
  }
  return { error: `time field '${field}' is ${shown}${asUnit}, not a plausible time in any epoch unit: send epoch ${UNIT_NAMES[unit]} or ISO-8601`, missing: false };
}

const UNIT_NAMES: Record<TimeUnit, string> = { s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds' };

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
