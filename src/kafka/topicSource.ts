/**
 * A live stream of decoded records from one topic. Records reach consumers three ways: pushed to subscribers
 * (awaited, so a slow subscriber slows the fetch), pulled through bounded readers (async iteration), and a ring
 * of the most recent records for peeking. All three are bounded; bad records go to the dead-letter list.
 *
 * Delivery is exactly once per stream even across broker outages: the source keeps the next offset of every
 * partition, seeks there each time kafkajs (re)joins its group, and drops any re-fetched record below it.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { StreamlabError } from '../errors';
import { RingBuffer } from '../util/ringBuffer';
import { BoundedQueue } from '../util/boundedQueue';
import { RateMeter } from '../util/rateMeter';
import { waitFor } from '../util/waitFor';
import { LiveDisplay } from '../output/liveDisplay';
import { tableBundle } from '../output/table';
import { formatCount, formatDuration } from '../output/format';
import { ConnectionOptions, ConnectionSettings, protectSecrets, resolveConnection } from './connection';
import { createKafka } from './kafkaClient';
import { kafkaError } from './kafkaErrors';
import { BatchProgress, JsonValue, PartitionProgress, Stream, StreamRecord, TIME_UNITS, TimeUnit } from '../record';
import { Decoder } from './decoders';
import { BatchDecoder } from './batchDecoder';
import { checkFormat, formatDecoder, recordFormat } from './formats';
import { SchemaRegistryClient } from './registry/schemaRegistryClient';
import { DeadLetter, DeadLetters } from './deadLetters';
import { TopicAdmin } from './topicAdmin';
import { StartFrom, parseStartFrom, resolveStart } from './startPosition';

export interface TopicSourceOptions<T = JsonValue> {
  topic: string;
  /** Default 'latest'. */
  from?: StartFrom;
  /**
   * A format of the registry (./formats: 'json' (default), 'string', 'number', 'csv', 'bytes' (the value's bytes
   * as a Buffer), ...) or your own decoder.
   */
  decoder?: string | Decoder<T>;
  /**
   * 'string' (default): a key that is valid UTF-8 is its text, any other key is handed over as its bytes (a
   * Buffer), never altered; 'bytes': every key as a Buffer.
   */
  keyDecoder?: string;
  /** Column names for the csv decoder. */
  columns?: string[];
  /** Avro reader schema (decoder 'avro' or 'auto'): values of every writer schema are read as this one. */
  readerSchema?: string | object;
  /**
   * Field holding event time (an epoch number in `timeUnit`, or ISO-8601). Records without it, or with a time that
   * is not finite or not plausible in that unit, are dead-lettered ('missing-time', 'bad-time') with the reason.
   */
  timeField?: string;
  /** Unit of epoch numbers in the time field: 's', 'ms' (default, Kafka's own), 'us' or 'ns'. Never guessed. */
  timeUnit?: TimeUnit;
  /** Deliver records without a value (tombstones) with value null instead of setting them aside (tables do). */
  tombstones?: boolean;
  /** Join this consumer group instead of a private one. */
  groupId?: string;
  /** Let a named group that already has members be joined (it will take partitions from them). */
  allowActiveGroup?: boolean;
  /** Commit consumed offsets to the group (off by default: a notebook should not move a group's offsets). */
  commit?: boolean;
  /** End the stream once it reaches the end offsets seen at start: a bounded read of the topic's history. */
  untilEnd?: boolean;
  connection?: ConnectionOptions | ConnectionSettings;
  /** Size of the recent-records ring behind latest(n). Default 1000. */
  recentCapacity?: number;
  /** Dead letters kept (all are counted). Default 1000. */
  deadLetterLimit?: number;
  /**
   * Upper bound of one fetch response, in bytes (kafkajs default 10 MB). Smaller fetches mean shorter pauses of
   * the event loop while kafkajs decodes them, which keeps a notebook kernel responsive while a stream ingests.
   */
  fetchMaxBytes?: number;
  /**
   * Group session timeout (default 10 s; kafkajs's own is 30 s). After an outage the broker holds the group until
   * the lost member's session expires, so this is also how long a stream takes to come back.
   */
  sessionTimeoutMs?: number;
}

export type SourceState = 'idle' | 'starting' | 'running' | 'paused' | 'reconnecting' | 'finished' | 'stopped' | 'failed';

export interface PartitionMetrics {
  partition: number;
  /** Next offset this stream will read. */
  position: number;
  highWatermark: number;
  lag: number;
}

export interface SourceMetrics {
  topic: string;
  groupId: string;
  /** This consumer's member id in its group (set once it has joined). */
  memberId?: string;
  state: SourceState;
  records: number;
  bytes: number;
  recordsPerSecond: number;
  bytesPerSecond: number;
  deadLetters: number;
  deadLettersByReason: Record<string, number>;
  errors: number;
  restarts: number;
  lastError?: string;
  lag: number;
  partitions: PartitionMetrics[];
  /** Records held in the recent-records ring behind latest(n). */
  retained: number;
  /** Records waiting in readers right now, and the most any reader ever held. */
  buffered: number;
  bufferHighWater: number;
}

/** Called with every batch and the source's progress as of that batch (see BatchProgress). */
export type BatchSubscriber<T> = (records: StreamRecord<T>[], progress: BatchProgress) => void | Promise<void>;

interface PartitionState extends PartitionProgress {
  skipBefore?: number;
}

export class TopicSource<T = JsonValue> implements AsyncIterable<StreamRecord<T>>, Stream<StreamRecord<T>> {
  readonly topic: string;
  readonly groupId: string;
  readonly deadLetters: DeadLetters;
  /** Built at start when its format reads a Schema Registry (the connection says where that is). */
  private decoder: Decoder<T> | undefined;
  private batchDecoder: BatchDecoder<T> | undefined;
  private registry: SchemaRegistryClient | undefined;
  private readonly recent: RingBuffer<StreamRecord<T>>;
  private readonly subscribers = new Set<BatchSubscriber<T>>();
  private readonly readers = new Set<BoundedQueue<StreamRecord<T>>>();
  private readonly partitions = new Map<number, PartitionState>();
  /** Handed to subscribers with each batch: the states of the partitions this stream reads, updated in place. */
  private readonly progress: { topic: string; partitions: PartitionState[] };
  private readonly recordRate = new RateMeter();
  private readonly byteRate = new RateMeter();
  private settings: ConnectionSettings | undefined;
  private kafka: Kafka | undefined;
  private consumer: Consumer | undefined;
  private admin: TopicAdmin | undefined;
  private endOffsets: Map<number, number> | undefined;
  private stopping = false;
  private finishedWaiters: (() => void)[] = [];
  private stateValue: SourceState = 'idle';
  private records = 0;
  private bytes = 0;
  private errors = 0;
  private restarts = 0;
  private lastError: string | undefined;
  private memberId: string | undefined;
  private lastYield = 0;
  private readonly consumerClosing = new WeakMap<Consumer, Promise<void>>();
  /** The start() in progress, which stop() waits for. */
  private starting: Promise<this> | undefined;
  /** Partitions this member holds; in a shared group the others are not this stream's to read. */
  private assigned: Set<number> | undefined;

  constructor(private readonly options: TopicSourceOptions<T>) {
    if (!options.topic) throw new StreamlabError('a topic source needs a topic name');
    this.options = { ...options, connection: protectSecrets(options.connection) };
    this.topic = options.topic;
    this.progress = { topic: options.topic, partitions: [] };
    // Format names and options are checked here, before anything connects; a registry format's decoder is built at
    // start, where the connection (and so the registry) is known.
    if (typeof options.decoder === 'object') this.decoder = options.decoder;
    else if (options.decoder !== undefined) {
      const format = checkFormat(options.decoder, { columns: options.columns, readerSchema: options.readerSchema }, 'decoder');
      if (!format.needsRegistry) this.decoder = format.decoder({ columns: options.columns }, {}) as Decoder<T>;
    } else if (options.columns !== undefined || options.readerSchema !== undefined) {
      throw new StreamlabError(`${options.columns !== undefined ? 'columns' : 'readerSchema'} needs a decoder that takes it`, options.columns !== undefined ? "pass decoder: 'csv'" : "pass decoder: 'avro' (or 'auto')");
    }
    const key = options.keyDecoder;
    if (key !== undefined && key !== 'string' && key !== 'bytes' && !(typeof key === 'string' && recordFormat(key, 'keyDecoder').needsRegistry)) {
      throw new StreamlabError(`unknown keyDecoder '${String(key)}'`, "use 'string' (text, or bytes when not UTF-8), 'bytes', or a registry format (avro, protobuf, jsonschema, auto)");
    }
    if (options.from !== undefined) parseStartFrom(options.from);
    if (options.timeUnit !== undefined && !TIME_UNITS.includes(options.timeUnit)) {
      throw new StreamlabError(`unknown timeUnit '${String(options.timeUnit)}'`, `use one of ${TIME_UNITS.join(', ')}`);
    }
    if (options.commit && !options.groupId) {
      throw new StreamlabError('commit needs a named group', 'pass groupId as well, or drop commit');
    }
    this.groupId = options.groupId ?? privateGroupId(options.topic);
    this.recent = new RingBuffer(options.recentCapacity ?? 1000);
    this.deadLetters = new DeadLetters(options.deadLetterLimit ?? 1000);
  }

  get state(): SourceState {
    return this.stateValue;
  }

  /** The field event time is read from (undefined: the Kafka timestamp); a pipeline exported from it reads the same. */
  get timeField(): string | undefined {
    return this.options.timeField;
  }

  /**
   * Connects, checks the topic, resolves the start offsets and begins consuming in the background. A stop() while
   * this runs makes it release what it made and resolve with the stream stopped; a stopped stream cannot start again
   * (like a closed Kafka consumer).
   */
  async start(): Promise<this> {
    if (this.stateValue !== 'idle') {
      if (this.stopping || this.isEnded()) {
        throw new StreamlabError(`the stream on '${this.topic}' was stopped and cannot start again`, 'create a new TopicSource (in a notebook: %consume again) to read it again');
      }
      throw new StreamlabError(`the stream on '${this.topic}' was already started`);
    }
    this.stateValue = 'starting';
    this.starting = this.startConsuming();
    try {
      return await this.starting;
    } finally {
      this.starting = undefined;
    }
  }

  private async startConsuming(): Promise<this> {
    const action = `consuming '${this.topic}'`;
    // Every await may be overtaken by stop(): after each, a stopped start unwinds (see STOPPED) instead of using
    // what stop() has already released.
    const checkpoint = () => {
      if (this.stopping) throw STOPPED;
    };
    let admin: TopicAdmin | undefined;
    try {
      const connection = this.options.connection ?? {};
      this.settings = 'origin' in connection ? (connection as ConnectionSettings) : resolveConnection(connection as ConnectionOptions);
      this.batchDecoder = this.buildDecoder(this.settings);
      admin = new TopicAdmin(this.settings);
      this.admin = admin;
      await admin.requireTopic(this.topic, action);
      checkpoint();
      const offsets = await admin.offsets(this.topic);
      checkpoint();
      if (this.options.groupId && !this.options.allowActiveGroup) {
        const members = await admin.groupMembers(this.options.groupId);
        checkpoint();
        if (members) {
          throw new StreamlabError(
            `${action}: group '${this.options.groupId}' has ${members} active member(s) and joining would take partitions from them`,
            'use another group name, or pass allowActiveGroup: true',
          );
        }
      }
      const starts = await resolveStart(admin, this.topic, this.options.from ?? 'latest', offsets, this.groupId);
      checkpoint();
      for (const s of starts) {
        const high = offsets.find((o) => o.partition === s.partition)?.high ?? s.offset;
        this.partitions.set(s.partition, { partition: s.partition, position: s.offset, highWatermark: high, skipBefore: s.skipBefore });
      }
      this.refreshProgress();
      if (this.options.untilEnd) {
        this.endOffsets = new Map(offsets.map((o) => [o.partition, o.high]));
        if (this.reachedEnd()) {
          await this.release();
          this.finish('finished');
          return this;
        }
      }
      await this.runConsumer(checkpoint);
      if (this.stateValue === 'starting') this.stateValue = 'running';
      return this;
    } catch (e) {
      if (this.stopping && (e === STOPPED || this.stateValue === 'starting')) {
        // stop() was called meanwhile: what failed was cut short by it, and is no error of the stream's.
        await admin?.disconnect();
        await this.release();
        this.finish('stopped');
        return this;
      }
      this.stateValue = 'failed';
      const error = this.settings ? kafkaError(e, { settings: this.settings, action, topic: this.topic }) : e;
      this.lastError = error instanceof Error ? error.message : String(error);
      await this.release();
      this.finish('failed');
      throw error;
    }
  }

  private async runConsumer(checkpoint: () => void): Promise<void> {
    const settings = this.settings!;
    this.kafka = createKafka(settings, 5);
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.max(100, Math.floor((this.options.sessionTimeoutMs ?? 10_000) / 10)),
      ...(this.options.fetchMaxBytes ? { maxBytes: this.options.fetchMaxBytes, maxBytesPerPartition: Math.min(this.options.fetchMaxBytes, 1 << 20) } : {}),
      // Restarts are how kafkajs survives outages; each restart rejoins and we seek back to our positions.
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.memberId = payload.memberId;
      const assigned = payload.memberAssignment[this.topic] ?? [];
      this.assigned = new Set(assigned);
      this.refreshProgress();
      for (const partition of assigned) {
        const p = this.partitions.get(partition);
        if (p) consumer.seek({ topic: this.topic, partition, offset: String(p.position) });
      }
      if (this.stateValue === 'reconnecting') this.stateValue = 'running';
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.stopping) return;
      this.errors++;
      this.lastError = kafkaError(payload.error, { settings, action: `consuming '${this.topic}'`, topic: this.topic }).message;
      if (payload.restart) {
        this.restarts++;
        this.stateValue = 'reconnecting';
      } else {
        this.finish('failed');
      }
    });
    // A batch of only transaction markers or aborted records never reaches eachBatch (kafkajs filters it and moves
    // on), yet its offsets count: without this, a read until the end of a transactional topic waits forever for the
    // offset of its last commit marker.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic !== this.topic || payload.batchSize !== 0 || this.stopping) return;
      this.skipFilteredOffsets(payload.partition, Number(payload.lastOffset), Number(payload.highWatermark));
    });
    // stop() may have disconnected this consumer while it connected; then it is disconnected again here, once up.
    const consumerCheckpoint = async () => {
      if (!this.stopping) return;
      await this.disconnectConsumer(consumer);
      checkpoint();
    };
    await consumer.connect();
    await consumerCheckpoint();
    // fromBeginning: after a restart without commits kafkajs falls back to this, and the earliest offset can only
    // lead to re-fetched records (dropped below our positions), never to a gap.
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumerCheckpoint();
    await consumer.run({
      autoCommit: this.options.commit === true,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    await consumerCheckpoint();
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    let p = this.partitions.get(batch.partition);
    if (!p) {
      // A partition added after start: read it from its first record.
      p = { partition: batch.partition, position: 0, highWatermark: 0 };
      this.partitions.set(batch.partition, p);
      this.refreshProgress();
    }
    const records: StreamRecord<T>[] = [];
    const dead: DeadLetter[] = [];
    const decoder = this.batchDecoder!;
    const partition = batch.partition;
    let next = p.position;
    let skipBefore = p.skipBefore;
    let bytes = 0;
    const messages = batch.messages;
    if (decoder.needsPrepare) {
      await decoder.prepare(messages, () => !this.stopping && isRunning() && !isStale());
      if (this.stopping || !isRunning() || isStale()) return;
    }
    // Offsets only increase within a batch, so when the last is first + (n - 1) they are consecutive and need no
    // parsing one by one (kafkajs hands them over as strings; parsing them was a measurable share of this loop).
    const firstOffset = messages.length > 0 ? Number(messages[0]!.offset) : 0;
    const consecutive = messages.length > 0 && Number(messages[messages.length - 1]!.offset) === firstOffset + messages.length - 1;
    for (let i = 0; i < messages.length; i++) {
      // Batches follow each other as microtasks, so without this a whole fetch is decoded in one go, holding the
      // event loop (and a notebook's cells) for as long: yield whenever this stream has held it for a few ms.
      if (i % YIELD_CHECK_RECORDS === 0 && performance.now() - this.lastYield > YIELD_AFTER_MS) {
        await yieldToEventLoop();
        this.lastYield = performance.now();
      }
      const m = messages[i]!;
      const offset = consecutive ? firstOffset + i : Number(m.offset);
      if (offset < next) continue;
      next = offset + 1;
      if (skipBefore !== undefined) {
        if (Number(m.timestamp) < skipBefore) continue;
        skipBefore = undefined;
      }
      bytes += decoder.decodeInto(m, partition, offset, records, dead);
    }
    // Markers and aborted records after the last delivered record still move the position past them.
    const lastRaw = Number(batch.lastOffset());
    const afterRaw = Number.isFinite(lastRaw) && lastRaw + 1 > next && lastRaw + 1 <= Number(batch.highWatermark) ? lastRaw + 1 : next;
    if (afterRaw === p.position && dead.length === 0) return;

    const keepGoing = async () => {
      if (this.stopping || !isRunning() || isStale()) return false;
      await heartbeat().catch(() => undefined);
      return true;
    };
    // The end first: subscribers see this partition with the batch still unread (position before it, end after).
    p.highWatermark = Number(batch.highWatermark);
    if (records.length > 0 && !(await this.deliver(records, keepGoing))) return;

    p.position = afterRaw;
    p.skipBefore = skipBefore;
    for (const d of dead) this.deadLetters.add(d);
    // Only the newest `capacity` records of a batch can survive in the ring; skip pushing the rest.
    for (let i = Math.max(0, records.length - this.recent.capacity); i < records.length; i++) this.recent.push(records[i]!);
    this.records += records.length;
    this.bytes += bytes;
    this.recordRate.add(records.length);
    this.byteRate.add(bytes);
    if (this.stateValue === 'reconnecting') this.stateValue = 'running';
    if (this.endOffsets && this.reachedEnd()) void this.finishAtEnd();
  }

  /** Hands a batch to every subscriber and reader; false when the stream stopped before it was delivered. */
  private async deliver(records: StreamRecord<T>[], keepGoing: () => Promise<boolean>): Promise<boolean> {
    for (const subscriber of [...this.subscribers]) {
      try {
        await subscriber(records, this.progress);
      } catch (e) {
        // A failing subscriber is detached and reported; the stream and the other subscribers go on.
        this.subscribers.delete(subscriber);
        this.errors++;
        this.lastError = `a subscriber of '${this.topic}' failed and was detached: ${(e as Error).message ?? String(e)}`;
      }
    }
    for (const reader of [...this.readers]) {
      if (reader.isClosed) {
        this.readers.delete(reader);
        continue;
      }
      const pushed = await reader.pushAll(records, keepGoing);
      if (pushed < records.length && !reader.isClosed) return false;
    }
    return true;
  }

  private skipFilteredOffsets(partition: number, lastOffset: number, highWatermark: number): void {
    const p = this.partitions.get(partition);
    if (!p || !Number.isFinite(lastOffset) || lastOffset + 1 <= p.position || lastOffset + 1 > highWatermark) return;
    p.position = lastOffset + 1;
    p.highWatermark = Math.max(p.highWatermark, highWatermark);
    if (this.endOffsets && this.reachedEnd()) void this.finishAtEnd();
  }

  private reachedEnd(): boolean {
    for (const [partition, end] of this.endOffsets!) {
      if ((this.partitions.get(partition)?.position ?? 0) < end) return false;
    }
    return true;
  }

  private async finishAtEnd(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.release();
    this.finish('finished');
  }

  /** The partitions this stream reads (those assigned to it, once it has joined its group), in partition order. */
  private refreshProgress(): void {
    const list = [...this.partitions.values()].filter((p) => !this.assigned || this.assigned.has(p.partition)).sort((a, b) => a.partition - b.partition);
    this.progress.partitions.length = 0;
    this.progress.partitions.push(...list);
  }

  /**
   * Calls `subscriber` with every delivered batch and the progress of this stream's partitions as of that batch;
   * returns a function that detaches it.
   */
  /** The progress of every partition this stream reads, now (before the first batch: where it starts and each end). */
  progressNow(): BatchProgress {
    return this.progress;
  }

  subscribe(subscriber: BatchSubscriber<T>): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /**
   * A reader of every record delivered from now on, holding at most `capacity` records: when it is full the
   * stream waits for it (backpressure). Attach readers before start() to see the stream from its first record.
   */
  reader(capacity = 10_000): RecordReader<T> {
    const queue = new BoundedQueue<StreamRecord<T>>(capacity);
    if (this.isEnded()) queue.close();
    else this.readers.add(queue);
    return new RecordReader(queue, () => this.readers.delete(queue));
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamRecord<T>> {
    return this.reader()[Symbol.asyncIterator]();
  }

  /** The newest n records seen (bounded by recentCapacity), oldest first. */
  latest(n = 100): StreamRecord<T>[] {
    return this.recent.toArray(n);
  }

  async pause(): Promise<void> {
    if (this.stateValue !== 'running' && this.stateValue !== 'reconnecting') return;
    this.consumer?.pause([{ topic: this.topic }]);
    this.stateValue = 'paused';
  }

  async resume(): Promise<void> {
    if (this.stateValue !== 'paused') return;
    this.consumer?.resume([{ topic: this.topic }]);
    this.stateValue = 'running';
  }

  /**
   * Resolves (with the metrics) once the stream has read every record the topic held when this was called: the end
   * offsets of its partitions then. Rejects with one line if it stops or fails first, or after `timeoutMs` (default
   * 2 minutes). For notebooks: `await readings.caughtUp()` instead of a polling loop.
   */
  async caughtUp(options: { timeoutMs?: number } = {}): Promise<SourceMetrics> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    if (this.starting) await this.starting;
    if (this.stateValue === 'finished') return this.metrics();
    const admin = this.admin;
    if (!admin) throw this.notReading('catch up');
    const ends = await admin.offsets(this.topic);
    const targets = ends.filter((e) => e.high > e.low && (!this.assigned || this.assigned.has(e.partition)));
    const left = () => targets.reduce((n, e) => n + Math.max(0, e.high - (this.partitions.get(e.partition)?.position ?? e.low)), 0);
    return waitFor({
      check: () => (this.stateValue === 'finished' || left() === 0 ? this.metrics() : undefined),
      failed: () => this.endedEarly('catching up'),
      timeoutMs,
      timeout: () =>
        new StreamlabError(
          `the stream on '${this.topic}' has not caught up after ${formatDuration(timeoutMs)}: ${formatCount(left())} of the records the topic held are still to read (${this.stateValue})`,
          'wait longer (caughtUp({ timeoutMs: 600_000 })), or look at %streams for a stalled stream',
        ),
    });
  }

  /** Resolves (with the metrics) once the stream has delivered `records` records in all; rejects like caughtUp(). */
  async until(records: number, options: { timeoutMs?: number } = {}): Promise<SourceMetrics> {
    if (!Number.isInteger(records) || records < 0) throw new StreamlabError(`until() needs a whole number of records, got ${records}`);
    const timeoutMs = options.timeoutMs ?? 120_000;
    return waitFor({
      check: () => (this.records >= records ? this.metrics() : undefined),
      failed: () => this.endedEarly(`waiting for ${formatCount(records)} records`),
      timeoutMs,
      timeout: () =>
        new StreamlabError(
          `the stream on '${this.topic}' delivered ${formatCount(this.records)} of ${formatCount(records)} records in ${formatDuration(timeoutMs)}`,
          'wait longer (until(n, { timeoutMs })), or check that the topic gets records (%peek, %streams)',
        ),
    });
  }

  /**
   * The newest records as a table below the running cell, refreshed in place about once a second (`everyMs`),
   * newest first, at most `rows` rows; it ends with the stream. Returns the display (end() stops it earlier).
   */
  show(options: { rows?: number; everyMs?: number } = {}): LiveDisplay {
    const rows = options.rows ?? 20;
    let display: LiveDisplay | undefined = undefined;
    display = new LiveDisplay(() => {
      if (this.isEnded()) queueMicrotask(() => display?.end());
      const latest = this.latest(rows).reverse();
      const fields: string[] = [];
      for (const r of latest) if (r.value !== null && typeof r.value === 'object' && !Buffer.isBuffer(r.value)) for (const k of Object.keys(r.value)) if (!fields.includes(k)) fields.push(k);
      const scalar = fields.length === 0;
      const m = this.metrics();
      return tableBundle({
        caption: `${this.topic}: the newest ${formatCount(latest.length)} of ${formatCount(m.records)} records (${this.stateValue})`,
        columns: ['time', 'partition', 'offset', 'key', ...(scalar ? ['value'] : fields)],
        rows: latest.map((r) => [r.time, r.partition, r.offset, r.key, ...(scalar ? [r.value] : fields.map((f) => (r.value as Record<string, unknown>)[f]))]),
        total: latest.length,
        note: latest.length === 0 ? this.whyEmpty() : undefined,
      });
    }, options.everyMs ?? 1000);
    display.show();
    return display;
  }

  /** Why the stream has handed out nothing yet, and what to do, for empty tables and status lines. */
  whyEmpty(): string {
    const m = this.metrics();
    if (m.records > 0) return '';
    if (m.deadLetters > 0) return `every record so far was a dead letter (${Object.entries(m.deadLettersByReason).map(([r, n]) => `${n} ${r}`).join(', ')}): look at .deadLetters.list()`;
    if (this.stateValue === 'starting' || this.stateValue === 'idle') return 'the stream is still joining its group';
    if (m.lag === 0) {
      const from = this.options.from ?? 'latest';
      return from === 'latest' ? `caught up: it started at the end of '${this.topic}' and waits for new records (--from earliest reads what the topic holds)` : `caught up: '${this.topic}' has no records in the partitions it reads yet`;
    }
    return `reading: ${formatCount(m.lag)} records to go`;
  }

  private notReading(what: string): StreamlabError {
    return new StreamlabError(`the stream on '${this.topic}' is ${this.stateValue}, so it cannot ${what}`, this.stateValue === 'idle' ? 'start() it first' : 'start a new stream on the topic');
  }

  private endedEarly(what: string): Error | undefined {
    if (this.stateValue === 'failed') return new StreamlabError(`the stream on '${this.topic}' failed while ${what}: ${this.lastError ?? 'see %streams'}`);
    if (this.stateValue === 'stopped') return new StreamlabError(`the stream on '${this.topic}' was stopped while ${what}`);
    return undefined;
  }

  /** Resolves when the stream ends: stopped, failed, or (untilEnd) finished reading. */
  done(): Promise<SourceState> {
    if (this.isEnded()) return Promise.resolve(this.stateValue);
    return new Promise((resolve) => this.finishedWaiters.push(() => resolve(this.stateValue)));
  }

  metrics(): SourceMetrics {
    const partitions = [...this.partitions.entries()]
      .filter(([partition]) => !this.assigned || this.assigned.has(partition))
      .map(([partition, p]) => ({
        partition,
        position: p.position,
        highWatermark: p.highWatermark,
        lag: Math.max(0, p.highWatermark - p.position),
      }))
      .sort((a, b) => a.partition - b.partition);
    let buffered = 0;
    let bufferHighWater = 0;
    for (const r of this.readers) {
      buffered += r.size;
      bufferHighWater = Math.max(bufferHighWater, r.highWater);
    }
    return {
      topic: this.topic,
      groupId: this.groupId,
      memberId: this.memberId,
      state: this.stateValue,
      records: this.records,
      bytes: this.bytes,
      recordsPerSecond: this.recordRate.perSecond(),
      bytesPerSecond: this.byteRate.perSecond(),
      deadLetters: this.deadLetters.total,
      deadLettersByReason: this.deadLetters.counts(),
      errors: this.errors,
      restarts: this.restarts,
      lastError: this.batchDecoder?.waiting ?? this.lastError,
      lag: partitions.reduce((n, p) => n + p.lag, 0),
      partitions,
      retained: this.recent.size,
      buffered,
      bufferHighWater,
    };
  }

  /**
   * The decoding of this stream. With no decoder given, 'auto' when a Schema Registry is configured (its wire format
   * is recognised per record, anything else read as JSON), else 'json'.
   */
  private buildDecoder(settings: ConnectionSettings): BatchDecoder<T> {
    const o = this.options;
    const registry = () => (this.registry ??= settings.schemaRegistry ? new SchemaRegistryClient(settings.schemaRegistry) : undefined);
    if (!this.decoder) {
      const name = typeof o.decoder === 'string' ? o.decoder : settings.schemaRegistry ? 'auto' : 'json';
      this.decoder = formatDecoder(name, { columns: o.columns, readerSchema: o.readerSchema }, 'decoder', { registry: recordFormat(name).needsRegistry ? registry() : undefined }) as Decoder<T>;
    }
    const key = o.keyDecoder === undefined || o.keyDecoder === 'string' || o.keyDecoder === 'bytes' ? o.keyDecoder : formatDecoder(o.keyDecoder, {}, 'keyDecoder', { registry: registry() });
    return new BatchDecoder<T>({ topic: o.topic, decoder: this.decoder, keyDecoder: key, timeField: o.timeField, timeUnit: o.timeUnit, tombstones: o.tombstones });
  }

  /** Stops consuming, leaves the group (deleting a private group where the broker allows) and ends readers. */
  async stop(): Promise<void> {
    if (this.stopping) return this.done().then(() => undefined);
    this.stopping = true;
    // A start() in progress unwinds at its next step (each is short: one admin request, or the consumer's connect)
    // and releases what it made. Its clients are not closed under it: kafkajs retries a request whose connection
    // was closed by reconnecting, which left sockets behind (measured).
    if (this.starting) await this.starting.catch(() => undefined);
    await this.release();
    this.finish(this.stateValue === 'failed' ? 'failed' : 'stopped');
  }

  /**
   * One disconnect per consumer, however many callers: two concurrent disconnect() calls on a kafkajs consumer that
   * is still joining its group left a connection and its retry timers behind (measured: the process stayed up).
   */
  private disconnectConsumer(consumer: Consumer): Promise<void> {
    let closing = this.consumerClosing.get(consumer);
    if (!closing) {
      closing = consumer.disconnect().catch(() => undefined);
      this.consumerClosing.set(consumer, closing);
    }
    return closing;
  }

  private async release(): Promise<void> {
    this.stopping = true;
    this.registry?.close();
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await this.disconnectConsumer(consumer);
    if (consumer && !this.options.groupId) await this.admin?.deleteGroup(this.groupId);
    await this.admin?.disconnect();
    this.admin = undefined;
  }

  private isEnded(): boolean {
    return this.stateValue === 'finished' || this.stateValue === 'stopped' || this.stateValue === 'failed';
  }

  private finish(state: SourceState): void {
    this.stopping = true;
    this.stateValue = state;
    for (const r of this.readers) r.close();
    this.readers.clear();
    for (const w of this.finishedWaiters.splice(0)) w();
    if (state === 'failed' && this.consumer) void this.release();
  }
}

/** A bounded pull view of a stream. */
export class RecordReader<T> implements AsyncIterable<StreamRecord<T>> {
  constructor(
    private readonly queue: BoundedQueue<StreamRecord<T>>,
    private readonly detach: () => void,
  ) {}

  get size(): number {
    return this.queue.size;
  }

  get highWater(): number {
    return this.queue.highWater;
  }

  get capacity(): number {
    return this.queue.capacity;
  }

  /** The next record, or undefined when the stream has ended. */
  next(): Promise<StreamRecord<T> | undefined> {
    return this.queue.shift();
  }

  /** Records available now, without waiting. */
  drain(max?: number): StreamRecord<T>[] {
    return this.queue.drain(max);
  }

  /** Exactly n records, or a clear error when they do not all arrive within timeoutMs. */
  async take(n: number, timeoutMs = 30_000): Promise<StreamRecord<T>[]> {
    const out: StreamRecord<T>[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < n) {
      out.push(...this.queue.drain(n - out.length));
      if (out.length === n) break;
      if (!(await this.queue.waitForItem(deadline - Date.now()))) {
        throw new StreamlabError(`only ${out.length} of ${n} records arrived within ${timeoutMs} ms`);
      }
      if (this.queue.size === 0 && this.queue.isClosed) throw new StreamlabError(`the stream ended after ${out.length} of ${n} records`);
    }
    return out;
  }

  close(): void {
    this.queue.close();
    this.detach();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamRecord<T>> {
    try {
      for (;;) {
        const r = await this.queue.shift();
        if (r === undefined) return;
        yield r;
      }
    } finally {
      this.close();
    }
  }
}

/** Thrown inside start() when stop() overtook it; never leaves the class. */
const STOPPED = Symbol('stopped');

const YIELD_CHECK_RECORDS = 256;
const YIELD_AFTER_MS = 4;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function privateGroupId(topic: string): string {
  const host = os.hostname().replace(/[^a-zA-Z0-9.-]/g, '-').slice(0, 40);
  return `streamlab-${host}-${topic}-${randomBytes(4).toString('hex')}`;
}
