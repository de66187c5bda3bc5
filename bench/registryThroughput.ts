/**
 * Real clusters' data, measured on a real Apache Kafka (one KRaft node) and a real Schema Registry (Apicurio), in one
 * run so the ratios come from one machine at one time:
 * 1. Avro: streamlab's source with decoder 'avro' (writer schemas from the registry) against a plain kafkajs
 *    eachBatch + avsc `fromBuffer` loop on the same topic (schema fetched once, up front): target >= 1.0. The loop
 *    builds what a user needs of each record and streamlab gives (key as text, offset, timestamp, the value with
 *    timestamp-millis as a Date, through the same avsc logical type), so the two do the same work; a bare loop that
 *    only sums one decoded field (no keys, no records, time left a number) is reported beside it for reference.
 *    Timed from the first record to the last (all of them fetched and decoded): group joins are left out.
 * 2. Codecs: the same JSON records in topics written with gzip, snappy, lz4 and zstd, read by streamlab's source,
 *    against the uncompressed topic. From first record to last, a compressed topic needs fewer fetches (the
 *    uncompressed one is about 5x the bytes), so its ratio can pass 1.0: that is fetching, not decompression, and is
 *    what a reader of a compressed topic gets.
 *
 *   node dist/bench/registryThroughput.js [records=200000] [rounds=3]
 */
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { avroType, Compression, KafkaCluster, SchemaRegistryProcess, TopicAdmin, TopicSink, TopicSource, installCompressionCodecs } from '../src';
import { fmt, median, rate, Run } from './support/kafkaBaseline';

const RECORDS = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const PARTITIONS = 8;
const SCHEMA = { type: 'record', name: 'Reading', fields: [{ name: 'sensor', type: 'string' }, { name: 'time', type: { type: 'long', logicalType: 'timestamp-millis' } }, { name: 'value', type: 'double' }, { name: 'status', type: 'string' }] };

const T0 = Date.parse('2026-01-01T00:00:00Z');
const row = (j: number) => ({ sensor: `sensor-${j % 16}`, time: new Date(T0 + j * 10), value: Math.round(Math.sin(j / 100) * 1000) / 10, status: 'ok' });

async function fill(connection: { brokers: string; schemaRegistry?: string }, topic: string, options: { compression?: Compression; avro?: boolean }): Promise<void> {
  const admin = await TopicAdmin.connect(connection);
  await admin.createTopic(topic, PARTITIONS);
  await admin.disconnect();
  const sink = await TopicSink.open({ topic, connection, batchSize: 2000, compression: options.compression, ...(options.avro ? { value: { format: 'avro' as const, schema: SCHEMA } } : {}) });
  for (let i = 0; i < RECORDS; i += 10_000) {
    const rows = [];
    for (let j = i; j < Math.min(RECORDS, i + 10_000); j++) rows.push(options.avro ? row(j) : { ...row(j), time: T0 + j * 10 });
    await sink.write(rows);
  }
  await sink.close();
}

/** The baseline: kafkajs and avsc alone (wire header skipped, the one schema parsed up front). */
async function plainAvro(brokers: string, topic: string, round: number, bare: boolean): Promise<Run> {
  installCompressionCodecs();
  // The same avsc type streamlab decodes with (its timestamp-millis logical type gives a Date), unless bare.
  const type = bare ? avro.Type.forSchema(SCHEMA as avro.Schema) : avroType(SCHEMA);
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, clientId: 'bench-plain' });
  const consumer = kafka.consumer({ groupId: `bench-plain-avro-${round}-${Date.now()}`, maxWaitTimeInMs: 500 });
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
        if (bare) {
          for (const m of batch.messages) {
            const value = type.fromBuffer(m.value!.subarray(5)) as { value: number };
            checksum += value.value;
            count++;
          }
        } else {
          const records = [];
          for (const m of batch.messages) {
            const value = type.fromBuffer(m.value!.subarray(5)) as { value: number };
            records.push({ key: m.key ? m.key.toString('utf8') : null, partition: batch.partition, offset: Number(m.offset), timestamp: Number(m.timestamp), value });
          }
          for (const r of records) checksum += r.value.value;
          count += records.length;
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

async function ours(connection: { brokers: string; schemaRegistry?: string }, topic: string, decoder: string): Promise<Run> {
  const source = new TopicSource({ topic, from: 'earliest', connection, decoder, untilEnd: true });
  let count = 0;
  let first = 0;
  let last = 0;
  let checksum = 0;
  source.subscribe((batch) => {
    if (first === 0) first = performance.now();
    for (const r of batch) checksum += r.value.value as number;
    count += batch.length;
    last = performance.now();
  });
  await source.start();
  await source.done();
  await source.stop();
  if (count !== RECORDS || source.deadLetters.total !== 0) throw new Error(`streamlab read ${count} of ${RECORDS} records of ${topic}, ${source.deadLetters.total} dead`);
  if (!Number.isFinite(checksum)) throw new Error('bad checksum');
  return { seconds: (last - first) / 1000, records: count };
}

async function main(): Promise<void> {
  const registryStart = SchemaRegistryProcess.start();
  registryStart.catch(() => undefined);
  const cluster = await KafkaCluster.start({ brokers: 1, heapMb: 1024 });
  const registry = await registryStart;
  const brokers = cluster.bootstrapServers;
  const connection = { brokers, schemaRegistry: registry.confluentUrl };
  try {
    await fill(connection, 'bench-avro', { avro: true });
    const codecs: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    for (const c of codecs) await fill({ brokers }, `bench-json-${c}`, { compression: c });
    console.log(`Apache Kafka ${cluster.version}, Apicurio Registry ${registry.version}: ${fmt(RECORDS)} records a topic, ${PARTITIONS} partitions`);
    const plain: number[] = [];
    const bare: number[] = [];
    const avroOurs: number[] = [];
    const byCodec = new Map<Compression, number[]>(codecs.map((c) => [c, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      plain.push(rate(await plainAvro(brokers, 'bench-avro', round, false)));
      avroOurs.push(rate(await ours(connection, 'bench-avro', 'avro')));
      bare.push(rate(await plainAvro(brokers, 'bench-avro', round + 100, true)));
      for (const c of codecs) byCodec.get(c)!.push(rate(await ours({ brokers }, `bench-json-${c}`, 'json')));
      console.log(`  round ${round}: Avro plain kafkajs+avsc ${fmt(plain.at(-1)!)} rec/s (bare ${fmt(bare.at(-1)!)}), streamlab ${fmt(avroOurs.at(-1)!)} rec/s; JSON ${codecs.map((c) => `${c} ${fmt(byCodec.get(c)!.at(-1)!)}`).join(', ')} rec/s`);
    }
    console.log('');
    console.log(`Avro: median plain ${fmt(median(plain))} rec/s, streamlab ${fmt(median(avroOurs))} rec/s, ratio ${(median(avroOurs) / median(plain)).toFixed(2)} (target >= 1.0)`);
    console.log(`Avro, bare decode loop (sums one field; no keys, records or Dates): median ${fmt(median(bare))} rec/s, streamlab's ratio to it ${(median(avroOurs) / median(bare)).toFixed(2)}`);
    const none = median(byCodec.get('none')!);
    for (const c of codecs.slice(1)) console.log(`${c}: median ${fmt(median(byCodec.get(c)!))} rec/s, ratio to uncompressed ${(median(byCodec.get(c)!) / none).toFixed(2)}`);
  } finally {
    await Promise.all([registry.stop(), cluster.stop({ fast: true })]);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
