/**
 * Micro-batches, the way Spark Structured Streaming hands them out: every `everyMs` the callback gets what is new
 * since the last batch (windows that closed, or raw records) as one DataFrame. A batch starts only after the
 * previous callback has finished, so a slow callback gets bigger batches rather than overlapping ones.
 */
import { ownField } from '../record';
import { Fields } from './aggregatePlan';
import { DataFrame } from './frame';

export interface MicroBatchInfo {
  /** 0, 1, 2, ... */
  batchId: number;
  rows: number;
  /** Rows that did not fit in the bounded buffer between two batches (counted, never silently lost). */
  dropped: number;
  /** Clock time the batch was cut. */
  at: number;
}

export type MicroBatchCallback = (frame: DataFrame, info: MicroBatchInfo) => void | Promise<void>;

export interface MicroBatchOptions {
  /** Hand over raw records instead of closed windows. */
  records?: boolean;
  /** Most rows buffered between two batches. Default 100000. */
  maxRows?: number;
  /** Call back even when nothing is new. Default false. */
  emitEmpty?: boolean;
}

/** What the engine gives a trigger: cut the rows buffered since the last call. */
export interface BatchSource {
  /** Prepares the cut (closes windows due by the clock in processing-time mode). */
  beforeCut(now: number): void;
  cut(): { frame: () => DataFrame; rows: number; dropped: number };
  release(): void;
}

export class MicroBatchTrigger {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private nextId = 0;
  /** Failures of the callback: the trigger keeps going, so one bad batch does not stop the stream. */
  errors = 0;
  lastError: string | undefined;

  constructor(
    private readonly source: BatchSource,
    private readonly callback: MicroBatchCallback,
    private readonly options: { everyMs: number; emitEmpty: boolean; clock: () => number },
  ) {
    // Unref'd: a trigger alone should not keep a script alive; the Kafka source does that while it runs.
    this.timer = setInterval(() => void this.fire(), options.everyMs);
    this.timer.unref();
  }

  get batches(): number {
    return this.nextId;
  }

  get stopped(): boolean {
    return this.timer === undefined;
  }

  /** Cuts a batch now (also what the timer does); resolves when its callback has finished. */
  fire(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.runBatch().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runBatch(): Promise<void> {
    const at = this.options.clock();
    this.source.beforeCut(at);
    const cut = this.source.cut();
    if (cut.rows === 0 && cut.dropped === 0 && !this.options.emitEmpty) return;
    const info: MicroBatchInfo = { batchId: this.nextId++, rows: cut.rows, dropped: cut.dropped, at };
    try {
      await this.callback(cut.frame(), info);
    } catch (e) {
      this.errors++;
      this.lastError = `micro-batch ${info.batchId} failed: ${(e as Error)?.message ?? String(e)}`;
    }
  }

  /** Stops the timer; a final batch with whatever is pending is cut when `final` is true. */
  async stop(final = false): Promise<void> {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    if (final) await this.runBatch();
    this.source.release();
  }
}

/** Raw records buffered for a micro-batch: a bounded list, cut into columns per batch. */
export class RecordTap {
  private times: number[] = [];
  private fields: Fields[] = [];
  private dropped = 0;
  constructor(private readonly maxRows: number) {}

  push(time: number, fields: Fields): void {
    if (this.times.length >= this.maxRows) {
      this.dropped++;
      return;
    }
    this.times.push(time);
    this.fields.push(fields);
  }

  cut(): { names: string[]; columns: Record<string, unknown[]>; rows: number; dropped: number } {
    const names = ['time'];
    const seen = new Set(names);
    for (const f of this.fields) for (const k of Object.keys(f)) if (!seen.has(k)) (seen.add(k), names.push(k));
    const columns: Record<string, unknown[]> = { time: this.times };
    for (const name of names.slice(1)) columns[name] = this.fields.map((f) => ownField(f, name) ?? null);
    const out = { names, columns, rows: this.times.length, dropped: this.dropped };
    this.times = [];
    this.fields = [];
    this.dropped = 0;
    return out;
  }
}
