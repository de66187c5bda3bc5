/**
 * The handles of tables and joins: how each reports itself in streams(), %streams, the Streams panel and its status
 * line. A join's counters say what a person needs to trust it: joined, unmatched, late per side, waiting, memory.
 */
import type { TopicSource } from '../kafka/topicSource';
import { joinCounts, type AnyJoin, type KeyedTable } from '../join';
import { CounterRate } from '../util/counterRate';
import { formatBytes, formatCount, formatRate } from '../output/format';
import { sourceStatus } from './handles';
import type { StreamHandle, StreamStatus } from './streamRegistry';

export type { AnyJoin };

export function tableHandle(table: KeyedTable, parts: { own?: TopicSource<unknown>; reads: string; stop: () => Promise<void> }): StreamHandle {
  const rate = new CounterRate(() => table.metrics().updates + table.metrics().deletes);
  let stopped = false;
  const status = (): StreamStatus => {
    const m = table.metrics();
    const f = parts.own ? sourceStatus(parts.own) : undefined;
    return {
      topic: f?.topic ?? parts.reads,
      state: stopped ? 'stopped' : (f?.state ?? 'open'),
      records: m.updates + m.deletes,
      recordsPerSecond: Math.round(rate.perSecond()),
      lag: f?.lag ?? 0,
      deadLetters: m.noKey + m.keysRefused + m.expired + (f?.deadLetters ?? 0),
      late: m.expired,
      errors: f?.errors ?? 0,
      lastError: f?.lastError,
      memoryBytes: m.memoryBytes,
      groupId: f?.groupId,
    };
  };
  return {
    kind: 'table',
    target: table,
    watched: parts.own,
    doing: `a table of ${parts.reads}, latest value per ${table.keyDescription}${table.versioned ? ' (versioned)' : ''}`,
    status,
    counters: () => {
      const m = table.metrics();
      const s = status();
      const out = [`${formatCount(m.keys)} keys`, `${formatCount(m.updates)} updates`, formatRate(s.recordsPerSecond)];
      if (m.deletes) out.push(`${formatCount(m.deletes)} deletes`);
      if (table.versioned) out.push(`${formatCount(m.versions)} versions`);
      if (parts.own) out.push(`lag ${formatCount(s.lag)}`);
      if (m.noKey) out.push(`${formatCount(m.noKey)} without a key`);
      if (m.expired) out.push(`${formatCount(m.expired)} older than the history`);
      if (m.keysRefused) out.push(`${formatCount(m.keysRefused)} keys refused (maxKeys)`);
      out.push(formatBytes(m.memoryBytes));
      return out;
    },
    stop: async () => {
      stopped = true;
      await parts.stop();
    },
  };
}

export function joinHandle(join: AnyJoin, parts: { feeds: TopicSource<unknown>[]; doing: string; stop: () => Promise<void> }): StreamHandle {
  const counted = () => joinCounts(join);
  const rate = new CounterRate(() => counted().records);
  let stopped = false;
  const status = (): StreamStatus => {
    const c = counted();
    const feeds = parts.feeds.map(sourceStatus);
    const failed = feeds.find((f) => f.state === 'failed');
    return {
      topic: feeds.map((f) => f.topic).join(' + ') || join.name,
      state: stopped ? 'stopped' : failed ? 'failed' : 'running',
      records: c.records,
      recordsPerSecond: Math.round(rate.perSecond()),
      lag: feeds.reduce((n, f) => n + f.lag, 0),
      deadLetters: c.setAside + feeds.reduce((n, f) => n + f.deadLetters, 0),
      late: c.late,
      errors: feeds.reduce((n, f) => n + f.errors, 0),
      lastError: failed?.lastError ?? feeds.find((f) => f.lastError)?.lastError,
      memoryBytes: c.memoryBytes + feeds.reduce((n, f) => n + f.memoryBytes, 0),
    };
  };
  return {
    kind: 'join',
    target: join,
    doing: parts.doing,
    status,
    counters: () => {
      const c = counted();
      const out = [`${formatCount(c.records)} records in`, formatRate(status().recordsPerSecond), `${formatCount(c.joined)} joined`];
      out.push(...c.details);
      if (c.memoryBytes > 0) out.push(`${formatBytes(c.memoryBytes)} held`);
      return out;
    },
    stop: async () => {
      stopped = true;
      await parts.stop();
    },
    // Its own consumers pause together: a join of two topics must not run one side ahead of the other.
    ...(parts.feeds.length > 0
      ? {
          pause: async () => {
            for (const f of parts.feeds) await f.pause();
          },
          resume: async () => {
            for (const f of parts.feeds) await f.resume();
          },
        }
      : {}),
  };
}

