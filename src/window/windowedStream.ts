/**
 * The windowing engine: Kafka Streams' windowedBy(...).aggregate(...) and Spark's window() + watermark as one
 * library call. Records go in one at a time or in batches; windows are aggregated incrementally and closed by
 * the watermark (highest event time seen - grace, held back by the partitions of an attached source that still
 * have unread data: see index.ts); closed windows are kept column by column, bounded, and become a Danfo
 * DataFrame only when asked.
 *
 *   const w = windowed({ window: tumbling('10s'), keyBy: 'sensor', aggregates: { value: ['mean', 'max'], '*': ['count'] } });
 *   w.attach(source);   // or w.addBatch(records)
 *   w.closed();         // DataFrame: sensor, windowStart, windowEnd, mean_value, max_value, count, invalid_value
 */
import { StreamlabError } from '../errors';
import type { BatchProgress, Stream, StreamRecord } from '../record';
import { waitFor } from '../util/waitFor';
import { LiveDisplay } from '../output/liveDisplay';
import { explainEmpty, tableBundle } from '../output/table';
import { formatCount, formatDuration as readableDuration, formatTime } from '../output/format';
import { AggregatePlan, Fields, WindowState } from './aggregatePlan';
import { AggregatesOption, parseAggregates } from './aggregateSpec';
import { ColumnStore } from './columnStore';
import { Duration, parseDuration } from './duration';
import { DataFrame, toDataFrame } from './frame';
import { FixedWindowStore } from './fixedWindows';
import { BatchSource, MicroBatchCallback, MicroBatchOptions, MicroBatchTrigger, RecordTap } from './microBatches';
import { FieldChecks, FieldType } from './fieldChecks';
import { EmitOption, RetainOption, checkOptionNames, parseEmit, parseKeyBy, parseRetain, positiveInt } from './windowOptions';
import { BAD_KEY, TimeOption, TimeReader, describeValue, fieldsOf, isStreamRecord, keyReader, timeReader } from './recordAccess';
import { SessionWindowStore } from './sessionWindows';
import { FutureRecord, InvalidRecords, LateRecords, RefusedRecord, SetAside } from './setAside';
import { SlidingWindowStore } from './slidingWindows';
import { WindowSpec, checkWindowSpec, describeWindow } from './windowKinds';
import { Lanes, TopicLanes } from './lanes';
import { DROPPED, INVALID, LATE, REFUSED, StoreContext, WindowStore } from './windowStore';

export interface WindowedOptions {
  /** tumbling('10s'), hopping('1m', '10s'), sliding('30s') or sessionWindow('5m'). */
  window: WindowSpec;
  /** Fields to group by; none for one group over the whole stream. */
  keyBy?: string | string[];
  /**
   * Event time: a field (epoch ms, ISO-8601 or Date), a function of the record, or 'processing' for the clock at
   * arrival (so a field cannot be called 'processing'). Default: record.time for StreamRecords, the field 'time'
   * for plain objects.
   */
  time?: TimeOption;
  /**
   * How far behind its partition's stream time (the highest event time seen in that topic partition; for plain
   * objects, in all of them) a record may arrive and still count. Default 0.
   */
  grace?: Duration;
  /**
   * How long a partition of an attached source that has caught up (read all it holds) still holds the watermark
   * at its own stream time, in case more comes. Default 0: a caught-up partition is idle at once, so live windows
   * close as soon as the newest partition passes them; a record of an idle partition whose window the others
   * closed meanwhile is late. Raise it (e.g. '5s') when partitions of a live topic run apart in event time.
   */
  idleTimeout?: Duration;
  /** Default: the record count. */
  aggregates?: AggregatesOption;
  /** 'final' (default): each window once, when it closes. 'update': changes as they happen, at most every throttleMs (default 1s), then the final row. */
  emit?: EmitOption;
  /** Closed windows kept for closed(): the last N (default 10000) and/or those within a span of the newest. */
  retain?: RetainOption;
  /** Declares the record fields (optionally with types) so that specs are checked now, not on the first record. */
  fields?: string[] | Record<string, FieldType>;
  /** Late records kept for inspection (all are counted); also the bound of the future and refused lists. Default 1000. */
  lateLimit?: number;
  /**
   * How far ahead an event time may be of both the clock and the highest event time seen, default '1d'; false: no
   * bound. A record further ahead (a corrupt or mis-united timestamp: the year 3000, seconds read as ms times 1000)
   * would move the watermark past every window, making all later records late. So it is set aside in `future`,
   * counted, named in a warning, and moves nothing. Ahead of BOTH, so a replay of history with gaps of days (ahead
   * of its data, not of the clock) and a live stream's clock skew (minutes) both pass. Druid's Kafka ingestion has
   * the same guard (earlyMessageRejectionPeriod); Flink and Kafka Streams have none, and there one bad record
   * stalls a job's windows until someone finds it.
   */
  futureLimit?: Duration | false;
  /**
   * Most keys held at once (default 100,000; about 1 KB each for simple aggregates). Records of a new key beyond it
   * are refused: set aside in `refused`, counted in keysRefused and named in a warning, never dropped silently.
   * Refusing (rather than evicting the oldest key, which would emit its windows early or lose them) keeps every
   * emitted result exact; state frees itself as windows close, so refusals stop once the key churn does. A warning
   * comes first at 80 %.
   */
  maxKeys?: number;
  /** Invalid records kept for inspection (all are counted). Default 1000. */
  invalidLimit?: number;
  /** Relative error of quantiles. Default 0.01. */
  quantileAccuracy?: number;
  /** Clock for processing time, update throttling and micro-batches. Default Date.now. */
  clock?: () => number;
}

/** A window handed to subscribers. */
export interface WindowResult {
  key: Record<string, unknown>;
  windowStart: number;
  windowEnd: number;
  /** False for an update of a window still open (update emit mode). */
  final: boolean;
  values: Record<string, unknown>;
}

export type WindowSubscriber = (results: WindowResult[]) => void;

/**
 * Anything with TopicSource's subscribe(). A source that hands its progress over with each batch (TopicSource
 * does) lets its partitions with unread data hold the watermark back at their own stream time; without it,
 * partitions never hold it back.
 */
export type BatchSourceLike = Stream<StreamRecord<any>>;

export interface WindowMetrics {
  window: string;
  records: number;
  watermark: number;
  /**
   * The partition holding the watermark back, when one is: it still has unread data and the lowest event time
   * seen (none yet when nothing of it has arrived), so windows past that time wait for it.
   */
  watermarkHeldBy?: { topic: string; partition: number };
  openWindows: number;
  closedWindows: number;
  retainedWindows: number;
  evictedWindows: number;
  late: number;
  lateDropped: number;
  invalid: number;
  /** Records set aside for an event time beyond futureLimit (see `future`). */
  future: number;
  /** Records given to the engine: records + unusable + future + keysRefused. */
  received: number;
  /** Records that reached no window for want of a usable time or key ('no-time', 'bad-key' in `invalid`). */
  unusable: number;
  /** Keys holding state now, the bound, and records of new keys refused at the bound. */
  keys: number;
  maxKeys: number;
  keysRefused: number;
  /** Rough bytes of the open windows' state (keys, windows, aggregates, kept records). */
  stateBytes: number;
  subscriberErrors: number;
  lastError?: string;
  /** The newest warning (a field no record has, far-future records, the key bound). */
  lastWarning?: string;
}

export type WarningListener = (message: string) => void;

/** Records watched for fields the spec names but no record has (a typo): a warning after this many. */
const FIELD_WATCH_RECORDS = 100;

const OPTION_NAMES = ['window', 'keyBy', 'time', 'grace', 'idleTimeout', 'aggregates', 'emit', 'retain', 'fields', 'lateLimit', 'invalidLimit', 'quantileAccuracy', 'clock', 'futureLimit', 'maxKeys'];
const DEFAULT_FUTURE_LIMIT = '1d';
const DEFAULT_MAX_KEYS = 100_000;
const RESERVED_COLUMNS = ['windowStart', 'windowEnd'];

export function windowed(options: WindowedOptions): WindowedStream {
  return new WindowedStream(options);
}

export class WindowedStream implements Stream<WindowResult> {
  private readonly shownDisplays = new Set<LiveDisplay>();
  readonly window: WindowSpec;
  readonly keyBy: readonly string[];
  private readonly feeds = new Set<BatchSourceLike>();
  /** Columns of closed() and open(), in order. */
  readonly columns: readonly string[];
  readonly late: LateRecords;
  readonly invalid: InvalidRecords;
  /** Records set aside for an event time implausibly far ahead (futureLimit). */
  readonly future: SetAside<FutureRecord>;
  /** Records of new keys refused at maxKeys. */
  readonly refused: SetAside<RefusedRecord>;
  readonly graceMs: number;
  /** futureLimit in ms (Infinity: no bound). */
  readonly futureLimitMs: number;
  readonly maxKeys: number;
  private readonly plan: AggregatePlan;
  private readonly store: WindowStore;
  private readonly retained: ColumnStore;
  private readonly numericColumns: boolean[];
  private readonly row: unknown[];
  private readonly keyOf: (fields: Fields) => unknown;
  private readonly time: TimeReader;
  private readonly clock: () => number;
  private readonly updateThrottleMs: number | undefined;
  private readonly fieldChecks: FieldChecks;
  private readonly subscribers = new Set<WindowSubscriber>();
  private readonly windowTaps = new Set<ColumnStore>();
  private readonly recordTaps = new Set<RecordTap>();
  private pending: WindowResult[] = [];
  /** Windows the store closed in the current closeUntil, put in order before they are handed on. */
  private closing: ClosingWindow[] = [];
  private readonly closeOrder = (a: ClosingWindow, b: ClosingWindow): number =>
    // A window's close time rises with its end for every kind, so the end orders them.
    a.end - b.end || compareKeys(a.key, b.key) || a.start - b.start;
  private maxTime = -Infinity;
  private wm = -Infinity;
  /** Per-partition event time of StreamRecords, for lateness and the watermark; not used for processing time. */
  private readonly lanes: Lanes;
  /** Highest event time of records that are not StreamRecords (hand-fed objects): their one lane. */
  private plainMax = -Infinity;
  readonly idleTimeoutMs: number;
  /** The lanes of the topic of the last StreamRecord (a placeholder that matches no topic at first). */
  private topicLanes = new TopicLanes(Symbol('none'));
  private readonly laneTime: boolean;
  private seq = 0;
  private records = 0;
  private closedTotal = 0;
  private lastUpdateAt = -Infinity;
  private received = 0;
  private unusable = 0;
  /** The clock when the current add/addBatch call began, for the future bound. */
  private callClock = 0;
  /** Event times above this are set aside as future: max(callClock, maxTime) + futureLimitMs. */
  private futureBound = Infinity;
  /** Watching the first records for fields no record has (see FIELD_WATCH_RECORDS). */
  private watching: boolean;
  private watched = 0;
  private watchedPlain = false;
  private readonly namesSeen = new Set<string>();
  private readonly numbersSeen = new Set<string>();
  private readonly warningListeners = new Set<WarningListener>();
  private readonly warnedOnce = new Set<string>();
  private lastWarning: string | undefined;
  private subscriberErrors = 0;
  private lastError: string | undefined;

  constructor(options: WindowedOptions) {
    if (options === null || typeof options !== 'object') throw new StreamlabError('windowed() needs options', "e.g. windowed({ window: tumbling('10s'), aggregates: ['count'] })");
    checkOptionNames(options, OPTION_NAMES, 'windowed');
    this.window = checkWindowSpec(options.window);
    this.keyBy = parseKeyBy(options.keyBy);
    this.graceMs = parseDuration(options.grace ?? 0, 'grace');
    this.clock = options.clock ?? Date.now;
    if (typeof this.clock !== 'function') throw new StreamlabError('clock must be a function returning epoch ms');
    this.idleTimeoutMs = parseDuration(options.idleTimeout ?? 0, 'idleTimeout');
    this.lanes = new Lanes(this.idleTimeoutMs, this.clock);

    this.time = timeReader(options.time);
    this.laneTime = !this.time.processing;

    const defs = parseAggregates(options.aggregates);
    if (this.window.kind === 'session') {
      const unmergeable = defs.find((d) => d.reducer && typeof d.reducer.merge !== 'function');
      if (unmergeable) {
        throw new StreamlabError(
          `reducer '${unmergeable.reducer!.name}' has no merge(a, b), which session windows need`,
          'sessions merge their partial results when a record bridges two of them; add merge to the reducer',
        );
      }
    }
    const accuracy = options.quantileAccuracy ?? 0.01;
    if (!(typeof accuracy === 'number' && accuracy > 0 && accuracy < 1)) throw new StreamlabError(`quantileAccuracy must be between 0 and 1 (exclusive), got ${String(accuracy)}`, 'e.g. 0.01 for 1 %');
    this.plan = new AggregatePlan(defs, accuracy);

    const aggregateColumns = this.plan.columns.map((c) => c.name);
    this.columns = [...this.keyBy, ...RESERVED_COLUMNS, ...aggregateColumns];
    const clash = this.columns.find((c, i) => this.columns.indexOf(c) !== i);
    if (clash) throw new StreamlabError(`column '${clash}' would appear twice in the output`, 'rename the key field or the aggregate (reducer names become column names)');
    this.numericColumns = [...this.keyBy.map(() => false), true, true, ...this.plan.columns.map((c) => c.numeric)];
    this.row = new Array(this.columns.length);

    this.fieldChecks = new FieldChecks(this.keyBy, options.time, this.plan);
    this.watching = options.fields === undefined;
    if (options.fields !== undefined) this.fieldChecks.checkDeclared(options.fields);
    this.futureLimitMs = options.futureLimit === false ? Infinity : parseDuration(options.futureLimit ?? DEFAULT_FUTURE_LIMIT, 'futureLimit');
    if (this.futureLimitMs === 0) throw new StreamlabError('futureLimit must be positive', "e.g. futureLimit: '1d', or false for no bound");
    this.maxKeys = positiveInt(options.maxKeys ?? DEFAULT_MAX_KEYS, 'maxKeys');

    this.updateThrottleMs = parseEmit(options.emit);
    this.retained = new ColumnStore(this.columns, this.numericColumns, { ...parseRetain(options.retain), endColumn: this.keyBy.length + 1 });
    this.late = new LateRecords(positiveInt(options.lateLimit ?? 1000, 'lateLimit'));
    this.invalid = new InvalidRecords(positiveInt(options.invalidLimit ?? 1000, 'invalidLimit'));
    this.future = new SetAside(this.late.limit);
    this.refused = new SetAside(this.late.limit);

    const keys = keyReader(this.keyBy);
    this.keyOf = keys.mapKey;
    const ctx: StoreContext = { onClose: (k, s, e, st) => void this.closing.push({ key: k, start: s, end: e, state: st }), keyValues: keys.values, trackUpdates: this.updateThrottleMs !== undefined, maxKeys: this.maxKeys };
    const w = this.window;
    this.store =
      w.kind === 'session' ? new SessionWindowStore(w, this.plan, ctx) : w.kind === 'sliding' ? new SlidingWindowStore(w, this.plan, ctx) : new FixedWindowStore(w, this.plan, ctx);
  }

  /**
   * Current watermark (-Infinity before the first record): highest event time seen - grace, but no more than the
   * highest event time of any partition of an attached source that still has unread data - grace. Never decreases.
   */
  get watermark(): number {
    return this.wm;
  }

  /** Adds one record: a StreamRecord, a plain object, or a bare value (read as the field `value`). */
  add(record: unknown): this {
    this.beforeCall();
    this.ingest(record);
    this.afterCall();
    return this;
  }

  addBatch(records: readonly unknown[]): this {
    if (!Array.isArray(records)) throw new StreamlabError(`addBatch needs an array of records, got ${describeValue(records)}`);
    this.beforeCall();
    for (let i = 0; i < records.length; i++) this.ingest(records[i]);
    this.afterCall();
    return this;
  }

  /**
   * Calls `listener` with each warning, once per kind: a field no record has, the first far-future record, the
   * key bound approached and reached. One line each; the session shows them in the notebook. Returns a detach.
   */
  onWarning(listener: WarningListener): () => void {
    this.warningListeners.add(listener);
    return () => this.warningListeners.delete(listener);
  }

  /**
   * Moves event time forward without a record: closes the windows a record at `timeMs` would close. For
   * processing time (call it with the clock) and for idle streams whose last windows should not wait forever.
   */
  advanceTo(timeMs: number): this {
    if (typeof timeMs !== 'number' || Number.isNaN(timeMs)) throw new StreamlabError(`advanceTo needs a time in epoch ms, got ${describeValue(timeMs)}`);
    this.advance(timeMs);
    this.afterCall();
    return this;
  }

  /** Ends the input: closes every open window now. Records added afterwards are late. */
  flush(): this {
    if (this.watching && this.watched > 0) this.finishWatch();
    return this.advanceTo(Infinity);
  }

  /**
   * Feeds every batch of a TopicSource to this engine; returns a function that detaches it. Each batch comes with
   * the source's partition progress, so that partitions with unread data hold the watermark back at their own
   * stream time (see lanes.ts): the windows of a topic do not depend on the order its partitions arrive in.
   * Attach before source.start().
   */
  attach(source: BatchSourceLike): () => void {
    this.feeds.add(source);
    let topic: unknown;
    let last: BatchProgress | undefined;
    let idleTimer: NodeJS.Timeout | undefined;
    let idleTimerAt = Infinity;
    // With idleTimeout, a lane that caught up stops holding the watermark when it expires, batch or no batch.
    const recheckIdle = () => {
      idleTimer = undefined;
      idleTimerAt = Infinity;
      if (last === undefined) return;
      this.lanes.progress(topic, last.partitions);
      this.raiseWatermark();
      this.afterCall();
      scheduleIdle();
    };
    const scheduleIdle = () => {
      const at = this.lanes.idleUntil;
      if (at >= idleTimerAt) return;
      clearTimeout(idleTimer);
      idleTimerAt = at;
      idleTimer = setTimeout(recheckIdle, Math.max(10, at - this.clock()));
      idleTimer.unref();
    };
    const unsubscribe = source.subscribe((records, progress) => {
      if (this.laneTime && progress !== null && typeof progress === 'object' && Array.isArray(progress.partitions)) {
        topic = progress.topic;
        last = progress;
        this.lanes.progress(topic, progress.partitions);
        this.raiseWatermark();
        if (this.idleTimeoutMs > 0) scheduleIdle();
      }
      this.addBatch(records);
    });
    return () => {
      unsubscribe();
      clearTimeout(idleTimer);
      last = undefined;
      this.feeds.delete(source);
      // Its partitions will not report progress any more, so they stop holding the watermark back.
      if (topic !== undefined) {
        this.lanes.release(topic);
        this.raiseWatermark();
        this.afterCall();
      }
    };
  }

  /** Closed windows kept by the retention bound, oldest first, as a Danfo DataFrame (empty: it says why). */
  closed(): DataFrame {
    const frame = toDataFrame(this.columns, this.retained.columns());
    return this.retained.size === 0 ? explainEmpty(frame, this.whyEmpty()) : frame;
  }

  /**
   * Resolves (with the metrics) once every stream feeding the window has read what its topic held when this was
   * called (see TopicSource.caughtUp), so every one of those records has reached the window. Windows still close
   * by the watermark: flush() closes the rest.
   */
  async caughtUp(options: { timeoutMs?: number } = {}): Promise<WindowMetrics> {
    const feeds = [...this.feeds].filter((f): f is BatchSourceLike & { caughtUp(o: { timeoutMs?: number }): Promise<unknown> } => typeof (f as { caughtUp?: unknown }).caughtUp === 'function');
    if (feeds.length === 0) throw new StreamlabError('this window is not fed by a stream, so there is nothing to catch up with', 'it takes what add() and addBatch() give it');
    await Promise.all(feeds.map((f) => f.caughtUp(options)));
    return this.metrics();
  }

  /** Resolves (with the metrics) once the window has received `records` records in all (or `check` holds). */
  async until(target: number | ((m: WindowMetrics) => boolean), options: { timeoutMs?: number } = {}): Promise<WindowMetrics> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const check = typeof target === 'number' ? (m: WindowMetrics) => m.received >= target : target;
    return waitFor({
      check: () => {
        const m = this.metrics();
        return check(m) ? m : undefined;
      },
      timeoutMs,
      timeout: () => {
        const m = this.metrics();
        const what = typeof target === 'number' ? `${formatCount(m.received)} of ${formatCount(target)} records` : `${formatCount(m.received)} records and the condition not met`;
        return new StreamlabError(`the window has ${what} after ${readableDuration(timeoutMs)}`, `${this.whyEmpty() || 'records still arrive'}; wait longer with { timeoutMs }`);
      },
    });
  }

  /**
   * The newest closed windows as a table below the running cell, refreshed in place about once a second
   * (`everyMs`), newest first, at most `rows`. Returns the display (end() stops it).
   */
  show(options: { rows?: number; everyMs?: number } = {}): LiveDisplay {
    const rows = options.rows ?? 20;
    const display: LiveDisplay = new LiveDisplay(() => {
      const stopped = !this.shownDisplays.has(display);
      const closed = this.retained.rows();
      const newest = closed.slice(-rows).reverse();
      const m = this.metrics();
      const watermark = Number.isFinite(m.watermark) ? `watermark ${formatTime(m.watermark)}` : 'no watermark yet';
      const partial = this.partialBefore;
      const partialShown = partial !== undefined && newest.some((r) => (r.windowStart as number) < partial);
      return tableBundle({
        caption: `${m.window}: the newest ${formatCount(newest.length)} of ${formatCount(m.closedWindows)} closed windows · ${formatCount(m.openWindows)} open · ${watermark}${stopped ? ' · stopped' : ''}`,
        columns: [...this.columns],
        rows: newest.map((r) => this.columns.map((c) => r[c])),
        total: newest.length,
        note: newest.length === 0 ? this.whyEmpty() : partialShown ? `windows starting before ${formatTime(partial!)} are partial: they began before the first record this window read (it joined a stream under way)` : undefined,
      });
    }, options.everyMs ?? 1000);
    this.shownDisplays.add(display);
    display.show();
    return display;
  }

  /** Ends every show() table after a last refresh: the engine has no consumer of its own to end with, so its owner (the session, on stop) says when. */
  endDisplays(): void {
    const shown = [...this.shownDisplays];
    this.shownDisplays.clear();
    for (const d of shown) d.end();
  }

  /** Why no window has closed (or no record counted) yet, and what to do; '' when windows have closed. */
  whyEmpty(): string {
    const m = this.metrics();
    if (m.closedWindows > 0) return '';
    if (m.received === 0) {
      const feed = [...this.feeds].map((f) => (f as { whyEmpty?: () => string }).whyEmpty?.()).find((w) => w);
      const hint = this.feedHint ? `${this.feedHint}; ` : '';
      return `no records yet: ${hint}${feed ?? 'nothing has been added'}`;
    }
    if (m.records === 0) {
      const parts = [m.late && `${formatCount(m.late)} late`, m.unusable && `${formatCount(m.unusable)} without a usable time or key`, m.future && `${formatCount(m.future)} in the future`, m.keysRefused && `${formatCount(m.keysRefused)} refused at maxKeys`].filter(Boolean);
      return `none of the ${formatCount(m.received)} records reached a window: ${parts.join(', ') || 'all set aside'} (see .late, .invalid, .future, .refused); check the time field and grace`;
    }
    const watermark = Number.isFinite(m.watermark) ? formatTime(m.watermark) : 'none yet';
    return `${formatCount(m.records)} records are in ${formatCount(m.openWindows)} open windows, none closed yet: a window closes when the watermark (${watermark}) passes its end, as newer records arrive; flush() closes them all now`;
  }

  /** Said before the reason when nothing has arrived yet: what the window reads (set by whoever attaches it). */
  feedHint: string | undefined;

  /**
   * Set by whoever attaches the window to a stream already under way (a running consumer, or a topic from its
   * end): its first windows then began before the first record it read, and hold only part of what belongs in
   * them. Once records arrive, `partialBefore` is that first record's event time.
   */
  startsMidStream = false;
  partialBefore: number | undefined;

  closedColumns(): Record<string, unknown[]> {
    return this.retained.columns();
  }

  closedRows(): Record<string, unknown>[] {
    return this.retained.rows();
  }

  /** Windows still open, with their current values, as a Danfo DataFrame. */
  open(): DataFrame {
    const rows = this.openRows();
    const cols: Record<string, unknown[]> = {};
    for (const c of this.columns) cols[c] = rows.map((r) => r[c]);
    return toDataFrame(this.columns, cols);
  }

  openRows(): Record<string, unknown>[] {
    const rows: Record<string, unknown>[] = [];
    this.store.visitOpen((key, start, end, state) => {
      this.fillRow(key, start, end, state);
      rows.push(this.rowObject());
    });
    return rows.sort((a, b) => (a.windowEnd as number) - (b.windowEnd as number) || (a.windowStart as number) - (b.windowStart as number));
  }

  /** Calls `subscriber` with closed windows (and, in update mode, updates) after each add, batch or advance. */
  subscribe(subscriber: WindowSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /**
   * Every `everyMs`, hands `callback` the windows closed since the last batch (or, with { records: true }, the
   * raw records) as a DataFrame. In processing-time mode each batch first closes the windows due by the clock.
   */
  microBatches(every: Duration, callback: MicroBatchCallback, options: MicroBatchOptions = {}): MicroBatchTrigger {
    const everyMs = parseDuration(every, 'micro-batch interval');
    if (everyMs === 0) throw new StreamlabError('micro-batch interval must be positive', "e.g. '1s'");
    if (typeof callback !== 'function') throw new StreamlabError('microBatches needs a callback (frame, info) => ...');
    const maxRows = positiveInt(options.maxRows ?? 100_000, 'maxRows');
    const source = options.records ? this.recordBatches(maxRows) : this.windowBatches(maxRows);
    return new MicroBatchTrigger(source, callback, { everyMs, emitEmpty: options.emitEmpty ?? false, clock: this.clock });
  }

  metrics(): WindowMetrics {
    const held = this.lanes.unreadMin < this.maxTime && this.wm < this.maxTime - this.graceMs ? this.lanes.held() : undefined;
    return {
      window: describeWindow(this.window),
      records: this.records,
      watermark: this.wm,
      ...(held ? { watermarkHeldBy: held } : {}),
      openWindows: this.store.openCount,
      closedWindows: this.closedTotal,
      retainedWindows: this.retained.size,
      evictedWindows: this.retained.evicted,
      late: this.late.count,
      lateDropped: this.late.dropped,
      invalid: this.invalid.count,
      future: this.future.count,
      received: this.received,
      unusable: this.unusable,
      keys: this.store.keyCount,
      maxKeys: this.maxKeys,
      keysRefused: this.refused.count,
      stateBytes: this.store.approxBytes(this.plan.approxWindowBytes),
      subscriberErrors: this.subscriberErrors,
      lastError: this.lastError,
      ...(this.lastWarning !== undefined ? { lastWarning: this.lastWarning } : {}),
    };
  }

  // The hot path: one call per record, no allocation unless a window opens or a record is irregular. Every record
  // ends in exactly one place: a window (records, of which lateDropped reached none), invalid as unusable (no time,
  // bad key), future, or refused; non-numeric values reach their windows and are also counted in invalid.
  private ingest(record: unknown): void {
    this.received++;
    const stream = isStreamRecord(record);
    const fields = fieldsOf(stream ? record.value : record);
    if (this.watching) this.watchFields(fields, stream);
    const t = this.time.read(fields, record, stream);
    if (!(t - t === 0)) {
      this.unusable++;
      this.invalid.add({ record, reason: 'no-time', fields: this.time.field === undefined ? [] : [this.time.field], time: t });
      return;
    }
    if (t > this.futureBound) {
      this.setAsideFuture(record, t, stream);
      return;
    }
    const mapKey = this.keyOf(fields);
    if (mapKey === BAD_KEY) {
      this.unusable++;
      this.invalid.add({ record, reason: 'bad-key', fields: [...this.keyBy], time: t });
      return;
    }
    this.records++;
    if (this.startsMidStream && this.partialBefore === undefined) this.partialBefore = t;
    let moved = false;
    if (t > this.maxTime) {
      this.maxTime = t;
      moved = true;
      if (this.futureLimitMs !== Infinity) this.futureBound = Math.max(this.callClock, t) + this.futureLimitMs;
    }
    // The stream time the record is judged by: its own lane's (the record included, as Kafka Streams counts it).
    let streamTime: number;
    let seq: number;
    if (stream && this.laneTime) {
      // The lane's max, in an array by partition; Lanes is only called for a new partition or when the rising lane
      // has unread data (its minimum may move).
      let lanes = this.topicLanes;
      if (lanes.topic !== record.topic) this.topicLanes = lanes = this.lanes.of(record.topic);
      const p = record.partition;
      const max = lanes.max;
      if (t > max[p]!) {
        max[p] = t;
        if (lanes.unread[p] === 1 && this.lanes.raisedUnread(lanes, p, t)) moved = true;
      } else if (max[p] === undefined) {
        this.lanes.create(lanes, p, t);
      }
      streamTime = max[p] ?? t;
      // Ties in first/last go by offset (then partition), not by arrival, which depends on partition interleaving.
      seq = record.offset * 1024 + (p & 1023);
    } else {
      if (t > this.plainMax) this.plainMax = t;
      streamTime = this.plainMax;
      seq = this.seq++;
    }
    if (moved) this.raiseWatermark();
    // A window the watermark has closed is closed for every record, whatever its own partition says.
    const lateBefore = streamTime - this.graceMs > this.wm ? streamTime - this.graceMs : this.wm;
    const outcome = this.store.add(mapKey, fields, t, seq, lateBefore, this.wm);
    if (outcome !== 0) {
      // A refused record's time is real and has moved event time like any other; it just holds no window.
      if (outcome & REFUSED) return this.refuse(record, fields, t);
      this.setAside(outcome, record, fields, t);
    }
    if (this.recordTaps.size > 0) for (const tap of this.recordTaps) tap.push(t, fields);
  }

  private beforeCall(): void {
    if (this.time.processing) {
      this.time.now = this.clock();
      return;
    }
    if (this.futureLimitMs !== Infinity) {
      this.callClock = this.clock();
      this.futureBound = Math.max(this.callClock, this.maxTime) + this.futureLimitMs;
    }
  }

  private setAsideFuture(record: unknown, t: number, stream: boolean): void {
    this.future.add({ record, time: t, bound: this.futureBound });
    if (this.future.count > 1) return;
    const r = record as StreamRecord<unknown>;
    const where = stream ? `of ${r.topic}[${r.partition}]@${r.offset}` : `(the ${ordinal(this.received)} given)`;
    this.warn(
      'future',
      `a record ${where} has event time ${isoOrNumber(t)}, more than ${formatDuration(this.futureLimitMs)} ahead of the clock and of the stream's event time: ` +
        'set aside in .future (the watermark did not move; later ones are counted in metrics().future); futureLimit sets the bound',
    );
  }

  private refuse(record: unknown, fields: Fields, t: number): void {
    this.records--;
    this.refused.add({ record, time: t, key: this.keyBy.map((k) => fields[k] ?? null) });
    this.warn(
      'maxKeys',
      `maxKeys ${this.maxKeys} reached: records of new keys are set aside in .refused and counted in metrics().keysRefused until windows close and free keys; ` +
        'raise maxKeys, key by fewer values, or shorten the windows',
    );
  }

  /** The fields the window names (keys, aggregates' fields, the time field), for checks on a sample of records. */
  namedFields(): { name: string; role: string; numeric: boolean }[] {
    return this.fieldChecks.named();
  }

  /** Notes the field names of the first records, then warns about fields the spec names that none of them had. */
  private watchFields(fields: Fields, stream: boolean): void {
    if (!stream) this.watchedPlain = true;
    let names = 0;
    for (const name in fields) {
      if (++names > 64) break;
      this.namesSeen.add(name);
      if (typeof fields[name] === 'number') this.numbersSeen.add(name);
    }
    for (const { name, read } of this.fieldChecks.nested) {
      const value = read(fields as Record<string, unknown>);
      if (value === undefined) continue;
      this.namesSeen.add(name);
      if (typeof value === 'number') this.numbersSeen.add(name);
    }
    if (++this.watched >= FIELD_WATCH_RECORDS) this.finishWatch();
  }

  private finishWatch(): void {
    this.watching = false;
    for (const w of this.fieldChecks.unseenWarnings(this.namesSeen, this.numbersSeen, this.watched, this.watchedPlain)) this.warn(w, w);
    this.namesSeen.clear();
    this.numbersSeen.clear();
  }

  /** Tells the listeners once per `kind`. */
  private warn(kind: string, message: string): void {
    if (this.warnedOnce.has(kind)) return;
    this.warnedOnce.add(kind);
    this.lastWarning = message;
    for (const l of [...this.warningListeners]) {
      try {
        l(message);
      } catch {
        // A listener that throws must not stop the records; it is not called again.
        this.warningListeners.delete(l);
      }
    }
  }

  private checkKeyBound(): void {
    if (this.warnedOnce.has('keys80')) return;
    const keys = this.store.keyCount;
    if (keys < this.maxKeys * 0.8 || keys >= this.maxKeys) return;
    this.warn('keys80', `holds ${keys} keys, ${Math.round((keys / this.maxKeys) * 100)} % of maxKeys ${this.maxKeys}: at the bound, records of new keys will be set aside; raise maxKeys if this is expected`);
  }

  private setAside(outcome: number, record: unknown, fields: Fields, t: number): void {
    if (outcome & (LATE | DROPPED)) this.late.add({ record, time: t, watermark: this.wm, dropped: (outcome & DROPPED) !== 0 });
    if (outcome & INVALID) this.invalid.add({ record, reason: 'non-numeric', fields: this.plan.invalidFields(fields), time: t });
  }

  /** Forces the watermark to timeMs - grace (if higher), whatever the partitions with unread data say. */
  private advance(timeMs: number): void {
    if (timeMs > this.maxTime) this.maxTime = timeMs;
    const wm = timeMs - this.graceMs;
    if (wm > this.wm) {
      this.wm = wm;
      if (wm >= this.store.nextCloseAt) this.closeUntil(wm);
    }
  }

  /** Watermark = min(highest event time, lowest one of the partitions with unread data) - grace; never decreases. */
  private raiseWatermark(): void {
    const held = this.lanes.unreadMin;
    const wm = (held < this.maxTime ? held : this.maxTime) - this.graceMs;
    if (wm > this.wm) {
      this.wm = wm;
      if (wm >= this.store.nextCloseAt) this.closeUntil(wm);
    }
  }

  /**
   * Closes what the watermark has passed, in the order (close time, key, start): each call closes windows due
   * between the last watermark and this one, so the whole sequence of closed windows (closedRows(), subscribers,
   * micro-batches) is in that order too, whatever order their keys' records arrived in.
   */
  private closeUntil(wm: number): void {
    this.store.closeUntil(wm);
    const closing = this.closing;
    if (closing.length === 0) return;
    this.closing = [];
    if (closing.length > 1) closing.sort(this.closeOrder);
    for (const c of closing) this.onClose(c.key, c.start, c.end, c.state);
  }

  private onClose(key: readonly unknown[], start: number, end: number, state: WindowState): void {
    this.closedTotal++;
    this.fillRow(key, start, end, state);
    this.retained.append(this.row);
    for (const tap of this.windowTaps) tap.append(this.row);
    if (this.subscribers.size > 0) this.pending.push(this.result(true));
  }

  private fillRow(key: readonly unknown[], start: number, end: number, state: WindowState): void {
    const row = this.row;
    let c = 0;
    for (let i = 0; i < key.length; i++) row[c++] = key[i];
    row[c++] = start;
    row[c++] = end;
    const columns = this.plan.columns;
    for (let i = 0; i < columns.length; i++) row[c++] = columns[i]!.get(state);
  }

  private rowObject(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let c = 0; c < this.columns.length; c++) out[this.columns[c]!] = this.row[c];
    return out;
  }

  private result(final: boolean): WindowResult {
    const key: Record<string, unknown> = {};
    const values: Record<string, unknown> = {};
    const k = this.keyBy.length;
    for (let c = 0; c < k; c++) key[this.columns[c]!] = this.row[c];
    for (let c = k + 2; c < this.columns.length; c++) values[this.columns[c]!] = this.row[c];
    return { key, windowStart: this.row[k] as number, windowEnd: this.row[k + 1] as number, final, values };
  }

  private afterCall(): void {
    if (this.store.keyCount >= this.maxKeys * 0.8) this.checkKeyBound();
    if (this.updateThrottleMs !== undefined && this.subscribers.size > 0) {
      const now = this.clock();
      if (now - this.lastUpdateAt >= this.updateThrottleMs) {
        this.lastUpdateAt = now;
        this.store.takeUpdates((key, start, end, state) => {
          this.fillRow(key, start, end, state);
          this.pending.push(this.result(false));
        });
      }
    }
    if (this.pending.length === 0) return;
    const results = this.pending;
    this.pending = [];
    for (const subscriber of [...this.subscribers]) {
      try {
        subscriber(results);
      } catch (e) {
        // Like TopicSource: a failing subscriber is detached and reported; the engine and the others go on.
        this.subscribers.delete(subscriber);
        this.subscriberErrors++;
        this.lastError = `a window subscriber failed and was detached: ${(e as Error)?.message ?? String(e)}`;
      }
    }
  }

  private windowBatches(maxRows: number): BatchSource {
    const tap = new ColumnStore(this.columns, this.numericColumns, { maxRows, endColumn: this.keyBy.length + 1 });
    this.windowTaps.add(tap);
    return {
      beforeCut: (now) => {
        if (this.time.processing) this.advanceTo(now);
      },
      cut: () => {
        const columns = tap.columns();
        const rows = tap.size;
        const dropped = tap.evicted;
        tap.clear();
        tap.evicted = 0;
        return { frame: () => toDataFrame(this.columns, columns), rows, dropped };
      },
      release: () => this.windowTaps.delete(tap),
    };
  }

  private recordBatches(maxRows: number): BatchSource {
    const tap = new RecordTap(maxRows);
    this.recordTaps.add(tap);
    return {
      beforeCut: (now) => {
        if (this.time.processing) this.advanceTo(now);
      },
      cut: () => {
        const { names, columns, rows, dropped } = tap.cut();
        return { frame: () => toDataFrame(names, columns), rows, dropped };
      },
      release: () => this.recordTaps.delete(tap),
    };
  }
}


interface ClosingWindow {
  key: readonly unknown[];
  start: number;
  end: number;
  state: WindowState;
}

/** A total order of key values: by type, then numbers by value, everything else by its text. */
function compareKeys(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    const tx = typeof x;
    const ty = typeof y;
    if (tx !== ty) return tx < ty ? -1 : 1;
    if (tx === 'number') {
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
      return (x as number) - (y as number);
    }
    const sx = typeof x === 'string' ? x : stableText(x);
    const sy = typeof y === 'string' ? y : stableText(y);
    if (sx !== sy) return sx < sy ? -1 : 1;
  }
  return 0;
}

function stableText(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${s}`;
}

function isoOrNumber(t: number): string {
  return Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : String(t);
}

/** A duration as it was likely written (1d, 10s), for messages about options. */
function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms} ms`;
}
