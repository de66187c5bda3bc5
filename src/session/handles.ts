/**
 * The session's stream handles, one builder per kind: how each reports its status (for streams(), %streams and the
 * Streams panel), what it is doing and its counters in words (for its status line), and how it stops, pauses and
 * resumes. Everything a person reads about a running thing comes from here.
 */
import type { TopicSource } from '../kafka/topicSource';
import type { TopicSink } from '../kafka/topicSink';
import type { StartFrom } from '../kafka/startPosition';
import type { WindowedStream } from '../window/windowedStream';
import type { LiveChart } from '../plot/liveChart';
import { CounterRate } from '../util/counterRate';
import type { StreamScorer } from '../models/streamScorer';
import type { StreamDetector } from '../models/streamDetector';
import { formatCount, formatRate, formatTime } from '../output/format';
import { StreamHandle, StreamStatus } from './streamRegistry';

export function describeStart(from: StartFrom | undefined): string {
  if (from === undefined || from === 'latest') return 'from its end (latest)';
  if (from === 'earliest') return 'from its first record (earliest)';
  if (from === 'committed') return 'from the committed offsets';
  if ('offset' in from) return `from offset ${typeof from.offset === 'number' ? from.offset : JSON.stringify(from.offset)}`;
  return `from ${typeof from.timestamp === 'number' ? formatTime(from.timestamp) : String(from.timestamp)}`;
}

export function sourceStatus(source: TopicSource<unknown>): StreamStatus {
  const m = source.metrics();
  const meanBytes = m.records > 0 ? m.bytes / m.records : 0;
  return {
    topic: m.topic,
    state: m.state,
    records: m.records,
    recordsPerSecond: Math.round(m.recordsPerSecond),
    lag: m.lag,
    deadLetters: m.deadLetters,
    late: 0,
    errors: m.errors,
    lastError: m.lastError,
    memoryBytes: Math.round((m.retained + m.buffered) * meanBytes),
    groupId: m.groupId,
  };
}

function deadLetterText(source: TopicSource<unknown>): string | undefined {
  const m = source.metrics();
  if (m.deadLetters === 0) return undefined;
  const reasons = Object.entries(m.deadLettersByReason).map(([r, n]) => `${formatCount(n)} ${r}`);
  return `${formatCount(m.deadLetters)} dead letter${m.deadLetters === 1 ? '' : 's'} (${reasons.join(', ')})`;
}

function sourceCounters(source: TopicSource<unknown>): string[] {
  const m = source.metrics();
  const out = [`${formatCount(m.records)} records`, formatRate(m.recordsPerSecond), `lag ${formatCount(m.lag)}`];
  const dead = deadLetterText(source);
  if (dead) out.push(dead);
  if (m.records === 0 && m.deadLetters === 0 && m.state === 'running') out.push(source.whyEmpty());
  return out;
}

export function consumeHandle(source: TopicSource<unknown>, from: StartFrom | undefined): StreamHandle {
  return {
    kind: 'consume',
    target: source,
    watched: source,
    doing: `consuming '${source.topic}' ${describeStart(from)}`,
    status: () => sourceStatus(source),
    counters: () => sourceCounters(source),
    stop: () => source.stop(),
    pause: () => source.pause(),
    resume: () => source.resume(),
  };
}

export interface WindowHandleParts {
  stream: WindowedStream;
  /** The consumer that feeds it, when one does (its own, or a consume stream); a join or table feeds it otherwise. */
  feed: TopicSource<unknown> | undefined;
  /** The feed is the window's own consumer (it windows a topic), not a stream of the session. */
  ownFeed: boolean;
  feedName: string;
  from?: StartFrom;
  stop(): Promise<void>;
}

export function windowHandle(p: WindowHandleParts): StreamHandle {
  const rate = new CounterRate(() => p.stream.metrics().received);
  const m0 = p.stream.metrics();
  const keyed = p.stream.keyBy.length ? ` by ${p.stream.keyBy.join(', ')}` : '';
  const reads = p.ownFeed && p.feed ? `topic '${p.feed.topic}' ${describeStart(p.from)}` : `stream '${p.feedName}' (its next records)`;
  // A window on another stream has no consumer of its own whose state says it stopped: it is told.
  let stopped = false;
  const status = (): StreamStatus => {
    const m = p.stream.metrics();
    const f = p.feed ? sourceStatus(p.feed) : undefined;
    const own = p.ownFeed ? f : undefined;
    return {
      topic: f?.topic ?? p.feedName,
      state: stopped ? 'stopped' : m.lastError && m.subscriberErrors === 0 ? 'failed' : (own?.state ?? 'running'),
      records: m.received,
      recordsPerSecond: Math.round(rate.perSecond()),
      lag: own?.lag ?? 0,
      deadLetters: m.invalid + m.future + m.keysRefused + (own?.deadLetters ?? 0),
      late: m.late,
      errors: m.subscriberErrors + (own?.errors ?? 0),
      lastError: m.lastError ?? own?.lastError,
      memoryBytes: m.stateBytes + (own?.memoryBytes ?? 0),
      groupId: own?.groupId,
    };
  };
  return {
    kind: 'window',
    target: p.stream,
    watched: p.ownFeed ? p.feed : undefined,
    doing: `${m0.window} windows${keyed} of ${reads}`,
    status,
    counters: () => {
      const m = p.stream.metrics();
      const s = status();
      const out = [`${formatCount(m.received)} records`, formatRate(s.recordsPerSecond), `${formatCount(m.closedWindows)} windows closed`, `${formatCount(m.openWindows)} open`];
      out.push(Number.isFinite(m.watermark) ? `watermark ${formatTime(m.watermark)}` : m.watermark === Infinity ? 'flushed' : 'no watermark yet');
      if (p.ownFeed) out.push(`lag ${formatCount(s.lag)}`);
      // It joined a stream under way: the windows its first record falls in hold only part of their records.
      if (p.stream.partialBefore !== undefined) out.push(`windows starting before ${formatTime(p.stream.partialBefore)} are partial (joined mid-stream)`);
      if (m.late) out.push(`${formatCount(m.late)} late`);
      if (m.invalid) out.push(`${formatCount(m.invalid)} invalid`);
      if (m.future) out.push(`${formatCount(m.future)} in the future`);
      if (m.keysRefused) out.push(`${formatCount(m.keysRefused)} refused (maxKeys)`);
      if (m.closedWindows === 0) out.push(p.stream.whyEmpty());
      return out;
    },
    stop: async () => {
      stopped = true;
      await p.stop();
    },
    ...(p.ownFeed && p.feed ? { pause: () => p.feed!.pause(), resume: () => p.feed!.resume() } : {}),
  };
}

/** Records written to a topic from a running stream, or by a background generator: counted as they are sent. */
export class Forward {
  records = 0;
  errors = 0;
  lastError: string | undefined;
  closed = false;
  /** Work still writing to the sink, which must end before the sink closes. */
  running: Promise<unknown> = Promise.resolve();
  private readonly rate = new CounterRate(() => this.records);

  constructor(
    readonly sink: TopicSink,
    readonly detach: () => void,
  ) {}

  status(): StreamStatus {
    const m = this.sink.metrics();
    return {
      topic: m.topic,
      state: this.closed ? 'stopped' : this.lastError && this.errors > 0 ? 'failed' : 'running',
      records: this.records,
      recordsPerSecond: Math.round(this.rate.perSecond()),
      lag: 0,
      deadLetters: m.rejected,
      late: 0,
      errors: this.errors,
      lastError: this.lastError,
      memoryBytes: 0,
    };
  }

  counters(verb: string): string[] {
    const s = this.status();
    const out = [`${formatCount(s.records)} ${verb}`, formatRate(s.recordsPerSecond)];
    if (s.deadLetters) out.push(`${formatCount(s.deadLetters)} rejected (sink.rejected)`);
    return out;
  }

  async stop(): Promise<void> {
    this.detach();
    this.closed = true;
    await this.running;
    await this.sink.close().catch(() => undefined);
  }
}

export function forwardHandle(forward: Forward, kind: 'produce' | 'generate', doing: string): StreamHandle {
  return {
    kind,
    target: forward,
    doing,
    status: () => forward.status(),
    counters: () => forward.counters(kind === 'generate' ? 'sent' : 'written'),
    stop: () => forward.stop(),
  };
}

export function chartStatus(chart: LiveChart, own: TopicSource<unknown> | undefined): StreamStatus {
  const m = chart.metrics();
  const f = own ? sourceStatus(own) : undefined;
  return {
    topic: f?.topic ?? chart.spec.source,
    state: m.state === 'running' && f && f.state !== 'running' ? f.state : m.state,
    records: m.pointsIn,
    recordsPerSecond: m.pointsPerSecond,
    lag: f?.lag ?? 0,
    deadLetters: m.skipped + (f?.deadLetters ?? 0),
    late: m.tooOld,
    errors: f?.errors ?? 0,
    lastError: m.lastError ?? f?.lastError,
    memoryBytes: m.memoryBytes + (f?.memoryBytes ?? 0),
    groupId: f?.groupId,
  };
}

/** A scorer applying a model to a stream: scored and flagged rows, its source's lag when it reads a topic itself. */
export function scoreHandle(scorer: StreamScorer, parts: { sourceName: string; own?: TopicSource<unknown>; sink?: TopicSink; doing: string }): StreamHandle {
  const rate = new CounterRate(() => scorer.metrics().scored);
  return {
    kind: 'score',
    target: scorer,
    doing: parts.doing,
    watched: parts.own,
    status: () => {
      const m = scorer.metrics();
      const f = parts.own ? sourceStatus(parts.own) : undefined;
      return {
        topic: parts.sourceName,
        state: scorer.stopped ? 'stopped' : (f?.state ?? 'running'),
        records: m.scored,
        recordsPerSecond: Math.round(rate.perSecond()),
        lag: f?.lag ?? 0,
        deadLetters: m.dropped,
        late: 0,
        errors: m.errors + (f?.errors ?? 0),
        lastError: m.lastError ?? f?.lastError,
        memoryBytes: f?.memoryBytes ?? 0,
        groupId: f?.groupId,
      };
    },
    counters: () => {
      const m = scorer.metrics();
      const out = [`${formatCount(m.scored)} scored`, `${formatCount(m.flagged)} flagged`, formatRate(rate.perSecond())];
      if (m.dropped > 0) out.push(`${formatCount(m.dropped)} left out by the NaN rule`);
      if (m.behind > 0) out.push(`${formatCount(m.behind)} behind`);
      if (m.waits > 0) out.push(`the stream waited for scoring ${formatCount(m.waits)} times (${(m.waitedMs / 1000).toFixed(1)} s)`);
      if (m.errors > 0) out.push(`${formatCount(m.errors)} failed batches (${m.lastError})`);
      return out;
    },
    stop: async () => {
      await scorer.stop();
      await parts.own?.stop();
      await parts.sink?.close();
    },
  };
}

/**
 * A detector of anomalies per key on a stream: rows scored, keys held, flagged rows and keys dropped (evicted past
 * maxKeys), rows set aside (y missing or not a number), and its source's lag when it reads a topic itself.
 */
export function detectHandle(detector: StreamDetector, parts: { sourceName: string; own?: TopicSource<unknown>; sink?: TopicSink; doing: string }): StreamHandle {
  const rate = new CounterRate(() => detector.metrics().records);
  return {
    kind: 'detect',
    target: detector,
    doing: parts.doing,
    watched: parts.own,
    status: () => {
      const m = detector.metrics();
      const f = parts.own ? sourceStatus(parts.own) : undefined;
      return {
        topic: parts.sourceName,
        state: detector.stopped ? 'stopped' : (f?.state ?? 'running'),
        records: m.records,
        recordsPerSecond: Math.round(rate.perSecond()),
        lag: f?.lag ?? 0,
        deadLetters: m.setAside + (f?.deadLetters ?? 0),
        late: 0,
        errors: m.errors + (f?.errors ?? 0),
        lastError: m.lastError ?? f?.lastError,
        memoryBytes: f?.memoryBytes ?? 0,
        groupId: f?.groupId,
      };
    },
    counters: () => {
      const m = detector.metrics();
      const out = [`${formatCount(m.keys)} key${m.keys === 1 ? '' : 's'}`, `${formatCount(m.flagged)} flagged`, `${formatCount(m.keysDropped)} keys dropped`, `${formatCount(m.rows)} scored`, formatRate(rate.perSecond())];
      if (m.rowsWarmingUp > 0) out.push(`${formatCount(m.rowsWarmingUp)} while warming up`);
      if (m.setAside > 0) out.push(`${formatCount(m.setAside)} set aside (${Object.entries(m.setAsideByReason).map(([r, n]) => `${formatCount(n)} ${r}`).join(', ')})`);
      if (parts.own) out.push(`lag ${formatCount(parts.own.metrics().lag)}`);
      if (m.errors > 0) out.push(`${formatCount(m.errors)} errors (${m.lastError})`);
      return out;
    },
    stop: async () => {
      await detector.stop();
      await parts.own?.stop();
      await parts.sink?.close();
    },
  };
}
