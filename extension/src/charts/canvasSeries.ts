/**
 * A live chart's series drawn on a 2D canvas over plotly's plot area, while plotly keeps the axes, title and
 * legend. Why not plotly for every frame: on a machine without a GPU, one Plotly.react of a live figure costs 35-48 ms
 * inside JupyterLab however few its points (defaults, calc, axes and legend are redone each time), which caps a
 * live chart near 13 frames/s; a canvas redraw of the same decimated lines is a few milliseconds. plotly redraws
 * only when the axes must move, and takes the whole figure back whenever the user inspects the chart.
 */
import type { TracePoints } from '../../../protocol/traceMerge';

export interface CanvasTrace {
  points: TracePoints;
  color: string;
  /** 'lines' for a line series, 'markers' for scatter series and flagged points. */
  mode: 'lines' | 'markers';
  /** plotly's marker symbol and size, for markers. */
  symbol: string;
  size: number;
  lineWidth: number;
}

/** plotly's plot area inside its div, in CSS pixels. */
export interface PlotArea {
  l: number;
  t: number;
  w: number;
  h: number;
}

export class CanvasSeries {
  readonly canvas: HTMLCanvasElement;
  private area: PlotArea | undefined;

  constructor(parent: HTMLElement) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'streamlab-chart-canvas';
    // Over the plot area only, and transparent to the mouse: plotly's own layers take every event.
    Object.assign(this.canvas.style, { position: 'absolute', pointerEvents: 'none', display: 'none', zIndex: '1' });
    parent.append(this.canvas);
  }

  get shown(): boolean {
    return this.canvas.style.display !== 'none';
  }

  /** Sizes the canvas to plotly's plot area (after each plotly redraw: a resize or new margins move it). */
  place(area: PlotArea): void {
    const dpr = window.devicePixelRatio || 1;
    const same = this.area && this.area.l === area.l && this.area.t === area.t && this.area.w === area.w && this.area.h === area.h;
    this.area = area;
    if (same) return;
    Object.assign(this.canvas.style, { left: `${area.l}px`, top: `${area.t}px`, width: `${area.w}px`, height: `${area.h}px` });
    this.canvas.width = Math.max(1, Math.round(area.w * dpr));
    this.canvas.height = Math.max(1, Math.round(area.h * dpr));
  }

  hide(): void {
    this.canvas.style.display = 'none';
  }

  /** Draws the traces in the given axis ranges; what falls outside is clipped by the canvas's own edges. */
  draw(traces: CanvasTrace[], x: [number, number], y: [number, number]): void {
    const area = this.area;
    const ctx = this.canvas.getContext('2d');
    if (!area || !ctx) return;
    this.canvas.style.display = 'block';
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, area.w, area.h);
    const sx = area.w / (x[1] - x[0] || 1);
    const sy = area.h / (y[1] - y[0] || 1);
    const px = (v: number) => (v - x[0]) * sx;
    const py = (v: number) => area.h - (v - y[0]) * sy;
    for (const t of traces) {
      const xs = t.points.x;
      const ys = t.points.y;
      if (t.mode === 'lines') {
        ctx.strokeStyle = t.color;
        ctx.lineWidth = t.lineWidth;
        ctx.beginPath();
        let pen = false;
        for (let i = 0; i < xs.length; i++) {
          const xv = toNumber(xs[i]!);
          const yv = ys[i]!;
          // A gap in the data is a gap in the line, as plotly draws it (connectgaps off).
          if (!Number.isFinite(xv) || !Number.isFinite(yv)) {
            pen = false;
            continue;
          }
          if (pen) ctx.lineTo(px(xv), py(yv));
          else ctx.moveTo(px(xv), py(yv));
          pen = true;
        }
        ctx.stroke();
      } else {
        ctx.strokeStyle = t.color;
        ctx.fillStyle = t.color;
        ctx.lineWidth = t.lineWidth;
        const open = t.symbol.endsWith('-open');
        const r = t.size / 2;
        ctx.beginPath();
        for (let i = 0; i < xs.length; i++) {
          const xv = toNumber(xs[i]!);
          const yv = ys[i]!;
          if (!Number.isFinite(xv) || !Number.isFinite(yv)) continue;
          symbolPath(ctx, t.symbol, px(xv), py(yv), r);
        }
        if (open) ctx.stroke();
        else ctx.fill();
      }
    }
  }
}

/** The outline of one of plotly's marker symbols that streamlab uses; any other draws as a circle. */
function symbolPath(ctx: CanvasRenderingContext2D, symbol: string, x: number, y: number, r: number): void {
  const base = symbol.replace(/-open$/, '');
  if (base === 'x-thin' || base === 'x') {
    ctx.moveTo(x - r, y - r);
    ctx.lineTo(x + r, y + r);
    ctx.moveTo(x - r, y + r);
    ctx.lineTo(x + r, y - r);
  } else if (base === 'diamond') {
    ctx.moveTo(x, y - r * 1.3);
    ctx.lineTo(x + r * 1.3, y);
    ctx.lineTo(x, y + r * 1.3);
    ctx.lineTo(x - r * 1.3, y);
    ctx.closePath();
  } else if (base === 'triangle-up') {
    ctx.moveTo(x, y - r * 1.2);
    ctx.lineTo(x + r * 1.2, y + r * 0.8);
    ctx.lineTo(x - r * 1.2, y + r * 0.8);
    ctx.closePath();
  } else if (base === 'square') {
    ctx.rect(x - r, y - r, 2 * r, 2 * r);
  } else {
    ctx.moveTo(x + r, y);
    ctx.arc(x, y, r, 0, Math.PI * 2);
  }
}

/** x values are epoch milliseconds (dates) or numbers; a saved frame may hold date strings. */
export function toNumber(v: number | string): number {
  return typeof v === 'number' ? v : Number.isFinite(Number(v)) ? Number(v) : Date.parse(v);
}
