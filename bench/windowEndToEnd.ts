/**
 * End to end from the embedded broker: consume + decode + window (TopicSource attached to a 10 s tumbling
 * mean/max/count by 16 keys) against the plain kafkajs eachBatch + JSON.parse loop that does no windowing at
 * all, on the same topic, alternating runs in one process. The clock starts at the first batch and stops at the
 * last record, so group joins are left out.
 *
 *   node dist/bench/windowEndToEnd.js [records=400000] [rounds=5]
 */
import { Kafka, logLevel } from 'kafkajs';
import { EmbeddedBroker } from '../src/broker';
import { TopicSink, TopicSource } from '../src/kafka';
import { tumbling, windowed } from '../src/window';

const RECORDS = Number(process.argv[2] ?? 400_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const TOPIC = 'bench-window';
const KEYS = 16;

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

/** The source alone, no windows: separates the source's cost from the engine's. */
async function sourceOnly(connection: EmbeddedBroker['connection']): Promise<Run> {
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
  if (count !== RECORDS || !Number.isFinite(checksum)) throw new Error(`source read ${count} records`);
  return { seconds: (last - first) / 1000, records: count };
}

async function windowedSource(connection: EmbeddedBroker['connection']): Promise<Run & { windows: number }> {
  const source = new TopicSource({ topic: TOPIC, from: 'earliest', connection, timeField: 'time', untilEnd: true });
  // 16 partitions interleave: a record can be well behind the newest one seen, so give the windows some grace.
  const w = windowed({ window: tumbling('10s'), keyBy: 'sensor', grace: '1h', aggregates: { value: ['mean', 'max'], '*': ['count'] }, retain: { windows: 100_000 } });
  let first = 0;
  let last = 0;
  source.subscribe(() => {
    if (first === 0) first = performance.now();
  });
  w.attach(source);
  source.subscribe(() => {
    last = performance.now();
  });
  await source.start();
  await source.done();
  w.flush();
  const m = w.metrics();
  if (m.records !== RECORDS || m.late !== 0 || m.invalid !== 0 || source.deadLetters.total !== 0) {
    throw new Error(`windowed ${m.records} of ${RECORDS} records, ${m.late} late, ${m.invalid} invalid, ${source.deadLetters.total} dead`);
  }
  const counted = (w.closedColumns().count as number[]).reduce((a, b) => a + b, 0);
  if (counted !== RECORDS) throw new Error(`windows counted ${counted} records, expected ${RECORDS}`);
  return { seconds: (last - first) / 1000, records: RECORDS, windows: m.closedWindows };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const broker = await EmbeddedBroker.start({ topics: [{ name: TOPIC, partitions: 16 }] });
  try {
    const sink = await TopicSink.open({ topic: TOPIC, connection: broker.connection, batchSize: 2000 });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < RECORDS; i += 10_000) {
      const rows = [];
      for (let j = i; j < Math.min(RECORDS, i + 10_000); j++) {
        rows.push({ sensor: `sensor-${j % KEYS}`, time: t0 + j * 10, value: Math.round(Math.sin(j / 100) * 1000) / 10, status: 'ok' });
      }
      await sink.write(rows);
    }
    await sink.close();
    console.log(`topic ${TOPIC}: ${fmt(RECORDS)} JSON records in 16 partitions, ${KEYS} keys; windowing: tumbling 10s mean/max/count`);

    const plain: number[] = [];
    const ours: number[] = [];
    const sourceAlone: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const p = await plainKafkajs(broker.brokers, round);
      const s = await windowedSource(broker.connection);
      const o = await sourceOnly(broker.connection);
      plain.push(p.records / p.seconds);
      ours.push(s.records / s.seconds);
      sourceAlone.push(o.records / o.seconds);
      console.log(
        `round ${round}: plain kafkajs (consume + JSON.parse) ${fmt(p.records / p.seconds)} rec/s, ` +
          `streamlab windowed (consume + decode + window, ${fmt(s.windows)} windows) ${fmt(s.records / s.seconds)} rec/s, source alone ${fmt(o.records / o.seconds)} rec/s`,
      );
    }
    const ratio = median(ours) / median(plain);
    console.log(`median: plain ${fmt(median(plain))} rec/s, streamlab windowed ${fmt(median(ours))} rec/s, source alone ${fmt(median(sourceAlone))} rec/s`);
    console.log(`ratio windowed/plain ${ratio.toFixed(2)} (target >= 0.80); windowed/source alone ${(median(ours) / median(sourceAlone)).toFixed(2)}`);
  } finally {
    await broker.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
