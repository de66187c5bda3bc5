/** NAB figures per category (the part of a data set's path before '/'), normalised on each category's own files. */
import { STANDARD_PROFILE, type NabProfile } from './sweep';

/** What a category's figures are made of: one scored file. */
export interface CategoryFile {
  readonly dataSet: string;
  readonly score: number;
  /** Scored windows (not wholly inside the probationary period). */
  readonly windows: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  /** Per-row VUS-PR; null when undefined (no anomalies) or unknown (published per-file scores). */
  readonly vusPr?: number | null;
}

export interface CategoryScore {
  readonly category: string;
  readonly files: number;
  readonly windows: number;
  /** Sum of the files' raw scores. */
  readonly score: number;
  /** -A_fn per scored window, and A_tp per scored window. */
  readonly nullScore: number;
  readonly perfectScore: number;
  /** 100 (score - null) / (perfect - null) on this category's files; null when it has no scored window. */
  readonly normalized: number | null;
  /** Mean VUS-PR over the category's files that have one; null when none has. */
  readonly vusPr: number | null;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

/** `realKnownCause/nyc_taxi.csv` -> `realKnownCause` (a path without '/' is its own category). */
export function categoryOf(dataSet: string): string {
  const slash = dataSet.indexOf('/');
  return slash < 0 ? dataSet : dataSet.slice(0, slash);
}

/** 100 (score - null) / (perfect - null), or null when there is no window to normalise by. */
export function normalizedScore(score: number, nullScore: number, perfectScore: number): number | null {
  return perfectScore === nullScore ? null : (100 * (score - nullScore)) / (perfectScore - nullScore);
}

/** The figures of a set of files taken together (a category, or all of them). */
export function summarize(name: string, files: readonly CategoryFile[], profile: NabProfile = STANDARD_PROFILE): CategoryScore {
  const sum = (pick: (f: CategoryFile) => number): number => files.reduce((a, f) => a + pick(f), 0);
  const windows = sum((f) => f.windows);
  const nullScore = -profile.fnWeight * windows;
  const perfectScore = profile.tpWeight * windows;
  const score = sum((f) => f.score);
  const vus = files.map((f) => f.vusPr).filter((v): v is number => typeof v === 'number');
  return {
    category: name,
    files: files.length,
    windows,
    score,
    nullScore,
    perfectScore,
    normalized: normalizedScore(score, nullScore, perfectScore),
    vusPr: vus.length === 0 ? null : vus.reduce((a, b) => a + b, 0) / vus.length,
    tp: sum((f) => f.tp),
    fp: sum((f) => f.fp),
    fn: sum((f) => f.fn),
    tn: sum((f) => f.tn),
  };
}

/** One CategoryScore per category of the files, in name order. */
export function byCategory(files: readonly CategoryFile[], profile: NabProfile = STANDARD_PROFILE): CategoryScore[] {
  const groups = new Map<string, CategoryFile[]>();
  for (const f of files) {
    const c = categoryOf(f.dataSet);
    groups.set(c, [...(groups.get(c) ?? []), f]);
  }
  return [...groups.keys()].sort().map((c) => summarize(c, groups.get(c)!, profile));
}
