/**
 * Same topic, same windows: the windows of a topic must not depend on how the client interleaves its partitions.
 * The same records, in the same order within each partition, reach the engine partition after partition, in
 * fetch-like rounds, and in random interleavings with random batch sizes; every window kind, keys in one partition
 * each and keys spread over all of them, must give identical windows and the same late records. Then the real
 * path: a topic on the broker read twice by TopicSource (whole fetches, and tiny ones that interleave finely) and
 * once by %window in the real kernel, each equal to the partition-after-partition result.
 * Rerun one seed with WINDOW_SEED=<seed>.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TopicSource } from '../src/kafka';
import { StreamRecord } from '../src/record';
import { WindowSpec, WindowedStream, hopping, sessionWindow, sliding, tumbling, windowed } from '../src/window';
import { GeneratedRecord, asRawRecords, asStreamRecords, generatePartitions } from './support/streamGenerator';
import { Order, ReplaySource, play } from './support/replaySource';
import { produceRaw, startBroker, TestBroker, uniqueTopic } from './support/broker';
import { KernelProcess } from './support/kernelClient';
import { messagesOfType, resultData, startStreamlabKernel } from './support/streamlabKernel';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const SEEDS = process.env.WINDOW_SEED ? [Number(process.env.WINDOW_SEED)] : [101, 202, 303];
const GRACE = 5_000;
/** As %window --agg writes them, so that both give the same columns. */
const AGGREGATES = ['sum(v)', 'min(v)', 'max(v)', 'first(v)', 'last(v)', 'count'];

interface KindCase {
  name: string;
  spec: WindowSpec;
  /** The same window as %window flags. */
  flags: string;
}

const KINDS: KindCase[] = [
  { name: 'tumbling', spec: tumbling('10s'), flags: '--tumbling 10s' },
  { name: 'hopping', spec: hopping('10s', '2500ms'), flags: '--hopping 10s/2500ms' },
  { name: 'sliding', spec: sliding('4s'), flags: '--sliding 4s' },
  { name: 'session', spec: sessionWindow('3s'), flags: '--session 3s' },
];

/** A closed window as one line, its columns in name order. */
const ROW_LINE = '(r) => JSON.stringify(Object.keys(r).sort().map((c) => [c, r[c]]))';
const rowLine = eval(ROW_LINE) as (r: Record<string, unknown>) => string;
const digest = (lines: string[]) => createHash('sha256').update(lines.join('\n')).digest('hex');

interface Outcome {
  windows: string[];
  /** The closed windows in the order they closed (closedRows()), as a digest. */
  sequence: string;
  late: string[];
  lateCount: number;
  records: number;
}

function engine(kind: KindCase): WindowedStream {
  return windowed({ window: kind.spec, keyBy: 'k', grace: GRACE, aggregates: AGGREGATES, retain: { windows: 1_000_000 }, lateLimit: 100_000, futureLimit: false });
}

/** Closed windows as sorted lines, and the late records by partition and offset: what must not change. */
function outcome(w: WindowedStream): Outcome {
  w.flush();
  const lines = w.closedRows().map(rowLine);
  const windows = [...lines].sort();
  const late = w.late
    .list()
    .map((l) => {
      const r = l.record as StreamRecord<unknown>;
      return `${r.partition}@${r.offset}${l.dropped ? ' dropped' : ''}`;
    })
    .sort();
  return { windows, sequence: digest(lines), late, lateCount: w.late.count, records: w.metrics().records };
}

function run(kind: KindCase, partitions: StreamRecord<GeneratedRecord>[][], order: Order, withProgress = true): Outcome {
  const w = engine(kind);
  const source = new ReplaySource('readings', partitions, withProgress);
  w.attach(source);
  play(source, order);
  return outcome(w);
}

function assertSame(label: string, got: Outcome, want: Outcome): void {
  assert.equal(got.records, want.records, `${label}: records`);
  assert.equal(got.lateCount, want.lateCount, `${label}: late records`);
  assert.deepEqual(got.late, want.late, `${label}: which records were late`);
  const missing = want.windows.filter((x) => !got.windows.includes(x));
  const extra = got.windows.filter((x) => !want.windows.includes(x));
  assert.deepEqual({ missing: missing.slice(0, 3), extra: extra.slice(0, 3), counts: [got.windows.length, want.windows.length] }, { missing: [], extra: [], counts: [want.windows.length, want.windows.length] }, `${label}: windows differ`);
  assert.equal(got.sequence, want.sequence, `${label}: the same windows, closed in another order`);
}

const ORDERS: Order[] = [{ kind: 'rounds', batch: 1 }, { kind: 'rounds', batch: 37 }, ...[1, 2, 3, 4, 5, 6].map((seed) => ({ kind: 'random' as const, seed }))];

describe('the same records in any partition interleaving give the same windows (attach)', () => {
  for (const kind of KINDS) {
    for (const aligned of [true, false]) {
      test(`${kind.name}, ${aligned ? 'each key in one partition' : 'keys in every partition'}`, () => {
        let differedWithoutProgress = 0;
        let late = 0;
        for (const seed of SEEDS) {
          const partitions = asStreamRecords('readings', generatePartitions({ seed, partitions: 3, keys: 12, perPartition: 800, aligned, graceMs: GRACE, boundaryMs: 2500, startMs: T0 }));
          const reference = run(kind, partitions, { kind: 'sequential' });
          assert.ok(reference.windows.length > 50, `seed ${seed}: ${reference.windows.length} windows`);
          late += reference.lateCount;
          for (const order of ORDERS) {
            assertSame(`seed ${seed} ${kind.name} ${JSON.stringify(order)}`, run(kind, partitions, order), reference);
            // The same interleaving with no progress handed over: hand-fed, the windows close by the highest time seen.
            const handFed = run(kind, partitions, order, false);
            if (handFed.lateCount !== reference.lateCount || handFed.windows.join() !== reference.windows.join()) differedWithoutProgress++;
          }
        }
        assert.ok(late > 0, 'the data has late records');
        // Not vacuous: without per-partition event time, interleaving changes the result.
        assert.ok(differedWithoutProgress > 0, 'no interleaving changed the windows even without progress');
      });
    }
  }
});

describe('the same topic read from earliest gives the same windows on every read', () => {
  let broker: TestBroker;
  let kernel: KernelProcess | undefined;
  let topic: string;
  let partitions: StreamRecord<GeneratedRecord>[][];
  const references = new Map<string, Outcome>();

  before(async () => {
    ({ broker } = await startBroker({ writeState: true }));
    topic = uniqueTopic('interleave');
    await broker.createTopic(topic, 3);
    const generated = generatePartitions({ seed: SEEDS[0]!, partitions: 3, keys: 12, perPartition: 1500, aligned: false, graceMs: GRACE, boundaryMs: 2500, startMs: T0 });
    await produceRaw(broker.connection, topic, asRawRecords(generated));
    partitions = asStreamRecords(topic, generated);
    for (const kind of KINDS) references.set(kind.name, run(kind, partitions, { kind: 'sequential' }));
  });
  after(async () => {
    if (kernel && !kernel.hasExited) await kernel.shutdown();
    await broker.stop();
  });

  for (const fetchMaxBytes of [undefined, 2048]) {
    test(`TopicSource from earliest${fetchMaxBytes ? `, fetches of ${fetchMaxBytes} bytes` : ''}: every kind equals partition after partition`, async () => {
      const engines = KINDS.map((kind) => ({ kind, w: engine(kind) }));
      const source = new TopicSource({ topic, from: 'earliest', connection: broker.connection, untilEnd: true, ...(fetchMaxBytes ? { fetchMaxBytes } : {}) });
      const batches: number[] = [];
      source.subscribe((records) => void batches.push(records[0]!.partition));
      for (const { w } of engines) w.attach(source);
      await source.start();
      await source.done();
      for (const { kind, w } of engines) assertSame(`${kind.name}, batches from partitions ${batches.slice(0, 12).join(',')}...`, outcome(w), references.get(kind.name)!);
      if (fetchMaxBytes) assert.ok(new Set(batches.slice(0, 30)).size > 1, 'small fetches interleave the partitions');
    });
  }

  test('%window in the real kernel equals partition after partition, for every kind', async () => {
    kernel = await startStreamlabKernel();
    for (const kind of KINDS) {
      const name = `w_${kind.name}`;
      const cell = `%window ${topic} --from earliest ${kind.flags} --grace 5s --by k --agg sum(v),min(v),max(v),first(v),last(v),count --retain 1000000 --as ${name}`;
      const r = await kernel.execute(cell);
      assert.equal(r.reply.content.status, 'ok', `${cell}: ${JSON.stringify(messagesOfType(r.iopub, 'error').map((m) => m.content.evalue))}`);
    }
    const names = KINDS.map((k) => `w_${k.name}`);
    // What each window gave, as a digest of its sorted window lines (the lines themselves are too long for a cell's result).
    const r = await kernel.execute(
      `import { createHash } from 'crypto';\n` +
        `await Promise.all([${names.join(', ')}].map((w) => w.caughtUp()));\n` +
        `[${names.join(', ')}].map((w) => { w.flush(); const lines = w.closedRows().map(${ROW_LINE}); ` +
        `return [lines.length, createHash('sha256').update(lines.join('\\n')).digest('hex'), w.late.count, w.metrics().records].join(' '); }).join(';')`,
    );
    assert.equal(r.reply.content.status, 'ok', JSON.stringify(messagesOfType(r.iopub, 'error').map((m) => m.content.evalue)));
    const got = String(resultData(r)['text/plain']).replace(/^'|'$/g, '').split(';');
    KINDS.forEach((kind, i) => {
      const want = references.get(kind.name)!;
      assert.equal(got[i], [want.windows.length, want.sequence, want.lateCount, want.records].join(' '), `%window ${kind.flags}: windows, the digest of closedRows() in order, late records, records`);
    });
  });
});
