/**
 * Carries a LiveChart to notebooks through the display interface (src/display): the display itself, whose bundle
 * has the live MIME type plus static fallbacks, and the comms that renderers open to fetch frames.
 *
 * Pacing is by acknowledgement, the way Perspective adapts to render time: frames go at most one per animation
 * frame's worth of time while fewer than FRAMES_IN_FLIGHT are unacknowledged, and the renderer acknowledges the
 * frames each redraw takes in, once every few (protocol/messages.ts says why). Points that arrive while the window
 * is full are merged into the chart's buckets, so a slow or silent frontend costs the kernel nothing but a counter:
 * no frame is queued past the window. Frontends that cannot render the live type (classic notebook, VS Code,
 * nbconvert) get the static fallbacks refreshed about once a second, and the last frame with a PNG when the chart
 * stops.
 */
import { randomUUID } from 'node:crypto';
import { CHART_COMM_TARGET, CHART_MIME, FRAMES_IN_FLIGHT, PLOTLY_MIME } from '../../protocol/messages';
import type { ChartBundleData, ChartToKernel, FrameMessage } from '../../protocol/messages';
import { MimeBundle, NotebookOutput, OutputComm, notebookOutput } from '../output/notebookOutput';
import type { LiveChart } from './liveChart';
import { chartLayout, plotlyFigure, traceTemplates } from './plotlyFigure';
import { chartSvg, pngOf } from './staticImage';

const MIN_FRAME_MS = 1000 / 60;
/** A renderer that has not acknowledged a frame for this long is taken to have missed it. */
const ACK_TIMEOUT_MS = 5000;
const FALLBACK_REFRESH_MS = 1000;
/** Send times kept per renderer, for paints reported late. */
const SENT_AT_KEPT = 2 * FRAMES_IN_FLIGHT;
const STATIC_BUCKETS = 200;
const VIEW_REFRESH_MS = 1000;

interface Renderer {
  comm: OutputComm;
  keepsStaticFrame: boolean;
  attached: boolean;
  /** Frames sent and not yet acknowledged, oldest first (at most FRAMES_IN_FLIGHT). */
  inFlight: { seq: number; sentAt: number }[];
  /** When recent frames were sent, by seq: a paint is reported after its frame has left inFlight. */
  sentAt: Map<number, number>;
  view?: [number, number];
  viewSentVersion: number;
}

const links = new Map<string, ChartLink>();
const outputsWithTarget = new WeakSet<NotebookOutput>();

/** Renderers open a comm to CHART_COMM_TARGET naming their chart; the link of that chart takes it. */
function ensureCommTarget(output: NotebookOutput): void {
  if (outputsWithTarget.has(output)) return;
  outputsWithTarget.add(output);
  output.registerCommTarget(CHART_COMM_TARGET, (comm, data) => {
    const link = links.get(String(data.chartId ?? ''));
    if (!link) {
      // A chart of an earlier kernel (the notebook was reopened): the renderer keeps showing its saved frame.
      comm.send({ type: 'gone' });
      comm.close({ reason: 'this chart is not running in this kernel' });
      return;
    }
    link.attach(comm);
  });
}

export class ChartLink {
  private readonly renderers = new Map<string, Renderer>();
  private readonly displayIds: string[] = [];
  private output: NotebookOutput | undefined;
  private sendTimer: NodeJS.Timeout | undefined;
  private housekeeping: NodeJS.Timeout | undefined;
  private lastSend = 0;
  private lastSentState = '';
  private staticVersion = -1;
  private lastFallback = 0;
  private readonly latencies: number[] = [];
  /** Send to acknowledgement, ms: the comm's round trip through the Jupyter server, which paces the frames. */
  private readonly roundTrips: number[] = [];
  private closed = false;
  /** Frames a renderer did not acknowledge in time. */
  stalls = 0;

  constructor(readonly chart: LiveChart) {
    links.set(chart.id, this);
    chart.onChange(() => this.onChartChange());
  }

  /** Shows the chart below the running cell; returns the display id (undefined outside a notebook). */
  show(): string | undefined {
    const output = notebookOutput();
    if (!output) return undefined;
    this.output = output;
    ensureCommTarget(output);
    const id = randomUUID();
    this.displayIds.push(id);
    output.display(this.bundle(false), id, false);
    this.staticVersion = this.chart.version;
    this.lastFallback = Date.now();
    this.startHousekeeping();
    return id;
  }

  /** The display bundle: the live type, plotly's JSON of the current frame, an SVG of it (and at the end a PNG). */
  bundle(final: boolean): MimeBundle {
    const chart = this.chart;
    const snapshot = chart.snapshot(STATIC_BUCKETS);
    const live: ChartBundleData & { layout: unknown; traceTemplates: unknown } = {
      version: 1,
      chartId: chart.id,
      name: chart.name,
      spec: chart.spec,
      layout: chartLayout(chart.spec, chart.id),
      traceTemplates: traceTemplates(chart.spec),
    };
    const stats = chart.stats();
    const note = stats.pointsIn === 0 ? `waiting for points from ${chart.spec.source}` : `${chart.name}: ${stats.pointsIn.toLocaleString('en-US')} points${final ? '' : ' so far'}`;
    const svg = chartSvg(chart.spec, snapshot, stats.pointsIn === 0 ? note : undefined);
    const bundle: MimeBundle = {
      [CHART_MIME]: live,
      [PLOTLY_MIME]: plotlyFigure(chart.spec, chart.id, snapshot),
      'image/svg+xml': svg,
      'text/plain': this.summary(final),
    };
    if (final) {
      const png = pngOf(svg);
      if (png) bundle['image/png'] = png.toString('base64');
    }
    return bundle;
  }

  /** A renderer's comm. */
  attach(comm: OutputComm): void {
    const r: Renderer = { comm, keepsStaticFrame: false, attached: false, inFlight: [], sentAt: new Map(), viewSentVersion: -1 };
    this.renderers.set(comm.id, r);
    comm.onMessage((data) => this.handle(r, data as unknown as ChartToKernel));
    comm.onClose(() => this.renderers.delete(comm.id));
  }

  /** Send-to-paint latency of recent frames: p50 and p95, ms. */
  latency(): { p50?: number; p95?: number; count: number } {
    return quantiles(this.latencies);
  }

  /** Send-to-acknowledgement time of recent frames: p50 and p95, ms. */
  roundTrip(): { p50?: number; p95?: number; count: number } {
    return quantiles(this.roundTrips);
  }

  /** Renderers attached now. */
  get rendererCount(): number {
    return [...this.renderers.values()].filter((r) => r.attached).length;
  }

  /** The chart ended: frontends get its last frame, every display its final bundle (with a PNG), comms close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.sendTimer);
    clearInterval(this.housekeeping);
    this.sendLive(true);
    if (this.output && this.displayIds.length > 0) {
      const bundle = this.bundle(true);
      for (const id of this.displayIds) this.output.display(bundle, id, true);
    }
    links.delete(this.chart.id);
  }

  private handle(r: Renderer, msg: ChartToKernel): void {
    switch (msg.type) {
      case 'hello':
        r.attached = true;
        r.keepsStaticFrame = msg.keepsStaticFrame === true;
        r.inFlight = [];
        if (Number.isFinite(msg.width) && msg.width > 0) this.chart.setPlotWidth(msg.width);
        this.chart.invalidate();
        this.lastSentState = '';
        this.schedule();
        break;
      case 'ack': {
        if (msg.painted && Number.isFinite(msg.painted.paintedAt)) {
          const sentAt = r.sentAt.get(msg.painted.seq);
          if (sentAt !== undefined) this.recordLatency(msg.painted.paintedAt - sentAt);
        }
        if (typeof msg.seq === 'number') {
          const sentAt = r.inFlight.find((f) => f.seq === msg.seq)?.sentAt;
          if (sentAt !== undefined) keepRecent(this.roundTrips, Date.now() - sentAt);
          r.inFlight = r.inFlight.filter((f) => f.seq > msg.seq!);
          if (this.chart.hasChanges) this.schedule();
        }
        break;
      }
      case 'view':
        if (msg.xRange && msg.xRange.length === 2 && msg.xRange.every(Number.isFinite)) {
          r.view = [Math.min(...msg.xRange), Math.max(...msg.xRange)];
          this.sendView(r);
        } else {
          r.view = undefined;
          this.chart.invalidate();
          this.schedule();
        }
        break;
      case 'control':
        if (msg.action === 'pause') this.chart.pause();
        else if (msg.action === 'resume') this.chart.resume();
        else if (msg.action === 'clear') this.chart.clear();
        break;
      default:
        break;
    }
  }

  private onChartChange(): void {
    if (this.renderers.size > 0 && [...this.renderers.values()].some((r) => r.inFlight.length > 0)) this.chart.coalesced++;
    this.schedule();
  }

  private schedule(): void {
    if (this.sendTimer || this.closed) return;
    const wait = Math.max(0, this.lastSend + MIN_FRAME_MS - Date.now());
    this.sendTimer = setTimeout(() => {
      this.sendTimer = undefined;
      this.sendLive(false);
    }, wait);
    this.sendTimer.unref?.();
  }

  /** The next live frame to every attached renderer that follows the live edge, when all have painted the last. */
  private sendLive(force: boolean): void {
    const live = [...this.renderers.values()].filter((r) => r.attached && r.view === undefined && !r.comm.closed);
    if (live.length === 0) return;
    if (!force && live.some((r) => r.inFlight.length >= FRAMES_IN_FLIGHT)) return;
    const state = this.chart.state;
    // Paused: one frame to say so, then nothing until resumed.
    if (state === 'paused' && this.lastSentState === 'paused' && !force) return;
    const frame: FrameMessage | undefined = this.chart.takeFrame();
    if (!frame) return;
    this.lastSend = Date.now();
    this.lastSentState = state;
    for (const r of live) {
      r.comm.send(frame as unknown as Record<string, unknown>);
      r.inFlight.push({ seq: frame.seq, sentAt: frame.sentAt });
      r.sentAt.set(frame.seq, frame.sentAt);
      if (r.sentAt.size > SENT_AT_KEPT) r.sentAt.delete(r.sentAt.keys().next().value!);
    }
  }

  private sendView(r: Renderer): void {
    if (!r.view) return;
    const frame = this.chart.viewFrame(r.view[0], r.view[1]);
    r.viewSentVersion = this.chart.version;
    r.comm.send(frame as unknown as Record<string, unknown>);
  }

  private startHousekeeping(): void {
    if (this.housekeeping) return;
    this.housekeeping = setInterval(() => this.tick(), 250);
    this.housekeeping.unref?.();
  }

  /** Four times a second: stalled renderers, zoomed views with new data, the static fallback. */
  private tick(): void {
    const now = Date.now();
    for (const r of this.renderers.values()) {
      if (r.inFlight.length > 0 && now - r.inFlight[0]!.sentAt > ACK_TIMEOUT_MS) {
        r.inFlight = [];
        this.stalls++;
        // It may have missed frames: everything again.
        this.chart.invalidate();
        this.schedule();
      }
      if (r.view && r.viewSentVersion !== this.chart.version && now - this.lastSend > VIEW_REFRESH_MS && this.chart.state === 'running') this.sendView(r);
    }
    const someoneKeepsStatic = [...this.renderers.values()].some((r) => r.attached && r.keepsStaticFrame && !r.comm.closed);
    if (!someoneKeepsStatic && this.output && this.staticVersion !== this.chart.version && now - this.lastFallback >= FALLBACK_REFRESH_MS) {
      this.staticVersion = this.chart.version;
      this.lastFallback = now;
      const bundle = this.bundle(false);
      for (const id of this.displayIds) this.output.display(bundle, id, true);
    }
  }

  private recordLatency(ms: number): void {
    if (ms >= 0) keepRecent(this.latencies, ms);
  }

  private summary(final: boolean): string {
    const s = this.chart.stats();
    const kind = `${this.chart.spec.kind} chart '${this.chart.name}'`;
    const counts = `${s.pointsIn.toLocaleString('en-US')} points in, ${s.shown.toLocaleString('en-US')} shown`;
    const tail = final ? `(${s.state})` : '(live in JupyterLab with the streamlab extension; `streamlab install` installs it)';
    return `${kind} of ${this.chart.spec.source}: ${counts} ${tail}`;
  }
}

const RECENT_KEPT = 1000;

function keepRecent(xs: number[], x: number): void {
  xs.push(x);
  if (xs.length > RECENT_KEPT) xs.splice(0, xs.length - RECENT_KEPT);
}

function quantiles(xs: number[]): { p50?: number; p95?: number; count: number } {
  if (xs.length === 0) return { count: 0 };
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
  return { p50: at(0.5), p95: at(0.95), count: sorted.length };
}
