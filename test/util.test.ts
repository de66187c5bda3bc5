import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateMeter } from '../src/util/rateMeter';
import { RingBuffer } from '../src/util/ringBuffer';
import { BoundedQueue } from '../src/util/boundedQueue';

test('the rate meter reads the true rate from its first completed bucket and forgets old buckets', () => {
  let now = 1_000_000;
  const meter = new RateMeter(500, 10, () => now);
  assert.equal(meter.perSecond(), 0);
  for (let step = 0; step < 4; step++) {
    meter.add(100); // 100 per 500 ms bucket: 200/s
    now += 500;
  }
  assert.equal(meter.perSecond(), 200, 'no ramp-up while the meter is young');
  for (let step = 0; step < 20; step++) {
    meter.add(50);
    now += 500;
  }
  assert.equal(meter.perSecond(), 100, 'only the last buckets count');
  now += 60_000;
  assert.equal(meter.perSecond(), 0, 'an idle stream reads 0');
});

test('the ring keeps the newest entries, oldest first', () => {
  const ring = new RingBuffer<number>(3);
  for (let i = 1; i <= 7; i++) ring.push(i);
  assert.deepEqual(ring.toArray(), [5, 6, 7]);
  assert.deepEqual(ring.toArray(2), [6, 7]);
  assert.equal(ring.size, 3);
  assert.throws(() => new RingBuffer(0), /ring capacity must be a positive integer, got 0/);
});

test('the bounded queue makes a fast producer wait for a slow reader and never holds more than its capacity', async () => {
  const queue = new BoundedQueue<number>(5);
  const items = Array.from({ length: 100 }, (_, i) => i);
  const pushed = queue.pushAll(items);
  const got: number[] = [];
  for (;;) {
    const next = await queue.shift();
    got.push(next!);
    assert.ok(queue.size <= 5);
    if (got.length === 100) break;
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(await pushed, 100);
  assert.deepEqual(got, items);
  assert.equal(queue.highWater, 5);
  queue.close();
  assert.equal(await queue.shift(), undefined, 'a closed, empty queue ends its reader');
});
