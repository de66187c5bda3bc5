/**
 * `streamlab broker`: hosts the embedded broker in this process until Ctrl-C, or, with --kafka, runs a real Apache
 * Kafka (KRaft, from Maven Central jars) on this machine. Either way it records itself in the state file, so
 * kernels and the CLI find it with no configuration, and removes the record when it stops.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse, intOption } from './args';
import { startBrokerHost, TopicSpec, KafkaCluster, KafkaSaslMechanism, makeBrokerCertificates, fetchKafka, findJava, kafkaVersion } from '../src';
import { brokerStatePath, checkNoOtherBroker, claimBrokerState, removeBrokerState, writeBrokerState, stateDir, BrokerState, TopicAdmin, resolveConnection, ConnectionOptions, StreamlabError } from '../src';

const USAGE =
  'streamlab broker [--brokers 1] [--partitions 4] [--topic NAME[:PARTITIONS]]... [--kafka [--sasl plain|scram-sha-256|scram-sha-512 [--sasl-username U]] [--tls] | --kafka --fetch]';
const SASL_CHOICES: KafkaSaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

export async function brokerCommand(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      brokers: { type: 'string' },
      partitions: { type: 'string' },
      topic: { type: 'string', multiple: true },
      kafka: { type: 'boolean' },
      sasl: { type: 'string' },
      'sasl-username': { type: 'string' },
      tls: { type: 'boolean' },
      fetch: { type: 'boolean' },
    },
    USAGE,
  );
  const topics: TopicSpec[] = (values.topic ?? []).map((spec) => {
    const [name, parts] = spec.split(':');
    if (!name) throw new StreamlabError(`bad --topic '${spec}'`, `usage: ${USAGE}`);
    return { name, partitions: parts === undefined ? undefined : intOption(parts, 'topic partitions', 4) };
  });
  const brokers = intOption(values.brokers, 'brokers', 1);
  const partitions = intOption(values.partitions, 'partitions', 4);
  if (!values.kafka) {
    for (const option of ['sasl', 'sasl-username', 'tls', 'fetch'] as const) {
      if (values[option] !== undefined) throw new StreamlabError(`--${option} needs --kafka (the embedded broker has no SASL, TLS or jars to fetch)`, `usage: ${USAGE}`);
    }
    return embeddedBroker(brokers, partitions, topics);
  }
  if (values.fetch) return fetchOnly();
  let sasl: KafkaSaslMechanism | undefined;
  if (values.sasl !== undefined) {
    sasl = values.sasl.toLowerCase() as KafkaSaslMechanism;
    if (!SASL_CHOICES.includes(sasl)) throw new StreamlabError(`unknown --sasl '${values.sasl}'`, `use one of ${SASL_CHOICES.join(', ')}`);
  } else if (values['sasl-username'] !== undefined) {
    throw new StreamlabError('--sasl-username needs --sasl', `usage: ${USAGE}`);
  }
  return realKafka({ brokers, partitions, topics, sasl, username: values['sasl-username'] ?? 'streamlab', tls: values.tls === true });
}

async function embeddedBroker(brokers: number, partitions: number, topics: TopicSpec[]): Promise<void> {
  // Refused before anything starts when another broker is recorded; claimed atomically once this one is up.
  checkNoOtherBroker();
  const host = await startBrokerHost({ brokers, defaultPartitions: partitions, topics });
  const status = host.status();
  try {
    claimBrokerState({ bootstrapServers: status.bootstrapServers, controlUrl: status.controlUrl, pid: process.pid, startedAt: new Date().toISOString() });
  } catch (e) {
    await host.close();
    throw e;
  }
  process.stdout.write(
    [
      `streamlab embedded broker (librdkafka mock cluster, ${status.brokers} broker(s), in memory)`,
      `  bootstrap servers: ${status.bootstrapServers}`,
      `  recorded in ${brokerStatePath()}: kernels and the CLI on this machine use it with no configuration`,
      `  topics: ${Object.entries(status.createdTopics).map(([t, p]) => `${t} (${p})`).join(', ') || 'none yet (new topics get 4 partitions)'}`,
      '  limits: about 5 MB kept per partition (older records are dropped); no CreateTopics request',
      '  Ctrl-C stops it (`streamlab broker --kafka` runs a real Apache Kafka instead)',
      '',
    ].join('\n'),
  );
  await untilSignal();
  removeBrokerState();
  await host.close();
  process.stdout.write('embedded broker stopped\n');
}

async function fetchOnly(): Promise<void> {
  const started = Date.now();
  const libs = await fetchKafka({ progress: (line) => process.stderr.write(`${line}\n`) });
  const jars = fs.readdirSync(libs).filter((f) => f.endsWith('.jar')).length;
  process.stdout.write(`Apache Kafka ${kafkaVersion()}: ${jars} jars in ${libs} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

interface RealKafkaOptions {
  brokers: number;
  partitions: number;
  topics: TopicSpec[];
  sasl?: KafkaSaslMechanism;
  username: string;
  tls: boolean;
}

async function realKafka(o: RealKafkaOptions): Promise<void> {
  findJava(); // before anything is written: no Java is one line
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-kafka-'));
  let cluster: KafkaCluster | undefined;
  let recorded = false;
  const passwordFile = path.join(stateDir(), `kafka-${process.pid}.password`);
  try {
    const certs = o.tls ? makeBrokerCertificates(path.join(dir, 'tls')) : undefined;
    // The password: STREAMLAB_SASL_PASSWORD when set, else a new random one. It is only ever written to a file
    // only this user can read, which clients on this machine read through the state file.
    const password = o.sasl ? process.env.STREAMLAB_SASL_PASSWORD || randomBytes(18).toString('base64url') : undefined;
    cluster = await KafkaCluster.start({
      brokers: o.brokers,
      defaultPartitions: o.partitions,
      dataDir: path.join(dir, 'nodes'),
      tls: certs,
      sasl: o.sasl && password ? { mechanisms: [o.sasl], users: [{ username: o.username, password }] } : undefined,
      progress: (line) => process.stdout.write(`${line}\n`),
    });
    if (password) {
      fs.mkdirSync(stateDir(), { recursive: true });
      fs.writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
    }
    const state: BrokerState = {
      kind: 'kafka',
      kafkaVersion: cluster.version,
      bootstrapServers: cluster.bootstrapServers,
      controlUrl: '',
      pid: process.pid,
      startedAt: new Date().toISOString(),
      caFile: certs?.caFile,
      sasl: o.sasl ? { mechanism: o.sasl, username: o.username, passwordFile } : undefined,
    };
    const connection: ConnectionOptions = {
      brokers: cluster.bootstrapServers,
      ssl: certs ? { caFile: certs.caFile } : undefined,
      sasl: o.sasl && password ? { mechanism: o.sasl, username: o.username, password } : undefined,
    };
    const created = await createTopics(connection, o.topics);
    writeBrokerState(state);
    recorded = true;
    const replication = Math.min(3, o.brokers);
    process.stdout.write(
      [
        `streamlab broker: Apache Kafka ${cluster.version} (KRaft, ${o.brokers} broker(s), replication factor ${replication}, min.insync.replicas ${o.brokers >= 3 ? 2 : 1})`,
        `  bootstrap servers: ${cluster.bootstrapServers}`,
        `  security: ${cluster.securityProtocol}${o.sasl ? `, ${o.sasl} as ${o.username} (password in ${passwordFile}, readable by you only)` : ''}${certs ? `; CA certificate ${certs.caFile}` : ''}`,
        `  recorded in ${brokerStatePath()}: kernels and the CLI on this machine use it with no configuration`,
        `  topics: ${created.map(([t, p]) => `${t} (${p})`).join(', ') || `none yet (new topics get ${o.partitions} partitions)`}`,
        `  data and logs: ${dir} (removed when it stops)`,
        '  Ctrl-C stops it',
        '',
      ].join('\n'),
    );
    await untilSignal();
    process.stdout.write('stopping Apache Kafka\n');
  } finally {
    if (recorded) removeBrokerState();
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(passwordFile, { force: true });
  }
  process.stdout.write('Apache Kafka stopped\n');
}

async function createTopics(connection: ConnectionOptions, topics: TopicSpec[]): Promise<[string, number][]> {
  if (topics.length === 0) return [];
  const admin = await TopicAdmin.connect(resolveConnection(connection, {}));
  try {
    const out: [string, number][] = [];
    for (const t of topics) {
      await admin.createTopic(t.name, t.partitions);
      out.push([t.name, (await admin.summary(t.name)).partitions]);
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
