/**
 * Rows as a table a person reads: HTML for notebooks, aligned text for terminals and logs, and streamlab's table
 * MIME type (the raw values, which columns are times) for the extension's sortable grid. Times show as ISO-8601,
 * numbers rounded, missing values (and NaN) as empty cells; the values themselves are never changed.
 */
import { MimeBundle } from './notebookOutput';
import { escapeHtml } from './html';
import { formatNumber, formatTime, isTimeColumn } from './format';
import { TABLE_MIME, TableJson } from '../../protocol/messages';

export { TABLE_MIME, TableJson };

/** Set on a DataFrame (or array) that may come out empty: the sentence that says why, shown instead of nothing. */
export const EMPTY_REASON = Symbol.for('streamlab.emptyReason');

/** Marks a value with why it is empty (non-enumerable, so the value itself is unchanged); returns the value. */
export function explainEmpty<T extends object>(value: T, reason: string): T {
  Object.defineProperty(value, EMPTY_REASON, { value: reason, enumerable: false, configurable: true });
  return value;
}

export interface TableData {
  columns: string[];
  rows: unknown[][];
  /** Rows there are in all (when `rows` shows only some: the newest, or a head and a tail). */
  total?: number;
  /** A line above the table: what it is. */
  caption?: string;
  /** A line below it: why it is empty, what was left out. */
  note?: string;
  /** Where the rows are cut: a row index after which "…" is shown (head and tail views). */
  gapAfter?: number;
}

/** How a cell reads: a time column as ISO-8601, numbers rounded, null/undefined/NaN empty, objects as JSON. */
export function cellText(v: unknown, time: boolean): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return time ? formatTime(v) : formatNumber(v);
  if (v instanceof Date) return formatTime(v.getTime());
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex').slice(0, 40)}${v.length > 20 ? '…' : ''}`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function timeColumnsOf(t: TableData): boolean[] {
  return t.columns.map((c, i) => isTimeColumn(c, t.rows.map((r) => r[i])));
}

export function tableBundle(t: TableData, options: { json?: boolean } = {}): MimeBundle {
  const times = timeColumnsOf(t);
  const total = t.total ?? t.rows.length;
  const shape = `${total.toLocaleString('en-US')} row${total === 1 ? '' : 's'} × ${t.columns.length} column${t.columns.length === 1 ? '' : 's'}`;
  const head = `<tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map((r, i) => {
      const row = `<tr>${r.map((v, c) => `<td>${escapeHtml(cellText(v, times[c]!))}</td>`).join('')}</tr>`;
      return t.gapAfter === i ? `${row}<tr>${t.columns.map(() => '<td>…</td>').join('')}</tr>` : row;
    })
    .join('');
  const caption = t.caption ? `<p class="streamlab-table-caption">${escapeHtml(t.caption)}</p>` : '';
  const note = t.note ? `<p class="streamlab-table-note"><i>${escapeHtml(t.note)}</i></p>` : '';
  const html = `<div class="streamlab-table">${caption}<table class="dataframe"><thead>${head}</thead><tbody>${body}</tbody></table><p>${shape}</p>${note}</div>`;
  const bundle: MimeBundle = { 'text/html': html, 'text/plain': tableText(t, times, shape) };
  if (options.json !== false) {
    const json: TableJson = { columns: t.columns, rows: t.rows.map((r) => r.map(jsonCell)), timeColumns: t.columns.filter((_, i) => times[i]), total, caption: t.caption, note: t.note };
    bundle[TABLE_MIME] = json;
  }
  return bundle;
}

function tableText(t: TableData, times: boolean[], shape: string): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map((v, c) => cellText(v, times[c]!)))];
  const widths = t.columns.map((_, c) => Math.min(32, Math.max(...cells.map((row) => (row[c] ?? '').length))));
  const line = (row: string[]) => row.map((v, c) => (v.length > 32 ? `${v.slice(0, 31)}…` : v).padStart(widths[c]!)).join('  ');
  const lines = cells.map(line);
  if (t.gapAfter !== undefined) lines.splice(t.gapAfter + 2, 0, line(t.columns.map(() => '…')));
  return [...(t.caption ? [t.caption] : []), ...lines, `[${shape}]`, ...(t.note ? [t.note] : [])].join('\n');
}

/** JSON-safe raw values for the grid: NaN and undefined as null, Buffers as hex, objects as text. */
function jsonCell(v: unknown): unknown {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return null;
  if (typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.getTime();
  if (v !== null && typeof v === 'object') return cellText(v, false);
  return v;
}
