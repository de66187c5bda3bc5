/**
 * Models through a session and the embedded broker: history from a topic (the last N, all of it, the memory bound
 * failing early, an empty topic), session.train() on a topic, and session.score() as a session stream that sends
 * flagged rows to a topic, shows in streams() and ends with stop().
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedBroker, Session, TopicSink, TopicSource } from '../src';

let broker: EmbeddedBroker;
let session: Session;

function sensorRows(n: number, seed: number, spikes: readonly number[] = [], t0 = 1_700_000_000_000): { time: number; value: number; sensor: string }[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const spike = new Set(spikes);
  return Array.from({ length: n }, (_, i) => ({ time: t0 + i * 1000, sensor: 's1', value: 20 + 3 * Math.sin((2 * Math.PI * i) / 50) + 0.3 * gauss() + (spike.has(i) ? 5 : 0) }));
}

async function produce(topic: string, rows: object[]): Promise<void> {
  const sink = await TopicSink.open({ topic, connection: broker.connection, timeField: 'time', createTopic: { partitions: 1 } });
  await sink.write(rows);
  await sink.close();
}

before(async () => {
  broker = await EmbeddedBroker.start();
  session = new Session();
  await session.connect({ ...broker.connection, embeddedFallback: false });
});

after(async () => {
  await session.close();
  await broker.stop();
});

test('history loads the last N, or all, in time order; the memory bound and an empty topic fail in one line', async () => {
  await produce('history-a', sensorRows(3000, 1));
  const last = await session.history('history-a', { last: 500, timeField: 'time', progress: false });
  assert.equal(last.records, 500);
  assert.equal(last.rows[0]!.time, 1_700_000_000_000 + 2500 * 1000);
  // About N read, not N from every partition.
  const four = await TopicSink.open({ topic: 'history-p4', connection: broker.connection, timeField: 'time', keyField: 'key', createTopic: { partitions: 4 } });
  await four.write(sensorRows(3000, 1).map((r, i) => ({ ...r, key: `k${i % 16}` })));
  await four.close();
  const spread = await session.history('history-p4', { last: 500, timeField: 'time', progress: false });
  assert.equal(spread.records, 500);
  assert.ok(spread.read >= 500 && spread.read <= 600, `${spread.read} records read for the newest 500 of four partitions`);
  assert.equal(spread.rows[0]!.time, 1_700_000_000_000 + 2500 * 1000, 'and they are the newest 500');
  assert.equal(last.frame.shape[0], 500);
  assert.deepEqual(last.frame.columns.sort(), ['sensor', 'time', 'value']);
  const all = await session.history('history-a', { timeField: 'time', progress: false });
  assert.equal(all.records, 3000);
  await assert.rejects(session.history('history-a', { maxRecords: 1000, progress: false }), /^StreamlabError: the history of 'history-a' holds 3,000 records, more than the memory bound of 1,000: load the newest \(last: 1000\), a time range, or raise maxRecords$/);
  await assert.rejects(session.history('history-a', { maxBytes: 10_000, progress: false }), /^StreamlabError: the history of 'history-a' passed the memory bound of .* after .* records: load the newest \(last: N\), a shorter time range, or raise maxBytes$/);
  const sink = await TopicSink.open({ topic: 'history-empty', connection: broker.connection, createTopic: { partitions: 1 } });
  await sink.close();
  await assert.rejects(session.history('history-empty', { progress: false }), /^StreamlabError: the history of 'history-empty' is empty: produce data to the topic first, or widen the range$/);
});

test('session.train on a topic and session.score on a live topic: flagged rows reach the anomaly topic; the scorer is a stream', async () => {
  await produce('train-a', sensorRows(4000, 3));
  const { model, summary, backend } = await session.train('train-a', { kind: 'autoencoder', spec: { columns: ['value'], lags: 3, deltas: true }, epochs: 15, seed: 5, percentile: 99.9, history: { timeField: 'time', progress: false } });
  assert.equal(summary.trainRows + summary.validationRows, 3997);
  assert.ok(backend.name === summary.backend);
  await produce('live-a', []);
  const scorer = await session.score('live-a', model, { toTopic: 'anomaly-stream', name: 'scorer', consume: { from: 'earliest', timeField: 'time' } });
  assert.deepEqual(session.streams().map((s) => [s.name, s.kind]), [['scorer', 'score']]);
  const spikes = Array.from({ length: 10 }, (_, k) => 100 + k * 150);
  await produce('live-a', sensorRows(1700, 4, spikes, 1_800_000_000_000));
  const deadline = Date.now() + 30_000;
  while (scorer.metrics().records < 1700 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await scorer.idle();
  const m = scorer.metrics();
  assert.equal(m.records, 1700);
  assert.equal(m.scored + m.dropped, 1700, 'every record scored or counted as left out');
  assert.ok(m.flagged >= 10, `flagged ${m.flagged}`);
  const flagged = new TopicSource<{ time: number; score: number; isAnomaly: boolean }>({ topic: 'anomaly-stream', connection: broker.connection, from: 'earliest', untilEnd: true, recentCapacity: 10_000 });
  await flagged.start();
  await flagged.done();
  const got = flagged.latest(10_000);
  assert.equal(got.length, m.flagged);
  assert.ok(got.every((r) => r.value.isAnomaly === true && r.value.score >= model.threshold));
  const hit = spikes.filter((s) => got.some((r) => { const i = (r.value.time - 1_800_000_000_000) / 1000; return i >= s && i <= s + 3; })).length;
  assert.ok(hit >= 9, `${hit} of ${spikes.length} spikes reached the anomaly topic`);
  const stopped = await session.stop('scorer');
  assert.deepEqual(stopped, ['scorer']);
  assert.deepEqual(session.streams(), []);
});
