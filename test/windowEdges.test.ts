/**
 * Edge cases worked out by hand: empty input, one record, records exactly on window boundaries, a session merge,
 * grace 0, and what happens to late and non-numeric records. Expected values here come from the definitions
 * (see windowOracle.ts), not from running the engine.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hopping, sessionWindow, sliding, tumbling, windowed, WindowSpec } from '../src/window';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => T0 + s * 1000;
const spans = (w: { closedRows(): Record<string, unknown>[] }) => w.closedRows().map((r) => [r.windowStart, r.windowEnd, r.count]);

describe('empty input and one record', () => {
  const kinds: WindowSpec[] = [tumbling('10s'), hopping('10s', '5s'), sliding('10s'), sessionWindow('10s')];
  test('empty input closes nothing and still has its columns', () => {
    for (const window of kinds) {
      const w = windowed({ window, keyBy: 'sensor', aggregates: { value: ['mean', 'p99'], '*': ['count'] } });
      w.addBatch([]).flush();
      assert.deepEqual(w.closedRows(), []);
      assert.deepEqual(w.openRows(), []);
      const df = w.closed();
      assert.deepEqual(df.shape, [0, 7]);
      assert.deepEqual(df.columns, ['sensor', 'windowStart', 'windowEnd', 'mean_value', 'p99_value', 'count', 'invalid_value']);
      assert.equal(w.metrics().records, 0);
    }
  });
  test('one record makes one window per window it belongs to', () => {
    const r = { sensor: 'a', time: at(12), value: 7 };
    const expected: Record<string, unknown[][]> = {
      tumbling: [[at(10), at(20), 1]],
      hopping: [
        [at(5), at(15), 1],
        [at(10), at(20), 1],
      ],
      // Only the window ending at the record: the one after it would be empty.
      sliding: [[at(2), at(12), 1]],
      session: [[at(12), at(12), 1]],
    };
    for (const window of kinds) {
      const w = windowed({ window, keyBy: 'sensor', aggregates: { value: ['mean', 'stddev', 'p50'], '*': ['count'] } });
      w.add(r);
      assert.equal(w.closedRows().length, 0, `${window.kind}: nothing closes before the watermark moves`);
      w.flush();
      assert.deepEqual(spans(w), expected[window.kind], window.kind);
      const row = w.closedRows()[0]!;
      assert.equal(row.mean_value, 7);
      assert.equal(row.p50_value, 7);
      assert.ok(Number.isNaN(row.stddev_value), 'the sample stddev of one value is undefined');
    }
  });
});

describe('boundaries', () => {
  test('tumbling windows are [start, end): a record at the end opens the next window', () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count', 'min(value)', 'max(value)'] });
    w.addBatch([at(0), at(10) - 1, at(10), at(20) - 1, at(20)].map((time, i) => ({ time, value: i })));
    w.flush();
    assert.deepEqual(
      w.closedRows().map((r) => [r.windowStart, r.count, r.min_value, r.max_value]),
      [
        [at(0), 2, 0, 1],
        [at(10), 2, 2, 3],
        [at(20), 1, 4, 4],
      ],
    );
  });
  test('windows are aligned to the epoch, not to the first record', () => {
    const w = windowed({ window: hopping('1m', '20s'), aggregates: ['count'] });
    w.add({ time: at(65) }).flush();
    assert.deepEqual(spans(w), [
      [at(20), at(80), 1],
      [at(40), at(100), 1],
      [at(60), at(120), 1],
    ]);
  });
  test('sliding windows include both ends', () => {
    const w = windowed({ window: sliding('10s'), aggregates: ['count', 'sum(value)'] });
    w.addBatch([
      { time: at(0), value: 1 },
      { time: at(10), value: 2 },
    ]).flush();
    // [t-10s, t] for each record, and [t+1ms, t+1ms+10s] after the first, which holds the second.
    assert.deepEqual(
      w.closedRows().map((r) => [r.windowStart, r.windowEnd, r.count, r.sum_value]),
      [
        [at(-10), at(0), 1, 1],
        [at(0), at(10), 2, 3],
        [at(0) + 1, at(10) + 1, 1, 2],
      ],
    );
  });
  test('session records exactly one gap apart belong together; one millisecond more splits them', () => {
    const w = windowed({ window: sessionWindow('5s'), aggregates: ['count'] });
    w.addBatch([{ time: at(0) }, { time: at(5) }, { time: at(10) + 1 }]).flush();
    assert.deepEqual(spans(w), [
      [at(0), at(5), 2],
      [at(10) + 1, at(10) + 1, 1],
    ]);
  });
});

describe('time and lateness', () => {
  test('grace 0: a window closes as soon as a record reaches its end, and later records for it are late', () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'], lateLimit: 2 });
    w.addBatch([{ time: at(1) }, { time: at(10) }]);
    assert.deepEqual(spans(w), [[at(0), at(10), 1]]);
    w.addBatch([{ time: at(9) }, { time: at(5) }, { time: at(2), n: 3 }]);
    assert.equal(w.late.count, 3);
    assert.equal(w.late.dropped, 3);
    assert.deepEqual(
      w.late.list().map((l) => [l.time, l.watermark, l.dropped]),
      [
        [at(5), at(10), true],
        [at(2), at(10), true],
      ],
      'the list keeps the newest lateLimit records, all are counted',
    );
    assert.deepEqual(w.late.list()[1]!.record, { time: at(2), n: 3 }, 'late records are kept as given');
  });
  test('grace keeps windows open for out-of-order records', () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'], grace: '2s' });
    w.addBatch([{ time: at(1) }, { time: at(11) }, { time: at(9) }]);
    assert.equal(w.watermark, at(9));
    assert.deepEqual(spans(w), [], 'watermark 9s has not reached the end at 10s');
    w.add({ time: at(12) });
    assert.deepEqual(spans(w), [[at(0), at(10), 2]]);
    assert.equal(w.late.count, 0);
  });
  test('hopping: a record that missed a closed window still counts in its open ones', () => {
    const w = windowed({ window: hopping('10s', '5s'), aggregates: ['count'] });
    w.addBatch([{ time: at(1) }, { time: at(10) }, { time: at(7) }]);
    assert.equal(w.late.count, 1);
    assert.equal(w.late.dropped, 0);
    assert.equal(w.late.list()[0]!.dropped, false);
    w.flush();
    assert.deepEqual(spans(w), [
      [at(-5), at(5), 1],
      [at(0), at(10), 1],
      [at(5), at(15), 2],
      [at(10), at(20), 1],
    ]);
  });
  test('a late record that bridges two sessions merges them while they are open', () => {
    const w = windowed({ window: sessionWindow('5s'), keyBy: 'user', grace: '10s', aggregates: { amount: ['sum', 'mean', 'min', 'max', 'variance', 'first', 'last', 'p50'], '*': ['count'] } });
    w.addBatch([
      { user: 'u', time: at(0), amount: 1 },
      { user: 'u', time: at(2), amount: 2 },
      { user: 'u', time: at(10), amount: 3 },
      { user: 'u', time: at(11), amount: 4 },
    ]);
    assert.deepEqual(
      w.openRows().map((r) => [r.windowStart, r.windowEnd, r.count]),
      [
        [at(0), at(2), 2],
        [at(10), at(11), 2],
      ],
    );
    w.add({ user: 'u', time: at(6), amount: 5 });
    w.flush();
    const [s, ...rest] = w.closedRows();
    assert.equal(rest.length, 0, 'one session after the merge');
    assert.deepEqual([s!.windowStart, s!.windowEnd, s!.count, s!.sum_amount, s!.mean_amount, s!.min_amount, s!.max_amount], [at(0), at(11), 5, 15, 3, 1, 5]);
    assert.equal(s!.variance_amount, 2.5, 'the sample variance of 1..5');
    assert.deepEqual([s!.first_amount, s!.last_amount, s!.p50_amount], [1, 4, 3]);
  });
  test('a session closes once, when the watermark passes end + 2 gaps; a record up to one gap behind stream time still extends it', () => {
    const w = windowed({ window: sessionWindow('5s'), aggregates: ['count'] });
    w.addBatch([{ time: at(0) }, { time: at(6) }]);
    assert.deepEqual(spans(w), [], 'at stream time 6 s a record at 1 s (one gap behind) could still reach [0, 0]');
    w.add({ time: at(4) });
    assert.equal(w.late.count, 0, '4 s + gap >= stream time 6 s: on time, and it bridges the two sessions');
    w.add({ time: at(17) });
    assert.deepEqual(spans(w), [[at(0), at(6), 3]], 'closed at 17 s > 6 s + 2 x 5 s, once, with all three records');
    w.add({ time: at(11) });
    assert.equal(w.late.count, 1, '11 s + gap < stream time 17 s: late, although it is within the gap of the closed session');
    w.flush();
    assert.deepEqual(spans(w), [
      [at(0), at(6), 3],
      [at(17), at(17), 1],
    ]);
  });
  test('advanceTo closes idle windows; flush ends the input', () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    w.add({ time: at(3) });
    w.advanceTo(at(9));
    assert.equal(w.closedRows().length, 0);
    w.advanceTo(at(10));
    assert.deepEqual(spans(w), [[at(0), at(10), 1]]);
    w.flush();
    w.add({ time: at(100) });
    assert.equal(w.late.count, 1, 'after flush every record is late');
  });
});

describe('bad values', () => {
  test('non-numeric values are counted per window and set aside, never turned into NaN', () => {
    const w = windowed({ window: tumbling('10s'), keyBy: 'sensor', aggregates: { value: ['mean', 'count', 'max'] }, invalidLimit: 10 });
    w.addBatch([
      { sensor: 'a', time: at(1), value: 2 },
      { sensor: 'a', time: at(2), value: 'n/a' },
      { sensor: 'a', time: at(3), value: null },
      { sensor: 'a', time: at(4) },
      { sensor: 'a', time: at(5), value: Number.POSITIVE_INFINITY },
      { sensor: 'a', time: at(6), value: 4 },
      { sensor: 'b', time: at(7), value: 'x' },
    ]).flush();
    const rows = w.closedRows().map((r) => [r.sensor, r.mean_value, r.count_value, r.max_value, r.invalid_value]);
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], ['a', 3, 4, 4, 4], 'mean of the numbers; count_value counts non-null values; 4 invalid');
    assert.equal(rows[1]![0], 'b');
    assert.ok(Number.isNaN(rows[1]![1]), 'a window with no number has no mean');
    assert.equal(rows[1]![4], 1);
    assert.equal(w.invalid.count, 5);
    assert.deepEqual(w.invalid.counts(), { byReason: { 'non-numeric': 5 }, byField: { value: 5 } });
    assert.deepEqual(w.invalid.list()[0], { record: { sensor: 'a', time: at(2), value: 'n/a' }, reason: 'non-numeric', fields: ['value'], time: at(2) });
  });
  test('records without a usable event time are set aside, not windowed', () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    w.addBatch([{ time: at(1) }, { time: 'yesterday-ish' }, { time: new Date(at(2)).toISOString() }, {}]).flush();
    assert.deepEqual(spans(w), [[at(0), at(10), 2]], 'ISO-8601 strings are event times too');
    assert.equal(w.invalid.count, 2);
    assert.deepEqual(w.invalid.counts().byReason, { 'no-time': 2 });
  });
});
