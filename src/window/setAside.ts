/**
 * Records the engine could not use as they were: counted exactly, the newest kept in a bounded list so they can
 * be inspected, never dropped without a trace.
 */
import { RingBuffer } from '../util/ringBuffer';

export interface LateRecord {
  /** The record as it was given. */
  record: unknown;
  time: number;
  /** Watermark when it arrived. */
  watermark: number;
  /**
   * True when no window took it; false when it still reached windows that were open (hopping, sliding). Sliding
   * windows keep a late record with t + size >= watermark for the windows a close later record would make (Kafka
   * Streams' rule); when no such record comes, it ends in no window, counted here as late.
   */
  dropped: boolean;
}

export interface InvalidRecord {
  record: unknown;
  /** 'non-numeric': fields with numeric aggregates held something else (still counted per window in
   *  invalid_<field>); 'no-time': no usable event time, so the record reached no window; 'bad-key': a key field
   *  holds a value that cannot be grouped by (a circular object), so the record reached no window. */
  reason: 'non-numeric' | 'no-time' | 'bad-key';
  fields: string[];
  time: number;
}

/** A record whose event time was implausibly far ahead (see WindowedOptions.futureLimit): it reached no window. */
export interface FutureRecord {
  record: unknown;
  time: number;
  /** The highest time it could have had: max(clock, highest event time seen) + futureLimit. */
  bound: number;
}

/** A record of a new key that came when the engine already held maxKeys keys: it reached no window. */
export interface RefusedRecord {
  record: unknown;
  time: number;
  key: unknown[];
}

export class SetAside<T> {
  private readonly ring: RingBuffer<T>;
  /** Every record set aside, including those no longer in the list. */
  count = 0;

  constructor(readonly limit: number) {
    this.ring = new RingBuffer(limit);
  }

  add(item: T): void {
    this.count++;
    this.ring.push(item);
  }

  /** The newest `limit` records, oldest first. */
  list(): T[] {
    return this.ring.toArray();
  }
}

export class LateRecords extends SetAside<LateRecord> {
  /** Late records that reached no window at all. */
  dropped = 0;

  override add(item: LateRecord): void {
    super.add(item);
    if (item.dropped) this.dropped++;
  }
}

export class InvalidRecords extends SetAside<InvalidRecord> {
  private readonly byReason = new Map<string, number>();
  private readonly byField = new Map<string, number>();

  override add(item: InvalidRecord): void {
    super.add(item);
    this.byReason.set(item.reason, (this.byReason.get(item.reason) ?? 0) + 1);
    for (const f of item.fields) this.byField.set(f, (this.byField.get(f) ?? 0) + 1);
  }

  counts(): { byReason: Record<string, number>; byField: Record<string, number> } {
    return { byReason: Object.fromEntries(this.byReason), byField: Object.fromEntries(this.byField) };
  }
}
