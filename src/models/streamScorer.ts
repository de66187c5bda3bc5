/**
 * Live scoring: a trained model applied to each batch a stream delivers (records of a consumer, or the windows of
 * a windowed stream), in one pass per batch so it keeps up. Each row gains `score` and `isAnomaly`; flagged rows
 * go to a topic (when given), to a chart's marker trace (when given) and to a bounded buffer read as a DataFrame.
 * Lags and windows reach back across batches: the scorer keeps the last rows it needs.
 */
import { ownField, hasOwnField, fieldReader, flatRow, isStreamRecord, type Stream } from '../record';
import { StreamlabError } from '../errors';
import { frameFromColumns, type DataFrame } from '../frames';
import type { TopicSink } from '../kafka';
import type { LiveChart } from '../plot';
import { RingBuffer } from '../util/ringBuffer';
import { waitFor } from '../util/waitFor';
import { formatCount } from '../output/format';
import { missingColumn, missingColumnError, numbers } from './features';
import type { TrainedModel } from './trainedModel';
import { ColumnScorer, KeyNumbering } from './columnScorer';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { modelToData } from './modelTransfer';

/**
 * Records the worker may hold unanswered before the stream waits for it (bounded memory, and backpressure to the
 * consumer). Its replies are read only when the main thread's event loop comes round, which a busy consumer delays
 * by many batches: a window of a few batches made the stream wait a quarter of its time on replies already sent.
 */
const MAX_IN_FLIGHT_RECORDS = 50_000;

/** What a batch sent to the worker thread is: numbers only, in buffers handed over (transferred), not copied. */
export interface WorkerBatch {
  type: 'batch';
  id: number;
  n: number;
  columns: Float64Array[];
  target?: Float64Array;
  /** Each row's key number, for a per-key model (spec.by). */
  keys?: Float64Array;
  /** Answer with every verdict, not only the flagged ones (someone plots the scores). */
  all?: boolean;
}

export interface WorkerReply {
  type: 'done' | 'error' | 'ready';
  id: number;
  scored?: number;
  /** Row numbers and scores of the flagged rows. */
  flaggedRows?: Float64Array;
  flaggedScores?: Float64Array;
  /** Every verdict of the batch, when asked (WorkerBatch.all). */
  allRows?: Float64Array;
  allScores?: Float64Array;
  dropped?: number;
  message?: string;
}

/**
 * A batch as its rows are numbered: its items, and the few before it that a forecaster decides late (its horizon),
 * kept apart so a batch is never copied to find them.
 */
interface Arrival<T> {
  before: readonly T[];
  batch: readonly T[];
  /** Row number of before[0] (or of batch[0] when nothing is before it). */
  base: number;
}

function itemAt<T>(a: Arrival<T>, row: number): T {
  const i = row - a.base;
  return i < a.before.length ? a.before[i]! : a.batch[i - a.before.length]!;
}

/** A batch the worker holds, to build its flagged rows from their own records when the answer comes. */
interface InFlight {
  arrival: Arrival<unknown>;
  done: () => void;
  answered: Promise<void>;
}

export interface StreamScorerOptions {
  model: TrainedModel;
  /** Where flagged rows are written (e.g. the seed's anomaly-stream). */
  sink?: TopicSink;
  /** A chart whose marker trace gets the flagged rows. */
  chart?: LiveChart;
  /** Flagged rows kept for flagged(). Default 1000. */
  keep?: number;
  /** A fixed threshold instead of the model's. */
  threshold?: number;
  /**
   * Score an attached stream's batches on a worker thread (default true), so scoring overlaps consuming on a second
   * core; false scores them on the main thread. scoreBatch() always scores where it is called.
   */
  thread?: boolean;
}

export interface ScorerMetrics {
  records: number;
  scored: number;
  flagged: number;
  /** Rows the NaN rule left out (missing or non-numeric features). */
  dropped: number;
  batches: number;
  /** Time spent scoring, ms. */
  busyMs: number;
  /** Times the stream waited for the worker thread (MAX_IN_FLIGHT_RECORDS unanswered), and the time it waited, ms: scoring not keeping up. */
  waits: number;
  waitedMs: number;
  /** Records handed to the worker thread and not answered yet: how far scoring is behind the stream. */
  behind: number;
  errors: number;
  lastError?: string;
}

type Row = Record<string, unknown>;

/** A batch item as a row: a record's value (with its time), a window's key and values, or a plain object. */
export function rowOf(item: unknown): Row {
  return flatRow(item);
}

/**
 * A field of a batch item, read the way rowOf would see it but without building the row: a consumer's records are
 * read in place (the live scoring path must not allocate an object per record).
 */
export function fieldOf(item: unknown, column: string): unknown {
  if (isStreamRecord(item)) {
    const o = item as unknown as Row;
    const v = o.value;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return hasOwnField(v, column) ? (v as Row)[column] : column === 'time' ? o.time : undefined;
    return column === 'time' ? o.time : column === 'value' ? v : undefined;
  }
  return ownField(rowOf(item), column);
}

export class StreamScorer {
  private readonly core: ColumnScorer;
  private readonly horizon: number;
  /** Row number of the next row to arrive, and the last `horizon` items before it (a forecaster decides them late). */
  private arrived = 0;
  private recent: unknown[] = [];
  private readonly kept: RingBuffer<Row>;
  private readonly m: Omit<ScorerMetrics, 'behind'> = { records: 0, scored: 0, flagged: 0, dropped: 0, batches: 0, busyMs: 0, waits: 0, waitedMs: 0, errors: 0 };
  private detach: (() => void) | undefined;
  private worker: Promise<Worker> | undefined;
  private readonly inflight = new Map<number, InFlight>();
  private inflightRecords = 0;
  private readonly drained: (() => void)[] = [];
  private nextId = 0;
  private workerError: Error | undefined;
  private workerReady: Promise<void> = Promise.resolve();
  private onWorkerReady: () => void = () => {};
  private pending: Promise<void> = Promise.resolve();
  /** A per-key model's key values as numbers (the worker thread gets numbers only). */
  private readonly keyNumbers = new KeyNumbering();
  private readonly readKey: ((row: Record<string, unknown>) => unknown) | undefined;
  /** Who gets every scored row (a chart of the scores). */
  private readonly scoredListeners = new Set<(rows: Row[]) => void>();
  stopped = false;

  constructor(readonly options: StreamScorerOptions) {
    this.core = new ColumnScorer(options.model);
    this.horizon = this.core.horizon;
    this.kept = new RingBuffer<Row>(options.keep ?? 1000);
    this.readKey = options.model.spec.by === undefined ? undefined : fieldReader(options.model.spec.by);
  }

  /** Key numbers of a batch's items for a per-key model, else undefined. */
  private keysOf(items: readonly unknown[], asRows: boolean): Float64Array | undefined {
    const read = this.readKey;
    if (!read) return undefined;
    const by = this.options.model.spec.by!;
    const out = new Float64Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const value = asRows ? read(item as Row) : by.includes('.') ? read(rowOf(item)) : fieldOf(item, by);
      out[i] = this.keyNumbers.idOf(value);
    }
    return out;
  }

  get threshold(): number {
    return this.options.threshold ?? this.options.model.threshold;
  }

  /** Scores every batch `source` delivers from now on. */
  attach(source: Stream<unknown>): this {
    if (this.detach) throw new StreamlabError('this scorer is already attached to a stream', 'create another scorer for another stream');
    const threaded = this.options.thread !== false;
    if (threaded) this.worker ??= this.startWorker();
    this.detach = source.subscribe((batch) => {
      if (threaded) return this.post(batch);
      const rows = batch.map(rowOf);
      this.pending = this.pending.then(() => this.scoreBatch(rows).then(() => undefined)).catch((e: unknown) => this.failed(e));
      return this.pending;
    });
    return this;
  }

  /** Starts the worker thread and waits until it holds the model, so the first batches do not wait for it. */
  async prepare(): Promise<this> {
    if (this.options.thread === false) return this;
    this.worker ??= this.startWorker();
    await this.worker;
    await this.workerReady;
    return this;
  }

  private failed(e: unknown): void {
    this.m.errors++;
    this.m.lastError = (e as Error).message;
  }

  private startWorker(): Promise<Worker> {
    return modelToData(this.options.model).then((model) => {
      const worker = new Worker(path.join(__dirname, 'scoreWorker.js'));
      worker.unref();
      this.workerReady = new Promise<void>((resolve) => (this.onWorkerReady = resolve));
      worker.on('message', (reply: WorkerReply) => this.onReply(reply));
      worker.on('error', (e) => {
        // A dead worker answers nothing more: its batches and every later one count as failed instead of waiting.
        this.workerError = e;
        this.failed(e);
        for (const [, batch] of this.inflight) batch.done();
        this.inflight.clear();
        this.inflightRecords = 0;
        for (const w of this.drained.splice(0)) w();
      });
      worker.postMessage({ type: 'init', model, threshold: this.options.threshold }, [model.weights]);
      return worker;
    });
  }

  /** Hands a batch to the worker; resolves at once unless MAX_IN_FLIGHT_RECORDS are still unanswered. */
  private async post(batch: readonly unknown[]): Promise<void> {
    this.m.records += batch.length;
    this.m.batches++;
    const worker = await this.worker!;
    if (this.workerError) {
      this.failed(this.workerError);
      return;
    }
    const spec = this.options.model.spec;
    const missing = missingColumn(batch, spec, (item, c) => fieldOf(item, c) !== undefined);
    if (missing !== undefined) {
      this.failed(missingColumnError(missing, batch.slice(0, 100).flatMap((item) => Object.keys(rowOf(item)))));
      return;
    }
    const columns = spec.columns.map((c) => numbers(batch, (item) => fieldOf(item, c)));
    const target = spec.target ? numbers(batch, (item) => fieldOf(item, spec.target!)) : undefined;
    const keys = this.keysOf(batch, false);
    const arrival = this.arrive(batch);
    const id = this.nextId++;
    let done = () => {};
    const answered = new Promise<void>((resolve) => (done = resolve));
    this.inflight.set(id, { arrival, done, answered });
    const message: WorkerBatch = { type: 'batch', id, n: batch.length, columns, ...(target ? { target } : {}), ...(keys ? { keys } : {}), ...(this.scoredListeners.size > 0 ? { all: true } : {}) };
    worker.postMessage(message, [...columns, ...(target ? [target] : []), ...(keys ? [keys] : [])].map((a) => a.buffer as ArrayBuffer));
    this.inflightRecords += batch.length;
    if (this.inflightRecords >= MAX_IN_FLIGHT_RECORDS) {
      const started = performance.now();
      this.m.waits++;
      // Waits for the oldest batches' answers (in order) until the window is half empty.
      while (this.inflightRecords >= MAX_IN_FLIGHT_RECORDS / 2 && this.inflight.size > 0) await this.inflight.values().next().value!.answered;
      this.m.waitedMs += performance.now() - started;
    }
  }

  /** Numbers a batch's rows, keeping the last `horizon` items for a forecaster's late verdicts. */
  private arrive<T>(batch: readonly T[]): Arrival<T> {
    const before = this.recent as T[];
    const arrival = { before, batch, base: this.arrived - before.length };
    this.arrived += batch.length;
    if (this.horizon > 0) this.recent = batch.length >= this.horizon ? batch.slice(-this.horizon) : [...before, ...batch].slice(-this.horizon);
    return arrival;
  }

  private onReply(reply: WorkerReply): void {
    if (reply.type === 'ready') {
      this.onWorkerReady();
      return;
    }
    const batch = this.inflight.get(reply.id);
    this.inflight.delete(reply.id);
    if (batch) this.inflightRecords -= batch.arrival.batch.length;
    if (reply.type === 'error') this.failed(new Error(reply.message));
    else if (batch) {
      const flagged: Row[] = [];
      const rows = reply.flaggedRows ?? new Float64Array(0);
      for (let k = 0; k < rows.length; k++) {
        const row = rowOf(itemAt(batch.arrival, rows[k]!));
        row.score = reply.flaggedScores![k]!;
        row.isAnomaly = true;
        flagged.push(row);
      }
      this.m.scored += reply.scored ?? 0;
      this.m.dropped = reply.dropped ?? this.m.dropped;
      if (reply.allRows && reply.allScores) this.tellScored(batch.arrival, reply.allRows, reply.allScores);
      this.flag(flagged);
      // Writes go one at a time, in order, on `pending`, which idle() and stop() wait for.
      if (this.options.sink && flagged.length > 0) this.pending = this.pending.then(() => this.write(flagged)).catch((e: unknown) => this.failed(e));
    }
    batch?.done();
    if (this.inflight.size === 0) for (const w of this.drained.splice(0)) w();
  }

  /**
   * Every scored row from now on, as { time, score, threshold, isAnomaly } plus the model's key field: what a chart
   * of the scores draws (the score line, the threshold line, markers on flagged rows). Returns the unsubscribe.
   */
  subscribeScored(listener: (rows: Record<string, unknown>[]) => void): () => void {
    this.scoredListeners.add(listener);
    return () => this.scoredListeners.delete(listener);
  }

  private tellScored(arrival: Arrival<unknown>, rows: ArrayLike<number>, scores: ArrayLike<number>): void {
    const threshold = this.threshold;
    const by = this.options.model.spec.by;
    const out: Row[] = new Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      const item = itemAt(arrival, rows[k]!);
      const time = fieldOf(item, 'time');
      const row: Row = { time, score: scores[k]!, threshold, isAnomaly: scores[k]! >= threshold };
      if (by !== undefined) row[by] = by.includes('.') ? fieldReader(by)(rowOf(item)) : fieldOf(item, by);
      out[k] = row;
    }
    for (const l of [...this.scoredListeners]) {
      try {
        l(out);
      } catch (e) {
        this.failed(e);
      }
    }
  }

  /** Flagged rows to the kept buffer and the chart's marker trace. */
  private flag(flagged: Row[]): void {
    this.m.flagged += flagged.length;
    for (const r of flagged) this.kept.push(r);
    if (flagged.length > 0) this.options.chart?.mark(flagged, 'anomaly');
  }

  private async write(flagged: Row[]): Promise<void> {
    const sink = this.options.sink;
    if (!sink || flagged.length === 0) return;
    await sink.write(flagged);
    await sink.flush();
  }

  /**
   * Scores rows (in time order) and returns those decided now with score and isAnomaly. A forecaster's row waits
   * for its target (`horizon` rows later); rows the NaN rule drops, or that come before the stream's first full
   * lag or window, are counted in `dropped`.
   */
  async scoreBatch(rows: Row[]): Promise<Row[]> {
    const started = Date.now();
    this.m.records += rows.length;
    this.m.batches++;
    const spec = this.options.model.spec;
    const missing = missingColumn(rows, spec, (r, c) => hasOwnField(r, c) || (c.includes('.') && fieldReader(c)(r) !== undefined));
    if (missing !== undefined) throw missingColumnError(missing, rows.slice(0, 100).flatMap((r) => Object.keys(r)));
    const columns = spec.columns.map((c) => numbers(rows, c.includes('.') ? fieldReader(c) : (r) => ownField(r, c)));
    const target = spec.target ? numbers(rows, (r) => ownField(r, spec.target!)) : undefined;
    const keys = this.keysOf(rows, true);
    const arrival = this.arrive(rows);
    const verdicts = this.core.score(columns, target, rows.length, keys);
    const threshold = this.threshold;
    const out: Row[] = new Array(verdicts.rows.length);
    for (let k = 0; k < out.length; k++) {
      // The row gains its verdict in place: rows are the scorer's own (rowOf copies record values) or the caller's to annotate.
      const row = itemAt(arrival, verdicts.rows[k]!);
      row.score = verdicts.scores[k]!;
      row.isAnomaly = verdicts.scores[k]! >= threshold;
      out[k] = row;
    }
    this.m.dropped = this.core.dropped;
    this.m.scored += out.length;
    if (this.scoredListeners.size > 0) this.tellScored(arrival, verdicts.rows, verdicts.scores);
    const flagged = out.filter((r) => r.isAnomaly);
    this.flag(flagged);
    await this.write(flagged);
    this.m.busyMs += Date.now() - started;
    return out;
  }

  /** The flagged rows kept (the newest `keep`), as plain rows for code (flagged() is the same as a DataFrame). */
  flaggedRows(): Record<string, unknown>[] {
    return this.kept.toArray().map((r) => ({ ...r }));
  }

  /** The flagged rows kept (the newest `keep`), as a DataFrame. */
  flagged(): DataFrame {
    const rows = this.kept.toArray();
    const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return frameFromColumns(Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n] ?? null)])));
  }

  metrics(): ScorerMetrics {
    return { ...this.m, behind: this.inflightRecords };
  }

  /**
   * Resolves (with the metrics) once `records` rows have reached the scorer and been scored (or left out by the NaN
   * rule); for notebooks, instead of a polling loop. Rejects with one line after `timeoutMs` (default 2 minutes).
   */
  async until(records: number, options: { timeoutMs?: number } = {}): Promise<ScorerMetrics> {
    if (!Number.isInteger(records) || records < 0) throw new StreamlabError(`until() needs a whole number of records, got ${records}`);
    const timeoutMs = options.timeoutMs ?? 120_000;
    await waitFor({
      check: () => (this.m.records >= records ? true : undefined),
      timeoutMs,
      timeout: () => new StreamlabError(`the scorer has had ${formatCount(this.m.records)} of ${formatCount(records)} records after ${Math.round(timeoutMs / 1000)} s`, 'wait longer (until(n, { timeoutMs })), or check that its stream gets records (%streams)'),
    });
    await this.idle();
    return this.metrics();
  }

  /** Waits for the batches already delivered to be scored (and their flagged rows written). */
  async idle(): Promise<void> {
    if (this.inflight.size > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    await this.pending;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.detach?.();
    this.detach = undefined;
    await this.idle();
    const worker = await this.worker;
    await worker?.terminate();
    this.worker = undefined;
  }
}
