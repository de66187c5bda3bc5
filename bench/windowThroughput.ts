/**
 * Window engine throughput, in one run: a 10 s tumbling mean/max/count by 16 keys over in-memory records,
 * through (1) streamlab's engine, (a) a plain Map loop computing the same numbers, (b) the naive Danfo way
 * (append each batch to a DataFrame, groupby().agg() at each flush). All three must produce the same windows.
 * Runs alternate so that machine noise hits them alike; medians are compared.
 *
 *   node dist/bench/windowThroughput.js [records=1000000] [rounds=5] [danfoRecords=50000]
 */
import { hopping, sessionWindow, sliding, tumbling, windowed } from '../src';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const DANFO_RECORDS = Number(process.argv[4] ?? 50_000);
const KEYS = 16;
const SIZE_MS = 10_000;
const BATCH = 1000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

interface Row {
  sensor: string;
  time: number;
  value: number;
}

/** Sensor-like records, 10 ms apart, a little out of order (within 200 ms) as Kafka partitions interleave. */
function makeRecords(n: number): Row[] {
  const sensors = Array.from({ length: KEYS }, (_, i) => `sensor-${i}`);
  const rows: Row[] = new Array(n);
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < n; i++) {
    rows[i] = { sensor: sensors[i % KEYS]!, time: T0 + i * 10 - Math.floor(rand() * 200), value: Math.round(Math.sin(i / 100) * 1000) / 10 + rand() };
  }
  return rows;
}

/** key|windowStart -> [mean, max, count]: what every contender must agree on. */
type Results = Map<string, [number, number, number]>;

/** Batches as a Kafka client hands them over, cut once outside the timed runs. */
function batchesOf(rows: Row[]): Row[][] {
  const out: Row[][] = [];
  for (let i = 0; i < rows.length; i += BATCH) out.push(rows.slice(i, i + BATCH));
  return out;
}

function engine(batches: Row[][], graceMs: number): Results {
  const w = windowed({
    window: tumbling(SIZE_MS),
    keyBy: 'sensor',
    grace: graceMs,
    aggregates: { value: ['mean', 'max'], '*': ['count'] },
    retain: { windows: 1_000_000 },
  });
  for (const batch of batches) w.addBatch(batch);
  w.flush();
  const c = w.closedColumns();
  const out: Results = new Map();
  for (let i = 0; i < c.windowStart!.length; i++) {
    out.set(`${c.sensor![i]}|${c.windowStart![i]}`, [c.mean_value![i] as number, c.max_value![i] as number, c.count![i] as number]);
  }
  if (w.late.count !== 0) throw new Error(`engine saw ${w.late.count} late records`);
  return out;
}

/** What one would write by hand: nested Maps of running sums, read out at the end. */
function plainLoop(batches: Row[][]): Results {
  const bySensor = new Map<string, Map<number, { count: number; sum: number; max: number }>>();
  for (const batch of batches) {
    for (let j = 0; j < batch.length; j++) {
      const r = batch[j]!;
      const start = r.time - (r.time % SIZE_MS);
      let windows = bySensor.get(r.sensor);
      if (!windows) bySensor.set(r.sensor, (windows = new Map()));
      let acc = windows.get(start);
      if (!acc) windows.set(start, (acc = { count: 0, sum: 0, max: -Infinity }));
      acc.count++;
      acc.sum += r.value;
      if (r.value > acc.max) acc.max = r.value;
    }
  }
  const out: Results = new Map();
  for (const [sensor, windows] of bySensor) for (const [start, a] of windows) out.set(`${sensor}|${start}`, [a.sum / a.count, a.max, a.count]);
  return out;
}

/** The naive Danfo way: append each batch's rows to a frame; at each flush group the frame and keep open rows. */
function naiveDanfo(batches: Row[][]): Results {
  const dfd = require('danfojs-node') as typeof import('danfojs-node');
  const out: Results = new Map();
  let frame: InstanceType<typeof dfd.DataFrame> | undefined;
  let maxTime = -Infinity;
  const flush = (closeBefore: number) => {
    if (!frame) return;
    const starts = frame.column('windowStart');
    const closingMask = starts.lt(closeBefore);
    const closingRows = (closingMask.values as boolean[]).filter(Boolean).length;
    if (closingRows === 0) return;
    // Danfo's query() fails on an all-false mask, so the all-closing case is handled on its own.
    const closing = closingRows === frame.shape[0] ? frame : frame.query(closingMask);
    const g = closing.groupby(['sensor', 'windowStart']).agg({ value: ['mean', 'max', 'count'] });
    for (const [sensor, start, mean, max, count] of g.values as [string, number, number, number, number][]) out.set(`${sensor}|${start}`, [mean, max, count]);
    frame = closingRows === frame.shape[0] ? undefined : (frame.query(starts.ge(closeBefore)) as typeof frame);
  };
  for (const batch of batches) {
    for (const r of batch) maxTime = Math.max(maxTime, r.time);
    const df = new dfd.DataFrame({
      sensor: batch.map((r) => r.sensor),
      windowStart: batch.map((r) => r.time - (r.time % SIZE_MS)),
      value: batch.map((r) => r.value),
    });
    frame = frame ? (dfd.concat({ dfList: [frame, df], axis: 0 }) as typeof df) : df;
    // Flush the windows the latest event time has closed, keeping the previous one open for the 200 ms disorder.
    flush(maxTime - (maxTime % SIZE_MS) - SIZE_MS);
  }
  flush(Infinity);
  return out;
}

function time<T>(fn: () => T): { result: T; seconds: number } {
  const start = performance.now();
  const result = fn();
  return { result, seconds: (performance.now() - start) / 1000 };
}

function same(a: Results, b: Results, label: string): void {
  if (a.size !== b.size) throw new Error(`${label}: ${a.size} windows vs ${b.size}`);
  for (const [k, [mean, max, count]] of a) {
    const o = b.get(k);
    if (!o || Math.abs(o[0] - mean) > 1e-9 * Math.max(1, Math.abs(mean)) || o[1] !== max || o[2] !== count) {
      throw new Error(`${label}: window ${k} differs: ${JSON.stringify([mean, max, count])} vs ${JSON.stringify(o)}`);
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function main(): void {
  const rows = makeRecords(RECORDS);
  const batches = batchesOf(rows);
  const danfoBatches = batchesOf(rows.slice(0, DANFO_RECORDS));
  const grace = 200;
  // The first pass checks that the contenders agree and warms up the JIT.
  const reference = plainLoop(batches);
  same(reference, engine(batches, grace), 'engine vs plain loop');
  const danfoCheck = time(() => naiveDanfo(danfoBatches));
  same(plainLoop(danfoBatches), danfoCheck.result, 'naive Danfo vs plain loop');
  console.log(`${fmt(RECORDS)} records in batches of ${BATCH}, ${KEYS} keys, tumbling 10s mean/max/count: ${fmt(reference.size)} windows, results agree`);

  const ours: number[] = [];
  const plain: number[] = [];
  const danfo: number[] = [DANFO_RECORDS / danfoCheck.seconds];
  for (let round = 1; round <= ROUNDS; round++) {
    const e = time(() => engine(batches, grace));
    const p = time(() => plainLoop(batches));
    ours.push(RECORDS / e.seconds);
    plain.push(RECORDS / p.seconds);
    if (round <= 2) danfo.push(DANFO_RECORDS / time(() => naiveDanfo(danfoBatches)).seconds);
    console.log(`round ${round}: engine ${fmt(RECORDS / e.seconds)} ev/s, plain Map loop ${fmt(RECORDS / p.seconds)} ev/s`);
  }
  console.log(`naive Danfo on the first ${fmt(DANFO_RECORDS)} records (it is too slow for all), ${danfo.length} runs: ${fmt(median(danfo))} ev/s`);
  const vsPlain = median(ours) / median(plain);
  const vsDanfo = median(ours) / median(danfo);
  console.log(`median: engine ${fmt(median(ours))} ev/s, plain ${fmt(median(plain))} ev/s, naive Danfo ${fmt(median(danfo))} ev/s`);
  console.log(`ratio engine/plain ${vsPlain.toFixed(2)} (target >= 0.50), engine/naive Danfo ${vsDanfo.toFixed(1)} (target >= 20)`);

  // Not targets, for scale: hopping multiplies the work by size/advance; quantiles add a sketch per window.
  for (const [label, make] of [
    ['hopping 10s/2s mean/max/count', () => windowed({ window: hopping('10s', '2s'), keyBy: 'sensor', grace, aggregates: { value: ['mean', 'max'], '*': ['count'] } })],
    ['hopping 10s/2s mean/max/p99/count', () => windowed({ window: hopping('10s', '2s'), keyBy: 'sensor', grace, aggregates: { value: ['mean', 'max', 'p99'], '*': ['count'] } })],
    ['sliding 10s mean/max/count', () => windowed({ window: sliding('10s'), keyBy: 'sensor', grace, aggregates: { value: ['mean', 'max'], '*': ['count'] } })],
    ['session 1s mean/max/count', () => windowed({ window: sessionWindow('1s'), keyBy: 'sensor', grace, aggregates: { value: ['mean', 'max'], '*': ['count'] } })],
  ] as const) {
    const n = label.startsWith('sliding') ? Math.min(RECORDS, 200_000) : RECORDS;
    const some = batches.slice(0, n / BATCH);
    const r = time(() => {
      const w = make();
      for (const batch of some) w.addBatch(batch);
      w.flush();
    });
    console.log(`for scale: ${label} ${fmt(n / r.seconds)} ev/s`);
  }
}

main();
