/**
 * The Kafka Streams reference runner (test/support/kafkaStreams.ts) on a real Kafka (one KRaft node): hand-made
 * records with known timestamps on a 3-partition topic, all four window kinds in one run, and the tumbling and
 * session windows checked against sums done by hand. The comparison tests trust the runner because of this file. It
 * also pins down the one way Kafka Streams emits a final window twice (a sliding window updated at the stream time
 * suppress let it out at), which referenceFinalWindows() resolves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopicAdmin, RawRecord } from '../../src/kafka';
import { produceRaw } from '../support/broker';
import { ReferenceWindow, kafkaForKafkaStreams, referenceFinalWindows, runKafkaStreamsWindows } from '../support/kafkaStreams';

const kafkaBrokers = kafkaForKafkaStreams();

// Event times relative to T0, a whole minute half an hour ago (a real Kafka refuses timestamps far in the future and
// deletes those older than the retention, so no fixed date).
const T0 = Math.floor((Date.now() - 30 * 60_000) / 60_000) * 60_000;
const s = (seconds: number) => T0 + seconds * 1000;

// [key, partition, seconds after T0, v]: each key on one partition (Kafka Streams groups by key within a partition),
// in time order per partition, except the late k02 record at 8 s, produced after 33 s; k06 has two records in the same
// millisecond.
const DATA: [string, number, number, number][] = [
  ['k01', 0, 0, 1], ['k04', 0, 1, 10], ['k01', 0, 2, 2], ['k01', 0, 5, 3], ['k01', 0, 11, 4], ['k04', 0, 12, 20],
  ['k04', 0, 13, 30], ['k01', 0, 14, 5], ['k01', 0, 25, 6],
  ['k02', 1, 3, 1.5], ['k02', 1, 4, 2.5], ['k02', 1, 9, -1], ['k02', 1, 10, 7], ['k02', 1, 19, 8], ['k02', 1, 20, 9],
  ['k02', 1, 33, 0.25], ['k02', 1, 8, 1000],
  ['k03', 2, 0, 100], ['k03', 2, 30, 1], ['k03', 2, 31, 2], ['k03', 2, 32, 3], ['k03', 2, 45, 4], ['k03', 2, 47, 5],
  ['k03', 2, 59, 6], ['k03', 2, 60, 7], ['k03', 2, 61, 8], ['k03', 2, 61.5, 0.5], ['k06', 2, 70, 1], ['k06', 2, 70, 2],
];
const FLUSH_AT = s(600);

// Tumbling 10 s, no grace, by hand: [key, start s, count, sum, min, max]. k02's record at 8 s comes when its stream
// time is 33 s, after [0, 10) closed: Kafka drops it.
const TUMBLING: [string, number, number, number, number, number][] = [
  ['k01', 0, 3, 6, 1, 3], ['k01', 10, 2, 9, 4, 5], ['k01', 20, 1, 6, 6, 6],
  ['k04', 0, 1, 10, 10, 10], ['k04', 10, 2, 50, 20, 30],
  ['k02', 0, 3, 3, -1, 2.5], ['k02', 10, 2, 15, 7, 8], ['k02', 20, 1, 9, 9, 9], ['k02', 30, 1, 0.25, 0.25, 0.25],
  ['k03', 0, 1, 100, 100, 100], ['k03', 30, 3, 6, 1, 3], ['k03', 40, 2, 9, 4, 5], ['k03', 50, 1, 6, 6, 6], ['k03', 60, 3, 15.5, 0.5, 8],
  ['k06', 70, 2, 3, 1, 2],
];

test('Kafka Streams computes the final windows of all four kinds; tumbling and session ones match sums done by hand', async (t) => {
  const topic = 'kstreams-reference';
  const brokers = kafkaBrokers();
  const admin = await TopicAdmin.connect({ brokers });
  try {
    await admin.createTopic(topic, 3);
  } finally {
    await admin.disconnect();
  }
  const records: RawRecord[] = DATA.map(([k, partition, sec, v]) => ({
    key: k,
    value: JSON.stringify({ k, v, t: s(sec) }),
    timestamp: s(sec),
    partition,
  }));
  for (let partition = 0; partition < 3; partition++) {
    records.push({ key: '__flush__', value: JSON.stringify({ k: '__flush__', v: 0, t: FLUSH_AT }), timestamp: FLUSH_AT, partition });
  }
  await produceRaw({ brokers }, topic, records);

  const started = Date.now();
  const rows = await runKafkaStreamsWindows({
    bootstrapServers: brokers,
    topic,
    windows: [
      { name: 'tumble10', kind: 'tumbling', sizeMs: 10_000, graceMs: 0 },
      { name: 'hop10by5', kind: 'hopping', sizeMs: 10_000, advanceMs: 5_000, graceMs: 0 },
      { name: 'slide5', kind: 'sliding', sizeMs: 5_000, graceMs: 0 },
      { name: 'session3', kind: 'session', gapMs: 3_000, graceMs: 0 },
    ],
    timeoutMs: 60_000,
  });
  t.diagnostic(`Kafka Streams run: ${Date.now() - started} ms, ${rows.length} rows`);

  const data = rows.filter((r) => r.key !== '__flush__');
  assert.deepEqual(rows.map((r) => r.seq), rows.map((_, i) => i + 1), 'seq counts emissions from 1');
  const of = (name: string) => data.filter((r) => r.name === name);
  t.diagnostic(['tumble10', 'hop10by5', 'slide5', 'session3'].map((name) => `${name}: ${of(name).length} windows`).join(', '));

  const byKeyStart = (a: { key: string; start: number }, b: { key: string; start: number }) => a.key.localeCompare(b.key) || a.start - b.start;
  const tumbling = of('tumble10').map(({ key, start, end, count, sum, min, max }) => ({ key, start, end, count, sum, min, max })).sort(byKeyStart);
  const expected = TUMBLING.map(([key, sec, count, sum, min, max]) => ({ key, start: s(sec), end: s(sec + 10), count, sum, min, max })).sort(byKeyStart);
  assert.deepEqual(tumbling, expected);

  const twice = (r: ReferenceWindow) => r.name === 'slide5' && r.key === 'k06' && r.end === s(70);
  for (const name of ['tumble10', 'hop10by5', 'slide5', 'session3']) {
    assert.ok(of(name).length > 0, `${name} emitted final windows`);
    const once = of(name).filter((r) => !twice(r));
    assert.equal(new Set(once.map((r) => `${r.key}@${r.start}-${r.end}`)).size, once.length, `${name}: each final window once`);
  }
  // Sliding, grace 0: k06's first record at 70 s makes stream time 70 s, and suppress lets its window [65, 70] out at
  // once; the second record of that millisecond updates it, and it comes again. The last emission is the whole window.
  assert.deepEqual(data.filter(twice).map((r) => [(r.start - T0) / 1000, r.count, r.sum]), [[65, 1, 1], [65, 2, 3]]);
  const finals = referenceFinalWindows(rows);
  assert.equal(finals.length, data.length - 1, 'referenceFinalWindows: one row per window, no __flush__');
  assert.deepEqual(finals.filter(twice).map((r) => [r.count, r.sum]), [[2, 3]]);
  // Whatever the windows' details: every record but k02's late one is in one tumbling window, one session and two
  // hopping windows.
  const total = (name: string) => of(name).reduce((n, r) => n + r.count, 0);
  assert.equal(total('tumble10'), DATA.length - 1);
  assert.equal(total('session3'), DATA.length - 1);
  assert.equal(total('hop10by5'), 2 * (DATA.length - 1));
  // Sessions, gap 3 s: a record within 3 s of a session's end joins it; start and end are its first and last record.
  const sessions = of('session3').map((r) => [r.key, (r.start - T0) / 1000, (r.end - T0) / 1000, r.count]).sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1]));
  assert.deepEqual(sessions, [
    ['k01', 0, 5, 3], ['k01', 11, 14, 2], ['k01', 25, 25, 1],
    ['k02', 3, 4, 2], ['k02', 9, 10, 2], ['k02', 19, 20, 2], ['k02', 33, 33, 1],
    ['k03', 0, 0, 1], ['k03', 30, 32, 3], ['k03', 45, 47, 2], ['k03', 59, 61.5, 4],
    ['k04', 1, 1, 1], ['k04', 12, 13, 2], ['k06', 70, 70, 2],
  ]);
});
