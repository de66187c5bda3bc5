/**
 * One online detector per key (KeyedDetectors) and the detect stream over it (StreamDetector), without a broker:
 * keys are isolated (a spike on one key never flags another, and a key's scores are exactly those of its rows fed
 * alone to a fresh detector), state stays bounded with 100,000 keys (least recently seen evicted, counted; heap
 * after a full GC stays flat), an evicted key starts afresh, and scores are online: the first N rows score the same
 * whatever follows them and however they are batched. Everything is coded against the detector registry, so it
 * holds for whichever detector is the default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { DETECTORS, KeyedDetectors, StreamDetector, createDetector, type StreamRecord, type JsonValue, type BatchListener } from '../src';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

/** A smooth, slightly noisy series per key (deterministic), with no new extremes after its first cycles. */
function valueOf(key: number, i: number): number {
  return 50 + 10 * key + 5 * Math.sin(i / 7 + key) + ((i * 7919 + key * 31) % 13) / 13;
}

function gcFunction(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

test('each key has its own detector: a spike on A never flags B, and B scores as B alone through a fresh detector', () => {
  for (const name of Object.keys(DETECTORS)) {
    const keyed = new KeyedDetectors({ detector: name });
    const warmup = createDetector(name).warmupRows;
    const rows = warmup + 300;
    const spikeAt = warmup + 150;
    const scores: Record<string, number[]> = { A: [], B: [] };
    const flaggedB: number[] = [];
    let spikeFlagged = false;
    for (let i = 0; i < rows; i++) {
      for (const [k, key] of (['A', 'B'] as const).entries()) {
        const v = key === 'A' && i === spikeAt ? 10_000 : valueOf(k, i);
        scores[key]!.push(keyed.score(key, v, T0 + i * MINUTE));
        if (key === 'B' && keyed.lastIsAnomaly) flaggedB.push(i);
        if (key === 'A' && i === spikeAt) spikeFlagged = keyed.lastIsAnomaly;
      }
    }
    const alone = createDetector(name);
    const bAlone = Array.from({ length: rows }, (_, i) => alone.score(valueOf(1, i), T0 + i * MINUTE));
    assert.deepEqual(scores.B, bAlone, `${name}: B's scores are those of B alone`);
    assert.ok(!flaggedB.some((i) => i >= spikeAt && i < spikeAt + 2), `${name}: A's spike did not flag B`);
    assert.ok(spikeFlagged, `${name}: A's spike (10,000 among values near 50) is flagged`);
    assert.equal(scores.A[spikeAt]! >= keyed.threshold, true);
    const m = keyed.metrics();
    assert.equal(m.keys, 2);
    assert.equal(m.keysDropped, 0);
    assert.equal(m.rows, 2 * rows);
    assert.equal(m.rowsWarmingUp, 2 * Math.min(warmup, rows));
  }
});

test('a row of a key still learning says warmingUp and scores 0; the flagged row carries the reason the detector gave', () => {
  const keyed = new KeyedDetectors();
  const warmup = keyed.warmupRows;
  assert.equal(keyed.detectorName, Object.keys(DETECTORS)[0], 'the default is the registry\'s first');
  for (let i = 0; i < warmup + 200; i++) {
    const score = keyed.score('s1', valueOf(0, i), T0 + i * MINUTE);
    assert.equal(keyed.lastWarmingUp, i < warmup, `row ${i}`);
    if (i < warmup) assert.equal(score, 0, `a warming-up row scores 0 (row ${i})`);
  }
  keyed.score('s1', 1e6, T0 + (warmup + 200) * MINUTE);
  assert.equal(keyed.lastIsAnomaly, true);
  assert.equal(typeof keyed.lastReason, 'string', 'a flagged row says which part fired');
  keyed.score('s1', valueOf(0, 3), T0 + (warmup + 201) * MINUTE);
  if (!keyed.lastIsAnomaly) assert.equal(keyed.lastReason, undefined, 'a quiet row has no reason');
});

test('100,000 keys through maxKeys 1,000: at most 1,000 held, 99,000 dropped (least recently seen), heap flat, an evicted key starts afresh', () => {
  const gc = gcFunction();
  const cap = 1000;
  const keyed = new KeyedDetectors({ maxKeys: cap });
  // key-0, seen again on every 100th row, stays recently seen, so it is never the one evicted.
  let heapAtCap = 0;
  for (let i = 0; i < 100_000; i++) {
    keyed.score(`key-${i}`, valueOf(i % 7, i), T0 + i);
    if (i % 100 === 0 && i > 0) keyed.score('key-0', valueOf(0, i / 100), T0 + i);
    if (i % 10_000 === 0) assert.ok(keyed.metrics().keys <= cap, `keys within the cap at row ${i}`);
    if (i === 10_000) {
      gc();
      heapAtCap = process.memoryUsage().heapUsed;
    }
  }
  gc();
  const grown = process.memoryUsage().heapUsed - heapAtCap;
  const m = keyed.metrics();
  assert.equal(m.keys, cap);
  assert.equal(m.keysDropped, 99_000);
  assert.equal(m.rows, 100_999);
  assert.ok(keyed.has('key-0'), 'the key seen often was kept');
  assert.ok(keyed.has('key-99999') && !keyed.has('key-1'), 'the least recently seen went first');
  assert.ok(grown < 8 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MB from 10,000 keys to 100,000 (bounded state must not grow)`);
  // key-1 was evicted: seen again it starts a fresh detector, warming up again.
  keyed.score('key-1', 1, T0);
  assert.equal(keyed.rowsOf('key-1'), 1);
  assert.equal(keyed.lastWarmingUp, keyed.warmupRows > 0);
  assert.throws(() => new KeyedDetectors({ maxKeys: 0 }), /maxKeys must be a whole number >= 1/);
  assert.throws(() => new KeyedDetectors({ detector: 'likelyhood' }), /unknown detector 'likelyhood'/);
});

function record(i: number, value: JsonValue, partition = 0): StreamRecord<JsonValue> {
  const time = T0 + i * MINUTE;
  return { topic: 'readings', partition, offset: i, key: null, timestamp: time, time, value };
}

/** Rows of three sensors interleaved, one spike on s2. */
function rowsOf(n: number, spikeAt: number): StreamRecord<JsonValue>[] {
  return Array.from({ length: n }, (_, i) => {
    const sensor = `s${i % 3}`;
    const step = Math.floor(i / 3);
    return record(i, { sensor, value: sensor === 's2' && step === spikeAt ? 9_999 : valueOf(i % 3, step), time: T0 + i * MINUTE });
  });
}

test('the detect stream is online: the first N rows score the same whatever follows and however they are batched', async () => {
  const warmup = createDetector().warmupRows;
  const n = 3 * (warmup + 150);
  const all = rowsOf(n + 600, warmup + 100);
  const run = async (items: StreamRecord<JsonValue>[], batch: number) => {
    const d = new StreamDetector({ y: 'value', by: 'sensor' });
    const out: StreamRecord<JsonValue>[] = [];
    d.subscribe((rows) => void out.push(...rows));
    for (let i = 0; i < items.length; i += batch) await d.detect(items.slice(i, i + batch));
    return { d, out };
  };
  const first = await run(all.slice(0, n), 500);
  const longer = await run(all, 37);
  const scores = (rows: StreamRecord<JsonValue>[]) => rows.map((r) => [r.offset, r.value.score, r.value.isAnomaly, r.value.warmingUp]);
  assert.equal(first.out.length, n);
  assert.deepEqual(scores(longer.out.slice(0, n)), scores(first.out));
  // The scorer's shape: the record's fields with its time, score and isAnomaly; then reason and warmingUp.
  const spike = longer.out.filter((r) => r.value.isAnomaly);
  assert.deepEqual(spike.map((r) => r.value.sensor), ['s2']);
  assert.deepEqual(Object.keys(spike[0]!.value), ['time', 'sensor', 'value', 'score', 'isAnomaly', 'reason', 'warmingUp']);
  assert.equal(typeof spike[0]!.value.reason, 'string');
  assert.equal(spike[0]!.offset, all.find((r) => r.value.value === 9_999)!.offset, 'the record keeps its topic, partition and offset');
  assert.deepEqual(longer.d.flaggedRows(), [spike[0]!.value]);
  assert.equal(longer.d.metrics().keys, 3);
});

test('rows without a numeric y are counted and kept aside with where they came from, never dropped silently', async () => {
  const d = new StreamDetector({ y: 'reading.temp', by: 'device.id', keep: 5 });
  const scored: Record<string, unknown>[] = [];
  d.subscribeScored((rows) => void scored.push(...rows));
  await d.detect([
    record(0, { device: { id: 'd1' }, reading: { temp: 20 } }),
    record(1, { device: { id: 'd1' }, reading: { temp: '21.5' } }),
    record(2, { device: { id: 'd1' }, reading: {} }, 3),
    record(3, { device: { id: 'd2' }, reading: { temp: 'hot' } }, 1),
    record(4, { device: { id: 'd2' }, reading: { temp: null } }),
  ]);
  const m = d.metrics();
  assert.equal(m.records, 5);
  assert.equal(m.rows, 2);
  assert.equal(m.setAside, 3);
  assert.deepEqual(m.setAsideByReason, { "no 'reading.temp'": 2, "'reading.temp' not a number": 1 });
  const aside = d.setAsideRecords();
  assert.deepEqual(aside.map((a) => [a.reason, a.topic, a.partition, a.offset]), [
    ["no 'reading.temp'", 'readings', 3, 2],
    ["'reading.temp' not a number", 'readings', 1, 3],
    ["no 'reading.temp'", 'readings', 0, 4],
  ]);
  // The scorer's subscribeScored rows, with the key field under its own name.
  assert.deepEqual(Object.keys(scored[0]!), ['time', 'score', 'threshold', 'isAnomaly', 'reason', 'warmingUp', 'device.id']);
  assert.equal(scored[0]!['device.id'], 'd1');
  assert.throws(() => new StreamDetector({ y: '' }), /needs y/);
});

test('recent() gives the newest keepResults rows, oldest first, whether rows were built (subscribed) or kept as verdicts', async () => {
  const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ sensor: `s${(from + i) % 3}`, value: from + i, time: Date.UTC(2026, 0, 1) + (from + i) * 60_000 }));
  for (const subscribed of [false, true]) {
    const detector = new StreamDetector({ y: 'value', by: 'sensor', keepResults: 7 });
    if (subscribed) detector.subscribe(() => undefined);
    // Attached to a stream (not detect(), which always builds rows), so without a subscriber only verdicts are kept.
    let deliver: BatchListener<unknown> = () => undefined;
    detector.attach({ subscribe: (l) => ((deliver = l), () => undefined) });
    // Batches of 5 then 4 then 3: the ring wraps mid-batch, and one batch is shorter than the ring.
    await deliver(rows(0, 5));
    assert.deepEqual(detector.recent().map((r) => (r.value as { value: number }).value), [0, 1, 2, 3, 4]);
    await deliver(rows(5, 4));
    await deliver(rows(9, 3));
    const recent = detector.recent();
    assert.deepEqual(recent.map((r) => (r.value as { value: number }).value), [5, 6, 7, 8, 9, 10, 11], subscribed ? 'built rows' : 'verdicts');
    assert.deepEqual(detector.recent(2).map((r) => (r.value as { value: number }).value), [10, 11]);
    const last = recent.at(-1)!.value as Record<string, unknown>;
    assert.equal(last.sensor, 's2');
    assert.equal(last.warmingUp, true);
    assert.equal(last.isAnomaly, false);
    assert.equal(typeof last.score, 'number');
  }
});
