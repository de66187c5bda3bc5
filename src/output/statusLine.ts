/**
 * One line that lives below the cell that started something long-running (a consumer, a window, a forward, a
 * generator, a scorer): what it is, what it reads, where it started, and its counters, refreshed about once a
 * second; it ends with the final state and, on failure, the one-line reason. tqdm's and ipywidgets' convention.
 */
import { randomUUID } from 'node:crypto';
import { MimeBundle } from './notebookOutput';
import { STATUS_MIME, type StatusLineData } from '../../protocol/messages';

/** This process's run: status lines carry it, and the kernel answers it in kernel_info, to tell stale lines apart. */
export const PROCESS_RUN = randomUUID();
import { LiveDisplay } from './liveDisplay';
import { escapeHtml } from './html';

export type StatusState = 'starting' | 'running' | 'paused' | 'reconnecting' | 'finished' | 'stopped' | 'failed' | 'idle' | 'open' | 'closed';

export interface StatusParts {
  name: string;
  state: StatusState | string;
  /** What it does, in words: "consuming 'sensors' from earliest". */
  doing: string;
  /** Counters, already formatted: "12,345 records", "1,108/s", "lag 0". */
  counters: string[];
  /** The one-line reason of a failure, or a warning worth showing. */
  problem?: string;
}

const SYMBOL: Record<string, string> = { running: '●', starting: '○', open: '●', paused: '❚❚', reconnecting: '◌', finished: '✓', stopped: '■', closed: '■', failed: '✗', idle: '○' };

export function statusText(p: StatusParts): string {
  const state = p.state === 'running' || p.state === 'open' ? '' : ` [${p.state}]`;
  const problem = p.problem ? ` · ${p.problem}` : '';
  return `${SYMBOL[p.state] ?? '•'} ${p.name}${state}: ${p.doing}${p.counters.length ? ` · ${p.counters.join(' · ')}` : ''}${problem}`;
}

export function statusBundle(p: StatusParts): MimeBundle {
  const colour = p.state === 'failed' ? '#c62828' : p.state === 'reconnecting' ? '#ef6c00' : p.state === 'running' || p.state === 'open' ? '#2e7d32' : '#616161';
  const state = p.state === 'running' || p.state === 'open' ? '' : ` <span style="color:${colour}">[${escapeHtml(p.state)}]</span>`;
  const counters = p.counters.map((c) => escapeHtml(c)).join(' · ');
  const problem = p.problem ? ` · <span style="color:#c62828">${escapeHtml(p.problem)}</span>` : '';
  const html =
    `<div class="streamlab-status" data-state="${escapeHtml(p.state)}" style="font-family:var(--jp-code-font-family,monospace);font-size:var(--jp-code-font-size,12px);color:var(--jp-ui-font-color1,#333)">` +
    `<span style="color:${colour}">${SYMBOL[p.state] ?? '•'}</span> <b>${escapeHtml(p.name)}</b>${state}: ${escapeHtml(p.doing)}${counters ? ` · ${counters}` : ''}${problem}</div>`;
  const data: StatusLineData = { run: PROCESS_RUN, name: p.name, state: p.state, doing: p.doing, counters: p.counters, ...(p.problem ? { problem: p.problem } : {}) };
  return { [STATUS_MIME]: data, 'text/html': html, 'text/plain': statusText(p) };
}

/** A status line for a running thing; `parts` is read about once a second while it runs and once at the end. */
export class StatusLine {
  private readonly display: LiveDisplay;

  constructor(parts: () => StatusParts, everyMs = 1000) {
    this.display = new LiveDisplay(() => statusBundle(parts()), everyMs);
  }

  /** False outside a notebook. */
  show(): boolean {
    return this.display.show();
  }

  refresh(): void {
    this.display.refresh();
  }

  end(): void {
    this.display.end();
  }

  get ended(): boolean {
    return this.display.ended;
  }
}
