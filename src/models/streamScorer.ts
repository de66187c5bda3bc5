/**
 * Live scoring: a trained model applied to each batch a stream delivers (records of a consumer, or the windows of
 * a windowed stream), in one pass per batch so it keeps up. Each row gains `score` and `isAnomaly`; flagged rows
 * go to a topic (when given), to a chart's marker trace (when given) and to a bounded buffer read as a DataFrame.
 * Lags and windows reach back across batches: the scorer keeps the last rows it needs.
 */
import { StreamlabError } from '../errors';
import { frameFromColumns, type DataFrame } from '../frames';
import type { TopicSink } from '../kafka';
import type { LiveChart } from '../plot';
import { RingBuffer } from '../util/ringBuffer';
import { waitFor } from '../util/waitFor';
import { formatCount } from '../output/format';
import { buildFeatures, featureReach } from './features';
import { scoreFeatures, type TrainedModel } from './trainedModel';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { modelToData } from './modelTransfer';

/** Batches a worker may hold before the stream waits for it (bounded memory, and backpressure to the consumer). */
const MAX_IN_FLIGHT = 8;

interface WorkerReply {
  type: 'done' | 'error' | 'ready';
  id: number;
  scored?: number;
  flagged?: Row[];
  dropped?: number;
  message?: string;
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
  errors: number;
  lastError?: string;
}

type Row = Record<string, unknown>;

/** A batch item as a row: a record's value (with its time), a window's key and values, or a plain object. */
export function rowOf(item: unknown): Row {
  if (typeof item !== 'object' || item === null) return { value: item };
  const o = item as Row;
  if ('windowStart' in o && 'values' in o && typeof o.values === 'object') return { ...(o.key as Row), windowStart: o.windowStart, windowEnd: o.windowEnd, time: o.windowEnd, ...(o.values as Row) };
  if ('offset' in o && 'partition' in o && 'value' in o) {
    const v = o.value;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? { time: o.time, ...(v as Row) } : { time: o.time, value: v };
  }
  return o;
}

export class StreamScorer {
  private readonly tail: Row[] = [];
  private readonly reach: number;
  private readonly horizon: number;
  /** Absolute index (rows since the scorer started) of the first row in `tail`, and of the next row not yet decided. */
  private tailStart = 0;
  private nextRow = 0;
  private readonly kept: RingBuffer<Row>;
  private readonly m: ScorerMetrics = { records: 0, scored: 0, flagged: 0, dropped: 0, batches: 0, busyMs: 0, errors: 0 };
  private detach: (() => void) | undefined;
  private worker: Promise<Worker> | undefined;
  private readonly inflight = new Map<number, () => void>();
  private readonly drained: (() => void)[] = [];
  private nextId = 0;
  private workerError: Error | undefined;
  private workerReady: Promise<void> = Promise.resolve();
  private onWorkerReady: () => void = () => {};
  private pending: Promise<void> = Promise.resolve();
  stopped = false;

  constructor(readonly options: StreamScorerOptions) {
    this.reach = featureReach(options.model.spec);
    this.horizon = options.model.spec.target ? options.model.spec.horizon ?? 1 : 0;
    this.kept = new RingBuffer<Row>(options.keep ?? 1000);
  }

  get threshold(): number {
    return this.options.threshold ?? this.options.model.threshold;
  }

  /** Scores every batch `source` delivers from now on. */
  attach(source: { subscribe(fn: (batch: any[]) => void | Promise<void>): () => void }): this {
    if (this.detach) throw new StreamlabError('this scorer is already attached to a stream', 'create another scorer for another stream');
    const threaded = this.options.thread !== false;
    if (threaded) this.worker ??= this.startWorker();
    this.detach = source.subscribe((batch) => {
      const rows = batch.map(rowOf);
      if (threaded) return this.post(rows);
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
        for (const [, done] of this.inflight) done();
        this.inflight.clear();
        for (const w of this.drained.splice(0)) w();
      });
      worker.postMessage({ type: 'init', model, threshold: this.options.threshold }, [model.weights]);
      return worker;
    });
  }

  /** Hands a batch to the worker; resolves at once unless MAX_IN_FLIGHT batches are still being scored. */
  private async post(rows: Row[]): Promise<void> {
    this.m.records += rows.length;
    this.m.batches++;
    const worker = await this.worker!;
    if (this.workerError) {
      this.failed(this.workerError);
      return;
    }
    const id = this.nextId++;
    const done = new Promise<void>((resolve) => this.inflight.set(id, resolve));
    worker.postMessage({ type: 'batch', id, rows });
    if (this.inflight.size >= MAX_IN_FLIGHT) await done;
  }

  private onReply(reply: WorkerReply): void {
    if (reply.type === 'ready') {
      this.onWorkerReady();
      return;
    }
    const done = this.inflight.get(reply.id);
    this.inflight.delete(reply.id);
    if (reply.type === 'error') this.failed(new Error(reply.message));
    else {
      const flagged = reply.flagged ?? [];
      this.m.scored += reply.scored ?? 0;
      this.m.dropped = reply.dropped ?? this.m.dropped;
      this.m.flagged += flagged.length;
      for (const r of flagged) this.kept.push(r);
      if (flagged.length > 0) {
        this.options.chart?.mark(flagged, 'anomaly');
        const sink = this.options.sink;
        if (sink) this.pending = this.pending.then(async () => {
          await sink.write(flagged);
          await sink.flush();
        }).catch((e: unknown) => this.failed(e));
      }
    }
    done?.();
    if (this.inflight.size === 0) for (const w of this.drained.splice(0)) w();
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
    const all = [...this.tail, ...rows];
    const f = buildFeatures(all, this.options.model.spec);
    const decidedUpTo = this.tailStart + all.length - this.horizon; // rows before this absolute index are decided now
    // Feature rows of rows not decided before (the tail's rows were scored with the batch before).
    let first = 0;
    while (first < f.source.length && this.tailStart + f.source[first]! < this.nextRow) first++;
    const x = first === 0 ? f.x : f.x.slice(first);
    const scores = scoreFeatures(this.options.model, x, f.y ? f.y.slice(first) : undefined);
    const threshold = this.threshold;
    const out: Row[] = new Array(scores.length);
    for (let k = 0; k < scores.length; k++) {
      // The row gains its verdict in place: rows are the scorer's own (rowOf copies record values) or the caller's to annotate.
      const row = all[f.source[first + k]!]!;
      row.score = scores[k]!;
      row.isAnomaly = scores[k]! >= threshold;
      out[k] = row;
    }
    this.m.dropped += Math.max(0, decidedUpTo - this.nextRow) - out.length;
    this.nextRow = Math.max(this.nextRow, decidedUpTo);
    const keep = Math.min(all.length, this.reach + this.horizon);
    this.tailStart += all.length - keep;
    this.tail.splice(0, this.tail.length, ...all.slice(all.length - keep));
    const flagged = out.filter((r) => r.isAnomaly);
    this.m.scored += out.length;
    this.m.flagged += flagged.length;
    for (const r of flagged) this.kept.push(r);
    if (flagged.length > 0) {
      this.options.chart?.mark(flagged, 'anomaly');
      if (this.options.sink) {
        await this.options.sink.write(flagged);
        await this.options.sink.flush();
      }
    }
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
    return { ...this.m };
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
