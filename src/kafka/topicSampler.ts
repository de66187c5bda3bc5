/**
 * The newest few values of many topics at once, for format detection in listings. One consumer in a throwaway group
 * reads them all (one group join, not one per topic), seeking each partition a few offsets before its end; what has
 * not arrived within the time limit is simply not in the sample. It ends as soon as every partition is read (about
 * one group join, 3 s on the embedded broker); the limit is generous because a loaded machine joins slowly.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectionSettings } from './connection';
import { createKafka } from './kafkaClient';
import type { PartitionOffsets } from './topicAdmin';

export interface SampleRequest {
  topic: string;
  offsets: PartitionOffsets[];
}

/** How far before a partition's end to start: past a transaction's commit marker and a few tombstones. */
const BACK_OFFSETS = 4;
/** Partitions sampled per topic: the fullest ones. */
const PARTITIONS_PER_TOPIC = 2;

export async function sampleTopics(settings: ConnectionSettings, requests: readonly SampleRequest[], timeoutMs = 15_000): Promise<Map<string, Buffer[]>> {
  const samples = new Map<string, Buffer[]>();
  const wanted = new Map<string, Map<number, { start: number; end: number }>>();
  for (const r of requests) {
    const partitions = r.offsets.filter((o) => o.high > o.low).sort((a, b) => b.high - b.low - (a.high - a.low)).slice(0, PARTITIONS_PER_TOPIC);
    if (partitions.length === 0) continue;
    samples.set(r.topic, []);
    wanted.set(r.topic, new Map(partitions.map((o) => [o.partition, { start: Math.max(o.low, o.high - BACK_OFFSETS), end: o.high }])));
  }
  if (wanted.size === 0) return samples;
  const kafka = createKafka(settings, 1);
  const consumer = kafka.consumer({ groupId: `streamlab-sample-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 200, sessionTimeout: 10_000 });
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const timer = setTimeout(finish, timeoutMs);
  const remaining = new Set([...wanted].flatMap(([topic, ps]) => [...ps.keys()].map((p) => `${topic}/${p}`)));
  try {
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const w = wanted.get(topic)?.get(partition);
          if (w) consumer.seek({ topic, partition, offset: String(w.start) });
          else consumer.pause([{ topic, partitions: [partition] }]);
        }
      }
    });
    // Batches of only markers never reach eachBatch; their end still means the partition has been read.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const w = wanted.get(payload.topic)?.get(payload.partition);
      if (w && Number(payload.lastOffset) + 1 >= w.end) remaining.delete(`${payload.topic}/${payload.partition}`);
      if (remaining.size === 0) finish();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...wanted.keys()], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const w = wanted.get(batch.topic)?.get(batch.partition);
        if (!w) return;
        const out = samples.get(batch.topic)!;
        for (const m of batch.messages) if (Number(m.offset) >= w.start && m.value) out.push(m.value);
        if (Number(batch.lastOffset()) + 1 >= w.end) {
          remaining.delete(`${batch.topic}/${batch.partition}`);
          consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
        }
        if (remaining.size === 0) finish();
      },
    });
    await done;
  } catch {
    // A sample is a nicety of a listing: a failure leaves the topics it did not reach unsampled.
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  return samples;
}
