/**
 * The bounded-memory estimators against exact answers: quantiles within their documented relative error
 * (exact for small windows), distinct counts exact up to their limit and within the HyperLogLog error past it.
 * The quantile tests also hold @datadog/sketches-js to its documented behaviour (rank rule, negatives, merge,
 * bounded store), since the engine relies on it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/demo/random';
import { DistinctCounter, QuantileSketch } from '../src/window';
import { EXACT_LIMIT } from '../src/window/distinctCounter';
import { EXACT_VALUES, defaultBinLimit } from '../src/window/quantileSketch';

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
          const sketch = new QuantileSketch(0.01);
          const values = Array.from({ length: n }, () => draw(rng));
          values.forEach((v) => sketch.add(v));
          checkQuantiles(`${name}, n=${n}, seed ${seed}`, values, sketch, 0.01);
        }
      }
    }
  });
  test('exact while a window holds at most EXACT_VALUES values', () => {
    const rng = new SeededRandom(42);
    const sketch = new QuantileSketch(0.01);
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
      const sketch = new QuantileSketch(accuracy);
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
      const a = new QuantileSketch();
      const b = new QuantileSketch();
      const va = Array.from({ length: na }, () => rng.normal() * 100);
      const vb = Array.from({ length: nb }, () => rng.normal() * 5 + 300);
      va.forEach((v) => a.add(v));
      vb.forEach((v) => b.add(v));
      a.merge(b);
      assert.equal(a.count, na + nb);
      checkQuantiles(`merge ${na}+${nb}`, [...va, ...vb], a, 0.01);
    }
  });
  test('merging keeps negative values (the library alone drops them: DataDog/sketches-js#22)', () => {
    for (const [na, nb] of [
      [500, 500],
      [10, 500],
      [500, 10],
    ]) {
      const rng = new SeededRandom(na * 17 + nb);
      const a = new QuantileSketch();
      const b = new QuantileSketch();
      const va = Array.from({ length: na }, () => -Math.exp(rng.normal() * 2));
      const vb = Array.from({ length: nb }, () => (rng.next() < 0.5 ? -1 : 1) * Math.exp(rng.normal()));
      va.forEach((v) => a.add(v));
      vb.forEach((v) => b.add(v));
      a.merge(b);
      checkQuantiles(`negative merge ${na}+${nb}`, [...va, ...vb], a, 0.01);
      // A tree of merges, each side past EXACT_VALUES, both signs and zeros.
      const parts = Array.from({ length: 6 }, (_, i) => Array.from({ length: 150 + i * 40 }, () => (rng.next() < 0.1 ? 0 : rng.normal() * 10 ** rng.int(-2, 4))));
      const sketches = parts.map((vs) => {
        const s = new QuantileSketch();
        vs.forEach((v) => s.add(v));
        return s;
      });
      sketches[0]!.merge(sketches[1]!);
      sketches[2]!.merge(sketches[3]!);
      sketches[2]!.merge(sketches[4]!);
      sketches[0]!.merge(sketches[2]!);
      sketches[0]!.merge(sketches[5]!);
      checkQuantiles(`merge tree ${na}+${nb}`, parts.flat(), sketches[0]!, 0.01);
    }
  });
  test('memory stays bounded when magnitudes span more than the bucket range, for both signs', () => {
    type Stores = { sketch: { store: { bins: unknown[] }; negativeStore: { bins: unknown[] } } };
    const bins = (s: QuantileSketch) => [(s as unknown as Stores).sketch.store.bins.length, (s as unknown as Stores).sketch.negativeStore.bins.length];
    const sketch = new QuantileSketch(0.01, 64);
    const values: number[] = [];
    for (let e = -8; e <= 8; e += 0.01) values.push(10 ** e, -(10 ** e));
    values.forEach((v) => sketch.add(v));
    for (const n of bins(sketch)) assert.ok(n <= 64, `${n} buckets`);
    // 64 buckets of 2 % cover a factor of about 3.6 below the largest magnitude: the extremes keep their guarantee.
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.0001, 0.0005, 0.9995, 0.9999]) {
      const want = exactQuantile(sorted, q);
      assert.ok(Math.abs(sketch.quantile(q) - want) <= 0.01 * Math.abs(want), `q=${q}`);
    }
    assert.equal(sketch.quantile(0), sorted[0], 'min is kept exactly');
    assert.equal(sketch.quantile(1), sorted[sorted.length - 1], 'max is kept exactly');
    // The default bound on adversarial data: every magnitude a double can hold, merged too.
    const wide = new QuantileSketch();
    const other = new QuantileSketch();
    for (let i = -6140; i <= 6160; i++) {
      wide.add(10 ** (i / 20));
      other.add(-(10 ** (-i / 20)));
    }
    wide.merge(other);
    assert.equal(wide.binLimit, defaultBinLimit(0.01));
    assert.equal(wide.binLimit, 2073, '18 decades at 1 %');
    for (const n of bins(wide)) assert.ok(n <= wide.binLimit, `${n} buckets`);
    assert.equal(wide.quantile(1), 10 ** 308);
  });
  test('collapsed stores count every value once, through adds and merges (the library alone counts some twice)', () => {
    interface Store {
      bins: number[];
      count: number;
      minKey: number;
      maxKey: number;
      offset: number;
    }
    type Inner = { sketch: { store: Store; negativeStore: Store; zeroCount: number; mapping: { key(v: number): number } } | null };
    const scenarios: Record<string, (r: SeededRandom, i: number) => number> = {
      ascending: (_, i) => 1.03 ** i,
      descending: (_, i) => 1.03 ** -i,
      'every magnitude, both signs': (r) => (r.next() < 0.5 ? -1 : 1) * 10 ** (r.next() * 600 - 300),
      'a few decades, zeros': (r) => (r.next() < 0.05 ? 0 : (r.next() < 0.3 ? -1 : 1) * 10 ** (r.next() * 4)),
    };
    const names = Object.keys(scenarios);
    for (let seed = 1; seed <= 12; seed++) {
      const rng = new SeededRandom(seed);
      const binLimit = [16, 40, 130][seed % 3]!;
      const sketches = Array.from({ length: 5 }, () => ({ s: new QuantileSketch(0.01, binLimit), values: [] as number[] }));
      for (const x of sketches) {
        const draw = scenarios[names[rng.int(0, names.length - 1)]!]!;
        const n = rng.int(EXACT_VALUES + 1, 1500);
        for (let i = 0; i < n; i++) {
          const v = draw(rng, i);
          x.s.add(v);
          x.values.push(v);
        }
      }
      for (let m = 0; m < 4; m++) {
        const [a, b] = [sketches[m]!, sketches[rng.int(m + 1, sketches.length - 1)]!];
        b.s.merge(a.s);
        b.values.push(...a.values);
      }
      for (const { s, values } of sketches) {
        const inner = (s as unknown as Inner).sketch!;
        for (const [store, sign] of [
          [inner.store, 1],
          [inner.negativeStore, -1],
        ] as const) {
          const keys = values.filter((v) => v * sign > 0).map((v) => inner.mapping.key(v * sign));
          const label = `seed ${seed}, sign ${sign}`;
          assert.equal(store.count, keys.length, label);
          if (keys.length === 0) continue;
          assert.ok(store.bins.length <= binLimit, `${label}: ${store.bins.length} buckets`);
          const want = new Map<number, number>();
          for (const k of keys) want.set(Math.max(k, store.minKey), (want.get(Math.max(k, store.minKey)) ?? 0) + 1);
          assert.ok(Math.max(...keys) <= store.maxKey, label);
          store.bins.forEach((c, i) => assert.equal(c, want.get(i + store.offset) ?? 0, `${label}: bucket ${i + store.offset}`));
        }
        assert.equal(inner.zeroCount, values.filter((v) => v === 0).length);
      }
    }
  });
  test('an empty sketch has no quantile', () => {
    assert.ok(Number.isNaN(new QuantileSketch().quantile(0.5)));
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
