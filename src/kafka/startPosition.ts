/**
 * Where a stream starts, resolved to an explicit offset per partition before consuming. kafkajs cannot assign
 * partitions by hand (tulios/kafkajs#653), so the source joins a group and seeks to these offsets on every join.
 */
import { StreamlabError, didYouMean } from '../errors';
import { parseIsoTime } from '../record';
import { PartitionOffsets, TopicAdmin } from './topicAdmin';

export type StartFrom =
  | 'earliest'
  | 'latest'
  | 'committed'
  | { offset: number | Record<number, number> }
  | { timestamp: number | string | Date };

export interface PartitionStart {
  partition: number;
  offset: number;
  /** Skip records older than this until the first one at or after it (timestamp starts on the mock broker). */
  skipBefore?: number;
}

export function parseStartFrom(value: unknown): StartFrom {
  if (value === 'earliest' || value === 'latest' || value === 'committed') return value;
  if (value && typeof value === 'object') {
    if ('offset' in value) return value as StartFrom;
    if ('timestamp' in value) return value as StartFrom;
  }
  throw new StreamlabError(
    `bad start position ${JSON.stringify(value)}`,
    "use 'earliest', 'latest', 'committed', { offset: 42 } or { timestamp: '2026-01-01T00:00:00Z' }",
  );
}

/** How a start position is written on a command line or in a magic. */
export const START_POSITION_FORMS = 'earliest, latest, committed, offset:N or time:ISO-8601|EPOCH_MS';

/**
 * A start position as written on a command line or in a magic (earliest, offset:42, time:2026-01-01T00:00:00Z,
 * time:1767225600000), or undefined with the closest valid spelling, if any, for a "did you mean".
 */
export function parseStartText(raw: string): { from: StartFrom } | { guess?: string } {
  if (raw === 'earliest' || raw === 'latest' || raw === 'committed') return { from: raw };
  const colon = raw.indexOf(':');
  const [kind, rest] = colon < 0 ? [raw, ''] : [raw.slice(0, colon), raw.slice(colon + 1)];
  if (kind === 'offset' && /^\d+$/.test(rest) && Number.isSafeInteger(Number(rest))) return { from: { offset: Number(rest) } };
  if (kind === 'time' && /^\d+$/.test(rest) && Number.isSafeInteger(Number(rest))) return { from: { timestamp: Number(rest) } };
  if (kind === 'time' && Number.isFinite(parseIsoTime(rest))) return { from: { timestamp: rest } };
  if (colon < 0) return { guess: didYouMean(raw, ['earliest', 'latest', 'committed']) };
  const kindGuess = didYouMean(kind, ['offset', 'time']);
  if (!kindGuess || kindGuess === kind) return {};
  // A misspelt kind with an unreadable rest ('tme:' or 'ofset:x') is no better spelt right: suggest only what reads.
  const guess = `${kindGuess}:${rest}`;
  return 'from' in parseStartText(guess) ? { guess } : {};
}

export function toEpochMs(value: number | string | Date, what: string): number {
  // Strict ISO-8601 for text: Date.parse alone reads '5' as May 2001.
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : typeof value === 'string' ? parseIsoTime(value) : NaN;
  if (!Number.isFinite(ms)) throw new StreamlabError(`${what}: cannot read '${String(value)}' as a time`, 'use epoch milliseconds or an ISO-8601 date');
  return ms;
}

export async function resolveStart(
  admin: TopicAdmin,
  topic: string,
  from: StartFrom,
  offsets: PartitionOffsets[],
  groupId: string,
): Promise<PartitionStart[]> {
  const clamp = (p: PartitionOffsets, o: number) => Math.min(Math.max(o, p.low), p.high);
  if (from === 'earliest') return offsets.map((p) => ({ partition: p.partition, offset: p.low }));
  if (from === 'latest') return offsets.map((p) => ({ partition: p.partition, offset: p.high }));
  if (from === 'committed') {
    const committed = await admin.committedOffsets(groupId, topic);
    return offsets.map((p) => ({ partition: p.partition, offset: clamp(p, committed.get(p.partition) ?? p.low) }));
  }
  if ('offset' in from) {
    const spec = from.offset;
    return offsets.map((p) => {
      const o = typeof spec === 'number' ? spec : spec[p.partition];
      if (o !== undefined && (!Number.isInteger(o) || o < 0)) {
        throw new StreamlabError(`start offset for partition ${p.partition} must be a non-negative integer, got ${o}`);
      }
      return { partition: p.partition, offset: o === undefined ? p.high : clamp(p, o) };
    });
  }
  const ts = toEpochMs(from.timestamp, 'start timestamp');
  // librdkafka's mock answers ListOffsets-by-time with the end offset, so there the source reads from the start
  // and skips, per partition, every record before the first one at or after the timestamp: Kafka's own rule.
  if (await admin.isMockCluster()) return offsets.map((p) => ({ partition: p.partition, offset: p.low, skipBefore: ts }));
  const byTime = await admin.offsetsForTimestamp(topic, ts);
  return offsets.map((p) => {
    const o = byTime.get(p.partition);
    return { partition: p.partition, offset: o === undefined || o < 0 ? p.high : clamp(p, o) };
  });
}
