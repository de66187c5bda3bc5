/** NAB's file formats: data and results CSVs (`timestamp,value[,anomaly_score,label]`) and the windows JSON. */
import fs from 'node:fs';
import path from 'node:path';
import { StreamlabError, oneLineMessage } from '../../errors';

/** Windows by data-set path (`<category>/<file>.csv`), each `[start, end]` in ms since the epoch (NAB's times are naive; read as UTC). */
export type NabWindows = Map<string, [number, number][]>;

const TIME = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;

/** A NAB timestamp (`2014-03-14 03:31:00`, optionally with `.000000`) as ms since the epoch, or NaN. */
export function parseNabTime(text: string): number {
  const m = TIME.exec(text.trim());
  if (!m) return NaN;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms);
}

/** `2014-03-14 03:31:00`: NAB's own spelling, for results files and messages. */
export function formatNabTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

export function readWindows(file: string): NabWindows {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new StreamlabError(missing ? `no windows file at ${file}` : `windows file ${file} is not JSON (${oneLineMessage((e as Error).message, 80)})`, 'pass NAB labels/combined_windows.json with --windows FILE');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new StreamlabError(`windows file ${file} is not an object of data set -> windows`, 'pass NAB labels/combined_windows.json');
  const out: NabWindows = new Map();
  for (const [key, value] of Object.entries(json)) {
    if (!Array.isArray(value)) throw new StreamlabError(`windows of '${key}' in ${file} are not a list`, 'each entry is a list of [start, end] pairs');
    out.set(
      key,
      value.map((pair, i) => {
        const [a, b] = Array.isArray(pair) ? pair.map((t) => parseNabTime(String(t))) : [NaN, NaN];
        if (!Number.isFinite(a) || !Number.isFinite(b)) throw new StreamlabError(`window ${i + 1} of '${key}' in ${file} is not a [start, end] pair of timestamps`, "write times as 'YYYY-MM-DD hh:mm:ss'");
        return [a!, b!] as [number, number];
      }),
    );
  }
  return out;
}

/** The columns of a NAB CSV that scoring and detection use. */
export interface NabSeries {
  readonly times: number[];
  readonly values: number[];
  /** Present in results files. */
  readonly scores?: number[];
}

/** Reads a NAB CSV: a header naming `timestamp` and `value` (and `anomaly_score` when `needScores`). */
export function readSeries(file: string, needScores: boolean): NabSeries {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new StreamlabError(`cannot read ${file}`, 'check the path');
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new StreamlabError(`${file} has no '${name}' column (header: ${oneLineMessage(lines[0] ?? '', 80)})`, 'NAB files have timestamp,value[,anomaly_score,label]');
    return i;
  };
  const ti = col('timestamp');
  const vi = col('value');
  const si = needScores ? col('anomaly_score') : -1;
  const times: number[] = [];
  const values: number[] = [];
  const scores: number[] = [];
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const t = parseNabTime(cells[ti] ?? '');
    if (!Number.isFinite(t)) throw new StreamlabError(`${file} line ${n + 1}: timestamp '${oneLineMessage(cells[ti] ?? '', 40)}' is not YYYY-MM-DD hh:mm:ss`, 'fix or remove the line');
    times.push(t);
    values.push(Number(cells[vi]));
    if (needScores) {
      const s = Number(cells[si]);
      if (!Number.isFinite(s)) throw new StreamlabError(`${file} line ${n + 1}: anomaly_score '${oneLineMessage(cells[si] ?? '', 40)}' is not a number`, 'a detector must score every row');
      scores.push(s);
    }
  }
  return needScores ? { times, values, scores } : { times, values };
}

/** One results file matched to its data set's windows. */
export interface ResultsFile {
  readonly path: string;
  /** `<category>/<file>.csv`, the key into the windows file. */
  readonly dataSet: string;
  readonly detector: string;
}

/**
 * Results files under a directory in NAB's layout, `<category>/<detector>_<file>.csv`, matched to a data set of the
 * windows file by category and file name (detector names may contain underscores, so the data-set name decides).
 */
export function findResults(dir: string, windows: NabWindows): ResultsFile[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new StreamlabError(`no results directory at ${dir}`, 'pass a directory of <category>/<detector>_<file>.csv files');
  const byCategory = new Map<string, string[]>();
  for (const key of windows.keys()) {
    const [category, name] = key.split('/');
    if (category && name) byCategory.set(category, [...(byCategory.get(category) ?? []), name]);
  }
  const out: ResultsFile[] = [];
  for (const category of fs.readdirSync(dir).sort()) {
    const sub = path.join(dir, category);
    if (!fs.statSync(sub).isDirectory()) continue;
    for (const file of fs.readdirSync(sub).sort()) {
      if (!file.endsWith('.csv')) continue;
      const names = (byCategory.get(category) ?? []).filter((n) => file.endsWith(`_${n}`)).sort((a, b) => b.length - a.length);
      const name = names[0];
      if (!name) throw new StreamlabError(`${path.join(category, file)} matches no data set of the windows file`, 'name results <category>/<detector>_<file>.csv after a labelled NAB file');
      out.push({ path: path.join(sub, file), dataSet: `${category}/${name}`, detector: file.slice(0, file.length - name.length - 1) });
    }
  }
  if (out.length === 0) throw new StreamlabError(`no results files under ${dir}`, 'expected <category>/<detector>_<file>.csv (NAB results layout)');
  return out;
}

/**
 * NAB's data: $STREAMLAB_NAB_DIR, else the copy in the repository (`data/nab`), else `shared/data/nab` in the
 * nearest directory above `from` that has one (the main checkout's `../shared`, a worktree's `../../shared`).
 */
export function defaultNabDir(from: string): string {
  if (process.env.STREAMLAB_NAB_DIR) return process.env.STREAMLAB_NAB_DIR;
  const inRepo = path.join(path.resolve(from), 'data', 'nab');
  if (fs.existsSync(path.join(inRepo, 'combined_windows.json'))) return inRepo;
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'data', 'nab');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return path.join(path.resolve(from), '..', 'shared', 'data', 'nab');
  }
}
