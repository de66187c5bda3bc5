/**
 * The rows a join did not join: records that found no match (inner joins) and late records, kept aside in a bounded
 * ring with where they came from and why, and counted by reason, so that nothing a join leaves out is silent.
 */
import { RingBuffer } from '../util/ringBuffer';
import { formatTime } from '../output/format';
import { outputKey } from './joinKey';
import type { RowOrigin } from './joinedRecord';

export interface AsideRecord {
  side: 'left' | 'right';
  reason: string;
  topic: string | null;
  partition: number | null;
  offset: number | null;
  key: string | null;
  time: string;
}

export class AsideRecords {
  private readonly ring: RingBuffer<AsideRecord>;
  readonly byReason: Record<string, number> = {};

  constructor(capacity = 1000) {
    this.ring = new RingBuffer<AsideRecord>(capacity);
  }

  add(side: 'left' | 'right', reason: string, origin: RowOrigin): void {
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    const key = outputKey(origin.key);
    this.ring.push({
      side,
      reason,
      topic: origin.topic ?? null,
      partition: origin.partition ?? null,
      offset: origin.offset ?? null,
      key: key === null ? null : typeof key === 'string' ? key : key.toString('hex'),
      time: Number.isFinite(origin.time) ? formatTime(origin.time) : 'no time',
    });
  }

  /** The newest `n` kept aside (default all the ring holds), oldest first. */
  list(n?: number): AsideRecord[] {
    return this.ring.toArray(n);
  }

  get total(): number {
    return Object.values(this.byReason).reduce((a, b) => a + b, 0);
  }
}
