/**
 * A notebook's working set: one connection, the streams it started (by name), and what to stop when it ends.
 * Every magic of the kernel expands to a call of this class, so anything a magic does can be done from code.
 * It knows nothing of Jupyter: problems are reported to listeners, which the kernel turns into output.
 */
import { StreamlabError } from '../errors';
import { EmbeddedBroker } from '../broker/embeddedBroker';
import { ConnectionOptions, ConnectionSettings, describeConnection, resolveConnection } from '../kafka/connection';
import { TopicAdmin, TopicSummary } from '../kafka/topicAdmin';
import { TopicFormats, type TopicFormat } from '../kafka/topicFormats';
import { TopicSource, TopicSourceOptions } from '../kafka/topicSource';
import { StreamRecord, JsonValue } from '../record';
import { TopicSink, TopicSinkOptions, SinkMetrics, FrameLike } from '../kafka/topicSink';
import { DataFrame, frameFromColumns } from '../frames/danfo';
import { recordsToFrame } from '../frames/recordsFrame';
import { SensorGenerator, SensorGeneratorOptions, GeneratorStats } from '../demo/sensorGenerator';
import { producePaced } from '../demo/pacedProducer';
import { windowed, WindowedOptions, WindowedStream } from '../window/windowedStream';
import { StreamHandle, StreamKind, StreamRegistry, StreamStatus } from './streamRegistry';
import { Forward, chartStatus, consumeHandle, detectHandle, forwardHandle, scoreHandle, windowHandle } from './handles';
import { loadHistory, type History, type HistoryOptions } from '../models/history';
import { describeDropped, trainModel, type TrainModelOptions, type TrainResult, type TrainedModel } from '../models/trainedModel';
import { loadModel, saveModel } from '../models/persist';
import { summaryRows } from '../models/train';
import { StreamScorer } from '../models/streamScorer';
import { StreamDetector } from '../models/streamDetector';
import { createDetector } from '../models/detectors';
import { isDataFrame } from '../frames/danfo';
import { StatusLine } from '../output/statusLine';
import { explainEmpty } from '../output/table';
import { escapeHtml } from '../output/html';
import { notebookOutput } from '../output/notebookOutput';
import { MIME_BUNDLE } from '../output/notebookOutput';
import { formatBytes, formatCount } from '../output/format';
import { LiveChart, ChartOptions } from '../plot/liveChart';
import type { WindowResult } from '../window/windowedStream';
import type { Pipeline } from '../pipeline';
import { ExportOptions, WindowOrigin, pipelineOf, writePipelineFile } from './pipelineExport';
import { GroupWatch } from './groupWatch';
import { PREFLIGHT_RECORDS, fieldProblem, type NamedField } from './fieldPreflight';
import { fieldsOf } from '../window/recordAccess';
import { flatRow, isStream, isWindowResult, windowOutputRow, type Stream } from '../record';
import { parseDuration, type Duration } from '../window/duration';
import { KeyedTable, StreamStreamJoin, StreamTableJoin, TableTableJoin, keyReader, readReferenceCsv, type Joiner, type KeyOption, type KeyedTableOptions, type StreamStreamJoinOptions } from '../join';
import { joinHandle, tableHandle } from './joinHandles';
import { keyFieldProblem, keyTypeProblem } from './joinPreflight';
import { firstRecords } from './joinSamples';

export interface ConnectOptions extends ConnectionOptions {
  /** Start a private embedded broker when no brokers are configured anywhere (default true). */
  embeddedFallback?: boolean;
}

/** One row of streams(): a registered stream by name, with its kind and its status. */
export interface StreamInfo extends StreamStatus {
  name: string;
  kind: StreamKind;
}

export type ConsumeOptions<T> = Omit<TopicSourceOptions<T>, 'connection'> & {
  /** The name the stream is known by in streams() and stop(); default the topic (made unique). */
  name?: string;
};

export type PeekOptions<T> = Omit<ConsumeOptions<T>, 'topic' | 'from' | 'untilEnd' | 'name'>;

export type ProduceOptions = Omit<TopicSinkOptions, 'topic' | 'connection'> & { name?: string };

export type ProblemListener = (message: string) => void;

export type WindowOptions = WindowedOptions & {
  /** The name the windowed stream is known by in streams() and stop(); default `<source>:<window>`. */
  name?: string;
};

export type PlotOptions = ChartOptions & {
  /** The name the chart is known by in streams() and stop(); default `chart:<source>`. */
  name?: string;
  /** Show it below the running cell (default true). */
  show?: boolean;
  /** For a topic: the options of the chart's own consumer (from, timeField, decoder...). */
  consume?: Omit<ConsumeOptions<unknown>, 'topic' | 'name'>;
};

export type TableOptions = Omit<KeyedTableOptions, 'name'> & {
  /** The name it is known by in streams(), stop() and join(); default the topic, stream or file name. */
  name?: string;
  /** For a topic: the options of the table's own consumer (default from: 'earliest'). */
  consume?: Omit<ConsumeOptions<unknown>, 'topic' | 'name'>;
  /** Show it as a ticking table below the running cell. */
  show?: boolean;
};

export interface JoinOptions {
  /** inner (default), left, or outer (two streams or two tables). */
  kind?: 'inner' | 'left' | 'outer';
  /** The key field on both sides (a dotted path; '@key' the record key, the default). */
  on?: string;
  /** The left side's key (a foreign key of a stream-table join: 'cardId'), when the sides differ. */
  leftKey?: KeyOption;
  /** The right stream's key (stream-stream joins; a table's key is its own). */
  rightKey?: KeyOption;
  /** Stream-stream: records join when their times differ by at most this (ms, or '10s'), or `before`/`after` it. */
  within?: Duration;
  before?: Duration;
  after?: Duration;
  /** Stream-stream: how long after a window's end records are still waited for (ms, or '5s'). Required. */
  grace?: Duration;
  /** Stream-table: look up as of the record's event time (versioned tables, their default) or as of arrival. */
  asOf?: 'event-time' | 'arrival';
  /** Compare keys as text (a number field against a topic's text keys). */
  keyText?: boolean;
  joiner?: Joiner;
  name?: string;
  maxRecords?: StreamStreamJoinOptions['maxRecords'];
  /** Results kept (default 20,000): what a window, chart or scorer attached later is given first. */
  keep?: number;
  /** For topics: the options of the join's own consumers (from, timeField, decoder...). */
  consume?: Omit<ConsumeOptions<unknown>, 'topic' | 'name'>;
  /** Show the newest results as a ticking table below the running cell. */
  show?: boolean;
}

export interface DetectOptions {
  /** The numeric field to score (a dotted path reaches into nested values). Required. */
  y: string;
  /** The key field: one detector per value (a dotted path allowed). Absent: one detector for the whole stream. */
  by?: string;
  /** A name of DETECTORS (default the registry's first, the best on NAB). */
  detector?: string;
  /** Flag rows with score >= this instead of the detector's own threshold. */
  threshold?: number;
  /** Detectors held at most (default 10,000): the least recently seen key is evicted (and counted) beyond it. */
  maxKeys?: number;
  /** Rows after a key's alert in which that key does not alert again (default: the detector's own, one per incident). */
  quietRows?: number;
  /** Where flagged rows are written. */
  toTopic?: string;
  /** The name it is known by in streams() and stop(); default `detect:<source>`. */
  name?: string;
  /** Flagged rows kept for flagged() (default 1000). */
  keep?: number;
  /** For a topic: the options of the detector's own consumer (from, timeField, decoder...; default from latest). */
  consume?: Omit<ConsumeOptions<unknown>, 'topic' | 'name'>;
}

export interface GenerateOptions extends SensorGeneratorOptions {
  /** Records to write (default 10000; in the background, until stopped unless given). */
  count?: number;
  /** Records per second to send at (default: as fast as the broker takes them; 200 in the background). */
  rate?: number;
  /** Keep writing at `rate` until stopped, as a stream named `name` (default `generator:<topic>`). */
  background?: boolean;
  name?: string;
  /** Partitions when the topic has to be created (default 4). */
  partitions?: number;
}

const WATCH_INTERVAL_MS = 1000;
const NOTEBOOK_FETCH_BYTES = 2 << 20;
/** States after which a stream's status line shows its last words and stops refreshing. */
const ENDED = new Set(['finished', 'stopped', 'failed', 'closed']);

export class Session {
  /** What export needs of each window this session made (weak: a window dropped by the notebook goes with it). */
  private readonly windowOrigins = new WeakMap<WindowedStream, WindowOrigin>();
  private options: ConnectionOptions = {};
  private settingsValue: ConnectionSettings | undefined;
  private embedded: EmbeddedBroker | undefined;
  private readonly registry = new StreamRegistry();
  private readonly listeners = new Set<ProblemListener>();
  private readonly reported = new Map<string, string>();
  private readonly statusLines = new Map<string, StatusLine>();
  private watchdog: NodeJS.Timeout | undefined;
  private topicFormats: TopicFormats | undefined;
  /** Trainings running now, by their stream name: what an interrupt stops. */
  private readonly trainings = new Map<string, AbortController>();

  /**
   * Chooses the cluster for everything that follows and checks that it answers. With no brokers anywhere
   * (options, STREAMLAB_BROKERS, config file, a running `streamlab broker`) it starts an embedded broker.
   */
  async connect(options: ConnectOptions = {}): Promise<string> {
    const { embeddedFallback = true, ...connection } = options;
    let settings: ConnectionSettings;
    try {
      settings = resolveConnection(connection);
    } catch (e) {
      if (!embeddedFallback || !(e instanceof StreamlabError) || !/no Kafka brokers configured/.test(e.message)) throw e;
      this.embedded ??= await EmbeddedBroker.start();
      settings = resolveConnection({ ...connection, ...this.embedded.connection });
      settings.origin = 'embedded broker';
    }
    const admin = new TopicAdmin(settings);
    try {
      await admin.listTopics('connecting');
    } finally {
      await admin.disconnect();
    }
    this.options = connection;
    this.settingsValue = settings;
    return `connected to ${describeConnection(settings)}`;
  }

  /** Whether connect() has succeeded (completion asks the cluster for topic names only then). */
  get connected(): boolean {
    return this.settingsValue !== undefined;
  }

  /** The settings in use; connects with defaults on first use. */
  async settings(): Promise<ConnectionSettings> {
    if (!this.settingsValue) await this.connect(this.options);
    return this.settingsValue!;
  }

  /**
   * One row per topic: partitions, messages held, offsets (partition:low-high), and the format and registry subject
   * detected from its newest values.
   */
  async topics(): Promise<DataFrame> {
    const summaries = await this.topicSummaries();
    const rows = { topic: [] as string[], partitions: [] as number[], messages: [] as number[], format: [] as string[], subject: [] as string[], offsets: [] as string[] };
    for (const s of summaries) {
      rows.topic.push(s.topic);
      rows.partitions.push(s.partitions);
      rows.messages.push(s.messages);
      rows.format.push(s.format?.format ?? '');
      rows.subject.push(s.format?.subject ?? '');
      rows.offsets.push(s.offsets.map((o) => `${o.partition}:${o.low}-${o.high}`).join(' '));
    }
    return frameFromColumns(rows);
  }

  /**
   * Every topic with its partitions, messages held, offsets and detected format (what the Streams panel lists); []
   * before connect() for the panel, which must not start a broker by asking.
   */
  async topicSummaries(options: { ifConnected?: boolean } = {}): Promise<(TopicSummary & { format?: TopicFormat })[]> {
    if (options.ifConnected && !this.connected) return [];
    const settings = await this.settings();
    const admin = new TopicAdmin(settings);
    let summaries: TopicSummary[];
    try {
      summaries = [];
      for (const topic of await admin.listTopics()) summaries.push(await admin.summary(topic));
    } finally {
      await admin.disconnect();
    }
    if (this.topicFormats?.settings !== settings) this.topicFormats = new TopicFormats(settings);
    const formats = await this.topicFormats.of(summaries);
    return summaries.map((s) => ({ ...s, ...(formats.has(s.topic) ? { format: formats.get(s.topic)! } : {}) }));
  }

  /** Topic names, for completion. */
  async topicNames(): Promise<string[]> {
    const admin = new TopicAdmin(await this.settings());
    try {
      return await admin.listTopics();
    } finally {
      await admin.disconnect();
    }
  }

  /** The newest n records of a topic (by event time across partitions) as a DataFrame. */
  async peek(topic: string, n = 20, options: PeekOptions<unknown> = {}): Promise<DataFrame> {
    const { records, whyEmpty } = await this.peekWithReason(topic, n, options);
    const frame = recordsToFrame(records);
    return records.length === 0 ? explainEmpty(frame, whyEmpty) : frame;
  }

  async peekRecords<T = JsonValue>(topic: string, n = 20, options: PeekOptions<T> = {}): Promise<StreamRecord<T>[]> {
    const { records, whyEmpty } = await this.peekWithReason(topic, n, options);
    return records.length === 0 ? explainEmpty(records, whyEmpty) : records;
  }

  private async peekWithReason<T>(topic: string, n: number, options: PeekOptions<T>): Promise<{ records: StreamRecord<T>[]; whyEmpty: string }> {
    if (!Number.isInteger(n) || n < 1) throw new StreamlabError(`peek needs a positive whole number of records, got ${n}`);
    const settings = await this.settings();
    const admin = new TopicAdmin(settings);
    let offsets;
    try {
      await admin.requireTopic(topic, `peeking at '${topic}'`);
      offsets = await admin.offsets(topic);
    } finally {
      await admin.disconnect();
    }
    // The newest n overall are among the newest n of each partition.
    const from = Object.fromEntries(offsets.map((o) => [o.partition, Math.max(o.low, o.high - n)]));
    const held = offsets.reduce((sum, o) => sum + o.high - o.low, 0);
    const source = new TopicSource<T>({ ...options, topic, connection: settings, from: { offset: from }, untilEnd: true, recentCapacity: n * offsets.length });
    await source.start();
    await source.done();
    const records = source.latest(n * offsets.length).sort((a, b) => a.time - b.time || a.partition - b.partition || a.offset - b.offset).slice(-n);
    const m = source.metrics();
    const whyEmpty =
      held === 0
        ? `'${topic}' is empty: none of its ${offsets.length} partitions holds a record (write some, or wait for its producer)`
        : `none of the newest records of '${topic}' could be read: ${m.deadLetters} dead letters (${Object.entries(m.deadLettersByReason).map(([r, c]) => `${c} ${r}`).join(', ')}); check --decoder and --time-field`;
    return { records, whyEmpty };
  }

  /** Starts a background stream and registers it by name. */
  async consume<T = JsonValue>(options: ConsumeOptions<T>): Promise<TopicSource<T>> {
    const name = this.registry.freeName(options.name ?? options.topic, options.name !== undefined);
    const { name: _ignored, ...sourceOptions } = options;
    // Notebook streams share the event loop with cells: smaller fetches keep cells answering while they ingest.
    const source = new TopicSource<T>({ fetchMaxBytes: NOTEBOOK_FETCH_BYTES, ...sourceOptions, connection: await this.settings() });
    const handle = consumeHandle(source as TopicSource<unknown>, sourceOptions.from);
    this.registry.add(name, handle);
    try {
      await source.start();
    } catch (e) {
      this.registry.delete(name);
      throw e;
    }
    this.announce(name, handle);
    this.watch();
    return source;
  }

  /**
   * Writes to a topic: rows or a DataFrame once (returns the sink's metrics), or every record of a running
   * stream from now on (returns the name of the forward, which stop() ends).
   */
  async produce(topic: string, data: object[] | FrameLike | object, options?: ProduceOptions): Promise<SinkMetrics>;
  async produce<T>(topic: string, data: TopicSource<T> | Stream<StreamRecord<T>>, options?: ProduceOptions & { map?: (r: StreamRecord<T>) => object | undefined }): Promise<string>;
  async produce(
    topic: string,
    data: unknown,
    options: ProduceOptions & { map?: (r: StreamRecord<unknown>) => object | undefined } = {},
  ): Promise<SinkMetrics | string> {
    const { name, map, ...sinkOptions } = options;
    // A running stream's records are written as they come: one that JSON cannot hold is kept aside and counted
    // (the forward's dead letters) rather than failing the rest of its batch.
    const live = isStream(data) && !isDataFrame(data) && !Array.isArray(data) ? (data as Stream<StreamRecord<unknown>>) : undefined;
    const onInvalid = sinkOptions.onInvalid ?? (live ? 'dead-letter' : 'reject');
    const sink = await TopicSink.open({ ...sinkOptions, onInvalid, topic, connection: await this.settings() });
    if (!live) {
      try {
        await sink.write(data as object);
      } finally {
        await sink.close();
      }
      return sink.metrics();
    }
    const sourceName = this.labelOf(live);
    const forwardName = this.registry.freeName(name ?? `${sourceName}->${topic}`, name !== undefined);
    // A window's results are written as rows of their own (final ones only: an update would write a window twice).
    const toValue =
      map ??
      ((r: StreamRecord<unknown>) => {
        if (isWindowResult(r)) return (r as { final?: boolean }).final === false ? undefined : windowOutputRow(r);
        return typeof r.value === 'object' && r.value !== null ? r.value : { value: r.value };
      });
    const forward: Forward = new Forward(sink, () => detach());
    const write = async (records: unknown[]) => {
      const rows: object[] = [];
      for (const r of records) {
        const row = toValue(r as StreamRecord<unknown>);
        if (row !== undefined) rows.push(row);
      }
      try {
        await sink.write(rows);
        await sink.flush();
        forward.records += rows.length;
      } catch (e) {
        forward.errors++;
        forward.lastError = (e as Error).message;
      }
    };
    // A window writes the windows it closed before this call first (those it keeps), then each one as it closes:
    // same tick, so none falls between the two, and the topic holds the window's results from its first.
    if (live instanceof WindowedStream) {
      const closed = closedResults(live);
      const before = live.metrics().closedWindows;
      if (before > closed.length) {
        this.emit(`writing '${sourceName}' to '${topic}': window '${sourceName}' closed ${formatCount(before)} windows before this and keeps the newest ${formatCount(closed.length)}, so the first ${before - closed.length === 1 ? 'one is' : `${formatCount(before - closed.length)} are`} not written (give the window a larger retain, or start the produce before the records come)`);
      }
      if (closed.length > 0) void write(closed);
    }
    const detach = this.fromFirstResult(live, `writing '${sourceName}' to '${topic}'`).subscribe(write as (records: StreamRecord<unknown>[]) => Promise<void>);
    const handle = forwardHandle(forward, 'produce', `writing the records of stream '${sourceName}' to '${topic}'`);
    this.registry.add(forwardName, handle);
    this.announce(forwardName, handle);
    this.watch();
    return forwardName;
  }

  /**
   * Writes seeded demo sensor readings (labelled anomalies, late and malformed records: see SensorGenerator) to a
   * topic, creating it when missing. Returns what was written, or, with `background`, the name to stop it by.
   */
  async generate(topic: string, options?: GenerateOptions & { background?: false }): Promise<GeneratorStats>;
  async generate(topic: string, options: GenerateOptions & { background: true }): Promise<string>;
  async generate(topic: string, options: GenerateOptions = {}): Promise<GeneratorStats | string> {
    const { count = 10_000, rate, background = false, name, partitions = 4, ...generatorOptions } = options;
    // In the background, event time advances as fast as records are sent, so a stream left running stays at the
    // wall clock instead of running ahead of it (the generator's own default is 1000 readings per second).
    const generator = new SensorGenerator(background && generatorOptions.ratePerSecond === undefined ? { ...generatorOptions, ratePerSecond: rate ?? 200 } : generatorOptions);
    const sink = await TopicSink.open({ topic, connection: await this.settings(), createTopic: { partitions } });
    if (!background) {
      try {
        await producePaced(sink, () => generator.next(), { rate: rate ?? Infinity, count });
      } finally {
        await sink.close();
      }
      return generator.stats;
    }
    const forwardName = this.registry.freeName(name ?? `generator:${topic}`, name !== undefined);
    const abort = new AbortController();
    const forward = new Forward(sink, () => abort.abort());
    const handle = forwardHandle(forward, 'generate', `writing demo sensor readings to '${topic}' at ${formatCount(rate ?? 200)}/s`);
    this.registry.add(forwardName, handle);
    // A background feed with a count ends by itself after it: a live demo of a fixed size, the same on every run.
    const limit = options.count === undefined ? {} : { count };
    forward.running = producePaced(sink, () => generator.next(), { rate: rate ?? 200, ...limit, signal: abort.signal, onProgress: (sent) => (forward.records = sent) }).catch(
      (e: unknown) => {
        forward.errors++;
        forward.lastError = (e as Error).message;
      },
    );
    this.announce(forwardName, handle);
    return forwardName;
  }

  /**
   * Windows a stream: a running one (by name or object), from its next batch on; or a topic, read by a consumer of
   * the window's own (`consume` options: from, timeField, decoder...) that feeds the window from its first record.
   * The result is registered like a stream, so streams() shows it and stop() ends it (and its own consumer).
   */
  async window<T = JsonValue>(
    source: string | TopicSource<T> | Stream<StreamRecord<unknown>>,
    options: WindowOptions & { consume?: Omit<ConsumeOptions<T>, 'topic' | 'name'> },
  ): Promise<WindowedStream> {
    const { name, consume, ...windowOptions } = options;
    const running = this.runningSource(source);
    if (running && consume) {
      throw new StreamlabError(`'${typeof source === 'string' ? source : this.labelOf(source)}' is a running stream, so consume options do not apply`, 'window the topic instead, or drop the consume options');
    }
    const stream = windowed(windowOptions);
    const sourceName = typeof source === 'string' ? source : this.labelOf(source);
    const windowName = this.registry.freeName(name ?? `${sourceName}:${stream.metrics().window}`, name !== undefined);
    // The window's warnings (far-future records, the key bound, a field no record has) reach the notebook once each,
    // held until its fields pass the check on the first records: a cell that fails that says it once, not thrice.
    let heldWarnings: string[] | undefined = [];
    stream.onWarning((message) => (heldWarnings ? heldWarnings.push(message) : this.emit(`window '${windowName}': ${message}`)));
    // A topic: the window gets a consumer of its own, attached before it starts so no record passes it by.
    const own = running ? undefined : new TopicSource<T>({ fetchMaxBytes: NOTEBOOK_FETCH_BYTES, ...consume, topic: sourceName, connection: await this.settings() });
    const feed = (running ? this.fromFirstResult(running, `window '${windowName}'`) : own)! as Stream<StreamRecord<unknown>>;
    const feedSource = feed instanceof TopicSource ? (feed as TopicSource<unknown>) : undefined;
    const detach = stream.attach(feed);
    let clock: NodeJS.Timeout | undefined;
    if (windowOptions.time === 'processing') {
      // Processing time: due windows close by the clock even when no record comes.
      clock = setInterval(() => stream.advanceTo(Date.now()), 1000);
      clock.unref();
    }
    const stopAll = async () => {
      detach();
      clearInterval(clock);
      stream.endDisplays();
      await own?.stop();
    };
    const handle = windowHandle({
      stream,
      feed: feedSource,
      ownFeed: own !== undefined,
      feedName: sourceName,
      from: consume?.from,
      stop: stopAll,
    });
    if (running) handle.upstream = running;
    // A window of a topic can be exported as a pipeline; one of a join or table is a notebook's own.
    if (feedSource) this.windowOrigins.set(stream, { name: windowName, topic: feedSource.topic, timeField: feedSource.timeField, options: windowOptions, stream });
    // A running stream, or a topic from its end: the first windows began before the first record read.
    // A join hands over the results it kept first: all of them when it kept everything it gave.
    const join = running as { retained?: { delivered: number; kept: number } } | undefined;
    const joinComplete = join?.retained !== undefined && join.retained.delivered <= join.retained.kept;
    stream.startsMidStream = running !== undefined ? !joinComplete : consume?.from === undefined || consume.from === 'latest' || consume.from === 'committed';
    if (running) stream.feedHint = running instanceof TopicSource ? `it windows the records stream '${sourceName}' reads from now on (to window what the topic holds: %window ${running.topic} --from earliest ...)` : join?.retained !== undefined ? `it windows the results join '${sourceName}' kept and what it gives from now on` : `it windows what '${sourceName}' delivers from now on`;
    this.registry.add(windowName, handle);
    const sampling = own ? firstRows(own as TopicSource<unknown>) : undefined;
    if (own) {
      try {
        await own.start();
      } catch (e) {
        sampling!.cancel();
        this.registry.delete(windowName);
        detach();
        clearInterval(clock);
        throw e;
      }
    }
    await this.refuseMissingFields(`window '${windowName}'`, running ? (running instanceof TopicSource ? recentRows(running as TopicSource<unknown>) : []) : await sampling!.rows(), stream.namedFields(), async () => {
      this.registry.delete(windowName);
      await stopAll();
    });
    for (const message of heldWarnings) this.emit(`window '${windowName}': ${message}`);
    heldWarnings = undefined;
    this.announce(windowName, handle);
    this.watch();
    return stream;
  }

  /**
   * A live chart of a running stream (by name or object), a windowed stream (its aggregate columns, one trace per
   * key), a topic (read by a consumer of the chart's own, from `consume.from`, default latest), or nothing (fed by
   * chart.push()). It is shown below the running cell and registered like a stream: streams() shows it, stop()
   * ends it, pause() freezes its updates.
   */
  async plot(source?: string | TopicSource<any> | WindowedStream | StreamScorer | Stream<StreamRecord<any>>, options: PlotOptions = {}): Promise<LiveChart> {
    const { name, show = true, consume, ...chartOptions } = options;
    const target = typeof source === 'string' ? this.registry.get(source)?.target : source;
    if (target && consume) throw new StreamlabError(`'${String(typeof source === 'string' ? source : this.registry.nameOf(target))}' is running, so consume options do not apply`, 'plot the topic instead, or drop the consume options');
    const label = typeof source === 'string' ? source : target ? this.labelOf(target) : 'code';
    let own: TopicSource<unknown> | undefined;
    let chart: LiveChart;
    let detach: () => void = () => undefined;
    if (target instanceof WindowedStream) {
      const keyed = target.keyBy.length > 0 ? { by: chartOptions.by ?? [...target.keyBy] } : {};
      chart = new LiveChart({ x: 'windowStart', ...keyed, ...chartOptions, source: `window '${label}'` });
      // It starts with the windows already closed (as a table would show them), then follows the new ones.
      chart.push(target.closedRows());
      // Final results only: an update of an open window would draw a second point at the same window start.
      detach = target.subscribe((results) => chart.push(results.filter((r) => r.final).map(windowRow)));
    } else if (target instanceof TopicSource) {
      chart = new LiveChart({ ...chartOptions, source: `stream '${label}'` });
      // It starts with the records the stream holds (its recent buffer), then follows: a chart of a stream that
      // has caught up is not empty. Same tick, so no record falls between the two.
      void chart.push(target.latest(Number.MAX_SAFE_INTEGER));
      detach = target.subscribe((records) => void chart.push(records));
    } else if (target instanceof StreamScorer) {
      // A scorer: its scores as a line, the threshold as a line beside them, and a marker on each flagged row.
      chart = new LiveChart({ y: ['score', 'threshold'], mark: 'isAnomaly', title: `scores of '${label}'`, ...chartOptions, source: `scorer '${label}'` });
      detach = target.subscribeScored((rows) => void chart.push(rows));
    } else if (target instanceof StreamDetector && chartOptions.y === undefined) {
      // A detector, like a scorer: its scores, the threshold, and a marker on each flagged row.
      // Per key, one score line a key; the threshold, the same for every key, goes in the title instead of a line each.
      const perKey = chartOptions.by !== undefined;
      const y = perKey ? ['score'] : ['score', 'threshold'];
      const title = perKey ? `scores of '${label}' per ${asList(chartOptions.by).join(', ')} (flagged from ${target.threshold})` : `scores of '${label}'`;
      chart = new LiveChart({ y, mark: 'isAnomaly', title, ...chartOptions, source: `detector '${label}'` });
      // It starts with the rows the detector keeps, then follows (same tick: no row falls between the two).
      void chart.push(target.recentScored());
      detach = target.subscribeScored((rows) => void chart.push(rows));
    } else if (isStream(target)) {
      // A join, a table's changes, any stream of records: its rows as they come.
      chart = new LiveChart({ ...chartOptions, source: `${this.registry.get(label)?.kind ?? 'stream'} '${label}'` });
      detach = this.fromFirstResult(target, `chart of '${label}'`).subscribe((records) => void chart.push(records));
    } else if (target !== undefined) {
      throw new StreamlabError(`'${label}' is a ${this.registry.get(label)?.kind ?? 'kind of'} stream, which cannot be plotted`, 'plot a consume stream, a window, a scorer or a topic');
    } else if (typeof source === 'string') {
      own = new TopicSource<unknown>({ fetchMaxBytes: NOTEBOOK_FETCH_BYTES, ...consume, topic: source, connection: await this.settings() });
      const from = consume?.from === undefined ? 'latest' : typeof consume.from === 'string' ? consume.from : JSON.stringify(consume.from);
      chart = new LiveChart({ ...chartOptions, source: `topic '${source}' from ${from}` });
      detach = own.subscribe((records) => void chart.push(records));
    } else {
      chart = new LiveChart({ ...chartOptions, source: 'code' });
    }
    const chartName = this.registry.freeName(name ?? `chart:${label}`, name !== undefined);
    chart.name = chartName;
    const handle: StreamHandle = {
      kind: 'chart',
      target: chart,
      doing: `a ${chart.spec.kind} chart of ${chart.spec.source}`,
      watched: own,
      status: () => chartStatus(chart, own),
      stop: async () => {
        detach();
        chart.stop();
        await own?.stop();
      },
      pause: () => chart.pause(),
      resume: () => chart.resume(),
      ...(target !== undefined ? { upstream: target } : {}),
    };
    this.registry.add(chartName, handle);
    const sampling = own ? firstRows(own) : undefined;
    if (own) {
      try {
        await own.start();
      } catch (e) {
        sampling!.cancel();
        this.registry.delete(chartName);
        detach();
        chart.stop('failed');
        throw e;
      }
    }
    const sample = own ? await sampling!.rows() : target instanceof TopicSource ? recentRows(target) : target instanceof WindowedStream ? target.closedRows().slice(-PREFLIGHT_RECORDS) : [];
    const named: NamedField[] = [
      ...asList(chartOptions.y).map((name) => ({ name, role: 'y', numeric: true })),
      ...asList(chartOptions.by).map((name) => ({ name, role: 'by', numeric: false })),
      ...(chartOptions.x !== undefined && chartOptions.x !== 'time' ? [{ name: chartOptions.x, role: 'x', numeric: false }] : []),
    ];
    await this.refuseMissingFields(`chart '${chartName}'`, sample, named, async () => {
      this.registry.delete(chartName);
      await handle.stop!();
    });
    if (show) chart.show();
    this.watch();
    return chart;
  }

  /** Fails a cell whose named fields the first records show to be missing or never numbers (see fieldPreflight). */
  private async refuseMissingFields(what: string, sample: readonly Record<string, unknown>[], fields: readonly NamedField[], undo: () => Promise<void>): Promise<void> {
    const problem = fieldProblem(sample, fields);
    if (problem === undefined) return;
    await undo();
    throw new StreamlabError(`${what}: ${problem}`, 'name a field the records have; nothing was started');
  }

  /**
   * Writes a window of this session (by name or object) as a pipeline file that `streamlab worker FILE` runs as one
   * member of a consumer group, writing its final windows to `options.output` exactly once. Returns the pipeline.
   */
  exportPipeline(file: string, window: string | WindowedStream, options: ExportOptions): Pipeline {
    const target = typeof window === 'string' ? this.registry.get(window)?.target : window;
    const origin = target instanceof WindowedStream ? this.windowOrigins.get(target) : undefined;
    if (!origin) {
      throw new StreamlabError(`exporting a pipeline: '${typeof window === 'string' ? window : 'that window'}' is not a window of this session`, 'pass the name or the object that session.window() (%window) gave');
    }
    const pipeline = pipelineOf(origin, options);
    writePipelineFile(file, pipeline);
    return pipeline;
  }

  /**
   * A worker group seen from the notebook (members, the partitions each holds, lag), read from outside the group:
   * `(await session.workerGroup('sensor-windows', 'sensors')).show()`. Its refresh() reads it once.
   */
  async workerGroup(groupId: string, topic: string): Promise<GroupWatch> {
    const watch = new GroupWatch(await this.settings(), groupId, topic);
    await watch.refresh();
    return watch;
  }

  /** The running (and ended, until stopped) streams, one row per name. */
  streams(): StreamInfo[] {
    return this.registry.entries().map(([name, h]) => ({ name, kind: h.kind, ...h.status() }));
  }

  /** streams() as a DataFrame, for display. */
  streamsFrame(): DataFrame {
    const infos = this.streams();
    const column = <K extends keyof StreamInfo>(k: K) => infos.map((i) => i[k] ?? null);
    const frame = frameFromColumns({
      name: column('name'),
      kind: column('kind'),
      reads: column('topic'),
      state: column('state'),
      records: column('records'),
      'records/s': column('recordsPerSecond'),
      lag: column('lag'),
      'set aside': column('deadLetters'),
      late: column('late'),
      errors: column('errors'),
      memory: infos.map((i) => formatBytes(i.memoryBytes)),
      'last error': infos.map((i) => i.lastError ?? ''),
    });
    return infos.length === 0 ? explainEmpty(frame, 'no streams are running: %consume TOPIC --as NAME starts one') : frame;
  }

  /** A consumer stream by name. */
  stream<T = JsonValue>(name: string): TopicSource<T> {
    const handle = this.registry.get(name);
    if (!handle) throw this.registry.unknown(name);
    if (!(handle.target instanceof TopicSource)) throw new StreamlabError(`'${name}' is a ${handle.kind} stream, not a consumer`, 'use the variable it was bound to');
    return handle.target as TopicSource<T>;
  }

  /** A topic's history (the last N records, a time range, or all it holds) as rows and a DataFrame, with progress and a memory bound. */
  async history(topic: string, options: Omit<HistoryOptions, 'topic' | 'connection'> = {}): Promise<History> {
    return loadHistory({ ...options, topic, connection: await this.settings() });
  }

  /**
   * Trains a model (autoencoder, forecaster, classifier, or your own tf.LayersModel) on a topic's history, or on
   * rows or a DataFrame you give, with live loss curves in the notebook; returns the model, a summary and the backend.
   */
  async train(data: string | readonly Record<string, unknown>[] | DataFrame, options: TrainModelOptions & { history?: Omit<HistoryOptions, 'topic' | 'connection'>; save?: string; show?: boolean; name?: string }): Promise<TrainResult> {
    const { history, save, show, name, ...trainOptions } = options;
    // Training is a stream of the session while it runs: %streams and the panel show it, %stop (or the kernel's
    // interrupt) ends it at the next batch with the best weights so far, and the cell still gets its model.
    const controller = new AbortController();
    const given = trainOptions.signal;
    if (given) given.aborted ? controller.abort() : given.addEventListener('abort', () => controller.abort(), { once: true });
    const label = typeof data === 'string' ? data : 'rows';
    const trainName = this.registry.freeName(name ?? `train:${label}`, false);
    const progress = { epochs: 0, loss: NaN, phase: typeof data === 'string' ? 'loading history' : 'building features', started: Date.now() };
    const maxEpochs = trainOptions.epochs ?? 50;
    const handle: StreamHandle = {
      kind: 'train',
      target: controller,
      doing: `training a${trainOptions.kind === 'autoencoder' ? 'n' : ''} ${trainOptions.kind} on ${typeof data === 'string' ? `the history of '${data}'` : 'rows'}`,
      status: () => ({ topic: label, state: controller.signal.aborted ? 'stopped' : 'running', records: progress.epochs, recordsPerSecond: 0, lag: 0, deadLetters: 0, late: 0, errors: 0, memoryBytes: 0 }),
      counters: () => [progress.phase === 'training' ? `epoch ${progress.epochs} of at most ${maxEpochs}${Number.isFinite(progress.loss) ? `, loss ${progress.loss.toPrecision(3)}` : ''}` : progress.phase],
      stop: async () => controller.abort(),
    };
    this.registry.add(trainName, handle);
    this.trainings.set(trainName, controller);
    let result: TrainResult;
    try {
      const rows = typeof data === 'string' ? (await this.history(data, { ...history, signal: controller.signal })).rows : isDataFrame(data) ? frameRows(data) : data;
      progress.phase = 'training';
      result = await trainModel(rows, {
        ...trainOptions,
        signal: controller.signal,
        onEpoch: (log) => {
          progress.epochs = log.epoch;
          progress.loss = log.valLoss ?? log.loss;
          trainOptions.onEpoch?.(log);
        },
      });
    } finally {
      this.trainings.delete(trainName);
      this.registry.delete(trainName);
    }
    if (save !== undefined) await saveModel(save, result.model);
    // Shown as a cell's value, or (show: a magic that binds the result) below the cell: a short table.
    const percentile = trainOptions.percentile ?? 99;
    const threshold = trainOptions.threshold !== undefined || result.model.kind === 'classifier'
      ? `${result.model.threshold.toPrecision(4)} (given)`
      : `${result.model.threshold.toPrecision(4)}: the ${percentile}th percentile of the training rows' scores, so about ${formatShare(100 - percentile)} of rows like them are flagged`;
    const pairs: [string, string][] = [
      ...summaryRows(result.summary),
      ['backend choice', `${result.backend.name} (${result.backend.note})`],
      ['features', `${result.features.names.join(', ')}${result.model.spec.by !== undefined ? ` (within each '${result.model.spec.by}')` : ''}`],
      ['rows left out', describeDropped({ dropped: result.features }).replace(/^dropped: /, '')],
      ['threshold', threshold],
      ...(save !== undefined ? ([['saved to', save]] as [string, string][]) : []),
      ...(result.features.note ? ([['note', result.features.note]] as [string, string][]) : []),
    ];
    // A key/value table, as metrics() show: labels left, values left beside them.
    const caption = `a${result.model.kind === 'autoencoder' ? 'n' : ''} ${result.model.kind} trained${result.summary.interrupted ? ' (interrupted: the best weights so far are kept)' : ''}`;
    const html = `<p class="streamlab-table-caption">${escapeHtml(caption)}</p><table class="streamlab-fields"><tbody>${pairs.map(([k, v]) => `<tr><th style="text-align:left">${escapeHtml(k)}</th><td style="text-align:left">${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`;
    const text = pairs.map(([k, v]) => `${k.padEnd(16)} ${v}`).join('\n');
    const bundle = () => ({ 'text/html': html, 'text/plain': text });
    Object.defineProperty(result, MIME_BUNDLE, { value: bundle, enumerable: false });
    if (show) notebookOutput()?.display(bundle(), `train-${Date.now()}`, false);
    return result;
  }

  /**
   * Scores a running stream (by name or object: a consumer or a windowed stream) or a topic (read by a consumer of
   * the scorer's own, from `consume.from`, default latest) with a trained model (or a directory saveModel wrote).
   * Flagged rows go to `toTopic` when given. The scorer is registered like a stream: streams() shows it, stop() ends it.
   */
  async score(
    source: string | TopicSource<unknown> | WindowedStream | Stream<unknown>,
    model: TrainedModel | string,
    options: { toTopic?: string; name?: string; chart?: LiveChart; keep?: number; threshold?: number; consume?: Omit<ConsumeOptions<unknown>, 'topic' | 'name'> } = {},
  ): Promise<StreamScorer> {
    const trained = typeof model === 'string' ? await loadModel(model) : model;
    const byName = typeof source === 'string' ? this.registry.get(source)?.target : source;
    const running = isStream(byName) ? byName : undefined;
    const sourceName = typeof source === 'string' ? source : this.labelOf(source);
    const name = this.registry.freeName(options.name ?? `score:${sourceName}`, options.name !== undefined);
    const sink = options.toTopic ? await TopicSink.open({ topic: options.toTopic, connection: await this.settings(), createTopic: true, onInvalid: 'dead-letter' }) : undefined;
    const scorer = new StreamScorer({ model: trained, sink, chart: options.chart, keep: options.keep, threshold: options.threshold });
    const own = running ? undefined : new TopicSource<unknown>({ fetchMaxBytes: NOTEBOOK_FETCH_BYTES, ...options.consume, topic: sourceName, connection: await this.settings() });
    scorer.attach((running ? this.fromFirstResult(running, `scorer '${name}'`) : own)! as Stream<unknown>);
    const threshold = options.threshold ?? trained.threshold;
    const doing = `scoring ${running ? `stream '${sourceName}'` : `topic '${sourceName}'`} with a${trained.kind === 'autoencoder' ? 'n' : ''} ${trained.kind} (anomaly at score >= ${threshold.toPrecision(4)})${options.toTopic ? `, flagged rows to '${options.toTopic}'` : ''}`;
    const handle = scoreHandle(scorer, { sourceName, own, sink, doing });
    if (running) handle.upstream = running;
    this.registry.add(name, handle);
    if (own) {
      try {
        await own.start();
      } catch (e) {
        this.registry.delete(name);
        await scorer.stop();
        await sink?.close();
        throw e;
      }
    }
    this.announce(name, handle);
    this.watch();
    return scorer;
  }

  /**
   * Online anomaly detection per key: each row's numeric `y` is scored by its key's own detector (`by`; without it,
   * one for the whole stream) of a running stream (by name or object: a consumer, a window, a join, a table's
   * changes) or of a topic (read by a consumer of the detector's own, from `consume.from`, default latest). Rows come
   * out with score, isAnomaly, reason and warmingUp; flagged rows go to `toTopic` when given and to flagged(); rows
   * without a numeric `y` are counted and kept aside. The result is a stream (window it, plot it, produce it),
   * registered like one: streams() shows it, stop() ends it. `y` and `by` are checked on the first records.
   */
  async detect(source: string | Stream<unknown>, options: DetectOptions): Promise<StreamDetector> {
    if (options === undefined || typeof options.y !== 'string' || options.y.trim() === '') {
      throw new StreamlabError('detect needs y: the numeric field to score', "give { y: 'value' } (and by: 'sensor' for one detector per key)", { magicHint: 'give --y FIELD (and --by KEY for one detector per key)' });
    }
    if (options.maxKeys !== undefined && (!Number.isSafeInteger(options.maxKeys) || options.maxKeys < 1)) throw new StreamlabError(`maxKeys must be a whole number >= 1, got ${options.maxKeys}`);
    if (options.threshold !== undefined && (typeof options.threshold !== 'number' || !Number.isFinite(options.threshold))) throw new StreamlabError(`threshold must be a finite number, got ${String(options.threshold)}`);
    // An unknown detector fails here, with its did-you-mean, before anything starts.
    if (options.detector !== undefined || options.quietRows !== undefined) createDetector(options.detector, { quietRows: options.quietRows });
    const byName = typeof source === 'string' ? this.registry.get(source)?.target : source;
    const running = isStream(byName) ? byName : undefined;
    if (typeof source === 'string' && byName !== undefined && !running) {
      throw new StreamlabError(`'${source}' is a ${this.registry.get(source)?.kind ?? 'kind of'} stream, which has no rows to detect in`, 'detect in a topic, a consume stream, a window, a join or a table');
    }
    if (running && options.consume) throw new StreamlabError(`'${typeof source === 'string' ? source : this.labelOf(source)}' is a running stream, so consume options do not apply`, 'detect in the topic instead, or drop the consume options');
    const sourceName = typeof source === 'string' ? source : this.labelOf(source);
    const name = this.registry.freeName(options.name ?? `detect:${sourceName}`, options.name !== undefined);
    const sink = options.toTopic ? await TopicSink.open({ topic: options.toTopic, connection: await this.settings(), createTopic: true, onInvalid: 'dead-letter' }) : undefined;
    let detector: StreamDetector;
    try {
      detector = new StreamDetector({ y: options.y, by: options.by, detector: options.detector, threshold: options.threshold, maxKeys: options.maxKeys, quietRows: options.quietRows, keep: options.keep, sink, name });
    } catch (e) {
      await sink?.close();
      throw e;
    }
    detector.onError((m) => this.emit(m));
    const own = running ? undefined : new TopicSource<unknown>({ fetchMaxBytes: NOTEBOOK_FETCH_BYTES, ...options.consume, topic: sourceName, connection: await this.settings() });
    const sampling = own ? firstRows(own) : undefined;
    detector.attach((running ? this.fromFirstResult(running, `detector '${name}'`) : own)! as Stream<unknown>);
    const doing = `detecting ${detector.describe()} in ${running ? `stream '${sourceName}'` : `topic '${sourceName}'`}${options.toTopic ? `, flagged rows to '${options.toTopic}'` : ''}`;
    const handle = detectHandle(detector, { sourceName, own, sink, doing });
    if (running) handle.upstream = running;
    this.registry.add(name, handle);
    if (own) {
      try {
        await own.start();
      } catch (e) {
        sampling!.cancel();
        this.registry.delete(name);
        await handle.stop();
        throw e;
      }
    }
    const sample = own ? await sampling!.rows() : sampleOf(running);
    const named: NamedField[] = [{ name: options.y, role: 'y', numeric: true }, ...(options.by !== undefined ? [{ name: options.by, role: 'by', numeric: false }] : [])];
    await this.refuseMissingFields(`detect '${name}'`, sample, named, async () => {
      this.registry.delete(name);
      await handle.stop();
    });
    this.announce(name, handle);
    this.watch();
    return detector;
  }

  /**
   * A table: the latest value per key of a topic (read from its first record, complete before this returns, then
   * following it), of a running stream (by name or object), or of reference data (a DataFrame, rows, or a CSV file
   * path). Tombstones delete keys; `versioned: { historyMs }` keeps each key's history for as-of joins. Registered
   * like a stream: streams() shows it, stop() ends it, and join() finds it by name.
   */
  async table(source: string | Stream<unknown> | DataFrame | readonly Record<string, unknown>[], options: TableOptions = {}): Promise<KeyedTable> {
    const { name, consume, show = false, ...tableOptions } = options;
    const byName = typeof source === 'string' ? this.registry.get(source)?.target : undefined;
    const csv = typeof source === 'string' && byName === undefined && /\.csv$/i.test(source) ? source : undefined;
    const reference = csv !== undefined || Array.isArray(source) || isDataFrame(source);
    const label = typeof source === 'string' ? source : reference ? 'rows' : (this.registry.nameOf(source as object) ?? 'stream');
    const tableName = this.registry.freeName(name ?? (csv ? csv.replace(/^.*\//, '').replace(/\.csv$/i, '') : label), name !== undefined);
    const table = new KeyedTable({ ...tableOptions, name: tableName });
    table.onWarning((m) => this.emit(m));
    if (reference) {
      if (tableOptions.key === undefined) {
        throw new StreamlabError(`a table of ${csv ? `'${csv}'` : 'rows'} needs a key: the column that holds each row's key`, "give key: 'id' (or --key id)");
      }
      const rows = csv ? readReferenceCsv(csv) : isDataFrame(source) ? frameRows(source) : (source as Record<string, unknown>[]);
      const problem = keyFieldProblem({ name: tableName, key: tableOptions.key, sample: rows.slice(0, PREFLIGHT_RECORDS) });
      if (problem) throw new StreamlabError(`table '${tableName}': ${problem}`, 'name a column the rows have');
      table.apply(rows);
      const handle = tableHandle(table, { reads: csv ? `'${csv}'` : `${formatCount(rows.length)} rows`, stop: async () => table.endDisplays() });
      this.registry.add(tableName, handle);
      if (show) table.show();
      return table;
    }
    const running = isStream(byName) ? byName : typeof source === 'string' ? undefined : (source as Stream<unknown>);
    const own = running ? undefined : new TopicSource<unknown>({ fetchMaxBytes: NOTEBOOK_FETCH_BYTES, from: 'earliest', ...consume, tombstones: true, topic: source as string, connection: await this.settings() });
    const detach = table.attach((running ?? own)!);
    const handle = tableHandle(table, {
      own,
      reads: own ? `topic '${own.topic}'` : `stream '${label}'`,
      stop: async () => {
        detach();
        table.endDisplays();
        await own?.stop();
      },
    });
    if (running) handle.upstream = running;
    this.registry.add(tableName, handle);
    if (own) {
      const sampling = firstRecords(own);
      try {
        await own.start();
        // Like a GlobalKTable, the table is complete (caught up with what the topic held) before anything joins it.
        await own.caughtUp();
      } catch (e) {
        sampling.cancel();
        this.registry.delete(tableName);
        detach();
        await own.stop().catch(() => undefined);
        throw e;
      }
      const problem = keyFieldProblem({ name: own.topic, key: tableOptions.key, sample: await sampling.records() });
      if (problem) {
        this.registry.delete(tableName);
        await handle.stop();
        throw new StreamlabError(`table '${tableName}': ${problem}`, 'name a field the records have; nothing was started');
      }
    }
    this.announce(tableName, handle);
    if (show) table.show();
    this.watch();
    return table;
  }

  /**
   * Joins two things by key, with Kafka Streams' semantics (README, "Joins"): a stream (a topic, a running stream by
   * name or object) with a table (stream-table: inner or left, as of event time on a versioned table, else as of
   * arrival; `leftKey` a field for a foreign key), two streams in event time (`within` and `grace` required; inner,
   * left or outer; unmatched records of left/outer joins emitted when their window closes), or two tables. The
   * result is a stream of records: window it, plot it, score it, produce it. Registered like a stream.
   */
  async join(left: string | Stream<unknown> | KeyedTable, right: string | Stream<unknown> | KeyedTable, options: JoinOptions = {}): Promise<StreamTableJoin | StreamStreamJoin | TableTableJoin> {
    const { name, consume, show = false, on, keyText, within, before, after, grace, ...rest } = options;
    const ms = (v: Duration | undefined, what: string) => (v === undefined ? undefined : parseDuration(v, what));
    const windowMs = { within: ms(within, 'join window'), before: ms(before, 'join window before'), after: ms(after, 'join window after'), grace: ms(grace, 'grace') };
    const sides = [left, right].map((s) => {
      const target = typeof s === 'string' ? this.registry.get(s)?.target : s;
      const label = typeof s === 'string' ? s : (this.registry.nameOf(s as object) ?? (s instanceof KeyedTable ? s.name : s instanceof TopicSource ? s.topic : 'stream'));
      return { target, label, table: target instanceof KeyedTable ? target : undefined, stream: isStream(target) && !(target instanceof KeyedTable) ? target : undefined };
    });
    const [l, r] = sides as [(typeof sides)[0], (typeof sides)[0]];
    for (const side of [l, r]) {
      if (side.target !== undefined && !side.table && !side.stream) {
        const kind = this.registry.get(side.label)?.kind ?? 'kind of';
        throw new StreamlabError(`'${side.label}' is a ${kind} stream, which cannot be joined`, 'join a topic, a consume stream, a window, another join or a table');
      }
    }
    const kindOf = l.table && r.table ? 'table-table' : r.table ? 'stream-table' : l.table ? undefined : 'stream-stream';
    if (kindOf === undefined) {
      throw new StreamlabError(`'${l.label}' is a table, and a table on the left joins only another table`, `to enrich a stream with '${l.label}', put the stream first: join(stream, '${l.label}')`, { magicHint: `to enrich a stream with '${l.label}', put the stream first: %join STREAM ${l.label}` });
    }
    if (kindOf !== 'stream-stream' && (within ?? before ?? after ?? grace) !== undefined) {
      throw new StreamlabError(`a join window (within, before, after, grace) joins two streams, and '${r.table ? r.label : l.label}' is a table`, 'drop the window: a table is looked up by key, not in time', { magicHint: 'drop --within/--before/--after/--grace: a table is looked up by key, not in time' });
    }
    if (kindOf === 'stream-stream' && rest.asOf !== undefined) throw new StreamlabError(`asOf applies to a stream-table join, and '${r.label}' is not a table`, `make it a table first (session.table('${r.label}')), or drop asOf`, { magicHint: `make it a table first (%table ${r.label} --as NAME), or drop --as-of` });
    if (rest.kind === 'outer' && kindOf === 'stream-table') throw new StreamlabError(`a stream-table join is inner or left, not outer`, 'use kind inner or left (outer joins two streams or two tables)', { magicHint: 'use --kind inner or left (outer joins two streams or two tables)' });
    const textKey = (k: KeyOption | undefined): KeyOption | undefined => {
      if (!keyText) return k;
      const reader = keyReader(k);
      return (item: unknown) => {
        const v = reader.read(item);
        return v === undefined || v === null ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'object' ? JSON.stringify(v) : String(v);
      };
    };
    const leftKey = textKey(rest.leftKey ?? on);
    const rightKey = textKey(rest.rightKey ?? on);
    const joinName = this.registry.freeName(name ?? `${l.label}+${r.label}`, name !== undefined);
    const settings = kindOf === 'table-table' ? undefined : await this.settings();
    // A side that is a topic gets a consumer of the join's own, subscribed before it starts so no record passes.
    const ownFor = (side: typeof l) => (side.table || side.stream || typeof side.target === 'object' ? undefined : new TopicSource<unknown>({ fetchMaxBytes: NOTEBOOK_FETCH_BYTES, ...consume, topic: side.label, connection: settings! }));
    const ownLeft = kindOf === 'table-table' ? undefined : ownFor(l);
    const ownRight = kindOf === 'stream-stream' ? ownFor(r) : undefined;
    const leftStream = (l.stream ?? ownLeft) as Stream<unknown> | undefined;
    const rightStream = (r.stream ?? ownRight) as Stream<unknown> | undefined;
    let join: StreamTableJoin | StreamStreamJoin | TableTableJoin;
    let detach: () => void;
    let doing: string;
    if (kindOf === 'table-table') {
      join = new TableTableJoin({ left: l.table!, right: r.table!, kind: rest.kind ?? 'inner', joiner: rest.joiner, name: joinName, keep: rest.keep });
      join.start();
      // What both tables hold now is the join's starting result (its table), as a KTable join starts from its tables.
      join.joinExisting();
      detach = () => (join as TableTableJoin).stop();
      doing = `a${join.kind === 'inner' ? 'n' : ''} ${join.kind} join of tables '${l.label}' and '${r.label}' by key`;
    } else if (kindOf === 'stream-table') {
      join = new StreamTableJoin({ table: r.table!, kind: rest.kind === 'left' ? 'left' : 'inner', key: leftKey, joiner: rest.joiner, name: joinName, asOf: rest.asOf, keep: rest.keep });
      detach = join.attach(leftStream!);
      doing = `a${join.kind === 'inner' ? 'n' : ''} ${join.kind} join of ${ownLeft ? `topic '${l.label}'` : `stream '${l.label}'`} (${keyReader(leftKey).describe}) with table '${r.label}', as of ${join.asOf === 'event-time' ? "each record's event time" : 'arrival'}`;
    } else {
      join = new StreamStreamJoin({ ...rest, ...windowMs, grace: windowMs.grace as number, leftKey, rightKey, leftName: l.label, rightName: r.label, name: joinName });
      if (ownLeft && ownRight && join.partitioned) await this.requireCoPartitioned(ownLeft.topic, ownRight.topic);
      detach = join.attach(leftStream!, rightStream!);
      doing = `a${join.kind === 'inner' ? 'n' : ''} ${join.kind} join of ${ownLeft ? 'topic' : 'stream'} '${l.label}' and ${ownRight ? 'topic' : 'stream'} '${r.label}' by ${keyReader(leftKey).describe}, ${join.windowText}`;
    }
    join.whyEmptyFeeds = () => [ownLeft, ownRight].filter((s): s is TopicSource<unknown> => s !== undefined).map((s) => s.whyEmpty()).filter(Boolean);
    const owns = [ownLeft, ownRight].filter((s): s is TopicSource<unknown> => s !== undefined);
    const stopAll = async () => {
      detach();
      join.endDisplays();
      for (const s of owns) await s.stop();
    };
    const handle = joinHandle(join, { feeds: owns, doing, stop: stopAll });
    const upstream = l.stream ?? l.table;
    if (upstream) handle.upstream = upstream;
    this.registry.add(joinName, handle);
    const samplings = owns.map((s) => firstRecords(s));
    try {
      for (const s of owns) await s.start();
    } catch (e) {
      for (const s of samplings) s.cancel();
      this.registry.delete(joinName);
      await stopAll().catch(() => undefined);
      throw e;
    }
    const sampleOf = async (side: typeof l, own: TopicSource<unknown> | undefined): Promise<unknown[]> =>
      own ? await samplings[owns.indexOf(own)]!.records() : side.stream instanceof TopicSource ? side.stream.latest(PREFLIGHT_RECORDS) : [];
    const leftSide = { name: l.label, key: kindOf === 'table-table' ? undefined : leftKey, sample: l.table ? [] : await sampleOf(l, ownLeft), keys: l.table?.sampleKeys() };
    const rightSide = { name: r.label, key: r.table ? r.table.keyField : rightKey, sample: r.table ? [] : await sampleOf(r, ownRight), keys: r.table?.sampleKeys() };
    const problem = keyFieldProblem(leftSide) ?? keyFieldProblem(rightSide) ?? (kindOf === 'table-table' ? undefined : keyTypeProblem(leftSide, rightSide));
    if (problem) {
      this.registry.delete(joinName);
      await stopAll();
      const typeHint = /never match/.test(problem);
      throw new StreamlabError(`join '${joinName}': ${problem}`, typeHint ? 'compare keys as text with keyText: true; nothing was started' : 'name a field the records have; nothing was started', typeHint ? { magicHint: 'compare keys as text with --key-text; nothing was started' } : undefined);
    }
    this.announce(joinName, handle);
    if (show) join.show();
    this.watch();
    return join;
  }

  /** Stream-stream joins of two topics by record key need the same partition count (Kafka Streams' co-partitioning). */
  private async requireCoPartitioned(leftTopic: string, rightTopic: string): Promise<void> {
    const admin = new TopicAdmin(await this.settings());
    try {
      await admin.requireTopic(leftTopic, `joining '${leftTopic}'`);
      await admin.requireTopic(rightTopic, `joining '${rightTopic}'`);
      const a = (await admin.offsets(leftTopic)).length;
      const b = (await admin.offsets(rightTopic)).length;
      if (a !== b) {
        throw new StreamlabError(
          `'${leftTopic}' has ${a} partitions and '${rightTopic}' ${b}: joining by record key needs co-partitioned topics (the same partition count, keyed alike), as Kafka Streams requires`,
          `write one of them again to a topic of ${Math.max(a, b)} partitions keyed the same way, or join on a value field (on: 'field'), which reads all partitions as one`,
          { magicHint: `write one of them again to a topic of ${Math.max(a, b)} partitions keyed the same way, or join on a value field (--on FIELD)` },
        );
      }
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Registers something long-running that a library module started (a chart, a scorer) under a free name, so
   * streams() shows it and stop() ends it. Returns the name given.
   */
  register(wanted: string, handle: StreamHandle, explicit = false): string {
    const name = this.registry.freeName(wanted, explicit);
    this.registry.add(name, handle);
    this.watch();
    return name;
  }

  /**
   * Stops one stream by name (or the object a cell holds), or all of them; returns the names stopped (shown in a
   * notebook as a sentence: what stopped, and what each had done).
   */
  async stop(which: string | object = 'all'): Promise<string[]> {
    const asked = this.registry.resolve(which);
    // What reads from a stream stops with it (windows, charts, scorers of it, and theirs), before it: left running,
    // they would show "running" at 0/s and hold their names.
    const fed = this.dependentsOf(asked);
    const names = [...fed.reverse(), ...asked];
    const said: string[] = [];
    for (const name of names) {
      const handle = this.registry.get(name);
      if (!handle) continue;
      try {
        await handle.stop();
      } finally {
        const s = handle.status();
        said.push(`${name} (${handle.kind}: ${formatCount(s.records)} ${handle.kind === 'chart' ? 'points' : 'records'}${s.deadLetters ? `, ${formatCount(s.deadLetters)} set aside` : ''}${s.late ? `, ${formatCount(s.late)} late` : ''})`);
        this.statusLines.get(name)?.end();
        this.statusLines.delete(name);
        this.registry.delete(name);
        this.reported.delete(name);
      }
    }
    const own = said.slice(fed.length);
    const sentence = names.length === 0 ? 'no streams were running' : `stopped ${own.join(', ')}${fed.length > 0 ? `, and what ${asked.length === 1 ? 'it' : 'they'} fed: ${said.slice(0, fed.length).reverse().join(', ')}` : ''}`;
    Object.defineProperty(names, MIME_BUNDLE, { value: () => ({ 'text/plain': sentence }), enumerable: false });
    return names;
  }

  /**
   * The kernel's interrupt: ends every training at its next batch (each keeps its best weights, and its cell gets
   * its model). Returns the names of those it stopped; none means the cell itself is to be interrupted.
   */
  interruptTraining(): string[] {
    const names = [...this.trainings.keys()];
    for (const c of this.trainings.values()) c.abort();
    return names;
  }

  /** Names of the streams that read from `names` (directly or through others), nearest first, none of `names`. */
  private dependentsOf(names: readonly string[]): string[] {
    const targets = new Set(names.map((n) => this.registry.get(n)?.target).filter((t): t is object => t !== undefined));
    const out: string[] = [];
    for (let grew = true; grew; ) {
      grew = false;
      for (const [name, handle] of this.registry.entries()) {
        if (names.includes(name) || out.includes(name) || handle.upstream === undefined || !targets.has(handle.upstream)) continue;
        out.push(name);
        targets.add(handle.target);
        grew = true;
      }
    }
    return out;
  }

  async pause(which: string | object = 'all'): Promise<string[]> {
    const names = this.registry.resolve(which, (h) => h.pause !== undefined, 'pause');
    for (const name of names) await this.registry.get(name)!.pause!();
    return names;
  }

  async resume(which: string | object = 'all'): Promise<string[]> {
    const names = this.registry.resolve(which, (h) => h.resume !== undefined, 'resume');
    for (const name of names) await this.registry.get(name)!.resume!();
    return names;
  }

  /** Called once when a stream runs into trouble (broker lost, failed) and once when it recovers. */
  onProblem(listener: ProblemListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops every stream and the embedded broker this session started. */
  async close(): Promise<void> {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    await this.stop('all');
    await this.embedded?.stop();
    this.embedded = undefined;
    this.settingsValue = undefined;
  }

  /**
   * The running stream a name or object stands for: a consumer, a join, a table (its changes), a window; undefined
   * for a name that is not running (a topic). The one place that decides what can feed a window, chart or scorer.
   */
  private runningSource(source: string | object): Stream<StreamRecord<unknown>> | undefined {
    const target = typeof source === 'string' ? this.registry.get(source)?.target : source;
    return isStream(target) ? (target as Stream<StreamRecord<unknown>>) : undefined;
  }

  /**
   * What attaches to a running join (a window, a chart, a scorer, a forward) gets the results it keeps first, then
   * what it delivers: a join started in one cell and windowed in the next is windowed from its first result, as far
   * as its `keep` reaches (said once when it does not reach back to the first).
   */
  private fromFirstResult<T>(stream: Stream<T>, what: string): Stream<T> {
    const join = stream as unknown as { recent?: () => T[]; retained?: { delivered: number; kept: number }; name?: string };
    if (typeof join.recent !== 'function' || join.retained === undefined) return stream;
    return {
      subscribe: (listener) => {
        const kept = join.recent!();
        const { delivered } = join.retained!;
        if (delivered > kept.length) {
          this.emit(`${what}: join '${join.name}' gave ${formatCount(delivered)} results before it and keeps the newest ${formatCount(kept.length)}, so the first ${formatCount(delivered - kept.length)} are not in it (give the join a larger keep, e.g. --keep ${delivered})`);
        }
        if (kept.length > 0) void listener(kept);
        return stream.subscribe(listener);
      },
      ...(stream.progressNow ? { progressNow: () => stream.progressNow!() } : {}),
    };
  }

  /** How a stream object is named in messages: its registered name, else its topic or name. */
  private labelOf(source: object): string {
    return this.registry.nameOf(source) ?? (source instanceof TopicSource ? source.topic : (source as { name?: unknown }).name !== undefined ? String((source as { name?: unknown }).name) : 'stream');
  }

  private watch(): void {
    if (this.watchdog) return;
    this.watchdog = setInterval(() => this.checkStreams(), WATCH_INTERVAL_MS);
    // A watchdog must never keep a process alive on its own.
    this.watchdog.unref();
  }

  private checkStreams(): void {
    for (const [name, handle] of this.registry.entries()) {
      if (!handle.watched) continue;
      const m = handle.watched.metrics();
      const trouble = m.state === 'reconnecting' || m.state === 'failed' ? m.state : undefined;
      const before = this.reported.get(name);
      if (trouble && before !== trouble) {
        this.reported.set(name, trouble);
        this.emit(
          trouble === 'failed'
            ? `stream '${name}' stopped: ${m.lastError ?? 'the consumer failed'}`
            : `stream '${name}' lost its broker and is reconnecting (${m.lastError ?? 'connection lost'}); cells still run`,
        );
      } else if (!trouble && before && m.state === 'running') {
        this.reported.delete(name);
        this.emit(`stream '${name}' is back: reading '${m.topic}' again`);
      }
    }
  }

  /** A status line below the running cell for a stream just started; it refreshes until the stream ends. */
  private announce(name: string, handle: StreamHandle): void {
    const line: StatusLine = new StatusLine(() => {
      const s = handle.status();
      if (ENDED.has(s.state)) queueMicrotask(() => line.end());
      return { name, state: s.state, doing: handle.doing, counters: handle.counters?.() ?? [`${formatCount(s.records)} records`], problem: s.state === 'failed' || s.state === 'reconnecting' ? s.lastError : undefined };
    });
    if (line.show()) this.statusLines.set(name, line);
  }

  private emit(message: string): void {
    for (const l of this.listeners) l(message);
  }
}

/** The windows a window keeps, as the results it delivered them as (what a subscriber of it gets). */
function closedResults(w: WindowedStream): WindowResult[] {
  const keys = new Set(w.keyBy);
  return w.closedRows().map((row) => {
    const key: Record<string, unknown> = {};
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      if (keys.has(k)) key[k] = v;
      else if (k !== 'windowStart' && k !== 'windowEnd') values[k] = v;
    }
    return { key, windowStart: row.windowStart as number, windowEnd: row.windowEnd as number, final: true, values };
  });
}

/** A window result as a flat row: its key fields, bounds and aggregates. */
function windowRow(r: WindowResult): Record<string, unknown> {
  return { ...r.key, windowStart: r.windowStart, windowEnd: r.windowEnd, ...r.values };
}

/** The session notebooks share by default. */
export const session = new Session();

/** A DataFrame's rows as objects (column -> value). */
function frameRows(df: DataFrame): Record<string, unknown>[] {
  const columns = df.columns as string[];
  return (df.values as unknown[][]).map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
}

/**
 * How long a just-started stream with records to read is given to show its first ones before a cell goes on
 * without the check (a loaded machine joins a group slowly). One with nothing to read yet (from its end, quiet) is
 * not waited for.
 */
const PREFLIGHT_WAIT_MS = 8000;

/** The fields of the records a running stream holds now (its recent buffer), newest last. */
function recentRows(source: TopicSource<unknown>): Record<string, unknown>[] {
  return source.latest(PREFLIGHT_RECORDS).map((r) => fieldsOf(r.value));
}

/** The fields of the rows a running stream holds now, for preflight: a consumer's recent records, a window's closed windows, a join's kept results. */
function sampleOf(running: Stream<unknown> | undefined): Record<string, unknown>[] {
  if (running instanceof TopicSource) return recentRows(running as TopicSource<unknown>);
  if (running instanceof WindowedStream) return running.closedRows().slice(-PREFLIGHT_RECORDS);
  const kept = running as { recent?: (n?: number) => unknown[] } | undefined;
  return typeof kept?.recent === 'function' ? kept.recent(PREFLIGHT_RECORDS).map(flatRow) : [];
}

/** The fields of a starting stream's first records: its first batch, or nothing (see PREFLIGHT_WAIT_MS). */
function firstRows(source: TopicSource<unknown>): { rows(): Promise<Record<string, unknown>[]>; cancel(): void } {
  const rows: Record<string, unknown>[] = [];
  let seen: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (seen = resolve));
  const unsubscribe = source.subscribe((batch) => {
    for (const r of batch) if (rows.length < PREFLIGHT_RECORDS) rows.push(fieldsOf(r.value));
    if (rows.length > 0) seen();
  });
  return {
    async rows() {
      let timer: NodeJS.Timeout | undefined;
      if (rows.length === 0 && source.metrics().lag > 0) await Promise.race([first, new Promise<void>((resolve) => (timer = setTimeout(resolve, PREFLIGHT_WAIT_MS)))]);
      clearTimeout(timer);
      unsubscribe();
      return rows;
    },
    cancel: unsubscribe,
  };
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** A share in percent for a person: "0.5 %", "1 %", "0.05 %". */
function formatShare(percent: number): string {
  return `${Number(percent.toPrecision(3))} %`;
}
