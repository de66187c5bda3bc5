/**
 * Scores a NAB results directory: each file's raw score, counts and VUS-PR, the figures per category (normalised on the
 * category's own files), the corpus total, and the normalised score.
 */
import { StreamlabError } from '../../errors';
import { byCategory, type CategoryScore } from './categories';
import { findResults, readSeries, readWindows, type NabWindows } from './nabFiles';
import { STANDARD_PROFILE, scoreAt, sweepFile, sweepThresholds, windowRows, type Counts, type NabProfile, type SweepRow } from './sweep';
import { rowLabels, vusPr, type VusOptions } from './vusPr';

export interface FileScore extends Counts {
  readonly dataSet: string;
  readonly detector: string;
  readonly rows: number;
  readonly windows: number;
  readonly score: number;
  /** VUS-PR over all the file's rows (labels: inside a window); null when the file has no window (undefined). */
  readonly vusPr: number | null;
}

export interface CorpusScore extends Counts {
  readonly profile: string;
  readonly threshold: number;
  readonly optimized: boolean;
  readonly files: FileScore[];
  /** Sum of the files' raw scores. */
  readonly score: number;
  /** The null detector (detects nothing) and the perfect one (detects each window's first row) on these files. */
  readonly nullScore: number;
  readonly perfectScore: number;
  /** 100 (score - null) / (perfect - null): NAB's scoreboard figure when the files are the whole corpus. */
  readonly normalized: number;
  /** Whether the files cover every data set of the windows file (only then is `normalized` NAB's figure). */
  readonly fullCorpus: boolean;
  /** Per category (the part of dataSet before '/'), at the corpus threshold, normalised on the category's files. */
  readonly categories: CategoryScore[];
  /** Mean VUS-PR over the files that have one (each file counts once); null when no file has anomalies. */
  readonly vusPr: number | null;
}

export interface ScoreOptions {
  /** A detection is a row with anomaly_score >= threshold. Omit to pick the threshold that maximises the total. */
  readonly threshold?: number;
  readonly profile?: NabProfile;
  /** VUS-PR's buffer and thresholds (defaults: TSB-AD's, see vusPr.ts). */
  readonly vus?: VusOptions;
}

interface Swept {
  dataSet: string;
  detector: string;
  rows: SweepRow[];
  windows: number;
  vusPr: number | null;
}

/** Scores loaded series; the core of `streamlab nab score`, kept free of files for tests. */
export function scoreSeries(
  files: readonly { dataSet: string; detector: string; times: number[]; scores: number[] }[],
  windows: NabWindows,
  options: ScoreOptions = {},
): CorpusScore {
  const profile = options.profile ?? STANDARD_PROFILE;
  let base = 0;
  const swept: Swept[] = files.map((f) => {
    const limits = windows.get(f.dataSet);
    if (!limits) throw new StreamlabError(`no windows for ${f.dataSet}`, 'use the windows file that labels this data set');
    const rowWindows = windowRows(f.times, limits, f.dataSet);
    const rows = sweepFile(f.scores, rowWindows, profile, base);
    base += rowWindows.length;
    // Windows wholly inside the probationary period are not scored, as in NAB.
    const scored = new Set(rows.filter((r) => !r.probation && r.window >= 0).map((r) => r.window));
    // VUS-PR is threshold-free and per row: every row counts, the probationary ones too (as TSB-AD scores a series).
    const vus = rowWindows.length === 0 ? null : vusPr(rowLabels(f.scores.length, rowWindows), f.scores, options.vus);
    return { dataSet: f.dataSet, detector: f.detector, rows, windows: scored.size, vusPr: vus };
  });
  const optimized = options.threshold === undefined;
  const threshold = optimized ? bestThreshold(swept.flatMap((s) => s.rows), profile) : options.threshold!;
  const perFile = swept.map((s): FileScore => {
    const { score, tp, fp, fn, tn } = scoreAt(s.rows, threshold, profile);
    return { dataSet: s.dataSet, detector: s.detector, rows: s.rows.length, windows: s.windows, score, tp, fp, fn, tn, vusPr: s.vusPr };
  });
  const sum = (pick: (f: FileScore) => number): number => perFile.reduce((a, f) => a + pick(f), 0);
  const windowCount = sum((f) => f.windows);
  const nullScore = -profile.fnWeight * windowCount;
  const perfectScore = profile.tpWeight * windowCount;
  const score = sum((f) => f.score);
  const covered = new Set(perFile.map((f) => f.dataSet));
  const vus = perFile.map((f) => f.vusPr).filter((v): v is number => v !== null);
  return {
    profile: profile.name,
    threshold,
    optimized,
    files: perFile,
    score,
    tp: sum((f) => f.tp),
    fp: sum((f) => f.fp),
    fn: sum((f) => f.fn),
    tn: sum((f) => f.tn),
    nullScore,
    perfectScore,
    normalized: perfectScore === nullScore ? 0 : (100 * (score - nullScore)) / (perfectScore - nullScore),
    fullCorpus: [...windows.keys()].every((k) => covered.has(k)),
    categories: byCategory(perFile, profile),
    vusPr: vus.length === 0 ? null : vus.reduce((a, b) => a + b, 0) / vus.length,
  };
}

/** The threshold with the highest corpus score (the highest such threshold on ties, as NAB's optimiser picks). */
function bestThreshold(rows: SweepRow[], profile: NabProfile): number {
  let best = { threshold: 1.1, score: -Infinity };
  for (const t of sweepThresholds(rows, profile)) if (t.score > best.score) best = t;
  return best.threshold;
}

/** Reads and scores a results directory (NAB layout) against a windows file. */
export function scoreResultsDir(dir: string, windowsFile: string, options: ScoreOptions = {}): CorpusScore {
  const windows = readWindows(windowsFile);
  const files = findResults(dir, windows).map((r) => {
    const series = readSeries(r.path, true);
    return { dataSet: r.dataSet, detector: r.detector, times: series.times, scores: series.scores! };
  });
  return scoreSeries(files, windows, options);
}
