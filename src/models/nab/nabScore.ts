/** Scores a NAB results directory: each file's raw score and counts, the corpus total, and the normalised score. */
import { StreamlabError } from '../../errors';
import { findResults, readSeries, readWindows, type NabWindows } from './nabFiles';
import { STANDARD_PROFILE, scoreAt, sweepFile, sweepThresholds, windowRows, type Counts, type NabProfile, type SweepRow } from './sweep';

export interface FileScore extends Counts {
  readonly dataSet: string;
  readonly detector: string;
  readonly rows: number;
  readonly windows: number;
  readonly score: number;
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
}

export interface ScoreOptions {
  /** A detection is a row with anomaly_score >= threshold. Omit to pick the threshold that maximises the total. */
  readonly threshold?: number;
  readonly profile?: NabProfile;
}

interface Swept {
  dataSet: string;
  detector: string;
  rows: SweepRow[];
  windows: number;
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
    return { dataSet: f.dataSet, detector: f.detector, rows, windows: scored.size };
  });
  const optimized = options.threshold === undefined;
  const threshold = optimized ? bestThreshold(swept.flatMap((s) => s.rows), profile) : options.threshold!;
  const perFile = swept.map((s): FileScore => {
    const { score, tp, fp, fn, tn } = scoreAt(s.rows, threshold, profile);
    return { dataSet: s.dataSet, detector: s.detector, rows: s.rows.length, windows: s.windows, score, tp, fp, fn, tn };
  });
  const sum = (pick: (f: FileScore) => number): number => perFile.reduce((a, f) => a + pick(f), 0);
  const windowCount = sum((f) => f.windows);
  const nullScore = -profile.fnWeight * windowCount;
  const perfectScore = profile.tpWeight * windowCount;
  const score = sum((f) => f.score);
  const covered = new Set(perFile.map((f) => f.dataSet));
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
