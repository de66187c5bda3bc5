/**
 * `streamlab nab score RESULTS_DIR` scores detector results in NAB's layout (standard profile), per file and per
 * category, with VUS-PR beside NAB's score; `--compare` sets them beside NAB's published detectors, and `--published
 * FILE` reads a published `<detector>_standard_scores.csv` into the same per-category table. `streamlab nab detect
 * DATA_DIR --out RESULTS_DIR` runs a streamlab detector over NAB series replayed through the embedded broker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkHelp, parse } from './args';
import { table } from './topicsCommand';
import {
  PUBLISHED_DETECTORS,
  PUBLISHED_VUS_NOTE,
  StreamlabError,
  defaultNabDir,
  publishedDataDir,
  publishedOn,
  readPublishedScores,
  readWindows,
  scoreResultsDir,
  summarize,
  type CategoryScore,
  type CorpusScore,
  type PublishedScore,
} from '../src';

const USAGE =
  'streamlab nab score RESULTS_DIR [--windows FILE] [--threshold T | --optimize] [--compare] [--published FILE ...] [--json] | streamlab nab score --published FILE [--published FILE ...] [--json] | streamlab nab detect DATA_DIR [--detector NAME] --out RESULTS_DIR';

const ROOT = path.join(__dirname, '..', '..');
/** NAB's labels: data/nab/combined_windows.json in the repository (see defaultNabDir). */
export const DEFAULT_WINDOWS = path.join(defaultNabDir(ROOT), 'combined_windows.json');

export async function nabCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'score') return scoreCommand(rest);
  if (sub === 'detect') return import('./nabDetectCommand').then((m) => m.nabDetectCommand(rest));
  checkHelp(argv, USAGE);
  throw new StreamlabError(sub ? `unknown nab command '${sub}'` : 'nab needs a command', `usage: ${USAGE}`);
}

function scoreCommand(argv: string[]): void {
  const { values, positionals } = parse(
    argv,
    { windows: { type: 'string' }, threshold: { type: 'string' }, optimize: { type: 'boolean' }, json: { type: 'boolean' }, compare: { type: 'boolean' }, published: { type: 'string', multiple: true } },
    USAGE,
  );
  // A positional naming a .csv file is a published scores file, as with --published.
  const isPublished = (p: string): boolean => p.toLowerCase().endsWith('.csv') && !(fs.existsSync(p) && fs.statSync(p).isDirectory());
  const publishedFiles = [...(values.published ?? []), ...positionals.filter(isPublished)];
  const dirs = positionals.filter((p) => !isPublished(p));
  if (dirs.length > 1) throw new StreamlabError(`nab score takes one RESULTS_DIR, got ${dirs.length}: ${dirs.join(' ')}`, `usage: ${USAGE}`);
  const dir = dirs[0];
  if (!dir && values.compare) throw new StreamlabError('--compare needs a RESULTS_DIR to compare', `usage: ${USAGE}`);
  if (!dir && publishedFiles.length === 0) throw new StreamlabError('nab score needs a RESULTS_DIR or --published FILE', `usage: ${USAGE}`);
  if (values.threshold !== undefined && values.optimize) throw new StreamlabError('--threshold and --optimize exclude each other', 'give a threshold, or let --optimize find the best one');
  const windowsFile = values.windows ?? DEFAULT_WINDOWS;
  if (!dir) {
    if (values.threshold !== undefined || values.optimize) throw new StreamlabError('--threshold and --optimize apply to a RESULTS_DIR; published scores keep their own threshold', `usage: ${USAGE}`);
    const windows = readWindows(windowsFile);
    const published = publishedFiles.map((f) => readPublishedScores(f, windows, publishedDataDir(f, path.dirname(windowsFile)), windowsFile));
    process.stdout.write(values.json ? `${JSON.stringify(published, null, 2)}\n` : published.map(publishedReport).join('\n'));
    return;
  }
  let threshold: number | undefined;
  if (values.threshold !== undefined) {
    threshold = Number(values.threshold);
    if (!Number.isFinite(threshold)) throw new StreamlabError(`--threshold must be a number, got '${values.threshold}'`, 'NAB detectors score rows in [0, 1]; e.g. --threshold 0.5');
  }
  const result = scoreResultsDir(dir, windowsFile, { threshold });
  if (!values.compare && publishedFiles.length === 0) {
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : report(result));
    return;
  }
  const windows = readWindows(windowsFile);
  const files = publishedFiles.length > 0 ? publishedFiles : defaultPublished(windowsFile);
  const published = files.map((f) => readPublishedScores(f, windows, publishedDataDir(f, path.dirname(windowsFile)), windowsFile));
  if (values.json) {
    const dataSets = result.files.map((f) => f.dataSet);
    const json = { ours: result, published: published.map((p) => ({ detector: p.detector, name: p.name, source: p.source, thresholds: p.thresholds, vusPr: null, vusPrNote: p.vusPrNote, ...publishedOn(p, dataSets) })) };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else process.stdout.write(compareReport(result, published));
}

/**
 * The published scores to compare with: `results/<detector>_standard_scores.csv` of the four published detectors, in
 * the first NAB folder that has them: the windows file's folder, the default NAB directory, or the nearest
 * `shared/data/nab` above the repository (the NAB development corpus).
 */
function defaultPublished(windowsFile: string): string[] {
  const candidates = [path.dirname(path.resolve(windowsFile)), defaultNabDir(ROOT)];
  for (let dir = path.resolve(ROOT); ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'shared', 'data', 'nab'));
    if (path.dirname(dir) === dir) break;
  }
  for (const nab of candidates) {
    const found = PUBLISHED_DETECTORS.map((d) => path.join(nab, 'results', `${d.detector}_standard_scores.csv`)).filter((f) => fs.existsSync(f));
    if (found.length > 0) return found;
  }
  throw new StreamlabError(`no published scores in ${path.join(candidates[0]!, 'results')} or ${path.join(candidates[1]!, 'results')}`, 'pass --published FILE (a NAB <detector>_standard_scores.csv) or set STREAMLAB_NAB_DIR to a NAB folder with results/');
}

const fixed = (x: number): string => x.toFixed(2);
const normText = (x: number | null): string => (x === null ? 'n/a (no windows)' : fixed(x));
const vusText = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(2));

const SUBSET_NOTE = "Normalised per subset: 100 (raw - null) / (perfect - null) on each row's own files (null -1, perfect +1 per scored window).";

function categoryRows(categories: readonly CategoryScore[], all: CategoryScore, withVus: boolean): string[][] {
  const head = ['category', 'files', 'windows', 'raw', 'null', 'perfect', 'normalised', ...(withVus ? ['VUS-PR'] : [])];
  const row = (c: CategoryScore): string[] => [c.category, String(c.files), String(c.windows), fixed(c.score), fixed(c.nullScore), fixed(c.perfectScore), normText(c.normalized), ...(withVus ? [vusText(c.vusPr)] : [])];
  return [head, ...categories.map(row), row(all)];
}

/** The 'all' row of our results: the corpus figures, VUS-PR the mean over files. */
function oursAll(r: CorpusScore): CategoryScore {
  return { ...summarize('all', r.files), vusPr: r.vusPr };
}

function thresholdText(r: CorpusScore): string {
  return r.optimized ? `threshold ${r.threshold} (optimised for the total)` : `threshold ${r.threshold}`;
}

/** The scoreboard as text: one row per file, the total, the normalised score, and the figures per category. */
export function report(r: CorpusScore): string {
  const rows = [['file', 'detector', 'raw score', 'TP', 'FP', 'FN', 'TN', 'windows', 'VUS-PR']];
  for (const f of r.files) rows.push([f.dataSet, f.detector, f.score.toFixed(6), String(f.tp), String(f.fp), String(f.fn), String(f.tn), String(f.windows), vusText(f.vusPr)]);
  rows.push(['total', '', r.score.toFixed(6), String(r.tp), String(r.fp), String(r.fn), String(r.tn), String(r.files.reduce((a, f) => a + f.windows, 0)), vusText(r.vusPr)]);
  const norm = `normalised ${r.normalized.toFixed(2)} (null ${r.nullScore.toFixed(2)}, perfect ${r.perfectScore.toFixed(2)})`;
  const categories = `Per category, ${thresholdText(r)}.\n${SUBSET_NOTE}\nVUS-PR (threshold-free, as TSB-AD): mean over a category's files; n/a without anomalies.\n${table(categoryRows(r.categories, oursAll(r), true))}`;
  return `NAB ${r.profile} profile, ${thresholdText(r)}\n${table(rows)}${r.fullCorpus ? norm : `${norm} on these ${r.files.length} files, not the whole corpus`}\nVUS-PR ${vusText(r.vusPr)} (mean over files with anomalies)\n\n${categories}`;
}

/** A published detector's figures per category. */
export function publishedReport(p: PublishedScore): string {
  const unchecked = p.unchecked.length > 0 ? `\nData CSVs not found for ${p.unchecked.length} file(s): all their windows counted, probation unchecked.` : '';
  const caption = `${p.name} (${p.detector}): NAB's published ${p.profile}-profile scores (${p.source}), threshold ${p.thresholds.join(', ')}.\n${SUBSET_NOTE}\nVUS-PR: n/a (${PUBLISHED_VUS_NOTE}).${unchecked}`;
  return `${caption}\n${table(categoryRows(p.categories, p.all, false))}`;
}

/** Our results beside published detectors, one row per category of ours and an 'all' row. */
export function compareReport(r: CorpusScore, published: readonly PublishedScore[]): string {
  const dataSets = r.files.map((f) => f.dataSet);
  const theirs = published.map((p) => publishedOn(p, dataSets));
  const rows = [['category', 'files', 'ours raw', 'ours normalised', 'ours VUS-PR', ...published.map((p) => p.name)]];
  const cell = (c: CategoryScore | undefined, missing: number, of: number): string => (missing > 0 ? `n/a (${of - missing} of ${of} files)` : c ? normText(c.normalized) : 'n/a');
  const line = (c: CategoryScore, pick: (t: (typeof theirs)[number]) => CategoryScore | undefined, inRow: (d: string) => boolean): string[] => [
    c.category,
    String(c.files),
    fixed(c.score),
    normText(c.normalized),
    vusText(c.vusPr),
    ...theirs.map((t) => cell(pick(t), t.missing.filter(inRow).length, c.files)),
  ];
  for (const c of r.categories) rows.push(line(c, (t) => t.categories.find((x) => x.category === c.category), (d) => d.startsWith(`${c.category}/`)));
  rows.push(line(oursAll(r), (t) => t.all, () => true));
  const thresholds = published.map((p) => `${p.name} ${p.thresholds.join('/')}`).join(', ');
  const caption = `NAB ${r.profile} profile: ours at ${thresholdText(r)}; published detectors at NAB's thresholds (${thresholds}), on the same files as ours.\n${SUBSET_NOTE} Published columns are normalised scores (${PUBLISHED_VUS_NOTE}).`;
  return `${caption}\n${table(rows)}`;
}
