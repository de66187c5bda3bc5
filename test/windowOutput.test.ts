/**
 * How results leave the engine: DataFrames, retention, subscriptions in final and update mode, micro-batches,
 * attaching to a source, StreamRecord and processing-time input, and the rolling view.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { TopicSource } from '../src/kafka';
import { StreamRecord } from '../src/record';
import { BatchSourceLike, MicroBatchInfo, WindowResult, rolling, sessionWindow, tumbling, windowed } from '../src/window';
import { AggregatePlan } from '../src/window/aggregatePlan';
import { parseAggregates } from '../src/window/aggregateSpec';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => T0 + s * 1000;
type DataFrameLike = { columns: string[]; shape: number[]; values: unknown[] };

function streamRecord<T>(value: T, time: number, offset: number): StreamRecord<T> {
  return { topic: 't', partition: offset % 2, offset, key: null, timestamp: time + 5, time, value };
}

/** A stand-in for TopicSource: subscribe() like the real one, and a way to push a batch. */
class FakeSource implements BatchSourceLike {
  subscribers = new Set<(records: StreamRecord<any>[]) => void | Promise<void>>();
  subscribe(s: (records: StreamRecord<any>[]) => void | Promise<void>): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }
  async push(records: StreamRecord<any>[]): Promise<void> {
    for (const s of this.subscribers) await s(records);
  }
}

describe('DataFrames and retention', () => {
  test('closed() and open() are Danfo DataFrames with key, window and aggregate columns', () => {
    const w = windowed({ window: tumbling('10s'), keyBy: ['site', 'sensor'], aggregates: ['mean(value)', 'count', 'last(status)'] });
    w.addBatch([
      { site: 'n', sensor: 'a', time: at(1), value: 1, status: 'ok' },
      { site: 'n', sensor: 'a', time: at(2), value: 3, status: 'warn' },
      { site: 's', sensor: 'a', time: at(3), value: 5, status: 'ok' },
      { site: 'n', sensor: 'a', time: at(12), value: 7, status: 'ok' },
    ]);
    const closed = w.closed() as unknown as DataFrameLike;
    assert.deepEqual(closed.columns, ['site', 'sensor', 'windowStart', 'windowEnd', 'mean_value', 'count', 'last_status', 'invalid_value']);
    assert.deepEqual(closed.values, [
      ['n', 'a', at(0), at(10), 2, 2, 'warn', 0],
      ['s', 'a', at(0), at(10), 5, 1, 'ok', 0],
    ]);
    const open = w.open() as unknown as DataFrameLike;
    assert.deepEqual(open.values, [['n', 'a', at(10), at(20), 7, 1, 'ok', 0]]);
  });
  test('retention keeps the newest N windows, or those within a span of the newest', () => {
    const byCount = windowed({ window: tumbling('1s'), aggregates: ['count'], retain: { windows: 3 } });
    const bySpan = windowed({ window: tumbling('1s'), aggregates: ['count'], retain: { span: '2s' } });
    for (const w of [byCount, bySpan]) {
      for (let s = 0; s < 10; s++) w.add({ time: at(s) });
      w.flush();
    }
    assert.deepEqual(byCount.closedColumns().windowStart, [at(7), at(8), at(9)]);
    assert.equal(byCount.metrics().evictedWindows, 7);
    assert.deepEqual(bySpan.closedColumns().windowEnd, [at(8), at(9), at(10)], 'ends within 2 s of the newest end');
    assert.equal(byCount.metrics().closedWindows, 10, 'every closed window is counted');
  });
});

describe('subscriptions', () => {
  test('final mode hands each closed window once, after the call that closed it', () => {
    const w = windowed({ window: tumbling('10s'), keyBy: 'k', aggregates: ['sum(v)'] });
    const got: WindowResult[][] = [];
    const off = w.subscribe((r) => got.push(r));
    w.addBatch([
      { k: 'a', time: at(1), v: 1 },
      { k: 'b', time: at(2), v: 2 },
    ]);
    assert.equal(got.length, 0);
    w.add({ k: 'a', time: at(15), v: 4 });
    assert.deepEqual(got, [
      [
        { key: { k: 'a' }, windowStart: at(0), windowEnd: at(10), final: true, values: { sum_v: 1, invalid_v: 0 } },
        { key: { k: 'b' }, windowStart: at(0), windowEnd: at(10), final: true, values: { sum_v: 2, invalid_v: 0 } },
      ],
    ]);
    off();
    w.flush();
    assert.equal(got.length, 1, 'detached');
  });
  test('update mode hands changes at most every throttleMs, then the final row', () => {
    // The clock is the engine's now, so it is in the same year as the records (a record far ahead of it is set aside).
    const start = at(0);
    let now = start;
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'], emit: { update: { throttleMs: 100 } }, clock: () => now });
    const got: [number, number, boolean][] = [];
    w.subscribe((rs) => rs.forEach((r) => got.push([r.windowStart, r.values.count as number, r.final])));
    w.add({ time: at(1) });
    w.add({ time: at(2) });
    now = start + 150;
    w.add({ time: at(3) });
    w.add({ time: at(11) });
    now = start + 180;
    w.add({ time: at(12) });
    now = start + 300;
    w.add({ time: at(13) });
    assert.deepEqual(got, [
      [at(0), 1, false],
      [at(0), 3, false],
      [at(0), 3, true],
      [at(10), 3, false],
    ]);
  });
  test('a failing subscriber is detached and reported; the others go on', () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    let calls = 0;
    w.subscribe(() => {
      throw new Error('plot failed');
    });
    w.subscribe(() => calls++);
    w.addBatch([{ time: at(1) }, { time: at(11) }]);
    w.addBatch([{ time: at(21) }]);
    assert.equal(calls, 2);
    assert.equal(w.metrics().subscriberErrors, 1);
    assert.match(w.metrics().lastError!, /a window subscriber failed and was detached: plot failed/);
  });
});

describe('micro-batches', () => {
  test('each batch holds the windows closed since the previous one, as a DataFrame', async () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    const batches: [unknown[], MicroBatchInfo][] = [];
    const trigger = w.microBatches('1h', (frame, info) => {
      batches.push([(frame as unknown as DataFrameLike).values, info]);
    });
    w.addBatch([{ time: at(1) }, { time: at(11) }, { time: at(21) }]);
    await trigger.fire();
    await trigger.fire();
    w.add({ time: at(35) });
    await trigger.fire();
    await trigger.stop();
    assert.deepEqual(
      batches.map(([values, info]) => [values, info.batchId, info.rows, info.dropped]),
      [
        [
          [
            [at(0), at(10), 1],
            [at(10), at(20), 1],
          ],
          0,
          2,
          0,
        ],
        [[[at(20), at(30), 1]], 1, 1, 0],
      ],
      'no batch when nothing is new',
    );
    assert.ok(trigger.stopped);
  });
  test('raw-record batches are bounded and count what did not fit', async () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    const got: [unknown[], MicroBatchInfo][] = [];
    const trigger = w.microBatches(
      '1h',
      (frame, info) => {
        got.push([(frame as unknown as DataFrameLike).columns, info]);
      },
      { records: true, maxRows: 2 },
    );
    w.addBatch([
      { time: at(1), v: 1 },
      { time: at(2), v: 2, note: 'x' },
      { time: at(3), v: 3 },
    ]);
    await trigger.stop(true);
    assert.deepEqual(got.map(([cols, info]) => [cols, info.rows, info.dropped]), [[['time', 'v', 'note'], 2, 1]]);
  });
  test('in processing time, each trigger closes the windows due by the clock', async () => {
    let now = at(0);
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'], time: 'processing', clock: () => now });
    const rows: unknown[] = [];
    const trigger = w.microBatches('1h', (frame) => {
      rows.push(...(frame as unknown as DataFrameLike).values);
    });
    w.addBatch([{ v: 1 }, { v: 2 }]);
    now = at(4);
    w.add({ v: 3 });
    now = at(10);
    await trigger.fire();
    await trigger.stop();
    assert.deepEqual(rows, [[at(0), at(10), 3]]);
  });
  test('a failing batch callback is counted and the trigger goes on', async () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    const trigger = w.microBatches('1h', () => {
      throw new Error('sink down');
    });
    w.addBatch([{ time: at(1) }, { time: at(11) }]);
    await trigger.fire();
    await trigger.stop();
    assert.equal(trigger.errors, 1);
    assert.match(trigger.lastError!, /micro-batch 0 failed: sink down/);
  });
});

describe('input', () => {
  test('attaches to a real TopicSource (subscribe and detach), without starting it', () => {
    const source = new TopicSource({ topic: 'never-started' });
    const detach = windowed({ window: tumbling('10s') }).attach(source);
    assert.equal(typeof detach, 'function');
    detach();
  });
  test('the engine does not load Danfo until a DataFrame is asked for', () => {
    const windowModule = path.join(__dirname, '../src/window');
    const script = `
      const { windowed, tumbling } = require(${JSON.stringify(windowModule)});
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('danfojs'));
      const w = windowed({ window: tumbling('1s'), aggregates: ['count'] });
      w.addBatch([{ time: 1 }, { time: 2000 }]).flush();
      const before = loaded();
      w.closed();
      console.log(JSON.stringify([before, loaded(), w.closedRows().length]));`;
    assert.equal(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim(), '[false,true,2]');
  });
  test('StreamRecords: fields from record.value, event time from record.time', async () => {
    const source = new FakeSource();
    const w = windowed({ window: tumbling('10s'), keyBy: 'sensor', aggregates: { value: ['max'] } });
    const detach = w.attach(source);
    await source.push([streamRecord({ sensor: 'a', value: 1 }, at(1), 0), streamRecord({ sensor: 'a', value: 5 }, at(2), 1)]);
    await source.push([streamRecord({ sensor: 'a', value: 2 }, at(12), 2)]);
    detach();
    await source.push([streamRecord({ sensor: 'a', value: 9 }, at(25), 3)]);
    assert.deepEqual(w.closedRows(), [{ sensor: 'a', windowStart: at(0), windowEnd: at(10), max_value: 5, invalid_value: 0 }]);
    assert.equal(w.metrics().records, 3);
  });
  test('a bare value (number decoder) reads as the field `value`', () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['sum(value)'] });
    w.addBatch([streamRecord(2, at(1), 0), streamRecord(3, at(2), 1)]).flush();
    assert.equal(w.closedRows()[0]!.sum_value, 5);
  });
  test('time from a named field, from a function, or the processing clock', () => {
    const fromField = windowed({ window: tumbling('10s'), time: 'ts', aggregates: ['count'] });
    fromField.addBatch([{ ts: at(1) }, { ts: new Date(at(2)).toISOString() }]).flush();
    assert.deepEqual(fromField.closedColumns().count, [2]);
    const fromFn = windowed({ window: tumbling('10s'), time: (f) => (f.seconds as number) * 1000, aggregates: ['count'] });
    fromFn.addBatch([{ seconds: 1 }, { seconds: 15 }]).flush();
    assert.deepEqual(fromFn.closedColumns().windowStart, [0, 10_000]);
    let now = at(1);
    const processing = windowed({ window: tumbling('10s'), time: 'processing', aggregates: ['count'], clock: () => now });
    processing.add({ v: 1 });
    now = at(12);
    processing.add({ v: 2 });
    assert.deepEqual(processing.closedColumns().count, [1]);
  });
});

describe('rolling view', () => {
  test('last N seconds per key, with aggregates on demand', () => {
    const v = rolling({ last: '10s', keyBy: 'sensor', aggregates: { value: ['mean', 'max'] } });
    v.addBatch([
      { sensor: 'a', time: at(0), value: 100 },
      { sensor: 'a', time: at(5), value: 1 },
      { sensor: 'b', time: at(8), value: 2 },
      { sensor: 'a', time: at(12), value: 3 },
      { sensor: 'a', time: at(1), value: 50 },
    ]);
    assert.equal(v.tooOld, 1, 'at(1) arrived after at(12) had moved the span past it');
    assert.deepEqual(v.valueRows(), [
      { sensor: 'a', from: at(5), to: at(12), mean_value: 2, max_value: 3, invalid_value: 0 },
      { sensor: 'b', from: at(8), to: at(8), mean_value: 2, max_value: 2, invalid_value: 0 },
    ]);
    assert.deepEqual((v.frame() as unknown as DataFrameLike).columns, ['time', 'sensor', 'value']);
    assert.deepEqual(v.rows().map((r) => r.time), [at(5), at(8), at(12)]);
  });
  test('last N records per key', () => {
    const v = rolling({ last: { records: 2 }, aggregates: ['count', 'sum(value)'] });
    for (let i = 1; i <= 5; i++) v.add({ time: at(i), value: i });
    assert.deepEqual(v.valueRows(), [{ from: at(4), to: at(5), count: 2, sum_value: 9, invalid_value: 0 }]);
  });
  test('memory is capped over all keys, and what the cap pushes out is counted', () => {
    const v = rolling({ last: '1h', keyBy: 'k', maxRecords: 3 });
    for (let i = 0; i < 5; i++) v.add({ k: 'a', time: at(i) });
    assert.equal(v.evicted, 2);
    assert.equal(v.rows().length, 3);
  });
});

describe('partial aggregates', () => {
  test('merging two windows whose first (or last) values tie in time keeps the earlier (or later) arrival', () => {
    const plan = new AggregatePlan(parseAggregates({ v: ['first', 'last'] }));
    const early = plan.create();
    const late = plan.create();
    plan.add(early, { v: 'early' }, 100, 1);
    plan.add(late, { v: 'late' }, 100, 2);
    for (const [into, from] of [
      [early, late],
      [late, early],
    ]) {
      const merged = plan.create();
      plan.merge(merged, into!);
      plan.merge(merged, from!);
      assert.deepEqual(
        plan.columns.map((c) => c.get(merged)),
        ['early', 'late'],
      );
    }
  });
  test('a session merge folds every partial aggregate, user reducers included', () => {
    const w = windowed({
      window: sessionWindow('5s'),
      grace: '1m',
      aggregates: { v: ['distinct', 'p90', { name: 'list', init: () => [] as number[], add: (s: number[], v) => [...s, v as number], merge: (a: number[], b: number[]) => [...a, ...b], result: (s: number[]) => [...s].sort((x, y) => x - y).join(' ') }] },
    });
    w.addBatch([0, 1, 2, 12, 13].map((s) => ({ time: at(s), v: s % 3 })));
    assert.equal(w.openRows().length, 2);
    // 7 s is exactly one gap from both sessions: it bridges them.
    w.add({ time: at(7), v: 7 });
    w.flush();
    assert.deepEqual(w.closedRows().map((r) => [r.windowStart, r.windowEnd, r.distinct_v, r.p90_v, r.list_v]), [[at(0), at(13), 4, 2, '0 0 1 1 2 7']]);
  });
});
