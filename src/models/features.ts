/**
 * Features from rows of records: chosen numeric columns, their lags, deltas and rolling statistics, in row order
 * (rows are time-ordered; history loads them so). The NaN rule: a row whose features are not all finite numbers
 * (a missing or non-numeric value, or a lag or window reaching before the first row) is dropped, and counted by
 * cause; nothing is imputed silently.
 */
import { StreamlabError, didYouMean } from '../errors';

export type RollingStat = 'mean' | 'std' | 'min' | 'max';

export interface FeatureSpec {
  /** Numeric input columns. */
  columns: string[];
  /** Previous values of each column as features: t-1 .. t-lags. Default 0. */
  lags?: number;
  /** x_t - x_(t-1) of each column. Default false. */
  deltas?: boolean;
  /** Statistics of each column over the last `window` rows, the current one included. */
  rolling?: { window: number; stats?: RollingStat[] };
  /** A column to predict or classify (forecaster / classifier); never a feature. */
  target?: string;
  /** Forecasters: predict the target this many rows ahead. Default 1. Classifiers use 0 (the row's own label). */
  horizon?: number;
}

export interface FeatureRows {
  /** Feature names, in column order of `x`. */
  readonly names: string[];
  readonly x: number[][];
  /** Targets, when the spec names one. */
  readonly y?: number[];
  /** Index in the input of the row each feature row describes. */
  readonly source: number[];
  /** Rows left out, by cause. */
  readonly dropped: { readonly notFinite: number; readonly warmup: number; readonly noTarget: number };
}

export function featureNames(spec: FeatureSpec): string[] {
  const names: string[] = [];
  for (const c of spec.columns) {
    names.push(c);
    for (let k = 1; k <= (spec.lags ?? 0); k++) names.push(`${c}_lag${k}`);
    if (spec.deltas) names.push(`${c}_delta`);
    for (const s of spec.rolling ? spec.rolling.stats ?? ['mean', 'std'] : []) names.push(`${c}_${s}${spec.rolling!.window}`);
  }
  return names;
}

/** Rows (in time order) to feature rows, with the NaN rule above. Throws one line for a column the rows lack. */
export function buildFeatures(rows: readonly Record<string, unknown>[], spec: FeatureSpec): FeatureRows {
  checkSpec(spec);
  // Columns are looked for in the first rows only: a stream's batch must not pay for a scan of every row's keys.
  const present = new Set(rows.slice(0, 100).flatMap((r) => Object.keys(r)));
  for (const c of [...spec.columns, ...(spec.target ? [spec.target] : [])]) {
    if (rows.length > 0 && !present.has(c)) {
      const guess = didYouMean(c, present);
      throw new StreamlabError(`feature column '${c}' is not in the data (columns: ${[...present].slice(0, 12).join(', ')})`, guess ? `did you mean '${guess}'?` : 'fix the spec\'s columns');
    }
  }
  const lags = spec.lags ?? 0;
  const window = spec.rolling?.window ?? 0;
  const stats = spec.rolling ? spec.rolling.stats ?? ['mean', 'std'] : [];
  const reach = Math.max(lags, spec.deltas ? 1 : 0, window > 0 ? window - 1 : 0);
  const horizon = spec.target ? spec.horizon ?? 1 : 0;
  const values = spec.columns.map((c) => rows.map((r) => toNumber(r[c])));
  const deltas = spec.deltas === true;
  const width = spec.columns.length * (1 + lags + (deltas ? 1 : 0) + stats.length);
  const targets = spec.target ? rows.map((r) => toNumber(r[spec.target!])) : undefined;
  const x: number[][] = [];
  const y: number[] = [];
  const source: number[] = [];
  let notFinite = 0;
  let warmup = 0;
  let noTarget = 0;
  for (let i = 0; i < rows.length; i++) {
    if (i < reach) {
      warmup++;
      continue;
    }
    if (targets && i + horizon >= rows.length) {
      noTarget++;
      continue;
    }
    const row = new Array<number>(width);
    let at = 0;
    let finite = true;
    for (const v of values) {
      row[at++] = v[i]!;
      for (let k = 1; k <= lags; k++) row[at++] = v[i - k]!;
      if (deltas) row[at++] = v[i]! - v[i - 1]!;
      if (window > 0) {
        const w = v.slice(i - window + 1, i + 1);
        for (const s of stats) row[at++] = stat(w, s);
      }
    }
    for (let j = 0; j < width && finite; j++) finite = Number.isFinite(row[j]!);
    const t = targets ? targets[i + horizon]! : 0;
    if (!finite || !Number.isFinite(t)) {
      notFinite++;
      continue;
    }
    x.push(row);
    if (targets) y.push(t);
    source.push(i);
  }
  return { names: featureNames(spec), x, ...(targets ? { y } : {}), source, dropped: { notFinite, warmup, noTarget } };
}

/** Rows a stream must keep from before a batch so its first row has all its lags and windows. */
export function featureReach(spec: FeatureSpec): number {
  return Math.max(spec.lags ?? 0, spec.deltas ? 1 : 0, spec.rolling ? spec.rolling.window - 1 : 0);
}

function checkSpec(spec: FeatureSpec): void {
  if (!Array.isArray(spec.columns) || spec.columns.length === 0) throw new StreamlabError('a feature spec needs at least one column', "e.g. { columns: ['value'] }");
  const lags = spec.lags ?? 0;
  if (!Number.isInteger(lags) || lags < 0) throw new StreamlabError(`lags must be a whole number >= 0, got ${lags}`);
  if (spec.rolling && !(Number.isInteger(spec.rolling.window) && spec.rolling.window >= 2)) throw new StreamlabError(`a rolling window needs at least 2 rows, got ${spec.rolling.window}`);
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

function stat(w: number[], s: RollingStat): number {
  if (s === 'min') return Math.min(...w);
  if (s === 'max') return Math.max(...w);
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  if (s === 'mean') return mean;
  return Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
}

/** Standardises features with the mean and spread of the rows it was fitted to (the training rows only). */
export class StandardScaler {
  constructor(
    readonly mean: number[],
    readonly std: number[],
  ) {}

  static fit(x: readonly number[][]): StandardScaler {
    if (x.length === 0) throw new StreamlabError('cannot fit a scaler to no rows', 'load more history, or check the NaN rule\'s dropped counts');
    const n = x[0]!.length;
    const mean = Array.from({ length: n }, (_, j) => x.reduce((a, r) => a + r[j]!, 0) / x.length);
    // A constant feature keeps spread 1, so it scales to 0 instead of dividing by zero.
    const std = mean.map((m, j) => Math.sqrt(x.reduce((a, r) => a + (r[j]! - m) ** 2, 0) / x.length) || 1);
    return new StandardScaler(mean, std);
  }

  transform(x: readonly number[][]): number[][] {
    return x.map((r, i) => {
      if (r.length !== this.mean.length) throw new StreamlabError(`row ${i} has ${r.length} features where the model was trained on ${this.mean.length}`, 'build features with the model\'s own spec');
      return r.map((v, j) => (v - this.mean[j]!) / this.std[j]!);
    });
  }

  toJSON(): { mean: number[]; std: number[] } {
    return { mean: this.mean, std: this.std };
  }
}

/** A split by time: the first rows train, the last `validation` share validates; never shuffled across. */
export function timeSplit<T>(rows: readonly T[], validation = 0.2): { train: T[]; validation: T[] } {
  if (!(validation >= 0 && validation < 1)) throw new StreamlabError(`validation share must be in [0, 1), got ${validation}`);
  const cut = Math.round(rows.length * (1 - validation));
  return { train: rows.slice(0, cut), validation: rows.slice(cut) };
}
