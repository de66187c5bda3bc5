/**
 * An executed notebook as one standalone HTML page (no scripts, no network): markdown rendered (marked, a
 * well-kept CommonMark parser, rather than a hand-written one), code with its prompt, and each output as its best
 * static form: a chart's last frame as its PNG (or SVG), tables and status lines as their HTML, errors as text.
 *
 * A notebook is data: its markdown may hold raw HTML and its outputs any HTML a cell displayed. Both go through
 * sanitize-html (a maintained sanitiser: an allow-list of tags and attributes, no event handlers, no script, links
 * only to http(s) and mailto), and SVG is shown as an image (an <img> runs no script), so the page keeps its promise
 * whatever the notebook holds.
 */
import { marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { escapeHtml as escape } from '../src';
import { NotebookJson, NotebookOutputJson, sourceOf } from './notebookRunner';

const LIVE_MIMES = ['application/vnd.streamlab.chart+json', 'application/vnd.plotly.v1+json'];

export function notebookHtml(notebook: NotebookJson, title: string): string {
  const cells = notebook.cells
    .map((cell) => {
      if (cell.cell_type === 'markdown') return `<div class="cell markdown">${safeHtml(marked.parse(sourceOf(cell), { async: false }))}</div>`;
      if (cell.cell_type !== 'code') return '';
      const prompt = Number.isInteger(cell.execution_count) ? `[${cell.execution_count}]` : '[ ]';
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
  if (live && typeof data['image/png'] === 'string') return `<img alt="chart" src="data:image/png;base64,${base64(text('image/png'))}">`;
  if (live && 'image/svg+xml' in data) return svgImage(text('image/svg+xml'));
  if ('text/html' in data) return `<div>${safeHtml(text('text/html'))}</div>`;
  if (typeof data['image/png'] === 'string') return `<img alt="output" src="data:image/png;base64,${base64(text('image/png'))}">`;
  if ('image/svg+xml' in data) return svgImage(text('image/svg+xml'));
  if ('text/markdown' in data) return `<div>${safeHtml(marked.parse(text('text/markdown'), { async: false }))}</div>`;
  if ('text/plain' in data) return `<pre>${escape(text('text/plain'))}</pre>`;
  return '';
}

/** Style properties kept on HTML outputs (tables, status lines): layout and colour, nothing that loads a URL. */
const STYLE_VALUE = [/^(?!.*(url|expression|image-set)\s*\()[^;]*$/i];
const STYLES = Object.fromEntries(
  ['color', 'background', 'background-color', 'text-align', 'vertical-align', 'font-weight', 'font-style', 'font-family', 'font-size', 'white-space', 'width', 'max-width', 'min-width', 'height', 'padding', 'padding-left', 'padding-right', 'margin', 'margin-left', 'border', 'border-bottom', 'border-top', 'border-collapse', 'display', 'opacity'].map((p) => [p, STYLE_VALUE]),
);

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'details', 'summary', 'span', 'div', 'caption', 'col', 'colgroup', 'del', 'ins', 'sub', 'sup'],
  allowedAttributes: { '*': ['class', 'style', 'title', 'align', 'colspan', 'rowspan', 'data-*'], a: ['href', 'name'], img: ['src', 'alt', 'width', 'height'] },
  allowedStyles: { '*': STYLES },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['data'] },
  allowProtocolRelative: false,
  // Images only from the page itself: a remote src would reach the network when the page opens.
  exclusiveFilter: (frame) => frame.tag === 'img' && !/^data:image\/(png|jpeg|gif|webp);/i.test(frame.attribs.src ?? ''),
};

/** HTML from a notebook, with what could run or fetch taken out. */
function safeHtml(html: string): string {
  return sanitizeHtml(html, SANITIZE);
}

/** An SVG as an image: a browser runs no script and loads nothing from an SVG shown through <img>. */
function svgImage(svg: string): string {
  return `<img alt="chart" src="data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}">`;
}

/** Base64 text as it may be embedded: anything else (a quote would end the attribute) is left out. */
function base64(text: string): string {
  return text.replace(/[^A-Za-z0-9+/=\s]/g, '');
}
