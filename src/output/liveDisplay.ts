/**
 * A display that keeps itself current: shown once below the running cell, then replaced in place (by display id)
 * at a bounded rate while what it shows changes, and a last time when it ends. Status lines, ticking tables and
 * progress bars are each one of these with their own render function.
 */
import { randomUUID } from 'node:crypto';
import { MIME_BUNDLE, MimeBundle, NotebookOutput, SHOWN_ABOVE, notebookOutput } from './notebookOutput';

export class LiveDisplay {
  private output: NotebookOutput | undefined;
  private id: string | undefined;
  private lastShown = '';
  private timer: NodeJS.Timeout | undefined;
  private endedValue = false;

  constructor(
    private readonly render: () => MimeBundle,
    readonly everyMs = 1000,
  ) {}

  get shown(): boolean {
    return this.id !== undefined;
  }

  get [SHOWN_ABOVE](): boolean {
    return this.shown;
  }

  /** As a value outside a notebook (nothing to show it in): one line, not its internals. */
  [MIME_BUNDLE](): MimeBundle {
    return { 'text/plain': this.shown ? `(shown above, refreshed every ${this.everyMs} ms${this.endedValue ? '; ended' : ''})` : '(a live display: nothing to show it in outside a notebook)' };
  }

  get ended(): boolean {
    return this.endedValue;
  }

  get displayId(): string | undefined {
    return this.id;
  }

  /** Shows it and starts refreshing; false outside a notebook (nothing attached), where it stays silent. */
  show(): boolean {
    const output = notebookOutput();
    if (!output || this.endedValue) return false;
    this.output = output;
    this.id = randomUUID();
    const bundle = this.render();
    this.lastShown = fingerprint(bundle);
    output.display(bundle, this.id, false);
    this.timer = setInterval(() => this.refresh(), this.everyMs);
    this.timer.unref();
    return true;
  }

  /** Replaces what it shows when that changed. */
  refresh(): void {
    if (!this.output || this.id === undefined) return;
    const bundle = this.render();
    const print = fingerprint(bundle);
    if (print === this.lastShown) return;
    this.lastShown = print;
    this.output.display(bundle, this.id, true);
  }

  /** Stops refreshing after one last update (the final state). */
  end(): void {
    if (this.endedValue) return;
    this.endedValue = true;
    clearInterval(this.timer);
    this.refresh();
  }
}

function fingerprint(bundle: MimeBundle): string {
  return `${String(bundle['text/plain'] ?? '')}\u0000${String(bundle['text/html'] ?? '')}\u0000${JSON.stringify(bundle['application/vnd.streamlab.table+json'] ?? null)}`;
}
