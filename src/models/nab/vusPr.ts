/**
 * VUS-PR: the Volume Under the Surface of the range-based precision-recall curve, a threshold-free accuracy measure
 * for time-series anomaly detection. Definition: J. Paparrizos, P. Boniol, T. Palpanas, R. S. Tsay, A. Elmore and
 * M. J. Franklin, "Volume Under the Surface: A New Accuracy Evaluation Measure for Time-Series Anomaly Detection",
 * PVLDB 15(11): 2774-2787, 2022; the headline measure of TSB-AD (Q. Liu and J. Paparrizos, "The Elephant in the Room:
 * Towards A Reliable Time-Series Anomaly Detection Benchmark", NeurIPS 2024 Datasets and Benchmarks). Re-implemented
 * from that definition, with the conventions of TSB-AD's evaluation so that figures are comparable:
 *
 * - labels are 0/1 per row; an anomaly range is a maximal run of 1s;
 * - buffer length l runs over 0, 1, ..., L with L = 2 x slidingWindow; each range gets floor(l/2) rows of soft labels
 *   on each side, a row at distance d from the range weighing sqrt(1 - d/l) (soft labels of neighbouring ranges add,
 *   capped at 1); a range and its buffers form an extended range, overlapping extended ranges merge;
 * - thresholds: the scores sorted once, falling; 250 thresholds at evenly spaced ranks (the rank floor(k (n-1) / 249),
 *   as TSB-AD samples them); a row is predicted when its score >= the threshold;
 * - at a threshold, TP = (predicted anomaly rows) + (soft labels of predicted buffer rows), P' = P + (those soft
 *   labels) / 2 with P the anomaly rows; recall = min(TP / P', 1) times the existence reward (the fraction of
 *   extended ranges holding a prediction); precision = TP / (predicted rows);
 * - AUC-PR(l) = sum over thresholds, highest first, of (recall_k - recall_{k-1}) precision_k (recall_{-1} = 0);
 * - VUS-PR = the mean of AUC-PR(l) over l = 0..L.
 *
 * With l = 0 there are no buffers; with one anomaly range the existence reward is 1 once anything in it is detected,
 * and AUC-PR(0) is the ordinary (step-wise, average-precision) AUC-PR at the sampled thresholds.
 *
 * Cost: one sort (n log n), then per buffer length only the rows of the extended ranges and the 250 thresholds are
 * visited: rows are bucketed once by the first sampled threshold that predicts them.
 */
import { StreamlabError } from '../../errors';

/**
 * TSB-AD's `get_metrics` default sliding window (100), so buffers reach up to 100 rows on each side of a range
 * (L = 200). TSB-AD's benchmark scripts pass a per-series period estimate instead; a fixed window keeps the measure a
 * function of (labels, scores) alone, with no period estimator to re-implement, and NAB's windows (10 % of a file
 * shared among its anomalies) are already wide, so a period-sized buffer would change little.
 */
export const VUS_SLIDING_WINDOW = 100;
/** TSB-AD's number of sampled thresholds. */
export const VUS_THRESHOLDS = 250;

export interface VusOptions {
  /** Buffers l = 0..2 x slidingWindow. Default VUS_SLIDING_WINDOW (100). */
  readonly slidingWindow?: number;
  /** Number of thresholds sampled at evenly spaced ranks of the sorted scores. Default 250. */
  readonly thresholds?: number;
}

/** Anomaly ranges [first, last] (inclusive row indices) of 0/1 labels. */
export function labelRanges(labels: ArrayLike<number>): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let i = 0; i < labels.length; i++) {
    const on = labels[i]! > 0;
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      out.push([start, i - 1]);
      start = -1;
    }
  }
  if (start >= 0) out.push([start, labels.length - 1]);
  return out;
}

/** The sampled thresholds and, per row, the first threshold (index) that predicts it. */
interface Buckets {
  /** predicted[k]: rows with score >= threshold k. */
  readonly predicted: Int32Array;
  /** bucket[i]: the first k whose threshold predicts row i. */
  readonly bucket: Int32Array;
}

function bucketize(scores: ArrayLike<number>, count: number): Buckets {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const rank = new Int32Array(n);
  order.forEach((row, r) => (rank[row] = r));
  // Thresholds at ranks floor(k (n-1) / (count-1)), the last at rank n-1 (the lowest score): every row is predicted.
  const predicted = new Int32Array(count);
  const step = count > 1 ? (n - 1) / (count - 1) : 0;
  for (let k = 0; k < count; k++) {
    let m = k === count - 1 ? n - 1 : Math.floor(k * step);
    const threshold = scores[order[m]!]!;
    while (m + 1 < n && scores[order[m + 1]!]! >= threshold) m++; // ties with the threshold are predicted too
    predicted[k] = m + 1;
  }
  // Rows ranked below predicted[k] are exactly those with score >= threshold k; predicted[] never falls.
  const bucket = new Int32Array(n);
  let k = 0;
  for (let r = 0; r < n; r++) {
    while (predicted[k]! <= r) k++;
    bucket[order[r]!] = k;
  }
  return { predicted, bucket };
}

/**
 * AUC-PR of the range-based PR curve for each buffer length l = 0..2 x slidingWindow (index l). Requires at least one
 * anomaly row; scores must be finite.
 */
export function rangeAucPrByBuffer(labels: ArrayLike<number>, scores: ArrayLike<number>, options: VusOptions = {}): number[] {
  const n = labels.length;
  if (scores.length !== n) throw new StreamlabError(`VUS-PR needs one score per label, got ${scores.length} scores for ${n} labels`, 'score every row');
  for (let i = 0; i < n; i++) if (!Number.isFinite(scores[i]!)) throw new StreamlabError(`VUS-PR: score of row ${i} is not a finite number`, 'a detector must score every row');
  const ranges = labelRanges(labels);
  if (ranges.length === 0) throw new StreamlabError('VUS-PR is undefined without anomalies', 'score a series that has labelled anomalies');
  const maxBuffer = 2 * Math.floor(options.slidingWindow ?? VUS_SLIDING_WINDOW);
  const count = Math.max(2, Math.floor(options.thresholds ?? VUS_THRESHOLDS));
  if (!(maxBuffer >= 0)) throw new StreamlabError('VUS-PR: slidingWindow must be >= 0', 'e.g. 100, as TSB-AD');
  const { predicted, bucket } = bucketize(scores, count);

  // Anomaly rows (P) predicted by each threshold: independent of the buffer.
  const anomalyHits = new Float64Array(count);
  let positives = 0;
  for (const [a, b] of ranges) {
    positives += b - a + 1;
    for (let i = a; i <= b; i++) anomalyHits[bucket[i]!]!++;
  }
  for (let k = 1; k < count; k++) anomalyHits[k]! += anomalyHits[k - 1]!;

  const soft = new Float64Array(n); // scratch: soft labels of buffer rows, reset after each buffer length
  const bufferHits = new Float64Array(count);
  const firstHit = new Float64Array(count);
  const out: number[] = [];
  for (let l = 0; l <= maxBuffer; l++) {
    const half = Math.floor(l / 2);
    bufferHits.fill(0);
    firstHit.fill(0);
    // Soft labels beside each range (not on anomaly rows, which are 1 already).
    const touched: number[] = [];
    for (const [a, b] of ranges) {
      for (let d = 1; d <= half; d++) {
        const before = a - d;
        const after = b + d;
        const w = Math.sqrt(1 - d / l);
        if (before >= 0 && !(labels[before]! > 0)) {
          if (soft[before] === 0) touched.push(before);
          soft[before] = Math.min(1, soft[before]! + w);
        }
        if (after < n && !(labels[after]! > 0)) {
          if (soft[after] === 0) touched.push(after);
          soft[after] = Math.min(1, soft[after]! + w);
        }
      }
    }
    for (const i of touched) {
      bufferHits[bucket[i]!]! += soft[i]!;
      soft[i] = 0;
    }
    // Extended ranges, merged when they overlap; each's first detection is the lowest bucket of its rows.
    let extended = 0;
    let start = Math.max(0, ranges[0]![0] - half);
    for (let r = 0; r < ranges.length; r++) {
      const end = ranges[r]![1] + half;
      const next = ranges[r + 1];
      if (next && end >= next[0] - half) continue; // overlaps the next one: merge
      let first = count;
      for (let i = start, last = Math.min(end, n - 1); i <= last; i++) if (bucket[i]! < first) first = bucket[i]!;
      firstHit[first]!++;
      extended++;
      if (next) start = next[0] - half;
    }
    let auc = 0;
    let previousRecall = 0;
    let buffer = 0;
    let existing = 0;
    for (let k = 0; k < count; k++) {
      buffer += bufferHits[k]!;
      existing += firstHit[k]!;
      const tp = anomalyHits[k]! + buffer;
      const recall = Math.min(tp / (positives + buffer / 2), 1) * (existing / extended);
      auc += (recall - previousRecall) * (tp / predicted[k]!);
      previousRecall = recall;
    }
    out.push(auc);
  }
  return out;
}

/** VUS-PR of 0/1 labels and scores (higher = more anomalous): the mean range-based AUC-PR over buffer lengths. */
export function vusPr(labels: ArrayLike<number>, scores: ArrayLike<number>, options: VusOptions = {}): number {
  const byBuffer = rangeAucPrByBuffer(labels, scores, options);
  return byBuffer.reduce((a, b) => a + b, 0) / byBuffer.length;
}

/** 0/1 labels of n rows from windows given as inclusive row ranges. */
export function rowLabels(n: number, windows: readonly { readonly first: number; readonly last: number }[]): Uint8Array {
  const labels = new Uint8Array(n);
  for (const w of windows) labels.fill(1, Math.max(0, w.first), Math.min(n, w.last + 1));
  return labels;
}
