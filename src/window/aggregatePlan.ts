/**
 * Incremental aggregation: the state of one window and the constant-time work to fold a record into it.
 *
 * Numeric statistics of each field share a Float64Array per window (count, sum, min, max, Welford mean and M2,
 * invalid count), so the common case (count/sum/mean/min/max) touches one small typed array per record and
 * allocates nothing. Sketches, distinct counters, first/last and reducer states live beside it in `extra`.
 */
import { fieldReader, isInheritedName } from '../record';
import { StreamlabError } from '../errors';
import { AggregateDef, NUMERIC_OPS, Reducer } from './aggregateSpec';
import { DistinctCounter } from './distinctCounter';
import { QuantileSketch } from './quantileSketch';

const N = 0;
const SUM = 1;
const MIN = 2;
const MAX = 3;
const MEAN = 4;
const M2 = 5;
const INVALID = 6;
const SLOTS = 7;

/** Record values are read as objects; anything else (a number from the number decoder) is `{ value }`. */
export type Fields = Record<string, unknown>;

interface FieldPlan {
  name: string;
  /** The name is one a plain object inherits ('constructor'...): read it as an own property only. */
  /** How a field that is not a plain own name is read: an inherited name (own fields only) or a dotted path into a nested value; undefined for the fast path. */
  read: ((fields: Fields) => unknown) | undefined;
  /** Offset of this field's statistics in WindowState.num, or -1 when no numeric aggregate reads it. */
  slot: number;
  welford: boolean;
  sketchAt: number;
  firstLastAt: number;
  distinctAt: number;
  /** Index of the non-null count in WindowState.num, or -1. */
  presentAt: number;
  /** Some aggregate of this field takes any non-null value (count, first, last, distinct). */
  readsAny: boolean;
  reducers: { at: number; reducer: Reducer }[];
}

class FirstLast {
  firstTime = Infinity;
  firstSeq = 0;
  first: unknown = null;
  lastTime = -Infinity;
  lastSeq = 0;
  last: unknown = null;
}

export class WindowState {
  /** Records in the window, whatever their values. */
  count = 0;
  constructor(
    readonly num: Float64Array,
    readonly extra: unknown[],
  ) {}
}

export interface ResultColumn {
  name: string;
  /** Numeric columns are stored in typed arrays; the others (first, last, reducers) in plain arrays. */
  numeric: boolean;
  get(state: WindowState): unknown;
}

export class AggregatePlan {
  readonly fields: FieldPlan[] = [];
  readonly columns: ResultColumn[] = [];
  private readonly numSize: number;
  private readonly extraInit: (() => unknown)[] = [];
  private readonly numInit: Float64Array;

  constructor(
    readonly defs: readonly AggregateDef[],
    /** Relative accuracy of the quantile sketches, in (0, 1). */
    private readonly quantileAccuracy = 0.01,
  ) {
    const byField = new Map<string, FieldPlan>();
    let numSize = 0;
    const field = (name: string): FieldPlan => {
      let f = byField.get(name);
      if (!f) {
        f = { name, read: name !== '*' && (isInheritedName(name) || name.includes('.')) ? fieldReader(name) : undefined, slot: -1, welford: false, sketchAt: -1, firstLastAt: -1, distinctAt: -1, presentAt: -1, readsAny: false, reducers: [] };
        byField.set(name, f);
        this.fields.push(f);
      }
      return f;
    };
    const extra = (init: () => unknown): number => this.extraInit.push(init) - 1;
    for (const d of defs) {
      const f = field(d.field);
      if (NUMERIC_OPS.has(d.op) && f.slot < 0) {
        f.slot = numSize;
        numSize += SLOTS;
      }
      if (d.op === 'variance' || d.op === 'stddev') f.welford = true;
      if (d.op === 'quantile' && f.sketchAt < 0) f.sketchAt = extra(() => new QuantileSketch(this.quantileAccuracy));
      if ((d.op === 'first' || d.op === 'last') && f.firstLastAt < 0) f.firstLastAt = extra(() => new FirstLast());
      if (d.op === 'distinct' && f.distinctAt < 0) f.distinctAt = extra(() => new DistinctCounter());
      if (d.op === 'count' && d.field !== '*' && f.presentAt < 0) f.presentAt = numSize++;
      if (d.op === 'reducer') f.reducers.push({ at: extra(d.reducer!.init.bind(d.reducer)), reducer: d.reducer! });
      f.readsAny = f.presentAt >= 0 || f.firstLastAt >= 0 || f.distinctAt >= 0;
      this.columns.push(this.column(d, f));
    }
    for (const f of this.fields) {
      if (f.slot >= 0) this.columns.push({ name: `invalid_${f.name}`, numeric: true, get: (s) => s.num[f.slot + INVALID] });
    }
    this.numSize = numSize;
    this.numInit = new Float64Array(numSize);
    for (const f of this.fields) {
      if (f.slot < 0) continue;
      this.numInit[f.slot + MIN] = Infinity;
      this.numInit[f.slot + MAX] = -Infinity;
    }
  }

  /** Fields that must hold finite numbers. */
  get numericFields(): string[] {
    return this.fields.filter((f) => f.slot >= 0).map((f) => f.name);
  }

  /**
   * Rough bytes of one window's state, for the engine's state size: the statistics array, and a fixed guess per
   * sketch, distinct counter or reducer (they grow with their data up to their own bounds: 128 exact values before
   * a DDSketch, 1024 before HyperLogLog).
   */
  get approxWindowBytes(): number {
    return 64 + this.numSize * 8 + this.extraInit.length * 1024;
  }

  create(): WindowState {
    const num = this.numSize === 0 ? this.numInit : new Float64Array(this.numInit);
    const extra = this.extraInit.length === 0 ? EMPTY : this.extraInit.map((init) => init());
    return new WindowState(num, extra);
  }

  /**
   * Folds one record into a window. `seq` breaks ties in first/last: for StreamRecords their offset (then
   * partition), so that the result does not depend on how partitions interleave; for other records the arrival
   * number. Returns false when a numeric field held something other than a finite number (counted in
   * the window's invalid column; the caller sets the record aside once, not once per window).
   */
  add(state: WindowState, fields: Fields, time: number, seq: number): boolean {
    state.count++;
    let valid = true;
    const num = state.num;
    const plans = this.fields;
    for (let i = 0; i < plans.length; i++) {
      const f = plans[i]!;
      const v = f.name === '*' ? fields : f.read ? f.read(fields) : fields[f.name];
      const o = f.slot;
      if (o >= 0) {
        // v - v === 0 is true exactly for finite numbers, and cheaper than Number.isFinite on the hot path.
        if (typeof v === 'number' && v - v === 0) {
          const n = ++num[o + N]!;
          num[o + SUM]! += v;
          if (v < num[o + MIN]!) num[o + MIN] = v;
          if (v > num[o + MAX]!) num[o + MAX] = v;
          if (f.welford) {
            const delta = v - num[o + MEAN]!;
            num[o + MEAN]! += delta / n;
            num[o + M2]! += delta * (v - num[o + MEAN]!);
          }
          if (f.sketchAt >= 0) (state.extra[f.sketchAt] as QuantileSketch).add(v);
        } else {
          num[o + INVALID]!++;
          valid = false;
        }
      }
      if (f.readsAny && v !== undefined && v !== null) {
        if (f.presentAt >= 0) num[f.presentAt]!++;
        if (f.firstLastAt >= 0) {
          const fl = state.extra[f.firstLastAt] as FirstLast;
          // seq breaks ties (see add's comment): the lowest stays first, the highest becomes last.
          if (time < fl.firstTime || (time === fl.firstTime && seq < fl.firstSeq)) {
            fl.firstTime = time;
            fl.firstSeq = seq;
            fl.first = v;
          }
          if (time > fl.lastTime || (time === fl.lastTime && seq >= fl.lastSeq)) {
            fl.lastTime = time;
            fl.lastSeq = seq;
            fl.last = v;
          }
        }
        if (f.distinctAt >= 0) (state.extra[f.distinctAt] as DistinctCounter).add(v);
      }
      for (let j = 0; j < f.reducers.length; j++) {
        const r = f.reducers[j]!;
        state.extra[r.at] = callReducer(r.reducer, 'add', () => r.reducer.add(state.extra[r.at], v, fields));
      }
    }
    return valid;
  }

  /** Folds window `from` into window `into` (session merges). */
  merge(into: WindowState, from: WindowState): void {
    into.count += from.count;
    const a = into.num;
    const b = from.num;
    for (const f of this.fields) {
      const o = f.slot;
      if (o >= 0) {
        const na = a[o + N]!;
        const nb = b[o + N]!;
        const n = na + nb;
        if (f.welford && nb > 0) {
          // Chan et al.'s pairwise update keeps the variance as stable as Welford's single-value one.
          const delta = b[o + MEAN]! - a[o + MEAN]!;
          a[o + MEAN] = a[o + MEAN]! + (delta * nb) / n;
          a[o + M2] = a[o + M2]! + b[o + M2]! + (delta * delta * na * nb) / n;
        }
        a[o + N] = n;
        a[o + SUM]! += b[o + SUM]!;
        a[o + MIN] = Math.min(a[o + MIN]!, b[o + MIN]!);
        a[o + MAX] = Math.max(a[o + MAX]!, b[o + MAX]!);
        a[o + INVALID]! += b[o + INVALID]!;
      }
      if (f.presentAt >= 0) a[f.presentAt]! += b[f.presentAt]!;
      if (f.sketchAt >= 0) (into.extra[f.sketchAt] as QuantileSketch).merge(from.extra[f.sketchAt] as QuantileSketch);
      if (f.distinctAt >= 0) (into.extra[f.distinctAt] as DistinctCounter).merge(from.extra[f.distinctAt] as DistinctCounter);
      if (f.firstLastAt >= 0) {
        const x = into.extra[f.firstLastAt] as FirstLast;
        const y = from.extra[f.firstLastAt] as FirstLast;
        if (y.firstTime < x.firstTime || (y.firstTime === x.firstTime && y.firstSeq < x.firstSeq)) {
          x.firstTime = y.firstTime;
          x.firstSeq = y.firstSeq;
          x.first = y.first;
        }
        if (y.lastTime > x.lastTime || (y.lastTime === x.lastTime && y.lastSeq > x.lastSeq)) {
          x.lastTime = y.lastTime;
          x.lastSeq = y.lastSeq;
          x.last = y.last;
        }
      }
      for (const r of f.reducers) {
        const merge = r.reducer.merge!;
        into.extra[r.at] = callReducer(r.reducer, 'merge', () => merge.call(r.reducer, into.extra[r.at], from.extra[r.at]));
      }
    }
  }

  /** Whether every field with a numeric aggregate holds a finite number. */
  isValid(fields: Fields): boolean {
    for (const f of this.fields) {
      if (f.slot < 0) continue;
      const v = f.name === '*' ? fields : f.read ? f.read(fields) : fields[f.name];
      if (!(typeof v === 'number' && v - v === 0)) return false;
    }
    return true;
  }

  /** Names of the numeric fields of `fields` that do not hold finite numbers (the slow path, for bad records). */
  invalidFields(fields: Fields): string[] {
    const out: string[] = [];
    for (const f of this.fields) {
      if (f.slot < 0) continue;
      const v = f.name === '*' ? fields : f.read ? f.read(fields) : fields[f.name];
      if (!(typeof v === 'number' && Number.isFinite(v))) out.push(f.name);
    }
    return out;
  }

  private column(d: AggregateDef, f: FieldPlan): ResultColumn {
    const o = f.slot;
    const numeric = (get: (s: WindowState) => number): ResultColumn => ({ name: d.column, numeric: true, get });
    switch (d.op) {
      case 'count':
        return d.field === '*' ? numeric((s) => s.count) : numeric((s) => s.num[f.presentAt]!);
      case 'sum':
        return numeric((s) => (s.num[o + N]! > 0 ? s.num[o + SUM]! : NaN));
      case 'mean':
        return numeric((s) => (s.num[o + N]! > 0 ? s.num[o + SUM]! / s.num[o + N]! : NaN));
      case 'min':
        return numeric((s) => (s.num[o + N]! > 0 ? s.num[o + MIN]! : NaN));
      case 'max':
        return numeric((s) => (s.num[o + N]! > 0 ? s.num[o + MAX]! : NaN));
      case 'variance':
        return numeric((s) => sampleVariance(s.num, o));
      case 'stddev':
        return numeric((s) => Math.sqrt(sampleVariance(s.num, o)));
      case 'quantile':
        return numeric((s) => (s.extra[f.sketchAt] as QuantileSketch).quantile(d.q!));
      case 'distinct':
        return numeric((s) => (s.extra[f.distinctAt] as DistinctCounter).count());
      case 'first':
        return { name: d.column, numeric: false, get: (s) => (s.extra[f.firstLastAt] as FirstLast).first };
      case 'last':
        return { name: d.column, numeric: false, get: (s) => (s.extra[f.firstLastAt] as FirstLast).last };
      case 'reducer': {
        const r = f.reducers.find((x) => x.reducer === d.reducer)!;
        return { name: d.column, numeric: false, get: (s) => callReducer(r.reducer, 'result', () => r.reducer.result(s.extra[r.at])) };
      }
    }
  }
}

const EMPTY: unknown[] = [];

/** Sample variance (n - 1), as pandas and Spark compute it; NaN below two values. */
function sampleVariance(num: Float64Array, o: number): number {
  const n = num[o + N]!;
  return n > 1 ? Math.max(0, num[o + M2]!) / (n - 1) : NaN;
}

function callReducer<T>(r: Reducer, step: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StreamlabError) throw e;
    throw new StreamlabError(`reducer '${r.name}' failed in ${step}()`, (e as Error)?.message ?? String(e), { cause: e });
  }
}
