/**
 * Randomised tests of every window kind against the brute-force oracle in windowOracle.ts: out-of-order and late
 * records, several keys, every aggregate, and which windows are closed or still open before the final flush.
 * Each case prints its seed when it fails; rerun one with WINDOW_SEED=<seed>.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/demo/random';
import { Reducer, hopping, sessionWindow, sliding, tumbling, windowed, WindowedStream } from '../src/window';
import { Kind, TestRecord, assertUsableFirst, compareRows, oracle } from './windowOracle';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const SEEDS = process.env.WINDOW_SEED ? [Number(process.env.WINDOW_SEED)] : Array.from({ length: 25 }, (_, i) => 1000 + i);

const sumOfSquares: Reducer<number, number> = {
  name: 'sumsq',
  init: () => 0,
  add: (s, v) => (typeof v === 'number' && Number.isFinite(v) ? s + v * v : s),
  merge: (a, b) => a + b,
  result: (s) => s,
};

const AGGREGATES = {
  value: ['count', 'sum', 'mean', 'min', 'max', 'variance', 'stddev', 'first', 'last', 'distinct', 'p50', 'p90', 'p99', 'median', sumOfSquares],
  tag: ['first', 'last', 'distinct'],
  '*': ['count'],
};

interface GenOptions {
  n: number;
  /** Largest step of the event-time clock between records. */
  stepMax: number;
  /** Records are moved back in time by up to this much (some of them become late). */
  disorder: number;
  /** Boundaries records are snapped onto now and then (window size or advance). */
  boundary: number;
}

function generate(seed: number, o: GenOptions): TestRecord[] {
  const rng = new SeededRandom(seed);
  const granularity = 50;
  const records: TestRecord[] = [];
  let clock = T0 + rng.int(0, 20) * granularity;
  for (let i = 0; i < o.n; i++) {
    clock += rng.int(0, Math.round(o.stepMax / granularity)) * granularity;
    let t = clock;
    const roll = rng.next();
    if (roll < 0.2) t = clock - rng.int(0, Math.round(o.disorder / granularity)) * granularity;
    else if (roll < 0.27) t = Math.floor(clock / o.boundary) * o.boundary - (rng.next() < 0.3 ? 1 : 0);
    const r: TestRecord = { time: t, sensor: `s${rng.int(0, 2)}`, site: rng.next() < 0.5 ? 'north' : 'south' };
    const v = rng.next();
    if (i === 0 || v < 0.88) r.value = rng.next() < 0.1 ? rng.int(-3, 3) : Math.round(rng.normal() * 40000 + 5000) / 1000;
    else if (v < 0.94) r.value = 'bad';
    else if (v < 0.97) r.value = null;
    r.tag = rng.next() < 0.05 ? null : `x${rng.int(0, 5)}`;
    records.push(r);
  }
  assertUsableFirst(records);
  return records;
}

function feed(w: WindowedStream, records: TestRecord[], seed: number): void {
  // Mix single adds and batches of random sizes, as a Kafka source would deliver them.
  const rng = new SeededRandom(seed ^ 0x5bd1);
  let i = 0;
  while (i < records.length) {
    if (rng.next() < 0.3) {
      w.add(records[i++]);
    } else {
      const n = rng.int(1, 25);
      w.addBatch(records.slice(i, i + n));
      i += n;
    }
  }
}

function runCase(seed: number, kind: Kind, grace: number, keyBy: (keyof TestRecord)[], gen: GenOptions | TestRecord[]): void {
  const label = `seed ${seed} ${JSON.stringify(kind)} grace ${grace} keyBy ${keyBy.join('+') || '-'}`;
  const records = Array.isArray(gen) ? gen : generate(seed, gen);
  const spec = kind.kind === 'tumbling' ? tumbling(kind.size) : kind.kind === 'hopping' ? hopping(kind.size, kind.advance) : kind.kind === 'sliding' ? sliding(kind.size) : sessionWindow(kind.gap);
  const w = windowed({ window: spec, keyBy: keyBy as string[], grace, aggregates: AGGREGATES, retain: { windows: 100_000 } });
  feed(w, records, seed);
  const o = oracle(records, kind, grace, keyBy);
  const keys = keyBy as string[];

  // Before the flush: exactly the windows whose close time the watermark has reached are closed.
  assert.equal(w.watermark, o.finalWatermark, `${label}: watermark`);
  const closedNow = o.windows.filter((x) => x.closesAt <= o.finalWatermark);
  const openNow = o.windows.filter((x) => x.closesAt > o.finalWatermark);
  compareRows(`${label} (closed before flush)`, w.closedRows(), closedNow, records, keys, w.columns);
  compareRows(`${label} (open before flush)`, w.openRows(), openNow, records, keys, w.columns);
  assert.equal(w.late.count, o.late, `${label}: late records`);
  assert.equal(w.late.dropped, o.dropped.size, `${label}: dropped late records`);
  const nonNumeric = records.filter((r, i) => typeof r.value !== 'number' && !o.dropped.has(i)).length;
  assert.equal(w.invalid.count, nonNumeric, `${label}: records with a non-numeric value set aside`);

  w.flush();
  compareRows(`${label} (after flush)`, w.closedRows(), o.windows, records, keys, w.columns);
  assert.equal(w.openRows().length, 0, `${label}: nothing open after flush`);
}

function graceFor(seed: number, size: number): number {
  return [0, 0, Math.round(size / 2), size * 2][seed % 4]!;
}

describe('oracle: tumbling windows', () => {
  test('random streams, one key', () => {
    for (const seed of SEEDS) runCase(seed, { kind: 'tumbling', size: 1000 }, graceFor(seed, 1000), ['sensor'], { n: 300, stepMax: 150, disorder: 2500, boundary: 1000 });
  });
  test('random streams, two keys and no key', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      runCase(seed, { kind: 'tumbling', size: 2000 }, graceFor(seed, 2000), ['site', 'sensor'], { n: 250, stepMax: 200, disorder: 3000, boundary: 2000 });
      runCase(seed, { kind: 'tumbling', size: 2000 }, graceFor(seed, 2000), [], { n: 250, stepMax: 200, disorder: 3000, boundary: 2000 });
    }
  });
  test('dense windows, where quantiles come from the sketch rather than exact values', () => {
    for (const seed of SEEDS.slice(0, 4)) runCase(seed, { kind: 'tumbling', size: 60_000 }, graceFor(seed, 1000), ['sensor'], { n: 2500, stepMax: 100, disorder: 1500, boundary: 60_000 });
  });
});

describe('oracle: hopping windows', () => {
  test('random streams, one key', () => {
    for (const seed of SEEDS) runCase(seed, { kind: 'hopping', size: 1000, advance: 250 }, graceFor(seed, 500), ['sensor'], { n: 300, stepMax: 100, disorder: 2000, boundary: 250 });
  });
  test('advance that does not divide the size, two keys', () => {
    for (const seed of SEEDS.slice(0, 10)) runCase(seed, { kind: 'hopping', size: 1000, advance: 300 }, graceFor(seed, 500), ['site', 'sensor'], { n: 250, stepMax: 100, disorder: 2000, boundary: 300 });
  });
});

describe('oracle: sliding windows', () => {
  test('random streams, one key', () => {
    for (const seed of SEEDS) runCase(seed, { kind: 'sliding', size: 1000 }, graceFor(seed, 500), ['sensor'], { n: 250, stepMax: 200, disorder: 2000, boundary: 1000 });
  });
  test('two keys and no key', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      runCase(seed, { kind: 'sliding', size: 700 }, graceFor(seed, 400), ['site', 'sensor'], { n: 200, stepMax: 200, disorder: 1500, boundary: 700 });
      runCase(seed, { kind: 'sliding', size: 700 }, graceFor(seed, 400), [], { n: 200, stepMax: 200, disorder: 1500, boundary: 700 });
    }
  });
});

/**
 * Dense runs of records (past the sketch's exact limit, values of both signs) split into sessions by gaps,
 * then joined by records arriving late into the gaps: the engine merges sessions whose quantiles are sketches.
 */
function denseSessions(seed: number, gap: number): TestRecord[] {
  const rng = new SeededRandom(seed);
  const records: TestRecord[] = [];
  const runs = [300, 60, 400, 200];
  let t = T0;
  const starts: number[] = [];
  for (const n of runs) {
    starts.push(t);
    for (let i = 0; i < n; i++) {
      records.push({ time: t, sensor: 's0', site: 'north', value: rng.next() < 0.1 ? rng.int(-3, 3) : Math.round(rng.normal() * 40000 + 5000) / 1000, tag: `x${rng.int(0, 5)}` });
      t += rng.int(1, 4) * 10;
    }
    t += gap + 100 + rng.int(0, 10) * 10;
  }
  // One record in the middle of each gap bridges the sessions either side of it.
  for (let k = 1; k < starts.length; k++) records.push({ time: starts[k]! - Math.round((gap + 100) / 2), sensor: 's0', site: 'north', value: -1.5, tag: 'x0' });
  return records;
}

describe('oracle: session windows', () => {
  test('dense sessions merged by late records, quantiles from merged sketches', () => {
    for (const seed of SEEDS.slice(0, 4)) runCase(seed, { kind: 'session', gap: 400 }, 60_000, ['sensor'], denseSessions(seed, 400));
  });
  test('random streams, one key', () => {
    for (const seed of SEEDS) runCase(seed, { kind: 'session', gap: 400 }, graceFor(seed, 500), ['sensor'], { n: 250, stepMax: 500, disorder: 2000, boundary: 1000 });
  });
  test('two keys and no key', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      runCase(seed, { kind: 'session', gap: 300 }, graceFor(seed, 400), ['site', 'sensor'], { n: 200, stepMax: 400, disorder: 1500, boundary: 1000 });
      runCase(seed, { kind: 'session', gap: 300 }, graceFor(seed, 400), [], { n: 200, stepMax: 400, disorder: 1500, boundary: 1000 });
    }
  });
});
