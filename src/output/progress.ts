/**
 * A progress bar for anything that loads a known amount (history from a topic, a file): done of total, the share,
 * the rate and what is left, refreshed a few times a second; the end says how long it took.
 */
import { LiveDisplay } from './liveDisplay';
import { MimeBundle } from './notebookOutput';
import { escapeHtml } from './html';
import { formatCount, formatDuration, formatRate } from './format';

const WIDTH = 24;

export interface ProgressState {
  label: string;
  done: number;
  total: number;
  unit: string;
  startedAt: number;
  endedAt?: number;
  failed?: string;
  /** (time, done) a few times a second over the last RECENT_MS: the rate of "left" is the recent one. */
  recent?: [number, number][];
}

/**
 * The time left comes from the rate of the last 10 s, not the average since the start: a load that slows when
 * another stream or a training takes the CPU says so within seconds (the overall average said "59 s left" of a load
 * that took 2 m 48 s). Under 2 s of samples there is no estimate yet.
 */
const RECENT_MS = 10_000;
const MIN_RECENT_MS = 2_000;

function recentRate(s: ProgressState, now: number): number | undefined {
  const recent = s.recent ?? [];
  const first = recent.find(([t]) => t >= now - RECENT_MS) ?? recent[0];
  if (!first || now - first[0] < MIN_RECENT_MS) return undefined;
  return ((s.done - first[1]) * 1000) / (now - first[0]);
}

/** Records a sample of `done` (at most four a second, the last RECENT_MS kept). */
export function sampleProgress(s: ProgressState, now = Date.now()): void {
  const recent = (s.recent ??= [[s.startedAt, 0]]);
  if (now - recent[recent.length - 1]![0] < 250) return;
  recent.push([now, s.done]);
  while (recent.length > 2 && recent[1]![0] < now - RECENT_MS) recent.shift();
}

export function progressText(s: ProgressState, now = Date.now()): string {
  const share = s.total > 0 ? Math.min(1, s.done / s.total) : s.endedAt ? 1 : 0;
  const filled = Math.round(share * WIDTH);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
  const elapsed = (s.endedAt ?? now) - s.startedAt;
  const rate = elapsed > 0 ? (s.done * 1000) / elapsed : 0;
  const counts = `${formatCount(s.done)} of ${formatCount(s.total)} ${s.unit}`;
  if (s.failed) return `${s.label}: ${bar} ${Math.round(share * 100)} % · ${counts} · failed: ${s.failed}`;
  if (s.endedAt !== undefined) return `${s.label}: ${bar} done · ${formatCount(s.done)} ${s.unit} in ${formatDuration(elapsed)} (${formatRate(rate)})`;
  const recent = recentRate(s, now);
  const left = s.total <= s.done ? '' : recent === undefined ? ' · estimating time left' : recent > 0 ? ` · about ${formatDuration(((s.total - s.done) / recent) * 1000)} left` : ' · stalled';
  return `${s.label}: ${bar} ${Math.round(share * 100)} % · ${counts} · ${formatRate(recent ?? rate)}${left}`;
}

function progressBundle(s: ProgressState): MimeBundle {
  const text = progressText(s);
  return { 'text/plain': text, 'text/html': `<div class="streamlab-progress" style="font-family:var(--jp-code-font-family,monospace);font-size:var(--jp-code-font-size,12px)">${escapeHtml(text)}</div>` };
}

export class Progress {
  private readonly state: ProgressState;
  private readonly display: LiveDisplay;

  constructor(label: string, total: number, unit = 'records') {
    this.state = { label, done: 0, total, unit, startedAt: Date.now() };
    this.display = new LiveDisplay(() => progressBundle(this.state), 250);
    this.display.show();
  }

  update(done: number, total = this.state.total): void {
    this.state.done = done;
    this.state.total = total;
    sampleProgress(this.state);
  }

  finish(done = this.state.done): void {
    this.state.done = done;
    this.state.endedAt = Date.now();
    this.display.end();
  }

  fail(reason: string): void {
    this.state.failed = reason;
    this.state.endedAt = Date.now();
    this.display.end();
  }

  /** The line as it reads now (also what a terminal would print). */
  get text(): string {
    return progressText(this.state);
  }
}
