/**
 * Test data for event-time checks: a topic's partitions, each its own roughly ordered stream (a producer's clock),
 * with what makes windowing hard: records out of order within grace, records late by more than grace, bursts of
 * tied timestamps, gaps, and probes on every window boundary (a millisecond before, on, and after). Seeded, so a
 * failing seed reruns exactly. Values are whole numbers, so sums are exact in any order.
 *
 * Keys are `k00`..: with `aligned`, key i lives in partition i % partitions only (as Kafka's partitioner puts a key
 * in one partition, what Kafka Streams' per-partition tasks assume); otherwise any key may be in any partition.
 */
import { SeededRandom } from '../../src/demo/random';
import type { RawRecord } from '../../src/kafka';
import type { StreamRecord } from '../../src/record';

export interface GeneratedRecord {
  k: string;
  v: number;
  t: number;
}

export interface GeneratorOptions {
  seed: number;
  partitions: number;
  keys: number;
  /** Records per partition. */
  perPartition: number;
  aligned: boolean;
  /** Grace the consumer will use: disorder within it, and late records beyond it. */
  graceMs: number;
  /** Window boundaries to probe: multiples of this. */
  boundaryMs: number;
  /** First event time. */
  startMs: number;
}

export const FLUSH_KEY = '__flush__';

/** The records of each partition, in offset order. */
export function generatePartitions(o: GeneratorOptions): GeneratedRecord[][] {
  const rng = new SeededRandom(o.seed);
  const out: GeneratedRecord[][] = [];
  for (let p = 0; p < o.partitions; p++) {
    const keys = Array.from({ length: o.keys }, (_, i) => i).filter((i) => !o.aligned || i % o.partitions === p);
    const keyOf = () => `k${String(keys[rng.int(0, keys.length - 1)]!).padStart(2, '0')}`;
    const value = () => rng.int(-1000, 1000);
    // Partitions start apart in event time, as producers' clocks and loads do.
    let clock = o.startMs + rng.int(0, 20) * 250;
    const records: GeneratedRecord[] = [];
    while (records.length < o.perPartition) {
      clock += rng.int(0, 400);
      const roll = rng.next();
      if (roll < 0.12) {
        records.push({ k: keyOf(), v: value(), t: clock - rng.int(0, o.graceMs) });
      } else if (roll < 0.17) {
        // Late by more than grace: up to a minute.
        records.push({ k: keyOf(), v: value(), t: clock - o.graceMs - rng.int(1, 60_000) });
      } else if (roll < 0.22) {
        const k = keyOf();
        for (let n = rng.int(3, 8); n > 0; n--) records.push({ k: rng.next() < 0.5 ? k : keyOf(), v: value(), t: clock });
      } else if (roll < 0.3) {
        const boundary = Math.round(clock / o.boundaryMs) * o.boundaryMs;
        records.push({ k: keyOf(), v: value(), t: boundary + rng.int(-1, 1) });
      } else if (roll < 0.31) {
        clock += rng.int(30_000, 120_000);
        records.push({ k: keyOf(), v: value(), t: clock });
      } else {
        records.push({ k: keyOf(), v: value(), t: clock });
      }
    }
    records.length = o.perPartition;
    out.push(records);
  }
  return out;
}

/** The partitions as StreamRecords of `topic`, as a TopicSource reading the Kafka timestamp would hand them out. */
export function asStreamRecords(topic: string, partitions: GeneratedRecord[][]): StreamRecord<GeneratedRecord>[][] {
  return partitions.map((records, partition) => records.map((value, offset) => ({ topic, partition, offset, key: value.k, timestamp: value.t, time: value.t, value })));
}

/**
 * The partitions as records to produce, each with its event time as the Kafka timestamp; with `flush`, a last
 * record per partition 10 minutes past the data (Kafka refuses timestamps more than an hour ahead of its clock), so
 * that a consumer's stream time passes every window.
 */
export function asRawRecords(partitions: GeneratedRecord[][], flush = false): RawRecord[] {
  const out: RawRecord[] = [];
  const end = Math.max(...partitions.flat().map((r) => r.t)) + 600_000;
  partitions.forEach((records, partition) => {
    for (const r of records) out.push({ key: r.k, value: JSON.stringify(r), partition, timestamp: r.t });
    if (flush) out.push({ key: FLUSH_KEY, value: JSON.stringify({ k: FLUSH_KEY, v: 0, t: end }), partition, timestamp: end });
  });
  return out;
}
