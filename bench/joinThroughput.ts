/**
 * Join throughput and memory, in one run, each join against a plain Map loop doing the same matching and building
 * the same output records (`{ ...left, <right name>: right }` in a StreamRecord-like wrapper), so the ratio is
 * what the engine's bookkeeping costs over code one would write by hand:
 *   1. stream-table (left, foreign key payment.cardId -> cards, as of arrival): 100,000 cards, 1,000,000 payments
 *      in batches of 1000, a few % with no card. Target: at least 0.5x the plain loop.
 *   2. stream-stream (inner, then left), two sides in event-time order, 10,000 keys, within 1 min, grace 5 s.
 *      No target: reported as measured.
 *   3. a long left stream-stream run (5,000,000 records, generated as it goes): the join's own figures (stored,
 *      pending, memoryBytes) and the heap after a full GC, every 10 % of the run; they must stay flat once the
 *      window is full (the last sample is compared with the one at 20 %).
 * Rounds alternate which contender goes first so that machine noise hits them alike, each run after a full GC;
 * medians are compared. The first pass of each comparison checks that the two give the same results, outside the clock.
 *
 *   node dist/bench/joinThroughput.js [payments=1000000] [rounds=5] [perSide=200000] [longRun=5000000]
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { KeyedTable, StreamStreamJoin, StreamTableJoin } from '../src';
import type { JsonValue, StreamRecord } from '../src';

const PAYMENTS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const PER_SIDE = Number(process.argv[4] ?? 200_000);
const LONG_RUN = Number(process.argv[5] ?? 5_000_000);
const CARDS = 100_000;
const MISSING = 0.03;
const BATCH = 1000;
const KEYS = 10_000;
const WITHIN = 60_000;
const GRACE = 5_000;
/** Each side sends bursts of BURST records (1 ms apart) every PERIOD ms, the right side half a period after the left. */
const BURST = 8;
const PERIOD = 80;
const T0 = Date.parse('2026-01-01T00:00:00Z');

type Rec = StreamRecord<JsonValue>;
type Value = Record<string, unknown>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

function time<T>(fn: () => T): { result: T; seconds: number } {
  const start = performance.now();
  const result = fn();
  return { result, seconds: (performance.now() - start) / 1000 };
}

function lcg(seed: number): () => number {
  return () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
}

/** Prints rows under a header, columns padded (text left, figures right). */
function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** A full GC before reading the heap: with --expose-gc, or by exposing it now (V8 allows it at run time). */
function gcFunction(): { gc: () => void; how: string } {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return { gc: g, how: '--expose-gc' };
  v8.setFlagsFromString('--expose-gc');
  return { gc: vm.runInNewContext('gc') as () => void, how: 'gc exposed at run time' };
}

// ---------------------------------------------------------------- 1. stream-table

interface TableData {
  cards: Value[];
  batches: Rec[][];
}

function makeTableData(): TableData {
  const rand = lcg(4242);
  const cards: Value[] = new Array(CARDS);
  for (let i = 0; i < CARDS; i++) cards[i] = { cardId: `card-${String(i).padStart(6, '0')}`, limit: 1000 + (i % 50) * 100, country: ['DE', 'FR', 'NL', 'SE'][i % 4]! };
  const batches: Rec[][] = [];
  let batch: Rec[] = [];
  for (let i = 0; i < PAYMENTS; i++) {
    const r = rand();
    // A few % name a card the table does not hold (a left join emits them with null).
    const cardId = r < MISSING ? `card-9${String(i % CARDS).padStart(6, '0')}` : cards[Math.floor(((r - MISSING) / (1 - MISSING)) * CARDS)]!.cardId;
    const t = T0 + i;
    batch.push({ topic: 'payments', partition: i % 8, offset: i >> 3, key: `pay-${i}`, timestamp: t, time: t, value: { id: i, cardId, amount: Math.round(rand() * 50_000) / 100 } });
    if (batch.length === BATCH) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return { cards, batches };
}

/** What a contender reports: its outputs, and how many found a card. */
interface TableRun {
  out: number;
  matched: number;
}

function engineTable(table: KeyedTable, batches: Rec[][], keep?: Rec[]): TableRun {
  const join = new StreamTableJoin({ table, kind: 'left', key: 'cardId' });
  let out = 0;
  for (const batch of batches) {
    const results = join.join(batch);
    out += results.length;
    if (keep) for (const r of results) keep.push(r);
  }
  const m = join.metrics();
  return { out, matched: m.joined };
}

/** By hand: a Map of cards by id, each payment looked up and wrapped as a record of the join's output. */
function plainTable(cards: Map<string, Value>, batches: Rec[][], keep?: Rec[]): TableRun {
  let emitted = 0;
  let matched = 0;
  for (const batch of batches) {
    const results: Rec[] = [];
    for (let j = 0; j < batch.length; j++) {
      const r = batch[j]!;
      const v = r.value as Value;
      const cardId = v.cardId as string;
      const card = cards.get(cardId);
      if (card !== undefined) matched++;
      results.push({ topic: 'cards-join', partition: r.partition, offset: emitted++, key: cardId, timestamp: r.time, time: r.time, value: { ...v, cards: card ?? null } });
    }
    if (keep) for (const r of results) keep.push(r);
  }
  return { out: emitted, matched };
}

function sameTableOutput(a: Rec[], b: Rec[]): void {
  if (a.length !== b.length) throw new Error(`stream-table: ${a.length} results vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xv = x.value as Value;
    const yv = y.value as Value;
    if (x.key !== y.key || x.time !== y.time || x.partition !== y.partition || x.offset !== y.offset || xv.id !== yv.id || xv.amount !== yv.amount || xv.cards !== yv.cards) {
      throw new Error(`stream-table: result ${i} differs: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    }
  }
}

// ---------------------------------------------------------------- 2. stream-stream

/** A run of consecutive records of one side, as processNow takes them. */
interface SideRun {
  side: 'left' | 'right';
  records: Rec[];
}

/**
 * Two sides in event-time order: bursts of BURST records every PERIOD ms on each side, the right side's half a
 * period later, random keys of KEYS; `count` records in all, made as they are asked for (the long run keeps none).
 */
function* sideRuns(count: number, seed: number): Generator<SideRun> {
  const rand = lcg(seed);
  const users = Array.from({ length: KEYS }, (_, i) => `user-${i}`);
  const next = [0, 0];
  let made = 0;
  for (let burst = 0; made < count; burst++) {
    for (const side of [0, 1] as const) {
      const base = T0 + burst * PERIOD + side * (PERIOD / 2);
      const n = Math.min(BURST, count - made);
      const records: Rec[] = new Array(n);
      for (let j = 0; j < n; j++) {
        const user = users[Math.floor(rand() * KEYS)]!;
        const id = next[side]++;
        const t = base + j;
        records[j] = side === 0
          ? { topic: 'views', partition: 0, offset: id, key: user, timestamp: t, time: t, value: { viewId: id, user, page: Math.floor(rand() * 500) } }
          : { topic: 'clicks', partition: 0, offset: id, key: user, timestamp: t, time: t, value: { clickId: id, user, ad: Math.floor(rand() * 200) } };
      }
      made += n;
      if (n > 0) yield { side: side === 0 ? 'left' : 'right', records };
    }
  }
}

/** Joined results, unmatched left records (emitted or still waiting), and an order-free checksum of the joined pairs. */
interface StreamRun {
  joined: number;
  unmatched: number;
  sum: number;
}

function pairSum(sum: number, out: Rec[]): number {
  for (const r of out) {
    const v = r.value as { viewId: number; clicks: { clickId: number } | null };
    if (v.clicks !== null) sum = (sum + v.viewId * 400_009 + v.clicks.clickId + 1) % 1_000_000_007;
  }
  return sum;
}

function engineStream(kind: 'inner' | 'left', runs: Iterable<SideRun>, check = false): StreamRun {
  const join = new StreamStreamJoin({ kind, within: WITHIN, grace: GRACE, leftName: 'views', rightName: 'clicks' });
  let sum = 0;
  for (const run of runs) {
    const out = join.processNow(run.side, run.records);
    if (check) sum = pairSum(sum, out);
  }
  const m = join.metrics();
  return { joined: m.joined, unmatched: m.unmatchedEmitted + m.pending, sum };
}

interface Kept {
  time: number;
  key: string;
  value: Value;
  matched: boolean;
}

/**
 * By hand: per side a Map of each key's recent records (time order) and a FIFO of all of them; a record joins the
 * other side's records of its key within the window, then is kept; records older than the window are dropped as
 * time moves on (a left record dropped without a partner is emitted with null, for the left join).
 */
function plainStream(kind: 'inner' | 'left', runs: Iterable<SideRun>, check = false): StreamRun {
  const stores = [new Map<string, Kept[]>(), new Map<string, Kept[]>()];
  const fifos: Kept[][] = [[], []];
  const heads = [0, 0];
  let emitted = 0;
  let joined = 0;
  let unmatched = 0;
  let sum = 0;
  const expire = (side: 0 | 1, before: number, out: Rec[]) => {
    const fifo = fifos[side]!;
    let head = heads[side]!;
    while (head < fifo.length && fifo[head]!.time < before) {
      const k = fifo[head]!;
      fifo[head++] = undefined as unknown as Kept;
      const list = stores[side]!.get(k.key)!;
      list.shift();
      if (list.length === 0) stores[side]!.delete(k.key);
      if (side === 0 && kind === 'left' && !k.matched) {
        out.push({ topic: 'views-clicks-join', partition: 0, offset: emitted++, key: k.key, timestamp: k.time, time: k.time, value: { ...k.value, clicks: null } });
        unmatched++;
      }
    }
    if (head > 4096 && head * 2 > fifo.length) {
      fifos[side] = fifo.slice(head);
      head = 0;
    }
    heads[side] = head;
  };
  for (const run of runs) {
    const side = run.side === 'left' ? 0 : 1;
    const other = (1 - side) as 0 | 1;
    const out: Rec[] = [];
    for (const r of run.records) {
      const t = r.time;
      const key = r.key as string;
      const value = r.value as Value;
      expire(0, t - WITHIN, out);
      expire(1, t - WITHIN, out);
      const kept: Kept = { time: t, key, value, matched: false };
      const candidates = stores[other]!.get(key);
      if (candidates) {
        for (const o of candidates) {
          if (o.time < t - WITHIN || o.time > t + WITHIN) continue;
          o.matched = true;
          kept.matched = true;
          const v = side === 0 ? { ...value, clicks: o.value } : { ...o.value, clicks: value };
          const at = Math.max(t, o.time);
          out.push({ topic: 'views-clicks-join', partition: 0, offset: emitted++, key, timestamp: at, time: at, value: v });
          joined++;
        }
      }
      let list = stores[side]!.get(key);
      if (!list) stores[side]!.set(key, (list = []));
      list.push(kept);
      fifos[side]!.push(kept);
    }
    if (check) sum = pairSum(sum, out);
  }
  // Left records still held without a partner are the ones the engine still waits on (pending).
  if (kind === 'left') for (let i = heads[0]!; i < fifos[0]!.length; i++) if (!fifos[0]![i]!.matched) unmatched++;
  return { joined, unmatched, sum };
}

function sameStream(a: StreamRun, b: StreamRun, label: string): void {
  if (a.joined !== b.joined || a.unmatched !== b.unmatched || a.sum !== b.sum) throw new Error(`${label}: engine ${JSON.stringify(a)} vs plain ${JSON.stringify(b)}`);
}

// ---------------------------------------------------------------- 3. memory over a long run

interface Sample {
  percent: number;
  records: number;
  eventSeconds: number;
  stored: number;
  pending: number;
  memoryBytes: number;
  heapUsed: number;
}

function longRun(gc: () => void): { samples: Sample[]; seconds: number } {
  const join = new StreamStreamJoin({ kind: 'left', within: WITHIN, grace: GRACE, leftName: 'views', rightName: 'clicks' });
  const samples: Sample[] = [];
  const sample = (percent: number, records: number, time: number) => {
    gc();
    const m = join.metrics();
    samples.push({ percent, records, eventSeconds: (time - T0) / 1000, stored: m.stored, pending: m.pending, memoryBytes: m.memoryBytes, heapUsed: process.memoryUsage().heapUsed });
  };
  let done = 0;
  let nextSample = LONG_RUN / 10;
  let outputs = 0;
  let busy = 0;
  for (const run of sideRuns(LONG_RUN, 777)) {
    const start = performance.now();
    outputs += join.processNow(run.side, run.records).length;
    busy += performance.now() - start;
    done += run.records.length;
    if (done >= nextSample) {
      sample(Math.round((100 * done) / LONG_RUN), done, run.records.at(-1)!.time);
      nextSample += LONG_RUN / 10;
    }
  }
  const m = join.metrics();
  if (m.left.late + m.right.late + m.refused !== 0 || outputs !== m.joined + m.unmatchedEmitted) throw new Error(`long run: ${JSON.stringify(m)}`);
  return { samples, seconds: busy / 1000 };
}

// ---------------------------------------------------------------- main

function main(): void {
  const started = performance.now();
  const { gc, how } = gcFunction();
  const summary: string[][] = [];

  // 1. stream-table
  const data = makeTableData();
  const cardTable = new KeyedTable({ name: 'cards', key: 'cardId' });
  cardTable.apply(data.cards);
  const cardMap = new Map<string, Value>(data.cards.map((c) => [c.cardId as string, c]));
  const e0: Rec[] = [];
  const p0: Rec[] = [];
  const er = engineTable(cardTable, data.batches, e0);
  const pr = plainTable(cardMap, data.batches, p0);
  sameTableOutput(e0, p0);
  if (er.matched !== pr.matched) throw new Error(`stream-table: ${er.matched} matched vs ${pr.matched}`);
  e0.length = 0;
  p0.length = 0;
  console.log(`stream-table: ${fmt(CARDS)} cards, ${fmt(PAYMENTS)} payments in batches of ${BATCH}, left join on cardId: ${fmt(pr.matched)} found a card, ${fmt(PAYMENTS - pr.matched)} did not; results agree`);
  const tEngine: number[] = [];
  const tPlain: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? ['engine', 'plain'] : ['plain', 'engine'];
    for (const who of order) {
      gc();
      const t = who === 'engine' ? time(() => engineTable(cardTable, data.batches)) : time(() => plainTable(cardMap, data.batches));
      (who === 'engine' ? tEngine : tPlain).push(PAYMENTS / t.seconds);
    }
    console.log(`  round ${round}: streamlab ${fmt(tEngine.at(-1)!)} rec/s, plain Map loop ${fmt(tPlain.at(-1)!)} rec/s`);
  }
  summary.push(['stream-table, left', fmt(PAYMENTS), fmt(median(tEngine)), fmt(median(tPlain)), (median(tEngine) / median(tPlain)).toFixed(2), '>= 0.50']);
  data.batches.length = 0;

  // 2. stream-stream
  const runs = [...sideRuns(2 * PER_SIDE, 99)];
  for (const kind of ['inner', 'left'] as const) {
    const e = engineStream(kind, runs, true);
    const p = plainStream(kind, runs, true);
    sameStream(e, p, `stream-stream ${kind}`);
    console.log(`stream-stream ${kind}: ${fmt(PER_SIDE)} records a side in event-time order (bursts of ${BURST}), ${fmt(KEYS)} keys, within ${WITHIN / 1000} s, grace ${GRACE / 1000} s: ${fmt(p.joined)} joined${kind === 'left' ? `, ${fmt(p.unmatched)} left records without a partner` : ''}; results agree`);
    const sEngine: number[] = [];
    const sPlain: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? ['engine', 'plain'] : ['plain', 'engine'];
      for (const who of order) {
        gc();
        const t = who === 'engine' ? time(() => engineStream(kind, runs)) : time(() => plainStream(kind, runs));
        (who === 'engine' ? sEngine : sPlain).push((2 * PER_SIDE) / t.seconds);
      }
      console.log(`  round ${round}: streamlab ${fmt(sEngine.at(-1)!)} rec/s, plain Map loop ${fmt(sPlain.at(-1)!)} rec/s`);
    }
    summary.push([`stream-stream, ${kind}`, fmt(2 * PER_SIDE), fmt(median(sEngine)), fmt(median(sPlain)), (median(sEngine) / median(sPlain)).toFixed(2), 'none']);
  }
  runs.length = 0;

  console.log('');
  console.log(`median of ${ROUNDS} rounds, records per second (both sides counted for stream-stream):`);
  table(['join', 'records', 'streamlab rec/s', 'plain Map rec/s', 'ratio', 'target'], summary);
  const tableRatio = median(tEngine) / median(tPlain);
  console.log(`stream-table ratio ${tableRatio.toFixed(2)}: ${tableRatio >= 0.5 ? 'meets' : 'MISSES'} the target of 0.50`);

  // 3. memory over a long run
  gc();
  const baseHeap = process.memoryUsage().heapUsed;
  const { samples, seconds } = longRun(gc);
  console.log('');
  console.log(`long run: left stream-stream join, ${fmt(LONG_RUN)} records in event-time order (${fmt((LONG_RUN / BURST / 2) * PERIOD / 1000)} s of event time), within ${WITHIN / 1000} s, grace ${GRACE / 1000} s; ${fmt(LONG_RUN / seconds)} rec/s; heap after a full GC (${how}), ${mb(baseHeap)} MB before the run`);
  table(
    ['progress', 'records', 'event time', 'stored', 'pending', 'memoryBytes', 'heapUsed'],
    samples.map((s) => [`${s.percent} %`, fmt(s.records), `${fmt(s.eventSeconds)} s`, fmt(s.stored), fmt(s.pending), `${mb(s.memoryBytes)} MB`, `${mb(s.heapUsed)} MB`]),
  );
  const at20 = samples.find((s) => s.percent >= 20) ?? samples[0]!;
  const last = samples.at(-1)!;
  const verdicts = (
    [
      ['stored', at20.stored, last.stored],
      ['pending', at20.pending, last.pending],
      ['memoryBytes', at20.memoryBytes, last.memoryBytes],
      ['heapUsed', at20.heapUsed, last.heapUsed],
    ] as const
  ).map(([what, a, b]) => {
    const change = a === 0 ? (b === 0 ? 0 : Infinity) : (b - a) / a;
    // Flat: within 10 % of the 20 % sample (the window holds a random number of records; the heap has a few MB of slack).
    return { what, flat: Math.abs(change) <= 0.1 || (what === 'heapUsed' && Math.abs(b - a) < 4 * 1048576), text: `${what} ${change >= 0 ? '+' : ''}${(100 * change).toFixed(1)} %` };
  });
  const flat = verdicts.every((v) => v.flat);
  console.log(`last sample vs the one at ${at20.percent} %: ${verdicts.map((v) => v.text).join(', ')}: ${flat ? 'flat' : `NOT flat (${verdicts.filter((v) => !v.flat).map((v) => v.what).join(', ')})`}`);
  console.log(`whole bench ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main();
