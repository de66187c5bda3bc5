/**
 * A cell value as a Jupyter MIME bundle. DataFrames show as an HTML table with head, tail and shape (and the same
 * as text); objects that know their own bundle (charts, say) give it; everything else is util.inspect text.
 */
import { inspect } from 'node:util';
import { isDataFrame } from '../frames/danfo';

export type MimeBundle = Record<string, unknown>;

/** Objects may offer their own rich display under this symbol (or a `toMimeBundle()` method). */
export const MIME_BUNDLE = Symbol.for('streamlab.mimeBundle');

const EDGE_ROWS = 5;

export function mimeBundleOf(value: unknown): MimeBundle {
  if (value !== null && typeof value === 'object') {
    const own = value as { [MIME_BUNDLE]?: () => MimeBundle; toMimeBundle?: () => MimeBundle };
    const bundle = own[MIME_BUNDLE]?.() ?? own.toMimeBundle?.();
    if (bundle && typeof bundle === 'object') return { 'text/plain': plainText(value), ...bundle };
    if (isDataFrame(value)) return frameBundle(value as unknown as FrameView);
    if (isSeries(value)) return frameBundle(seriesAsFrame(value));
  }
  return { 'text/plain': plainText(value) };
}

export function plainText(value: unknown): string {
  return inspect(value, { depth: 3, maxArrayLength: 50, maxStringLength: 10_000, breakLength: 100, colors: false });
}

interface FrameView {
  columns: string[];
  shape: [number, number];
  values: unknown[][];
  index: (string | number)[];
}

function frameBundle(frame: FrameView): MimeBundle {
  const [rows, cols] = frame.shape;
  const values = frame.values;
  const shown = rows <= 2 * EDGE_ROWS ? range(0, rows) : [...range(0, EDGE_ROWS), -1, ...range(rows - EDGE_ROWS, rows)];
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : String(v));
  const shape = `${rows} row${rows === 1 ? '' : 's'} × ${cols} column${cols === 1 ? '' : 's'}`;

  const head = `<tr><th></th>${frame.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = shown
    .map((r) =>
      r < 0
        ? `<tr><th>…</th>${frame.columns.map(() => '<td>…</td>').join('')}</tr>`
        : `<tr><th>${escapeHtml(String(frame.index[r]))}</th>${(values[r] ?? []).map((v) => `<td>${escapeHtml(cell(v))}</td>`).join('')}</tr>`,
    )
    .join('');
  const html = `<div class="streamlab-frame"><table class="dataframe"><thead>${head}</thead><tbody>${body}</tbody></table><p>${shape}</p></div>`;

  const textRows = [['', ...frame.columns], ...shown.map((r) => (r < 0 ? ['…', ...frame.columns.map(() => '…')] : [String(frame.index[r]), ...(values[r] ?? []).map(cell)]))];
  const widths = textRows[0]!.map((_, c) => Math.min(30, Math.max(...textRows.map((row) => (row[c] ?? '').length))));
  const text = textRows.map((row) => row.map((v, c) => v.slice(0, 30).padStart(widths[c]!)).join('  ')).join('\n');
  return { 'text/html': html, 'text/plain': `${text}\n[${shape}]` };
}

function isSeries(value: unknown): value is { values: unknown[]; index: (string | number)[]; shape: [number]; config?: unknown; columns?: string[] } {
  const v = value as { constructor?: { name?: string }; values?: unknown };
  return v.constructor?.name === 'Series' && Array.isArray(v.values);
}

function seriesAsFrame(series: { values: unknown[]; index: (string | number)[]; columns?: string[] }): FrameView {
  const name = series.columns?.[0] ?? 'value';
  return { columns: [name], shape: [series.values.length, 1], values: series.values.map((v) => [v]), index: series.index };
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
