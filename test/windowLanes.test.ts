/**
 * Per-partition ("lane") watermarks. Randomised: records of several partitions (and topics) reach the engine
 * partition by partition in batches, as kafkajs delivers them, from fake sources whose reported progress the test
 * controls; the brute-force oracle (laneWatermarks in windowOracle.ts) is told the arrival order and, per arrival,
 * which lanes had unread data as the engine last read it, and recomputes every window. Then the real case on the
 * embedded broker: a topic of two partitions windowed from earliest. Rerun one seed with WINDOW_SEED=<seed>.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/demo/random';
import { ConnectionOptions, TopicSource } from '../src/kafka';
import { BatchProgress, StreamRecord } from '../src/record';
import { BatchSourceLike, hopping, sessionWindow, sliding, tumbling, windowed, WindowedStream } from '../src/window';
import { Kind, TestRecord, compareRows, laneBounds, laneWatermarks, oracle, watermarks } from './windowOracle';
import { produceRaw, startBroker, TestBroker, uniqueTopic } from './support/broker';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const SEEDS = process.env.WINDOW_SEED ? [Number(process.env.WINDOW_SEED)] : Array.from({ length: 24 }, (_, i) => 2000 + i);

const AGGREGATES = {
  value: ['count', 'sum', 'mean', 'min', 'max', 'first', 'last', 'distinct', 'p50'],
  tag: ['first', 'last'],
  '*': ['count'],
};

/** A TopicSource stand-in: batches are handed over by the test, progress is whatever the test says. */
class FakeSource implements BatchSourceLike {
  readonly position: number[];
  readonly high: number[];
  private readonly subscribers = new Set<(records: StreamRecord<any>[], progress?: BatchProgress) => void | Promise<void>>();
  constructor(
    readonly topic: string,
    partitions: number,
  ) {
    this.position = new Array(partitions).fill(0);
    this.high = new Array(partitions).fill(0);
  }
  subscribe(subscriber: (records: StreamRecord<any>[], progress?: BatchProgress) => void | Promise<void>): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }
  progress(): BatchProgress {
    return { topic: this.topic, partitions: this.position.map((position, partition) => ({ partition, position, highWatermark: this.high[partition]! })) };
  }
  /** Like TopicSource: subscribers first (with the progress before the batch), positions after. */
  deliver(records: StreamRecord<unknown>[]): void {
    for (const s of this.subscribers) void s(records, this.progress());
    for (const r of records) this.position[r.partition] = Math.max(this.position[r.partition]!, r.offset + 1);
  }
}

type Order = 'sequential' | 'fetches' | 'random' | 'mixed';

interface LaneCase {
  topics: number;
  partitions: number;
  perPartition: number;
  /** 'history': ends known from the start (a bounded read from earliest); 'live': ends lag and grow, so a partition may look caught up while it has data. */
  ends: 'history' | 'live';
  order: Order;
  stepMax: number;
  disorder: number;
  boundary: number;
  /** Partitions start up to this far apart in event time. */
  skew: number;
}

/** Each partition its own roughly ordered stream (a producer's clock), partitions offset in time. */
function generatePartitions(rng: SeededRandom, c: LaneCase): TestRecord[][] {
  const out: TestRecord[][] = [];
  for (let p = 0; p < c.partitions; p++) {
    const n = rng.next() < 0.1 ? 0 : rng.int(Math.ceil(c.perPartition / 2), c.perPartition);
    let clock = T0 + rng.int(0, Math.round(c.skew / 50)) * 50;
    const records: TestRecord[] = [];
    for (let i = 0; i < n; i++) {
      clock += rng.int(0, Math.round(c.stepMax / 50)) * 50;
      let t = clock;
      const roll = rng.next();
      if (roll < 0.15) t = clock - rng.int(0, Math.round(c.disorder / 50)) * 50;
      else if (roll < 0.22) t = Math.floor(clock / c.boundary) * c.boundary - (rng.next() < 0.3 ? 1 : 0);
      const r: TestRecord = { time: t, sensor: `s${rng.int(0, 2)}`, site: rng.next() < 0.5 ? 'north' : 'south' };
      const v = rng.next();
      if (i === 0 || v < 0.9) r.value = Math.round(rng.normal() * 40000 + 5000) / 1000;
      else if (v < 0.95) r.value = 'bad';
      else r.value = null;
      r.tag = `x${rng.int(0, 5)}`;
      records.push(r);
    }
    out.push(records);
  }
  return out;
}

interface Arrivals {
  records: TestRecord[];
  lanes: string[];
  unread: ReadonlySet<string>[];
  /** The engine's tie-break of first/last for each arrival: offset, then partition. */
  order: number[];
}

/** Feeds the sources' records to `w` batch by batch; returns what the oracle needs to know of it. */
function play(seed: number, c: LaneCase, w: WindowedStream): Arrivals {
  const rng = new SeededRandom(seed);
  const sources = Array.from({ length: c.topics }, (_, k) => {
    const source = new FakeSource(`topic-${k}`, c.partitions);
    const data = generatePartitions(rng, c);
    for (let p = 0; p < c.partitions; p++) source.high[p] = c.ends === 'history' ? data[p]!.length : rng.int(0, data[p]!.length);
    w.attach(source);
    return { source, data, read: new Set<string>() };
  });
  const arrivals: Arrivals = { records: [], lanes: [], unread: [], order: [] };
  const remaining = () => sources.flatMap((s, k) => s.data.map((d, p) => ({ k, p, left: d.length - s.source.position[p]! }))).filter((x) => x.left > 0);
  const take = (k: number, p: number, n: number): StreamRecord<TestRecord>[] => {
    const s = sources[k]!;
    const from = s.source.position[p]!;
    return s.data[p]!.slice(from, from + n).map((value, i) => ({ topic: s.source.topic, partition: p, offset: from + i, key: null, timestamp: value.time, time: value.time, value }));
  };
  const deliver = (k: number, batch: StreamRecord<TestRecord>[]) => {
    const s = sources[k]!;
    // What the engine reads at the start of the batch; other sources' lanes stay as it last read them.
    s.read = new Set(s.source.position.flatMap((pos, p) => (pos < s.source.high[p]! ? [`${s.source.topic}/${p}`] : [])));
    const unread = new Set(sources.flatMap((x) => [...x.read]));
    for (const r of batch) {
      arrivals.records.push(r.value);
      arrivals.lanes.push(`${r.topic}/${r.partition}`);
      arrivals.unread.push(unread);
      arrivals.order.push(r.offset * 1024 + r.partition);
    }
    s.source.deliver(batch);
    if (c.ends === 'live') {
      for (let p = 0; p < c.partitions; p++) {
        const pos = s.source.position[p]!;
        if (batch.some((r) => r.partition === p)) s.source.high[p] = rng.int(pos, s.data[p]!.length);
      }
    }
  };
  for (let left = remaining(); left.length > 0; left = remaining()) {
    const size = () => rng.int(1, rng.next() < 0.3 ? 60 : 12);
    if (c.order === 'sequential') {
      const { k, p } = left[0]!;
      deliver(k, take(k, p, size()));
    } else if (c.order === 'fetches') {
      // One fetch response: a batch of each partition with data, in turn.
      for (const { k, p } of left) deliver(k, take(k, p, size()));
    } else if (c.order === 'random') {
      const { k, p } = left[rng.int(0, left.length - 1)]!;
      deliver(k, take(k, p, size()));
    } else {
      // Batches mixing the partitions of one source (not what kafkajs does; exercises the engine's cached minimum).
      const k = left[rng.int(0, left.length - 1)]!.k;
      const batch: StreamRecord<TestRecord>[] = [];
      const taken = new Array(c.partitions).fill(0);
      for (let n = size(); n > 0; n--) {
        const open = left.filter((x) => x.k === k && taken[x.p] < x.left);
        if (open.length === 0) break;
        const { p } = open[rng.int(0, open.length - 1)]!;
        const s = sources[k]!;
        const offset = s.source.position[p]! + taken[p]++;
        const value = s.data[p]![offset]!;
        batch.push({ topic: s.source.topic, partition: p, offset, key: null, timestamp: value.time, time: value.time, value });
      }
      deliver(k, batch);
    }
  }
  return arrivals;
}

const specOf = (kind: Kind) => (kind.kind === 'tumbling' ? tumbling(kind.size) : kind.kind === 'hopping' ? hopping(kind.size, kind.advance) : kind.kind === 'sliding' ? sliding(kind.size) : sessionWindow(kind.gap));

/** Runs one case; returns how many records the global watermark would have made late, for comparison. */
function runLaneCase(seed: number, kind: Kind, grace: number, keyBy: (keyof TestRecord)[], c: LaneCase): { late: number; globalLate: number } {
  const label = `seed ${seed} ${JSON.stringify(kind)} grace ${grace} ${c.topics} topic(s) x ${c.partitions} partitions, ${c.ends}, ${c.order}`;
  const w = windowed({ window: specOf(kind), keyBy: keyBy as string[], grace, aggregates: AGGREGATES, retain: { windows: 100_000 } });
  const a = play(seed, c, w);
  const records = a.records;
  const times = records.map((r) => r.time);
  const wm = laneWatermarks(times, a.lanes, a.unread, grace);
  const o = oracle(records, kind, grace, keyBy, wm, laneBounds(times, a.lanes, wm, grace));
  const keys = keyBy as string[];

  assert.equal(w.metrics().records, records.length, `${label}: records`);
  assert.equal(w.watermark, o.finalWatermark, `${label}: watermark`);
  compareRows(`${label} (closed before flush)`, w.closedRows(), o.windows.filter((x) => x.closesAt <= o.finalWatermark), records, keys, w.columns, a.order);
  compareRows(`${label} (open before flush)`, w.openRows(), o.windows.filter((x) => x.closesAt > o.finalWatermark), records, keys, w.columns, a.order);
  assert.equal(w.late.count, o.late, `${label}: late records`);
  assert.equal(w.late.dropped, o.dropped.size, `${label}: dropped late records`);
  const nonNumeric = records.filter((r, i) => typeof r.value !== 'number' && !o.dropped.has(i)).length;
  assert.equal(w.invalid.count, nonNumeric, `${label}: records with a non-numeric value set aside`);

  // What holds the watermark: a lane with unread data at the lowest event time, when that is below the global one.
  const last = a.unread[a.unread.length - 1] ?? new Set<string>();
  const laneMax = (lane: string) => Math.max(-Infinity, ...records.filter((_, i) => a.lanes[i] === lane).map((r) => r.time));
  const globalMax = Math.max(-Infinity, ...records.map((r) => r.time));
  const lowest = Math.min(Infinity, ...[...last].map(laneMax));
  const held = w.metrics().watermarkHeldBy;
  if (lowest < globalMax && o.finalWatermark < globalMax - grace) {
    assert.ok(held, `${label}: watermarkHeldBy is set`);
    const lane = `${held.topic}/${held.partition}`;
    assert.ok(last.has(lane) && laneMax(lane) === lowest, `${label}: held by ${lane}, which is not an unread lane at the lowest time ${lowest}`);
  } else {
    assert.equal(held, undefined, `${label}: watermarkHeldBy`);
  }

  w.flush();
  compareRows(`${label} (after flush)`, w.closedRows(), o.windows, records, keys, w.columns, a.order);
  assert.equal(w.openRows().length, 0, `${label}: nothing open after flush`);
  return { late: o.late, globalLate: oracle(records, kind, grace, keyBy, watermarks(records, grace)).late };
}

const CASES: { name: string; c: Omit<LaneCase, 'stepMax' | 'disorder' | 'boundary'> }[] = [
  { name: 'history, partition after partition', c: { topics: 1, partitions: 2, perPartition: 120, ends: 'history', order: 'sequential', skew: 3000 } },
  { name: 'history, fetches of every partition', c: { topics: 1, partitions: 4, perPartition: 60, ends: 'history', order: 'fetches', skew: 5000 } },
  { name: 'history, random partitions, two topics', c: { topics: 2, partitions: 3, perPartition: 40, ends: 'history', order: 'random', skew: 5000 } },
  { name: 'live ends, random partitions', c: { topics: 1, partitions: 3, perPartition: 80, ends: 'live', order: 'random', skew: 2000 } },
  { name: 'live ends, mixed batches', c: { topics: 1, partitions: 4, perPartition: 60, ends: 'live', order: 'mixed', skew: 4000 } },
  { name: 'history, mixed batches, two topics', c: { topics: 2, partitions: 2, perPartition: 60, ends: 'history', order: 'mixed', skew: 4000 } },
];

function kindCases(kind: Kind, size: number, gen: { stepMax: number; disorder: number; boundary: number }, keyBys: (keyof TestRecord)[][]): void {
  for (const { name, c } of CASES) {
    test(name, () => {
      let differs = 0;
      for (const seed of SEEDS) {
        const keyBy = keyBys[seed % keyBys.length]!;
        const grace = [0, 0, Math.round(size / 2), size * 2][seed % 4]!;
        const r = runLaneCase(seed, kind, grace, keyBy, { ...c, ...gen });
        if (r.late !== r.globalLate) differs++;
      }
      // Not vacuous: in some of the cases the global watermark would have decided lateness differently.
      if (SEEDS.length > 1) assert.ok(differs > 0, `${name}: no case where the lanes mattered`);
    });
  }
}

describe('lane oracle: tumbling windows', () => {
  kindCases({ kind: 'tumbling', size: 1000 }, 1000, { stepMax: 150, disorder: 1500, boundary: 1000 }, [['sensor'], ['site', 'sensor'], []]);
});

describe('lane oracle: hopping windows', () => {
  kindCases({ kind: 'hopping', size: 1000, advance: 300 }, 500, { stepMax: 120, disorder: 1500, boundary: 300 }, [['sensor'], []]);
});

describe('lane oracle: sliding windows', () => {
  kindCases({ kind: 'sliding', size: 700 }, 400, { stepMax: 150, disorder: 1200, boundary: 700 }, [['sensor'], []]);
});

describe('lane oracle: session windows', () => {
  kindCases({ kind: 'session', gap: 300 }, 400, { stepMax: 300, disorder: 1500, boundary: 1000 }, [['sensor'], ['site', 'sensor'], []]);
});

/** Records i = 0..n-1 at T0 + i s, even i in partition 0, odd in partition 1, sensor s(i % 3), value i. */
function twoPartitionRecords(n: number): StreamRecord<{ i: number; sensor: string; time: number }>[][] {
  const parts: StreamRecord<{ i: number; sensor: string; time: number }>[][] = [[], []];
  for (let i = 0; i < n; i++) {
    const p = i % 2;
    const time = T0 + i * 1000;
    parts[p]!.push({ topic: 'two', partition: p, offset: parts[p]!.length, key: null, timestamp: time, time, value: { i, sensor: `s${i % 3}`, time } });
  }
  return parts;
}

/** The 12 windows of twoPartitionRecords(40) in 10 s tumbling windows by sensor, computed directly. */
function expectedTwelve(): Map<string, { count: number; sum: number; min: number; max: number }> {
  const out = new Map<string, { count: number; sum: number; min: number; max: number }>();
  for (let i = 0; i < 40; i++) {
    const id = `s${i % 3}|${T0 + Math.floor(i / 10) * 10_000}`;
    const e = out.get(id) ?? { count: 0, sum: 0, min: Infinity, max: -Infinity };
    out.set(id, { count: e.count + 1, sum: e.sum + i, min: Math.min(e.min, i), max: Math.max(e.max, i) });
  }
  return out;
}

function assertTwelve(w: WindowedStream, label: string): void {
  const want = expectedTwelve();
  assert.equal(want.size, 12);
  const rows = w.closedRows();
  const got = new Map(rows.map((r) => [`${String(r.sensor)}|${String(r.windowStart)}`, { count: r.count, sum: r.sum_i, min: r.min_i, max: r.max_i }]));
  assert.deepEqual(Object.fromEntries(got), Object.fromEntries(want), `${label}: all 12 windows exact`);
  assert.equal(w.late.count, 0, `${label}: no late records`);
}

const twelveWindows = () => windowed({ window: tumbling('10s'), keyBy: 'sensor', aggregates: { i: ['sum', 'min', 'max'], '*': ['count'] }, retain: { windows: 1000 } });

describe('lanes, by hand', () => {
  test('partition 0 read whole before partition 1: every window exact; the watermark waits for partition 1', () => {
    const w = twelveWindows();
    const source = new FakeSource('two', 2);
    source.high[0] = 20;
    source.high[1] = 20;
    w.attach(source);
    const [p0, p1] = twoPartitionRecords(40);
    source.deliver(p0!);
    assert.equal(w.watermark, -Infinity, 'partition 1 has unread data and no record yet');
    assert.deepEqual(w.metrics().watermarkHeldBy, { topic: 'two', partition: 1 });
    assert.equal(w.metrics().closedWindows, 0);
    source.deliver(p1!.slice(0, 7)); // up to i = 13
    assert.equal(w.watermark, T0 + 13_000, 'partition 0 is caught up: partition 1 leads');
    assert.deepEqual(w.metrics().watermarkHeldBy, { topic: 'two', partition: 1 });
    assert.equal(w.metrics().closedWindows, 3, 'the first 10 s window of each sensor closed');
    source.deliver(p1!.slice(7));
    assert.equal(w.watermark, T0 + 39_000);
    assert.equal(w.metrics().watermarkHeldBy, undefined, 'at the global maximum nothing holds it back');
    w.flush();
    assertTwelve(w, 'fake source');
  });

  test('hand-fed records (no source) keep the global watermark, whatever their partitions', () => {
    const w = twelveWindows();
    const [p0, p1] = twoPartitionRecords(40);
    w.addBatch(p0!);
    assert.equal(w.watermark, T0 + 38_000);
    w.addBatch(p1!);
    assert.equal(w.late.count, 15, 'odd records before 30 s are late, as before lanes');
    assert.equal(w.metrics().watermarkHeldBy, undefined);
  });

  test('a source that hands over no progress is fed as hand-fed records are: nothing holds the watermark', () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    const subscribers: ((records: StreamRecord<any>[]) => void | Promise<void>)[] = [];
    w.attach({
      subscribe: (s) => {
        subscribers.push(s);
        return () => undefined;
      },
    });
    const [p0, p1] = twoPartitionRecords(40);
    void subscribers[0]!(p0!);
    void subscribers[0]!(p1!);
    assert.equal(w.late.count, 15);
  });

  test('advanceTo forces the watermark past a held partition; flush closes everything', () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    const source = new FakeSource('two', 2);
    source.high[0] = 20;
    source.high[1] = 20;
    w.attach(source);
    const [p0] = twoPartitionRecords(40);
    source.deliver(p0!);
    assert.equal(w.watermark, -Infinity);
    w.advanceTo(T0 + 20_000);
    assert.equal(w.watermark, T0 + 20_000);
    assert.equal(w.metrics().closedWindows, 2);
    assert.deepEqual(w.metrics().watermarkHeldBy, { topic: 'two', partition: 1 });
    w.flush();
    assert.equal(w.watermark, Infinity);
    assert.equal(w.metrics().openWindows, 0);
  });

  test('detaching the source lets its partitions stop holding the watermark', () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'] });
    const source = new FakeSource('two', 2);
    source.high[0] = 20;
    source.high[1] = 20;
    const detach = w.attach(source);
    const [p0] = twoPartitionRecords(40);
    source.deliver(p0!);
    assert.equal(w.watermark, -Infinity);
    detach();
    assert.equal(w.watermark, T0 + 38_000);
    assert.equal(w.metrics().closedWindows, 3);
  });

  test('idleTimeout: a caught-up partition holds the watermark at its stream time that long, then windows close by the others, batch or no batch', async () => {
    let now = T0;
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'], idleTimeout: '5s', clock: () => now });
    const source = new FakeSource('two', 2);
    w.attach(source);
    const [p0, p1] = twoPartitionRecords(40);
    // Live: each batch is all its partition has, so after it the partition is caught up.
    source.high[1] = 3;
    source.deliver(p1!.slice(0, 3)); // odd i up to 5: partition 1 at 5 s
    source.high[0] = 20;
    source.deliver(p0!); // even i up to 38: partition 0 at 38 s
    assert.equal(w.watermark, T0 + 5_000, 'partition 1 caught up 0 s ago: it still holds the watermark at 5 s');
    assert.deepEqual(w.metrics().watermarkHeldBy, { topic: 'two', partition: 1 });
    now += 6_000;
    source.high[0] = 20;
    source.deliver([]); // progress only
    assert.equal(w.watermark, T0 + 38_000, 'after 5 s idle, partition 1 holds nothing');
    assert.equal(w.metrics().closedWindows, 3);
    const before = w.late.count;
    source.high[1] = 4;
    source.deliver(p1!.slice(3, 4)); // i = 7 at 7 s: its window closed while partition 1 was idle
    assert.equal(w.late.count, before + 1, 'a record of an idle partition whose window closed meanwhile is late');
  });

  test('idleTimeout expires by the clock when no batch comes', async () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'], idleTimeout: '150ms' });
    const source = new FakeSource('two', 2);
    w.attach(source);
    const [p0, p1] = twoPartitionRecords(40);
    source.high[1] = 3;
    source.deliver(p1!.slice(0, 3));
    source.high[0] = 20;
    source.deliver(p0!);
    assert.equal(w.metrics().closedWindows, 0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(w.watermark, T0 + 38_000);
    assert.equal(w.metrics().closedWindows, 3, 'the first 10 s windows closed when partition 1 went idle');
  });

  test('processing time ignores partitions', () => {
    let now = T0;
    const w = windowed({ window: tumbling('10s'), time: 'processing', aggregates: ['count'], clock: () => now });
    const source = new FakeSource('two', 2);
    source.high[0] = 20;
    source.high[1] = 20;
    w.attach(source);
    const [p0] = twoPartitionRecords(40);
    source.deliver(p0!.slice(0, 5));
    now += 25_000;
    source.deliver(p0!.slice(5));
    assert.equal(w.watermark, now);
    assert.equal(w.metrics().watermarkHeldBy, undefined);
  });
});

describe('lanes, through a real TopicSource', () => {
  let broker: TestBroker;
  let connection: ConnectionOptions;
  before(async () => {
    ({ broker, connection } = await startBroker());
  });
  after(async () => {
    await broker.stop();
  });

  test('two partitions windowed from earliest: all 12 windows exact, none late', async () => {
    const topic = uniqueTopic('lanes');
    await broker.createTopic(topic, 2);
    await produceRaw(
      connection,
      topic,
      Array.from({ length: 40 }, (_, i) => ({ value: JSON.stringify({ i, sensor: `s${i % 3}`, time: T0 + i * 1000 }), partition: i % 2, timestamp: T0 + i * 1000 })),
    );
    const source = new TopicSource({ topic, from: 'earliest', connection, timeField: 'time', untilEnd: true });
    const w = twelveWindows();
    // The same batches fed by hand, with no partition progress: the global watermark, for contrast.
    const global = twelveWindows();
    const batches: number[] = [];
    w.attach(source);
    source.subscribe((records) => {
      batches.push(records[0]!.partition);
      global.addBatch(records);
    });
    await source.start();
    await source.done();
    assert.equal(w.metrics().records, 40);
    w.flush();
    assertTwelve(w, `batches from partitions ${batches.join(',')}`);
    if (batches.length === 2) {
      // One batch per partition: whichever came second was late under the global watermark.
      global.flush();
      assert.ok(global.late.count > 0, 'the global watermark would have made records late');
    }
  });
});
