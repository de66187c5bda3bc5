/**
 * NAB's scoring function (Lavin and Ahmad 2015, "Evaluating real-time anomaly detection algorithms - the Numenta
 * Anomaly Benchmark"), re-implemented from its definition as the NAB repository's sweeper applies it:
 *
 * - the first 15 % of a file (at most 750 rows) is a probationary period: rows there are never scored;
 * - every row gets a weight by where it sits: inside a labelled window, the scaled sigmoid of its position (earlier is
 *   worth more, normalised so the window's first row is worth exactly A_tp); outside, A_fp times the scaled sigmoid of
 *   its distance past the preceding window (in window widths), or -A_fp when no window precedes it;
 * - a window scores its earliest detection's weight (the maximum, since weights fall through a window) or -A_fn when
 *   nothing in it is detected; every detection outside windows adds its (negative) weight.
 */
import { StreamlabError } from '../../errors';

/** Weights of a NAB application profile. A_fp is stored as a positive number; its rows' weights are negative. */
export interface NabProfile {
  readonly name: string;
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
  readonly tnWeight: number;
}

/** NAB's standard profile: A_tp 1, A_fp -0.11, A_fn -1, A_tn 1. */
export const STANDARD_PROFILE: NabProfile = { name: 'standard', tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 };

/** NAB's probationary fraction. */
export const PROBATION_FRACTION = 0.15;

/** Rows never scored at the start of a file: 15 % of it, capped at 15 % of 5000 rows (750), as NAB does. */
export function probationLength(rows: number, fraction = PROBATION_FRACTION): number {
  return Math.min(Math.floor(fraction * rows), fraction * 5000);
}

/** 2 / (1 + e^(5y)) - 1: +0.987 at the left edge of a window (y = -1), 0 at its right edge, -1 from y = 3 on. */
export function scaledSigmoid(position: number): number {
  if (position >= 3) return -1;
  return 2 / (1 + Math.exp(5 * position)) - 1;
}

/** One row of a file, weighted for scoring. */
export interface SweepRow {
  readonly score: number;
  /** What detecting this row contributes: a window's candidate TP weight, or an FP's (negative) weight. */
  readonly weight: number;
  /** Index of the window the row is in (unique across a corpus once offset by the caller), or -1 outside windows. */
  readonly window: number;
  readonly probation: boolean;
}

/** A labelled window, as row indices into its file (inclusive). */
export interface RowWindow {
  readonly first: number;
  readonly last: number;
}

/**
 * Windows as row indices. A window's edges must be timestamps of the file (NAB's windows are cut at rows); the first
 * row with the edge's timestamp is the edge, as in NAB.
 */
export function windowRows(times: readonly number[], windows: readonly (readonly [number, number])[], where: string): RowWindow[] {
  const firstIndex = new Map<number, number>();
  times.forEach((t, i) => {
    if (!firstIndex.has(t)) firstIndex.set(t, i);
  });
  const out: RowWindow[] = [];
  for (const [start, end] of [...windows].sort((a, b) => a[0] - b[0])) {
    const first = firstIndex.get(start);
    const last = firstIndex.get(end);
    if (first === undefined || last === undefined || last < first) {
      const edge = new Date(first === undefined ? start : end).toISOString().replace('T', ' ').replace('.000Z', '');
      throw new StreamlabError(`window edge ${edge} is not a timestamp of ${where}`, 'use the windows file that labels this data set (NAB labels/combined_windows.json)');
    }
    const previous = out[out.length - 1];
    if (previous && first <= previous.last) throw new StreamlabError(`windows overlap in ${where} at row ${first}`, 'merge overlapping windows in the windows file');
    out.push({ first, last });
  }
  return out;
}

/** Weights every row of one file. `windowBase` numbers this file's windows after those of files before it. */
export function sweepFile(scores: readonly number[], windows: readonly RowWindow[], profile: NabProfile, windowBase = 0): SweepRow[] {
  const probation = probationLength(scores.length);
  const maxTp = scaledSigmoid(-1);
  const rows: SweepRow[] = [];
  let next = 0; // next window to enter
  let previous: RowWindow | undefined; // last window left behind
  for (let i = 0; i < scores.length; i++) {
    const current = windows[next];
    const inside = current !== undefined && i >= current.first && i <= current.last;
    let weight: number;
    if (inside) {
      const width = current.last - current.first + 1;
      // Position -(rows to the right edge + 1) / width: -1 at the first row, just below 0 at the last.
      weight = (scaledSigmoid(-(current.last - i + 1) / width) * profile.tpWeight) / maxTp;
    } else {
      const past = previous === undefined ? 3 : Math.abs(previous.last - i) / (previous.last - previous.first);
      weight = scaledSigmoid(past) * profile.fpWeight;
    }
    rows.push({ score: scores[i]!, weight, window: inside ? windowBase + next : -1, probation: i < probation });
    if (inside && i === current.last) {
      previous = current;
      next++;
    }
  }
  return rows;
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface ThresholdScore extends Counts {
  readonly threshold: number;
  readonly score: number;
}

/** Score of weighted rows when every row with score >= threshold is a detection. Probationary rows do not count. */
export function scoreAt(rows: readonly SweepRow[], threshold: number, profile: NabProfile): ThresholdScore {
  const best = new Map<number, number>(); // window -> its earliest detection's weight, or -A_fn
  const counts: Counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  let fpScore = 0;
  for (const row of rows) {
    if (row.probation) continue;
    const detected = row.score >= threshold;
    if (row.window >= 0) {
      const sofar = best.get(row.window) ?? -profile.fnWeight;
      if (detected) {
        counts.tp++;
        best.set(row.window, Math.max(sofar, row.weight));
      } else {
        counts.fn++;
        best.set(row.window, sofar);
      }
    } else if (detected) {
      counts.fp++;
      fpScore += row.weight;
    } else counts.tn++;
  }
  let score = fpScore;
  for (const s of best.values()) score += s;
  return { threshold, score, ...counts };
}

/**
 * Every distinct threshold's score in one pass, highest threshold first: rows are taken in falling score order, each
 * becoming a detection in turn (NAB's sweep). The first entry (threshold above every score) detects nothing.
 */
export function sweepThresholds(rows: readonly SweepRow[], profile: NabProfile): ThresholdScore[] {
  const scorable = rows.filter((r) => !r.probation).sort((a, b) => b.score - a.score);
  const best = new Map<number, number>();
  for (const r of scorable) if (r.window >= 0) best.set(r.window, -profile.fnWeight);
  let windowSum = -profile.fnWeight * best.size;
  let fpScore = 0;
  const counts: Counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const r of scorable) r.window >= 0 ? counts.fn++ : counts.tn++;
  const out: ThresholdScore[] = [];
  const top = scorable.length > 0 ? scorable[0]!.score : 0;
  let threshold = Math.max(1.1, top + 1);
  for (const r of scorable) {
    if (r.score !== threshold) {
      out.push({ threshold, score: windowSum + fpScore, ...counts });
      threshold = r.score;
    }
    if (r.window >= 0) {
      counts.tp++;
      counts.fn--;
      const old = best.get(r.window)!;
      if (r.weight > old) {
        windowSum += r.weight - old;
        best.set(r.window, r.weight);
      }
    } else {
      counts.fp++;
      counts.tn--;
      fpScore += r.weight;
    }
  }
  out.push({ threshold, score: windowSum + fpScore, ...counts });
  return out;
}
