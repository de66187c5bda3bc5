/**
 * What kind of row a stream delivered, decided in one place: a StreamRecord (a topic's record, or a join's output),
 * a window's result, or a plain object. Windows, charts, scorers and joins all read rows through here, so the three
 * shapes are told apart the same way everywhere and a window result flattens to the same fields for all of them.
 */
import type { StreamRecord } from './streamRecord';

export function isStreamRecord(x: unknown): x is StreamRecord<unknown> {
  const r = x as StreamRecord<unknown> | null;
  return r !== null && typeof r === 'object' && typeof r.offset === 'number' && typeof r.partition === 'number' && typeof r.time === 'number' && 'value' in r;
}

/** A window's result as windows deliver it (see WindowResult), told by its shape. */
export interface WindowRowLike {
  key: Record<string, unknown>;
  windowStart: number;
  windowEnd: number;
  values: Record<string, unknown>;
}

export function isWindowResult(x: unknown): x is WindowRowLike {
  const o = x as WindowRowLike | null;
  return o !== null && typeof o === 'object' && typeof o.windowStart === 'number' && typeof o.windowEnd === 'number' && typeof o.values === 'object' && o.values !== null;
}

/**
 * A window's result as the value of a record written to a topic: key fields, windowStart, windowEnd and aggregates,
 * an aggregate of no numbers (NaN, or an infinite bound) as null, since JSON has no NaN. The worker and a notebook's
 * `%produce --from WINDOW` write the same rows.
 */
export function windowOutputRow(r: WindowRowLike): Record<string, unknown> {
  const row: Record<string, unknown> = { ...r.key, windowStart: r.windowStart, windowEnd: r.windowEnd };
  for (const [k, v] of Object.entries(r.values)) row[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  return row;
}

/**
 * The fields of any row: a record's value with its event time as `time` (a scalar value reads as the field
 * `value`), a window's key fields, bounds and aggregates (its time is its end), or a plain object as it is.
 */
export function flatRow(item: unknown): Record<string, unknown> {
  if (typeof item !== 'object' || item === null) return { value: item };
  if (isWindowResult(item)) return { ...item.key, windowStart: item.windowStart, windowEnd: item.windowEnd, time: item.windowEnd, ...item.values };
  if (isStreamRecord(item)) {
    const v = item.value;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? { time: item.time, ...(v as Record<string, unknown>) } : { time: item.time, value: v };
  }
  return item as Record<string, unknown>;
}
