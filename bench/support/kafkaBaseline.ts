/**
 * What the Kafka benches share: a topic of sensor-like JSON records on the embedded broker, the plain kafkajs
 * eachBatch + JSON.parse loop they are measured against, and the streamlab source timed the same way.
 * Clocks start at the first batch and stop at the last record, so group joins are left out of every figure.
 */
import { Kafka, logLevel } from 'kafkajs';
import { ConnectionOptions } from '../../src';
import { TopicSink, TopicSource } from '../../src';

export interface Run {
  seconds: number;
  records: number;
}

export const rate = (run: Run) => run.records / run.seconds;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** `records` JSON records {sensor, time, value, status} over `keys` sensors, 10 ms of event time apart. */
export async function fillTopic(connection: ConnectionOptions, topic: string, records: number, keys = 16): Promise<number> {
  const sink = await TopicSink.open({ topic, connection, batchSize: 2000 });
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < records; i += 10_000) {
    const rows = [];
    for (let j = i; j < Math.min(records, i + 10_000); j++) {
      rows.push({ sensor: `sensor-${j % keys}`, time: t0 + j * 10, value: Math.round(Math.sin(j / 100) * 1000) / 10, status: 'ok' });
    }
    await sink.write(rows);
  }
  await sink.close();
  return Math.round(sink.metrics().bytes / records);
}

/** The baseline: kafkajs alone, parsing every value, in a fresh group. */
export async function plainKafkajs(brokers: string[], topic: string, records: number, round: number): Promise<Run> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'bench-plain' });
  const consumer = kafka.consumer({ groupId: `bench-plain-${round}-${Date.now()}`, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let first = 0;
  let checksum = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (first === 0) first = performance.now();
        for (const m of batch.messages) {
          const value = JSON.parse(m.value!.toString('utf8')) as { value: number };
          checksum += value.value;
          count++;
        }
        if (count >= records) resolve(performance.now());
      },
    });
  });
  const end = await done;
  await consumer.disconnect();
  if (!Number.isFinite(checksum)) throw new Error('bad checksum');
  return { seconds: (end - first) / 1000, records: count };
}

/**
 * streamlab's source over the whole topic (consume + JSON decode + event time into records), with `attach`
 * hooking more work (windows, a scorer) onto it before it starts. With `settle`, the clock stops when the work
 * attached has finished the last record (e.g. a scorer's worker has scored it), not when the record arrived.
 */
export async function streamlabSource(
  connection: ConnectionOptions,
  topic: string,
  records: number,
  attach?: (source: TopicSource) => void,
  settle?: () => Promise<void>,
): Promise<Run> {
  const source = new TopicSource({ topic, from: 'earliest', connection, timeField: 'time', untilEnd: true });
  let count = 0;
  let first = 0;
  let last = 0;
  let checksum = 0;
  let settled: Promise<void> = Promise.resolve();
  source.subscribe(() => {
    if (first === 0) first = performance.now();
  });
  attach?.(source);
  source.subscribe((batch) => {
    for (const r of batch) checksum += r.value.value as number;
    count += batch.length;
    last = performance.now();
    if (count >= records && settle) settled = settle().then(() => void (last = performance.now()));
  });
  await source.start();
  await source.done();
  await settled;
  if (count !== records || source.deadLetters.total !== 0) throw new Error(`streamlab read ${count} of ${records} records, ${source.deadLetters.total} dead`);
  if (!Number.isFinite(checksum)) throw new Error('bad checksum');
  return { seconds: (last - first) / 1000, records: count };
}
