/**
 * Writes records (objects, or the rows of a Danfo DataFrame) to a topic as JSON, in batches. Idempotent where
 * the cluster supports it, so a retried batch is not written twice.
 *
 * At-least-once is the default. With exactlyOnce the sink writes in Kafka transactions: what a commit() (or
 * flush(), close()) covers becomes visible to read_committed readers at once or not at all, together with any
 * consumer positions passed to commit() (read-process-write: see readProcessWrite.ts). A broker without transactions
 * is refused at connect, never served at-least-once behind the user's back.
 *
 * A call is validated and encoded whole before anything is sent, so it is sent whole or reported whole: with
 * onInvalid 'reject' (the default) one bad row fails the call, naming the row, and nothing of it is sent; with
 * 'dead-letter' the good rows are sent and the bad ones kept aside (bounded) and counted, each with its row number.
 *
 * The encoding rule: a row is written as JSON exactly as it is, or refused. Refused, since JSON would change them
 * without a word: NaN and +-Infinity (JSON has no such numbers; JSON.stringify writes null), undefined (dropped),
 * BigInt (throws), functions and symbols (dropped), Map, Set, RegExp and Error (written as {}), Buffers and typed
 * arrays (written as index maps), circular references, and rows that are not objects. Dates are written as their
 * ISO-8601 text (their own toJSON), as is any object with a toJSON. One exception: in a DataFrame, NaN, undefined and
 * null are Danfo's missing value and are written as null, as pandas' to_json does. Keys: strings as they are,
 * finite numbers, booleans and BigInts as their text, Buffers as bytes; anything else is refused.
 */
import { ownField } from '../record';
import { randomBytes } from 'node:crypto';
import { CompressionTypes, Kafka, Message, PartitionMetadata, Partitioners, Producer, RecordMetadata, Transaction } from 'kafkajs';
import { StreamlabError } from '../errors';
import { RingBuffer } from '../util/ringBuffer';
import { checkWritableTopic } from './topicNames';
import { ConnectionOptions, ConnectionSettings, protectSecrets, resolveConnection } from './connection';
import { createKafka } from './kafkaClient';
import { kafkaError } from './kafkaErrors';
import { TopicAdmin } from './topicAdmin';
import { toEpochMs } from './startPosition';
import { Compression, compressionType } from './compression';
import { RecordHeaders, headersProblem, toKafkaHeaders } from './headers';
import { SchemaRegistryClient } from './registry/schemaRegistryClient';
import { AvroCodec, avroType } from './registry/avroCodec';
import { protobufCodec } from './registry/protobufSchema';
import { RegistryDecoder } from './registry/registryDecoder';
import { toWireFormat } from './registry/wireFormat';

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
  createTopic?: boolean | { partitions?: number; retentionMs?: number; compact?: boolean };
  /** 'auto' (default): idempotent when the cluster supports it. */
  idempotent?: boolean | 'auto';
  /**
   * What a call does with rows JSON cannot hold as they are (see the encoding rule above): 'reject' (default) sends
   * nothing of the call and fails naming the first bad row; 'dead-letter' sends the good rows and keeps the bad ones
   * in `rejected`, counted.
   */
  onInvalid?: 'reject' | 'dead-letter';
  /** Rejected rows kept for inspection with onInvalid 'dead-letter' (all are counted). Default 1000. */
  rejectedLimit?: number;
  /**
   * Write in Kafka transactions (needs a real Kafka; the embedded broker has none): records sent since the last
   * commit() are visible to read_committed readers only once it succeeds, with the consumer positions it was given.
   */
  exactlyOnce?: boolean;
  /**
   * The transactional id (exactlyOnce only). A producer that starts with an id fences the older one with the same id
   * and aborts its open transaction, so a process that restarts after a crash must reuse its id; default: a random
   * one, which makes each commit atomic but fences nothing.
   */
  transactionalId?: string;
  /** Codec of the batches written: 'none' (default), 'gzip', 'snappy', 'lz4' or 'zstd'. */
  compression?: Compression;
  /** Headers of every record written (text or bytes). */
  headers?: RecordHeaders;
  /**
   * Write values in a Schema Registry's wire format instead of JSON: `schema` is registered under `subject` (default
   * `<topic>-value`) or found there; without `schema`, the subject's `version` (default latest) is used. Needs a
   * registry in the connection (schemaRegistry, STREAMLAB_SCHEMA_REGISTRY_URL, or a local broker started with one).
   */
  value?: SchemaValueOptions;
  /**
   * Field of a row holding that record's headers (an object of text or bytes values, or null); it is written as the
   * record's headers and left out of its value. They are added to `headers`, and win over them.
   */
  headersField?: string;
}

export interface SchemaValueOptions {
  format: 'avro' | 'protobuf' | 'jsonschema';
  /** Avro schema (JSON text or object), .proto text, or JSON Schema (text or object). */
  schema?: string | object;
  subject?: string;
  version?: number | 'latest';
  /** Protobuf: the message type rows are written as (default the first of the file). */
  messageName?: string;
}

/** Consumer positions committed with a transaction: the next offset to read of each partition, for a group. */
export interface TransactionOffsets {
  groupId: string;
  topic: string;
  /** `metadata` is kept by Kafka with the offset (at most a few KB): state a restart needs, read back with it. */
  partitions: { partition: number; offset: number; metadata?: string }[];
}

/** A row the sink did not send: its place in the call that gave it, why, and the row itself. */
export interface SinkRejection {
  /** 0-based index of the row in its write() call. */
  row: number;
  error: string;
  value: unknown;
}

export interface RawRecord {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  timestamp?: number;
  partition?: number;
  headers?: RecordHeaders;
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
  /** Rows refused by the encoding rule and not sent (onInvalid 'dead-letter'; with 'reject' the call fails). */
  rejected: number;
  exactlyOnce: boolean;
  /** Transactions committed and aborted (exactlyOnce). */
  transactions: number;
  aborted: number;
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
  private readonly rejectedRing: RingBuffer<SinkRejection>;
  private rejectedTotal = 0;
  readonly exactlyOnce: boolean;
  readonly transactionalId: string | undefined;
  private readonly compression: CompressionTypes;
  /** Rows to wire-format bytes (options.value), set at connect once the schema id is known. */
  private valueEncoder: ((row: Record<string, unknown>) => Buffer) | undefined;
  /** The schema id values are written with (options.value). */
  schemaId: number | undefined;
  /** The open transaction (exactlyOnce), begun by the first send after a commit. */
  private transaction: Transaction | undefined;
  /** Records sent in the open transaction: put back to pending when it aborts, so a later commit resends them. */
  private inTransaction: Message[] = [];
  private transactions = 0;
  private abortedTotal = 0;

  constructor(private readonly options: TopicSinkOptions) {
    checkWritableTopic(options.topic);
    this.options = { ...options, connection: protectSecrets(options.connection) };
    this.topic = options.topic;
    const onInvalid = options.onInvalid ?? 'reject';
    if (onInvalid !== 'reject' && onInvalid !== 'dead-letter') {
      throw new StreamlabError(`unknown onInvalid '${String(onInvalid)}' for the sink of '${this.topic}'`, "use 'reject' (send all or nothing) or 'dead-letter'");
    }
    const limit = options.rejectedLimit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1) throw new StreamlabError(`rejectedLimit must be a positive integer, got ${String(options.rejectedLimit)}`);
    this.rejectedRing = new RingBuffer(limit);
    this.batchSize = options.batchSize ?? 500;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new StreamlabError(`batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.exactlyOnce = options.exactlyOnce === true;
    if (options.transactionalId !== undefined && !this.exactlyOnce) {
      throw new StreamlabError(`the sink of '${this.topic}' has a transactionalId but not exactlyOnce`, 'pass exactlyOnce: true as well, or drop transactionalId');
    }
    if (this.exactlyOnce && options.idempotent === false) {
      throw new StreamlabError(`the sink of '${this.topic}' cannot be exactlyOnce without idempotence`, 'drop idempotent: false');
    }
    if (options.transactionalId !== undefined && (typeof options.transactionalId !== 'string' || options.transactionalId === '')) {
      throw new StreamlabError(`transactionalId must be a non-empty string, got ${String(options.transactionalId)}`);
    }
    this.compression = compressionType(options.compression ?? 'none', `the sink of '${this.topic}': compression`);
    if (options.headers !== undefined) {
      const problem = headersProblem(options.headers);
      if (problem) throw new StreamlabError(`the sink of '${this.topic}': headers ${problem}`, 'give an object of text or Buffer values, e.g. { source: "notebook" }');
    }
    this.transactionalId = this.exactlyOnce ? (options.transactionalId ?? `streamlab-${this.topic}-${randomBytes(6).toString('hex')}`) : undefined;
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
        await admin.createTopic(this.topic, spec.partitions, spec.retentionMs, { compact: spec.compact });
      } else {
        await admin.requireTopic(this.topic, action, { hint: 'pass createTopic: true (or { partitions: N })', magicHint: 'add --create (or --partitions N)' });
      }
      // Partitions a message may go to (ones added later are used after a reconnect).
      this.partitionMetadata = (await admin.offsets(this.topic)).map((o) => ({ partitionId: o.partition, leader: 0, partitionErrorCode: 0, replicas: [], isr: [] }));
      const retention = await admin.retentionMs(this.topic);
      this.retentionMs = retention !== undefined && retention >= 0 ? retention : undefined;
      if (this.exactlyOnce && (await admin.isMockCluster())) {
        throw new StreamlabError(
          `${action} exactly once: the broker at ${settings.brokers.join(',')} is librdkafka's mock (the embedded broker), which has no transactions`,
          'use a real Kafka (`streamlab broker --kafka`), or drop exactlyOnce for at-least-once',
        );
      }
      const wanted = this.exactlyOnce ? true : (this.options.idempotent ?? 'auto');
      const supported = wanted === false ? false : await admin.supportsIdempotence();
      if (wanted === true && !supported) {
        throw new StreamlabError(`${action}: this cluster cannot serve idempotent producers`, "pass idempotent: 'auto' or false");
      }
      this.idempotentValue = supported;
      if (this.options.value) await this.prepareValueEncoder(settings);
      this.kafka = createKafka(settings, 5);
      // kafkajs needs all three for transactions; connect() then runs InitProducerId, which fences an older producer
      // with the same transactionalId and aborts its open transaction.
      this.producer = this.kafka.producer({
        allowAutoTopicCreation: false,
        idempotent: supported,
        maxInFlightRequests: supported ? 1 : undefined,
        ...(this.exactlyOnce ? { transactionalId: this.transactionalId, transactionTimeout: 60_000 } : {}),
      });
      await this.producer.connect();
      return this;
    } catch (e) {
      throw kafkaError(e, { settings, action, topic: this.topic });
    } finally {
      await admin.disconnect();
    }
  }

  private async prepareValueEncoder(settings: ConnectionSettings): Promise<void> {
    const v = this.options.value!;
    if (!settings.schemaRegistry) {
      throw new StreamlabError(`the sink of '${this.topic}' writes ${v.format} values and no Schema Registry is configured`, 'pass schemaRegistry (a URL), set STREAMLAB_SCHEMA_REGISTRY_URL, or start one with `streamlab broker --kafka --registry`');
    }
    const registry = new SchemaRegistryClient(settings.schemaRegistry);
    try {
      const subject = v.subject ?? `${this.topic}-value`;
      const schemaType = ({ avro: 'AVRO', protobuf: 'PROTOBUF', jsonschema: 'JSON' } as const)[v.format];
      let text: string;
      if (v.schema !== undefined) {
        text = typeof v.schema === 'string' ? v.schema : JSON.stringify(v.schema);
        // Checked here so a schema that does not parse is one line about the schema, not a registry refusal.
        if (v.format === 'avro') avroType(text, `the Avro schema of the sink of '${this.topic}'`);
        this.schemaId = await registry.register(subject, { schemaType, schema: text });
      } else {
        const found = await registry.schemaBySubject(subject, v.version ?? 'latest');
        if (found.schemaType !== schemaType) throw new StreamlabError(`subject '${subject}' holds a ${found.schemaType} schema, not ${v.format}`, `write with format '${found.schemaType === 'JSON' ? 'jsonschema' : found.schemaType.toLowerCase()}'`);
        this.schemaId = found.id;
        text = found.schema;
      }
      const id = this.schemaId;
      const registered = await registry.schemaById(id);
      if (v.format === 'avro') {
        const codec = new AvroCodec(avroType(text, `schema id ${id}`));
        this.valueEncoder = (row) => toWireFormat(id, codec.encode(row));
      } else if (v.format === 'protobuf') {
        const codec = await protobufCodec(registered, (ref) => registry.schemaBySubject(ref.subject, ref.version));
        this.valueEncoder = (row) => toWireFormat(id, codec.encode(row, v.messageName));
      } else {
        const check = new RegistryDecoder('jsonschema', registry);
        await check.prepare([toWireFormat(id, Buffer.from('{}'))]);
        this.valueEncoder = (row) => {
          const bytes = toWireFormat(id, Buffer.from(JSON.stringify(row)));
          check.decode(bytes);
          return bytes;
        };
      }
    } finally {
      registry.close();
    }
  }

  /** Rows refused with onInvalid 'dead-letter', newest kept (metrics().rejected counts them all). */
  get rejected(): { list(): SinkRejection[]; total: number } {
    return { list: () => this.rejectedRing.toArray(), total: this.rejectedTotal };
  }

  /**
   * Validates and encodes every row of the call, then queues them and sends full batches; resolves once every full
   * batch is acknowledged. A bad row fails the whole call before anything is sent (or, with onInvalid
   * 'dead-letter', is kept aside while the others are sent).
   */
  async write(input: object | object[] | FrameLike): Promise<void> {
    const messages: Message[] = [];
    const bad: SinkRejection[] = [];
    let index = 0;
    for (const row of rowsOf(input)) {
      const encoded = this.toMessage(row);
      if (typeof encoded === 'string') bad.push({ row: index, error: encoded, value: row });
      else messages.push(encoded);
      index++;
    }
    if (bad.length > 0 && (this.options.onInvalid ?? 'reject') === 'reject') {
      const more = bad.length > 1 ? ` (${bad.length - 1} more bad row(s): ${bad.slice(1, 6).map((b) => b.row).join(', ')}${bad.length > 6 ? ', ...' : ''})` : '';
      throw new StreamlabError(
        `producing to '${this.topic}': row ${bad[0]!.row}: ${bad[0]!.error}${more}`,
        `nothing of this call was sent; fix the row(s), or pass onInvalid: 'dead-letter' to send the others`,
      );
    }
    for (const b of bad) {
      this.rejectedTotal++;
      this.rejectedRing.push(b);
    }
    await this.enqueue(messages);
  }

  /** Sends ready-made records (bytes or strings) as they are; checked whole first, like write(). */
  async writeRaw(records: RawRecord[]): Promise<void> {
    if (!Array.isArray(records)) throw new StreamlabError(`producing to '${this.topic}': writeRaw needs an array of records`);
    const messages: Message[] = records.map((r, i) => {
      const bytes = (v: unknown) => v === null || v === undefined || typeof v === 'string' || Buffer.isBuffer(v);
      if (r === null || typeof r !== 'object' || !bytes(r.value) || !bytes(r.key)) {
        throw new StreamlabError(`producing to '${this.topic}': raw record ${i} needs a value and key that are strings, Buffers or null`, 'nothing of this call was sent');
      }
      if (r.timestamp !== undefined && !Number.isFinite(r.timestamp)) {
        throw new StreamlabError(`producing to '${this.topic}': raw record ${i} has timestamp ${String(r.timestamp)}`, 'use epoch ms; nothing of this call was sent');
      }
      const problem = r.headers === undefined || r.headers === null ? undefined : headersProblem(r.headers);
      if (problem) throw new StreamlabError(`producing to '${this.topic}': raw record ${i}: headers ${problem}`, 'nothing of this call was sent');
      const retention = r.timestamp === undefined ? undefined : this.retentionProblem(r.timestamp);
      if (retention) throw new StreamlabError(`producing to '${this.topic}': raw record ${i}: ${retention}`, 'nothing of this call was sent');
      return {
        key: r.key ?? null,
        value: r.value,
        timestamp: r.timestamp !== undefined ? String(r.timestamp) : undefined,
        partition: r.partition,
        headers: this.headersOf(r.headers),
      };
    });
    await this.enqueue(messages);
  }

  private async enqueue(messages: Message[]): Promise<void> {
    for (const m of messages) {
      this.pending.push(m);
      if (this.pending.length >= this.batchSize) await this.sendPending();
    }
  }

  /**
   * Sends everything queued. With exactlyOnce it also commits: what was written since the last commit becomes
   * visible at once (the same as commit() with no positions).
   */
  async flush(): Promise<void> {
    if (this.exactlyOnce) return this.commit();
    await this.sendPending();
  }

  /**
   * exactlyOnce: sends what is queued in the open transaction, adds the consumer positions (`offsets`) to it and
   * commits, so that the records and the positions are written together or not at all. On a failure the transaction
   * is aborted, its records are queued again (a later commit resends them) and the call fails in one line.
   */
  async commit(offsets?: TransactionOffsets): Promise<void> {
    if (!this.exactlyOnce) throw new StreamlabError(`the sink of '${this.topic}' is not exactlyOnce, so it has no transactions to commit`, 'open it with exactlyOnce: true, or call flush()');
    if (this.pending.length === 0 && !this.transaction && !offsets) return;
    try {
      await this.sendPending();
      const transaction = await this.openTransaction();
      if (offsets) {
        await transaction.sendOffsets({
          consumerGroupId: offsets.groupId,
          topics: [{ topic: offsets.topic, partitions: offsets.partitions.map((p) => ({ partition: p.partition, offset: String(p.offset), metadata: p.metadata ?? null })) as { partition: number; offset: string }[] }],
        });
      }
      await transaction.commit();
    } catch (e) {
      await this.abortOpen();
      throw this.transactionError(e, 'committing');
    }
    this.transaction = undefined;
    this.count(this.inTransaction.length, this.inTransaction);
    this.inTransaction = [];
    this.transactions++;
  }

  /** exactlyOnce: aborts the open transaction and drops what is queued; nothing of it becomes visible. */
  async abort(): Promise<void> {
    if (!this.exactlyOnce) throw new StreamlabError(`the sink of '${this.topic}' is not exactlyOnce, so it has no transaction to abort`);
    await this.abortOpen();
    this.pending = [];
    this.inTransaction = [];
  }

  private async abortOpen(): Promise<void> {
    const transaction = this.transaction;
    this.transaction = undefined;
    if (!transaction) return;
    this.abortedTotal++;
    this.pending = this.inTransaction.concat(this.pending);
    this.inTransaction = [];
    // An abort that fails (a fenced producer, a lost coordinator) leaves the transaction to Kafka, which aborts it
    // when it times out or when the next producer with this id starts.
    if (transaction.isActive()) await transaction.abort().catch(() => undefined);
  }

  private async openTransaction(): Promise<Transaction> {
    if (!this.transaction) this.transaction = await this.requireProducer().transaction();
    return this.transaction;
  }

  /** A failed transaction as one line: fencing (another producer took the id over) says so. */
  private transactionError(e: unknown, what: string): StreamlabError {
    const types = [e, (e as { cause?: unknown }).cause].map((c) => (c as { type?: string } | undefined)?.type ?? '');
    const text = [e, (e as { cause?: unknown }).cause].map((c) => (c as { message?: string } | undefined)?.message ?? '').join(' ');
    if (types.some((t) => t === 'INVALID_PRODUCER_EPOCH' || t === 'PRODUCER_FENCED') || /fenced|epoch/i.test(text)) {
      return new StreamlabError(
        `${what} a transaction to '${this.topic}': another producer with transactionalId '${this.transactionalId}' has started, so this one is fenced and its transaction aborted`,
        'open a new sink (the newer producer owns the id now)',
        { cause: e },
      );
    }
    return kafkaError(e, { settings: this.settings!, action: `${what} a transaction to '${this.topic}'`, topic: this.topic });
  }

  /** Sends everything queued (exactlyOnce: inside the open transaction, not yet committed). */
  private async sendPending(): Promise<void> {
    if (this.pending.length === 0) return;
    const producer = this.requireProducer();
    const messages = this.pending;
    this.pending = [];
    for (const m of messages) {
      if (m.partition === undefined || m.partition === null) {
        m.partition = this.partitioner({ topic: this.topic, partitionMetadata: this.partitionMetadata, message: m });
      }
    }
    let sender: { send(r: { topic: string; messages: Message[]; acks: number; compression: CompressionTypes }): Promise<RecordMetadata[]> } = producer;
    if (this.exactlyOnce) {
      sender = await this.openTransaction();
      this.inTransaction.push(...messages);
    }
    let unacknowledged = messages;
    try {
      // kafkajs 2.2.4 answers a send as done when, on a retry, a failed partition's new leader is a broker that
      // already answered for other partitions of the same send: that partition's messages are never sent (seen on a
      // real cluster when a leader is paused past its session). So every partition must be in the answer, and
      // messages of one that is not are sent again.
      for (let attempt = 1; unacknowledged.length > 0; attempt++) {
        const answer = await sender.send({ topic: this.topic, messages: unacknowledged, acks: -1, compression: this.compression });
        const written = new Set(answer.filter((r) => r.errorCode === 0).map((r) => r.partition));
        unacknowledged = unacknowledged.filter((m) => !written.has(m.partition!));
        if (unacknowledged.length > 0 && attempt >= 5) {
          const partitions = [...new Set(unacknowledged.map((m) => m.partition))].join(', ');
          throw new StreamlabError(`producing to '${this.topic}': partition(s) ${partitions} did not acknowledge ${unacknowledged.length} record(s) after ${attempt} sends`, 'flush again once the cluster has settled');
        }
      }
    } catch (e) {
      if (this.exactlyOnce) {
        // The whole transaction goes: abortOpen() queues its records again, in order.
        await this.abortOpen();
        throw this.transactionError(e, 'sending');
      }
      // Put back what was not acknowledged so a later flush can retry it: nothing is dropped silently.
      this.pending = unacknowledged.concat(this.pending);
      this.count(messages.length - unacknowledged.length, messages.filter((m) => !unacknowledged.includes(m)));
      throw kafkaError(e, { settings: this.settings!, action: `producing to '${this.topic}'`, topic: this.topic });
    }
    // Records of a transaction count once it commits.
    if (!this.exactlyOnce) this.count(messages.length, messages);
  }

  private count(records: number, messages: Message[]): void {
    if (records === 0) return;
    this.batches++;
    this.records += records;
    for (const m of messages) this.bytes += m.value ? m.value.length : 0;
  }

  metrics(): SinkMetrics {
    return {
      topic: this.topic,
      records: this.records,
      bytes: this.bytes,
      batches: this.batches,
      idempotent: this.idempotentValue,
      rejected: this.rejectedTotal,
      exactlyOnce: this.exactlyOnce,
      transactions: this.transactions,
      aborted: this.abortedTotal,
    };
  }

  /** Flushes (exactlyOnce: commits what is queued) and disconnects. */
  async close(): Promise<void> {
    try {
      if (this.producer) await this.flush();
    } finally {
      const producer = this.producer;
      this.producer = undefined;
      await producer?.disconnect().catch(() => undefined);
    }
  }

  /** The row as a message, or what is wrong with it (one phrase, for "row N: ..."). */
  private toMessage(record: unknown): Message | string {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      return `is ${record === null ? 'null' : Array.isArray(record) ? 'an array' : `a ${typeof record}`}, not an object (a row is an object of fields)`;
    }
    let row = record as Record<string, unknown>;
    const { keyField, timeField, headersField } = this.options;
    let own: RecordHeaders | undefined;
    if (headersField !== undefined && Object.prototype.hasOwnProperty.call(row, headersField)) {
      const h = row[headersField];
      if (h !== null && h !== undefined) {
        const problem = headersProblem(h);
        if (problem) return `headers field '${headersField}' ${problem}`;
        own = h as RecordHeaders;
      }
      row = { ...row };
      delete row[headersField];
    }
    // A schema'd value is checked by its codec (Buffers and Dates are values there); JSON by the encoding rule.
    const problem = this.valueEncoder ? undefined : jsonProblem(row, '', []);
    if (problem) return problem;
    let key: string | Buffer | null = null;
    if (keyField !== undefined) {
      const k = ownField(row, keyField);
      if (k === undefined || k === null) return `has no key field '${keyField}': add it to every row or drop keyField`;
      if (typeof k === 'string' || Buffer.isBuffer(k)) key = k;
      else if ((typeof k === 'number' && Number.isFinite(k)) || typeof k === 'boolean' || typeof k === 'bigint') key = String(k);
      else return `key field '${keyField}' is ${describe(k)}: key by a string or number field (or JSON.stringify it into one)`;
    }
    let timestamp: string | undefined;
    if (timeField !== undefined) {
      const t = ownField(row, timeField);
      if (t === undefined || t === null) return `has no time field '${timeField}': add it to every row or drop timeField`;
      let ms: number;
      try {
        ms = toEpochMs(t as number | string | Date, `time field '${timeField}'`);
      } catch (e) {
        return (e as Error).message;
      }
      const retention = this.retentionProblem(ms);
      if (retention) return retention;
      timestamp = String(ms);
    }
    let value: string | Buffer;
    try {
      value = this.valueEncoder ? this.valueEncoder(row) : JSON.stringify(row);
    } catch (e) {
      return (e as Error).message;
    }
    return { key, value, timestamp, headers: this.headersOf(own) };
  }

  /** The sink's headers and a record's own, as kafkajs takes them (undefined: none). */
  private headersOf(own: RecordHeaders | undefined | null): Message['headers'] {
    const all = own ? { ...this.options.headers, ...own } : this.options.headers;
    return all && Object.keys(all).length > 0 ? toKafkaHeaders(all) : undefined;
  }

  /**
   * A real Kafka deletes records whose timestamp is older than the topic's retention at its next retention check,
   * minutes after they were written: such a record is refused (like any row the sink cannot write as it is) rather
   * than lost without a word. Returns what is wrong, or undefined.
   */
  private retentionProblem(timestamp: number): string | undefined {
    if (this.retentionMs === undefined || timestamp >= Date.now() - this.retentionMs) return undefined;
    return (
      `timestamp ${new Date(timestamp).toISOString()} is older than the topic's retention (${describeSpan(this.retentionMs)}), so Kafka would delete it within minutes: ` +
      'create the topic with retention.ms=-1 (createTopic: { retentionMs: -1 }; `streamlab produce csv` does) or write current timestamps'
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

function* rowsOf(input: object | object[] | FrameLike): Iterable<unknown> {
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
      // NaN, undefined and null are Danfo's missing value: null in JSON, as pandas' to_json writes it.
      for (let i = 0; i < columns.length; i++) {
        const cell = cells[i];
        row[columns[i]!] = cell === undefined || (typeof cell === 'number' && Number.isNaN(cell)) ? null : cell;
      }
      yield row;
    }
    return;
  }
  yield input;
}

const LOSSY: [new (...args: never[]) => object, string][] = [
  [Map, 'a Map, which JSON writes as {}: convert it with Object.fromEntries(map)'],
  [Set, 'a Set, which JSON writes as {}: convert it with [...set]'],
  [WeakMap, 'a WeakMap, which JSON cannot hold'],
  [WeakSet, 'a WeakSet, which JSON cannot hold'],
  [RegExp, 'a RegExp, which JSON writes as {}: convert it with String()'],
  [Error, 'an Error, which JSON writes as {}: write its message instead'],
  [Promise, 'a Promise: await it first'],
];

/**
 * What JSON.stringify would change or fail on in `value` (see the encoding rule at the top), as "field 'a.b[2]' is
 * NaN, ...", or undefined when it would write it exactly. `ancestors` finds circular references.
 */
function jsonProblem(value: unknown, path: string, ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${field(path)} is ${value}, which JSON cannot hold: use null for a missing value`;
    case 'undefined':
      return `${field(path)} is undefined, which JSON would drop: use null for a missing value, or leave the field out`;
    case 'bigint':
      return `${field(path)} is a BigInt, which JSON cannot hold: convert it with Number() or String()`;
    case 'function':
    case 'symbol':
      return `${field(path)} is a ${typeof value}, which JSON cannot hold`;
  }
  if (value === null) return undefined;
  const object = value as object;
  if (object instanceof Date) return Number.isFinite(object.getTime()) ? undefined : `${field(path)} is an invalid Date`;
  if (typeof (object as { toJSON?: unknown }).toJSON === 'function') return Buffer.isBuffer(object) ? `${field(path)} is a Buffer, which JSON writes as a list of bytes: convert it (e.g. .toString('base64'))` : undefined;
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) return `${field(path)} is binary (${object.constructor.name}), which JSON writes as an index map: convert it (e.g. Array.from)`;
  for (const [type, what] of LOSSY) if (object instanceof type) return `${field(path)} is ${what}`;
  if (ancestors.includes(object)) return `${field(path)} is a circular reference (it contains itself)`;
  ancestors.push(object);
  try {
    if (Array.isArray(object)) {
      for (let i = 0; i < object.length; i++) {
        // Holes and undefined in arrays become null in JSON.
        const problem = jsonProblem(object[i], `${path}[${i}]`, ancestors);
        if (problem) return problem;
      }
      return undefined;
    }
    for (const k in object) {
      if (!Object.prototype.hasOwnProperty.call(object, k)) continue;
      const problem = jsonProblem((object as Record<string, unknown>)[k], path ? `${path}.${k}` : k, ancestors);
      if (problem) return problem;
    }
    return undefined;
  } finally {
    ancestors.pop();
  }
}

function field(path: string): string {
  return path ? `field '${path}'` : 'the row';
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return String(v);
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
