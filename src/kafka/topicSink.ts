/**
 * Writes records (objects, or the rows of a Danfo DataFrame) to a topic as JSON, in batches. Idempotent where
 * the cluster supports it, so a retried batch is not written twice.
 */
import { Kafka, Message, PartitionMetadata, Partitioners, Producer } from 'kafkajs';
import { StreamlabError } from '../errors';
import { ConnectionOptions, ConnectionSettings, protectSecrets, resolveConnection } from './connection';
import { createKafka } from './kafkaClient';
import { kafkaError } from './kafkaErrors';
import { TopicAdmin } from './topicAdmin';
import { toEpochMs } from './startPosition';

export interface TopicSinkOptions {
  topic: string;
  connection?: ConnectionOptions | ConnectionSettings;
  /** Field whose value becomes the record key (records with the same key keep their order). */
  keyField?: string;
  /** Field whose value (epoch ms or ISO-8601) becomes the record timestamp; default: now. */
  timeField?: string;
  /** Records per produce request. Default 500. */
  batchSize?: number;
  /**
   * Create the topic when missing (with this many partitions, or the cluster default; `retentionMs` -1 keeps its
   * records forever, as replayed history needs on a real Kafka).
   */
  createTopic?: boolean | { partitions?: number; retentionMs?: number };
  /** 'auto' (default): idempotent when the cluster supports it. */
  idempotent?: boolean | 'auto';
}

export interface RawRecord {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  timestamp?: number;
  partition?: number;
  headers?: Record<string, string>;
}

/** The part of a Danfo DataFrame the sink needs; kept structural so the sink does not load Danfo. */
export interface FrameLike {
  columns: string[];
  values: unknown[][] | unknown[];
}

export interface SinkMetrics {
  topic: string;
  records: number;
  bytes: number;
  batches: number;
  idempotent: boolean;
}

export class TopicSink {
  private producer: Producer | undefined;
  private kafka: Kafka | undefined;
  private settings: ConnectionSettings | undefined;
  private pending: Message[] = [];
  private records = 0;
  private bytes = 0;
  private batches = 0;
  private idempotentValue = false;
  /** Records with a timestamp before now - this are deleted by the broker's time retention (undefined: no limit known). */
  private retentionMs: number | undefined;
  /** kafkajs's own default partitioner, run here so that every message is sent with its partition known. */
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private partitionMetadata: PartitionMetadata[] = [];
  readonly topic: string;
  private readonly batchSize: number;

  constructor(private readonly options: TopicSinkOptions) {
    if (!options.topic) throw new StreamlabError('a topic sink needs a topic name');
    this.options = { ...options, connection: protectSecrets(options.connection) };
    this.topic = options.topic;
    this.batchSize = options.batchSize ?? 500;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new StreamlabError(`batchSize must be a positive integer, got ${options.batchSize}`);
    }
  }

  static async open(options: TopicSinkOptions): Promise<TopicSink> {
    return new TopicSink(options).connect();
  }

  get idempotent(): boolean {
    return this.idempotentValue;
  }

  async connect(): Promise<this> {
    const action = `producing to '${this.topic}'`;
    const connection = this.options.connection ?? {};
    const settings = 'origin' in connection ? (connection as ConnectionSettings) : resolveConnection(connection as ConnectionOptions);
    this.settings = settings;
    const admin = new TopicAdmin(settings);
    try {
      if (this.options.createTopic) {
        const spec = typeof this.options.createTopic === 'object' ? this.options.createTopic : {};
        await admin.createTopic(this.topic, spec.partitions, spec.retentionMs);
      } else {
        await admin.requireTopic(this.topic, action);
      }
      // Partitions a message may go to (ones added later are used after a reconnect).
      this.partitionMetadata = (await admin.offsets(this.topic)).map((o) => ({ partitionId: o.partition, leader: 0, partitionErrorCode: 0, replicas: [], isr: [] }));
      const retention = await admin.retentionMs(this.topic);
      this.retentionMs = retention !== undefined && retention >= 0 ? retention : undefined;
      const wanted = this.options.idempotent ?? 'auto';
      const supported = wanted === false ? false : await admin.supportsIdempotence();
      if (wanted === true && !supported) {
        throw new StreamlabError(`${action}: this cluster cannot serve idempotent producers`, "pass idempotent: 'auto' or false");
      }
      this.idempotentValue = supported;
      this.kafka = createKafka(settings, 5);
      this.producer = this.kafka.producer({
        allowAutoTopicCreation: false,
        idempotent: supported,
        maxInFlightRequests: supported ? 1 : undefined,
      });
      await this.producer.connect();
      return this;
    } catch (e) {
      throw kafkaError(e, { settings, action, topic: this.topic });
    } finally {
      await admin.disconnect();
    }
  }

  /** Queues records and sends full batches; resolves once every full batch is acknowledged. */
  async write(input: object | object[] | FrameLike): Promise<void> {
    for (const record of rowsOf(input)) {
      this.pending.push(this.toMessage(record));
      if (this.pending.length >= this.batchSize) await this.flush();
    }
  }

  /** Sends ready-made records (bytes or strings) as they are. */
  async writeRaw(records: RawRecord[]): Promise<void> {
    for (const r of records) {
      if (r.timestamp !== undefined) this.checkRetention(r.timestamp);
      this.pending.push({
        key: r.key ?? null,
        value: r.value,
        timestamp: r.timestamp !== undefined ? String(r.timestamp) : undefined,
        partition: r.partition,
        headers: r.headers,
      });
      if (this.pending.length >= this.batchSize) await this.flush();
    }
  }

  /** Sends everything queued. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const producer = this.requireProducer();
    const messages = this.pending;
    this.pending = [];
    for (const m of messages) {
      if (m.partition === undefined || m.partition === null) {
        m.partition = this.partitioner({ topic: this.topic, partitionMetadata: this.partitionMetadata, message: m });
      }
    }
    let unacknowledged = messages;
    try {
      // kafkajs 2.2.4 answers a send as done when, on a retry, a failed partition's new leader is a broker that
      // already answered for other partitions of the same send: that partition's messages are never sent (seen on a
      // real cluster when a leader is paused past its session). So every partition must be in the answer, and
      // messages of one that is not are sent again.
      for (let attempt = 1; unacknowledged.length > 0; attempt++) {
        const answer = await producer.send({ topic: this.topic, messages: unacknowledged, acks: -1 });
        const written = new Set(answer.filter((r) => r.errorCode === 0).map((r) => r.partition));
        unacknowledged = unacknowledged.filter((m) => !written.has(m.partition!));
        if (unacknowledged.length > 0 && attempt >= 5) {
          const partitions = [...new Set(unacknowledged.map((m) => m.partition))].join(', ');
          throw new StreamlabError(`producing to '${this.topic}': partition(s) ${partitions} did not acknowledge ${unacknowledged.length} record(s) after ${attempt} sends`, 'flush again once the cluster has settled');
        }
      }
    } catch (e) {
      // Put back what was not acknowledged so a later flush can retry it: nothing is dropped silently.
      this.pending = unacknowledged.concat(this.pending);
      this.count(messages.length - unacknowledged.length, messages.filter((m) => !unacknowledged.includes(m)));
      throw kafkaError(e, { settings: this.settings!, action: `producing to '${this.topic}'`, topic: this.topic });
    }
    this.count(messages.length, messages);
  }

  private count(records: number, messages: Message[]): void {
    if (records === 0) return;
    this.batches++;
    this.records += records;
    for (const m of messages) this.bytes += m.value ? m.value.length : 0;
  }

  metrics(): SinkMetrics {
    return { topic: this.topic, records: this.records, bytes: this.bytes, batches: this.batches, idempotent: this.idempotentValue };
  }

  /** Flushes and disconnects. */
  async close(): Promise<void> {
    try {
      if (this.producer) await this.flush();
    } finally {
      const producer = this.producer;
      this.producer = undefined;
      await producer?.disconnect().catch(() => undefined);
    }
  }

  private toMessage(record: object): Message {
    const row = record as Record<string, unknown>;
    const { keyField, timeField } = this.options;
    let key: string | null = null;
    if (keyField !== undefined) {
      const k = row[keyField];
      if (k === undefined || k === null) {
        throw new StreamlabError(`producing to '${this.topic}': a record has no key field '${keyField}'`, `add '${keyField}' to every record or drop keyField`);
      }
      key = String(k);
    }
    let timestamp: string | undefined;
    if (timeField !== undefined) {
      const t = row[timeField];
      if (t === undefined || t === null) {
        throw new StreamlabError(`producing to '${this.topic}': a record has no time field '${timeField}'`, `add '${timeField}' to every record or drop timeField`);
      }
      const ms = toEpochMs(t as number | string | Date, `time field '${timeField}'`);
      this.checkRetention(ms);
      timestamp = String(ms);
    }
    return { key, value: JSON.stringify(record), timestamp };
  }

  /**
   * A real Kafka deletes records whose timestamp is older than the topic's retention at its next retention check,
   * minutes after they were written: refuse them here rather than lose them without a word.
   */
  private checkRetention(timestamp: number): void {
    if (this.retentionMs === undefined || timestamp >= Date.now() - this.retentionMs) return;
    throw new StreamlabError(
      `producing to '${this.topic}': a record's timestamp ${new Date(timestamp).toISOString()} is older than the topic's retention (${describeSpan(this.retentionMs)}), so Kafka would delete it within minutes`,
      "create the topic with retention.ms=-1 (createTopic: { retentionMs: -1 }, `streamlab produce csv` does) or write current timestamps",
    );
  }

  private requireProducer(): Producer {
    if (!this.producer) throw new StreamlabError(`the sink for '${this.topic}' is not connected`, 'call connect() (or TopicSink.open) first');
    return this.producer;
  }
}

function describeSpan(ms: number): string {
  const units: [number, string][] = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1000, 'second']];
  for (const [size, name] of units) {
    if (ms >= size) {
      const n = Math.round(ms / size);
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}

function isFrameLike(input: unknown): input is FrameLike {
  return typeof input === 'object' && input !== null && Array.isArray((input as FrameLike).columns) && Array.isArray((input as FrameLike).values);
}

function* rowsOf(input: object | object[] | FrameLike): Iterable<object> {
  if (Array.isArray(input)) {
    yield* input;
    return;
  }
  if (isFrameLike(input)) {
    const { columns, values } = input;
    for (const raw of values) {
      // A one-column frame's values may be a flat array.
      const cells = Array.isArray(raw) ? raw : [raw];
      const row: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) row[columns[i]!] = cells[i];
      yield row;
    }
    return;
  }
  yield input;
}
