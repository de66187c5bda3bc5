/**
 * The scoring core of a live stream: a batch's numeric columns in, verdicts out. Between batches it keeps the last
 * rows that lags, rolling windows and a forecaster's horizon reach back to, so a batch's first rows are scored as if
 * the stream were one array. Rows are numbered from the scorer's start (as doubles: a stream may run for years).
 * Numbers only, no row objects: the same core runs on the main thread and on a worker thread, where its input
 * arrives as transferred buffers.
 */
import { featureMatrix, featureReach, keyText, type FeatureSpec } from './features';

/**
 * Keys whose look-back a per-key scorer keeps (least recently seen first out, counted in keysEvicted): a stream of
 * ever-new keys (session ids) must not grow it without end. An evicted key that comes back warms up again.
 */
export const MAX_SCORED_KEYS = 100_000;
import { scoreMatrix, type TrainedModel } from './trainedModel';

export interface Verdicts {
  /** Row numbers (since the scorer started) decided by this batch, in order; a forecaster's lag behind by its horizon. */
  readonly rows: Float64Array;
  readonly scores: Float64Array;
}

/**
 * Key values to the numbers a ColumnScorer (maybe on a worker thread) keys its look-back by: equal values, equal
 * numbers. Numbers are never reused, and the least recently seen values are forgotten past MAX_SCORED_KEYS.
 */
export class KeyNumbering {
  private readonly ids = new Map<string, number>();
  private next = 0;

  idOf(value: unknown): number {
    const text = keyText(value);
    let id = this.ids.get(text);
    if (id !== undefined) {
      this.ids.delete(text);
    } else {
      id = this.next++;
      if (this.ids.size >= MAX_SCORED_KEYS) this.ids.delete(this.ids.keys().next().value!);
    }
    this.ids.set(text, id);
    return id;
  }
}

export class ColumnScorer {
  private readonly spec: FeatureSpec;
  private readonly reach: number;
  readonly horizon: number;
  private tail: Float64Array[];
  private tailTarget: Float64Array | undefined;
  /** Row number of the first row in the tail, and of the next row not yet decided. */
  private tailStart = 0;
  private nextRow = 0;
  /** Rows decided without a score: the NaN rule, and the rows before the first full lag or window. */
  dropped = 0;
  /** Per-key look-back (spec.by): each key's last rows, most recently seen last. */
  private readonly keyTails = new Map<number, { columns: Float64Array[]; target?: Float64Array }>();
  /** Keys whose look-back was dropped to stay within MAX_SCORED_KEYS. */
  keysEvicted = 0;

  constructor(readonly model: TrainedModel) {
    this.spec = model.spec;
    this.reach = featureReach(model.spec);
    this.horizon = model.spec.target ? model.spec.horizon ?? 1 : 0;
    this.tail = model.spec.columns.map(() => new Float64Array(0));
    this.tailTarget = model.spec.target ? new Float64Array(0) : undefined;
  }

  /** Keys with look-back held now (spec.by). */
  get keys(): number {
    return this.keyTails.size;
  }

  /**
   * Scores the next `n` rows, given as one array per spec column (and the target's, for a forecaster or classifier),
   * and with spec.by each row's key id (equal ids, equal keys).
   */
  score(columns: readonly Float64Array[], target: Float64Array | undefined, n: number, keys?: ArrayLike<number>): Verdicts {
    if (this.spec.by !== undefined) return this.scoreByKey(columns, target, n, keys);
    const kept = this.tail[0]!.length;
    const total = kept + n;
    const all = columns.map((c, k) => joined(this.tail[k]!, c, n));
    const allTarget = this.tailTarget ? joined(this.tailTarget, target ?? new Float64Array(n).fill(NaN), n) : undefined;
    const f = featureMatrix(all, allTarget, total, this.spec);
    const decidedUpTo = this.tailStart + total - this.horizon;
    // Feature rows of the tail were scored with the batch before; only rows not decided yet are scored now.
    let first = 0;
    while (first < f.count && this.tailStart + f.source[first]! < this.nextRow) first++;
    const scores = scoreMatrix(this.model, f.x.subarray(first * f.width), f.count - first, f.y?.subarray(first));
    const rows = new Float64Array(scores.length);
    for (let k = 0; k < rows.length; k++) rows[k] = this.tailStart + f.source[first + k]!;
    this.dropped += Math.max(0, decidedUpTo - this.nextRow) - rows.length;
    this.nextRow = Math.max(this.nextRow, decidedUpTo);
    const keep = Math.min(total, this.reach + this.horizon);
    this.tailStart += total - keep;
    this.tail = all.map((a) => a.slice(total - keep));
    this.tailTarget = allTarget?.slice(total - keep);
    return { rows, scores };
  }

  /** score() with spec.by: features within each key, from that key's own look-back; rows numbered in arrival order. */
  private scoreByKey(columns: readonly Float64Array[], target: Float64Array | undefined, n: number, keys: ArrayLike<number> | undefined): Verdicts {
    if (!keys || keys.length < n) throw new Error(`a per-key model (by '${this.spec.by}') scores rows with their keys`);
    const base = this.nextRow;
    this.nextRow += n;
    const groups = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      let list = groups.get(keys[i]!);
      if (!list) groups.set(keys[i]!, (list = []));
      list.push(i);
    }
    const parts: { x: Float64Array; rows: number[] }[] = [];
    let width = 0;
    let count = 0;
    for (const [key, members] of groups) {
      const tail = this.keyTails.get(key);
      const kept = tail ? tail.columns[0]!.length : 0;
      const all = columns.map((c, k) => gatherAfter(tail?.columns[k], c, members));
      const allTarget = this.spec.target ? gatherAfter(tail?.target, target ?? new Float64Array(n).fill(NaN), members) : undefined;
      const total = kept + members.length;
      const f = featureMatrix(all, allTarget, total, this.spec);
      // The look-back's own rows were decided with their batch; the key's new rows are decided now.
      let first = 0;
      while (first < f.count && f.source[first]! < kept) first++;
      const rows: number[] = [];
      for (let j = first; j < f.count; j++) rows.push(base + members[f.source[j]! - kept]!);
      width = f.width;
      count += rows.length;
      this.dropped += members.length - rows.length;
      parts.push({ x: f.x.subarray(first * f.width), rows });
      const keep = Math.min(total, this.reach);
      this.keyTails.delete(key);
      this.keyTails.set(key, { columns: all.map((a) => a.slice(total - keep)), ...(allTarget ? { target: allTarget.slice(total - keep) } : {}) });
    }
    while (this.keyTails.size > MAX_SCORED_KEYS) {
      this.keyTails.delete(this.keyTails.keys().next().value!);
      this.keysEvicted++;
    }
    // One pass through the network for the whole batch, then the verdicts in arrival order.
    const x = new Float64Array(count * width);
    const y = this.spec.target ? new Float64Array(count) : undefined;
    const rowOf = new Float64Array(count);
    let at = 0;
    for (const p of parts) {
      x.set(p.x, at * width);
      for (const r of p.rows) {
        if (y) y[at] = target![r - base]!;
        rowOf[at++] = r;
      }
    }
    const scores = scoreMatrix(this.model, x, count, y);
    const order = Array.from(rowOf.keys()).sort((a, b) => rowOf[a]! - rowOf[b]!);
    return { rows: Float64Array.from(order, (k) => rowOf[k]!), scores: Float64Array.from(order, (k) => scores[k]!) };
  }
}

/** A key's look-back followed by the batch's values at `members`. */
function gatherAfter(tail: Float64Array | undefined, values: Float64Array, members: readonly number[]): Float64Array {
  const kept = tail?.length ?? 0;
  const out = new Float64Array(kept + members.length);
  if (tail) out.set(tail);
  for (let j = 0; j < members.length; j++) out[kept + j] = values[members[j]!]!;
  return out;
}

function joined(tail: Float64Array, next: Float64Array, n: number): Float64Array {
  if (tail.length === 0) return next.length === n ? next : next.subarray(0, n);
  const out = new Float64Array(tail.length + n);
  out.set(tail);
  out.set(next.subarray(0, n), tail.length);
  return out;
}
