/**
 * VUS-PR (Paparrizos et al., PVLDB 2022, as TSB-AD computes it): its defining properties, a hand-computed case, agreement
 * with a direct (slow) transcription of the definition, and its speed on NAB's longest file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { defaultNabDir, labelRanges, rangeAucPrByBuffer, readSeries, readWindows, rowLabels, vusPr, windowRows } from '../src/models/nab';

const ROOT = path.join(__dirname, '..', '..');

/** A seeded generator (mulberry32), so the random cases are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 2000 rows with three anomaly ranges. */
function series(): Uint8Array {
  const labels = new Uint8Array(2000);
  labels.fill(1, 300, 340);
  labels.fill(1, 900, 960);
  labels.fill(1, 1500, 1520);
  return labels;
}

/**
 * The definition transcribed directly, O(L x thresholds x n): soft labels sqrt(1 - d/l) on floor(l/2) rows each side
 * (summed, capped at 1), extended ranges merged when they overlap, recall min(TP / (P + B/2), 1) x existence,
 * precision TP / predicted, AUC-PR the step sum over thresholds at ranks floor(k (n-1) / (K-1)).
 */
function slowByBuffer(labels: ArrayLike<number>, scores: number[], window: number, thresholds = 250): number[] {
  const n = labels.length;
  const ranges = labelRanges(labels);
  const positives = Array.from(labels).filter((x) => x > 0).length;
  const sorted = [...scores].sort((a, b) => b - a);
  const out: number[] = [];
  for (let l = 0; l <= 2 * window; l++) {
    const half = Math.floor(l / 2);
    const soft = new Array<number>(n).fill(0);
    for (const [a, b] of ranges) {
      for (let d = 1; d <= half; d++) {
        if (a - d >= 0) soft[a - d]! += Math.sqrt(1 - d / l);
        if (b + d < n) soft[b + d]! += Math.sqrt(1 - d / l);
      }
    }
    const label = soft.map((s, i) => (labels[i]! > 0 ? 1 : Math.min(1, s)));
    const extended: [number, number][] = [];
    for (const [a, b] of ranges) {
      const [s, e] = [Math.max(0, a - half), Math.min(n - 1, b + half)];
      const last = extended[extended.length - 1];
      if (last && s <= last[1]) last[1] = Math.max(last[1], e);
      else extended.push([s, e]);
    }
    let auc = 0;
    let previous = 0;
    for (let k = 0; k < thresholds; k++) {
      const rank = k === thresholds - 1 ? n - 1 : Math.floor((k * (n - 1)) / (thresholds - 1));
      const pred = scores.map((s) => s >= sorted[rank]!);
      let tp = 0;
      let buffer = 0;
      let predicted = 0;
      for (let i = 0; i < n; i++) {
        if (!pred[i]) continue;
        predicted++;
        tp += label[i]!;
        if (!(labels[i]! > 0)) buffer += label[i]!;
      }
      const existing = extended.filter(([s, e]) => pred.slice(s, e + 1).some((p) => p)).length;
      const recall = Math.min(tp / (positives + buffer / 2), 1) * (existing / extended.length);
      auc += (recall - previous) * (tp / predicted);
      previous = recall;
    }
    out.push(auc);
  }
  return out;
}

test('a perfect detector (1 exactly on the anomaly rows) gets VUS-PR 1', () => {
  const labels = series();
  assert.equal(vusPr(labels, Array.from(labels)), 1);
  assert.equal(vusPr(labels, Array.from(labels, (x) => x * 0.9 + 0.05)), 1, 'any scores that rank anomalies first');
});

/** What predicting every row earns at buffer l: (P + the soft labels of all buffer rows) / n, for series() (no overlaps). */
function everything(l: number): number {
  let soft = 0;
  for (let d = 1; d <= Math.floor(l / 2); d++) soft += 6 * Math.sqrt(1 - d / l); // three ranges, two sides each
  return (120 + soft) / 2000;
}

test('a constant score gets about the anomaly ratio (plus its buffers\' soft labels): low', () => {
  const labels = series();
  const ratio = 120 / 2000;
  const byBuffer = rangeAucPrByBuffer(labels, new Array(2000).fill(0.5));
  assert.equal(byBuffer.length, 201, 'l = 0..200: TSB-AD\'s default sliding window 100');
  assert.ok(Math.abs(byBuffer[0]! - ratio) < 1e-12, `l = 0: precision of predicting everything, ${byBuffer[0]}`);
  byBuffer.forEach((v, l) => assert.ok(Math.abs(v - everything(l)) < 1e-12, `l = ${l}: ${v} vs ${everything(l)}`));
  const v = vusPr(labels, new Array(2000).fill(0.5));
  assert.ok(v > ratio && v < 0.25, `constant: ${v} vs ratio ${ratio}`);
});

test('random scores rank below a detector that peaks inside the windows', () => {
  const labels = series();
  const rnd = random(7);
  const noise = Array.from(labels, () => rnd());
  const peaks = Array.from(labels, (x) => 0.6 * rnd() + (x > 0 ? 0.2 + 0.6 * rnd() : 0)); // noisy, higher inside the windows
  const late = Array.from(labels, (x, i) => 0.6 * rnd() + (labels[i - 5] && !x ? 1 : 0)); // peaks just after the windows
  const vNoise = vusPr(labels, noise);
  const vPeaks = vusPr(labels, peaks);
  const constant = vusPr(labels, new Array(2000).fill(0.5));
  assert.ok(vNoise < 0.25 && Math.abs(vNoise - constant) < 0.05, `random ${vNoise} is about a constant's ${constant}`);
  assert.ok(vPeaks > 0.5 && vPeaks > 2 * vNoise, `peaks inside windows ${vPeaks} vs random ${vNoise}`);
  const vLate = vusPr(labels, late);
  assert.ok(vLate > vNoise && vLate < vPeaks, `peaks just after the windows earn buffer credit: ${vLate}`);
  assert.equal(rangeAucPrByBuffer(labels, late)[0]! < 0.1, true, 'but none without a buffer');
});

test('VUS-PR depends only on the order of the scores: invariant to monotone transforms', () => {
  const labels = series();
  const rnd = random(11);
  const scores = Array.from(labels, (x) => rnd() + 0.5 * x * rnd());
  const base = vusPr(labels, scores);
  for (const f of [(s: number) => 3 * s + 7, (s: number) => Math.exp(5 * s), (s: number) => s ** 3 - 100, (s: number) => Math.log(s + 1e-9)]) {
    assert.equal(vusPr(labels, scores.map(f)), base);
  }
});

test('with buffer l = 0 and one anomaly range it is the ordinary (average-precision) AUC-PR, by hand', () => {
  const labels = [0, 0, 1, 1, 0, 0, 0, 0];
  const scores = [0.1, 0.9, 0.8, 0.3, 0.2, 0.05, 0.0, 0.15];
  // Falling scores: 0.9 (normal), 0.8 (anomaly): recall 1/2, precision 1/2; then 0.3 (anomaly): recall 1, precision 2/3.
  // AP = (1/2 - 0) x 1/2 + (1 - 1/2) x 2/3 = 7/12.
  const byBuffer = rangeAucPrByBuffer(labels, scores, { slidingWindow: 1 });
  assert.equal(byBuffer.length, 3, 'l = 0, 1, 2');
  assert.ok(Math.abs(byBuffer[0]! - 7 / 12) < 1e-12, `${byBuffer[0]}`);
  assert.equal(byBuffer[1], byBuffer[0], 'l = 1 has no buffer rows (floor(1/2) = 0)');
  // l = 2: one buffer row each side (rows 1 and 4) weighing sqrt(1/2); row 1 scores highest. At 0.9: TP = w, P' = 2 + w/2,
  // existence 1; at 0.8: TP = 1 + w; at 0.3: TP = 2 + w; at 0.2: TP = 2 + 2w, P' = 2 + w, recall capped at 1.
  const w = Math.SQRT1_2;
  const r1 = w / (2 + w / 2);
  const r2 = (1 + w) / (2 + w / 2);
  const expected = r1 * (w / 1) + (r2 - r1) * ((1 + w) / 2) + (1 - r2) * ((2 + w) / 3);
  assert.ok(Math.abs(byBuffer[2]! - expected) < 1e-12, `${byBuffer[2]} vs ${expected}`);
  assert.ok(Math.abs(vusPr(labels, scores, { slidingWindow: 1 }) - (2 * (7 / 12) + expected) / 3) < 1e-12);
});

test('the fast computation equals a direct transcription of the definition, buffer by buffer', () => {
  for (const seed of [1, 2, 3]) {
    const rnd = random(seed);
    const n = 600;
    const labels = new Uint8Array(n);
    labels.fill(1, 0, 4); // a range at the very start, one at the end, and two close enough for their buffers to merge
    labels.fill(1, 100, 130);
    labels.fill(1, 140, 150);
    labels.fill(1, 400, 460);
    labels.fill(1, 590, 600);
    // Ties included: scores on a coarse grid.
    const scores = Array.from(labels, (x) => Math.round((rnd() + 0.4 * x * rnd()) * 40) / 40);
    const fast = rangeAucPrByBuffer(labels, scores, { slidingWindow: 12 });
    const slow = slowByBuffer(labels, scores, 12);
    assert.equal(fast.length, 25);
    fast.forEach((v, l) => assert.ok(Math.abs(v - slow[l]!) < 1e-9, `seed ${seed}, l = ${l}: ${v} vs ${slow[l]}`));
    // Fewer rows than thresholds: every rank is a threshold.
    const small = rangeAucPrByBuffer(labels.slice(80, 200), scores.slice(80, 200), { slidingWindow: 5 });
    slowByBuffer(labels.slice(80, 200), scores.slice(80, 200), 5).forEach((v, l) => assert.ok(Math.abs(v - small[l]!) < 1e-9));
  }
});

test('NAB labels from the windows: a 22,695-row file in well under a second; undefined without anomalies', () => {
  const nab = defaultNabDir(ROOT);
  const windows = readWindows(path.join(nab, 'combined_windows.json'));
  const key = 'realKnownCause/machine_temperature_system_failure.csv';
  const { times, values } = readSeries(path.join(nab, 'machine_temperature_system_failure.csv'), false);
  const labels = rowLabels(times.length, windowRows(times, windows.get(key)!, key));
  assert.equal(times.length, 22695);
  assert.equal(labelRanges(labels).length, 4);
  const started = performance.now();
  const v = vusPr(labels, values.map((x) => -x)); // the failure is a temperature drop
  const ms = performance.now() - started;
  assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
  assert.ok(v > 0 && v < 1);
  assert.equal(vusPr(labels, Array.from(labels)), 1);
  assert.throws(() => vusPr(new Uint8Array(10), new Array(10).fill(0)), /VUS-PR is undefined without anomalies/);
  assert.throws(() => vusPr([0, 1], [0, NaN]), /score of row 1 is not a finite number/);
});
