/**
 * The chart's decimation against brute force: for random series (out-of-order arrivals, duplicate x, spans and
 * capacities that evict), every bucket shows exactly its first, min, max and last point, and a frontend that folds
 * the incremental frames (protocol/traceMerge.ts) ends up with the same points as a full replacement.
 * Each case prints its seed when it fails; rerun one with PLOT_SEED=<seed>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/demo/random';
import { LineTrace } from '../src/plot/lineTrace';
import { decimateRange } from '../src/plot/minMaxGrid';
import { mergeTrace, TracePoints } from '../protocol/traceMerge';

const SEEDS = process.env.PLOT_SEED ? [Number(process.env.PLOT_SEED)] : Array.from({ length: 40 }, (_, i) => 7000 + i);

interface P {
  x: number;
  y: number;
  arrival: number;
}

/** What a bucket must show: first and last by x (ties: arrival), lowest and highest y (ties: first seen). */
function expectedBucket(points: P[]): Set<string> {
  let first = points[0]!;
  let last = points[0]!;
  let min = points[0]!;
  let max = points[0]!;
  for (const p of points) {
    if (p.x < first.x) first = p;
    if (p.x >= last.x) last = p;
    if (p.y < min.y) min = p;
    if (p.y > max.y) max = p;
  }
  return new Set([first, min, max, last].map((p) => `${p.x},${p.y}`));
}

function bruteForce(points: P[], width: number): Map<number, Set<string>> {
  const byBucket = new Map<number, P[]>();
  for (const p of points) {
    const k = Math.floor(p.x / width);
    if (!byBucket.has(k)) byBucket.set(k, []);
    byBucket.get(k)!.push(p);
  }
  return new Map([...byBucket].map(([k, ps]) => [k, expectedBucket(ps.sort((a, b) => a.arrival - b.arrival))]));
}

function shownByBucket(x: number[], y: number[], width: number): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (let i = 0; i < x.length; i++) {
    const k = Math.floor(x[i]! / width);
    if (!out.has(k)) out.set(k, new Set());
    out.get(k)!.add(`${x[i]},${y[i]}`);
  }
  return out;
}

function randomSeries(rng: SeededRandom, n: number): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  let t = 1_700_000_000_000 + rng.int(0, 1000);
  for (let i = 0; i < n; i++) {
    t += rng.int(0, 40); // duplicate x now and then
    // Some arrivals are late: up to two seconds behind the newest.
    const x = rng.next() < 0.1 ? t - rng.int(0, 2000) : t;
    const y = rng.next() < 0.02 ? rng.normal() * 50 : Math.round(rng.normal() * 100) / 10;
    out.push({ x, y });
  }
  return out;
}

for (const seed of SEEDS) {
  test(`seed ${seed}: every bucket shows its first, min, max and last point; frames fold to the full view`, () => {
    const rng = new SeededRandom(seed);
    const n = rng.int(50, 6000);
    const buckets = rng.int(4, 60);
    const capacity = rng.next() < 0.5 ? rng.int(20, 3000) : 1_000_000;
    const span = rng.next() < 0.5 ? rng.int(500, 60_000) : undefined;
    const trace = new LineTrace('t', 't', capacity, buckets);
    const accepted: P[] = [];
    let maxX = -Infinity;
    let frontend: TracePoints | undefined;
    const series = randomSeries(rng, n);
    for (const [i, p] of series.entries()) {
      if (trace.add(p.x, p.y)) accepted.push({ ...p, arrival: i });
      maxX = Math.max(maxX, p.x);
      if (span !== undefined) trace.evictBelow(maxX - span);
      assert.ok(trace.size <= capacity, `seed ${seed}: ${trace.size} points held, capacity ${capacity}`);
      if (rng.next() < 0.05) {
        const u = trace.takeUpdate();
        if (u) frontend = mergeTrace(frontend, u);
      }
    }
    const u = trace.takeUpdate();
    if (u) frontend = mergeTrace(frontend, u);
    trace.invalidate();
    const full = trace.takeUpdate()!;
    assert.equal(full.mode, 'replace');
    assert.deepEqual(frontend?.x ?? [], full.x, `seed ${seed}: incremental frames fold to the full x`);
    assert.deepEqual(frontend?.y ?? [], full.y, `seed ${seed}: incremental frames fold to the full y`);

    const live = accepted.filter((p) => p.x >= trace.viewStart);
    if (span !== undefined) assert.ok(live.every((p) => p.x >= maxX - span - trace.bucketWidth), `seed ${seed}: nothing older than the span and one bucket`);
    const width = trace.bucketWidth;
    assert.equal(trace.countIn(-Infinity, Infinity), live.length, `seed ${seed}: the raw points held are the live ones`);
    if (width > 0) assert.equal(trace.gridPoints, live.length, `seed ${seed}: the grid summarises exactly the points held`);
    for (let i = 1; i < full.x.length; i++) assert.ok(Number(full.x[i]) >= Number(full.x[i - 1]), `seed ${seed}: points in x order`);
    if (width === 0) {
      // Too few points for a grid: the raw points themselves.
      assert.deepEqual(new Set(full.x.map((x, i) => `${x},${full.y[i]}`)), new Set(live.map((p) => `${p.x},${p.y}`)), `seed ${seed}`);
      return;
    }
    const expected = bruteForce(live, width);
    const shown = shownByBucket(full.x as number[], full.y, width);
    assert.deepEqual([...shown.keys()].sort((a, b) => a - b), [...expected.keys()].sort((a, b) => a - b), `seed ${seed}: the same buckets`);
    for (const [k, set] of expected) assert.deepEqual(shown.get(k), set, `seed ${seed}: bucket ${k} (width ${width})`);
    assert.ok(full.x.length <= 4 * 2 * buckets, `seed ${seed}: at most four points per bucket, at most 2x target buckets (${full.x.length})`);

    // The static frame's overview: the grid's buckets merged in aligned groups. For some group width, every group
    // shows its first and last x and its lowest and highest y (compared as values: equal values may be either point).
    const parts = rng.int(1, 40);
    const overview = trace.overview(parts);
    assert.ok(overview.x.length <= 4 * (parts + 1), `seed ${seed}: overview in ${parts} parts shows ${overview.x.length} points`);
    const held = new Set(live.map((p) => `${p.x},${p.y}`));
    assert.ok(overview.x.every((x, i) => held.has(`${x},${overview.y[i]}`)), `seed ${seed}: the overview shows only points the trace holds`);
    const extremes = (ps: { x: number; y: number }[], w: number) => {
      const out = new Map<number, string>();
      const by = new Map<number, { x: number; y: number }[]>();
      for (const p of ps) {
        const k = Math.floor(p.x / w);
        if (!by.has(k)) by.set(k, []);
        by.get(k)!.push(p);
      }
      for (const [k, g] of by) out.set(k, [Math.min(...g.map((p) => p.x)), Math.max(...g.map((p) => p.x)), Math.min(...g.map((p) => p.y)), Math.max(...g.map((p) => p.y))].join(','));
      return out;
    };
    const shownPoints = overview.x.map((x, i) => ({ x, y: overview.y[i]! }));
    const exactFor = Array.from({ length: 2 * buckets }, (_, g) => (g + 1) * width).find((w) => {
      const want = extremes(live, w);
      const got = extremes(shownPoints, w);
      return got.size === want.size && [...want].every(([k, v]) => got.get(k) === v);
    });
    assert.ok(exactFor !== undefined, `seed ${seed}: the overview keeps each group's first, last, min and max for some group of grid buckets`);
  });
}

test('a million points decimate to a few thousand: the grid holds target..2·target buckets', () => {
  const trace = new LineTrace('t', 't', 2_000_000, 400);
  const rng = new SeededRandom(3);
  for (let i = 0; i < 1_000_000; i++) trace.add(i, Math.sin(i / 5000) + rng.normal() * 0.1);
  const u = trace.takeUpdate()!;
  assert.ok(u.x.length <= 3200 && u.x.length >= 400, `${u.x.length} points shown for a million`);
  assert.equal(trace.size, 1_000_000);
});

test('decimateRange keeps each bucket of a range: first, min, max and last', () => {
  const rng = new SeededRandom(11);
  const pts: P[] = Array.from({ length: 5000 }, (_, i) => ({ x: rng.int(0, 100_000), y: rng.normal(), arrival: i }));
  const { x, y } = decimateRange((visit) => pts.forEach((p) => visit(p.x, p.y)), 20_000, 60_000, 50);
  const width = 40_000 / 50;
  const inRange = pts.filter((p) => p.x >= 20_000 && p.x <= 60_000);
  const expected = new Map<number, P[]>();
  for (const p of inRange) {
    const k = Math.min(49, Math.floor((p.x - 20_000) / width));
    if (!expected.has(k)) expected.set(k, []);
    expected.get(k)!.push(p);
  }
  const shown = new Map<number, Set<string>>();
  for (let i = 0; i < x.length; i++) {
    const k = Math.min(49, Math.floor((x[i]! - 20_000) / width));
    if (!shown.has(k)) shown.set(k, new Set());
    shown.get(k)!.add(`${x[i]},${y[i]}`);
  }
  for (const [k, ps] of expected) assert.deepEqual(shown.get(k), expectedBucket(ps), `bucket ${k}`);
  assert.equal(shown.size, expected.size);
});
