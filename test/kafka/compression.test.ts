/**
 * Compressed topics as real clusters have them, on a real Kafka 4.4: batches written by Kafka's own Java producer
 * (its console producer, with compression.type gzip, snappy, lz4 and zstd, keys and headers) are read by streamlab
 * with every value, key and header exact; batches streamlab writes with each codec are read back by Kafka's Java
 * console consumer, value for value. Kafka's DumpLogSegments confirms each topic's batches carry the codec asked for,
 * so no test passes on uncompressed data by accident.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KafkaCluster } from '../../src/broker';
import { Compression, TopicAdmin, TopicSink, TopicSource } from '../../src/kafka';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const satisfies readonly Compression[];
const RECORDS = 20_000;

let cluster: KafkaCluster;
let brokers: string;

before(async () => {
  cluster = await KafkaCluster.start({ brokers: 1, heapMb: 512 });
  brokers = cluster.bootstrapServers;
});
after(async () => {
  await cluster?.stop({ fast: true });
});

/** Runs a class of Kafka's own tools (from the cached Kafka jars) with the same Java as the broker. */
function kafkaTool(mainClass: string, args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(cluster.distribution.java, ['-Xmx256m', '-cp', `${cluster.distribution.libs}/*`, mainClass, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-20_000)));
  child.stdin.end(input ?? '');
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** The codecs of a topic's batches on disk, as Kafka's DumpLogSegments prints them. */
function codecsOnDisk(topic: string): Set<string> {
  const dir = path.join(cluster.dataDir, 'node-1', 'data', `${topic}-0`);
  const log = fs.readdirSync(dir).find((f) => f.endsWith('.log'))!;
  const run = spawnSync(cluster.distribution.java, ['-Xmx256m', '-cp', `${cluster.distribution.libs}/*`, 'org.apache.kafka.tools.DumpLogSegments', '--files', path.join(dir, log)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(run.status, 0, run.stderr);
  return new Set([...run.stdout.matchAll(/compresscodec: (\w+)/g)].map((m) => m[1]!.toLowerCase()));
}

const row = (i: number) => ({ i, sensor: `s${i % 7}`, value: Math.round(Math.sin(i) * 1e6) / 1e3, note: i % 11 === 0 ? 'ünïcødé ✓' : 'x'.repeat(i % 40) });

async function readAll(topic: string, count: number) {
  const source = new TopicSource({ topic, from: 'earliest', untilEnd: true, connection: { brokers } });
  const got: { key: unknown; value: unknown; headers: unknown }[] = [];
  source.subscribe((records) => {
    for (const r of records) got.push({ key: r.key, value: r.value, headers: r.headers });
  });
  await source.start();
  await source.done();
  const m = source.metrics();
  await source.stop();
  assert.equal(m.deadLetters, 0, `no dead letters: ${JSON.stringify(source.deadLetters.list().slice(0, 3))}`);
  assert.equal(got.length, count);
  return got;
}

describe("batches from Kafka's Java producer, one topic a codec", () => {
  for (const codec of CODECS) {
    test(`${codec}: ${RECORDS.toLocaleString('en-US')} records read with every value, key and header exact`, async () => {
      const topic = `java-${codec}`;
      const admin = await TopicAdmin.connect({ brokers });
      await admin.createTopic(topic, 1);
      await admin.disconnect();
      // The console producer's line format with parse.headers and parse.key: headers, TAB, key, TAB, value.
      const lines = Array.from({ length: RECORDS }, (_, i) => `trace:t-${i},source:java\tk${i % 13}\t${JSON.stringify(row(i))}`).join('\n');
      const run = await kafkaTool(
        'org.apache.kafka.tools.ConsoleProducer',
        [
          '--bootstrap-server', brokers, '--topic', topic,
          // --compression-codec, not compression.type: the tool sets the codec itself and would override the property.
          '--compression-codec', codec, '--batch-size', '262144', '--command-property', 'linger.ms=50',
          '--reader-property', 'parse.key=true', '--reader-property', 'parse.headers=true', '--reader-property', 'key.separator=\t',
        ],
        `${lines}\n`,
      );
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual([...codecsOnDisk(topic)], [codec], 'the batches on disk carry the codec');
      const got = await readAll(topic, RECORDS);
      for (let i = 0; i < RECORDS; i++) {
        assert.deepEqual(got[i], { key: `k${i % 13}`, value: row(i), headers: { trace: `t-${i}`, source: 'java' } }, `record ${i}`);
      }
    });
  }
});

describe("batches streamlab writes, read by Kafka's Java consumer", () => {
  for (const codec of CODECS) {
    test(`${codec}: the console consumer reads every value and header`, async () => {
      const topic = `streamlab-${codec}`;
      const sink = await TopicSink.open({ topic, connection: { brokers }, createTopic: { partitions: 1 }, compression: codec, batchSize: 2000, keyField: 'sensor', headers: { writer: 'streamlab' }, headersField: 'meta' });
      const rows = Array.from({ length: RECORDS }, (_, i) => ({ ...row(i), meta: { seq: String(i) } }));
      await sink.write(rows);
      await sink.close();
      assert.deepEqual([...codecsOnDisk(topic)], [codec]);
      const run = await kafkaTool('org.apache.kafka.tools.consumer.ConsoleConsumer', [
        '--bootstrap-server', brokers, '--topic', topic, '--from-beginning', '--max-messages', String(RECORDS), '--timeout-ms', '60000',
        '--formatter-property', 'print.headers=true', '--formatter-property', 'print.key=true', '--formatter-property', 'headers.separator=,',
        '--formatter-property', 'key.separator=|', '--formatter-property', 'headers.key.separator=:',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trim().split('\n');
      assert.equal(lines.length, RECORDS);
      lines.forEach((line, i) => {
        const [headers, key, value] = line.split('|');
        const { meta: _meta, ...plain } = rows[i]!;
        assert.equal(headers, `writer:streamlab,seq:${i}`, `record ${i}`);
        assert.equal(key, plain.sensor);
        assert.deepEqual(JSON.parse(value!), plain, `record ${i}`);
      });
      // And streamlab reads its own compressed batches back, headers included.
      const back = await readAll(topic, RECORDS);
      assert.deepEqual(back[5], { key: 's5', value: (({ meta: _m, ...p }) => p)(rows[5]!), headers: { writer: 'streamlab', seq: '5' } });
    });
  }
});
