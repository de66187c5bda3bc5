/**
 * Joins through a session on a real broker (the embedded one): a table of a topic with tombstones, a payment stream
 * enriched by a foreign key, a stream-stream join of payments and declines, the results windowed like any stream,
 * and the one-line refusals (a key field no record has, keys of different kinds, a window without grace, topics not
 * co-partitioned, a table on the left) that start nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedTable, Session, tumbling, StreamStreamJoin, StreamTableJoin, TableTableJoin, type StreamRecord, type JsonValue } from '../src';
import { produceRaw, startBroker, uniqueTopic, type TestBroker } from './support/broker';
import type { ConnectionOptions } from '../src';

let broker: TestBroker;
let connection: ConnectionOptions;
let session: Session;

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

before(async () => {
  ({ broker, connection } = await startBroker());
  session = new Session();
  await session.connect({ ...connection, embeddedFallback: false });
});

after(async () => {
  await session.close();
  await broker.stop();
});

async function topicOf(prefix: string, partitions: number, records: { key: string | null; value: object | null; time: number; partition?: number }[]): Promise<string> {
  const topic = uniqueTopic(prefix);
  await broker.createTopic(topic, partitions);
  await produceRaw(connection, topic, records.map((r) => ({ key: r.key, value: r.value === null ? null : JSON.stringify(r.value), timestamp: r.time, partition: r.partition ?? 0 })));
  return topic;
}

function collect(stream: { subscribe(fn: (rows: StreamRecord<JsonValue>[]) => void): () => void }): StreamRecord<JsonValue>[] {
  const out: StreamRecord<JsonValue>[] = [];
  stream.subscribe((rows) => void out.push(...rows));
  return out;
}

/** A join's results since it started (it keeps its newest 200): what a session started before the cell could subscribe. */
const resultsOf = (join: { recent(): StreamRecord<JsonValue>[] }) => ({ get length() { return join.recent().length; }, all: () => join.recent() });

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a table of a topic holds the latest value per key, a tombstone deletes, and payments are enriched by their cardId', async () => {
  const cards = await topicOf('cards', 1, [
    { key: 'c1', value: { cardId: 'c1', country: 'NL', limit: 500 }, time: T0 },
    { key: 'c2', value: { cardId: 'c2', country: 'DE', limit: 900 }, time: T0 + 1 },
    { key: 'c3', value: { cardId: 'c3', country: 'FR', limit: 100 }, time: T0 + 2 },
    { key: 'c1', value: { cardId: 'c1', country: 'NL', limit: 750 }, time: T0 + 3 },
    { key: 'c3', value: null, time: T0 + 4 },
  ]);
  const table = await session.table(cards, { name: 'cards' });
  assert.ok(table instanceof KeyedTable);
  assert.equal(table.size, 2);
  assert.deepEqual(table.get('c1'), { cardId: 'c1', country: 'NL', limit: 750 });
  assert.equal(table.get('c3'), undefined, 'the tombstone deleted c3');
  assert.equal(table.metrics().deletes, 1);

  const payments = await topicOf('payments', 2, [
    { key: 'p1', value: { id: 'p1', cardId: 'c1', amount: 20 }, time: T0 + 10_000, partition: 0 },
    { key: 'p2', value: { id: 'p2', cardId: 'c2', amount: 35 }, time: T0 + 11_000, partition: 1 },
    { key: 'p3', value: { id: 'p3', cardId: 'c3', amount: 99 }, time: T0 + 12_000, partition: 0 },
    { key: 'p4', value: { id: 'p4', amount: 5 }, time: T0 + 13_000, partition: 1 },
  ]);
  const left = await session.join(payments, 'cards', { leftKey: 'cardId', kind: 'left', consume: { from: 'earliest' }, name: 'enriched' });
  assert.ok(left instanceof StreamTableJoin);
  await until(() => left.metrics().records === 4, 'four payments');
  const rows = left.recent();
  const byId = new Map(rows.map((r) => [(r.value as { id: string }).id, r.value]));
  assert.deepEqual(byId.get('p1'), { id: 'p1', cardId: 'c1', amount: 20, cards: { cardId: 'c1', country: 'NL', limit: 750 } });
  assert.deepEqual(byId.get('p3'), { id: 'p3', cardId: 'c3', amount: 99, cards: null }, 'a deleted card joins as null in a left join');
  assert.deepEqual(byId.get('p4'), { id: 'p4', amount: 5, cards: null }, 'a payment without a cardId is kept by a left join');
  assert.deepEqual(left.metrics(), { ...left.metrics(), records: 4, joined: 2, unmatched: 1, noKey: 1 });
  assert.equal(rows.find((r) => (r.value as { id: string }).id === 'p1')!.time, T0 + 10_000, "a result's time is the record's");

  // Inner: the two unmatched are counted and kept aside with where they came from.
  const inner = await session.join(payments, 'cards', { leftKey: 'cardId', consume: { from: 'earliest' }, name: 'enriched-inner' });
  assert.ok(inner instanceof StreamTableJoin);
  await until(() => inner.metrics().records === 4, 'four payments (inner)');
  const aside = inner.setAside();
  assert.deepEqual(aside.map((a) => a.reason).sort(), ["no 'cards' row", 'no key']);
  assert.ok(aside.every((a) => a.topic === payments && typeof a.offset === 'number' && a.time.startsWith('2026-12-01')), JSON.stringify(aside));

  // A join is a stream: a window of it groups by a field of the table's side.
  const windows = await session.window('enriched', { window: tumbling('1m'), keyBy: ['cards.country'], aggregates: ['count', 'sum(amount)'], name: 'by-country' });
  assert.equal(session.streams().find((s) => s.name === 'by-country')?.kind, 'window');
  assert.ok(windows);
  const counters = session.streams().find((s) => s.name === 'enriched-inner')!;
  assert.equal(counters.kind, 'join');
  assert.equal(counters.deadLetters, 2, 'the inner join shows its two set-aside records');
  await session.stop('all');
});

test('a join is a stream like a topic: a chart plots it and produce writes it to a topic', async () => {
  await session.table([{ cardId: 'c1', limit: 100 }, { cardId: 'c2', limit: 200 }], { key: 'cardId', name: 'sink-cards' });
  const payments = await topicOf('sink-payments', 1, [{ key: 'p0', value: { id: 'p0', cardId: 'c1', amount: 1 }, time: T0 }]);
  const out = uniqueTopic('sink-enriched');
  await broker.createTopic(out, 1);
  const join = await session.join(payments, 'sink-cards', { leftKey: 'cardId', name: 'sink-join' });
  assert.ok(join instanceof StreamTableJoin);
  const chart = await session.plot('sink-join', { y: 'amount', show: false, name: 'sink-chart' });
  assert.equal(await session.produce(out, join, { name: 'sink-forward' }), 'sink-forward');
  // The join reads from the topic's end: these arrive after the chart and the forward are attached.
  await produceRaw(connection, payments, Array.from({ length: 6 }, (_, i) => ({ key: `q${i}`, value: JSON.stringify({ id: `q${i}`, cardId: 'c2', amount: 100 + i }), timestamp: T0 + 20_000 + i, partition: 0 })));
  await until(() => chart.metrics().pointsIn === 6, 'six points on the chart');
  await until(() => session.streams().find((s) => s.name === 'sink-forward')!.records === 6, 'six records written');
  const written = await session.peekRecords(out, 10);
  assert.deepEqual(written.map((r) => (r.value as { 'sink-cards': { limit: number } })['sink-cards'].limit), [200, 200, 200, 200, 200, 200]);
  await session.stop('all');
});

test('a stream-stream left join of payments and declines emits each payment once: joined, or alone when its window closed', async () => {
  const p = (id: string, card: string, s: number) => ({ key: card, value: { id, cardId: card }, time: T0 + s * 1000 });
  const payments = await topicOf('ss-payments', 1, [p('p1', 'c1', 0), p('p2', 'c2', 5), p('p3', 'c1', 40), p('p4', 'c9', 100)]);
  const declines = await topicOf('ss-declines', 1, [
    { key: 'c1', value: { cardId: 'c1', reason: 'limit' }, time: T0 + 3000 },
    { key: 'c1', value: { cardId: 'c1', reason: 'cvc' }, time: T0 + 38_000 },
    { key: 'c7', value: { cardId: 'c7', reason: 'late' }, time: T0 + 90_000 },
  ]);
  const join = await session.join(payments, declines, { kind: 'left', within: '10s', grace: '2s', consume: { from: 'earliest' }, name: 'with-declines' });
  assert.ok(join instanceof StreamStreamJoin);
  const results = resultsOf(join);
  // Taken in event-time order: p1 waits, the decline at 3 s joins it; p2 waits until the decline at 38 s moves stream
  // time past its window (5 + 10 + 2 s) and comes out alone; p3 joins the decline at 38 s; p4's window is still open.
  await until(() => join.metrics().left.records === 4 && join.metrics().right.records === 3, 'both sides read');
  await until(() => results.length === 3, 'three results');
  const rows = results.all();
  const pairs = rows.map((r) => [(r.value as { id: string }).id, ((r.value as Record<string, { reason?: string } | null>)[declines] ?? null)?.reason ?? null]);
  assert.deepEqual(pairs, [['p1', 'limit'], ['p2', null], ['p3', 'cvc']]);
  assert.equal(rows[0]!.time, T0 + 3000, 'a joined result has the later of the two times');
  assert.equal(rows[1]!.time, T0 + 5000, 'an unmatched result has its own time');
  assert.equal(join.metrics().pending, 1, 'p4 waits for its window to close');
  await session.stop('all');
});

test('joins that would silently give nothing are refused in one line, and nothing is left running', async () => {
  const payments = await topicOf('bad-payments', 2, [{ key: 'p1', value: { id: 'p1', cardId: 42, amount: 1 }, time: T0 }]);
  const declines = await topicOf('bad-declines', 1, [{ key: 'c1', value: { cardId: 'c1' }, time: T0 }]);
  const cards = await session.table([{ cardId: '42', limit: 5 }], { key: 'cardId', name: 'ref-cards' });
  await assert.rejects(session.join(payments, 'ref-cards', { leftKey: 'cardID', consume: { from: 'earliest' } }), (e: Error) => {
    assert.match(e.message, /^join '.*': no record of '.*' has the key field 'cardID' among the record looked at; fields seen: id, cardId, amount; did you mean 'cardId'\?: name a field the records have; nothing was started$/);
    return true;
  });
  await assert.rejects(session.join(payments, 'ref-cards', { leftKey: 'cardId', consume: { from: 'earliest' } }), /the keys of '.*' \(field 'cardId'\) are number, e\.g\. 42, but those of 'ref-cards' \(field 'cardId'\) are text, e\.g\. '42': they never match: compare keys as text with keyText: true/);
  const asText = await session.join(payments, 'ref-cards', { leftKey: 'cardId', keyText: true, consume: { from: 'earliest' }, name: 'as-text' });
  assert.ok(asText instanceof StreamTableJoin);
  await until(() => asText.metrics().records === 1, 'the payment');
  assert.equal(asText.metrics().joined, 1, 'as text, 42 finds the card "42"');
  await assert.rejects(session.join(payments, declines, { within: '10s' }), /^StreamlabError: a stream-stream join window needs a grace period: .*: give grace \(e\.g\. grace: 5000, or --grace 5s; 0 waits for none\)$/);
  await assert.rejects(session.join(payments, declines, { within: '10s', grace: 0 }), /has 2 partitions and '.*' 1: joining by record key needs co-partitioned topics .* as Kafka Streams requires: write one of them again/);
  await assert.rejects(session.join('ref-cards', payments, {}), /^StreamlabError: 'ref-cards' is a table, and a table on the left joins only another table: to enrich a stream with 'ref-cards', put the stream first/);
  assert.deepEqual(session.streams().map((s) => s.name).sort(), ['as-text', 'ref-cards']);
  assert.ok(cards.size === 1);
  await session.stop('all');
});

test('two tables join by key; a deletion on one side ends the inner result with a tombstone', async () => {
  const a = await session.table([{ id: 'k1', x: 1 }, { id: 'k2', x: 2 }], { key: 'id', name: 'ta' });
  const b = await session.table([{ id: 'k2', y: 20 }, { id: 'k3', y: 30 }], { key: 'id', name: 'tb' });
  const inner = await session.join('ta', 'tb', { name: 'tab' });
  assert.ok(inner instanceof TableTableJoin);
  assert.deepEqual(inner.result.rows().map((r) => r.key), ['k2']);
  const out = collect(inner);
  await b.add([{ id: 'k1', y: 10 }]);
  assert.deepEqual(inner.get('k1'), { id: 'k1', x: 1, tb: { id: 'k1', y: 10 } });
  await a.add([{ topic: 'ta', partition: 0, offset: 9, key: 'k2', timestamp: T0, time: T0, value: null }]);
  assert.equal(inner.get('k2'), undefined);
  assert.deepEqual(out.map((r) => [r.key, r.value === null ? null : 'joined']), [['k1', 'joined'], ['k2', null]]);
  await session.stop('all');
});
