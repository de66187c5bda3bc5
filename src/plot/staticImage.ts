/**
 * A chart's snapshot as an SVG image (and a PNG of it), for outputs that must show without JavaScript: GitHub,
 * nbconvert's HTML, a notebook reopened without the extension. Drawn here rather than by plotly because plotly
 * needs a browser; the look follows plotly's (colours, axes, legend), and only what a static frame needs is drawn.
 * PNG comes from @resvg/resvg-js (a Rust SVG renderer, prebuilt for each platform on npm) when it is installed.
 */
import type { ChartSpec } from '../../protocol/messages';
import { escapeHtml } from '../output/html';
import type { SnapshotTrace } from './liveChart';
import { COLORWAY, MARKER_STYLES } from './plotlyFigure';

const WIDTH = 800;
const HEIGHT = 360;
const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

interface Scale {
  lo: number;
  hi: number;
  px(v: number): number;
}

export function chartSvg(spec: ChartSpec, snapshot: { series: SnapshotTrace[]; markers: SnapshotTrace[] }, note?: string): string {
  const top = spec.title ? 36 : 14;
  const left = 66;
  const right = 16;
  const legendRows = snapshot.series.length + snapshot.markers.length > 0 ? 1 : 0;
  const bottom = 44 + legendRows * 20;
  const plotW = WIDTH - left - right;
  const plotH = HEIGHT - top - bottom;
  const parts: string[] = [];
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  if (spec.title) parts.push(`<text x="${left}" y="24" font-size="15" ${FONT} fill="#2a3f5f">${escapeHtml(spec.title)}</text>`);
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="#e5ecf6"/>`);

  const all = [...snapshot.series, ...snapshot.markers];
  const points = all.reduce((n, t) => n + t.y.length, 0);
  if (points === 0) {
    parts.push(`<text x="${left + plotW / 2}" y="${top + plotH / 2}" text-anchor="middle" font-size="14" ${FONT} fill="#506784">${escapeHtml(note ?? 'no points yet')}</text>`);
    return wrap(parts);
  }
  const categorical = spec.xType === 'category';
  const categories = categorical ? [...new Set(snapshot.series.flatMap((s) => s.x.map(String)))] : [];
  const ys = all.flatMap((t) => t.y.filter(Number.isFinite));
  const barLike = spec.kind === 'bar' || spec.kind === 'hist';
  const yScale = scale(Math.min(...ys, ...(barLike ? [0] : [])), Math.max(...ys, ...(barLike ? [0] : [])), top + plotH, top, true);
  let xScale: Scale | undefined;
  if (!categorical) {
    const xs = all.flatMap((t) => t.x.map(Number).filter(Number.isFinite));
    const halfBin = spec.kind === 'hist' ? Math.max(0, ...snapshot.series.map((s) => (s.width ?? 0) / 2)) : 0;
    xScale = scale(Math.min(...xs) - halfBin, Math.max(...xs) + halfBin, left, left + plotW, false);
  }

  // Grid and tick labels.
  for (const v of linearTicks(yScale.lo, yScale.hi)) {
    const y = yScale.px(v);
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${f(y)}" y2="${f(y)}" stroke="#ffffff"/>`);
    parts.push(`<text x="${left - 6}" y="${f(y + 4)}" text-anchor="end" font-size="11" ${FONT} fill="#2a3f5f">${escapeHtml(formatNumber(v, yScale))}</text>`);
  }
  if (xScale) {
    const ticks = spec.xType === 'date' ? dateTicks(xScale.lo, xScale.hi) : linearTicks(xScale.lo, xScale.hi).map((v) => ({ v, label: formatNumber(v, xScale!) }));
    for (const t of ticks) {
      const x = xScale.px(t.v);
      parts.push(`<line x1="${f(x)}" x2="${f(x)}" y1="${top}" y2="${top + plotH}" stroke="#ffffff"/>`);
      parts.push(`<text x="${f(x)}" y="${top + plotH + 16}" text-anchor="middle" font-size="11" ${FONT} fill="#2a3f5f">${escapeHtml(t.label)}</text>`);
    }
  } else {
    const step = plotW / Math.max(1, categories.length);
    categories.forEach((c, i) => {
      if (categories.length <= 20 || i % Math.ceil(categories.length / 20) === 0) {
        parts.push(`<text x="${f(left + step * (i + 0.5))}" y="${top + plotH + 16}" text-anchor="middle" font-size="11" ${FONT} fill="#2a3f5f">${escapeHtml(c.slice(0, 14))}</text>`);
      }
    });
  }
  const xTitle = spec.xType === 'date' ? `${spec.xTitle} (UTC)` : spec.xTitle;
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 34}" text-anchor="middle" font-size="12" ${FONT} fill="#2a3f5f">${escapeHtml(xTitle)}</text>`);
  if (spec.yTitle) parts.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12" ${FONT} fill="#2a3f5f">${escapeHtml(spec.yTitle)}</text>`);

  // Traces, clipped to the plot area.
  parts.push(`<clipPath id="plot"><rect x="${left}" y="${top}" width="${plotW}" height="${plotH}"/></clipPath><g clip-path="url(#plot)">`);
  snapshot.series.forEach((s, i) => {
    const color = COLORWAY[i % COLORWAY.length]!;
    if (categorical) {
      const step = plotW / Math.max(1, categories.length);
      const barW = (step * 0.8) / snapshot.series.length;
      s.x.forEach((c, j) => {
        const k = categories.indexOf(String(c));
        const y = yScale.px(s.y[j]!);
        const y0 = yScale.px(0);
        parts.push(`<rect x="${f(left + step * k + step * 0.1 + barW * i)}" y="${f(Math.min(y, y0))}" width="${f(barW)}" height="${f(Math.abs(y0 - y))}" fill="${color}"/>`);
      });
    } else if (spec.kind === 'hist') {
      const w = s.width ?? 0;
      s.x.forEach((c, j) => {
        const x0 = xScale!.px(Number(c) - w / 2);
        const x1 = xScale!.px(Number(c) + w / 2);
        const y = yScale.px(s.y[j]!);
        parts.push(`<rect x="${f(x0)}" y="${f(y)}" width="${f(Math.max(0.5, x1 - x0))}" height="${f(yScale.px(0) - y)}" fill="${color}" fill-opacity="0.6"/>`);
      });
    } else if (spec.kind === 'scatter') {
      s.x.forEach((c, j) => parts.push(`<circle cx="${f(xScale!.px(Number(c)))}" cy="${f(yScale.px(s.y[j]!))}" r="2" fill="${color}"/>`));
    } else {
      const d = s.x.map((c, j) => `${j === 0 ? 'M' : 'L'}${f(xScale!.px(Number(c)))} ${f(yScale.px(s.y[j]!))}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1"/>`);
    }
  });
  if (xScale) {
    snapshot.markers.forEach((m, i) => {
      const color = MARKER_STYLES[i % MARKER_STYLES.length]!.color;
      m.x.forEach((c, j) => parts.push(`<circle cx="${f(xScale!.px(Number(c)))}" cy="${f(yScale.px(m.y[j]!))}" r="4.5" fill="none" stroke="${color}" stroke-width="2"/>`));
    });
  }
  parts.push('</g>');

  // Legend: one row under the axis title.
  let lx = left;
  const ly = HEIGHT - 12;
  const entries = [...snapshot.series.map((s, i) => ({ name: s.name, color: COLORWAY[i % COLORWAY.length]!, marker: false })), ...snapshot.markers.map((m, i) => ({ name: m.name, color: MARKER_STYLES[i % MARKER_STYLES.length]!.color, marker: true }))];
  for (const [i, e] of entries.entries()) {
    const label = e.name.slice(0, 24);
    const width = 26 + label.length * 6.6;
    if (lx + width > WIDTH - right) {
      parts.push(`<text x="${f(lx)}" y="${ly}" font-size="11" ${FONT} fill="#506784">+${entries.length - i} more</text>`);
      break;
    }
    parts.push(
      e.marker
        ? `<circle cx="${f(lx + 8)}" cy="${ly - 4}" r="4" fill="none" stroke="${e.color}" stroke-width="2"/>`
        : `<line x1="${f(lx)}" x2="${f(lx + 16)}" y1="${ly - 4}" y2="${ly - 4}" stroke="${e.color}" stroke-width="2.5"/>`,
    );
    parts.push(`<text x="${f(lx + 20)}" y="${ly}" font-size="11" ${FONT} fill="#2a3f5f">${escapeHtml(label)}</text>`);
    lx += width;
  }
  if (note) parts.push(`<text x="${WIDTH - right}" y="${top - 4}" text-anchor="end" font-size="10" ${FONT} fill="#506784">${escapeHtml(note)}</text>`);
  return wrap(parts);
}

type Resvg = new (svg: string, options?: Record<string, unknown>) => { render(): { asPng(): Buffer } };
let resvg: Resvg | null | undefined;

/** A PNG of an SVG, or undefined where @resvg/resvg-js cannot load (the SVG still serves). */
export function pngOf(svg: string): Buffer | undefined {
  if (resvg === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      resvg = (require('@resvg/resvg-js') as { Resvg: Resvg }).Resvg;
    } catch {
      resvg = null;
    }
  }
  if (!resvg) return undefined;
  return new resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'original' } }).render().asPng();
}

function wrap(parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">${parts.join('')}</svg>`;
}

function f(n: number): string {
  return Number.isFinite(n) ? (Math.round(n * 10) / 10).toString() : '0';
}

function scale(lo: number, hi: number, pxLo: number, pxHi: number, pad: boolean): Scale {
  if (!(hi > lo)) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= d;
    hi += d;
  } else if (pad) {
    const d = (hi - lo) * 0.05;
    lo -= d;
    hi += d;
  }
  return { lo, hi, px: (v) => pxLo + ((v - lo) / (hi - lo)) * (pxHi - pxLo) };
}

function linearTicks(lo: number, hi: number, count = 6): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function formatNumber(v: number, s: Scale): string {
  const span = s.hi - s.lo;
  if (Math.abs(v) >= 1e6 || (Math.abs(v) > 0 && Math.abs(v) < 1e-3)) return v.toExponential(2);
  const decimals = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(span / 6))));
  return Number(v.toFixed(decimals)).toLocaleString('en-US', { maximumFractionDigits: decimals });
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DATE_STEPS = [SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 182 * DAY, 365 * DAY];

/** Ticks on round UTC times, labelled as a person reads them: the date on the first tick and where it changes. */
function dateTicks(lo: number, hi: number): { v: number; label: string }[] {
  const raw = (hi - lo) / 6;
  const step = DATE_STEPS.find((s) => s >= raw) ?? DATE_STEPS[DATE_STEPS.length - 1]!;
  const out: { v: number; label: string }[] = [];
  let lastDate = '';
  for (let v = Math.ceil(lo / step) * step; v <= hi && out.length < 20; v += step) {
    const iso = new Date(v).toISOString();
    const date = iso.slice(0, 10);
    const time = step < MINUTE ? iso.slice(11, 19) : iso.slice(11, 16);
    const label = step >= DAY ? date : date !== lastDate ? `${date.slice(5)} ${time}` : time;
    lastDate = date;
    out.push({ v, label });
  }
  return out;
}
