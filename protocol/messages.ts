/**
 * The messages between the streamlab kernel and the JupyterLab extension: MIME types, comm targets and the
 * shape of every comm message. Both sides compile this one file (the kernel under Node, the extension in the
 * browser), so it imports nothing and holds only types and constants.
 */

/** The live chart output: its bundle carries the chart id, its spec and the comm it streams on. */
export const CHART_MIME = 'application/vnd.streamlab.chart+json';
/** plotly's own JSON MIME type: the static fallback frame that other frontends render. */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
/** Comm target the kernel opens one comm on per chart; the extension registers it on every kernel. */
export const CHART_COMM_TARGET = 'streamlab.chart';
/** Comm target the Streams panel opens towards the kernel. */
export const STREAMS_COMM_TARGET = 'streamlab.streams';

export type ChartKind = 'line' | 'scatter' | 'bar' | 'hist';
export type AxisType = 'date' | 'linear' | 'category';
export type ChartState = 'running' | 'paused' | 'stopped' | 'failed';

export interface ChartSpec {
  kind: ChartKind;
  title: string;
  xTitle: string;
  yTitle: string;
  xType: AxisType;
  /** What the chart keeps per trace, as the user set it: a time span (ms) and/or a point count. */
  spanMs?: number;
  maxPoints?: number;
  /** What feeds it, for the status line: a stream, a topic, a window or code. */
  source: string;
}

/** The value of CHART_MIME in a display bundle. */
export interface ChartBundleData {
  version: 1;
  chartId: string;
  /** The name the chart is known by in %streams and %stop. */
  name: string;
  spec: ChartSpec;
}

export interface ChartStats {
  state: ChartState;
  /** Points the chart has taken in, and at what rate lately (points/s). */
  pointsIn: number;
  pointsPerSecond: number;
  /** Points the frontend holds now, over all traces. */
  shown: number;
  /** Points held in the kernel's buffers now (bounded). */
  buffered: number;
  frames: number;
  /** Frame ticks merged into a later frame because the frontend had not acknowledged the one before. */
  coalesced: number;
  /** Points that fell off the retention bounds, and points too old for the span when they arrived. */
  evicted: number;
  tooOld: number;
  lastError?: string;
}

/**
 * A trace's new points: all of them ('replace'); those from x = `from` on, which replace what the frontend has
 * there ('tail'; no `from`: nothing to replace); or new arrivals to add, keeping the newest `keep` ('append').
 * Then the frontend drops points with x below `xMin`, which the kernel no longer holds.
 */
export interface TraceUpdate {
  /** Stable id of the trace: a key of --by, a field, or 'marker:<name>'. */
  id: string;
  /** Legend name. */
  name: string;
  role: 'series' | 'marker';
  mode: 'replace' | 'tail' | 'append';
  from?: number;
  keep?: number;
  xMin?: number;
  /** Numbers (epoch ms on a date axis) or, for bar charts, category names. */
  x: (number | string)[];
  y: number[];
  /** Hover text per point (markers: what was flagged). */
  text?: string[];
}

// kernel -> frontend

export interface FrameMessage {
  type: 'frame';
  seq: number;
  /** Epoch ms the kernel sent it, for the send-to-paint latency. */
  sentAt: number;
  traces: TraceUpdate[];
  /** A replacement for a zoomed view rather than a live tail: the frontend keeps its zoom. */
  view?: [number, number];
  stats: ChartStats;
}

export interface StatsMessage {
  type: 'stats';
  stats: ChartStats;
}

export interface ClearedMessage {
  type: 'cleared';
}

export type KernelToChart = FrameMessage | StatsMessage | ClearedMessage;

// frontend -> kernel

/** A renderer attached: its plot width in px (the decimation target) and whether it keeps the static frame itself. */
export interface HelloMessage {
  type: 'hello';
  width: number;
  keepsStaticFrame: boolean;
}

/**
 * Flow control between a chart's kernel side and its renderer, a window as in Reactive Streams' request(n): the
 * kernel sends while fewer than FRAMES_IN_FLIGHT frames are unacknowledged and merges points otherwise; the renderer
 * acknowledges once per ACK_EVERY_FRAMES frames it takes into a redraw (or ACK_AT_LEAST_EVERY_MS, or when the chart
 * goes quiet). Not once a frame: each message to the kernel costs a busy and an idle status message back, and
 * JupyterLab's handling of those, measured here, halved the redraw rate.
 */
export const FRAMES_IN_FLIGHT = 32;
export const ACK_EVERY_FRAMES = 16;
export const ACK_AT_LEAST_EVERY_MS = 250;

/**
 * The renderer's acknowledgement. `seq`: it took in the frame with this seq (and all before it) into a redraw, so
 * more may come. `painted`: a redraw finished, drawing frames up to its seq; it rides on the next ack, or comes
 * alone when the chart goes quiet.
 */
export interface AckMessage {
  type: 'ack';
  seq?: number;
  painted?: PaintReport;
}

export interface PaintReport {
  seq: number;
  renderMs: number;
  /** Epoch ms of the paint. */
  paintedAt: number;
}

/** The user zoomed or panned to an x range; null: back to following the live edge. */
export interface ViewMessage {
  type: 'view';
  xRange: [number, number] | null;
  width?: number;
}

export interface ControlMessage {
  type: 'control';
  action: 'pause' | 'resume' | 'clear';
}

export type ChartToKernel = HelloMessage | AckMessage | ViewMessage | ControlMessage;

// The Streams panel <-> the kernel (STREAMS_COMM_TARGET): the panel asks, the kernel answers with the streams as
// they are now; while watched it also sends them on its own about once a second.

export type StreamsRequest =
  | { request: 'list' }
  | { request: 'watch'; intervalMs?: number }
  | { request: 'unwatch' }
  | { request: 'topics' }
  | { request: 'stop' | 'pause' | 'resume'; name: string };

export interface StreamRow {
  name: string;
  kind: 'consume' | 'window' | 'produce' | 'generate' | 'chart' | 'score' | 'train' | 'table' | 'join' | 'detect';
  topic: string;
  state: string;
  records: number;
  recordsPerSecond: number;
  lag: number;
  deadLetters: number;
  late: number;
  errors: number;
  lastError?: string;
  memoryBytes: number;
}

export interface TopicRow {
  topic: string;
  partitions: number;
  messages: number;
  offsets: { partition: number; low: number; high: number }[];
  /** Detected from its newest values: avro, protobuf, jsonschema, json, number, text, binary, empty... */
  format?: string;
  /** Schema Registry subject(s) of those values, as "name v3". */
  subject?: string;
  /** Why the format is a partial guess (no registry configured, an unknown schema id). */
  formatNote?: string;
}

export interface StreamsMessage {
  /** The request answered, or absent for a watch tick / the first message. */
  reply?: string;
  event?: 'open' | 'tick';
  streams: StreamRow[];
  /** With reply 'topics': the cluster's topics ([] when the notebook has not connected yet). */
  topics?: TopicRow[];
  connected?: boolean;
  /** Names stopped, paused or resumed. */
  names?: string[];
  error?: string;
}

// Tables (a DataFrame, the newest windows, a ticking show()): the raw values and which columns are instants, for the
// extension's sortable grid; the same output carries HTML and text for every other frontend.

export const TABLE_MIME = 'application/vnd.streamlab.table+json';

export interface TableJson {
  columns: string[];
  rows: unknown[][];
  /** Columns of epoch milliseconds, shown as ISO-8601. */
  timeColumns: string[];
  /** Rows there are in all (rows may hold only the newest). */
  total: number;
  caption?: string;
  note?: string;
}

// Status lines (a stream's one line below its cell): the parts, and the kernel run that wrote them, so the extension
// shows a line of a kernel that is gone (restarted, shut down, a reopened notebook) as ended, not running.

export const STATUS_MIME = 'application/vnd.streamlab.status+json';

export interface StatusLineData {
  /** The kernel process that wrote it; its kernel_info_reply carries the same in `streamlab.run`. */
  run: string;
  name: string;
  state: string;
  doing: string;
  counters: string[];
  problem?: string;
}
