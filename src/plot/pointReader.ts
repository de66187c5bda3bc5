/**
 * Turns what feeds a chart (stream records, window results, a user's rows) into points: which field is x, which
 * are y, which key a row belongs to, and whether it is flagged. Rows that give no number are counted by the chart,
 * never dropped silently.
 */
import { StreamlabError } from '../errors';
import { ownField, isStreamRecord } from '../record';

export type Row = Record<string, unknown>;

export interface PointFields {
  /** The x field; undefined: the event time (a stream record's time, else the field `time`). */
  x?: string;
  /** The y fields; empty: every numeric field of the first row (but x, the keys and the flag). */
  y: string[];
  by: string[];
  /** A field whose truthy values flag a point as a marker (the generator's `anomaly`, a scorer's `isAnomaly`). */
  mark?: string;
}

export interface ReadPoint {
  x: number;
  /** One per y field, NaN when the row has no number there. */
  ys: number[];
  key: string;
  flag?: string;
}


/** The fields of a row: a stream record's value (a scalar value reads as the field `value`), or the row itself. */
export function fieldsOfRow(row: unknown): Row {
  const value = isStreamRecord(row) ? row.value : row;
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Row) : { value };
}

/** A number from a field: numbers, numeric strings, booleans as 0/1 are not taken (a flag is not a reading). */
export function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  if (typeof v === 'bigint') return Number(v);
  return NaN;
}

/** Epoch ms from a number, a Date or an ISO-8601 string; NaN otherwise. */
export function timeOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') return /^\d+$/.test(v.trim()) ? Number(v) : Date.parse(v);
  return NaN;
}

export class PointReader {
  private yFields: string[];

  constructor(private readonly fields: PointFields) {
    this.yFields = [...fields.y];
  }

  /** The y fields (known once the first row has been read when they were inferred). */
  get y(): readonly string[] {
    return this.yFields;
  }

  read(row: unknown, xIsTime: boolean): ReadPoint {
    const f = fieldsOfRow(row);
    if (this.yFields.length === 0) this.yFields = this.inferY(f);
    let x: number;
    if (this.fields.x === undefined) x = isStreamRecord(row) ? row.time : timeOf(f.time);
    else x = xIsTime ? timeOf(ownField(f, this.fields.x)) : numberOf(ownField(f, this.fields.x));
    const ys = this.yFields.map((name) => numberOf(ownField(f, name)));
    const key = this.fields.by.length === 0 ? '' : this.fields.by.map((k) => keyText(ownField(f, k))).join(' · ');
    const flagValue = this.fields.mark === undefined ? undefined : ownField(f, this.fields.mark);
    const flagged = flagValue !== undefined && flagValue !== null && flagValue !== false && flagValue !== 0 && flagValue !== '';
    return { x, ys, key, flag: flagged ? (flagValue === true || flagValue === 1 ? this.fields.mark : String(flagValue)) : undefined };
  }

  private inferY(f: Row): string[] {
    const skip = new Set([this.fields.x ?? 'time', ...this.fields.by, ...(this.fields.mark ? [this.fields.mark] : []), 'timestamp', 'offset', 'partition']);
    const numeric = Object.keys(f).filter((k) => !skip.has(k) && typeof f[k] === 'number');
    if (numeric.length === 0) {
      throw new StreamlabError(
        `the chart found no numeric field to plot in ${JSON.stringify(f).slice(0, 120)}`,
        'name the field with --y FIELD (or y: ["field"])',
      );
    }
    return numeric.slice(0, 8);
  }
}

function keyText(v: unknown): string {
  if (v === undefined || v === null) return '(none)';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
