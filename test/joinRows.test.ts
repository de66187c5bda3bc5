/**
 * What joins read and give, row by row: window results join by their flat fields at their end time, plain rows by a
 * field, the default joiner nests the right side under its name, a versioned table answers as of a time and refuses
 * updates older than its history, keys match as values (42 is not '42'), and a subscriber that throws is detached
 * without stopping the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedTable, StreamStreamJoin, StreamTableJoin, windowed, tumbling, type JsonValue, type StreamRecord, type WindowResult } from '../src';

const rec = (key: string | null, time: number, value: JsonValue | null, partition = 0, offset = 0): StreamRecord<JsonValue> => ({ topic: 't', partition, offset, key, timestamp: time, time, value: value as JsonValue });

test("a window's results join a table by a key field, at the window's end", () => {
  const sites = KeyedTable.fromRows([{ sensor: 's1', site: 'north' }], { key: 'sensor', name: 'sites' });
  const w = windowed({ window: tumbling(1000), keyBy: ['sensor'], aggregates: ['count'] });
  const results: WindowResult[] = [];
  w.subscribe((r) => void results.push(...r));
  w.addBatch([{ sensor: 's1', time: 100 }, { sensor: 's2', time: 200 }, { sensor: 's1', time: 2500 }]);
  const join = new StreamTableJoin({ table: sites, kind: 'left', key: 'sensor' });
  const out = join.join(results.filter((r) => r.final));
  assert.deepEqual(out.map((r) => [r.time, r.value]), [
    [1000, { sensor: 's1', windowStart: 0, windowEnd: 1000, time: 1000, count: 1, sites: { sensor: 's1', site: 'north' } }],
    [1000, { sensor: 's2', windowStart: 0, windowEnd: 1000, time: 1000, count: 1, sites: null }],
  ]);
});

test('keys match as values: the number 42 does not find the text 42', () => {
  const table = KeyedTable.fromRows([{ id: '42', name: 'text' }], { key: 'id' });
  const join = new StreamTableJoin({ table, kind: 'inner', key: 'cardId' });
  assert.equal(join.join([{ cardId: 42 }]).length, 0);
  assert.equal(join.join([{ cardId: '42' }]).length, 1);
  assert.deepEqual(join.setAside().map((a) => a.reason), ["no 'table' row"]);
});

test('a versioned table answers as of a time, keeps late updates in the history only, refuses those older than it', () => {
  const t = new KeyedTable({ name: 'v', versioned: { historyMs: 10_000 } });
  t.apply([rec('a', 1000, { v: 1 }), rec('a', 5000, { v: 2 }), rec('a', 3000, { v: 1.5 })]);
  assert.deepEqual(t.get('a'), { v: 2 }, 'the out-of-order update did not replace the current value');
  assert.deepEqual(t.asOf('a', 3500), { v: 1.5 });
  assert.equal(t.asOf('a', 500), undefined, 'nothing before the first version');
  t.apply([rec('a', 20_000, null)]);
  assert.equal(t.get('a'), undefined, 'deleted');
  assert.deepEqual(t.asOf('a', 12_000), { v: 2 }, 'the history still has the value before the deletion');
  t.apply([rec('a', 9000, { v: 9 })]);
  assert.equal(t.metrics().expired, 1, 'an update older than stream time - history is refused');
  assert.equal(t.asOf('a', 9500), undefined, 'a time older than the history finds nothing');
  assert.throws(() => new KeyedTable().asOf('a', 1), /^StreamlabError: table 'table' is not versioned, so it has no history to look up as of a time: make it versioned/);
});

test('a stream-stream join needs a grace, and a window; its rows nest the right side under its name', () => {
  assert.throws(() => new StreamStreamJoin({ within: 1000 } as never), /needs a grace period/);
  assert.throws(() => new StreamStreamJoin({ grace: 0 }), /needs a window/);
  const j = new StreamStreamJoin({ within: 1000, grace: 0, rightName: 'declines' });
  assert.deepEqual(j.processNow('left', [rec('c1', 1000, { amount: 5 })]), []);
  const out = j.processNow('right', [rec('c1', 1500, { reason: 'cvc' })]);
  assert.deepEqual(out.map((r) => [r.key, r.time, r.value]), [['c1', 1500, { amount: 5, declines: { reason: 'cvc' } }]]);
});

test('flush() emits the records of a left join still waiting for their window to close', async () => {
  const j = new StreamStreamJoin({ kind: 'left', within: 1000, grace: 0 });
  const got: StreamRecord<JsonValue>[] = [];
  j.subscribe((rows) => void got.push(...rows));
  await j.addLeft([rec('a', 1000, { n: 1 }), rec('b', 1200, { n: 2 })]);
  assert.deepEqual([got.length, j.metrics().pending], [0, 2], 'both wait: stream time has not passed their windows');
  assert.equal(await j.flush(), 2);
  assert.deepEqual(got.map((r) => [r.key, r.time, r.value]), [['a', 1000, { n: 1, right: null }], ['b', 1200, { n: 2, right: null }]]);
  assert.equal(j.metrics().pending, 0);
});

test('a subscriber that throws is detached and reported; the others still get every batch', async () => {
  const table = KeyedTable.fromRows([{ id: 'a' }], { key: 'id' });
  const join = new StreamTableJoin({ table, kind: 'left', key: 'id' });
  const errors: string[] = [];
  join.onError((m) => errors.push(m));
  let good = 0;
  join.subscribe(() => {
    throw new Error('broken chart');
  });
  join.subscribe((rows) => void (good += rows.length));
  await join.add([{ id: 'a' }]);
  await join.add([{ id: 'b' }]);
  assert.equal(good, 2);
  assert.deepEqual(errors, ["join 'table-join': a subscriber failed and was detached: broken chart"]);
});

test('a window of a join aggregates the nested fields of its table side by dotted path', () => {
  const w = windowed({ window: tumbling(1000), keyBy: ['cards.country'], aggregates: ['max(cards.limit)', 'count(declines.time)', 'sum(amount)'] });
  w.addBatch([
    { time: 1, amount: 2, cards: { country: 'NL', limit: 5 }, declines: { time: 3 } },
    { time: 2, amount: 3, cards: { country: 'NL', limit: 9 }, declines: null },
  ]);
  w.flush();
  assert.deepEqual(w.closedRows(), [{ 'cards.country': 'NL', windowStart: 0, windowEnd: 1000, 'max_cards.limit': 9, 'count_declines.time': 1, sum_amount: 5, 'invalid_cards.limit': 0, invalid_amount: 0 }]);
});
