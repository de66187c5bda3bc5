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
import { SchemaRegistryProcess, fetchSchemaRegistry, findJava21, schemaRegistryVersion } from '../src';
import { brokerStatePath, checkNoOtherBroker, claimBrokerState, removeBrokerState, writeBrokerState, stateDir, BrokerState, TopicAdmin, resolveConnection, ConnectionOptions, StreamlabError } from '../src';

const USAGE =
  'streamlab broker [--brokers 1] [--partitions 4] [--topic NAME[:PARTITIONS]]... [--registry] [--kafka [--sasl plain|scram-sha-256|scram-sha-512 [--sasl-username U]] [--tls] | --kafka --fetch]';
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
      registry: { type: 'boolean' },
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
    return embeddedBroker(brokers, partitions, topics, values.registry === true);
  }
  if (values.fetch) return fetchOnly();
  let sasl: KafkaSaslMechanism | undefined;
  if (values.sasl !== undefined) {
    sasl = values.sasl.toLowerCase() as KafkaSaslMechanism;
    if (!SASL_CHOICES.includes(sasl)) throw new StreamlabError(`unknown --sasl '${values.sasl}'`, `use one of ${SASL_CHOICES.join(', ')}`);
  } else if (values['sasl-username'] !== undefined) {
    throw new StreamlabError('--sasl-username needs --sasl', `usage: ${USAGE}`);
  }
  return realKafka({ brokers, partitions, topics, sasl, username: values['sasl-username'] ?? 'streamlab', tls: values.tls === true, registry: values.registry === true });
}

async function embeddedBroker(brokers: number, partitions: number, topics: TopicSpec[], withRegistry: boolean): Promise<void> {
  // Refused before anything starts when another broker is recorded; claimed atomically once this one is up.
  checkNoOtherBroker();
  if (withRegistry) findJava21(); // no Java 21 is one line, before anything starts
  const registry = withRegistry ? await startRegistry() : undefined;
  let host;
  try {
    host = await startBrokerHost({ brokers, defaultPartitions: partitions, topics });
  } catch (e) {
    await registry?.stop();
    throw e;
  }
  const status = host.status();
  try {
    claimBrokerState({ bootstrapServers: status.bootstrapServers, controlUrl: status.controlUrl, pid: process.pid, startedAt: new Date().toISOString(), schemaRegistryUrl: registry?.confluentUrl });
  } catch (e) {
    await host.close();
    await registry?.stop();
    throw e;
  }
  process.stdout.write(
    [
      `streamlab embedded broker (librdkafka mock cluster, ${status.brokers} broker(s), in memory)`,
      `  bootstrap servers: ${status.bootstrapServers}`,
      `  recorded in ${brokerStatePath()}: kernels and the CLI on this machine use it with no configuration`,
      `  topics: ${Object.entries(status.createdTopics).map(([t, p]) => `${t} (${p})`).join(', ') || 'none yet (new topics get 4 partitions)'}`,
      ...(registry ? [registryLine(registry)] : []),
      '  limits: about 5 MB kept per partition (older records are dropped); no CreateTopics request',
      '  Ctrl-C stops it (`streamlab broker --kafka` runs a real Apache Kafka instead)',
      '',
    ].join('\n'),
  );
  await untilSignal();
  removeBrokerState();
  await host.close();
  await registry?.stop();
  process.stdout.write(`embedded broker${registry ? ' and Schema Registry' : ''} stopped\n`);
}

function startRegistry(dataDir?: string): Promise<SchemaRegistryProcess> {
  return SchemaRegistryProcess.start({ dataDir, progress: (line) => process.stdout.write(`${line}\n`) });
}

function registryLine(registry: SchemaRegistryProcess): string {
  return `  schema registry: ${registry.confluentUrl} (Apicurio Registry ${registry.version}, Confluent's API; in memory, recorded beside the broker)`;
}

async function fetchOnly(): Promise<void> {
  let started = Date.now();
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const libs = await fetchKafka({ progress });
  const jars = fs.readdirSync(libs).filter((f) => f.endsWith('.jar')).length;
  process.stdout.write(`Apache Kafka ${kafkaVersion()}: ${jars} jars in ${libs} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  // The Schema Registry of `--registry` (it runs on Java 21+, which fetching does not need).
  started = Date.now();
  const home = await fetchSchemaRegistry({ progress });
  process.stdout.write(`Apicurio Registry ${schemaRegistryVersion()} (Schema Registry): ${home} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

interface RealKafkaOptions {
  brokers: number;
  partitions: number;
  topics: TopicSpec[];
  sasl?: KafkaSaslMechanism;
  username: string;
  tls: boolean;
  registry: boolean;
}

async function realKafka(o: RealKafkaOptions): Promise<void> {
  findJava(); // before anything is written: no Java is one line
  if (o.registry) findJava21();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-kafka-'));
  let cluster: KafkaCluster | undefined;
  let registry: SchemaRegistryProcess | undefined;
  let recorded = false;
  const passwordFile = path.join(stateDir(), `kafka-${process.pid}.password`);
  try {
    const certs = o.tls ? makeBrokerCertificates(path.join(dir, 'tls')) : undefined;
    // The password: STREAMLAB_SASL_PASSWORD when set, else a new random one. It is only ever written to a file
    // only this user can read, which clients on this machine read through the state file.
    const password = o.sasl ? process.env.STREAMLAB_SASL_PASSWORD || randomBytes(18).toString('base64url') : undefined;
    // The registry starts beside the brokers (each a JVM of its own), so neither waits for the other.
    const registryStart = o.registry ? startRegistry(path.join(dir, 'registry')) : undefined;
    registryStart?.catch(() => undefined); // its failure is reported below, after the cluster's
    try {
      cluster = await KafkaCluster.start({
        brokers: o.brokers,
        defaultPartitions: o.partitions,
        dataDir: path.join(dir, 'nodes'),
        tls: certs,
        sasl: o.sasl && password ? { mechanisms: [o.sasl], users: [{ username: o.username, password }] } : undefined,
        progress: (line) => process.stdout.write(`${line}\n`),
      });
    } finally {
      registry = await registryStart?.catch((e: unknown) => {
        if (cluster) throw e;
        return undefined;
      });
    }
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
      schemaRegistryUrl: registry?.confluentUrl,
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
        ...(registry ? [registryLine(registry)] : []),
        `  topics: ${created.map(([t, p]) => `${t} (${p})`).join(', ') || `none yet (new topics get ${o.partitions} partitions)`}`,
        `  data and logs: ${dir} (removed when it stops)`,
        '  Ctrl-C stops it',
        '',
      ].join('\n'),
    );
    await untilSignal();
    process.stdout.write(`stopping Apache Kafka${registry ? ' and the Schema Registry' : ''}\n`);
  } finally {
    if (recorded) removeBrokerState();
    await Promise.all([cluster?.stop(), registry?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(passwordFile, { force: true });
  }
  process.stdout.write(`Apache Kafka${o.registry ? ' and the Schema Registry' : ''} stopped\n`);
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
