/**
 * streamlab's joins against the real Kafka Streams library on the same topics of a real Kafka: seeded random
 * records on co-partitioned 3-partition topics (12 keys, out-of-order records within grace, records late by more
 * than window + grace, tombstones, keys only one side has), every join kind and type. Kafka Streams runs through
 * test/support/kafkaStreamsJoin.ts (trusted because of test/kafka/kafkaStreamsJoinReference.test.ts); streamlab reads
 * both topics from their first record with its own consumers. Rows are compared per partition, in emission order,
 * key, both sides and timestamp; table-table joins by their final table. Rerun one seed with JOIN_SEED=<seed>.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawRecord, TopicAdmin, TopicSource } from '../../src/kafka';
import { KeyedTable, StreamStreamJoin, StreamTableJoin, TableTableJoin } from '../../src/join';
import type { JsonValue, StreamRecord } from '../../src/record';
import { produceRaw } from '../support/broker';
import { kafkaForKafkaStreams } from '../support/kafkaStreams';
import { KafkaStreamsJoinOptions, ReferenceJoinRow, runKafkaStreamsJoin } from '../support/kafkaStreamsJoin';

const kafkaBrokers = kafkaForKafkaStreams();
const T0 = Math.floor((Date.now() - 40 * 60_000) / 60_000) * 60_000;
const PARTITIONS = 3;
const KEYS = 12;
const SEEDS = process.env.JOIN_SEED ? [Number(process.env.JOIN_SEED)] : [11, 29];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

interface Rec {
  key: string | null;
  partition: number;
  time: number;
  id: string | null;
}

const keyName = (k: number) => `k${String(k).padStart(2, '0')}`;
const partitionOf = (k: number) => k % PARTITIONS;

/**
 * One side of a stream: per partition, records whose times mostly advance, some out of order within `grace`, a few
 * late by more than window + grace. Every time is distinct (a Kafka Streams task orders equal heads in no fixed way).
 */
function streamSide(random: () => number, side: string, count: number, windowMs: number, graceMs: number): Rec[] {
  const out: Rec[] = [];
  const clock = Array.from({ length: PARTITIONS }, () => T0);
  for (let i = 0; i < count; i++) {
    const k = Math.floor(random() * KEYS);
    const p = partitionOf(k);
    clock[p]! += Math.floor(random() * 4000);
    const r = random();
    const offset = r < 0.1 ? -Math.floor(random() * graceMs) : r < 0.13 ? -(windowMs + graceMs + Math.floor(random() * 20_000)) : 0;
    out.push({ key: random() < 0.02 ? null : keyName(k), partition: p, time: uniqueTime(Math.max(T0, clock[p]! + offset)), id: `${side}${i}` });
  }
  return out;
}

const usedTimes = new Set<number>();
/** The time, or the next millisecond no record has yet. */
function uniqueTime(t: number): number {
  let time = t;
  while (usedTimes.has(time)) time++;
  usedTimes.add(time);
  return time;
}

function raw(records: Rec[]): RawRecord[] {
  return records.map((r) => ({ key: r.key, value: r.id === null ? null : JSON.stringify({ id: r.id, at: r.time - T0 }), timestamp: r.time, partition: r.partition }));
}

async function topicsOf(brokers: string, name: string, left: Rec[], right: Rec[]): Promise<[string, string]> {
  const names: [string, string] = [`${name}-left`, `${name}-right`];
  const admin = await TopicAdmin.connect({ brokers });
  try {
    for (const t of names) await admin.createTopic(t, PARTITIONS);
  } finally {
    await admin.disconnect();
  }
  await produceRaw({ brokers }, names[0], raw(left));
  await produceRaw({ brokers }, names[1], raw(right));
  return names;
}

const joiner = (left: unknown, right: unknown) => ({ left: (left ?? null) as JsonValue | null, right: (right ?? null) as JsonValue | null }) as unknown as JsonValue;

function render(key: string | null, value: { left: unknown; right: unknown } | null, timestamp: number): string {
  const id = (side: unknown) => (side === null || side === undefined ? '-' : (side as { id: string }).id);
  return value === null ? `${key ?? '(null)'} tombstone @${timestamp - T0}` : `${key ?? '(null)'} ${id(value.left)}|${id(value.right)} @${timestamp - T0}`;
}

function perPartition<T>(rows: T[], partition: (r: T) => number, text: (r: T) => string): string[][] {
  return Array.from({ length: PARTITIONS }, (_, p) => rows.filter((r) => partition(r) === p).map(text));
}

const kafkaRows = (rows: ReferenceJoinRow[]) => perPartition(rows, (r) => r.partition, (r) => render(r.key, r.value, r.timestamp));
const ourRows = (rows: StreamRecord<JsonValue>[]) =>
  perPartition(rows, (r) => r.partition, (r) => render(typeof r.key === 'string' ? r.key : null, r.value as unknown as { left: unknown; right: unknown } | null, r.time));

async function reference(t: { diagnostic: (m: string) => void }, opts: Omit<KafkaStreamsJoinOptions, 'bootstrapServers'>): Promise<ReferenceJoinRow[]> {
  const started = Date.now();
  const rows = await runKafkaStreamsJoin({ bootstrapServers: kafkaBrokers(), timeoutMs: 90_000, ...opts });
  t.diagnostic(`Kafka Streams ${opts.kind} ${opts.join}: ${rows.length} rows in ${Date.now() - started} ms`);
  return rows;
}

function source(topic: string, tombstones = false): TopicSource<unknown> {
  return new TopicSource<unknown>({ topic, from: 'earliest', connection: { brokers: kafkaBrokers() }, tombstones });
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Where two per-partition row lists first differ, for the failure message. */
function firstDifference(ours: string[][], theirs: string[][]): string {
  for (let p = 0; p < PARTITIONS; p++) {
    const a = ours[p]!;
    const b = theirs[p]!;
    for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return `partition ${p}, row ${i}: streamlab ${a[i] ?? '(none)'}, Kafka Streams ${b[i] ?? '(none)'}`;
  }
  return 'none';
}

for (const seed of SEEDS) {
  describe(`seed ${seed}`, { concurrency: 3 }, () => {
    const random = rng(seed);
    const WINDOW = 10_000;
    const GRACE = 5_000;
    const left = streamSide(random, 'L', 900, WINDOW, GRACE);
    const right = streamSide(random, 'R', 700, WINDOW, GRACE);
    const ssTopics = topicsOfOnce(`ss-${seed}`, left, right);

    for (const kind of ['inner', 'left', 'outer'] as const) {
      test(`stream-stream ${kind}, within 10 s, grace 5 s: the same rows in the same order per partition`, async (t) => {
        const [l, r] = await ssTopics();
        const theirs = kafkaRows(await reference(t, { kind: 'stream-stream', join: kind, leftTopic: l, rightTopic: r, beforeMs: WINDOW, afterMs: WINDOW, graceMs: GRACE }));
        const join = new StreamStreamJoin({ kind, within: WINDOW, grace: GRACE, joiner });
        const out: StreamRecord<JsonValue>[] = [];
        join.subscribe((rows) => void out.push(...rows));
        const [ls, rs] = [source(l), source(r)];
        join.attach(ls, rs);
        await Promise.all([ls.start(), rs.start()]);
        await until(() => join.metrics().records === left.length + right.length && join.metrics().waiting === 0, 'both sides joined');
        await Promise.all([ls.stop(), rs.stop()]);
        const ours = ourRows(out);
        const m = join.metrics();
        t.diagnostic(`streamlab: ${out.length} rows; joined ${m.joined}, unmatched ${m.unmatchedEmitted}, late ${m.left.late} + ${m.right.late}, pending ${m.pending}`);
        assert.ok(m.left.late + m.right.late > 0, 'the data has late records');
        assert.equal(firstDifference(ours, theirs), 'none');
        assert.deepEqual(ours, theirs);
      });
    }

    // Asymmetric: a right record joins a left one from 2 s before it to 8 s after it.
    test('stream-stream left, 2 s before / 8 s after, grace 0: the same rows', async (t) => {
      const [l, r] = await ssTopics();
      const theirs = kafkaRows(await reference(t, { kind: 'stream-stream', join: 'left', leftTopic: l, rightTopic: r, beforeMs: 2000, afterMs: 8000, graceMs: 0 }));
      const join = new StreamStreamJoin({ kind: 'left', before: 2000, after: 8000, grace: 0, joiner });
      const out: StreamRecord<JsonValue>[] = [];
      join.subscribe((rows) => void out.push(...rows));
      const [ls, rs] = [source(l), source(r)];
      join.attach(ls, rs);
      await Promise.all([ls.start(), rs.start()]);
      await until(() => join.metrics().records === left.length + right.length && join.metrics().waiting === 0, 'both sides joined');
      await Promise.all([ls.stop(), rs.stop()]);
      const ours = ourRows(out);
      assert.equal(firstDifference(ours, theirs), 'none');
    });

    // Stream-table: the table (right) is older than every stream record: updates, deletions, keys it lacks.
    const tableRecs: Rec[] = [];
    for (let i = 0; i < 60; i++) {
      const k = Math.floor(random() * (KEYS - 2));
      tableRecs.push({ key: keyName(k), partition: partitionOf(k), time: uniqueTime(T0 - 600_000 + i * 1000), id: random() < 0.15 ? null : `T${i}` });
    }
    const stTopics = topicsOfOnce(`st-${seed}`, left, tableRecs);
    for (const kind of ['inner', 'left'] as const) {
      test(`stream-table ${kind}: the same rows`, async (t) => {
        const [l, r] = await stTopics();
        const theirs = kafkaRows(await reference(t, { kind: 'stream-table', join: kind, leftTopic: l, rightTopic: r }));
        const ours = ourRows(await streamTable(l, r, kind, undefined, left.length));
        assert.equal(firstDifference(ours, theirs), 'none');
      });
    }

    // Versioned: table updates interleaved in time with the stream; each record joins the version of its own time.
    const versions: Rec[] = [];
    for (let i = 0; i < 200; i++) {
      const k = Math.floor(random() * KEYS);
      versions.push({ key: keyName(k), partition: partitionOf(k), time: uniqueTime(T0 + Math.floor(random() * 900 * 2000)), id: random() < 0.1 ? null : `V${i}` });
    }
    // A table topic's records of one key in time order, as a changelog writes them.
    versions.sort((a, b) => a.time - b.time);
    const svTopics = topicsOfOnce(`sv-${seed}`, left, versions);
    for (const kind of ['inner', 'left'] as const) {
      test(`stream-table ${kind} on a versioned table: the same rows`, async (t) => {
        const [l, r] = await svTopics();
        const theirs = kafkaRows(await reference(t, { kind: 'stream-table-versioned', join: kind, leftTopic: l, rightTopic: r, historyMs: 3_600_000 }));
        const ours = ourRows(await streamTable(l, r, kind, 3_600_000, left.length));
        assert.equal(firstDifference(ours, theirs), 'none');
      });
    }

    // Table-table: two changelogs with updates and deletions; the final tables of the joins.
    const tl: Rec[] = [];
    const tr: Rec[] = [];
    for (let i = 0; i < 150; i++) {
      for (const [list, side] of [[tl, 'A'], [tr, 'B']] as const) {
        const k = Math.floor(random() * KEYS);
        list.push({ key: keyName(k), partition: partitionOf(k), time: uniqueTime(T0 + i * 1000 + Math.floor(random() * 900)), id: random() < 0.15 ? null : `${side}${i}` });
      }
    }
    const ttTopics = topicsOfOnce(`tt-${seed}`, tl, tr);
    // All topics first, one after another: creating topics while Kafka Streams runs start made Kafka answer
    // UNKNOWN_TOPIC_OR_PARTITION for a new topic's leader now and then.
    before(async () => {
      for (const ready of [ssTopics, stTopics, svTopics, ttTopics]) await ready();
    });
    for (const kind of ['inner', 'left', 'outer'] as const) {
      test(`table-table ${kind}: the same final table`, async (t) => {
        const [l, r] = await ttTopics();
        const rows = await reference(t, { kind: 'table-table', join: kind, leftTopic: l, rightTopic: r });
        const theirs = new Map<string, string>();
        for (const row of rows) row.value === null ? theirs.delete(String(row.key)) : theirs.set(String(row.key), render(row.key, row.value, row.timestamp));
        const a = new KeyedTable({ name: 'a' });
        const b = new KeyedTable({ name: 'b' });
        const join = new TableTableJoin({ left: a, right: b, kind, joiner });
        const [ls, rs] = [source(l, true), source(r, true)];
        join.follow(ls, rs);
        await Promise.all([ls.start(), rs.start()]);
        await Promise.all([ls.caughtUp(), rs.caughtUp()]);
        await Promise.all([ls.stop(), rs.stop()]);
        const ours = new Map(join.result.rows().map((row) => [String(row.key), render(String(row.key), join.get(row.key) as { left: unknown; right: unknown }, join.result.timeOf(row.key)!)]));
        assert.deepEqual([...ours].sort(), [...theirs].sort());
        t.diagnostic(`${ours.size} keys in the final table`);
      });
    }
  });
}

function topicsOfOnce(name: string, left: Rec[], right: Rec[]): () => Promise<[string, string]> {
  let ready: Promise<[string, string]> | undefined;
  return () => (ready ??= topicsOf(kafkaBrokers(), name, left, right));
}

async function streamTable(streamTopic: string, tableTopic: string, kind: 'inner' | 'left', historyMs: number | undefined, records: number): Promise<StreamRecord<JsonValue>[]> {
  const table = new KeyedTable({ name: 'table', ...(historyMs !== undefined ? { versioned: { historyMs } } : {}) });
  const ts = source(tableTopic, true);
  table.attach(ts);
  await ts.start();
  await ts.caughtUp();
  const join = new StreamTableJoin({ table, kind, joiner });
  const out: StreamRecord<JsonValue>[] = [];
  join.subscribe((rows) => void out.push(...rows));
  const s = source(streamTopic, true);
  join.attach(s);
  await s.start();
  await until(() => join.metrics().records === records, 'every stream record joined');
  await Promise.all([s.stop(), ts.stop()]);
  return out;
}
