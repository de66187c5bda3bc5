/**
 * A grid for streamlab's table MIME type: DataFrames, windows and ticking `show()` tables. Click a header to sort
 * (again to reverse); the sort holds while the table ticks, because JupyterLab hands each update_display_data to
 * this same renderer, which swaps the body rows only: no flicker, no lost scroll position.
 */
import { Widget } from '@lumino/widgets';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { TableJson } from '../../../protocol/messages';
import { formatCount, formatNumber, formatTime } from '../../../protocol/format';

export class TableWidget extends Widget implements IRenderMime.IRenderer {
  private table: TableJson | undefined;
  private sortColumn: number | undefined;
  private descending = false;
  private readonly captionEl = el('div', 'streamlab-grid-caption');
  private readonly headEl = el('thead');
  private readonly bodyEl = el('tbody');
  private readonly footEl = el('div', 'streamlab-grid-foot');

  constructor(private readonly options: IRenderMime.IRendererOptions) {
    super();
    this.addClass('streamlab-grid');
    const scroller = el('div', 'streamlab-grid-scroll');
    const table = el('table', 'streamlab-grid-table');
    table.append(this.headEl, this.bodyEl);
    scroller.append(table);
    this.node.append(this.captionEl, scroller, this.footEl);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const next = model.data[this.options.mimeType] as unknown as TableJson | undefined;
    if (!next) return;
    const sameColumns = this.table !== undefined && this.table.columns.join('\u0000') === next.columns.join('\u0000');
    this.table = next;
    if (!sameColumns) {
      this.sortColumn = undefined;
      this.renderHead();
    }
    this.renderBody();
  }

  private renderHead(): void {
    const t = this.table!;
    const tr = el('tr');
    t.columns.forEach((name, c) => {
      const th = el('th');
      th.textContent = name;
      th.title = `Sort by ${name}`;
      th.addEventListener('click', () => {
        this.descending = this.sortColumn === c ? !this.descending : false;
        this.sortColumn = c;
        this.renderHead();
        this.renderBody();
      });
      if (this.sortColumn === c) th.dataset.sort = this.descending ? 'descending' : 'ascending';
      tr.append(th);
    });
    this.headEl.replaceChildren(tr);
  }

  private renderBody(): void {
    const t = this.table!;
    const times = t.columns.map((c) => t.timeColumns.includes(c));
    let rows = t.rows;
    if (this.sortColumn !== undefined) {
      const c = this.sortColumn;
      const sign = this.descending ? -1 : 1;
      rows = [...rows].sort((a, b) => sign * compare(a[c], b[c]));
    }
    const body = document.createDocumentFragment();
    for (const r of rows) {
      const tr = el('tr');
      r.forEach((v, c) => {
        const td = el('td');
        td.textContent = cellText(v, times[c]!);
        if (typeof v === 'number' && !times[c]) td.className = 'streamlab-grid-number';
        tr.append(td);
      });
      body.append(tr);
    }
    this.bodyEl.replaceChildren(body);
    this.captionEl.textContent = t.caption ?? '';
    this.captionEl.style.display = t.caption ? '' : 'none';
    const shown = t.rows.length < t.total ? `${formatCount(t.rows.length)} of ${formatCount(t.total)} rows shown` : `${formatCount(t.total)} row${t.total === 1 ? '' : 's'}`;
    this.footEl.textContent = [`${shown} × ${t.columns.length} column${t.columns.length === 1 ? '' : 's'}`, t.note].filter(Boolean).join(' · ');
  }
}

/** Missing values last, numbers by value, anything else as text. */
function compare(a: unknown, b: unknown): number {
  const aMissing = a === null || a === undefined;
  const bMissing = b === null || b === undefined;
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

function cellText(v: unknown, time: boolean): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return time ? formatTime(v) : formatNumber(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? String(v);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}
