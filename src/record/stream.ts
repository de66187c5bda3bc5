/**
 * The one contract between what produces rows and what consumes them. Topic sources, windows, joins, tables and
 * scorers are streams; windows, joins, charts, scorers, sinks and tables take any stream. It lives at the bottom so
 * that a new kind of stream is one new implementation, not a new case in every consumer.
 */
import type { BatchProgress } from './streamRecord';

/**
 * Called with every batch a stream delivers. A source that reads partitions hands over its progress with the batch
 * (read it during the call: it is the source's own object, updated in place). A returned promise holds the stream
 * until the listener has taken the batch (backpressure).
 */
export type BatchListener<Row> = (rows: Row[], progress?: BatchProgress) => void | Promise<void>;

export interface Stream<Row> {
  /** Delivers every batch from now on to `listener`; the returned function detaches it. */
  subscribe(listener: BatchListener<Row>): () => void;
  /**
   * Where the stream stands now, for a source that reads partitions: each partition's position and end. What merges
   * two streams in event time reads it to know whether a side that delivered nothing yet still has records to come.
   */
  progressNow?(): BatchProgress | undefined;
}

/** Whether a value can be subscribed to as a stream. */
export function isStream(x: unknown): x is Stream<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { subscribe?: unknown }).subscribe === 'function';
}

/**
 * The listeners of a stream and delivery to them: a listener that throws is detached and reported through
 * `onError`, and the others still get the batch (one broken chart must not stop a join feeding a sink).
 */
export class Listeners<Row> {
  private readonly set = new Set<BatchListener<Row>>();

  constructor(private readonly onError: (e: unknown) => void = () => {}) {}

  get size(): number {
    return this.set.size;
  }

  add(listener: BatchListener<Row>): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  /** Hands `rows` to every listener; resolves once each has taken them. Empty batches are not delivered. */
  async deliver(rows: Row[], progress?: BatchProgress): Promise<void> {
    if (rows.length === 0) return;
    for (const listener of [...this.set]) {
      try {
        await listener(rows, progress);
      } catch (e) {
        this.set.delete(listener);
        this.onError(e);
      }
    }
  }
}
