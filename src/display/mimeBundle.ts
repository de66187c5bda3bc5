/**
 * A cell value as a Jupyter MIME bundle, for a person to read. DataFrames and lists of records are tables (head
 * and tail, times as ISO-8601, numbers rounded, missing values empty, and when empty, why); plain objects such as
 * metrics() are two-column tables with rates rounded, sizes in KB/MB and nothing undefined; objects that know
 * their own bundle (charts) give it; everything else is util.inspect text.
 */
import { inspect } from 'node:util';
import { isDataFrame } from '../frames/danfo';
import { MIME_BUNDLE, MimeBundle } from '../output/notebookOutput';
import { EMPTY_REASON, tableBundle } from '../output/table';
import { formatBytes, formatNumber, formatRate, formatTime, isEpochMs } from '../output/format';
import { escapeHtml } from '../output/html';

export { MIME_BUNDLE, MimeBundle, escapeHtml };

const EDGE_ROWS = 5;
const MAX_RECORD_ROWS = 50;

export function mimeBundleOf(value: unknown): MimeBundle {
  if (value !== null && typeof value === 'object') {
    const own = value as { [MIME_BUNDLE]?: () => MimeBundle; toMimeBundle?: () => MimeBundle };
    const bundle = own[MIME_BUNDLE]?.() ?? own.toMimeBundle?.();
    if (bundle && typeof bundle === 'object') return { 'text/plain': plainText(value), ...bundle };
    if (isDataFrame(value)) return frameBundle(value as unknown as FrameView, emptyReason(value));
    if (isSeries(value)) return frameBundle(seriesAsFrame(value), emptyReason(value));
    if (isRecordList(value)) return recordsBundle(value);
    if (Array.isArray(value) && value.length === 0 && emptyReason(value)) return { 'text/plain': `[] (${emptyReason(value)})`, 'text/html': `<p><i>empty: ${escapeHtml(emptyReason(value)!)}</i></p>` };
    if (isPlainObject(value)) return objectBundle(value);
  }
  return { 'text/plain': plainText(value) };
}

export function plainText(value: unknown): string {
  return inspect(value, { depth: 3, maxArrayLength: 50, maxStringLength: 10_000, breakLength: 100, colors: false });
}

function emptyReason(value: object): string | undefined {
  const reason = (value as { [EMPTY_REASON]?: unknown })[EMPTY_REASON];
  return typeof reason === 'string' ? reason : undefined;
}

interface FrameView {
  columns: string[];
  shape: [number, number];
  values: unknown[][];
  index: (string | number)[];
}

function frameBundle(frame: FrameView, whyEmpty?: string): MimeBundle {
  const [rows] = frame.shape;
  const values = frame.values;
  const cut = rows > 2 * EDGE_ROWS;
  const picked = cut ? [...range(0, EDGE_ROWS), ...range(rows - EDGE_ROWS, rows)] : range(0, rows);
  // Danfo's default index (0..n-1) says nothing; any other index is a column worth reading.
  const plainIndex = frame.index.every((v, i) => v === i);
  const columns = plainIndex ? frame.columns : ['', ...frame.columns];
  const shown = picked.map((r) => (plainIndex ? (values[r] ?? []) : [frame.index[r], ...(values[r] ?? [])]));
  return tableBundle({ columns, rows: shown, total: rows, gapAfter: cut ? EDGE_ROWS - 1 : undefined, note: rows === 0 ? (whyEmpty ?? 'no rows') : undefined });
}

function isSeries(value: unknown): value is { values: unknown[]; index: (string | number)[]; shape: [number]; config?: unknown; columns?: string[] } {
  const v = value as { constructor?: { name?: string }; values?: unknown };
  return v.constructor?.name === 'Series' && Array.isArray(v.values);
}

function seriesAsFrame(series: { values: unknown[]; index: (string | number)[]; columns?: string[] }): FrameView {
  const name = series.columns?.[0] ?? 'value';
  return { columns: [name], shape: [series.values.length, 1], values: series.values.map((v) => [v]), index: series.index };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A non-empty array of plain objects whose values are scalars (or small objects): the rows of a table. */
function isRecordList(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 && v.every((r) => isPlainObject(r) && Object.values(r).every((x) => x === null || typeof x !== 'object' || isPlainObject(x) || x instanceof Date));
}

function recordsBundle(list: Record<string, unknown>[]): MimeBundle {
  const columns: string[] = [];
  for (const r of list) for (const k of Object.keys(r)) if (!columns.includes(k) && r[k] !== undefined) columns.push(k);
  const shown = list.length > MAX_RECORD_ROWS ? [...list.slice(0, EDGE_ROWS), ...list.slice(-EDGE_ROWS)] : list;
  const bundle = tableBundle({
    columns,
    rows: shown.map((r) => columns.map((c) => r[c])),
    total: list.length,
    gapAfter: list.length > MAX_RECORD_ROWS ? EDGE_ROWS - 1 : undefined,
  });
  return { ...bundle, 'text/plain': plainText(list) };
}

/** How one field of a metrics-like object reads: rates rounded, bytes in units, times as dates, no undefined. */
function fieldText(key: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    if (/PerSecond$|Rate$/.test(key)) return formatRate(v);
    if (/[bB]ytes$/.test(key) && !/PerSecond/.test(key)) return formatBytes(v);
    if (/(time|Time|At|watermark|Watermark|timestamp)$/.test(key) && isEpochMs(v)) return formatTime(v);
    if (!Number.isFinite(v) && /watermark|Watermark/.test(key)) return v === Infinity ? 'end of input (flushed: every window closed)' : 'none yet';
    return Number.isInteger(v) ? v.toLocaleString('en-US') : formatNumber(v);
  }
  if (v instanceof Date) return formatTime(v.getTime());
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (Array.isArray(v)) {
    if (v.length === 0) return 'none';
    return v.map((x) => (isPlainObject(x) ? Object.entries(x).filter(([, y]) => y !== undefined).map(([k, y]) => `${k} ${fieldText(k, y) ?? ''}`).join(', ') : String(x))).join('; ');
  }
  if (isPlainObject(v)) {
    const parts = Object.entries(v).filter(([, y]) => y !== undefined);
    return parts.length === 0 ? 'none' : parts.map(([k, y]) => `${k}: ${fieldText(k, y) ?? ''}`).join(', ');
  }
  return String(v);
}

function objectBundle(o: Record<string, unknown>): MimeBundle {
  const rows = Object.entries(o)
    .map(([k, v]) => [k, fieldText(k, v)] as const)
    .filter((r): r is readonly [string, string] => r[1] !== undefined);
  const html = `<table class="streamlab-fields"><tbody>${rows.map(([k, v]) => `<tr><th style="text-align:left">${escapeHtml(k)}</th><td style="text-align:left">${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`;
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  const text = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
  return { 'text/html': html, 'text/plain': text };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
