/**
 * Two inputs taken in event-time order, partition by partition, as a Kafka Streams task takes the records of its
 * co-partitioned topics: of the records waiting, the one with the lowest time goes first, and while one side has
 * nothing waiting but still has records to read (its source's position is behind the partition's end), the other
 * side waits for it. So a join of two topics read from the start gives the same results on every run, whichever
 * consumer happens to fetch first. A side with no partitions to report (rows pushed by code) never holds the other.
 */
import type { BatchProgress, PartitionProgress, Stream } from '../record';
import { isStreamRecord } from '../record';

export type Side = 0 | 1;

interface Queue {
  items: unknown[];
  head: number;
}

/** How often a held side is looked at again: a source can move past records it does not deliver (set aside, markers). */
const RECHECK_MS = 100;

export class TimeOrderedMerge {
  /** Per partition, the waiting rows of each side. */
  private readonly queues = new Map<number, [Queue, Queue]>();
  private readonly sources: [Stream<unknown> | undefined, Stream<unknown> | undefined] = [undefined, undefined];
  private readonly lastProgress: [BatchProgress | undefined, BatchProgress | undefined] = [undefined, undefined];
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> = Promise.resolve();

  constructor(
    /** Takes one row of one side, in merged order. */
    private readonly take: (side: Side, item: unknown) => void,
    /** Called after each drain that took rows (to deliver what they produced). */
    private readonly flushed: () => Promise<void>,
    private readonly timeOf: (side: Side, item: unknown) => number,
    /**
     * Partition by partition (the two sides co-partitioned: a key's records are on the same partition of both), or
     * as one (keys read from values, so a key's records may be on any partition: every partition is waited for).
     */
    private readonly partitioned = true,
  ) {}

  /** The source of a side, whose progress tells whether it still has records to read. */
  setSource(side: Side, source: Stream<unknown> | undefined): void {
    this.sources[side] = source;
  }

  /** Rows waiting on either side, for the metrics. */
  get waiting(): number {
    let n = 0;
    for (const [a, b] of this.queues.values()) n += a.items.length - a.head + b.items.length - b.head;
    return n;
  }

  /** Queues a batch of one side and takes every row that can go now; resolves once they are delivered. */
  push(side: Side, items: readonly unknown[], progress?: BatchProgress): Promise<void> {
    if (progress) this.lastProgress[side] = progress;
    for (const item of items) {
      const partition = this.partitioned && isStreamRecord(item) ? item.partition : 0;
      let pair = this.queues.get(partition);
      if (!pair) this.queues.set(partition, (pair = [{ items: [], head: 0 }, { items: [], head: 0 }]));
      pair[side].items.push(item);
    }
    return this.drain();
  }

  private drain(): Promise<void> {
    this.draining = this.draining.then(async () => {
      let took = false;
      let held = false;
      for (const [partition, pair] of this.queues) {
        for (;;) {
          const [a, b] = pair;
          const hasA = a.head < a.items.length;
          const hasB = b.head < b.items.length;
          let side: Side;
          if (hasA && hasB) side = this.timeOf(1, b.items[b.head]) < this.timeOf(0, a.items[a.head]) ? 1 : 0;
          else if (hasA) side = 0;
          else if (hasB) side = 1;
          else break;
          if (!(hasA && hasB) && this.behind((1 - side) as Side, partition)) {
            held = true;
            break;
          }
          const q = pair[side];
          const item = q.items[q.head]!;
          q.items[q.head++] = undefined;
          if (q.head > 1024 && q.head * 2 > q.items.length) {
            q.items = q.items.slice(q.head);
            q.head = 0;
          }
          this.take(side, item);
          took = true;
        }
      }
      if (took) await this.flushed();
      this.hold(held);
    });
    return this.draining;
  }

  /**
   * The progress of what the merge hands on, per partition: still to come (position 0 below end 1) when rows of it
   * wait here or a side has records of it still to read, else caught up. Given with a join's results, so that a
   * window of the join holds its watermark for partitions the join has not caught up on, as it does for a topic's.
   */
  outputProgress(): PartitionProgress[] {
    const partitions = new Set<number>(this.queues.keys());
    if (this.partitioned) {
      for (const side of [0, 1] as const) {
        const progress = this.sources[side]?.progressNow?.() ?? this.lastProgress[side];
        for (const p of progress?.partitions ?? []) partitions.add(p.partition);
      }
    } else partitions.add(0);
    const out: PartitionProgress[] = [];
    for (const partition of [...partitions].sort((a, b) => a - b)) {
      const pair = this.queues.get(partition);
      const waiting = pair !== undefined && (pair[0].head < pair[0].items.length || pair[1].head < pair[1].items.length);
      const toCome = waiting || this.behind(0, partition) || this.behind(1, partition);
      out.push({ partition, position: 0, highWatermark: toCome ? 1 : 0 });
    }
    return out;
  }

  /** Whether a side still has records of `partition` to read, by its source's progress now or with its last batch. */
  private behind(side: Side, partition: number): boolean {
    const source = this.sources[side];
    const progress = source?.progressNow?.() ?? this.lastProgress[side];
    if (!progress) return false;
    // A source that reads partitions but has not been assigned any yet (still starting) may have anything to come.
    if (source?.progressNow !== undefined && progress.partitions.length === 0) return true;
    if (!this.partitioned) return progress.partitions.some((p) => p.position < p.highWatermark);
    const p = progress.partitions.find((x) => x.partition === partition);
    return p !== undefined && p.position < p.highWatermark;
  }

  private hold(held: boolean): void {
    if (held && !this.timer) {
      this.timer = setInterval(() => void this.drain(), RECHECK_MS);
      this.timer.unref();
    } else if (!held && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
