/**
 * The session's one list of running things, by name. Every kind (a consumer, a window, a forward to a topic, a
 * generator, a chart, a scorer) is a handle with the same few operations, so a new kind is a new handle, not a
 * new map in the session, and streams(), stop(), pause() and the Streams panel know it at once.
 */
import { StreamlabError, didYouMean } from '../errors';
import type { TopicSource } from '../kafka/topicSource';

export type StreamKind = 'consume' | 'window' | 'produce' | 'generate' | 'chart' | 'score' | 'train' | 'table' | 'join' | 'detect';

export type StreamState = 'idle' | 'starting' | 'running' | 'paused' | 'reconnecting' | 'finished' | 'stopped' | 'failed' | 'open' | 'closed';

/** What a handle reports about itself; the registry adds its name and kind. */
export interface StreamStatus {
  /** What it reads or writes: a topic, or the stream it is fed by. */
  topic: string;
  state: StreamState;
  records: number;
  recordsPerSecond: number;
  lag: number;
  /** Records set aside: undecodable, without a time, invalid, refused. */
  deadLetters: number;
  /** Records that arrived too late for their window (windows, charts). */
  late: number;
  errors: number;
  lastError?: string;
  /** Rough bytes held in memory. */
  memoryBytes: number;
  groupId?: string;
}

export interface StreamHandle {
  readonly kind: StreamKind;
  /** The object a cell holds (a TopicSource, WindowedStream, LiveChart): stop(object) finds the handle by it. */
  readonly target: object;
  /** What it does, in words, for its status line: "consuming 'sensors' from its first record (earliest)". */
  readonly doing: string;
  status(): StreamStatus;
  /** Its counters in words, for its status line (default: records, rate, lag, dead letters). */
  counters?(): string[];
  stop(): Promise<void>;
  pause?(): Promise<void> | void;
  resume?(): Promise<void> | void;
  /** A consumer whose broker trouble the session reports under this handle's name (its own, or none). */
  readonly watched?: TopicSource<unknown>;
  /** The session stream it reads from (a running consume, window or scorer), if any: stopping that stops this. */
  upstream?: object;
}

export class StreamRegistry {
  private readonly handles = new Map<string, StreamHandle>();

  /** `wanted` when it is free; otherwise an error for a name the user chose, or `wanted-2`, `wanted-3`... */
  freeName(wanted: string, explicit: boolean): string {
    if (!this.handles.has(wanted)) return wanted;
    if (explicit) throw new StreamlabError(`a stream named '${wanted}' is already running`, `stop it first (stop('${wanted}')) or pick another name`, { magicHint: `stop it first (%stop ${wanted}) or pick another --as name` });
    for (let i = 2; ; i++) if (!this.handles.has(`${wanted}-${i}`)) return `${wanted}-${i}`;
  }

  add(name: string, handle: StreamHandle): void {
    if (this.handles.has(name)) throw new StreamlabError(`a stream named '${name}' is already running`, `stop it first (stop('${name}')) or pick another name`, { magicHint: `stop it first (%stop ${name}) or pick another --as name` });
    this.handles.set(name, handle);
  }

  get(name: string): StreamHandle | undefined {
    return this.handles.get(name);
  }

  delete(name: string): void {
    this.handles.delete(name);
  }

  /** The name a cell's object is registered under. */
  nameOf(target: object): string | undefined {
    for (const [name, h] of this.handles) if (h.target === target) return name;
    return undefined;
  }

  /** Newest first: things built on a stream were registered after it, so they stop before it. */
  namesNewestFirst(): string[] {
    return [...this.handles.keys()].reverse();
  }

  entries(): [string, StreamHandle][] {
    return [...this.handles];
  }

  get size(): number {
    return this.handles.size;
  }

  /** Names to act on: 'all', a name, or an object a cell holds; unknown ones fail with a "did you mean". */
  resolve(which: string | object, can: (h: StreamHandle) => boolean = () => true, action = 'stop'): string[] {
    if (which === 'all') return this.namesNewestFirst().filter((n) => can(this.handles.get(n)!));
    const name = typeof which === 'string' ? which : this.nameOf(which);
    if (name === undefined) throw new StreamlabError('that stream was not started by this session', `${action} it with its own ${action}()`);
    const handle = this.handles.get(name);
    if (!handle) throw this.unknown(name);
    if (!can(handle)) throw new StreamlabError(`'${name}' is a ${handle.kind} stream, which cannot ${action}`, `${action} the stream it reads instead`);
    return [name];
  }

  unknown(name: string): StreamlabError {
    const names = [...this.handles.keys()];
    const guess = didYouMean(name, names);
    return new StreamlabError(
      `no stream named '${name}'`,
      guess ? `did you mean '${guess}'?` : names.length ? `running: ${names.join(', ')}` : 'no streams are running',
    );
  }
}
