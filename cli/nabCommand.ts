/**
 * `streamlab nab score RESULTS_DIR` scores detector results in NAB's layout (standard profile); `streamlab nab detect
 * DATA_DIR --out RESULTS_DIR` runs a streamlab detector over NAB series replayed through the embedded broker.
 */
import path from 'node:path';
import { checkHelp, parse } from './args';
import { table } from './topicsCommand';
import { StreamlabError, defaultNabDir, scoreResultsDir, type CorpusScore } from '../src';

const USAGE = 'streamlab nab score RESULTS_DIR [--windows FILE] [--threshold T | --optimize] [--json] | streamlab nab detect DATA_DIR [--detector NAME] --out RESULTS_DIR';

/** NAB's labels: data/nab/combined_windows.json in the repository (see defaultNabDir). */
export const DEFAULT_WINDOWS = path.join(defaultNabDir(path.join(__dirname, '..', '..')), 'combined_windows.json');

export async function nabCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'score') return scoreCommand(rest);
  if (sub === 'detect') return import('./nabDetectCommand').then((m) => m.nabDetectCommand(rest));
  checkHelp(argv, USAGE);
  throw new StreamlabError(sub ? `unknown nab command '${sub}'` : 'nab needs a command', `usage: ${USAGE}`);
}

function scoreCommand(argv: string[]): void {
  const { values, positionals } = parse(argv, { windows: { type: 'string' }, threshold: { type: 'string' }, optimize: { type: 'boolean' }, json: { type: 'boolean' } }, USAGE);
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new StreamlabError('nab score needs one RESULTS_DIR', `usage: ${USAGE}`);
  if (values.threshold !== undefined && values.optimize) throw new StreamlabError('--threshold and --optimize exclude each other', 'give a threshold, or let --optimize find the best one');
  let threshold: number | undefined;
  if (values.threshold !== undefined) {
    threshold = Number(values.threshold);
    if (!Number.isFinite(threshold)) throw new StreamlabError(`--threshold must be a number, got '${values.threshold}'`, 'NAB detectors score rows in [0, 1]; e.g. --threshold 0.5');
  }
  const result = scoreResultsDir(dir, values.windows ?? DEFAULT_WINDOWS, { threshold });
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : report(result));
}

/** The scoreboard as text: one row per file, the total, and the normalised score. */
export function report(r: CorpusScore): string {
  const rows = [['file', 'detector', 'raw score', 'TP', 'FP', 'FN', 'TN', 'windows']];
  for (const f of r.files) rows.push([f.dataSet, f.detector, f.score.toFixed(6), String(f.tp), String(f.fp), String(f.fn), String(f.tn), String(f.windows)]);
  rows.push(['total', '', r.score.toFixed(6), String(r.tp), String(r.fp), String(r.fn), String(r.tn), String(r.files.reduce((a, f) => a + f.windows, 0))]);
  const how = r.optimized ? `threshold ${r.threshold} (optimised for the total)` : `threshold ${r.threshold}`;
  const norm = `normalised ${r.normalized.toFixed(2)} (null ${r.nullScore.toFixed(2)}, perfect ${r.perfectScore.toFixed(2)})`;
  return `NAB ${r.profile} profile, ${how}\n${table(rows)}${r.fullCorpus ? norm : `${norm} on these ${r.files.length} files, not the whole corpus`}\n`;
}
