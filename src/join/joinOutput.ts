/**
 * What every join is as a stream: its subscribers (one that throws is detached and reported, the others go on), its
 * error listeners, and the newest results it keeps (see LiveRows) for recent(), show() and what attaches later.
 * Each kind of join extends it with its own matching.
 */
import { Listeners, type BatchListener, type JsonValue, type Stream, type StreamRecord } from '../record';
import type { LiveDisplay } from '../output/liveDisplay';
import { MIME_BUNDLE, type MimeBundle } from '../output/notebookOutput';
import { DEFAULT_KEEP, LiveRows } from './liveRows';
import { joinCaption, joinWhyEmpty, type AnyJoin } from './joinCounts';

export abstract class JoinOutput implements Stream<StreamRecord<JsonValue>> {
  protected readonly listeners: Listeners<StreamRecord<JsonValue>>;
  private readonly errorListeners = new Set<(message: string) => void>();
  /** The newest results, kept from the first. */
  private readonly view: LiveRows;
  /** Why no result came yet, from whoever feeds it (a session names its consumers' state). */
  whyEmptyFeeds: () => string[] = () => [];

  protected constructor(
    readonly name: string,
    keep: number | undefined,
  ) {
    this.listeners = new Listeners((e) => this.error(`a subscriber failed and was detached: ${(e as Error).message}`));
    const self = this as unknown as AnyJoin;
    this.view = new LiveRows(this, () => joinCaption(self), () => joinWhyEmpty(self, this.whyEmptyFeeds()), keep ?? DEFAULT_KEEP);
  }

  /** The newest `n` results (default all it keeps: see keep), oldest first. */
  recent(n?: number): StreamRecord<JsonValue>[] {
    return this.view.recent(n);
  }

  /** Results delivered so far, and how many of them it still keeps (the newest). */
  get retained(): { delivered: number; kept: number } {
    return this.view.retained;
  }

  /** The newest results as a ticking table below the running cell (see LiveRows). */
  show(options: { rows?: number; everyMs?: number } = {}): LiveDisplay {
    return this.view.show(options);
  }

  /** As a cell's value: the table of its newest results. */
  [MIME_BUNDLE](): MimeBundle {
    return this.view.bundle(15);
  }

  /** Ends the tables show() put up, after a last refresh. */
  endDisplays(): void {
    this.view.end();
  }

  subscribe(listener: BatchListener<StreamRecord<JsonValue>>): () => void {
    return this.listeners.add(listener);
  }

  onError(listener: (message: string) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  protected error(message: string): void {
    for (const l of this.errorListeners) l(`join '${this.name}': ${message}`);
  }
}
