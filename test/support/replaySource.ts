/**
 * Test support: TopicSource's face for the window engine, with the interleaving of partitions in the test's hands.
 * Batches come with the progress of every partition (the end known from the start, as for a topic read from
 * earliest), or with none, as hand-fed records.
 */
import { SeededRandom } from '../../src/demo/random';
import type { BatchProgress, StreamRecord } from '../../src/record';
import type { BatchSourceLike } from '../../src/window';

export class ReplaySource implements BatchSourceLike {
  private readonly subscribers = new Set<(records: StreamRecord<any>[], progress?: BatchProgress) => void>();
  readonly position: number[];
  constructor(
    readonly topic: string,
    readonly partitions: StreamRecord<unknown>[][],
    private readonly withProgress = true,
  ) {
    this.position = partitions.map(() => 0);
  }
  subscribe(subscriber: (records: StreamRecord<any>[], progress?: BatchProgress) => void): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }
  left(p: number): number {
    return this.partitions[p]!.length - this.position[p]!;
  }
  deliver(p: number, n: number): void {
    const from = this.position[p]!;
    const batch = this.partitions[p]!.slice(from, from + n);
    if (batch.length === 0) return;
    const progress: BatchProgress = { topic: this.topic, partitions: this.partitions.map((records, partition) => ({ partition, position: this.position[partition]!, highWatermark: records.length })) };
    for (const s of this.subscribers) s(batch, this.withProgress ? progress : undefined);
    this.position[p] = from + batch.length;
  }
}

export type Order = { kind: 'sequential' } | { kind: 'rounds'; batch: number } | { kind: 'random'; seed: number };

export function play(source: ReplaySource, order: Order): void {
  const P = source.partitions.length;
  const open = () => Array.from({ length: P }, (_, p) => p).filter((p) => source.left(p) > 0);
  if (order.kind === 'sequential') {
    for (let p = 0; p < P; p++) while (source.left(p) > 0) source.deliver(p, 500);
  } else if (order.kind === 'rounds') {
    for (let o = open(); o.length > 0; o = open()) for (const p of o) source.deliver(p, order.batch);
  } else {
    const rng = new SeededRandom(order.seed);
    for (let o = open(); o.length > 0; o = open()) source.deliver(o[rng.int(0, o.length - 1)]!, rng.int(1, rng.next() < 0.2 ? 400 : 40));
  }
}

