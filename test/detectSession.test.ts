/**
 * session.detect on a real broker (the embedded one): three sensors, one with a spike, rows without a value among
 * them. Only the spike's row is flagged (with the reason its detector gave) and written to the topic; rows come out
 * with the scorer's shape; rows without a numeric y are counted and kept aside with their topic, partition and
 * offset; streams() lists it as 'detect' and stop() ends it; a detector of a running stream is itself a stream a
 * window and a chart take; a field no record has fails in one line with a did-you-mean and starts nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Session, StreamDetector, StreamScorer, createDetector, tumbling, type ConnectionOptions } from '../src';
import { produceRaw, startBroker, uniqueTopic, type TestBroker } from './support/broker';

let broker: TestBroker;
let connection: ConnectionOptions;
let session: Session;
let topic: string;
let total = 0;
let missing = 0;

const T0 = Date.UTC(2026, 2, 1);
const MINUTE = 60_000;
const warmup = createDetector().warmupRows;
const STEPS = warmup + 200;
const SPIKE_STEP = warmup + 120;

/** Three sensors on their own partitions, a smooth series each; s1 spikes once; every 50th step s2 sends no value. */
function sensorRecords(): { key: string; value: string; timestamp: number; partition: number }[] {
  const records = [];
  for (let step = 0; step < STEPS; step++) {
    for (let k = 0; k < 3; k++) {
      const sensor = `s${k}`;
      const time = T0 + step * MINUTE;
      const value = k === 1 && step === SPIKE_STEP ? 900 : 50 + 10 * k + 5 * Math.sin(step / 7 + k) + ((step * 7919 + k * 31) % 13) / 13;
      const body = k === 2 && step % 50 === 25 ? { sensor, time, status: 'no reading' } : { sensor, time, value };
      records.push({ key: sensor, value: JSON.stringify(body), timestamp: time, partition: k });
    }
  }
  return records;
}

before(async () => {
  ({ broker, connection } = await startBroker());
  session = new Session();
  await session.connect({ ...connection, embeddedFallback: false });
  topic = uniqueTopic('detect-sensors');
  await broker.createTopic(topic, 3);
  const records = sensorRecords();
  total = records.length;
  missing = records.filter((r) => !r.value.includes('"value"')).length;
  await produceRaw(connection, topic, records);
});

after(async () => {
  await session.close();
  await broker.stop();
});

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('session.detect on a topic: only the spiking key\'s spike row is flagged, with a reason; rows without a value are kept aside', async () => {
  const out = uniqueTopic('detect-flagged');
  const d = await session.detect(topic, { y: 'value', by: 'sensor', toTopic: out, name: 'spikes', consume: { from: 'earliest', timeField: 'time' } });
  assert.ok(d instanceof StreamDetector);
  await d.until(total);
  const m = d.metrics();
  assert.equal(m.records, total);
  assert.equal(m.rows, total - missing);
  assert.equal(m.keys, 3);
  assert.equal(m.keysDropped, 0);
  assert.equal(m.flagged, 1, JSON.stringify(d.flaggedRows()));
  assert.equal(m.rowsWarmingUp, 3 * warmup);

  const [flagged] = d.flaggedRows();
  assert.equal(flagged!.sensor, 's1');
  assert.equal(flagged!.value, 900);
  assert.equal(flagged!.time, T0 + SPIKE_STEP * MINUTE);
  assert.equal(flagged!.isAnomaly, true);
  assert.equal(flagged!.warmingUp, false);
  assert.ok(typeof flagged!.reason === 'string' && flagged!.reason.length > 0, `a flagged row says why: ${String(flagged!.reason)}`);
  // The scorer's row shape (the record's fields with its time, then score and isAnomaly), then reason and warmingUp.
  assert.deepEqual(Object.keys(flagged!), ['time', 'sensor', 'value', 'score', 'isAnomaly', 'reason', 'warmingUp']);
  const frame = d.flagged();
  assert.deepEqual(frame.columns, ['time', 'sensor', 'value', 'score', 'isAnomaly', 'reason', 'warmingUp']);
  assert.equal(frame.shape[0], 1);

  // Rows without a value: counted and kept aside with where they came from.
  assert.equal(m.setAside, missing);
  assert.deepEqual(m.setAsideByReason, { "no 'value'": missing });
  const aside = d.setAsideRecords();
  assert.equal(aside.length, missing);
  assert.ok(aside.every((a) => a.topic === topic && a.partition === 2 && typeof a.offset === 'number' && a.key === 's2'), JSON.stringify(aside[0]));
  assert.deepEqual(aside.map((a) => a.offset), Array.from({ length: missing }, (_, i) => 25 + 50 * i));

  // The flagged row went to the topic.
  await until(() => d.metrics().written === 1, 'the flagged row written');
  const written = await session.peekRecords(out, 10);
  assert.deepEqual(written.map((r) => [r.value.sensor, r.value.value, r.value.isAnomaly]), [['s1', 900, true]]);

  // streams() lists it as a detector, with the rows set aside as its dead letters; stop() ends it.
  const row = session.streams().find((s) => s.name === 'spikes')!;
  assert.equal(row.kind, 'detect');
  assert.equal(row.records, total);
  assert.equal(row.deadLetters, missing);
  assert.deepEqual(await session.stop('spikes'), ['spikes']);
  assert.equal(d.stopped, true);
  assert.equal(session.streams().find((s) => s.name === 'spikes'), undefined);
});

test('a detector of a running stream is a stream: a window counts its flagged rows, a chart draws its scores; no by is one key', async () => {
  // A fresh topic, written once the consumer, the detector, its window and its chart are all attached.
  const fresh = uniqueTopic('detect-live');
  await broker.createTopic(fresh, 3);
  await session.consume({ topic: fresh, from: 'earliest', timeField: 'time', name: 'readings' });
  const d = await session.detect('readings', { y: 'value', by: 'sensor', name: 'live' });
  const w = await session.window('live', { window: tumbling('1h'), keyBy: ['sensor'], aggregates: ['count', 'sum(score)'], name: 'live-hourly' });
  const chart = await session.plot('live', { show: false, name: 'live-chart' });
  const perKey = await session.plot('live', { show: false, by: 'sensor', name: 'live-per-key' });
  await produceRaw(connection, fresh, sensorRecords());
  await until(() => d.metrics().records === total, 'every record detected', 30_000);
  assert.ok(w.metrics().received > 0, 'the window gets the detector\'s rows');
  await until(() => chart.metrics().pointsIn > 0, 'the chart draws scores');
  assert.equal(chart.spec.source, "detector 'live'");
  // With by, a score line per key, and the threshold (the same for every key) in the title rather than a line each.
  assert.deepEqual(perKey.snapshot().series.map((t) => t.name).sort(), ['s0', 's1', 's2']);
  assert.equal(perKey.spec.title, "scores of 'live' per sensor (flagged from 0.5)");
  assert.match(chart.spec.title, /scores of 'live'/);
  assert.equal(d.metrics().flagged, 1);
  assert.deepEqual(session.streams().filter((s) => ['readings', 'live', 'live-hourly', 'live-chart', 'live-per-key'].includes(s.name)).map((s) => s.kind).sort(), ['chart', 'chart', 'consume', 'detect', 'window']);
  // Stopping the consumer stops what it fed: the detector and the window and chart of it.
  await session.stop('readings');
  assert.equal(d.stopped, true);
  assert.equal(session.streams().length, 0);

  const one = await session.detect(topic, { y: 'value', name: 'one-key', consume: { from: 'earliest', timeField: 'time' } });
  await one.until(total);
  assert.equal(one.metrics().keys, 1, 'without by, one detector for every row');
  // A chart drawn after the detector has run starts with the rows it keeps (its newest 1000), not empty.
  const late = await session.plot('one-key', { show: false, name: 'late-chart' });
  // Two points a row (score and threshold); the rows set aside for a missing value were never scored.
  assert.equal(late.metrics().pointsIn, 2 * Math.min(total - missing, 1000));
  assert.deepEqual(late.snapshot().series.map((t) => t.name).sort(), ['score', 'threshold']);
  await session.stop('all');
  assert.ok(!(one instanceof StreamScorer));
});

test('a field no record has fails in one line with a did-you-mean, and nothing is left running', async () => {
  await assert.rejects(
    session.detect(topic, { y: 'valu', by: 'sensor', name: 'typo', consume: { from: 'earliest', timeField: 'time' } }),
    (e: Error) => /^detect 'typo': no record has a numeric 'valu' \(y\) among the \d+ records looked at; fields seen: .*; did you mean 'value'\?: name a field the records have; nothing was started$/.test(e.message) && !e.message.includes('\n'),
  );
  await assert.rejects(
    session.detect(topic, { y: 'value', by: 'sensnor', name: 'typo2', consume: { from: 'earliest', timeField: 'time' } }),
    /no record has the field 'sensnor' \(by\).*did you mean 'sensor'\?/,
  );
  await assert.rejects(session.detect(topic, { y: 'value', detector: 'likelyhood' }), /unknown detector 'likelyhood'/);
  assert.deepEqual(session.streams(), []);
});
