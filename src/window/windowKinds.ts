/**
 * The four window kinds, as plain descriptions that the engine turns into state. All run on event time in epoch
 * milliseconds; tumbling and hopping windows are aligned to the epoch, as Kafka Streams' TimeWindows are.
 */
import { StreamlabError, didYouMean } from '../errors';
import { Duration, formatDuration, parseDuration } from './duration';

/** [start, start + size), a new one every `advance` (advance = size for tumbling). */
export interface FixedWindowSpec {
  kind: 'tumbling' | 'hopping';
  sizeMs: number;
  advanceMs: number;
}

/**
 * Kafka Streams SlidingWindows: windows [start, start + size] with both ends inclusive, one ending at each record
 * and one starting just after each record when it holds later records. Only windows holding records exist.
 */
export interface SlidingWindowSpec {
  kind: 'sliding';
  sizeMs: number;
}

/** Records of a key closer than `gapMs` form one session [first record, last record]. */
export interface SessionWindowSpec {
  kind: 'session';
  gapMs: number;
}

export type WindowSpec = FixedWindowSpec | SlidingWindowSpec | SessionWindowSpec;

export const WINDOW_KINDS = ['tumbling', 'hopping', 'sliding', 'session'] as const;

function positive(value: Duration, what: string): number {
  const ms = parseDuration(value, what);
  if (ms === 0) throw new StreamlabError(`${what} must be positive, got ${String(value)}`, 'use a duration such as 10s');
  return ms;
}

export function tumbling(size: Duration): FixedWindowSpec {
  const sizeMs = positive(size, 'tumbling window size');
  return { kind: 'tumbling', sizeMs, advanceMs: sizeMs };
}

export function hopping(size: Duration, advance: Duration): FixedWindowSpec {
  const sizeMs = positive(size, 'hopping window size');
  const advanceMs = positive(advance, 'hopping window advance');
  if (advanceMs > sizeMs) {
    throw new StreamlabError(
      `hopping window advance ${formatDuration(advanceMs)} is larger than its size ${formatDuration(sizeMs)}`,
      'records between windows would belong to none; use an advance no larger than the size',
    );
  }
  return { kind: advanceMs === sizeMs ? 'tumbling' : 'hopping', sizeMs, advanceMs };
}

export function sliding(size: Duration): SlidingWindowSpec {
  return { kind: 'sliding', sizeMs: positive(size, 'sliding window size') };
}

export function sessionWindow(inactivityGap: Duration): SessionWindowSpec {
  return { kind: 'session', gapMs: positive(inactivityGap, 'session inactivity gap') };
}

/** Checks a spec that may have been built by hand (or by a magic), so a typo fails here and not on the first record. */
export function checkWindowSpec(spec: unknown): WindowSpec {
  if (spec === null || typeof spec !== 'object' || typeof (spec as { kind?: unknown }).kind !== 'string') {
    throw new StreamlabError('window is missing or not a window spec', "pass one of tumbling('10s'), hopping('1m', '10s'), sliding('30s'), sessionWindow('5m')");
  }
  const s = spec as Record<string, unknown>;
  const kind = s.kind as string;
  switch (kind) {
    case 'tumbling':
      return tumbling(s.sizeMs as number);
    case 'hopping':
      return hopping(s.sizeMs as number, s.advanceMs as number);
    case 'sliding':
      return sliding(s.sizeMs as number);
    case 'session':
      return sessionWindow(s.gapMs as number);
    default: {
      const guess = didYouMean(kind, WINDOW_KINDS);
      throw new StreamlabError(`unknown window kind '${kind}'`, `use one of ${WINDOW_KINDS.join(', ')}${guess ? ` (did you mean '${guess}'?)` : ''}`);
    }
  }
}

export function describeWindow(spec: WindowSpec): string {
  switch (spec.kind) {
    case 'tumbling':
      return `tumbling ${formatDuration(spec.sizeMs)}`;
    case 'hopping':
      return `hopping ${formatDuration(spec.sizeMs)} every ${formatDuration(spec.advanceMs)}`;
    case 'sliding':
      return `sliding ${formatDuration(spec.sizeMs)}`;
    case 'session':
      return `session, gap ${formatDuration(spec.gapMs)}`;
  }
}
