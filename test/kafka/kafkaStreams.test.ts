/**
 * streamlab's windows against the real Kafka Streams library (the version of scripts/kafka/pom.xml), on the same
 * topics of a real Apache Kafka: 3 partitions, 12 keys (each in one partition, as Kafka's partitioner puts them),
 * records out of order within grace, late by more than grace, bursts of tied timestamps, gaps and probes on every
 * window boundary (test/support/streamGenerator.ts), several seeds. streamlab reads each topic three ways: a
 * TopicSource from earliest, one with 2 KB fetches (partitions finely interleaved), and a random interleaving of the
 * same records by hand. Every final tumbling, hopping and sliding window must equal Kafka Streams' (count, sum, min,
 * max; for sliding windows, Kafka's last emission of each: its suppress emits some twice); session windows may
 * differ only where the README's windows section says they do, and each difference is checked to be of a
 * documented kind. Every read gives the same windows. Rerun one seed with WINDOW_SEED=<seed>.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TopicAdmin, TopicSource } from '../../src/kafka';
import type { StreamRecord } from '../../src/record';
import { WindowSpec, WindowedStream, hopping, sessionWindow, sliding, tumbling, windowed } from '../../src/window';
import { produceRaw } from '../support/broker';
import { ReferenceWindow, ReferenceWindowSpec, kafkaForKafkaStreams, referenceFinalWindows, runKafkaStreamsWindows } from '../support/kafkaStreams';
import { FLUSH_KEY, GeneratedRecord, asRawRecords, generatePartitions } from '../support/streamGenerator';
import { ReplaySource, play } from '../support/replaySource';

const SEEDS = process.env.WINDOW_SEED ? [Number(process.env.WINDOW_SEED)] : [11, 22, 33];
const GRACE = 5_000;
const PARTITIONS = 3;
const PER_PARTITION = 2500;

interface Kind {
  reference: ReferenceWindowSpec;
  spec: WindowSpec;
}

const KINDS: Kind[] = [
  { reference: { name: 'tumbling', kind: 'tumbling', sizeMs: 10_000, graceMs: GRACE }, spec: tumbling('10s') },
  { reference: { name: 'hopping', kind: 'hopping', sizeMs: 10_000, advanceMs: 2_500, graceMs: GRACE }, spec: hopping('10s', '2500ms') },
  { reference: { name: 'sliding', kind: 'sliding', sizeMs: 4_000, graceMs: GRACE }, spec: sliding('4s') },
  { reference: { name: 'session', kind: 'session', gapMs: 3_000, graceMs: GRACE }, spec: sessionWindow('3s') },
];

/** A window as both sides give it. */
type Win = Omit<ReferenceWindow, 'name' | 'seq'>;

const id = (w: Win) => `${w.key}@${w.start}-${w.end}`;
const same = (a: Win, b: Win) => a.count === b.count && a.min === b.min && a.max === b.max && Math.abs(a.sum - b.sum) <= 1e-9 * Math.max(1, Math.abs(b.sum));

function engine(kind: Kind): WindowedStream {
  return windowed({ window: kind.spec, keyBy: 'k', grace: GRACE, aggregates: ['count', 'sum(v)', 'min(v)', 'max(v)'], retain: { windows: 1_000_000 }, lateLimit: 100_000, futureLimit: false });
}

function windowsOf(w: WindowedStream): Win[] {
  w.flush();
  return w
    .closedRows()
    .filter((r) => r.k !== FLUSH_KEY)
    .map((r) => ({ key: String(r.k), start: r.windowStart as number, end: r.windowEnd as number, count: r.count as number, sum: r.sum_v as number, min: r.min_v as number, max: r.max_v as number }));
}

/** Each record with its partition's stream time when it came (that record included): what lateness is judged by. */
function withStreamTime(partitions: GeneratedRecord[][]): { r: GeneratedRecord; streamTime: number }[] {
  return partitions.flatMap((records) => {
    let max = -Infinity;
    return records.map((r) => ({ r, streamTime: (max = Math.max(max, r.t)) }));
  });
}

interface Differences {
  /** Kafka Streams' windows left out of the exact comparison, each for a documented reason. */
  excused: number;
  /** Kafka Streams' windows compared exactly. */
  compared: number;
}

/**
 * Compares two window sets exactly, except for windows whose key and time lie within `reach` of an excusing record
 * (documented differences). Returns what was excused and compared.
 */
function compare(label: string, ours: Win[], theirs: Win[], excusedBy: { key: string; from: number; to: number }[] = []): Differences {
  const excused = (w: Win) => excusedBy.some((e) => e.key === w.key && w.start <= e.to && w.end >= e.from);
  const mine = new Map(ours.filter((w) => !excused(w)).map((w) => [id(w), w]));
  const kafka = new Map(theirs.filter((w) => !excused(w)).map((w) => [id(w), w]));
  const missing = [...kafka.keys()].filter((k) => !mine.has(k));
  const extra = [...mine.keys()].filter((k) => !kafka.has(k));
  const unequal = [...kafka.keys()].filter((k) => mine.has(k) && !same(mine.get(k)!, kafka.get(k)!)).map((k) => ({ streamlab: mine.get(k), kafkaStreams: kafka.get(k) }));
  assert.deepEqual({ missing: missing.slice(0, 3), extra: extra.slice(0, 3), unequal: unequal.slice(0, 2) }, { missing: [], extra: [], unequal: [] }, `${label}: ${missing.length} missing, ${extra.length} extra, ${unequal.length} unequal of ${kafka.size} windows`);
  return { excused: theirs.length - kafka.size, compared: kafka.size };
}

/**
 * The documented session differences, each checked to be of its kind, as the spans to leave out of the exact
 * comparison:
 * (1) Kafka Streams also takes a record older than its partition's stream time - grace - gap when it falls within
 *     the gap of a session that ends recently enough; streamlab sets it aside. Such a Kafka session holds more records
 *     than streamlab's sessions within its span: at least one more, and no more than the records set aside there.
 * (2) Kafka Streams emits a session once stream time passes end + gap + grace; a later record within grace may then
 *     extend it into a second session of the key that overlaps or touches the first. streamlab emits each session
 *     once, at end + 2 gaps.
 * Every session of either side that is not in the other must lie within one of these spans.
 */
function sessionDifferences(label: string, ours: Win[], theirs: Win[], timed: { r: GeneratedRecord; streamTime: number }[], gap: number): { key: string; from: number; to: number }[] {
  const mine = new Map(ours.map((w) => [id(w), w]));
  const setAside = timed.filter(({ r, streamTime }) => r.t + gap < streamTime - GRACE).map(({ r }) => r);
  const spans: { key: string; from: number; to: number }[] = [];
  for (const w of theirs) {
    const paired = theirs.some((b) => b !== w && b.key === w.key && b.start <= w.end + gap && b.end >= w.start - gap);
    if (paired) {
      spans.push({ key: w.key, from: w.start - gap, to: w.end + gap });
      continue;
    }
    const equal = mine.get(id(w));
    if (equal && same(equal, w)) continue;
    const inside = ours.filter((o) => o.key === w.key && o.start >= w.start && o.end <= w.end).reduce((n, o) => n + o.count, 0);
    const aside = setAside.filter((r) => r.k === w.key && r.t >= w.start && r.t <= w.end).length;
    assert.ok(w.count - inside >= 1 && w.count - inside <= aside, `${label}: Kafka Streams' session ${JSON.stringify(w)} holds ${w.count - inside} records more than streamlab's within it, with ${aside} set aside there: not a documented difference`);
    spans.push({ key: w.key, from: w.start - gap, to: w.end + gap });
  }
  return spans;
}

const kafkaBrokers = kafkaForKafkaStreams();

describe(`windows against Kafka Streams on Apache Kafka (seeds ${SEEDS.join(', ')})`, () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}: tumbling, hopping and sliding windows equal; sessions differ only as documented; three read orders agree`, async (t) => {
      const topic = `kstreams-compare-${seed}-${process.pid}`;
      const brokers = kafkaBrokers();
      const admin = await TopicAdmin.connect({ brokers });
      try {
        await admin.createTopic(topic, PARTITIONS);
      } finally {
        await admin.disconnect();
      }
      // An hour ago: a real Kafka refuses timestamps more than an hour ahead of its clock (the flush records).
      const startMs = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
      const generated = generatePartitions({ seed, partitions: PARTITIONS, keys: 12, perPartition: PER_PARTITION, aligned: true, graceMs: GRACE, boundaryMs: 2500, startMs });
      const raw = asRawRecords(generated, true);
      await produceRaw({ brokers }, topic, raw);

      const reference = referenceFinalWindows(await runKafkaStreamsWindows({ bootstrapServers: brokers, topic, windows: KINDS.map((k) => k.reference), timeoutMs: 180_000 }));
      const kafka = (name: string) => reference.filter((r: ReferenceWindow) => r.name === name).map(({ key, start, end, count, sum, min, max }) => ({ key, start, end, count, sum, min, max }));

      // Three reads: whole fetches, 2 KB fetches, and a random interleaving of the same records by hand.
      const reads: { name: string; windows: Win[][] }[] = [];
      for (const fetchMaxBytes of [undefined, 2048]) {
        const engines = KINDS.map(engine);
        const source = new TopicSource({ topic, from: 'earliest', connection: { brokers }, untilEnd: true, ...(fetchMaxBytes ? { fetchMaxBytes } : {}) });
        for (const w of engines) w.attach(source);
        await source.start();
        await source.done();
        reads.push({ name: fetchMaxBytes ? `TopicSource, ${fetchMaxBytes}-byte fetches` : 'TopicSource', windows: engines.map(windowsOf) });
      }
      const byPartition: StreamRecord<unknown>[][] = Array.from({ length: PARTITIONS }, () => []);
      for (const r of raw) {
        const list = byPartition[r.partition!]!;
        list.push({ topic, partition: r.partition!, offset: list.length, key: r.key as string, timestamp: r.timestamp!, time: r.timestamp!, value: JSON.parse(r.value as string) });
      }
      const engines = KINDS.map(engine);
      const replay = new ReplaySource(topic, byPartition);
      for (const w of engines) w.attach(replay);
      play(replay, { kind: 'random', seed });
      reads.push({ name: 'a random interleaving', windows: engines.map(windowsOf) });

      const timed = withStreamTime(generated);
      KINDS.forEach((kind, i) => {
        const name = kind.reference.name;
        const theirs = kafka(name);
        assert.ok(theirs.length > 100, `${name}: Kafka Streams emitted ${theirs.length} windows`);
        let excusedBy: { key: string; from: number; to: number }[] = [];
        if (name === 'sliding') {
          // Records late for their own window [t - size, t] that later windows may still hold: the case the window
          // definition decides (and Kafka Streams was said to mishandle). The data must have some; the windows must agree.
          const size = kind.reference.sizeMs!;
          const lateButReachable = timed.filter(({ r, streamTime }) => r.t < streamTime - GRACE && r.t + size >= streamTime - GRACE).length;
          assert.ok(lateButReachable > 0, 'the data has records late for their own sliding window');
          t.diagnostic(`seed ${seed} sliding: ${lateButReachable} records late for their own window but within reach of later ones`);
        } else if (name === 'session') {
          excusedBy = sessionDifferences(`seed ${seed}`, reads[0]!.windows[i]!, theirs, timed, kind.reference.gapMs!);
        }
        const first = compare(`seed ${seed} ${name} (${reads[0]!.name})`, reads[0]!.windows[i]!, theirs, excusedBy);
        for (const read of reads.slice(1)) {
          // Every read of the topic gives exactly the same windows as the first.
          compare(`seed ${seed} ${name}: ${read.name} against ${reads[0]!.name}`, read.windows[i]!, reads[0]!.windows[i]!);
        }
        if (name !== 'session') assert.equal(first.excused, 0, `${name}: nothing excused`);
        else assert.ok(first.excused <= 0.15 * (first.compared + first.excused), `${name}: ${first.excused} of Kafka Streams' ${first.compared + first.excused} windows excused: the documented differences should be rare`);
        t.diagnostic(`seed ${seed} ${name}: ${first.compared} of Kafka Streams' ${first.compared + first.excused} windows equal, ${first.excused} left out as documented differences`);
      });
    });
  }
});
