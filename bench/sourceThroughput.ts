/**
 * Topic source throughput against a plain kafkajs eachBatch + JSON.parse loop, on the same topic of the
 * embedded broker, alternating runs in one process. Group joins are excluded: the clock starts at the
 * first batch and stops at the last record.
 *
 *   node dist/bench/sourceThroughput.js [records=400000] [rounds=5]
 */
import { Kafka, logLevel } from 'kafkajs';
import { EmbeddedBroker } from '../src/broker';
import { TopicSink, TopicSource } from '../src/kafka';

const RECORDS = Number(process.argv[2] ?? 400_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const TOPIC = 'bench-source';

interface Run {
  seconds: number;
  records: number;
}

async function plainKafkajs(brokers: string[], round: number): Promise<Run> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'bench-plain' });
  const consumer = kafka.consumer({ groupId: `bench-plain-${round}-${Date.now()}`, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
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
        if (count >= RECORDS) resolve(performance.now());
      },
    });
  });
  const end = await done;
  await consumer.disconnect();
  if (!Number.isFinite(checksum)) throw new Error('bad checksum');
  return { seconds: (end - first) / 1000, records: count };
}

async function streamlabSource(connection: EmbeddedBroker['connection']): Promise<Run> {
  const source = new TopicSource({ topic: TOPIC, from: 'earliest', connection, timeField: 'time', untilEnd: true });
  let count = 0;
  let first = 0;
  let last = 0;
  let checksum = 0;
  source.subscribe((records) => {
    if (first === 0) first = performance.now();
    for (const r of records) checksum += r.value.value as number;
    count += records.length;
    last = performance.now();
  });
  await source.start();
  await source.done();
  if (count !== RECORDS || source.deadLetters.total !== 0) throw new Error(`streamlab read ${count} records, ${source.deadLetters.total} dead`);
  if (!Number.isFinite(checksum)) throw new Error('bad checksum');
  return { seconds: (last - first) / 1000, records: count };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const broker = await EmbeddedBroker.start({ topics: [{ name: TOPIC, partitions: 16 }] });
  try {
    const sink = await TopicSink.open({ topic: TOPIC, connection: broker.connection, batchSize: 2000 });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < RECORDS; i += 10_000) {
      const rows = [];
      for (let j = i; j < Math.min(RECORDS, i + 10_000); j++) {
        rows.push({ sensor: `sensor-${j % 16}`, time: t0 + j * 10, value: Math.round(Math.sin(j / 100) * 1000) / 10, status: 'ok' });
      }
      await sink.write(rows);
    }
    await sink.close();
    console.log(`topic ${TOPIC}: ${RECORDS} JSON records (~${Math.round(sink.metrics().bytes / RECORDS)} bytes each) in 16 partitions`);

    const plain: number[] = [];
    const ours: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const p = await plainKafkajs(broker.brokers, round);
      const s = await streamlabSource(broker.connection);
      plain.push(p.records / p.seconds);
      ours.push(s.records / s.seconds);
      console.log(`round ${round}: plain kafkajs ${fmt(p.records / p.seconds)} rec/s, streamlab source ${fmt(s.records / s.seconds)} rec/s`);
    }
    const ratio = median(ours) / median(plain);
    console.log(`median: plain ${fmt(median(plain))} rec/s, streamlab ${fmt(median(ours))} rec/s, ratio ${ratio.toFixed(2)} (target >= 0.90)`);
  } finally {
    await broker.stop();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
