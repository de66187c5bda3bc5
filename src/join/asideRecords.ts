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

interface Kept {
  side: 'left' | 'right';
  reason: string;
  origin: RowOrigin;
}

export class AsideRecords {
  // Kept as given and read as a person reads it only when listed: a join may set aside a record per input record.
  private readonly ring: RingBuffer<Kept>;
  readonly byReason: Record<string, number> = {};

  constructor(capacity = 1000) {
    this.ring = new RingBuffer<Kept>(capacity);
  }

  add(side: 'left' | 'right', reason: string, origin: RowOrigin): void {
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    this.ring.push({ side, reason, origin });
  }

  /** The newest `n` kept aside (default all the ring holds), oldest first. */
  list(n?: number): AsideRecord[] {
    return this.ring.toArray(n).map(({ side, reason, origin }) => {
      const key = outputKey(origin.key);
      return {
        side,
        reason,
        topic: origin.topic ?? null,
        partition: origin.partition ?? null,
        offset: origin.offset ?? null,
        key: key === null ? null : typeof key === 'string' ? key : key.toString('hex'),
        time: Number.isFinite(origin.time) ? formatTime(origin.time) : 'no time',
      };
    });
  }

  get total(): number {
    return Object.values(this.byReason).reduce((a, b) => a + b, 0);
  }
}
