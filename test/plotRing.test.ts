/**
 * The raw point store of a chart trace against a plain array: random pushes and shifts over small and large
 * capacities (one small array, then chunks), with its memory bounded by the capacity plus a few chunks; a range
 * read gives exactly the points in the range.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/demo/random';
import { PointRing } from '../src/plot/pointRing';

const CHUNK_BYTES = 65_536 * 16;

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`seed ${seed}: the ring holds what a plain array holds, oldest first, within its memory bound`, () => {
    const rng = new SeededRandom(seed);
    const capacity = seed <= 3 ? rng.int(1, 3000) : rng.int(70_000, 300_000);
    const ring = new PointRing(capacity);
    const model: number[] = [];
    let head = 0;
    const steps = seed <= 3 ? 30_000 : 600_000;
    for (let i = 0; i < steps; i++) {
      // Phases: only pushes, some shifts, many shifts, so the ring fills, drains and wraps.
      const shiftChance = (Math.floor(i / 7000) % 3) * 0.3;
      if (rng.next() < shiftChance && model.length > head) {
        ring.shift();
        head++;
      } else {
        if (ring.full) {
          ring.shift();
          head++;
        }
        const x = i + rng.next();
        ring.push(x, -x);
        model.push(x);
      }
      assert.equal(ring.size, model.length - head);
      if (ring.size > 0) assert.equal(ring.headX(), model[head]);
      if (i % 1000 === 0) assert.ok(ring.bytes <= 16 * 2 * capacity + 3 * CHUNK_BYTES, `seed ${seed}: ${ring.bytes} bytes for capacity ${capacity}`);
    }
    const xs: number[] = [];
    ring.forEach((x, y) => {
      assert.equal(y, -x);
      xs.push(x);
    });
    assert.deepEqual(xs, model.slice(head));
    for (let k = 0; k < 20; k++) {
      const from = rng.int(0, steps);
      const to = from + rng.int(0, steps / 4);
      const inRange: number[] = [];
      ring.forEachIn(from, to, (x) => inRange.push(x));
      assert.deepEqual(inRange, xs.filter((x) => x >= from && x <= to), `seed ${seed}: the points in [${from}, ${to}]`);
    }
    ring.clear();
    assert.equal(ring.size, 0);
    assert.ok(Number.isNaN(ring.headX()));
  });
}

test('a full ring at a million points allocates nothing more', () => {
  const ring = new PointRing(1_000_000);
  for (let i = 0; i < 1_000_000; i++) ring.push(i, i);
  const bytes = ring.bytes;
  for (let i = 0; i < 500_000; i++) {
    ring.shift();
    ring.push(i, i);
  }
  assert.equal(ring.size, 1_000_000);
  assert.ok(ring.bytes <= bytes + CHUNK_BYTES, `${ring.bytes} bytes after turning over half, ${bytes} when filled`);
});
