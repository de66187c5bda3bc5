/**
 * Replay of a CSV time series (such as the Numenta Anomaly Benchmark's) into a topic: each row becomes one JSON
 * record whose Kafka timestamp is the row's own time, sent with the series' own gaps divided by a speed-up.
 * Unreadable rows are returned with their line numbers, never skipped silently.
 */
import fs from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { StreamlabError } from '../errors';
import { RawRecord } from '../kafka/topicSink';
import { parseIsoTime } from '../record';

export interface SeriesRow {
  /** Epoch ms. */
  time: number;
  values: Record<string, number>;
  /** 1-based line in the file. */
  line: number;
}

export interface RejectedRow {
  line: number;
  error: string;
}

export interface TimeSeriesCsv {
  timeColumn: string;
  valueColumns: string[];
  rows: SeriesRow[];
  rejected: RejectedRow[];
}

/** [start, end] of a labelled anomaly window, epoch ms. */
export type AnomalyWindow = [number, number];

/**
 * Reads a CSV with a header row: the time column (`timeColumn`, else one named timestamp/time/date, else the
 * first) and numeric value columns. Times without a zone, as NAB writes them, are read as UTC.
 *
 * Every physical line is a row of its own, parsed alone: a quote left open cannot swallow the lines after it, and
 * each row keeps its true line number, blank lines counted. Every non-blank line after the header is either in
 * `rows` or in `rejected` with its line. (A quoted field spanning lines could never be a time or a number, so
 * reading line by line rejects nothing a time series could hold.)
 */
export function readTimeSeriesCsv(file: string, options: { timeColumn?: string } = {}): TimeSeriesCsv {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new StreamlabError(`cannot read CSV file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'check the path');
  }
  return parseTimeSeriesCsv(text, file, options);
}

/** readTimeSeriesCsv on text already read; `file` names it in errors. */
export function parseTimeSeriesCsv(text: string, file: string, options: { timeColumn?: string } = {}): TimeSeriesCsv {
  const lines = text.replace(/^\ufeff/, '').split(/\r\n|\n|\r/);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  const headerCells = headerAt < 0 ? undefined : parseLine(lines[headerAt]!);
  const header = Array.isArray(headerCells) ? headerCells.map((h) => h.trim()) : undefined;
  if (!header || header.length < 2) {
    const why = typeof headerCells === 'string' ? ` (line ${headerAt + 1}: ${headerCells})` : '';
    throw new StreamlabError(`CSV file ${file} needs a header row with a time column and a value column${why}`, 'the first non-blank line names the columns, e.g. timestamp,value');
  }
  const timeColumn = options.timeColumn ?? header.find((h) => /^(timestamp|time|date|datetime)$/i.test(h)) ?? header[0]!;
  const timeIndex = header.indexOf(timeColumn);
  if (timeIndex < 0) throw new StreamlabError(`CSV file ${file} has no column '${timeColumn}'`, `its columns are ${header.join(', ')}`);
  const valueColumns = header.filter((_, i) => i !== timeIndex);

  const rows: SeriesRow[] = [];
  const rejected: RejectedRow[] = [];
  for (let at = headerAt + 1; at < lines.length; at++) {
    const raw = lines[at]!;
    if (raw.trim() === '') continue;
    const line = at + 1;
    const cells = parseLine(raw);
    if (typeof cells === 'string') {
      rejected.push({ line, error: cells });
      continue;
    }
    const row = toRow(cells, line, header.length, timeIndex, valueColumns);
    if ('error' in row) rejected.push(row);
    else rows.push(row);
  }
  return { timeColumn, valueColumns, rows, rejected };
}

/** The cells of one CSV line (Papa Parse, RFC 4180 quoting), or what is wrong with it. */
function parseLine(line: string): string[] | string {
  const result = Papa.parse<string[]>(line, { delimiter: ',', newline: '\n' });
  const error = result.errors[0];
  if (error) return error.code === 'MissingQuotes' ? 'unterminated quote: a quoted field must close on its own line' : `not a CSV row (${error.message})`;
  const cells = result.data[0];
  return cells ?? 'not a CSV row';
}

function toRow(cells: string[], line: number, width: number, timeIndex: number, valueColumns: string[]): SeriesRow | RejectedRow {
  if (cells.length !== width) return { line, error: `expected ${width} fields, got ${cells.length}` };
  const time = parseSeriesTime(cells[timeIndex]!);
  if (!Number.isFinite(time)) return { line, error: `cannot read '${cells[timeIndex]!.slice(0, 40)}' as a time` };
  const values: Record<string, number> = {};
  let k = 0;
  for (let c = 0; c < cells.length; c++) {
    if (c === timeIndex) continue;
    const cell = cells[c]!.trim();
    const n = cell === '' ? NaN : Number(cell);
    if (!Number.isFinite(n)) return { line, error: `column '${valueColumns[k]}' is not a number: '${cell.slice(0, 40)}'` };
    values[valueColumns[k++]!] = n;
  }
  return { time, values, line };
}

/** Epoch ms of an ISO-like time; one without a zone (NAB's "2014-07-01 00:00:00") is UTC. */
export function parseSeriesTime(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  // Strict ISO-8601: Date.parse alone reads "5" or "garbage 2014" as dates.
  return parseIsoTime(t);
}

/**
 * The labelled anomaly windows of one series from NAB's combined_windows.json, matched by file name
 * (its keys look like "realKnownCause/nyc_taxi.csv").
 */
export function nabAnomalyWindows(labelsFile: string, seriesFile: string): AnomalyWindow[] {
  let labels: Record<string, [string, string][]>;
  try {
    labels = JSON.parse(fs.readFileSync(labelsFile, 'utf8')) as Record<string, [string, string][]>;
  } catch (e) {
    throw new StreamlabError(`cannot read anomaly labels from ${labelsFile} (${(e as Error).message.split('\n')[0]})`, 'pass NAB combined_windows.json');
  }
  const name = path.basename(seriesFile);
  const key = Object.keys(labels).find((k) => path.basename(k) === name);
  if (!key) throw new StreamlabError(`${labelsFile} has no labels for ${name}`, 'drop --labels, or pass a series that NAB labels');
  return labels[key]!.map(([start, end]) => [parseSeriesTime(start), parseSeriesTime(end)]);
}

/** Milliseconds to wait before sending each row: the series' own gaps divided by `speedup` (Infinity: none). */
export function replayDelays(rows: SeriesRow[], speedup: number): number[] {
  if (!(speedup > 0)) throw new StreamlabError(`speed-up must be positive, got ${speedup}`);
  return rows.map((row, i) => (i === 0 || !Number.isFinite(speedup) ? 0 : Math.max(0, (row.time - rows[i - 1]!.time) / speedup)));
}

/** A row as a record keyed by the series name, valued {series, time, <value columns>, anomalyWindow?}. */
export function toReplayRecord(row: SeriesRow, series: string, windows?: AnomalyWindow[]): RawRecord {
  const value: Record<string, unknown> = { series, time: row.time, ...row.values };
  if (windows) value.anomalyWindow = windows.some(([start, end]) => row.time >= start && row.time <= end);
  return { key: series, value: JSON.stringify(value), timestamp: row.time };
}
