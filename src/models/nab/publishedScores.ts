/**
 * NAB's published per-file scores (`results/<detector>/<detector>_standard_scores.csv`, columns
 * Detector,Profile,File,Threshold,Score,TP,TN,FP,FN,Total_Count) as the same per-category figures our own results get:
 * raw = the sum of the files' Score, null = -A_fn and perfect = +A_tp per scored window (a window wholly inside the
 * probationary period is not scored), normalised = 100 (raw - null) / (perfect - null) on those files.
 *
 * VUS-PR cannot be computed from these: it needs every row's score, and the published files hold one score per file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StreamlabError, oneLineMessage } from '../../errors';
import { byCategory, summarize, type CategoryFile, type CategoryScore } from './categories';
import { readSeries, type NabWindows } from './nabFiles';
import { STANDARD_PROFILE, probationLength, windowRows } from './sweep';

/** Why published detectors have no VUS-PR, for reports. */
export const PUBLISHED_VUS_NOTE = 'VUS-PR needs per-row scores; published per-file scores have none';

/** The four detectors whose published scores the NAB development corpus holds, by file stem, with display names. */
export const PUBLISHED_DETECTORS: readonly { readonly detector: string; readonly name: string }[] = [
  { detector: 'ARTime', name: 'ARTime' },
  { detector: 'numenta', name: 'Numenta HTM' },
  { detector: 'contextOSE', name: 'CAD OSE' },
  { detector: 'windowedGaussian', name: 'Windowed Gaussian' },
];

/** A detector's display name: 'Numenta HTM' for numenta, and so on; other names as they are. */
export function detectorDisplayName(detector: string): string {
  return PUBLISHED_DETECTORS.find((d) => d.detector === detector)?.name ?? detector;
}

export interface PublishedFile extends CategoryFile {
  readonly threshold: number;
  /** Whether the windows were checked against the probationary period (the data CSV was found). */
  readonly probationChecked: boolean;
}

export interface PublishedScore {
  readonly detector: string;
  /** Display name ('Numenta HTM' for numenta). */
  readonly name: string;
  readonly profile: string;
  readonly source: string;
  /** The Threshold column's distinct values (NAB's corpus-optimised threshold of the detector: one value). */
  readonly thresholds: number[];
  readonly files: PublishedFile[];
  readonly categories: CategoryScore[];
  /** All the files together. */
  readonly all: CategoryScore;
  /** Always null: see PUBLISHED_VUS_NOTE. */
  readonly vusPr: null;
  readonly vusPrNote: string;
  /** Data sets whose data CSV was not under the NAB directory: all their windows counted, probation unchecked. */
  readonly unchecked: string[];
}

const COLUMNS = ['Detector', 'Profile', 'File', 'Threshold', 'Score', 'TP', 'TN', 'FP', 'FN'] as const;

const scoredCache = new Map<string, number>();

/**
 * Windows of a data set that NAB scores: those not wholly inside the probationary period, found from the data CSV
 * under `nabDir` (`<nabDir>/<category>/<file>.csv`); undefined when that file is absent.
 */
export function scoredWindowCount(nabDir: string, dataSet: string, limits: readonly (readonly [number, number])[]): number | undefined {
  if (limits.length === 0) return 0;
  const file = path.join(nabDir, dataSet);
  const key = `${file}\n${JSON.stringify(limits)}`;
  const cached = scoredCache.get(key);
  if (cached !== undefined) return cached;
  if (!fs.existsSync(file)) return undefined;
  const { times } = readSeries(file, false);
  const probation = probationLength(times.length);
  const count = windowRows(times, limits, dataSet).filter((w) => w.last >= probation).length;
  scoredCache.set(key, count);
  return count;
}

/**
 * The NAB directory holding a published file's data: `<dir>` for `<dir>/results/<file>.csv`, else `fallback`.
 */
export function publishedDataDir(file: string, fallback: string): string {
  const dir = path.dirname(path.resolve(file));
  return path.basename(dir) === 'results' ? path.dirname(dir) : fallback;
}

/** Reads a published `<detector>_standard_scores.csv` into per-file and per-category figures. */
export function readPublishedScores(file: string, windows: NabWindows, nabDir: string, windowsFile = 'the windows file'): PublishedScore {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new StreamlabError(`cannot read published scores ${file}`, 'pass a NAB results/<detector>_standard_scores.csv');
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const at = Object.fromEntries(
    COLUMNS.map((name) => {
      const i = header.indexOf(name);
      if (i < 0) throw new StreamlabError(`${file} has no '${name}' column (header: ${oneLineMessage(lines[0] ?? '', 80)})`, `NAB's published scores have ${COLUMNS.join(',')},Total_Count`);
      return [name, i];
    }),
  ) as Record<(typeof COLUMNS)[number], number>;
  const detectors = new Set<string>();
  const profiles = new Set<string>();
  const seen = new Set<string>();
  const unchecked: string[] = [];
  const files: PublishedFile[] = [];
  for (let n = 1; n < lines.length; n++) {
    if (lines[n]!.trim() === '') continue;
    const cells = lines[n]!.split(',').map((c) => c.trim());
    const where = `${file} line ${n + 1}`;
    const dataSet = cells[at.File] ?? '';
    if (dataSet === 'Totals') continue; // NAB's own files end with the corpus totals
    const number = (name: (typeof COLUMNS)[number]): number => {
      const v = Number(cells[at[name]] ?? '');
      if (cells[at[name]] === undefined || cells[at[name]] === '' || !Number.isFinite(v)) throw new StreamlabError(`${where}: ${name} '${oneLineMessage(cells[at[name]] ?? '', 40)}' is not a number`, 'fix the line or use the published file as NAB wrote it');
      return v;
    };
    const profile = cells[at.Profile] ?? '';
    if (profile !== STANDARD_PROFILE.name) throw new StreamlabError(`${where}: profile '${oneLineMessage(profile, 40)}' is not '${STANDARD_PROFILE.name}'`, 'pass a <detector>_standard_scores.csv (only the standard profile is supported)');
    profiles.add(profile);
    const detector = cells[at.Detector] ?? '';
    const first = [...detectors][0];
    if (first !== undefined && detector !== first) throw new StreamlabError(`${where}: detector '${oneLineMessage(detector, 40)}' is not '${first}' of the lines above`, 'pass one file per detector');
    detectors.add(detector);
    const limits = windows.get(dataSet);
    if (!limits) throw new StreamlabError(`${where}: data set '${oneLineMessage(dataSet, 80)}' is not in ${windowsFile}`, 'pass the combined_windows.json that labels these files with --windows FILE');
    if (seen.has(dataSet)) throw new StreamlabError(`${where}: data set '${dataSet}' is scored twice`, 'keep one line per data set');
    seen.add(dataSet);
    const checked = scoredWindowCount(nabDir, dataSet, limits);
    if (checked === undefined) unchecked.push(dataSet);
    files.push({
      dataSet,
      threshold: number('Threshold'),
      score: number('Score'),
      tp: number('TP'),
      tn: number('TN'),
      fp: number('FP'),
      fn: number('FN'),
      windows: checked ?? limits.length,
      probationChecked: checked !== undefined,
      vusPr: null,
    });
  }
  if (files.length === 0) throw new StreamlabError(`${file} has no scored files`, 'pass a NAB results/<detector>_standard_scores.csv');
  const detector = [...detectors][0]!;
  return {
    detector,
    name: detectorDisplayName(detector),
    profile: [...profiles][0]!,
    source: file,
    thresholds: [...new Set(files.map((f) => f.threshold))],
    files,
    categories: byCategory(files),
    all: summarize('all', files),
    vusPr: null,
    vusPrNote: PUBLISHED_VUS_NOTE,
    unchecked,
  };
}

/** A published detector's figures on a subset of its files, and the requested data sets it has no score for. */
export function publishedOn(p: PublishedScore, dataSets: readonly string[]): { categories: CategoryScore[]; all: CategoryScore; missing: string[] } {
  const wanted = new Set(dataSets);
  const files = p.files.filter((f) => wanted.has(f.dataSet));
  const have = new Set(files.map((f) => f.dataSet));
  return { categories: byCategory(files), all: summarize('all', files), missing: dataSets.filter((d) => !have.has(d)) };
}
