/**
 * How counts, rates, sizes, table numbers and instants read for a person, in the kernel's outputs and in the extension's panel alike.
 * Dependency-free, like everything in protocol/.
 */

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.round(n).toLocaleString('en-US');
}

/** A rate per second: one decimal below 10, whole numbers above. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  return perSecond < 10 ? `${Number(perSecond.toFixed(1))}/s` : `${formatCount(perSecond)}/s`;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '-';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}


/** A number for a table cell: integers as they are, others to six significant digits; NaN is empty. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return '';
  if (!Number.isFinite(n)) return String(n);
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

/** Epoch ms as ISO-8601 in UTC, without a zero millisecond part: 2026-03-01T08:01:40Z. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}
