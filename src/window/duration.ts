/** Durations as users write them: a number of milliseconds, or a string such as '500ms', '10s', '1m', '2h', '1d'. */
import { StreamlabError } from '../errors';

export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds in `value`. `what` names the setting in the error, e.g. "tumbling window size".
 * Zero is allowed here; callers that need a positive duration say so in their own check.
 */
export function parseDuration(value: Duration, what: string): number {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(value);
    if (!m) {
      throw new StreamlabError(`bad duration '${value}' for ${what}`, `use a number of milliseconds or a string like '500ms', '10s', '1m', '2h'`);
    }
    ms = Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
  } else {
    throw new StreamlabError(`bad duration ${String(value)} for ${what}`, `use a number of milliseconds or a string like '10s'`);
  }
  if (!Number.isFinite(ms)) throw new StreamlabError(`${what} must be a finite duration, got ${String(value)}`);
  if (ms < 0) throw new StreamlabError(`${what} must not be negative, got ${String(value)}`, 'use a positive duration such as 10s');
  if (!Number.isInteger(ms)) throw new StreamlabError(`${what} must be a whole number of milliseconds, got ${String(value)}`);
  return ms;
}

/** Short text for a duration in messages and column labels: 10000 -> '10s'. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
