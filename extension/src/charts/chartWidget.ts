/**
 * The renderer of a streamlab chart output. It first draws the static frame the output carries (so a saved or
 * reopened notebook shows the chart at once), then asks the notebook's kernel for the chart over a comm and, while
 * the kernel streams it, folds frames into its traces and redraws at most once per animation frame, acknowledging
 * every few frames so the kernel's window of unacknowledged frames stays open. User zoom and pan survive updates
 * (plotly's uirevision) and ask the kernel for that range at full resolution. It keeps the output's static frame (a PNG and plotly's JSON)
 * current itself, so a save writes the chart's last frame into the notebook file.
 */
import { Widget } from '@lumino/widgets';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { ACK_AT_LEAST_EVERY_MS, ACK_EVERY_FRAMES, CHART_COMM_TARGET, CHART_MIME, PLOTLY_MIME } from '../../../protocol/messages';
import type { ChartBundleData, ChartStats, ChartToKernel, KernelToChart, PaintReport, TraceUpdate } from '../../../protocol/messages';
import { mergeTrace, TracePoints } from '../../../protocol/traceMerge';
import { plotlyText } from '../../../protocol/dataText';
import type { PlotlyHTMLElement } from 'plotly.js-dist-min';
import { CanvasSeries, CanvasTrace, toNumber } from './canvasSeries';
import { ChartHost, StaticFrameWriter } from './chartHost';
import { loadPlotly, Plotly } from './plotlyLoader';

type Json = Record<string, unknown>;

interface LiveBundle extends ChartBundleData {
  layout: Json;
  traceTemplates: { series: Json; marker: Json; markerStyles?: { color: string; symbol: string }[] };
}

interface TraceState {
  name: string;
  role: 'series' | 'marker';
  points: TracePoints;
}

/** A PNG of the frame at most this often while live (Plotly.toImage costs a redraw off-screen). */
const IMAGE_EVERY_MS = 5000;
/** The status line at most this often while live: readable, and one layout less in most frames. */
const STATUS_EVERY_MS = 250;
/**
 * While the series are on the canvas, plotly redraws the axes only when the data leaves them, at most this often
 * (newer points are clipped at the edge meanwhile), and with this much room ahead of the live edge (a fraction of
 * the span) so that a steady stream moves the axes every few seconds, not every frame.
 */
const AXES_EVERY_MS = 250;
/** How long a paint waits for an acknowledgement to ride on before it is reported alone. */
const PAINT_REPORT_WAIT_MS = 150;
const X_ROOM = 0.02;
/** The y axis shrinks back when the data spans less than this fraction of it. */
const Y_SHRINK_BELOW = 0.6;
type Range = [number, number];
const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ['lasso2d', 'select2d'] };

export class ChartWidget extends Widget implements IRenderMime.IRenderer, StaticFrameWriter {
  private model: IRenderMime.IMimeModel | undefined;
  private bundle: LiveBundle | undefined;
  private readonly plotEl: HTMLDivElement;
  private readonly statusEl: HTMLSpanElement;
  private readonly pauseButton: HTMLButtonElement;
  private readonly clearButton: HTMLButtonElement;
  private readonly traces = new Map<string, TraceState>();
  private plotly: Plotly | undefined;
  private plotted = false;
  private comm: Kernel.IComm | undefined;
  private kernel: Kernel.IKernelConnection | undefined;
  private live = false;
  private stats: ChartStats | undefined;
  /** The newest frame taken in and not yet drawn. */
  private undrawnSeq: number | undefined;
  /** The last redraw's paint, reported with the next acknowledgement (or alone, when no frame comes soon). */
  private unreportedPaint: PaintReport | undefined;
  private paintReportTimer: ReturnType<typeof setTimeout> | undefined;
  /** The newest frame drawn, and the newest acknowledged (when): acknowledgements go once per few frames. */
  private drawnSeq = 0;
  private ackedSeq = 0;
  private ackedAt = 0;
  private rafPending = false;
  private rendering = false;
  private renderAgain = false;
  private revision = 0;
  private useWebGl = false;
  private lastImageAt = 0;
  private imageStale = true;
  private imageRunning = false;
  private png: string | undefined;
  /** The user's zoom or pan, as plotly reported it (per axis): kept on every redraw until a double-click. */
  private userRange: { x?: unknown[]; y?: unknown[] } = {};
  private lastState = '';
  private statusAt = 0;
  private canvas: CanvasSeries | undefined;
  /** The mouse is over the plot: plotly draws everything, so hover, legend clicks and zoom boxes work as usual. */
  private pointerInside = false;
  /** The axis ranges plotly last drew while the series were on the canvas. */
  private heldAxes: { x: Range; y: Range } | undefined;
  private axesAt = 0;

  constructor(
    private readonly options: IRenderMime.IRendererOptions,
    private readonly host: ChartHost,
  ) {
    super();
    this.addClass('streamlab-chart');
    const bar = document.createElement('div');
    bar.className = 'streamlab-chart-bar';
    this.pauseButton = button('Pause', 'streamlab-chart-pause', () => this.control(this.stats?.state === 'paused' ? 'resume' : 'pause'));
    this.clearButton = button('Clear', 'streamlab-chart-clear', () => this.control('clear'));
    this.statusEl = document.createElement('span');
    this.statusEl.className = 'streamlab-chart-status';
    bar.append(this.pauseButton, this.clearButton, this.statusEl);
    this.plotEl = document.createElement('div');
    this.plotEl.className = 'streamlab-chart-plot';
    this.node.append(bar, this.plotEl);
    this.setControls(false);
    const inspect = (inside: boolean) => () => {
      this.pointerInside = inside;
      this.schedule();
    };
    this.plotEl.addEventListener('mouseenter', inspect(true));
    this.plotEl.addEventListener('mouseleave', inspect(false));
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.model = model;
    const data = model.data[this.options.mimeType] as unknown as LiveBundle | undefined;
    if (!data || typeof data.chartId !== 'string') {
      this.statusEl.textContent = 'not a streamlab chart output';
      return;
    }
    // An update of the same chart (the kernel's fallback refresh, our own image): the live plot stays as it is.
    if (this.bundle?.chartId === data.chartId && (this.live || this.plotted)) {
      if (!this.live) await this.drawStatic(model);
      return;
    }
    this.bundle = data;
    await this.drawStatic(model);
    if (this.isAttached) this.connect();
  }

  /** Writes the current frame into the output: a PNG (the latest made) and plotly's JSON, replacing the SVG. */
  writeStaticFrame(): void {
    if (!this.model || !this.bundle || !this.plotted) return;
    const data: Json = { ...(this.model.data as Json), [PLOTLY_MIME]: { data: this.figureData(false), layout: this.bundle.layout } };
    if (this.png) {
      data['image/png'] = this.png;
      // A stale SVG would win over the fresh PNG in nbconvert and GitHub, which prefer SVG.
      delete data['image/svg+xml'];
    }
    this.model.setData({ data: data as IRenderMime.IMimeModel['data'] });
  }

  protected override onAfterAttach(): void {
    this.host.add(this);
    if (this.bundle && !this.comm) this.connect();
  }

  protected override onBeforeDetach(): void {
    this.host.remove(this);
  }

  protected override onResize(): void {
    // The plot area moves with the size: the canvas is placed again on the next frame.
    this.heldAxes = undefined;
    if (this.plotted && this.plotly) this.plotly.Plots.resize(this.plotEl);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.host.remove(this);
    clearTimeout(this.paintReportTimer);
    if (this.useWebGl) this.host.webgl.release();
    try {
      this.comm?.close();
    } catch {
      // The kernel is gone already.
    }
    this.comm = undefined;
    if (this.plotly && this.plotted) this.plotly.purge(this.plotEl);
    super.dispose();
  }

  /** Draws what the output carries: plotly's JSON of the frame it was saved or last refreshed with. */
  private async drawStatic(model: IRenderMime.IMimeModel): Promise<void> {
    const figure = model.data[PLOTLY_MIME] as { data?: Json[] } | undefined;
    this.traces.clear();
    for (const t of figure?.data ?? []) {
      const id = String(t.uid ?? t.name ?? this.traces.size);
      const role = t.meta === 'marker' ? 'marker' : 'series';
      this.traces.set(id, { name: String(t.name ?? id), role, points: { x: (t.x as (number | string)[]) ?? [], y: (t.y as number[]) ?? [], ...(t.text ? { text: t.text as string[] } : {}) } });
    }
    await this.render();
    this.updateStatus();
  }

  /** Asks the kernel of this notebook for the chart; without one, the static frame stays. */
  private connect(): void {
    if (!this.bundle || this.comm) return;
    const kernel = this.host.kernelFor(this);
    if (!kernel) {
      this.updateStatus();
      return;
    }
    this.kernel = kernel;
    const comm = kernel.createComm(CHART_COMM_TARGET);
    this.comm = comm;
    comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => this.onKernelMessage(msg.content.data as unknown as KernelToChart | { type: 'gone' });
    comm.onClose = () => {
      this.comm = undefined;
      this.goStatic();
    };
    kernel.statusChanged.connect(this.onKernelStatus, this);
    comm.open({ chartId: this.bundle.chartId });
    this.drawnSeq = this.ackedSeq = 0;
    this.send({ type: 'hello', width: this.plotEl.clientWidth || 800, keepsStaticFrame: true });
  }

  private onKernelStatus(_: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'dead' || status === 'autorestarting') this.goStatic();
  }

  private goStatic(): void {
    if (!this.live) return;
    this.live = false;
    this.kernel?.statusChanged.disconnect(this.onKernelStatus, this);
    this.setControls(false);
    this.updateStatus();
    void this.refreshImage(true);
  }

  private onKernelMessage(msg: KernelToChart | { type: 'gone' }): void {
    switch (msg.type) {
      case 'frame':
        if (!this.live) {
          // The first frame after connecting replaces the saved frame whole (the kernel sends every trace).
          this.traces.clear();
          this.live = true;
          this.setControls(true);
        }
        for (const u of msg.traces) this.apply(u);
        this.stats = msg.stats;
        this.undrawnSeq = msg.seq;
        this.imageStale = true;
        this.schedule();
        break;
      case 'stats':
        this.stats = msg.stats;
        this.updateStatus();
        break;
      case 'gone':
        this.comm = undefined;
        this.updateStatus('saved frame (this chart is not running in the kernel)');
        break;
      default:
        break;
    }
  }

  private apply(u: TraceUpdate): void {
    const t = this.traces.get(u.id);
    const points = mergeTrace(t?.points, u);
    this.traces.set(u.id, { name: u.name, role: u.role, points });
  }

  private schedule(): void {
    if (this.rafPending) return;
    this.rafPending = true;
    requestAnimationFrame(() => {
      this.rafPending = false;
      void this.renderFrame();
    });
  }

  /**
   * The frames a redraw takes in are acknowledged as it starts, so more travel while it draws; but only once every
   * few frames (FRAMES_IN_FLIGHT in the protocol says why). The paint before rides on the acknowledgement.
   */
  private acknowledgeIfDue(seq: number): void {
    if (seq - this.ackedSeq >= ACK_EVERY_FRAMES || performance.now() - this.ackedAt >= ACK_AT_LEAST_EVERY_MS) this.acknowledge(seq);
  }

  private acknowledge(seq: number | undefined): void {
    if (seq !== undefined) {
      this.ackedSeq = seq;
      this.ackedAt = performance.now();
    }
    const painted = this.unreportedPaint;
    this.unreportedPaint = undefined;
    clearTimeout(this.paintReportTimer);
    if (seq !== undefined || painted) this.send({ type: 'ack', ...(seq !== undefined ? { seq } : {}), ...(painted ? { painted } : {}) });
  }

  /**
   * A paint waits for the next acknowledgement to carry it. A chart gone quiet (no redraw for a while) acknowledges
   * what it drew and reports the paint alone, so the kernel never waits on frames already drawn.
   */
  private reportPaint(paint: PaintReport): void {
    this.unreportedPaint = paint;
    clearTimeout(this.paintReportTimer);
    this.paintReportTimer = setTimeout(() => this.acknowledge(this.drawnSeq > this.ackedSeq ? this.drawnSeq : undefined), PAINT_REPORT_WAIT_MS);
  }

  /** One redraw for everything that arrived since the last. */
  private async renderFrame(): Promise<void> {
    if (this.rendering) {
      this.renderAgain = true;
      return;
    }
    this.rendering = true;
    const seq = this.undrawnSeq;
    this.undrawnSeq = undefined;
    if (seq !== undefined) {
      this.drawnSeq = seq;
      this.acknowledgeIfDue(seq);
    }
    const started = performance.now();
    try {
      await this.render();
    } finally {
      this.rendering = false;
    }
    if (seq !== undefined) this.reportPaint({ seq, renderMs: performance.now() - started, paintedAt: Date.now() });
    const state = this.stats?.state ?? '';
    if (state !== this.lastState || performance.now() - this.statusAt >= STATUS_EVERY_MS) this.updateStatus();
    if (state !== this.lastState) {
      this.lastState = state;
      if (state !== 'running') void this.refreshImage(true);
    } else void this.refreshImage(false);
    if (this.renderAgain) {
      this.renderAgain = false;
      this.schedule();
    }
  }

  private async render(): Promise<void> {
    if (!this.bundle) return;
    this.plotly ??= await loadPlotly();
    const extent = this.dataExtent();
    if (this.plotted && this.onCanvas() && extent) await this.renderOnCanvas(extent);
    else await this.renderWithPlotly(extent);
    this.publishDrawn();
  }

  /** Everything drawn by plotly: static frames, bars and histograms, WebGL, and whenever the user inspects the chart. */
  private async renderWithPlotly(extent: { x: Range; y: Range } | undefined): Promise<void> {
    this.canvas?.hide();
    this.heldAxes = undefined;
    const layout = { ...this.bundle!.layout, ...this.axisRanges(extent), datarevision: ++this.revision };
    if (!this.plotted) {
      const biggest = Math.max(0, ...[...this.traces.values()].map((t) => t.points.x.length));
      this.useWebGl = this.host.webgl.take(biggest);
      const gd = await this.plotly!.newPlot(this.plotEl, this.figureData(this.useWebGl), layout, CONFIG);
      this.listenToZoom(gd);
      this.plotted = true;
      return;
    }
    await this.plotly!.react(this.plotEl, this.figureData(this.useWebGl), layout, CONFIG);
  }

  /**
   * The series on the canvas over plotly's plot area. plotly holds the same traces with only their last points (so
   * its legend and colours stay), and redraws only when the data has left the axes it drew.
   */
  private async renderOnCanvas(extent: { x: Range; y: Range }): Promise<void> {
    const held = this.heldAxes;
    if (!held || (this.axesMustMove(held, extent) && performance.now() - this.axesAt >= AXES_EVERY_MS)) {
      const span = extent.x[1] - extent.x[0];
      const axes = { x: [extent.x[0], extent.x[1] + span * X_ROOM] as Range, y: extent.y };
      const layout = { ...this.bundle!.layout, ...this.axisRanges(axes), datarevision: ++this.revision };
      await this.plotly!.react(this.plotEl, this.figureData(false, true), layout, CONFIG);
      this.heldAxes = axes;
      this.axesAt = performance.now();
      this.canvas ??= new CanvasSeries(this.plotEl);
      const size = (this.plotEl as PlotlyHTMLElement & { _fullLayout?: { _size?: { l: number; t: number; w: number; h: number } } })._fullLayout?._size;
      if (size) this.canvas.place(size);
    }
    this.canvas?.draw(this.canvasTraces(), this.heldAxes!.x, this.heldAxes!.y);
  }

  /** Live line and scatter charts drawn with SVG go on the canvas while nobody is looking closely. */
  private onCanvas(): boolean {
    const kind = this.bundle!.spec.kind;
    return this.live && !this.useWebGl && !this.pointerInside && !this.zoomed && (kind === 'line' || kind === 'scatter');
  }

  private axesMustMove(held: { x: Range; y: Range }, extent: { x: Range; y: Range }): boolean {
    const span = held.x[1] - held.x[0];
    const ySpan = held.y[1] - held.y[0];
    return (
      extent.x[1] > held.x[1] ||
      extent.x[0] < held.x[0] ||
      extent.x[0] - held.x[0] > span * X_ROOM ||
      extent.y[0] < held.y[0] ||
      extent.y[1] > held.y[1] ||
      extent.y[1] - extent.y[0] < ySpan * Y_SHRINK_BELOW
    );
  }

  /** The traces as the canvas draws them, in plotly's colours and its legend's visibility (a click hides a trace). */
  private canvasTraces(): CanvasTrace[] {
    const full = (this.plotEl as PlotlyHTMLElement & { _fullData?: Json[] })._fullData ?? [];
    const out: CanvasTrace[] = [];
    let i = 0;
    for (const role of ['series', 'marker'] as const) {
      for (const t of this.traces.values()) {
        if (t.role !== role) continue;
        const f = (full[i++] ?? {}) as { visible?: unknown; mode?: string; line?: { color?: string; width?: number }; marker?: { color?: string; symbol?: string; size?: number; line?: { width?: number } } };
        if (f.visible !== true) continue;
        const markers = role === 'marker' || f.mode === 'markers';
        out.push({
          points: t.points,
          mode: markers ? 'markers' : 'lines',
          color: String((markers ? f.marker?.color : f.line?.color) ?? '#1f77b4'),
          symbol: String(f.marker?.symbol ?? 'circle'),
          size: Number(f.marker?.size ?? 6),
          lineWidth: Number(markers ? (f.marker?.line?.width ?? 1) : (f.line?.width ?? 1)),
        });
      }
    }
    return out;
  }

  /**
   * What the chart shows, per trace (points and the last x), on the plot element, and an event per redraw: for
   * the end-to-end tests and the browser bench, whichever layer drew it.
   */
  private publishDrawn(): void {
    const drawn = [];
    for (const role of ['series', 'marker'] as const) {
      for (const t of this.traces.values()) {
        if (t.role !== role) continue;
        const xs = t.points.x;
        drawn.push({ name: t.name, marker: role === 'marker', points: xs.length, lastX: xs.length ? toNumber(xs[xs.length - 1]!) : null });
      }
    }
    this.plotEl.dataset.drawn = JSON.stringify(drawn);
    this.plotEl.dataset.layer = this.canvas?.shown ? 'canvas' : 'plotly';
    this.node.dispatchEvent(new Event('streamlab-chart-drawn'));
  }

  private figureData(webgl: boolean, withoutPoints = false): Json[] {
    const templates = this.bundle!.traceTemplates;
    const out: Json[] = [];
    let markers = 0;
    let index = 0;
    for (const role of ['series', 'marker'] as const) {
      for (const t of this.traces.values()) {
        if (t.role !== role) continue;
        const template = role === 'series' ? templates.series : markerTemplate(templates, markers++);
        const type = webgl && role === 'series' && template.type === 'scatter' ? 'scattergl' : template.type;
        // plotly puts uids into CSS selectors: a plain token, stable while the trace lives.
        // Without its points, a trace keeps its last one: plotly hides a trace with none, from the legend too.
        const p = withoutPoints ? { x: t.points.x.slice(-1), y: t.points.y.slice(-1), text: t.points.text?.slice(-1) } : t.points;
        // Names and hover text come from data (record keys): shown as text, never as plotly's markup.
        const points = { x: p.x, y: p.y, ...(p.text ? { text: p.text.map(plotlyText) } : {}) };
        out.push({ ...template, type, uid: `s${index++}`, name: plotlyText(t.name), ...points });
      }
    }
    return out;
  }

  /**
   * Both axes' ranges, given rather than left to plotly's autorange, which scans every point with its padding logic
   * on every redraw (measured: 45 ms a redraw at 8 x 1,000 points, 28 ms with the ranges given). The extent of what
   * the chart holds is one pass here. A user's zoom or pan is given back as it was reported, so it stays put.
   */
  private axisRanges(extent: { x: Range; y: Range } | undefined): { xaxis?: Json; yaxis?: Json } {
    if (!extent) return {};
    const layout = this.bundle!.layout as { xaxis?: Json; yaxis?: Json };
    return {
      xaxis: { ...layout.xaxis, autorange: false, range: this.userRange.x ?? extent.x },
      yaxis: { ...layout.yaxis, autorange: false, range: this.userRange.y ?? extent.y },
    };
  }

  /** What the chart holds, as x and (padded) y ranges; none for bars and histograms, which plotly ranges itself. */
  private dataExtent(): { x: Range; y: Range } | undefined {
    const kind = this.bundle!.spec.kind;
    if (kind !== 'line' && kind !== 'scatter') return undefined;
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (const t of this.traces.values()) {
      // Not only the ends: a scatter's x need not be sorted.
      for (const c of t.points.x) {
        const v = Number(c);
        if (v < x0) x0 = v;
        if (v > x1) x1 = v;
      }
      for (const v of t.points.y) {
        if (v < y0) y0 = v;
        if (v > y1) y1 = v;
      }
    }
    if (!Number.isFinite(x0) || !Number.isFinite(x1) || !Number.isFinite(y0) || !Number.isFinite(y1)) return undefined;
    if (x1 === x0) [x0, x1] = this.bundle!.spec.xType === 'date' ? [x0 - 1000, x1 + 1000] : [x0 - 1, x1 + 1];
    // plotly's padding for lines with markers: a twentieth of the span each side.
    const pad = y1 > y0 ? (y1 - y0) * 0.05 : Math.max(1, Math.abs(y0) * 0.05);
    return { x: [x0, x1], y: [y0 - pad, y1 + pad] };
  }

  private get zoomed(): boolean {
    return this.userRange.x !== undefined || this.userRange.y !== undefined;
  }

  /** A user's zoom or pan asks for that range at full resolution; a double-click (autorange) follows the live edge again. */
  private listenToZoom(gd: PlotlyHTMLElement): void {
    gd.on('plotly_relayout', (e: Record<string, unknown>) => {
      if (!this.bundle) return;
      if (e['xaxis.autorange'] === true || e['yaxis.autorange'] === true) {
        const wasZoomedInX = this.userRange.x !== undefined;
        this.userRange = {};
        this.schedule();
        if (this.live && wasZoomedInX) this.send({ type: 'view', xRange: null });
        return;
      }
      const yRange = (e['yaxis.range'] as unknown[] | undefined) ?? (e['yaxis.range[0]'] !== undefined ? [e['yaxis.range[0]'], e['yaxis.range[1]']] : undefined);
      if (yRange) this.userRange.y = yRange;
      const range = (e['xaxis.range'] as unknown[] | undefined) ?? (e['xaxis.range[0]'] !== undefined ? [e['xaxis.range[0]'], e['xaxis.range[1]']] : undefined);
      if (!range) return;
      this.userRange.x = range;
      if (!this.live) return;
      const date = this.bundle.spec.xType === 'date';
      const xRange = range.map((v) => (date ? parsePlotlyDate(v) : Number(v))) as [number, number];
      if (!xRange.every(Number.isFinite)) return;
      this.send({ type: 'view', xRange, width: this.plotEl.clientWidth });
    });
  }

  private control(action: 'pause' | 'resume' | 'clear'): void {
    this.send({ type: 'control', action });
  }

  private send(msg: ChartToKernel): void {
    if (!this.comm || this.comm.isDisposed) return;
    try {
      this.comm.send(msg as unknown as Parameters<Kernel.IComm['send']>[0]);
    } catch {
      this.goStatic();
    }
  }

  /** A PNG of the frame for the saved notebook: now (state changes), else at most every few seconds while live. */
  private async refreshImage(now: boolean): Promise<void> {
    if (!this.plotly || !this.plotted || this.imageRunning) return;
    if (!now && (!this.imageStale || Date.now() - this.lastImageAt < IMAGE_EVERY_MS)) return;
    this.imageRunning = true;
    this.imageStale = false;
    this.lastImageAt = Date.now();
    try {
      // From the whole figure, not the plot element: while live, the element's traces may be on the canvas.
      const figure = { data: this.figureData(false), layout: { ...this.bundle!.layout, ...this.axisRanges(this.dataExtent()) } };
      const url = await this.plotly.toImage(figure, { format: 'png', width: Math.max(400, this.plotEl.clientWidth || 800), height: 360 });
      this.png = url.replace(/^data:image\/png;base64,/, '');
      if (!this.live) this.writeStaticFrame();
    } catch (e) {
      // An image is a convenience for other frontends; the live chart does not depend on it.
      console.warn(`streamlab: could not make an image of chart '${this.bundle?.name}': ${String(e)}`);
    } finally {
      this.imageRunning = false;
    }
  }

  private setControls(live: boolean): void {
    this.pauseButton.disabled = !live;
    this.clearButton.disabled = !live;
  }

  private updateStatus(override?: string): void {
    this.statusAt = performance.now();
    const s = this.stats;
    if (override) {
      this.statusEl.textContent = override;
      return;
    }
    if (!this.live || !s) {
      const points = [...this.traces.values()].reduce((n, t) => n + t.points.x.length, 0);
      this.statusEl.textContent = `${this.bundle?.name ?? 'chart'}: saved frame, ${points.toLocaleString('en-US')} points shown${this.comm ? '' : ' (not live: the kernel is not running this chart)'}`;
      this.statusEl.dataset.state = 'static';
      return;
    }
    this.pauseButton.textContent = s.state === 'paused' ? 'Resume' : 'Pause';
    const state = s.state === 'running' ? '● live' : s.state === 'paused' ? '❚❚ paused' : `■ ${s.state}`;
    const parts = [state, `${s.pointsPerSecond.toLocaleString('en-US')} points/s`, `${s.shown.toLocaleString('en-US')} shown`, `${s.pointsIn.toLocaleString('en-US')} in`];
    if (this.zoomed) parts.push('zoomed: double-click to follow');
    if (s.lastError) parts.push(s.lastError);
    this.statusEl.textContent = `${this.bundle?.name ?? 'chart'} · ${parts.join(' · ')}`;
    this.statusEl.dataset.state = s.state;
    this.statusEl.dataset.zoomed = String(this.zoomed);
    this.statusEl.dataset.shown = String(s.shown);
    this.statusEl.dataset.pointsIn = String(s.pointsIn);
  }
}

/** The marker template in the i-th marker style (the kernel's palette, in order of appearance). */
function markerTemplate(templates: LiveBundle['traceTemplates'], i: number): Json {
  const styles = templates.markerStyles ?? [];
  const style = styles.length ? styles[i % styles.length]! : undefined;
  return style ? { ...templates.marker, marker: { ...(templates.marker.marker as Json), color: style.color, symbol: style.symbol } } : templates.marker;
}

function button(label: string, className: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.className = `jp-Button streamlab-chart-button ${className}`;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

/** plotly reports date-axis ranges as 'YYYY-MM-DD HH:MM:SS.sss' in the axis's (UTC) time. */
function parsePlotlyDate(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = String(v).trim();
  return Date.parse(s.includes('T') ? s : `${s.replace(' ', 'T')}${/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? '' : 'Z'}`);
}

export { CHART_MIME };
