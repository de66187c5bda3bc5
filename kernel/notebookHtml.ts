/**
 * An executed notebook as one standalone HTML page (no scripts, no network): markdown rendered (marked, a
 * well-kept CommonMark parser, rather than a hand-written one), code with its prompt, and each output as its best
 * static form: a chart's last frame as its PNG (or SVG), tables and status lines as their HTML, errors as text.
 */
import { marked } from 'marked';
import { escapeHtml as escape } from '../src';
import { NotebookJson, NotebookOutputJson, sourceOf } from './notebookRunner';

const LIVE_MIMES = ['application/vnd.streamlab.chart+json', 'application/vnd.plotly.v1+json'];

export function notebookHtml(notebook: NotebookJson, title: string): string {
  const cells = notebook.cells
    .map((cell) => {
      if (cell.cell_type === 'markdown') return `<div class="cell markdown">${marked.parse(sourceOf(cell), { async: false })}</div>`;
      if (cell.cell_type !== 'code') return '';
      const prompt = cell.execution_count ? `[${cell.execution_count}]` : '[ ]';
      const outputs = (cell.outputs ?? []).map(outputHtml).join('');
      return `<div class="cell code"><div class="input"><span class="prompt">${prompt}</span><pre>${escape(sourceOf(cell))}</pre></div>${outputs ? `<div class="outputs">${outputs}</div>` : ''}</div>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 24px auto; padding: 0 16px; color: #222; }
.cell { margin: 10px 0; }
.input { display: flex; gap: 8px; }
.prompt { color: #307fc1; font-family: monospace; min-width: 48px; text-align: right; padding-top: 6px; }
.input pre { flex: 1; background: #f5f5f5; border: 1px solid #e0e0e0; padding: 6px 8px; margin: 0; overflow-x: auto; }
.outputs { margin-left: 56px; overflow-x: auto; }
.outputs pre { margin: 4px 0; white-space: pre-wrap; }
.outputs .stderr, .outputs .error { background: #fdd; padding: 4px 6px; }
.outputs img, .outputs svg { max-width: 100%; height: auto; }
table.dataframe { border-collapse: collapse; font-family: monospace; font-size: 12px; }
table.dataframe th, table.dataframe td { padding: 2px 8px; text-align: right; border-bottom: 1px solid #eee; }
</style></head>
<body>
${cells}
</body></html>
`;
}

function outputHtml(out: NotebookOutputJson): string {
  switch (out.output_type) {
    case 'stream':
      return `<pre class="${out.name === 'stderr' ? 'stderr' : 'stdout'}">${escape(String(out.text ?? ''))}</pre>`;
    case 'error':
      return `<pre class="error">${escape(((out.traceback as string[] | undefined) ?? [`${out.ename}: ${out.evalue}`]).join('\n').replace(/\u001b\[[0-9;]*m/g, ''))}</pre>`;
    case 'display_data':
    case 'execute_result':
      return dataHtml((out.data ?? {}) as Record<string, unknown>);
    default:
      return '';
  }
}

function dataHtml(data: Record<string, unknown>): string {
  const text = (k: string) => (Array.isArray(data[k]) ? (data[k] as string[]).join('') : String(data[k]));
  const live = LIVE_MIMES.some((m) => m in data);
  if (live && typeof data['image/png'] === 'string') return `<img alt="chart" src="data:image/png;base64,${text('image/png')}">`;
  if (live && 'image/svg+xml' in data) return `<div>${text('image/svg+xml')}</div>`;
  if ('text/html' in data) return `<div>${text('text/html')}</div>`;
  if (typeof data['image/png'] === 'string') return `<img alt="output" src="data:image/png;base64,${text('image/png')}">`;
  if ('image/svg+xml' in data) return `<div>${text('image/svg+xml')}</div>`;
  if ('text/markdown' in data) return `<div>${marked.parse(text('text/markdown'), { async: false })}</div>`;
  if ('text/plain' in data) return `<pre>${escape(text('text/plain'))}</pre>`;
  return '';
}
