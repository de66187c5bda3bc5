/**
 * Worker throughput on a real single-node Apache Kafka, in one run: a pipeline file (1 s tumbling windows of 16 keys,
 * count/sum/max) run by 1, 2 and 4 `streamlab worker` processes over one 6-partition topic, exactly once and at least
 * once. Each run is a fresh group and output topic over the same input, timed from the workers' start to the last
 * window written (group joins included). The figure is records/s; the ratio exactly-once / at-least-once is what
 * the transactions cost. On a 2-core machine more workers show the overhead of more processes and rebalances, and
 * that results stay correct (every run must write exactly the expected windows), not a speed-up.
 *
 *   node dist/bench/workerThroughput.js [records=1000000] [workers=1,2,4]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KafkaCluster, PipelineDefinition, TopicAdmin, TopicSink } from '../src';
import { startProcess } from '../test/support/pipelineProcess';
import { fmt } from './support/kafkaBaseline';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const COUNTS = (process.argv[3] ?? '1,2,4').split(',').map(Number);
const KEYS = 16;
const PARTITIONS = 6;
const T0 = Date.UTC(2026, 0, 1);

async function main(): Promise<void> {
  const cluster = await KafkaCluster.start({ brokers: 1, heapMb: 1024 });
  const brokers = cluster.bootstrapServers;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-bench-workers-'));
  try {
    const admin = await TopicAdmin.connect({ brokers });
    await admin.createTopic('bench-workers-in', PARTITIONS);
    await admin.disconnect();
    // Record i: key i % 16, 5 ms of event time per round of keys; then one closer per key an hour later.
    const windows = new Set<string>();
    const sink = await TopicSink.open({ topic: 'bench-workers-in', connection: { brokers }, keyField: 'sensor', batchSize: 5000 });
    for (let start = 0; start < RECORDS; start += 10_000) {
      const rows = [];
      for (let i = start; i < Math.min(RECORDS, start + 10_000); i++) {
        const row = { sensor: `s${i % KEYS}`, time: T0 + Math.floor(i / KEYS) * 5, v: (i * 31) % 1000 };
        windows.add(`${row.sensor}@${Math.floor(row.time / 1000)}`);
        rows.push(row);
      }
      await sink.write(rows);
    }
    await sink.write(Array.from({ length: KEYS }, (_, k) => ({ sensor: `s${k}`, time: T0 + 3_600_000 + RECORDS * 5, v: 0 })));
    await sink.close();
    const expected = windows.size;
    console.log(`Apache Kafka ${cluster.version} (one KRaft node), ${os.cpus().length} cores: ${fmt(RECORDS)} records, ${KEYS} keys, ${PARTITIONS} partitions, ${fmt(expected)} windows`);

    const results: { mode: string; workers: number; seconds: number; windows: number }[] = [];
    for (const mode of ['exactly-once', 'at-least-once']) {
      for (const n of COUNTS) {
        const tag = `${mode}-${n}`;
        const definition: PipelineDefinition = {
          name: `bench-${tag}`,
          input: { topic: 'bench-workers-in', timeField: 'time' },
          window: { kind: 'tumbling', size: '1s', keyBy: 'sensor', aggregates: ['count', 'sum(v)', 'max(v)'] },
          output: { topic: `bench-workers-out-${tag}`, partitions: PARTITIONS },
        };
        const file = path.join(dir, `${tag}.json`);
        fs.writeFileSync(file, JSON.stringify(definition));
        const started = Date.now();
        const cli = path.join(__dirname, '..', 'cli', 'main.js');
        const workers = Array.from({ length: n }, () =>
          startProcess(cli, ['worker', file, '--brokers', brokers, '--status', 'json', '--every', '100', ...(mode === 'at-least-once' ? ['--at-least-once'] : [])]),
        );
        const written = () => workers.reduce((sum, w) => sum + Number(w.last()?.windowsWritten ?? 0), 0);
        const deadline = Date.now() + 600_000;
        while (written() < expected) {
          if (Date.now() > deadline) throw new Error(`${tag}: ${written()} of ${expected} windows after 10 minutes`);
          for (const w of workers) if (w.child.exitCode !== null) throw new Error(`${tag}: a worker exited: ${w.stderr()}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const seconds = (Date.now() - started) / 1000;
        for (const w of workers) w.child.kill('SIGTERM');
        await Promise.all(workers.map((w) => w.exited));
        results.push({ mode, workers: n, seconds, windows: written() });
        console.log(`  ${mode.padEnd(13)} ${n} worker(s): ${seconds.toFixed(1)} s, ${fmt(RECORDS / seconds)} records/s, ${fmt(written())} windows written (expected ${fmt(expected)})`);
      }
    }
    console.log('');
    for (const n of COUNTS) {
      const eo = results.find((r) => r.mode === 'exactly-once' && r.workers === n)!;
      const al = results.find((r) => r.mode === 'at-least-once' && r.workers === n)!;
      console.log(`${n} worker(s): exactly-once ${fmt(RECORDS / eo.seconds)} records/s, at-least-once ${fmt(RECORDS / al.seconds)} records/s, ratio ${(al.seconds / eo.seconds).toFixed(2)}`);
    }
    const wrong = results.filter((r) => r.mode === 'exactly-once' && r.windows !== expected);
    if (wrong.length > 0) throw new Error(`exactly-once runs wrote other than ${expected} windows: ${wrong.map((r) => `${r.workers} worker(s) ${r.windows}`).join(', ')}`);
  } finally {
    await cluster.stop({ fast: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
