/**
 * The bounded-memory estimators against exact answers: quantiles within their documented relative error
 * (exact for small windows), distinct counts exact up to their limit and within the HyperLogLog error past it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/demo/random';
import { DistinctCounter, QuantileSketch, SketchConfig } from '../src/window';
import { EXACT_LIMIT } from '../src/window/distinctCounter';
import { EXACT_VALUES } from '../src/window/quantileSketch';

const QS = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1];

/** The lower nearest-rank quantile, the definition the sketch documents. */
const exactQuantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;

function checkQuantiles(label: string, values: number[], sketch: QuantileSketch, accuracy: number): void {
  const sorted = [...values].sort((a, b) => a - b);
  for (const q of QS) {
    const want = exactQuantile(sorted, q);
    const got = sketch.quantile(q);
    assert.ok(Math.abs(got - want) <= accuracy * Math.abs(want) * (1 + 1e-9) + 1e-9, `${label}: q=${q} got ${got}, exact ${want}`);
  }
}

const distributions: Record<string, (r: SeededRandom) => number> = {
  normal: (r) => r.normal() * 10 + 50,
  'normal around zero': (r) => r.normal(),
  'log-normal (latencies)': (r) => Math.exp(r.normal() * 2),
  'uniform, wide range': (r) => (r.next() - 0.5) * 1e9,
  'integers with ties and zeros': (r) => r.int(-3, 3),
  'tiny and huge magnitudes': (r) => (r.next() < 0.5 ? 1e-6 : 1e6) * r.next(),
};

describe('quantile sketch', () => {
  test('within 1 % relative error of the exact quantile, for every distribution and size', () => {
    for (const [name, draw] of Object.entries(distributions)) {
      for (const n of [1, 2, 50, EXACT_VALUES, EXACT_VALUES + 1, 1000, 20_000]) {
        for (let seed = 1; seed <= 3; seed++) {
          const rng = new SeededRandom(seed * 7919 + n);
          const sketch = new QuantileSketch(new SketchConfig(0.01));
          const values = Array.from({ length: n }, () => draw(rng));
          values.forEach((v) => sketch.add(v));
          checkQuantiles(`${name}, n=${n}, seed ${seed}`, values, sketch, 0.01);
        }
      }
    }
  });
  test('exact while a window holds at most EXACT_VALUES values', () => {
    const rng = new SeededRandom(42);
    const sketch = new QuantileSketch(new SketchConfig(0.01));
    const values = Array.from({ length: EXACT_VALUES }, () => rng.normal());
    values.forEach((v) => sketch.add(v));
    assert.ok(sketch.isExact);
    checkQuantiles('exact mode', values, sketch, 0);
    sketch.add(0);
    assert.ok(!sketch.isExact);
  });
  test('other accuracies hold their bound too', () => {
    for (const accuracy of [0.001, 0.05]) {
      const rng = new SeededRandom(7);
      const sketch = new QuantileSketch(new SketchConfig(accuracy));
      const values = Array.from({ length: 5000 }, () => Math.exp(rng.normal() * 3));
      values.forEach((v) => sketch.add(v));
      checkQuantiles(`accuracy ${accuracy}`, values, sketch, accuracy);
    }
  });
  test('merged sketches answer like one sketch of all the values, in both modes', () => {
    for (const [na, nb] of [
      [10, 20],
      [100, 100],
      [3000, 40],
      [40, 3000],
      [2000, 5000],
    ]) {
      const rng = new SeededRandom(na * 31 + nb);
      const a = new QuantileSketch(new SketchConfig());
      const b = new QuantileSketch(new SketchConfig());
      const va = Array.from({ length: na }, () => rng.normal() * 100);
      const vb = Array.from({ length: nb }, () => rng.normal() * 5 + 300);
      va.forEach((v) => a.add(v));
      vb.forEach((v) => b.add(v));
      a.merge(b);
      assert.equal(a.count, na + nb);
      checkQuantiles(`merge ${na}+${nb}`, [...va, ...vb], a, 0.01);
    }
  });
  test('memory stays bounded when magnitudes span more than the bucket range', () => {
    const sketch = new QuantileSketch(new SketchConfig(0.01, 64));
    const values: number[] = [];
    for (let e = -8; e <= 8; e += 0.01) values.push(10 ** e);
    values.forEach((v) => sketch.add(v));
    const buckets = (sketch as unknown as { positive: { counts: Float64Array } }).positive.counts.length;
    assert.ok(buckets <= 64, `${buckets} buckets`);
    // 64 buckets of 2 % cover a factor of about 3.6 below the largest value: the top keeps its guarantee.
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.9995, 0.9999]) {
      const want = exactQuantile(sorted, q);
      assert.ok(Math.abs(sketch.quantile(q) - want) <= 0.01 * want, `q=${q}`);
    }
    assert.equal(sketch.quantile(0), sorted[0], 'min is kept exactly');
    assert.equal(sketch.quantile(1), sorted[sorted.length - 1], 'max is kept exactly');
  });
  test('an empty sketch has no quantile', () => {
    assert.ok(Number.isNaN(new QuantileSketch(new SketchConfig()).quantile(0.5)));
  });
});

describe('distinct counter', () => {
  test('exact up to its limit, telling 1 from "1"', () => {
    const d = new DistinctCounter();
    for (let i = 0; i < EXACT_LIMIT - 1; i++) d.add(i % 2 === 0 ? i : String(i));
    d.add(0);
    d.add('0');
    assert.ok(d.isExact);
    assert.equal(d.count(), EXACT_LIMIT);
    d.add('one more');
    assert.ok(!d.isExact);
  });
  test('past its limit, within 5 % (about three standard errors of 1.6 %)', () => {
    for (const n of [EXACT_LIMIT + 1, 5000, 50_000, 300_000]) {
      for (let seed = 1; seed <= 3; seed++) {
        const rng = new SeededRandom(seed * 104729 + n);
        const d = new DistinctCounter();
        const prefix = `k${rng.int(0, 1e6)}-`;
        // Each value twice, in a scrambled order: duplicates must not count.
        for (let i = 0; i < n; i++) d.add(`${prefix}${(i * 7919) % n}`);
        for (let i = 0; i < n; i++) d.add(`${prefix}${i}`);
        assert.ok(!d.isExact);
        const err = Math.abs(d.count() - n) / n;
        assert.ok(err < 0.05, `n=${n} seed ${seed}: estimate ${d.count()}, error ${(err * 100).toFixed(2)} %`);
      }
    }
  });
  test('merging counters counts the union', () => {
    const a = new DistinctCounter();
    const b = new DistinctCounter();
    for (let i = 0; i < 3000; i++) a.add(i);
    for (let i = 2000; i < 2500; i++) b.add(i);
    for (let i = 5000; i < 5100; i++) b.add(i);
    const exact = new DistinctCounter();
    for (let i = 0; i < 10; i++) exact.add(i);
    a.merge(b);
    b.merge(exact);
    assert.ok(Math.abs(a.count() - 3100) / 3100 < 0.05, `union estimate ${a.count()}`);
    assert.equal(b.count(), 610);
  });
});
