/**
 * A live chart: the traces of a running stream, a window's results or a user's points, bounded per trace by a time
 * span and/or a point count, decimated to what a plot can show, and handed to frontends as incremental frames.
 * It knows nothing of Jupyter: ChartLink (chartLink.ts) carries frames to renderers over the display interface.
 */
import { randomUUID } from 'node:crypto';
import { StreamlabError } from '../errors';
import { RateMeter } from '../util/rateMeter';
import type { AxisType, ChartKind, ChartSpec, ChartState, ChartStats, FrameMessage, TraceUpdate } from '../../protocol/messages';
import { LineTrace } from './lineTrace';
import { MarkerTrace } from './markerTrace';
import { ArrivalTrace } from './arrivalTrace';
import { BarTrace } from './barTrace';
import { HistogramTrace } from './histogramTrace';
import { parseDuration } from '../window/duration';
import { PointReader } from './pointReader';
import { MIME_BUNDLE, MimeBundle } from '../output/notebookOutput';
import { ChartLink } from './chartLink';

export const CHART_KINDS: readonly ChartKind[] = ['line', 'scatter', 'bar', 'hist'];

export interface ChartOptions {
  kind?: ChartKind;
  title?: string;
  /** The x field; default the event time (record time, or the field `time` of plain rows). */
  x?: string;
  /** y fields; default every numeric field of the first row. */
  y?: string | string[];
  /** One trace per distinct value of these fields. */
  by?: string | string[];
  /** Keep this much time on a date axis: '5m', '1h' or ms. Default 5 minutes when x is time. */
  last?: string | number;
  /** Keep at most this many points per trace (default 1,000,000 with a span, else 10,000). */
  points?: number;
  /** Rows whose value in this field is truthy are drawn again as markers (e.g. 'anomaly', 'isAnomaly'). */
  mark?: string;
  /** Axis titles; default the field names. */
  xTitle?: string;
  yTitle?: string;
  /** At most this many traces (keys × fields); rows of further keys are counted as skipped. Default 32. */
  maxTraces?: number;
  /** At most this many markers per chart (the oldest go). Default 2000. */
  maxMarkers?: number;
  /** What feeds the chart, for its status line (set by whoever feeds it). */
  source?: string;
}

export interface ChartMetrics extends ChartStats {
  traces: number;
  /** Points sent to frontends in frames, over all frames. */
  pointsSent: number;
  /** Rows that gave no finite number for a y field, rows of keys past maxTraces, and x values that were not times. */
  skipped: number;
  markers: number;
  /** Send-to-paint latency of acknowledged frames, ms (recent frames). */
  latencyP50?: number;
  latencyP95?: number;
  memoryBytes: number;
}

type SeriesTrace = LineTrace | ArrivalTrace | BarTrace | HistogramTrace;

const DEFAULT_SPAN_MS = 5 * 60_000;
/**
 * Buckets a trace aims at before the renderer says its width (the grid keeps between this and twice as many, each
 * up to 4 points). Without a GPU plotly redraws SVG, and both its work and the browser's rasterising grow with the
 * points drawn; a bucket every 2.5-5 px still draws each bucket's min and max, so the envelope is exact to a few
 * pixels (plotly-resampler's default is 1,000 points a trace).
 */
const DEFAULT_BUCKETS = 250;
/** Plot pixels per bucket once the renderer's width is known: at 1,300 px, 260-520 buckets, 1,000-2,000 points a trace. */
const PX_PER_BUCKET = 5;

export class LiveChart {
  readonly id = randomUUID();
  readonly spec: ChartSpec;
  private readonly reader: PointReader;
  private readonly series = new Map<string, SeriesTrace>();
  private readonly markers = new Map<string, MarkerTrace>();
  private readonly capacity: number;
  private readonly spanMs: number | undefined;
  private readonly maxTraces: number;
  private readonly maxMarkers: number;
  private readonly rate = new RateMeter();
  private targetBuckets = DEFAULT_BUCKETS;
  private maxX = -Infinity;
  private stateValue: ChartState = 'running';
  private seq = 0;
  private dirty = false;
  private listeners = new Set<() => void>();
  private link: ChartLink | undefined;
  /** Bumped on every change, so a caller can tell whether a snapshot it holds is stale. */
  version = 0;
  pointsIn = 0;
  pointsSent = 0;
  frames = 0;
  coalesced = 0;
  skipped = 0;
  lastError: string | undefined;
  /** Name in a session's streams, when registered there. */
  name: string;

  constructor(readonly options: ChartOptions = {}) {
    const kind = options.kind ?? 'line';
    if (!CHART_KINDS.includes(kind)) throw new StreamlabError(`unknown chart kind '${String(kind)}'`, `use one of ${CHART_KINDS.join(', ')}`);
    const y = options.y === undefined ? [] : Array.isArray(options.y) ? options.y : [options.y];
    const by = options.by === undefined ? [] : Array.isArray(options.by) ? options.by : [options.by];
    this.reader = new PointReader({ x: options.x, y, by, mark: options.mark });
    const xIsTime = options.x === undefined || /time|date|^ts$|timestamp|window(start|end)/i.test(options.x);
    const xType: AxisType = kind === 'bar' ? 'category' : kind === 'hist' ? 'linear' : xIsTime ? 'date' : 'linear';
    this.spanMs = options.last !== undefined ? parseDuration(options.last, 'last') : xIsTime && kind !== 'bar' && options.points === undefined ? DEFAULT_SPAN_MS : undefined;
    if (options.points !== undefined && (!Number.isInteger(options.points) || options.points < 1)) {
      throw new StreamlabError(`points must be a positive whole number, got ${options.points}`, 'e.g. points: 5000 (--points 5000)');
    }
    this.capacity = options.points ?? (this.spanMs !== undefined ? 1_000_000 : 10_000);
    this.maxTraces = positive(options.maxTraces ?? 32, 'maxTraces');
    this.maxMarkers = positive(options.maxMarkers ?? 2000, 'maxMarkers');
    this.name = options.title ?? 'chart';
    this.spec = {
      kind,
      title: options.title ?? '',
      xTitle: options.xTitle ?? (kind === 'hist' ? (y.join(', ') || 'value') : kind === 'bar' ? by.join(', ') : (options.x ?? 'time')),
      yTitle: options.yTitle ?? (kind === 'hist' ? 'count' : y.join(', ')),
      xType,
      spanMs: this.spanMs,
      maxPoints: options.points,
      source: options.source ?? 'code',
    };
  }

  get state(): ChartState {
    return this.stateValue;
  }

  /** Adds rows (stream records, window results' rows, plain objects); returns how many points were taken. */
  push(rows: unknown | unknown[]): number {
    if (this.stateValue === 'stopped') return 0;
    const list = Array.isArray(rows) ? rows : [rows];
    let taken = 0;
    const xIsTime = this.spec.xType === 'date';
    for (const row of list) {
      let p;
      try {
        p = this.reader.read(row, xIsTime);
      } catch (e) {
        this.skipped++;
        this.lastError = (e as Error).message;
        continue;
      }
      if (this.spec.kind !== 'bar' && !Number.isFinite(p.x)) {
        this.skipped++;
        this.lastError = `a row had no readable ${this.options.x ?? 'time'} for x`;
        continue;
      }
      const fields = this.reader.y;
      for (let i = 0; i < fields.length; i++) {
        const y = p.ys[i]!;
        if (!Number.isFinite(y)) {
          this.skipped++;
          continue;
        }
        const trace = this.traceFor(p.key, fields[i]!);
        if (!trace) {
          this.skipped++;
          continue;
        }
        this.addTo(trace, p.x, y, p.key, fields[i]!);
        taken++;
        if (p.flag !== undefined && i === 0) this.markerFor(p.flag).add(p.x, y, `${p.flag}${p.key ? ` · ${p.key}` : ''}`);
      }
    }
    if (taken > 0 || list.length > 0) this.afterAdd(taken);
    return taken;
  }

  /** Flags points as markers of a named kind ('anomaly', 'late'): each row's x and first y field. */
  mark(rows: unknown | unknown[], label = 'flagged'): void {
    const xIsTime = this.spec.xType === 'date';
    for (const row of Array.isArray(rows) ? rows : [rows]) {
      const p = this.reader.read(row, xIsTime);
      const y = p.ys[0];
      if (!Number.isFinite(p.x) || y === undefined || !Number.isFinite(y)) continue;
      this.markerFor(label).add(p.x, y, `${label}${p.key ? ` · ${p.key}` : ''}`);
    }
    this.afterAdd(0);
  }

  /** Stops and starts updates to frontends; points keep arriving into the bounded buffers meanwhile. */
  pause(): void {
    if (this.stateValue === 'running') this.setState('paused');
  }

  resume(): void {
    if (this.stateValue === 'paused') {
      this.setState('running');
      this.dirty = true;
      this.changed();
    }
  }

  clear(): void {
    for (const t of this.series.values()) t.clear();
    for (const m of this.markers.values()) m.clear();
    this.maxX = -Infinity;
    this.dirty = true;
    this.changed();
  }

  /** Ends the chart: no more points; frontends keep its last frame, and the saved notebook an image of it. */
  stop(state: 'stopped' | 'failed' = 'stopped'): void {
    if (this.stateValue === 'stopped' || this.stateValue === 'failed') return;
    this.setState(state);
    this.link?.close();
  }

  /** Shows the chart below the running cell (again, if it is already shown); returns the display id. */
  show(): string | undefined {
    return this.linked().show();
  }

  /** A cell whose value is the chart shows it. */
  [MIME_BUNDLE](): MimeBundle {
    return this.linked().bundle(this.stateValue === 'stopped' || this.stateValue === 'failed');
  }

  /**
   * Frontend-side figures: renderers attached, send-to-paint latency, send-to-acknowledgement round trip, frames
   * not acknowledged in time.
   */
  frontends(): { renderers: number; latencyP50?: number; latencyP95?: number; latencyCount: number; roundTripP50?: number; roundTripP95?: number; stalls: number } {
    const link = this.link;
    if (!link) return { renderers: 0, latencyCount: 0, stalls: 0 };
    const l = link.latency();
    const rt = link.roundTrip();
    return { renderers: link.rendererCount, latencyP50: l.p50, latencyP95: l.p95, latencyCount: l.count, roundTripP50: rt.p50, roundTripP95: rt.p95, stalls: link.stalls };
  }

  /** Called (synchronously) whenever there is something new for frontends: points, state, a clear. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The plot width a frontend reported: decimation aims at a bucket per three pixels. */
  setPlotWidth(px: number): void {
    const buckets = Math.max(50, Math.min(2000, Math.round(px / PX_PER_BUCKET)));
    if (buckets === this.targetBuckets) return;
    this.targetBuckets = buckets;
  }

  get hasChanges(): boolean {
    return this.dirty;
  }

  /** Everything again in the next frame (a new renderer, or the end of a zoom). */
  invalidate(): void {
    for (const t of this.series.values()) t.invalidate();
    for (const m of this.markers.values()) m.invalidate();
    this.dirty = true;
  }

  /** The next live frame: what changed since the last one. Undefined when nothing did. */
  takeFrame(): FrameMessage | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    const traces: TraceUpdate[] = [];
    for (const t of this.series.values()) {
      const u = t.takeUpdate();
      if (u) traces.push(u);
    }
    for (const m of this.markers.values()) {
      const u = m.takeUpdate();
      if (u) traces.push(u);
    }
    this.frames++;
    for (const t of traces) this.pointsSent += t.x.length;
    return { type: 'frame', seq: ++this.seq, sentAt: Date.now(), traces, stats: this.stats() };
  }

  /** A replacement of [from, to] at full resolution for a zoomed frontend (line traces; others as they are). */
  viewFrame(from: number, to: number): FrameMessage {
    const traces: TraceUpdate[] = [];
    for (const t of this.series.values()) {
      if (t instanceof LineTrace) {
        const { x, y } = t.decimated(from, to, this.targetBuckets);
        traces.push({ id: t.id, name: t.name, role: 'series', mode: 'replace', x, y });
      }
    }
    for (const m of this.markers.values()) {
      const u = m.points();
      traces.push({ id: m.id, name: m.name, role: 'marker', mode: 'replace', ...u });
    }
    this.frames++;
    return { type: 'frame', seq: ++this.seq, sentAt: Date.now(), traces, view: [from, to], stats: this.stats() };
  }

  /** Every trace at a static resolution (`buckets` per line trace): the fallback frame and the images. */
  snapshot(buckets = 300): { series: SnapshotTrace[]; markers: SnapshotTrace[] } {
    const series: SnapshotTrace[] = [];
    for (const t of this.series.values()) {
      if (t instanceof LineTrace) {
        series.push({ id: t.id, name: t.name, ...t.overview(buckets) });
      } else if (t instanceof ArrivalTrace) {
        series.push({ id: t.id, name: t.name, ...t.all() });
      } else if (t instanceof BarTrace) {
        series.push({ id: t.id, name: t.name, ...t.bars() });
      } else {
        const b = t.bins();
        series.push({ id: t.id, name: t.name, x: b.x, y: b.y, width: b.width });
      }
    }
    const markers = [...this.markers.values()].map((m) => ({ id: m.id, name: m.name, ...m.points() }));
    return { series, markers };
  }

  stats(): ChartStats {
    let shown = 0;
    let buffered = 0;
    let evicted = 0;
    let tooOld = 0;
    for (const t of this.series.values()) {
      buffered += t.size;
      evicted += t.evicted;
      if (t instanceof LineTrace) {
        shown += t.shownCount();
        tooOld += t.tooOld;
      } else shown += t.size;
    }
    for (const m of this.markers.values()) {
      shown += m.size;
      evicted += m.evicted;
    }
    return {
      state: this.stateValue,
      pointsIn: this.pointsIn,
      pointsPerSecond: Math.round(this.rate.perSecond()),
      shown,
      buffered,
      frames: this.frames,
      coalesced: this.coalesced,
      evicted,
      tooOld,
      lastError: this.lastError,
    };
  }

  metrics(): ChartMetrics {
    let memoryBytes = 0;
    let markers = 0;
    for (const t of this.series.values()) memoryBytes += 'bytes' in t ? t.bytes : t.size * 64;
    for (const m of this.markers.values()) {
      markers += m.size;
      memoryBytes += m.size * 48;
    }
    const f = this.frontends();
    return { ...this.stats(), traces: this.series.size, pointsSent: this.pointsSent, skipped: this.skipped, markers, memoryBytes, latencyP50: f.latencyP50, latencyP95: f.latencyP95 };
  }

  private linked(): ChartLink {
    this.link ??= new ChartLink(this);
    return this.link;
  }

  private setState(state: ChartState): void {
    this.stateValue = state;
    this.dirty = true;
    this.changed();
  }

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  private afterAdd(taken: number): void {
    this.pointsIn += taken;
    if (taken > 0) this.rate.add(taken);
    const spanCutoff = this.spanMs !== undefined && Number.isFinite(this.maxX) ? this.maxX - this.spanMs : -Infinity;
    if (spanCutoff > -Infinity) for (const t of this.series.values()) if (t instanceof LineTrace || t instanceof HistogramTrace) t.evictBelow(spanCutoff);
    // Markers never reach further back than the series they flag (a point count may keep less than the span).
    let seriesStart = Infinity;
    for (const t of this.series.values()) if (t instanceof LineTrace && t.size > 0) seriesStart = Math.min(seriesStart, Number.isFinite(t.viewStart) ? t.viewStart : t.minX);
    const markerCut = Math.max(spanCutoff, Number.isFinite(seriesStart) ? seriesStart : -Infinity);
    if (markerCut > -Infinity) for (const m of this.markers.values()) m.evictBelow(markerCut);
    this.dirty = true;
    this.changed();
  }

  private addTo(trace: SeriesTrace, x: number, y: number, key: string, field: string): void {
    if (trace instanceof LineTrace) {
      trace.add(x, y);
      if (x > this.maxX) this.maxX = x;
    } else if (trace instanceof ArrivalTrace) trace.add(x, y);
    else if (trace instanceof BarTrace) trace.set(key === '' ? field : key, y);
    else {
      trace.add(x, y);
      if (x > this.maxX) this.maxX = x;
    }
  }

  private traceFor(key: string, field: string): SeriesTrace | undefined {
    const kind = this.spec.kind;
    // Bars: one trace per field, a bar per key.
    const id = kind === 'bar' ? (this.options.by === undefined ? 'bars' : field) : `${key}\u241f${field}`;
    const found = this.series.get(id);
    if (found) return found;
    if (this.series.size >= this.maxTraces) {
      this.lastError = `more than ${this.maxTraces} traces: rows of further keys are skipped (raise maxTraces, or plot fewer keys)`;
      return undefined;
    }
    const fields = this.reader.y;
    const name = kind === 'bar' ? (this.options.by === undefined ? (fields.length === 1 ? fields[0]! : 'latest') : field) : key === '' ? field : fields.length > 1 ? `${key} ${field}` : key;
    let trace: SeriesTrace;
    if (kind === 'bar') trace = new BarTrace(id, name, Math.max(this.maxTraces, 1000));
    else if (kind === 'hist') trace = new HistogramTrace(id, name, this.capacity);
    else if (this.spec.xType === 'date' || kind === 'line') trace = new LineTrace(id, name, this.capacity, this.targetBuckets);
    else trace = new ArrivalTrace(id, name, Math.min(this.capacity, 10_000));
    this.series.set(id, trace);
    return trace;
  }

  private markerFor(label: string): MarkerTrace {
    const id = `marker:${label}`;
    let m = this.markers.get(id);
    if (!m) {
      m = new MarkerTrace(id, label, this.maxMarkers);
      this.markers.set(id, m);
    }
    return m;
  }
}

export interface SnapshotTrace {
  id: string;
  name: string;
  x: (number | string)[];
  y: number[];
  text?: string[];
  width?: number;
}

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new StreamlabError(`${what} must be a positive whole number, got ${n}`);
  return n;
}
