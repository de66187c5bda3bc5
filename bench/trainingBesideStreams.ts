/**
 * What training costs the live streams of the same kernel: a feed in another process writes 2,000 readings/s
 * stamped with their send time, and a consumer here measures how long each takes to arrive, while this process
 * loads a topic's history and trains an autoencoder on it, on the main thread and on a worker thread in turn.
 * Delays are compared with the quiet stream's in the same run; records behind = delay x rate.
 *
 *   node dist/bench/trainingBesideStreams.js [history=80000] [last=20000] [epochs=8] [rounds=2]
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { EmbeddedBroker, TopicSource, loadHistory, trainModel, useBackend } from '../src';
import { fillTopic, fmt, median } from './support/kafkaBaseline';

const HISTORY = Number(process.argv[2] ?? 80_000);
const LAST = Number(process.argv[3] ?? 20_000);
const EPOCHS = Number(process.argv[4] ?? 8);
const ROUNDS = Number(process.argv[5] ?? 2);
const RATE = 2000;

interface Delays {
  p50: number;
  p99: number;
  max: number;
  records: number;
}

/** Arrival delays of the live records that arrive while `work` runs (and until the stream has caught up). */
class DelayProbe {
  private delays: number[] = [];
  constructor(source: TopicSource) {
    source.subscribe((batch) => {
      const now = Date.now();
      for (const r of batch) this.delays.push(now - Number((r.value as { sentAt: number }).sentAt));
    });
  }

  async during<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; delays: Delays }> {
    this.delays = [];
    const t0 = Date.now();
    const result = await work();
    const ms = Date.now() - t0;
    // Records sent during the work may still be on their way: give the stream a second to catch up.
    await new Promise((r) => setTimeout(r, 1000));
    const sorted = [...this.delays].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return { result, ms, delays: { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN, records: sorted.length } };
  }
}

const line = (d: Delays) => `delay p50 ${fmt(d.p50)} ms, p99 ${fmt(d.p99)} ms, max ${fmt(d.max)} ms (~${fmt((d.max * RATE) / 1000)} records behind at worst; ${fmt(d.records)} records)`;

async function main(): Promise<void> {
  const backend = await useBackend();
  const broker = await EmbeddedBroker.start({ topics: [{ name: 'history', partitions: 8 }, { name: 'live', partitions: 4 }] });
  const feed = fork(path.join(__dirname, 'support', 'liveFeed.js'), [broker.connection.brokers, 'live', String(RATE)], { stdio: 'inherit' });
  const live = new TopicSource({ topic: 'live', connection: broker.connection, from: 'latest' });
  try {
    await fillTopic(broker.connection, 'history', HISTORY, 8);
    const probe = new DelayProbe(live);
    await live.start();
    await new Promise((r) => setTimeout(r, 3000));
    console.log(`embedded broker, backend ${backend.name}; a feed process writes ${fmt(RATE)} records/s to 'live', consumed here; history: ${fmt(HISTORY)} records in 8 partitions`);
    const quiet = await probe.during(() => new Promise((r) => setTimeout(r, 5000)));
    console.log(`quiet (5 s):                     ${line(quiet.delays)}`);
    const loads: { withLive: number; alone: number }[] = [];
    const trains: { main: number; worker: number; mainMax: number; workerMax: number; mainP99: number; workerP99: number }[] = [];
    let rows: Record<string, unknown>[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const load = await probe.during(() => loadHistory({ topic: 'history', connection: broker.connection, last: LAST, timeField: 'time', progress: false }));
      rows = load.result.rows;
      console.log(`round ${round}: history --last ${fmt(LAST)} (read ${fmt(load.result.read)}) in ${fmt(load.ms)} ms beside the live stream; ${line(load.delays)}`);
      await live.pause();
      const t0 = Date.now();
      await loadHistory({ topic: 'history', connection: broker.connection, last: LAST, timeField: 'time', progress: false });
      const alone = Date.now() - t0;
      await live.resume();
      console.log(`round ${round}: the same load with the live stream paused: ${fmt(alone)} ms`);
      loads.push({ withLive: load.ms, alone });
      const options = { kind: 'autoencoder' as const, spec: { columns: ['value'], lags: 8, deltas: true, by: 'sensor' }, epochs: EPOCHS, patience: 0, chart: false };
      const main = await probe.during(() => trainModel(rows, { ...options, thread: false }));
      console.log(`round ${round}: training on the main thread: ${fmt(main.ms)} ms; ${line(main.delays)}`);
      const worker = await probe.during(() => trainModel(rows, { ...options, thread: true }));
      console.log(`round ${round}: training on a worker thread: ${fmt(worker.ms)} ms; ${line(worker.delays)}`);
      if (main.result.model.threshold !== worker.result.model.threshold) throw new Error(`the two trainings differ: thresholds ${main.result.model.threshold} and ${worker.result.model.threshold}`);
      trains.push({ main: main.ms, worker: worker.ms, mainMax: main.delays.max, workerMax: worker.delays.max, mainP99: main.delays.p99, workerP99: worker.delays.p99 });
    }
    const m = (f: (t: (typeof trains)[number]) => number) => median(trains.map(f));
    console.log('');
    console.log(`history load beside the live stream: ${(median(loads.map((l) => l.withLive)) / median(loads.map((l) => l.alone))).toFixed(2)}x the time of the same load alone`);
    console.log(`training: worker thread ${fmt(m((t) => t.worker))} ms vs main thread ${fmt(m((t) => t.main))} ms (${(m((t) => t.worker) / m((t) => t.main)).toFixed(2)}x the time)`);
    console.log(`live stream's worst delay while training: worker thread ${fmt(m((t) => t.workerMax))} ms vs main thread ${fmt(m((t) => t.mainMax))} ms (quiet: ${fmt(quiet.delays.max)} ms); p99 ${fmt(m((t) => t.workerP99))} vs ${fmt(m((t) => t.mainP99))} ms (quiet ${fmt(quiet.delays.p99)} ms)`);
  } finally {
    feed.kill('SIGTERM');
    await live.stop();
    await broker.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
