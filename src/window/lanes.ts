/**
 * Per-partition event time. A lane is one (topic, partition) of StreamRecords, with its own stream time (the
 * highest event time seen in it), as a Kafka Streams task has. Two rules use lanes:
 *
 * - Lateness (WindowedStream.ingest): a record is judged by its own lane's stream time - grace, never by what
 *   other partitions have delivered, so whether a record counts does not depend on how the client interleaves
 *   partitions.
 * - Closing: the watermark that closes windows may not pass the stream time of any lane that still holds it: a
 *   lane with unread data (position < highWatermark in the progress its source hands over with each batch;
 *   -Infinity for such a lane with no record yet), or one that caught up less than `idleTimeout` ago. So a window
 *   closes only when no lane with data still to come could still count a record in it, and a topic read from
 *   earliest gives the same windows whatever the order its partitions arrive in. A caught-up lane is idle and
 *   holds nothing (after idleTimeout, default at once): a live stream's latency is that of its newest partition,
 *   and a record of an idle partition whose window other partitions have closed meanwhile is late. Lanes nobody
 *   reports on never hold it, so hand-fed records close windows at the highest event time seen.
 *
 * Per record the work is O(1): the lane's maximum lives in an array indexed by partition, and the minimum over
 * holding lanes is only recomputed when progress is read (once per batch) or when the lane holding it moves up,
 * against a cached minimum of the other lanes (computed once per batch in the usual case of a batch from one
 * partition).
 */
import type { PartitionProgress } from '../record';

/**
 * The lanes of one topic. Per record the engine updates max itself (see WindowedStream.ingest) and calls Lanes
 * only for a new partition (create) or when the max of a lane with unread data rises (raisedUnread).
 */
export class TopicLanes {
  /** Highest event time seen per partition (-Infinity before the first record). */
  readonly max: number[] = [];
  /** 1 while the lane holds the watermark: the source reports unread data in it, or it caught up within idleTimeout. */
  readonly unread: number[] = [];
  /** Clock time the lane was last seen with unread data (for idleTimeout). */
  readonly activeAt: number[] = [];
  constructor(readonly topic: unknown) {}

  ensure(partition: number): void {
    while (this.max.length <= partition) {
      this.max.push(-Infinity);
      this.unread.push(0);
      this.activeAt.push(-Infinity);
    }
  }
}

const MAX_PARTITION = 1 << 20;
const validPartition = (p: unknown): p is number => typeof p === 'number' && Number.isInteger(p) && p >= 0 && p < MAX_PARTITION;

export class Lanes {
  /**
   * @param idleTimeoutMs how long a caught-up lane still holds the watermark (0: not at all).
   * @param clock for idleTimeout.
   */
  constructor(
    private readonly idleTimeoutMs = 0,
    private readonly clock: () => number = Date.now,
  ) {}
  private readonly byTopic = new Map<unknown, TopicLanes>();
  private last: TopicLanes | undefined;
  /** Minimum over lanes with unread data of their highest event time; Infinity when no lane has unread data. */
  unreadMin = Infinity;
  /** The lane at unreadMin. */
  private heldLanes: TopicLanes | undefined;
  private heldPartition = -1;
  /** Cache: the minimum over lanes with unread data other than (exceptLanes, exceptPartition), and its lane. */
  private exceptLanes: TopicLanes | undefined;
  private exceptPartition = -1;
  private otherMin = Infinity;
  private otherLanes: TopicLanes | undefined;
  private otherPartition = -1;

  /** The lanes of a topic (the last one asked for is cached). */
  of(topic: unknown): TopicLanes {
    const last = this.last;
    if (last !== undefined && last.topic === topic) return last;
    let lanes = this.byTopic.get(topic);
    if (lanes === undefined) this.byTopic.set(topic, (lanes = new TopicLanes(topic)));
    this.last = lanes;
    return lanes;
  }

  /** A record of a partition not seen before (not one with unread data, or progress would have created it). */
  create(lanes: TopicLanes, partition: number, t: number): void {
    if (!validPartition(partition)) return;
    lanes.ensure(partition);
    lanes.max[partition] = t;
  }

  /** The max of a lane with unread data rose to t (already stored); true when unreadMin moved. */
  raisedUnread(lanes: TopicLanes, partition: number, t: number): boolean {
    if (lanes === this.heldLanes && partition === this.heldPartition) {
      if (this.exceptLanes !== lanes || this.exceptPartition !== partition) this.computeOthers(lanes, partition);
      if (t <= this.otherMin) {
        this.unreadMin = t;
      } else {
        this.unreadMin = this.otherMin;
        this.heldLanes = this.otherLanes;
        this.heldPartition = this.otherPartition;
      }
      return true;
    }
    // Not the lowest lane, so the minimum stays; the cached minimum of the others may have moved with it.
    if (lanes === this.otherLanes && partition === this.otherPartition) this.exceptLanes = undefined;
    return false;
  }

  /**
   * Progress of a source's partitions of `topic`, read at the start of each of its batches: the listed partitions
   * with position < highWatermark have unread data; others of this topic do not.
   */
  progress(topic: unknown, partitions: readonly PartitionProgress[]): void {
    const lanes = this.of(topic);
    lanes.unread.fill(0);
    const idle = this.idleTimeoutMs;
    const now = idle > 0 ? this.clock() : 0;
    let idleUntil = Infinity;
    for (const p of partitions) {
      const partition = p?.partition;
      if (!validPartition(partition)) continue;
      lanes.ensure(partition);
      if (p.position < p.highWatermark) {
        lanes.unread[partition] = 1;
        if (idle > 0) lanes.activeAt[partition] = now;
      } else if (idle > 0 && now - lanes.activeAt[partition]! < idle) {
        lanes.unread[partition] = 1;
        idleUntil = Math.min(idleUntil, lanes.activeAt[partition]! + idle);
      }
    }
    if (idle > 0) (this.idleUntilByTopic ??= new Map()).set(topic, idleUntil);
    this.recompute();
  }

  /** Per topic, the clock time at which its first lane held only by idleTimeout stops holding. */
  private idleUntilByTopic: Map<unknown, number> | undefined;

  /** The earliest clock time at which a lane held only by idleTimeout stops holding (Infinity when none is). */
  get idleUntil(): number {
    let until = Infinity;
    for (const t of this.idleUntilByTopic?.values() ?? []) if (t < until) until = t;
    return until;
  }

  /** No more progress will come for `topic` (its source was detached): its lanes stop holding the watermark. */
  release(topic: unknown): void {
    const lanes = this.byTopic.get(topic);
    if (lanes === undefined) return;
    lanes.unread.fill(0);
    this.idleUntilByTopic?.delete(topic);
    this.recompute();
  }

  /** The lane with unread data and the lowest event time, if any. */
  held(): { topic: string; partition: number } | undefined {
    return this.heldLanes === undefined ? undefined : { topic: String(this.heldLanes.topic), partition: this.heldPartition };
  }

  private recompute(): void {
    const lowest = this.lowestUnread();
    this.unreadMin = lowest.min;
    this.heldLanes = lowest.lanes;
    this.heldPartition = lowest.partition;
    this.exceptLanes = undefined;
  }

  private computeOthers(exceptLanes: TopicLanes, exceptPartition: number): void {
    const lowest = this.lowestUnread(exceptLanes, exceptPartition);
    this.exceptLanes = exceptLanes;
    this.exceptPartition = exceptPartition;
    this.otherMin = lowest.min;
    this.otherLanes = lowest.lanes;
    this.otherPartition = lowest.partition;
  }

  /** The unread lane with the lowest max event time, leaving out one lane when asked. */
  private lowestUnread(exceptLanes?: TopicLanes, exceptPartition = -1): { min: number; lanes: TopicLanes | undefined; partition: number } {
    let min = Infinity;
    let at: TopicLanes | undefined;
    let atPartition = -1;
    for (const lanes of this.byTopic.values()) {
      const { max, unread } = lanes;
      for (let p = 0; p < max.length; p++) {
        if (unread[p] === 1 && !(lanes === exceptLanes && p === exceptPartition) && (at === undefined || max[p]! < min)) {
          min = max[p]!;
          at = lanes;
          atPartition = p;
        }
      }
    }
    return { min, lanes: at, partition: atPartition };
  }
}
