/**
 * End to end from the embedded broker: consume + decode + window (TopicSource attached to a 10 s tumbling
 * mean/max/count by 16 keys) against the plain kafkajs eachBatch + JSON.parse loop that does no windowing at
 * all, on the same topic, alternating runs in one process. The clock starts at the first batch and stops at the
 * last record, so group joins are left out.
 *
 *   node dist/bench/windowEndToEnd.js [records=400000] [rounds=5]
 */
import { ConnectionOptions, EmbeddedBroker, tumbling, windowed } from '../src';
import { Run, fillTopic, fmt, median, plainKafkajs, rate, streamlabSource } from './support/kafkaBaseline';

const RECORDS = Number(process.argv[2] ?? 400_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const TOPIC = 'bench-window';
const KEYS = 16;

async function windowedSource(connection: ConnectionOptions): Promise<Run & { windows: number }> {
  // 16 partitions interleave: a record can be well behind the newest one seen, so give the windows some grace.
  const w = windowed({ window: tumbling('10s'), keyBy: 'sensor', grace: '1h', aggregates: { value: ['mean', 'max'], '*': ['count'] }, retain: { windows: 100_000 } });
  const run = await streamlabSource(connection, TOPIC, RECORDS, (source) => w.attach(source));
  w.flush();
  const m = w.metrics();
  if (m.records !== RECORDS || m.late !== 0 || m.invalid !== 0) throw new Error(`windowed ${m.records} of ${RECORDS} records, ${m.late} late, ${m.invalid} invalid`);
  const counted = (w.closedColumns().count as number[]).reduce((a, b) => a + b, 0);
  if (counted !== RECORDS) throw new Error(`windows counted ${counted} records, expected ${RECORDS}`);
  return { ...run, windows: m.closedWindows };
}

async function main(): Promise<void> {
  const broker = await EmbeddedBroker.start({ topics: [{ name: TOPIC, partitions: 16 }] });
  try {
    await fillTopic(broker.connection, TOPIC, RECORDS, KEYS);
    console.log(`topic ${TOPIC}: ${fmt(RECORDS)} JSON records in 16 partitions, ${KEYS} keys; windowing: tumbling 10s mean/max/count`);

    const plain: number[] = [];
    const ours: number[] = [];
    const sourceAlone: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const p = await plainKafkajs(broker.brokers, TOPIC, RECORDS, round);
      const s = await windowedSource(broker.connection);
      const o = await streamlabSource(broker.connection, TOPIC, RECORDS);
      plain.push(rate(p));
      ours.push(rate(s));
      sourceAlone.push(rate(o));
      console.log(
        `round ${round}: plain kafkajs (consume + JSON.parse) ${fmt(rate(p))} rec/s, ` +
          `streamlab windowed (consume + decode + window, ${fmt(s.windows)} windows) ${fmt(rate(s))} rec/s, source alone ${fmt(rate(o))} rec/s`,
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
