/**
 * Read-process-write, exactly once: a member of a consumer group reads its partitions of the input topic, hands each
 * partition's batches to a task of that partition, and writes what the task returns to the output topic in a Kafka
 * transaction that also commits the input position (sendOffsets). Output and position become visible together or
 * not at all, so after a crash (kill -9) the next owner of a partition resumes from the last committed position and
 * a read_committed reader sees each output record once.
 *
 * One transactional producer per input partition (Kafka's exactly-once "v1" layout), with the id
 * `streamlab-<group>-<topic>-<partition>`. The id moves with the partition: a member that is given a partition opens
 * its producer first, which fences the previous owner's producer and aborts (or waits out) its open transaction,
 * and only then reads the committed position. kafkajs 2.2.4 has no rebalance listener and sends TxnOffsetCommit
 * without the group generation, so the per-group fencing of exactly-once v2 (KIP-447) is not available to it; the
 * per-partition id gives the same guarantee with the tools kafkajs has: a member that lost a partition can no longer
 * commit for it, whatever it still believes.
 */
import { Consumer, EachBatchPayload } from 'kafkajs';
import { StreamlabError } from '../errors';
import { JsonValue, StreamRecord, TimeUnit } from '../record';
import { ConnectionOptions, ConnectionSettings, protectSecrets, resolveConnection } from './connection';
import { createKafka } from './kafkaClient';
import { kafkaError } from './kafkaErrors';
import { BatchDecoder } from './batchDecoder';
import { DeadLetter, DeadLetters } from './deadLetters';
import { BatchAwareDecoder, checkFormat, formatDecoder, recordFormat } from './formats';
import { SchemaRegistryClient } from './registry/schemaRegistryClient';
import { TopicAdmin } from './topicAdmin';
import { TopicSink } from './topicSink';

/** What a task returns for one batch: rows to write and the input offset (and state) to commit with them. */
export interface TaskOutput {
  rows: object[];
  /**
   * The input offset a restart resumes from; default: after the batch. A task holding state (open windows) commits
   * the first offset that state still needs, so a restart rebuilds it by replay.
   */
  commitOffset?: number;
  /** Kept by Kafka with the offset and handed to restore() on the next owner (a few KB at most). */
  metadata?: string;
}

/** The processing of one input partition. Its state lives only as long as its owner holds the partition. */
export interface PartitionTask {
  /** Called before the first batch with the metadata committed with the partition's position (null: none). */
  restore?(metadata: string | null): void;
  process(records: StreamRecord<JsonValue>[], nextOffset: number): TaskOutput;
}

export interface ReadProcessWriteOptions {
  input: string;
  output: string;
  /** The consumer group; the members of one group share the input partitions. */
  groupId: string;
  /** A fresh task for a partition this member is given (again after a failed transaction). */
  task(partition: number): PartitionTask;
  connection?: ConnectionOptions | ConnectionSettings;
  /** Format of input values (a record format of ./formats whose values are objects); default 'json'. */
  format?: string;
  /** Event time of input records (StreamRecord.time); default the Kafka timestamp. */
  timeField?: string;
  /** Unit of epoch numbers in timeField (default ms). */
  timeUnit?: TimeUnit;
  /** Output record keys and timestamps (see TopicSinkOptions). */
  keyField?: string;
  outputTimeField?: string;
  /** Create the output topic when missing. */
  createOutput?: { partitions?: number };
  /** Group session timeout: how long a killed member holds its partitions. Default 10 s. */
  sessionTimeoutMs?: number;
  /** Upper bound of one fetch (smaller: more, smaller transactions). */
  fetchMaxBytes?: number;
  /**
   * true (default): output and position in one transaction. false: at least once, for brokers without transactions
   * (the embedded broker) and to measure what exactly-once costs: the output is flushed, then the position is
   * committed, so a crash between the two writes that output again on restart (never loses it).
   */
  exactlyOnce?: boolean;
  /**
   * How long a partition may fail every attempt (taking it over, writing, committing) before the whole member fails
   * with the reason, like Kafka Streams' task.timeout.ms: a worker that can never make progress must say so and
   * stop, not report itself running. Default 2 minutes (a broker restart or a leader election is shorter).
   */
  taskTimeoutMs?: number;
}

/** Default of ReadProcessWriteOptions.taskTimeoutMs. */
export const DEFAULT_TASK_TIMEOUT_MS = 120_000;

export interface PartitionProgressInfo {
  partition: number;
  /** Next input offset this member will read. */
  position: number;
  highWatermark: number;
  lag: number;
}

export interface ReadProcessWriteMetrics {
  groupId: string;
  memberId?: string;
  state: 'idle' | 'running' | 'stopped' | 'failed';
  partitions: PartitionProgressInfo[];
  lag: number;
  recordsIn: number;
  rowsOut: number;
  /** Input records that could not be decoded or had no usable time: skipped (the same on every replay), see deadLetters. */
  skipped: number;
  deadLettersByReason: Record<string, number>;
  transactions: number;
  /** Transactions that failed and were aborted; their partition is set up again from its committed position. */
  failedTransactions: number;
  rebalances: number;
  lastError?: string;
}

interface PartitionState {
  partition: number;
  sink: TopicSink;
  task: PartitionTask;
  position: number;
  highWatermark: number;
  /** Set after the seek to the committed position: batches fetched before it are stale. */
  seeked: boolean;
}

export class ReadProcessWrite {
  private settings!: ConnectionSettings;
  private admin: TopicAdmin | undefined;
  private consumer: Consumer | undefined;
  private readonly states = new Map<number, PartitionState>();
  private assigned = new Set<number>();
  private stateValue: ReadProcessWriteMetrics['state'] = 'idle';
  private memberId: string | undefined;
  private recordsIn = 0;
  private rowsOut = 0;
  /** Input records a task could not use (not decodable, no usable time), by reason, with where they are. */
  readonly deadLetters = new DeadLetters(1000);
  /** Built at start, where the connection says where a Schema Registry is. */
  private batchDecoder!: BatchDecoder<JsonValue>;
  private registry: SchemaRegistryClient | undefined;
  private transactions = 0;
  private failedTransactions = 0;
  private rebalances = 0;
  private lastError: string | undefined;
  private stopping = false;
  private readonly closing = new Set<Promise<void>>();
  /** Failed transactions in a row per partition: the next take-over waits longer (a broken task must not spin). */
  private readonly failuresInARow = new Map<number, number>();
  /** When the current run of failures of a partition began (cleared by a success). */
  private readonly failingSince = new Map<number, { since: number; first: string }>();
  /**
   * What the fetches say of partitions this member holds but has no state for (its take-over or last transaction
   * failed): so lag counts their unread records rather than reading 0.
   */
  private readonly fetched = new Map<number, { from: number; highWatermark: number }>();

  private readonly exactlyOnce: boolean;

  constructor(private readonly options: ReadProcessWriteOptions) {
    for (const name of ['input', 'output', 'groupId'] as const) {
      if (typeof options[name] !== 'string' || options[name] === '') throw new StreamlabError(`read-process-write needs ${name} (a non-empty string)`);
    }
    if (typeof options.task !== 'function') throw new StreamlabError('read-process-write needs task(partition), a function returning the processing of one partition');
    this.options = { ...options, connection: protectSecrets(options.connection) };
    this.exactlyOnce = options.exactlyOnce !== false;
    checkFormat(options.format ?? 'json', {}, 'input format');
    const timeout = options.taskTimeoutMs;
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 0)) throw new StreamlabError(`read-process-write taskTimeoutMs must be a whole number of milliseconds, 0 or more; got ${String(timeout)}`);
  }

  async start(): Promise<this> {
    const { input, output, groupId } = this.options;
    const action = `running '${input}' -> '${output}' ${this.exactlyOnce ? 'exactly' : 'at least'} once`;
    const connection = this.options.connection ?? {};
    this.settings = 'origin' in connection ? (connection as ConnectionSettings) : resolveConnection(connection as ConnectionOptions);
    const admin = new TopicAdmin(this.settings);
    this.admin = admin;
    try {
      const format = this.options.format ?? 'json';
      if (recordFormat(format).needsRegistry && this.settings.schemaRegistry) this.registry = new SchemaRegistryClient(this.settings.schemaRegistry);
      this.batchDecoder = new BatchDecoder<JsonValue>({
        topic: input,
        decoder: formatDecoder(format, {}, 'input format', { registry: this.registry }) as BatchAwareDecoder<JsonValue>,
        timeField: this.options.timeField,
        timeUnit: this.options.timeUnit,
      });
      await admin.requireTopic(input, action);
      if (this.exactlyOnce && (await admin.isMockCluster())) {
        throw new StreamlabError(
          `${action}: the broker at ${this.settings.brokers.join(',')} is librdkafka's mock (the embedded broker), which has no transactions`,
          'use a real Kafka (`streamlab broker --kafka`)',
        );
      }
      if (this.options.createOutput) await admin.createTopic(output, this.options.createOutput.partitions);
      else await admin.requireTopic(output, action);
      const session = this.options.sessionTimeoutMs ?? 10_000;
      const consumer = createKafka(this.settings, 5).consumer({
        groupId,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: 500,
        sessionTimeout: session,
        heartbeatInterval: Math.max(100, Math.floor(session / 10)),
        // The input may itself be the output of a transactional pipeline: read only what was committed.
        readUncommitted: false,
        ...(this.options.fetchMaxBytes ? { maxBytes: this.options.fetchMaxBytes, maxBytesPerPartition: this.options.fetchMaxBytes } : {}),
        retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3000 },
      });
      this.consumer = consumer;
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onJoin(consumer, payload.memberId, payload.memberAssignment[input] ?? []));
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (this.stopping) return;
        this.lastError = kafkaError(payload.error, { settings: this.settings, action, topic: input }).message;
        if (!payload.restart) this.stateValue = 'failed';
      });
      await consumer.connect();
      // Without a committed position a partition is read from its first record.
      await consumer.subscribe({ topic: input, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: (p) => this.onBatch(p) });
      this.stateValue = 'running';
      return this;
    } catch (e) {
      this.stateValue = 'failed';
      await this.stop();
      this.stateValue = 'failed';
      throw kafkaError(e, { settings: this.settings, action, topic: input });
    }
  }

  /** A new assignment: partitions gone are released; kept ones are sought back to this member's own positions. */
  private onJoin(consumer: Consumer, memberId: string, partitions: number[]): void {
    this.memberId = memberId;
    this.rebalances++;
    this.assigned = new Set(partitions);
    for (const tracked of [this.fetched, this.failingSince, this.failuresInARow]) {
      for (const partition of [...tracked.keys()]) if (!this.assigned.has(partition)) tracked.delete(partition);
    }
    for (const [partition, state] of this.states) {
      if (!this.assigned.has(partition)) this.release(partition);
      else consumer.seek({ topic: this.options.input, partition, offset: String(state.position) });
    }
  }

  private release(partition: number): void {
    const state = this.states.get(partition);
    if (!state) return;
    this.states.delete(partition);
    this.fetched.set(partition, { from: state.position, highWatermark: state.highWatermark });
    const closing = state.sink.close().catch(() => undefined);
    this.closing.add(closing);
    void closing.then(() => this.closing.delete(closing));
  }

  /**
   * Takes a partition over: its producer first (fencing the previous owner), then its committed position and state,
   * then a seek there. Batches fetched before the seek are stale and skipped.
   */
  private async setUp(partition: number): Promise<PartitionState> {
    const { input, output, groupId } = this.options;
    await Promise.all([...this.closing]);
    const sink = await TopicSink.open({
      topic: output,
      connection: this.settings,
      keyField: this.options.keyField,
      timeField: this.options.outputTimeField,
      ...(this.exactlyOnce ? { exactlyOnce: true, transactionalId: `streamlab-${groupId}-${input}-${partition}` } : {}),
      // A task's rows are its own results; one that JSON cannot hold is a bug to report, not to skip.
      onInvalid: 'reject',
      batchSize: 1000,
    });
    try {
      const committed = (await this.admin!.committedWithMetadata(groupId, input)).get(partition);
      const task = this.options.task(partition);
      task.restore?.(committed?.metadata ?? null);
      const low = (await this.admin!.offsets(input)).find((o) => o.partition === partition)?.low ?? 0;
      const position = committed ? Math.max(committed.offset, low) : low;
      this.consumer!.seek({ topic: input, partition, offset: String(position) });
      // What earlier fetches saw of the partition's end stays known, so its lag is not 0 before the next batch.
      const highWatermark = Math.max(position, this.fetched.get(partition)?.highWatermark ?? 0);
      return { partition, sink, task, position, highWatermark, seeked: true };
    } catch (e) {
      await sink.close().catch(() => undefined);
      throw e;
    }
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    if (this.stopping) return;
    const partition = batch.partition;
    let state = this.states.get(partition);
    if (!state) {
      const seen = this.fetched.get(partition);
      const first = batch.isEmpty() ? Number(batch.highWatermark) : Number(batch.firstOffset());
      this.fetched.set(partition, { from: Math.min(seen?.from ?? first, first), highWatermark: Number(batch.highWatermark) });
      const failures = this.failuresInARow.get(partition) ?? 0;
      if (failures > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** failures)));
      if (this.stopping) return;
      try {
        state = await this.setUp(partition);
      } catch (e) {
        this.failed(partition, kafkaError(e, { settings: this.settings, action: `taking over partition ${partition} of '${this.options.input}'` }).message);
        return;
      }
      if (this.stopping || !this.assigned.has(partition)) {
        await state.sink.close().catch(() => undefined);
        return;
      }
      this.states.set(partition, state);
      // This batch was fetched before the seek.
      return;
    }
    if (isStale()) return;
    state.highWatermark = Number(batch.highWatermark);
    if (this.batchDecoder.needsPrepare) {
      await this.batchDecoder.prepare(batch.messages, () => !this.stopping && !isStale());
      if (this.stopping || isStale()) return;
    }
    const records = this.decode(batch.messages, state);
    if (batch.isEmpty() || Number(batch.lastOffset()) < state.position) return;
    const next = Number(batch.lastOffset()) + 1;
    try {
      const out = state.task.process(records, next);
      if (out.rows.length > 0) await state.sink.write(out.rows);
      const position = { partition, offset: out.commitOffset ?? next, metadata: out.metadata };
      if (this.exactlyOnce) {
        await state.sink.commit({ groupId: this.options.groupId, topic: this.options.input, partitions: [position] });
      } else {
        await state.sink.flush();
        await this.consumer!.commitOffsets([{ topic: this.options.input, partition, offset: String(position.offset), metadata: position.metadata ?? null }]);
      }
      this.transactions++;
      this.recordsIn += records.length;
      this.rowsOut += out.rows.length;
      state.position = next;
      this.failuresInARow.delete(partition);
      this.failingSince.delete(partition);
      resolveOffset(batch.lastOffset());
    } catch (e) {
      // Aborted: nothing of the batch is visible. The task's state may hold the batch, so it goes too; the next batch
      // sets the partition up again from what is committed (or finds it fenced by its new owner).
      this.failedTransactions++;
      this.release(partition);
      this.failed(partition, kafkaError(e, { settings: this.settings, action: `writing the results of partition ${partition} of '${this.options.input}' to '${this.options.output}'`, topic: this.options.output }).message);
      return;
    }
    await heartbeat().catch(() => undefined);
  }

  /**
   * One more failure in a row of a partition. Past taskTimeoutMs of nothing but failures (and at least three
   * attempts, so one slow attempt is not a verdict) the member fails with the reason: it cannot make progress.
   */
  private failed(partition: number, reason: string): void {
    const failures = (this.failuresInARow.get(partition) ?? 0) + 1;
    this.failuresInARow.set(partition, failures);
    const now = Date.now();
    // The first failure of a run is kept: later ones are often its echo (a transaction still being aborted).
    const run = this.failingSince.get(partition) ?? { since: now, first: reason };
    this.failingSince.set(partition, run);
    this.lastError = reason;
    const timeout = this.options.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
    if (failures >= 3 && now - run.since >= timeout && this.stateValue === 'running' && !this.stopping) {
      this.stateValue = 'failed';
      const last = reason === run.first ? '' : `; last: ${reason}`;
      this.lastError = `partition ${partition} of '${this.options.input}' cannot make progress: ${failures} attempts in ${Math.round((now - run.since) / 1000)} s failed (first: ${run.first}${last})`;
      // A failed member leaves the group, so its partitions are not held by one that cannot process them.
      void this.stop();
    }
  }

  /** The batch's records from the partition's position on; the ones that cannot be used are kept aside with their reason. */
  private decode(messages: EachBatchPayload['batch']['messages'], state: PartitionState): StreamRecord<JsonValue>[] {
    const out: StreamRecord<JsonValue>[] = [];
    const dead: DeadLetter[] = [];
    for (const m of messages) {
      const offset = Number(m.offset);
      if (offset < state.position) continue;
      this.batchDecoder.decodeInto(m, state.partition, offset, out, dead);
    }
    for (const d of dead) this.deadLetters.add(d);
    return out;
  }

  metrics(): ReadProcessWriteMetrics {
    const partitions = [...this.assigned]
      .sort((a, b) => a - b)
      .map((partition) => {
        const s = this.states.get(partition) ?? this.fetched.get(partition);
        const position = s ? ('position' in s ? s.position : s.from) : 0;
        const highWatermark = s?.highWatermark ?? 0;
        return { partition, position, highWatermark, lag: Math.max(0, highWatermark - position) };
      });
    return {
      groupId: this.options.groupId,
      memberId: this.memberId,
      state: this.stateValue,
      partitions,
      lag: partitions.reduce((n, p) => n + p.lag, 0),
      recordsIn: this.recordsIn,
      rowsOut: this.rowsOut,
      skipped: this.deadLetters.total,
      deadLettersByReason: this.deadLetters.counts(),
      transactions: this.transactions,
      failedTransactions: this.failedTransactions,
      rebalances: this.rebalances,
      ...((this.batchDecoder?.waiting ?? this.lastError) !== undefined ? { lastError: this.batchDecoder?.waiting ?? this.lastError } : {}),
    };
  }

  /** Leaves the group (its partitions go to the other members at once) and closes the producers. */
  stop(): Promise<void> {
    this.stopped ??= this.leave();
    return this.stopped;
  }

  private stopped: Promise<void> | undefined;

  private async leave(): Promise<void> {
    this.stopping = true;
    const consumer = this.consumer;
    this.consumer = undefined;
    // kafkajs lets the batch in progress finish (its transaction commits or aborts) before it leaves the group.
    await consumer?.disconnect().catch(() => undefined);
    for (const partition of [...this.states.keys()]) this.release(partition);
    await Promise.all([...this.closing]);
    await this.admin?.disconnect();
    this.admin = undefined;
    this.registry?.close();
    if (this.stateValue !== 'failed') this.stateValue = 'stopped';
  }
}
