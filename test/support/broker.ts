/**
 * Test support: the broker a test file talks to, and helpers that produce known records to it.
 *
 * The broker matrix: a broker test file runs as it is against the embedded broker (librdkafka's mock), and again,
 * the same code, against a real single-node Apache Kafka when test/kafka/<name>.test.ts runs it through
 * onRealKafka(). Both brokers are started per test file and have the same face (TestBroker): topics, taking the
 * broker down and up, and the state file the CLI and kernels find them by.
 */
import { describe } from 'node:test';
import { EmbeddedBroker, KafkaCluster, kafkaVersion } from '../../src/broker';
import { removeBrokerState, writeBrokerState } from '../../src/config';
import { TopicAdmin, TopicSink, RawRecord, ConnectionOptions, ConnectionSettings } from '../../src/kafka';

export type BrokerKind = 'mock' | 'kafka';

export interface TestBroker {
  kind: BrokerKind;
  /** What clients that find it by the state file call it (ConnectionSettings.origin). */
  origin: ConnectionSettings['origin'];
  bootstrapServers: string;
  brokers: string[];
  connection: ConnectionOptions;
  /** Creates a topic; returns its partitions. */
  createTopic(name: string, partitions?: number): Promise<number>;
  /** The broker goes away (mock: set down; Kafka: kill -9) and comes back with its data. */
  setBrokerDown(id?: number): Promise<void>;
  setBrokerUp(id?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The broker this process's broker tests talk to: the mock unless onRealKafka() chose Kafka. */
export function brokerKind(): BrokerKind {
  return process.env.STREAMLAB_TEST_BROKER === 'kafka' ? 'kafka' : 'mock';
}

/**
 * Runs a broker test file (required inside `load`) against a real single-node Kafka, as a suite named for it. The
 * file's own before/after hooks and tests land in that suite.
 */
export function onRealKafka(load: () => void): void {
  process.env.STREAMLAB_TEST_BROKER = 'kafka';
  describe(`on Apache Kafka ${kafkaVersion()} (one KRaft node)`, () => {
    load();
  });
}

/**
 * A suite that does not talk to the test broker: it runs in the mock pass of its file only, so the Kafka pass
 * does not repeat it.
 */
export function describeWithoutBroker(name: string, fn: () => void): void {
  if (brokerKind() === 'mock') describe(name, fn);
}

export async function startBroker(options: { writeState?: boolean } = {}): Promise<{ broker: TestBroker; connection: ConnectionOptions }> {
  const broker = brokerKind() === 'kafka' ? await startKafka(options) : await startMock(options);
  return { broker, connection: broker.connection };
}

async function startMock(options: { writeState?: boolean }): Promise<TestBroker> {
  const mock = await EmbeddedBroker.start({ writeState: options.writeState });
  return {
    kind: 'mock',
    origin: 'embedded broker',
    bootstrapServers: mock.bootstrapServers,
    brokers: mock.brokers,
    connection: mock.connection,
    createTopic: (name, partitions) => mock.createTopic(name, partitions),
    setBrokerDown: (id) => mock.setBrokerDown(id),
    setBrokerUp: (id) => mock.setBrokerUp(id),
    stop: () => mock.stop(),
  };
}

async function startKafka(options: { writeState?: boolean }): Promise<TestBroker> {
  const cluster = await KafkaCluster.start({ brokers: 1, heapMb: 512 });
  if (options.writeState) {
    writeBrokerState({
      kind: 'kafka',
      kafkaVersion: cluster.version,
      bootstrapServers: cluster.bootstrapServers,
      controlUrl: '',
      pid: process.pid,
      startedAt: new Date().toISOString(),
    });
  }
  const connection: ConnectionOptions = { brokers: cluster.bootstrapServers };
  return {
    kind: 'kafka',
    origin: 'local Kafka',
    bootstrapServers: cluster.bootstrapServers,
    brokers: cluster.brokers,
    connection,
    async createTopic(name, partitions) {
      const admin = await TopicAdmin.connect(connection);
      try {
        await admin.createTopic(name, partitions);
        return (await admin.summary(name)).partitions;
      } finally {
        await admin.disconnect();
      }
    },
    setBrokerDown: (id = 1) => cluster.kill(id),
    async setBrokerUp(id = 1) {
      await cluster.startNode(id);
      await cluster.waitForBrokers(1);
    },
    async stop() {
      if (options.writeState) removeBrokerState();
      await cluster.stop({ fast: true });
    },
  };
}

let topicCounter = 0;
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${process.pid}-${++topicCounter}`;
}

export async function produceRaw(connection: ConnectionOptions, topic: string, records: RawRecord[]): Promise<void> {
  const sink = await TopicSink.open({ topic, connection, batchSize: 1000 });
  try {
    await sink.writeRaw(records);
  } finally {
    await sink.close();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
