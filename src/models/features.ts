/**
 * Features from rows of records: chosen numeric columns, their lags, deltas and rolling statistics, in row order
 * (rows are time-ordered; history loads them so). With `by`, each key's rows make their own sequence: a lag is the
 * same sensor's previous value, never another sensor's that happened to arrive before it (interleaved keys made
 * lags and deltas noise, and a model trained on them flagged half a stream). The NaN rule: a row whose features
 * are not all finite numbers (a missing or non-numeric value, or a lag or window reaching before its key's first
 * row) is dropped, and counted by cause; nothing is imputed silently.
 */
import { fieldReader } from '../record';
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
  /**
   * Field (a dotted path for nested values) whose value keys a row: lags, deltas and rolling statistics are taken
   * within each key. Rows without it share one key of their own (null).
   */
  by?: string;
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

/**
 * Feature rows as one flat matrix: what scoring works on. Columns are numeric arrays (one per spec column, and the
 * target's), so a live stream's batches reach the network without an object per row.
 */
export interface FeatureMatrix {
  readonly width: number;
  /** Feature rows kept. */
  readonly count: number;
  /** count x width, row-major, unscaled. */
  readonly x: Float64Array;
  readonly y?: Float64Array;
  /** Index in the input of the row each feature row describes. */
  readonly source: Int32Array;
  readonly dropped: FeatureRows['dropped'];
}

/** Rows (in time order) to feature rows, with the NaN rule above. Throws one line for a column the rows lack. */
export function buildFeatures(rows: readonly Record<string, unknown>[], spec: FeatureSpec): FeatureRows {
  checkFeatureSpec(spec);
  // Before anything is built: a lag or window as long as the rows would leave no feature row (and a huge one would
  // run the process out of memory building names and matrices first).
  const history = featureReach(spec);
  if (history >= rows.length) {
    throw new StreamlabError(
      `the features need ${history} earlier rows for each row (${spec.lags ? `lags ${spec.lags}` : `a rolling window of ${spec.rolling?.window}`}), and there are only ${rows.length} rows`,
      'use fewer lags or a shorter window, or train on more rows',
    );
  }
  const readers = new Map([...spec.columns, ...(spec.target ? [spec.target] : [])].map((c) => [c, fieldReader(c)]));
  const missing = missingColumn(rows, spec, (row, c) => readers.get(c)!(row) !== undefined);
  if (missing !== undefined) throw missingColumnError(missing, rows.slice(0, 100).flatMap((r) => Object.keys(r)));
  const columns = spec.columns.map((c) => numbers(rows, fieldReader(c)));
  const targets = spec.target ? numbers(rows, fieldReader(spec.target)) : undefined;
  const m = spec.by === undefined ? featureMatrix(columns, targets, rows.length, spec) : keyedFeatureMatrix(columns, targets, keyIds(rows, spec.by), rows.length, spec);
  const x = new Array<number[]>(m.count);
  for (let i = 0; i < m.count; i++) x[i] = Array.from(m.x.subarray(i * m.width, (i + 1) * m.width));
  return { names: featureNames(spec), x, ...(m.y ? { y: Array.from(m.y) } : {}), source: Array.from(m.source), dropped: m.dropped };
}

/**
 * The first spec column (or target) that none of the first 100 rows has, if any. Only the first rows are looked at:
 * a stream's batch must not pay for a scan of every row's keys.
 */
export function missingColumn<R>(rows: readonly R[], spec: FeatureSpec, has: (row: R, column: string) => boolean): string | undefined {
  if (rows.length === 0) return undefined;
  const look = Math.min(rows.length, 100);
  for (const c of [...spec.columns, ...(spec.target ? [spec.target] : [])]) {
    let found = false;
    for (let i = 0; i < look && !found; i++) found = has(rows[i]!, c);
    if (!found) return c;
  }
  return undefined;
}

export function missingColumnError(column: string, keys: Iterable<string>): StreamlabError {
  const present = [...new Set(keys)];
  const guess = didYouMean(column, present);
  return new StreamlabError(`feature column '${column}' is not in the data (columns: ${present.slice(0, 12).join(', ')})`, guess ? `did you mean '${guess}'?` : "fix the spec's columns");
}

/** One numeric column of `rows`, by the NaN rule's conversion (numbers, booleans, numeric strings; else NaN). */
export function numbers<R>(rows: readonly R[], field: (row: R) => unknown): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = toNumber(field(rows[i]!));
  return out;
}

/** Numeric columns (`n` rows each, time-ordered) to the feature matrix of `spec`, with the NaN rule. */
export function featureMatrix(values: readonly ArrayLike<number>[], targets: ArrayLike<number> | undefined, n: number, spec: FeatureSpec): FeatureMatrix {
  checkFeatureSpec(spec);
  const lags = spec.lags ?? 0;
  const window = spec.rolling?.window ?? 0;
  const stats = spec.rolling ? spec.rolling.stats ?? ['mean', 'std'] : [];
  const reach = featureReach(spec);
  const horizon = spec.target ? spec.horizon ?? 1 : 0;
  const deltas = spec.deltas === true;
  const width = values.length * (1 + lags + (deltas ? 1 : 0) + stats.length);
  const x = new Float64Array(Math.max(0, n - reach) * width);
  const y = targets ? new Float64Array(Math.max(0, n - reach)) : undefined;
  const source = new Int32Array(Math.max(0, n - reach));
  let count = 0;
  let notFinite = 0;
  let noTarget = 0;
  for (let i = reach; i < n; i++) {
    if (targets && i + horizon >= n) {
      noTarget++;
      continue;
    }
    let at = count * width;
    const rowStart = at;
    for (const v of values) {
      x[at++] = v[i]!;
      for (let k = 1; k <= lags; k++) x[at++] = v[i - k]!;
      if (deltas) x[at++] = v[i]! - v[i - 1]!;
      for (const s of stats) x[at++] = stat(v, i - window + 1, i + 1, s);
    }
    let finite = true;
    for (let j = rowStart; j < at && finite; j++) finite = Number.isFinite(x[j]!);
    const t = targets ? targets[i + horizon]! : 0;
    if (!finite || !Number.isFinite(t)) {
      notFinite++;
      continue;
    }
    if (y) y[count] = t;
    source[count++] = i;
  }
  return {
    width,
    count,
    x: x.subarray(0, count * width),
    ...(y ? { y: y.subarray(0, count) } : {}),
    source: source.subarray(0, count),
    dropped: { notFinite, warmup: Math.min(n, reach), noTarget },
  };
}

/** Each row's key as a small number (rows without the field share one), for keyedFeatureMatrix. */
export function keyIds(rows: readonly Record<string, unknown>[], by: string): Int32Array {
  const read = fieldReader(by);
  const ids = new Map<string, number>();
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = keyIdOf(ids, read(rows[i]!));
  return out;
}

/** A key value as the text keys are told apart by: its type and text (objects by their JSON), null and undefined alike. */
export function keyText(value: unknown): string {
  return value === undefined || value === null ? '\u0000null' : typeof value === 'object' ? JSON.stringify(value) : `${typeof value}:${String(value)}`;
}

/** The id of a key value: one id per distinct keyText. */
export function keyIdOf(ids: Map<string, number>, value: unknown): number {
  const text = keyText(value);
  let id = ids.get(text);
  if (id === undefined) {
    id = ids.size;
    ids.set(text, id);
  }
  return id;
}

/**
 * featureMatrix within each key: the rows of one key (in their order) are one sequence, and the feature rows come
 * back in the rows' order, with `source` indexing the input. Warm-up is counted per key.
 */
export function keyedFeatureMatrix(values: readonly ArrayLike<number>[], targets: ArrayLike<number> | undefined, keys: ArrayLike<number>, n: number, spec: FeatureSpec): FeatureMatrix {
  checkFeatureSpec(spec);
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    let list = members.get(keys[i]!);
    if (!list) members.set(keys[i]!, (list = []));
    list.push(i);
  }
  const perKey: { rows: number[]; m: FeatureMatrix }[] = [];
  let width = 0;
  let count = 0;
  const dropped = { notFinite: 0, warmup: 0, noTarget: 0 };
  for (const rows of members.values()) {
    const m = featureMatrix(
      values.map((v) => Float64Array.from(rows, (i) => v[i]!)),
      targets ? Float64Array.from(rows, (i) => targets[i]!) : undefined,
      rows.length,
      spec,
    );
    width = m.width;
    count += m.count;
    dropped.notFinite += m.dropped.notFinite;
    dropped.warmup += m.dropped.warmup;
    dropped.noTarget += m.dropped.noTarget;
    perKey.push({ rows, m });
  }
  // Back into the rows' order: a merge of the keys' feature rows by the input index they describe.
  const order: { key: number; at: number; source: number }[] = [];
  perKey.forEach(({ rows, m }, key) => {
    for (let j = 0; j < m.count; j++) order.push({ key, at: j, source: rows[m.source[j]!]! });
  });
  order.sort((a, b) => a.source - b.source);
  const x = new Float64Array(count * width);
  const y = targets ? new Float64Array(count) : undefined;
  const source = new Int32Array(count);
  order.forEach((o, k) => {
    const m = perKey[o.key]!.m;
    x.set(m.x.subarray(o.at * width, (o.at + 1) * width), k * width);
    if (y) y[k] = m.y![o.at]!;
    source[k] = o.source;
  });
  return { width: width || featureWidth(spec, values.length), count, x, ...(y ? { y } : {}), source, dropped };
}

function featureWidth(spec: FeatureSpec, columns: number): number {
  return columns * (1 + (spec.lags ?? 0) + (spec.deltas ? 1 : 0) + (spec.rolling ? (spec.rolling.stats ?? ['mean', 'std']).length : 0));
}

/** Rows a stream must keep from before a batch so its first row has all its lags and windows. */
export function featureReach(spec: FeatureSpec): number {
  return Math.max(spec.lags ?? 0, spec.deltas ? 1 : 0, spec.rolling ? spec.rolling.window - 1 : 0);
}

/** Features a row may have: far beyond a useful model on this hardware, far below what runs a process out of memory. */
const MAX_FEATURES = 10_000;

export function checkFeatureSpec(spec: FeatureSpec): void {
  if (!Array.isArray(spec.columns) || spec.columns.length === 0) throw new StreamlabError('a feature spec needs at least one column', "e.g. { columns: ['value'] }");
  const lags = spec.lags ?? 0;
  if (!Number.isInteger(lags) || lags < 0) throw new StreamlabError(`lags must be a whole number >= 0, got ${lags}`);
  if (spec.rolling && !(Number.isInteger(spec.rolling.window) && spec.rolling.window >= 2)) throw new StreamlabError(`a rolling window needs at least 2 rows, got ${spec.rolling.window}`);
  const perColumn = 1 + lags + (spec.deltas ? 1 : 0) + (spec.rolling ? (spec.rolling.stats ?? ['mean', 'std']).length : 0);
  const width = spec.columns.length * perColumn;
  if (width > MAX_FEATURES) throw new StreamlabError(`the spec makes ${width} features a row (${spec.columns.length} columns x ${perColumn}), more than ${MAX_FEATURES}`, 'use fewer lags or columns');
  if (spec.by !== undefined && (typeof spec.by !== 'string' || spec.by === '')) throw new StreamlabError('by must be a field name', "e.g. by: 'sensor'");
  if (spec.by !== undefined && spec.target !== undefined && (spec.horizon ?? 1) > 0) {
    // A live forecaster decides a row once the row `horizon` later arrives; per key that can be any time later,
    // which the scorer's bounded look-back cannot promise.
    throw new StreamlabError("per-key features (by) work with the autoencoder and the classifier, not yet with a forecaster's horizon", 'train one forecaster per key on its rows, or drop by');
  }
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

function stat(v: ArrayLike<number>, from: number, to: number, s: RollingStat): number {
  const n = to - from;
  if (s === 'min' || s === 'max') {
    let best = v[from]!;
    for (let i = from + 1; i < to; i++) best = s === 'min' ? Math.min(best, v[i]!) : Math.max(best, v[i]!);
    return best;
  }
  let sum = 0;
  for (let i = from; i < to; i++) sum += v[i]!;
  const mean = sum / n;
  if (s === 'mean') return mean;
  let sq = 0;
  for (let i = from; i < to; i++) sq += (v[i]! - mean) ** 2;
  return Math.sqrt(sq / n);
}

/** Standardises features with the mean and spread of the rows it was fitted to (the training rows only). */
export class StandardScaler {
  constructor(
    readonly mean: number[],
    readonly std: number[],
  ) {}

  static fit(x: readonly number[][], names?: readonly string[]): StandardScaler {
    if (x.length === 0) throw new StreamlabError('cannot fit a scaler to no rows', 'load more history, or check the NaN rule\'s dropped counts');
    const n = x[0]!.length;
    const mean = Array.from({ length: n }, (_, j) => {
      const plain = x.reduce((a, r) => a + r[j]!, 0) / x.length;
      // Values near Number.MAX_VALUE overflow the sum: then each is divided first.
      return Number.isFinite(plain) ? plain : x.reduce((a, r) => a + r[j]! / x.length, 0);
    });
    // A constant feature keeps spread 1, so it scales to 0 instead of dividing by zero.
    const std = mean.map((m, j) => {
      const plain = Math.sqrt(x.reduce((a, r) => a + (r[j]! - m) ** 2, 0) / x.length);
      if (Number.isFinite(plain)) return plain || 1;
      // Squares of values near 1e200 overflow: the spread is taken in units of the largest deviation.
      const scale = x.reduce((a, r) => Math.max(a, Math.abs(r[j]! - m)), 0);
      return scale * Math.sqrt(x.reduce((a, r) => a + ((r[j]! - m) / scale) ** 2, 0) / x.length) || 1;
    });
    const bad = mean.findIndex((m, j) => !Number.isFinite(m) || !Number.isFinite(std[j]!));
    if (bad >= 0) throw new StreamlabError(`feature ${names?.[bad] ?? bad + 1} has values too large to scale (mean ${mean[bad]}, spread ${std[bad]})`, 'rescale the column (e.g. to other units) before training');
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
