/**
 * Topic metadata and creation. Creation goes through the embedded broker's control API when that is the
 * cluster (its mock does not implement CreateTopics), and through Kafka's CreateTopics otherwise.
 */
import { Admin, AssignerProtocol, Kafka } from 'kafkajs';
import { checkTopicName } from './topicNames';
import { StreamlabError, didYouMean } from '../errors';
import { BrokerControl } from '../config';
import { ConnectionOptions, ConnectionSettings, resolveConnection } from './connection';
import { createKafka } from './kafkaClient';
import { kafkaError } from './kafkaErrors';

export interface PartitionOffsets {
  partition: number;
  /** First offset still held by the broker. */
  low: number;
  /** Offset the next record will get. */
  high: number;
}

export interface TopicSummary {
  topic: string;
  partitions: number;
  messages: number;
  offsets: PartitionOffsets[];
}

/** Errors of a partition whose leader is being elected or moved (a new topic, a broker that failed over). */
const LEADER_MOVING = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_OR_FOLLOWER']);

/**
 * Retries a metadata call while a partition's leadership is moving, which on a real cluster takes moments; a topic
 * just created may also be unknown to the broker that answers for a moment (`newTopic`).
 */
async function whileLeadersMove<T>(call: () => Promise<T>, forMs = 5_000, newTopic = false): Promise<T> {
  const deadline = Date.now() + forMs;
  for (;;) {
    try {
      return await call();
    } catch (e) {
      const type = (e as { type?: string }).type ?? '';
      const moving = LEADER_MOVING.has(type) || (newTopic && type === 'UNKNOWN_TOPIC_OR_PARTITION');
      if (!moving || Date.now() > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A consumer group seen from outside (a worker group watched from a notebook): its members and its lag. */
export interface GroupStatus {
  groupId: string;
  topic: string;
  /** Kafka's group state: Stable, PreparingRebalance, CompletingRebalance, Empty, Dead. */
  state: string;
  members: { memberId: string; clientId: string; host: string; partitions: number[] }[];
  /**
   * Per partition: the committed position, the end offset and the records between them. For a window pipeline the
   * committed position is the first record its open windows still need, so lag includes that span.
   */
  partitions: { partition: number; committed: number | null; end: number; lag: number }[];
  lag: number;
}

export class TopicAdmin {
  private admin: Admin | undefined;
  private readonly kafka: Kafka;

  constructor(readonly settings: ConnectionSettings) {
    // Few retries: admin calls back user actions, and a wrong address should fail in seconds, not minutes.
    this.kafka = createKafka(settings, 2);
  }

  static async connect(options: ConnectionOptions | ConnectionSettings = {}): Promise<TopicAdmin> {
    const settings = 'origin' in options ? (options as ConnectionSettings) : resolveConnection(options as ConnectionOptions);
    const admin = new TopicAdmin(settings);
    await admin.client('connecting');
    return admin;
  }

  async listTopics(action = 'listing topics'): Promise<string[]> {
    const admin = await this.client(action);
    try {
      return (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
    } catch (e) {
      throw kafkaError(e, { settings: this.settings, action });
    }
  }

  /**
   * Throws one line naming the nearest existing topic when `topic` does not exist. A writer passes how it would
   * create one (`create`: the option in library and in magic syntax), so the hint says what to add, not "create it".
   */
  async requireTopic(topic: string, action: string, create?: { hint: string; magicHint: string }): Promise<void> {
    const topics = await this.listTopics(action);
    if (topics.includes(topic)) return;
    const guess = didYouMean(topic, topics);
    const here = `topics here: ${topics.slice(0, 8).join(', ') || 'none'}`;
    const message = `${action}: unknown topic '${topic}' at ${this.settings.brokers.join(',')}`;
    if (guess) throw new StreamlabError(message, `did you mean '${guess}'?${create ? ` To create '${topic}', ${create.hint}` : ''}`, create ? { magicHint: `did you mean '${guess}'? To create '${topic}', ${create.magicHint}` } : undefined);
    if (create) throw new StreamlabError(message, `${create.hint} to create it (${here})`, { magicHint: `${create.magicHint} to create it (${here})` });
    throw new StreamlabError(message, `create it first (${here})`);
  }

  async offsets(topic: string): Promise<PartitionOffsets[]> {
    const admin = await this.client(`reading offsets of '${topic}'`);
    try {
      const rows = await whileLeadersMove(() => admin.fetchTopicOffsets(topic));
      return rows
        .map((r) => ({ partition: r.partition, low: Number(r.low), high: Number(r.high) }))
        .sort((a, b) => a.partition - b.partition);
    } catch (e) {
      throw kafkaError(e, { settings: this.settings, action: `reading offsets of '${topic}'`, topic });
    }
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<Map<number, number>> {
    const admin = await this.client(`looking up offsets of '${topic}' by time`);
    try {
      const rows = await whileLeadersMove(() => admin.fetchTopicOffsetsByTimestamp(topic, timestamp));
      return new Map(rows.map((r) => [r.partition, Number(r.offset)]));
    } catch (e) {
      throw kafkaError(e, { settings: this.settings, action: `looking up offsets of '${topic}' by time`, topic });
    }
  }

  /** Committed offsets of a group (partitions without a commit are left out). */
  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const admin = await this.client(`reading offsets of group '${groupId}'`);
    try {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const out = new Map<number, number>();
      for (const p of entry?.partitions ?? []) if (Number(p.offset) >= 0) out.set(p.partition, Number(p.offset));
      return out;
    } catch (e) {
      throw kafkaError(e, { settings: this.settings, action: `reading offsets of group '${groupId}'`, topic });
    }
  }

  /** Committed offsets of a group with the metadata committed with each (partitions without a commit left out). */
  async committedWithMetadata(groupId: string, topic: string): Promise<Map<number, { offset: number; metadata: string | null }>> {
    const admin = await this.client(`reading offsets of group '${groupId}'`);
    try {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const out = new Map<number, { offset: number; metadata: string | null }>();
      for (const p of entry?.partitions ?? []) if (Number(p.offset) >= 0) out.set(p.partition, { offset: Number(p.offset), metadata: p.metadata ?? null });
      return out;
    } catch (e) {
      throw kafkaError(e, { settings: this.settings, action: `reading offsets of group '${groupId}'`, topic });
    }
  }

  async groupStatus(groupId: string, topic: string): Promise<GroupStatus> {
    const action = `describing group '${groupId}'`;
    const admin = await this.client(action);
    try {
      const [{ groups }, committed, offsets] = await Promise.all([admin.describeGroups([groupId]), this.committedOffsets(groupId, topic), this.offsets(topic)]);
      const group = groups[0];
      const members = (group?.members ?? []).map((m) => {
        // A member that has not finished joining has no assignment yet.
        const assignment = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
        return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost, partitions: [...(assignment?.assignment[topic] ?? [])].sort((a, b) => a - b) };
      });
      const partitions = offsets.map((o) => {
        const position = committed.get(o.partition);
        return { partition: o.partition, committed: position ?? null, end: o.high, lag: o.high - (position ?? o.low) };
      });
      return { groupId, topic, state: group?.state ?? 'Unknown', members, partitions, lag: partitions.reduce((n, p) => n + p.lag, 0) };
    } catch (e) {
      throw kafkaError(e, { settings: this.settings, action, topic });
    }
  }

  async summary(topic: string): Promise<TopicSummary> {
    const offsets = await this.offsets(topic);
    return { topic, partitions: offsets.length, messages: offsets.reduce((n, p) => n + p.high - p.low, 0), offsets };
  }

  /**
   * Creates the topic unless it exists. Returns true when it was created. `retentionMs` (-1: keep forever) sets the
   * topic's time retention on a real Kafka; the embedded broker keeps about 5 MB per partition whatever it is.
   */
  /**
   * Creates a topic when missing (false when it was there). `compact`: cleanup.policy=compact, the latest record of
   * each key kept, as a table's changelog wants (the embedded broker keeps everything: its mock has no cleanup).
   */
  async createTopic(topic: string, partitions?: number, retentionMs?: number, options: { compact?: boolean } = {}): Promise<boolean> {
    checkTopicName(topic);
    if ((await this.listTopics()).includes(topic)) return false;
    if (this.settings.embeddedControlUrl) {
      await new BrokerControl(this.settings.embeddedControlUrl).createTopic(topic, partitions);
      return true;
    }
    if (await this.isMockCluster()) {
      throw new StreamlabError(
        `creating topic '${topic}': this is librdkafka's mock cluster, which has no CreateTopics`,
        'create it through the embedded broker (`streamlab topics create`), or let the first write auto-create it with 4 partitions',
      );
    }
    const admin = await this.client(`creating topic '${topic}'`);
    try {
      const entries = [
        ...(retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(retentionMs) }]),
        ...(options.compact ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
      ];
      const configEntries = entries.length > 0 ? entries : undefined;
      const created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions ?? -1, configEntries }], waitForLeaders: true });
      // Metadata names the leaders before they serve: a topic is ready once every partition answers ListOffsets.
      await whileLeadersMove(() => admin.fetchTopicOffsets(topic), 15_000, true);
      return created;
    } catch (e) {
      throw kafkaError(e, { settings: this.settings, action: `creating topic '${topic}'`, topic });
    }
  }

  /** Whether the cluster is librdkafka's mock (our embedded broker or another one), which lacks some APIs. */
  async isMockCluster(): Promise<boolean> {
    const admin = await this.client('describing the cluster');
    try {
      const cluster = await admin.describeCluster();
      return cluster.clusterId.startsWith('mockCluster');
    } catch (e) {
      throw kafkaError(e, { settings: this.settings, action: 'describing the cluster' });
    }
  }

  /** Whether the cluster can serve idempotent producers (it names a controller that is one of its brokers). */
  async supportsIdempotence(): Promise<boolean> {
    const admin = await this.client('describing the cluster');
    try {
      const cluster = await admin.describeCluster();
      return cluster.brokers.some((b) => b.nodeId === cluster.controller);
    } catch (e) {
      throw kafkaError(e, { settings: this.settings, action: 'describing the cluster' });
    }
  }

  /**
   * The topic's time retention in ms (-1: forever), or undefined where the broker cannot say (the embedded broker,
   * which has no DescribeConfigs and keeps about 5 MB per partition instead).
   */
  async retentionMs(topic: string): Promise<number | undefined> {
    try {
      const admin = await this.client(`describing topic '${topic}'`);
      const { resources } = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false });
      const value = resources[0]?.configEntries.find((c) => c.configName === 'retention.ms')?.configValue;
      return value === undefined ? undefined : Number(value);
    } catch {
      return undefined;
    }
  }

  /** Best effort: brokers that lack DeleteGroups (the mock) keep the empty group until it expires. */
  async deleteGroup(groupId: string): Promise<boolean> {
    try {
      const admin = await this.client('deleting a group');
      await admin.deleteGroups([groupId]);
      return true;
    } catch {
      return false;
    }
  }

  /** Members of a group, or undefined when the broker cannot describe groups. */
  async groupMembers(groupId: string): Promise<number | undefined> {
    try {
      const admin = await this.client('describing a group');
      const { groups } = await admin.describeGroups([groupId]);
      return groups[0]?.members.length ?? 0;
    } catch {
      return undefined;
    }
  }

  async disconnect(): Promise<void> {
    this.generation++;
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  /** Counts disconnect() calls, so a connect that finishes after one knows to undo itself. */
  private generation = 0;

  private async client(action: string): Promise<Admin> {
    if (this.admin) return this.admin;
    const generation = this.generation;
    const admin = this.kafka.admin({ retry: { retries: 2 } });
    try {
      await admin.connect();
    } catch (e) {
      throw kafkaError(e, { settings: this.settings, action });
    }
    if (generation !== this.generation || this.admin) {
      // disconnect() ran while this connected (a stop during a start), or another call connected first: either way
      // this connection is not to be kept, or it would hold the process open.
      await admin.disconnect().catch(() => undefined);
      if (this.admin) return this.admin;
      throw new StreamlabError(`${action}: cancelled, the connection was closed meanwhile`);
    }
    this.admin = admin;
    return admin;
  }
}
