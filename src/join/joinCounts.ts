/**
 * What every kind of join reports, in the same words: records in, joined, and the details a person needs to trust
 * it (unmatched, late per side, waiting, set aside). Status lines, %streams and the join's own table read this.
 */
import { formatCount, formatTime } from '../output/format';
import type { StreamStreamJoin } from './streamStreamJoin';
import type { StreamTableJoin } from './streamTableJoin';
import type { TableTableJoin } from './tableTableJoin';

export type AnyJoin = StreamTableJoin | StreamStreamJoin | TableTableJoin;

export interface JoinCounts {
  records: number;
  joined: number;
  late: number;
  setAside: number;
  memoryBytes: number;
  details: string[];
}

export function joinCounts(join: AnyJoin): JoinCounts {
  if ('processNow' in join) {
    const m = join.metrics();
    const details: string[] = [];
    if (m.unmatchedEmitted) details.push(`${formatCount(m.unmatchedEmitted)} emitted without a partner`);
    if (m.pending) details.push(`${formatCount(m.pending)} waiting for their window to close`);
    const late = m.left.late + m.right.late;
    if (late) details.push(`late: ${formatCount(m.left.late)} left, ${formatCount(m.right.late)} right`);
    const never = m.left.expiredUnmatched + m.right.expiredUnmatched;
    if (never) details.push(`${formatCount(never)} never matched (setAside())`);
    const noKey = m.left.noKey + m.right.noKey;
    if (noKey) details.push(`${formatCount(noKey)} without a key`);
    if (m.waiting) details.push(`${formatCount(m.waiting)} waiting for the other side`);
    if (m.refused) details.push(`${formatCount(m.refused)} refused (maxRecords)`);
    if (Number.isFinite(m.streamTime)) details.push(`stream time ${formatTime(m.streamTime)}`);
    return {
      records: m.left.records + m.right.records,
      joined: m.joined,
      late,
      setAside: late + never + noKey + m.left.noValue + m.right.noValue,
      memoryBytes: m.memoryBytes,
      details,
    };
  }
  if ('asOf' in join) {
    const m = join.metrics();
    const details: string[] = [];
    if (m.unmatched) details.push(`${formatCount(m.unmatched)} without a '${join.options.table.name}' row${m.kind === 'inner' ? ' (setAside())' : ' (joined with null)'}`);
    if (m.noKey) details.push(`${formatCount(m.noKey)} without a key`);
    if (m.noValue) details.push(`${formatCount(m.noValue)} without a value`);
    details.push(`as of ${m.asOf === 'event-time' ? "each record's event time" : 'arrival'}`);
    return { records: m.records, joined: m.joined, late: 0, setAside: (m.kind === 'inner' ? m.unmatched + m.noKey : 0) + m.noValue, memoryBytes: 0, details };
  }
  const m = join.metrics();
  return { records: m.changes, joined: m.results, late: 0, setAside: 0, memoryBytes: m.memoryBytes, details: [`${formatCount(m.keys)} keys`, ...(m.tombstones ? [`${formatCount(m.tombstones)} deletions`] : [])] };
}

/** The caption of a join's table of newest results. */
export function joinCaption(join: AnyJoin): string {
  const c = joinCounts(join);
  return `join '${join.name}': the newest results · ${formatCount(c.records)} in, ${formatCount(c.joined)} joined${c.details.length ? ` · ${c.details.join(' · ')}` : ''}`;
}

/** Why a join has given nothing yet. */
export function joinWhyEmpty(join: AnyJoin, feeds: string[] = []): string {
  const c = joinCounts(join);
  if (c.records === 0) return `no records yet${feeds.length ? `: ${feeds.join('; ')}` : ''}`;
  return `${formatCount(c.records)} records in and none joined yet: ${c.details.join(', ') || 'no key matched'}`;
}
