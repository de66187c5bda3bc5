/**
 * How numbers, times and sizes read for a person: counts with thousands separators, rates rounded, instants as
 * ISO-8601 in UTC, sizes in KB/MB, durations in the largest units. One place, so every table, status line and
 * message says them the same way (counts, rates, sizes, numbers and instants come from protocol/, which the extension shares).
 */
export { formatCount, formatRate, formatBytes, formatNumber, formatTime } from '../../protocol/format';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m - h * 60} m`;
}

/** Epoch milliseconds between 1973 and 5138: what a time field plausibly holds. */
export function isEpochMs(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 1e11 && v < 1e14;
}

const TIME_NAME = /(^|[_\s.])(time|timestamp|ts|date|at|watermark)$|(Time|At|Timestamp|Start|End)$|^window(Start|End)$/;

/** A column a person reads as instants: a time-like name whose values are all epoch ms (or missing). */
export function isTimeColumn(name: string, values: readonly unknown[]): boolean {
  if (!TIME_NAME.test(name)) return false;
  let seen = false;
  for (const v of values) {
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) continue;
    if (!isEpochMs(v)) return false;
    seen = true;
  }
  return seen;
}
