/**
 * A topic's history for training: the last N records, a time range, or all it retains, read to its end offsets
 * with a progress bar, as rows (record values with their time) in time order and as a DataFrame. A memory bound
 * fails early, in one line: before reading when the topic holds more records than allowed, and while reading when
 * the bytes pass the bound.
 */
import { StreamlabError } from '../errors';
import { frameFromColumns, type DataFrame } from '../frames';
import { TopicAdmin, TopicSource, type ConnectionOptions, type ConnectionSettings } from '../kafka';
import { Progress, formatBytes, formatCount } from '../output';
import { rowOf } from './streamScorer';

export interface HistoryOptions {
  topic: string;
  connection?: ConnectionOptions | ConnectionSettings;
  /** The newest N records (across partitions). */
  last?: number;
  /** Only records with event time in [from, to) (epoch ms or ISO-8601). */
  from?: number | string;
  to?: number | string;
  /** Field holding event time (as a consumer's timeField). */
  timeField?: string;
  /** Fail before reading when more records than this would load. Default 1,000,000. */
  maxRecords?: number;
  /** Fail while reading once the records' bytes pass this. Default 512 MB. */
  maxBytes?: number;
  /** Show a progress bar in a notebook. Default true. */
  progress?: boolean;
  /** Stops the load (an interrupted training): it fails with one line, its consumer stopped. */
  signal?: AbortSignal;
}

export interface History {
  readonly rows: Record<string, unknown>[];
  readonly frame: DataFrame;
  readonly records: number;
  /** Records read to find them (with `last`, a little more than asked for: see loadHistory). */
  readonly read: number;
  readonly bytes: number;
  readonly deadLetters: number;
}

function epoch(v: number | string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const t = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(t)) throw new StreamlabError(`history ${what} '${String(v)}' is not a time`, 'give epoch ms or ISO-8601');
  return t;
}

export async function loadHistory(o: HistoryOptions): Promise<History> {
  const maxRecords = o.maxRecords ?? 1_000_000;
  const maxBytes = o.maxBytes ?? 512 * 1024 * 1024;
  const from = epoch(o.from, 'from');
  const to = epoch(o.to, 'to');
  if (o.last !== undefined && !(Number.isInteger(o.last) && o.last > 0)) throw new StreamlabError(`history last must be a positive whole number, got ${o.last}`);
  const admin = await TopicAdmin.connect(o.connection ?? {});
  let offsets;
  let start: Record<number, number>;
  try {
    await admin.requireTopic(o.topic, `loading the history of '${o.topic}'`);
    offsets = await admin.offsets(o.topic);
    // Kafka's time index knows record timestamps, not a field's event time: with a timeField it cannot seek, and
    // the read filters instead. Without one it seeks, unless it answers "nothing at or after that time" for every
    // partition of a topic that holds records: the embedded broker answers so for any time, so then it reads all.
    let byTime = from !== undefined && o.timeField === undefined ? await admin.offsetsForTimestamp(o.topic, from) : undefined;
    if (byTime && offsets.some((p) => p.high > p.low) && offsets.every((p) => (byTime!.get(p.partition) ?? p.high) >= p.high)) byTime = undefined;
    // The newest N: each partition gives its share of them, in proportion to what it holds, with 10 % to spare
    // (reading the newest N of every partition read N x partitions: 80,000 records for --last 20000 on four).
    // The read then keeps the newest N by time; a partition far busier lately than on average may give a few less.
    const held = offsets.reduce((n, p) => n + (p.high - p.low), 0);
    const share = (p: { low: number; high: number }) => (o.last === undefined || held === 0 ? Infinity : Math.ceil(((o.last * (p.high - p.low)) / held) * 1.1) + 8);
    start = Object.fromEntries(offsets.map((p) => [p.partition, Math.max(p.low, p.high - share(p), byTime?.get(p.partition) ?? p.low)]));
  } finally {
    await admin.disconnect();
  }
  const total = offsets.reduce((n, p) => n + Math.max(0, p.high - start[p.partition]!), 0);
  if (total === 0) throw new StreamlabError(`the history of '${o.topic}' is empty${from !== undefined ? ' from that time on' : ''}`, 'produce data to the topic first, or widen the range');
  const bounded = total;
  if (bounded > maxRecords && (o.last ?? Infinity) > maxRecords) {
    throw new StreamlabError(`the history of '${o.topic}' holds ${formatCount(total)} records, more than the memory bound of ${formatCount(maxRecords)}`, `load the newest (last: ${maxRecords}), a time range, or raise maxRecords`);
  }
  const progress = o.progress === false ? undefined : new Progress(`history of '${o.topic}'`, total, 'records');
  const source = new TopicSource({ topic: o.topic, connection: o.connection, from: { offset: start }, untilEnd: true, timeField: o.timeField, recentCapacity: 1 });
  const rows: Record<string, unknown>[] = [];
  // Where each row came from, so rows of one instant sort the same way on every load (partitions arrive in any order).
  const origin = new Map<Record<string, unknown>, number>();
  let bytes = 0;
  let failure: StreamlabError | undefined;
  source.subscribe((batch) => {
    if (failure) return;
    for (const r of batch) {
      if (to !== undefined && r.time >= to) continue;
      if (from !== undefined && r.time < from) continue;
      const row = rowOf(r);
      origin.set(row, r.partition * 2 ** 40 + r.offset);
      rows.push(row);
    }
    bytes = source.metrics().bytes;
    progress?.update(source.metrics().records + source.metrics().deadLetters);
    if (bytes > maxBytes) {
      failure = new StreamlabError(`the history of '${o.topic}' passed the memory bound of ${formatBytes(maxBytes)} after ${formatCount(rows.length)} records`, 'load the newest (last: N), a shorter time range, or raise maxBytes');
      void source.stop();
    }
  });
  const onAbort = () => {
    failure ??= new StreamlabError(`loading the history of '${o.topic}' was stopped after ${formatCount(rows.length)} records`, 'run the cell again to load it');
    void source.stop();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (o.signal?.aborted) onAbort();
    else {
      await source.start();
      await source.done();
    }
  } catch (e) {
    progress?.fail((e as Error).message);
    throw e;
  }
  o.signal?.removeEventListener('abort', onAbort);
  if (failure) {
    progress?.fail(failure.message);
    throw failure;
  }
  rows.sort((a, b) => Number(a.time) - Number(b.time) || origin.get(a)! - origin.get(b)!);
  const kept = o.last !== undefined ? rows.slice(-o.last) : rows;
  progress?.finish(source.metrics().records);
  if (kept.length === 0) throw new StreamlabError(`no record of '${o.topic}' falls in that time range`, 'widen the range (from/to)');
  const names = [...new Set(kept.slice(0, 1000).flatMap((r) => Object.keys(r)))];
  const frame = frameFromColumns(Object.fromEntries(names.map((n) => [n, kept.map((r) => r[n] ?? null)])));
  return { rows: kept, frame, records: kept.length, read: rows.length, bytes, deadLetters: source.metrics().deadLetters };
}
