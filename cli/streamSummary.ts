/** One console line per tick describing a running stream. */
import { SourceMetrics } from '../src';

export function summaryLine(m: SourceMetrics): string {
  const dead = Object.entries(m.deadLettersByReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return [
    `${m.topic} [${m.state}]`,
    `${m.records} records`,
    `${formatRate(m.recordsPerSecond)} rec/s`,
    `${formatBytes(m.bytesPerSecond)}/s`,
    `lag ${m.lag}`,
    `dead letters ${m.deadLetters}${dead ? ` (${dead})` : ''}`,
    m.restarts ? `restarts ${m.restarts}` : '',
    m.lastError && m.state !== 'running' ? `last error: ${m.lastError}` : '',
  ]
    .filter(Boolean)
    .join(' | ');
}

function formatRate(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0);
}

function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KB`;
  return `${n.toFixed(0)} B`;
}
