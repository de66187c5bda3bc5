/**
 * Topic source throughput against a plain kafkajs eachBatch + JSON.parse loop, on the same topic of the
 * embedded broker, alternating runs in one process.
 *
 *   node dist/bench/sourceThroughput.js [records=400000] [rounds=5]
 */
import { EmbeddedBroker } from '../src';
import { fillTopic, fmt, median, plainKafkajs, rate, streamlabSource } from './support/kafkaBaseline';

const RECORDS = Number(process.argv[2] ?? 400_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const TOPIC = 'bench-source';

async function main(): Promise<void> {
  const broker = await EmbeddedBroker.start({ topics: [{ name: TOPIC, partitions: 16 }] });
  try {
    const size = await fillTopic(broker.connection, TOPIC, RECORDS);
    console.log(`topic ${TOPIC}: ${RECORDS} JSON records (~${size} bytes each) in 16 partitions`);
    const plain: number[] = [];
    const ours: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      plain.push(rate(await plainKafkajs(broker.brokers, TOPIC, RECORDS, round)));
      ours.push(rate(await streamlabSource(broker.connection, TOPIC, RECORDS)));
      console.log(`round ${round}: plain kafkajs ${fmt(plain.at(-1)!)} rec/s, streamlab source ${fmt(ours.at(-1)!)} rec/s`);
    }
    const ratio = median(ours) / median(plain);
    console.log(`median: plain ${fmt(median(plain))} rec/s, streamlab ${fmt(median(ours))} rec/s, ratio ${ratio.toFixed(2)} (target >= 0.90)`);
  } finally {
    await broker.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
