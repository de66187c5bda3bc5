/**
 * The scoring core of a live stream: a batch's numeric columns in, verdicts out. Between batches it keeps the last
 * rows that lags, rolling windows and a forecaster's horizon reach back to, so a batch's first rows are scored as if
 * the stream were one array. Rows are numbered from the scorer's start (as doubles: a stream may run for years).
 * Numbers only, no row objects: the same core runs on the main thread and on a worker thread, where its input
 * arrives as transferred buffers.
 */
import { featureMatrix, featureReach, type FeatureSpec } from './features';
import { scoreMatrix, type TrainedModel } from './trainedModel';

export interface Verdicts {
  /** Row numbers (since the scorer started) decided by this batch, in order; a forecaster's lag behind by its horizon. */
  readonly rows: Float64Array;
  readonly scores: Float64Array;
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

  constructor(readonly model: TrainedModel) {
    this.spec = model.spec;
    this.reach = featureReach(model.spec);
    this.horizon = model.spec.target ? model.spec.horizon ?? 1 : 0;
    this.tail = model.spec.columns.map(() => new Float64Array(0));
    this.tailTarget = model.spec.target ? new Float64Array(0) : undefined;
  }

  /** Scores the next `n` rows, given as one array per spec column (and the target's, for a forecaster or classifier). */
  score(columns: readonly Float64Array[], target: Float64Array | undefined, n: number): Verdicts {
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
}

function joined(tail: Float64Array, next: Float64Array, n: number): Float64Array {
  if (tail.length === 0) return next.length === n ? next : next.subarray(0, n);
  const out = new Float64Array(tail.length + n);
  out.set(tail);
  out.set(next.subarray(0, n), tail.length);
  return out;
}
