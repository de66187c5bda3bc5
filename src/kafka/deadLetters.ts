/**
 * Records a stream could not use: kept aside with where they came from, counted by reason, never dropped
 * silently. The list is bounded (newest kept); the counters are exact.
 */
import { isUtf8 } from 'node:buffer';
import { RingBuffer } from '../util/ringBuffer';
import type { RecordKey } from '../record';

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: RecordKey;
  /** undecodable: the decoder refused the bytes; missing-time: no time field; bad-time: a time field that is no
   *  plausible time (not finite, out of range, another unit); empty-value: no value (a tombstone). */
  reason: 'undecodable' | 'missing-time' | 'bad-time' | 'empty-value';
  error: string;
  /** The first bytes of the value, printable. */
  preview: string;
}

const PREVIEW_BYTES = 120;

export class DeadLetters {
  private readonly ring: RingBuffer<DeadLetter>;
  private readonly byReason = new Map<DeadLetter['reason'], number>();
  total = 0;

  constructor(readonly limit = 1000) {
    this.ring = new RingBuffer(limit);
  }

  add(letter: DeadLetter): void {
    this.total++;
    this.byReason.set(letter.reason, (this.byReason.get(letter.reason) ?? 0) + 1);
    this.ring.push(letter);
  }

  /** Kept letters, oldest first (at most `limit`; `total` counts all). */
  list(): DeadLetter[] {
    return this.ring.toArray();
  }

  counts(): Record<string, number> {
    return Object.fromEntries(this.byReason);
  }
}

export function previewBytes(value: Buffer | null): string {
  if (!value) return '';
  if (!isUtf8(value)) {
    // Binary: hex, since text would show replacement characters rather than what is there.
    const hex = value.subarray(0, PREVIEW_BYTES / 3).toString('hex').replace(/(..)(?!$)/g, '$1 ');
    return `0x ${hex}${value.length > PREVIEW_BYTES / 3 ? ` ... (${value.length} bytes)` : ''}`;
  }
  const head = value.subarray(0, PREVIEW_BYTES).toString('utf8').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
  return value.length > PREVIEW_BYTES ? `${head}... (${value.length} bytes)` : head;
}
