/**
 * Topic source throughput against a plain kafkajs eachBatch + JSON.parse loop, on the same topic, alternating runs
 * in one process: first on the embedded broker (librdkafka's mock), then on a real single-node Apache Kafka, so
 * both ratios come from one run on one machine.
 *
 *   node dist/bench/sourceThroughput.js [records=400000] [rounds=5] [brokers=mock,kafka]
 */
import { ConnectionOptions, EmbeddedBroker, KafkaCluster } from '../src';
import { fillTopic, fmt, median, plainKafkajs, rate, streamlabSource } from './support/kafkaBaseline';

const RECORDS = Number(process.argv[2] ?? 400_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const BROKERS = (process.argv[4] ?? 'mock,kafka').split(',');
const TOPIC = 'bench-source';
const PARTITIONS = 16;

interface Bench {
  name: string;
  brokers: string[];
  connection: ConnectionOptions;
  createTopic(): Promise<void>;
  stop(): Promise<void>;
}

async function mock(): Promise<Bench> {
  const broker = await EmbeddedBroker.start({ topics: [{ name: TOPIC, partitions: PARTITIONS }] });
  return { name: 'embedded broker (librdkafka mock)', brokers: broker.brokers, connection: broker.connection, createTopic: async () => undefined, stop: () => broker.stop() };
}

async function kafka(): Promise<Bench> {
  const cluster = await KafkaCluster.start({ brokers: 1, heapMb: 1024 });
  const connection = { brokers: cluster.bootstrapServers };
  return {
    name: `Apache Kafka ${cluster.version} (one KRaft node)`,
    brokers: cluster.brokers,
    connection,
    createTopic: async () => {
      const { TopicAdmin } = await import('../src');
      const admin = await TopicAdmin.connect(connection);
      await admin.createTopic(TOPIC, PARTITIONS);
      await admin.disconnect();
    },
    stop: () => cluster.stop({ fast: true }),
  };
}

async function measure(start: () => Promise<Bench>): Promise<{ name: string; plain: number; ours: number }> {
  const bench = await start();
  try {
    await bench.createTopic();
    const size = await fillTopic(bench.connection, TOPIC, RECORDS);
    console.log(`${bench.name}: topic ${TOPIC}, ${fmt(RECORDS)} JSON records (~${size} bytes each) in ${PARTITIONS} partitions`);
    const plain: number[] = [];
    const ours: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      plain.push(rate(await plainKafkajs(bench.brokers, TOPIC, RECORDS, round)));
      ours.push(rate(await streamlabSource(bench.connection, TOPIC, RECORDS)));
      console.log(`  round ${round}: plain kafkajs ${fmt(plain.at(-1)!)} rec/s, streamlab source ${fmt(ours.at(-1)!)} rec/s`);
    }
    return { name: bench.name, plain: median(plain), ours: median(ours) };
  } finally {
    await bench.stop();
  }
}

async function main(): Promise<void> {
  const results = [];
  for (const b of BROKERS) {
    if (b !== 'mock' && b !== 'kafka') throw new Error(`unknown broker '${b}': use mock, kafka or both (mock,kafka)`);
    results.push(await measure(b === 'mock' ? mock : kafka));
  }
  console.log('');
  for (const r of results) {
    console.log(`${r.name}: median plain ${fmt(r.plain)} rec/s, streamlab ${fmt(r.ours)} rec/s, ratio ${(r.ours / r.plain).toFixed(2)} (target >= 1.0)`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
