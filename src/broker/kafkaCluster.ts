/**
 * A real Apache Kafka on this machine, in KRaft mode: 1..9 nodes, each broker and controller in one JVM, bound to
 * 127.0.0.1 on ports picked at start. Clients talk to a `CLIENT` listener (plaintext, TLS, SASL or SASL over TLS);
 * brokers and controllers talk to each other on plaintext loopback listeners of their own. Every JVM is watched by
 * a small process (kafkaNodeProcess.ts) that kills it when this process dies, so no broker outlives its owner.
 *
 * The fault tests need to hit one node at a time: kill(id) is kill -9, pause(id) is SIGSTOP, startNode(id) brings a
 * stopped node back on the same ports and data, and activeController() asks the quorum which node leads it (the
 * client protocol hides the KRaft controller: Metadata names a random broker instead).
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { StreamlabError } from '../errors';
import { KafkaDistribution, kafkaDistribution, FetchProgress } from './kafkaDistribution';
import { BrokerCertificates, writeKeystore } from './kafkaCertificates';
import { NODE_EXITED, NODE_STARTED, NodeLaunch } from './kafkaNodeProcess';

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaClusterOptions {
  /** Nodes (each a broker and a controller), 1 to 9. Default 1. */
  brokers?: number;
  /** Partitions of topics created without a count (num.partitions). Default 4, as the embedded broker. */
  defaultPartitions?: number;
  /** SASL on the client listener, with these users (SCRAM credentials are stored in the cluster metadata). */
  sasl?: { mechanisms: KafkaSaslMechanism[]; users: { username: string; password: string }[] };
  /** TLS on the client listener with this certificate (see makeBrokerCertificates). */
  tls?: BrokerCertificates;
  /** Where the nodes keep their data and logs; default a new temporary folder, removed by stop(). */
  dataDir?: string;
  /** Extra broker settings for every node (server.properties keys), e.g. timeouts for fault tests. */
  brokerProperties?: Record<string, string | number>;
  /** JVM heap of each node in MB. Default 768. */
  heapMb?: number;
  startTimeoutMs?: number;
  /** Status lines while fetching jars and starting. */
  progress?: FetchProgress;
}

export type KafkaNodeState = 'running' | 'paused' | 'stopped';

export interface KafkaNodeInfo {
  id: number;
  /** host:port of the client listener. */
  address: string;
  /** Plaintext loopback listener the brokers replicate over (and tests may read cluster metadata from). */
  internalAddress: string;
  controllerAddress: string;
  state: KafkaNodeState;
  /** The JVM's pid while it runs. */
  pid?: number;
  logFile: string;
}

interface NodeRuntime {
  id: number;
  port: number;
  internalPort: number;
  controllerPort: number;
  dir: string;
  state: KafkaNodeState;
  pid?: number;
  supervisor?: ChildProcess;
  exited?: Promise<void>;
}

const MAX_NODES = 9;
const READY_LINE = /Kafka Server started/;
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
/** SCRAM credentials go through the storage tool's `name=...,password=...` syntax, which has no escaping. */
const SCRAM_PASSWORD = /^[^\s,\[\]"'=\\]{1,128}$/;

export class KafkaCluster {
  private readonly nodes: NodeRuntime[];
  private stopped = false;
  private readonly onExit = () => this.killAllNow();

  private constructor(
    readonly distribution: KafkaDistribution,
    readonly dataDir: string,
    private readonly ownDataDir: boolean,
    private readonly options: KafkaClusterOptions,
    nodes: NodeRuntime[],
  ) {
    this.nodes = nodes;
    process.once('exit', this.onExit);
  }

  get version(): string {
    return this.distribution.version;
  }

  get brokerCount(): number {
    return this.nodes.length;
  }

  /** host:port of every node's client listener, comma-separated. */
  get bootstrapServers(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  get brokers(): string[] {
    return this.bootstrapServers.split(',');
  }

  /** Plaintext loopback addresses of the brokers' own listener (for cluster metadata in tests). */
  get internalBootstrapServers(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.internalPort}`).join(',');
  }

  /** The security protocol of the client listener, as Kafka names it. */
  get securityProtocol(): 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' {
    return clientProtocol(this.options);
  }

  node(id: number): KafkaNodeInfo {
    const n = this.runtime(id);
    return {
      id: n.id,
      address: `127.0.0.1:${n.port}`,
      internalAddress: `127.0.0.1:${n.internalPort}`,
      controllerAddress: `127.0.0.1:${n.controllerPort}`,
      state: n.state,
      pid: n.pid,
      logFile: path.join(n.dir, 'kafka.log'),
    };
  }

  nodeInfo(): KafkaNodeInfo[] {
    return this.nodes.map((n) => this.node(n.id));
  }

  /** Every node's logs (the broker's, and its storage format's), for tests that scan them (for a password, say). */
  logFiles(): string[] {
    return this.nodes.flatMap((n) => ['kafka.log', 'format.log'].map((f) => path.join(n.dir, f))).filter((f) => fs.existsSync(f));
  }

  static async start(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
    const count = options.brokers ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > MAX_NODES) {
      throw new StreamlabError(`a local Kafka has 1 to ${MAX_NODES} brokers, got ${count}`);
    }
    const partitions = options.defaultPartitions ?? 4;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1000) {
      throw new StreamlabError(`default partitions must be an integer from 1 to 1000, got ${partitions}`);
    }
    validateSasl(options.sasl);
    const distribution = await kafkaDistribution({ progress: options.progress });
    const ownDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-kafka-'));
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const ports = await freePorts(count * 3);
    const nodes: NodeRuntime[] = Array.from({ length: count }, (_, i) => ({
      id: i + 1,
      port: ports[i * 3]!,
      internalPort: ports[i * 3 + 1]!,
      controllerPort: ports[i * 3 + 2]!,
      dir: path.join(dataDir, `node-${i + 1}`),
      state: 'stopped' as KafkaNodeState,
    }));
    const cluster = new KafkaCluster(distribution, dataDir, ownDataDir, options, nodes);
    try {
      options.progress?.(`starting Apache Kafka ${distribution.version} (KRaft, ${count} node${count > 1 ? 's' : ''}, Java ${distribution.javaVersion})`);
      await cluster.format();
      await Promise.all(nodes.map((n) => cluster.startNode(n.id)));
      await cluster.waitForBrokers(count, options.startTimeoutMs ?? 120_000);
      return cluster;
    } catch (e) {
      await cluster.stop({ fast: true });
      throw e;
    }
  }

  /** Starts a stopped node again, on its ports and with its data, and waits until it serves. */
  async startNode(id: number, timeoutMs = this.options.startTimeoutMs ?? 120_000): Promise<void> {
    const n = this.runtime(id);
    if (n.state !== 'stopped') return;
    const logFile = path.join(n.dir, 'kafka.log');
    const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
    const launch: NodeLaunch = {
      java: this.distribution.java,
      args: [...this.jvmOptions(), 'kafka.Kafka', path.join(n.dir, 'server.properties')],
      logFile,
      cwd: n.dir,
    };
    const supervisor = spawn(process.execPath, [path.join(__dirname, 'kafkaNodeProcess.js'), JSON.stringify(launch)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      // Its own process group: a Jupyter interrupt (SIGINT to the kernel's group) must not reach the broker.
      detached: true,
    });
    n.supervisor = supervisor;
    n.state = 'running';
    let exitedResolve!: () => void;
    n.exited = new Promise<void>((resolve) => (exitedResolve = resolve));
    let exitInfo: string | undefined;
    const lines = readline.createInterface({ input: supervisor.stdout! });
    const started = new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        if (line.startsWith(NODE_STARTED)) {
          n.pid = (JSON.parse(line.slice(NODE_STARTED.length)) as { pid: number }).pid;
          resolve();
        } else if (line.startsWith(NODE_EXITED)) {
          exitInfo = line.slice(NODE_EXITED.length);
          reject(new StreamlabError(`Kafka node ${id} did not start: java ${exitInfo}`));
        }
      });
    });
    supervisor.once('exit', () => {
      if (n.supervisor === supervisor) {
        n.state = 'stopped';
        n.pid = undefined;
        n.supervisor = undefined;
      }
      exitedResolve();
    });
    await started;
    await this.waitForLog(n, logStart, timeoutMs, () => exitInfo);
  }

  /** kill -9 (or another signal) of one node's JVM; resolves once it has exited when the signal ends it. */
  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const n = this.runtime(id);
    if (n.state === 'stopped' || n.pid === undefined) return;
    process.kill(n.pid, signal);
    if (signal === 'SIGKILL') await n.exited;
  }

  /** A clean shutdown of one node (SIGTERM: it hands its leaderships over first). */
  async stopNode(id: number, timeoutMs = 30_000): Promise<void> {
    const n = this.runtime(id);
    if (n.state === 'stopped' || n.pid === undefined) return;
    if (n.state === 'paused') process.kill(n.pid, 'SIGCONT');
    process.kill(n.pid, 'SIGTERM');
    const timer = setTimeout(() => n.pid !== undefined && process.kill(n.pid, 'SIGKILL'), timeoutMs);
    await n.exited;
    clearTimeout(timer);
  }

  /** SIGSTOP: the node keeps its sockets open but answers nothing, as a hung or partitioned broker does. */
  pause(id: number): void {
    const n = this.runtime(id);
    if (n.state !== 'running' || n.pid === undefined) throw new StreamlabError(`Kafka node ${id} is ${n.state}, not running`);
    process.kill(n.pid, 'SIGSTOP');
    n.state = 'paused';
  }

  resume(id: number): void {
    const n = this.runtime(id);
    if (n.state !== 'paused' || n.pid === undefined) return;
    process.kill(n.pid, 'SIGCONT');
    n.state = 'running';
  }

  /** The node that leads the KRaft quorum: the active controller. */
  activeController(): number {
    const voters = this.nodes.filter((n) => n.state === 'running').map((n) => `127.0.0.1:${n.controllerPort}`);
    if (voters.length === 0) throw new StreamlabError('no Kafka node is running');
    const run = spawnSync(
      this.distribution.java,
      [...this.toolJvmOptions(), 'org.apache.kafka.tools.MetadataQuorumCommand', '--bootstrap-controller', voters.join(','), 'describe', '--status'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    const leader = /LeaderId:\s+(\d+)/.exec(run.stdout ?? '')?.[1];
    if (!leader) throw new StreamlabError(`could not ask the KRaft quorum for its leader: ${(run.stderr || run.stdout || '').trim().split('\n')[0]}`);
    return Number(leader);
  }

  /** Waits until `count` brokers are registered and unfenced (as Metadata lists them). */
  async waitForBrokers(count = this.nodes.filter((n) => n.state !== 'stopped').length, timeoutMs = 120_000): Promise<void> {
    const kafka = new Kafka({ brokers: this.internalBootstrapServers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 2000, requestTimeout: 5000, retry: { retries: 0 } });
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      const admin = kafka.admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        seen = cluster.brokers.length;
        if (seen >= count) return;
      } catch {
        // not up yet
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      if (Date.now() > deadline) throw new StreamlabError(`only ${seen} of ${count} Kafka brokers registered within ${timeoutMs} ms`, `see the logs in ${this.dataDir}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Stops every node (cleanly, or with kill -9 when `fast`) and removes the data folder it made. */
  async stop(options: { fast?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(
      this.nodes.map(async (n) => {
        if (n.state === 'stopped') return;
        if (options.fast) await this.kill(n.id, 'SIGKILL').catch(() => undefined);
        else await this.stopNode(n.id).catch(() => undefined);
      }),
    );
    process.removeListener('exit', this.onExit);
    if (this.ownDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private killAllNow(): void {
    for (const n of this.nodes) {
      if (n.supervisor?.pid === undefined) continue;
      try {
        process.kill(-n.supervisor.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (this.ownDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private runtime(id: number): NodeRuntime {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new StreamlabError(`no Kafka node ${id}`, `node ids run from 1 to ${this.nodes.length}`);
    return n;
  }

  private jvmOptions(): string[] {
    const heap = this.options.heapMb ?? 768;
    return [
      `-Xms${Math.min(256, heap)}m`,
      `-Xmx${heap}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      '-Dorg.slf4j.simpleLogger.showDateTime=true',
      "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
      '-cp',
      path.join(this.distribution.libs, '*'),
    ];
  }

  /** Short-lived tools: a small heap, the quick compiler, and only warnings in their output. */
  private toolJvmOptions(): string[] {
    return ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', path.join(this.distribution.libs, '*')];
  }

  /** Writes every node's server.properties and formats its storage (in parallel: each is a JVM start). */
  private async format(): Promise<void> {
    const clusterId = kafkaClusterId();
    const keystorePassword = randomBytes(18).toString('base64url');
    await Promise.all(
      this.nodes.map(async (n) => {
        fs.mkdirSync(n.dir, { recursive: true, mode: 0o700 });
        if (this.options.tls) writeKeystore(this.options.tls, path.join(n.dir, 'broker.p12'), keystorePassword);
        writeSecretFile(path.join(n.dir, 'server.properties'), propertiesText(this.serverProperties(n, keystorePassword)));
        // The launcher expands a `dir/*` classpath on its command line only, so the argument file lists the jars.
        const jars = fs.readdirSync(this.distribution.libs).filter((f) => f.endsWith('.jar')).map((f) => path.join(this.distribution.libs, f));
        const args = [...this.toolJvmOptions().slice(0, -1), jars.join(path.delimiter), 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', path.join(n.dir, 'server.properties')];
        for (const mechanism of this.options.sasl?.mechanisms ?? []) {
          if (mechanism === 'plain') continue;
          for (const u of this.options.sasl!.users) args.push('--add-scram', `${mechanism.toUpperCase()}=[name=${u.username},password=${u.password}]`);
        }
        // Through an argument file (mode 600, removed after), so no password shows in the process list.
        const argFile = path.join(n.dir, 'format.args');
        writeSecretFile(argFile, args.map(javaArgFileQuote).join('\n') + '\n');
        try {
          const code = await new Promise<number | null>((resolve) => {
            const log = fs.openSync(path.join(n.dir, 'format.log'), 'w');
            const child = spawn(this.distribution.java, [`@${argFile}`], { cwd: n.dir, stdio: ['ignore', log, log] });
            fs.closeSync(log);
            child.on('error', () => resolve(-1));
            child.on('exit', (c) => resolve(c));
          });
          if (code !== 0) {
            const text = fs.readFileSync(path.join(n.dir, 'format.log'), 'utf8').trim().split('\n');
            throw new StreamlabError(`formatting Kafka node ${n.id} failed: ${text.filter((l) => /error|exception/i.test(l)).pop() ?? text.pop() ?? `exit ${code}`}`);
          }
        } finally {
          fs.rmSync(argFile, { force: true });
        }
      }),
    );
  }

  private serverProperties(n: NodeRuntime, keystorePassword: string): Record<string, string> {
    const count = this.nodes.length;
    const replication = Math.min(3, count);
    const minIsr = count >= 3 ? 2 : 1;
    const protocol = clientProtocol(this.options);
    const props: Record<string, string> = {
      'process.roles': 'broker,controller',
      'node.id': String(n.id),
      'controller.quorum.voters': this.nodes.map((x) => `${x.id}@127.0.0.1:${x.controllerPort}`).join(','),
      listeners: `CLIENT://127.0.0.1:${n.port},INTERNAL://127.0.0.1:${n.internalPort},CONTROLLER://127.0.0.1:${n.controllerPort}`,
      'advertised.listeners': `CLIENT://127.0.0.1:${n.port},INTERNAL://127.0.0.1:${n.internalPort}`,
      'listener.security.protocol.map': `CLIENT:${protocol},INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'INTERNAL',
      'log.dirs': path.join(n.dir, 'data'),
      'num.partitions': String(this.options.defaultPartitions ?? 4),
      'default.replication.factor': String(replication),
      'min.insync.replicas': String(minIsr),
      'offsets.topic.replication.factor': String(replication),
      'offsets.topic.num.partitions': '10',
      'transaction.state.log.replication.factor': String(replication),
      'transaction.state.log.min.isr': String(minIsr),
      'transaction.state.log.num.partitions': '10',
      'share.coordinator.state.topic.replication.factor': String(replication),
      'share.coordinator.state.topic.min.isr': String(minIsr),
      'group.initial.rebalance.delay.ms': '0',
      'auto.create.topics.enable': 'true',
      // Nothing expires by time, as on the embedded broker: the data lives as long as this broker does, and records
      // with past timestamps (replayed history, tests) are not deleted minutes after they were written.
      'log.retention.ms': '-1',
      'delete.topic.enable': 'true',
    };
    const sasl = this.options.sasl;
    if (sasl) {
      props['sasl.enabled.mechanisms'] = sasl.mechanisms.map((m) => m.toUpperCase()).join(',');
      for (const m of sasl.mechanisms) {
        props[`listener.name.client.${m}.sasl.jaas.config`] =
          m === 'plain'
            ? `org.apache.kafka.common.security.plain.PlainLoginModule required ${sasl.users.map((u) => `user_${u.username}="${jaasQuote(u.password)}"`).join(' ')};`
            : 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
      }
    }
    if (this.options.tls) {
      props['listener.name.client.ssl.keystore.type'] = 'PKCS12';
      props['listener.name.client.ssl.keystore.location'] = path.join(n.dir, 'broker.p12');
      props['listener.name.client.ssl.keystore.password'] = keystorePassword;
      props['listener.name.client.ssl.key.password'] = keystorePassword;
    }
    for (const [k, v] of Object.entries(this.options.brokerProperties ?? {})) props[k] = String(v);
    return props;
  }

  private async waitForLog(n: NodeRuntime, from: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
    const logFile = path.join(n.dir, 'kafka.log');
    const deadline = Date.now() + timeoutMs;
    let offset = from;
    let carry = '';
    for (;;) {
      const size = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
      if (size > offset) {
        const fd = fs.openSync(logFile, 'r');
        const buf = Buffer.alloc(size - offset);
        fs.readSync(fd, buf, 0, buf.length, offset);
        fs.closeSync(fd);
        offset = size;
        const text = carry + buf.toString('utf8');
        if (READY_LINE.test(text)) return;
        carry = text.slice(-200);
      }
      const gone = exited();
      if (gone !== undefined || n.state === 'stopped') {
        throw new StreamlabError(`Kafka node ${n.id} stopped while starting (java ${gone ?? 'exited'}): ${lastError(logFile)}`, `its log is ${logFile}`);
      }
      if (Date.now() > deadline) throw new StreamlabError(`Kafka node ${n.id} did not start within ${timeoutMs} ms (last error: ${lastError(logFile)})`, `its log is ${logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function clientProtocol(options: KafkaClusterOptions): 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' {
  if (options.sasl) return options.tls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
  return options.tls ? 'SSL' : 'PLAINTEXT';
}

function validateSasl(sasl: KafkaClusterOptions['sasl']): void {
  if (!sasl) return;
  if (sasl.mechanisms.length === 0) throw new StreamlabError('SASL needs at least one mechanism', 'use plain, scram-sha-256 or scram-sha-512');
  for (const m of sasl.mechanisms) {
    if (!['plain', 'scram-sha-256', 'scram-sha-512'].includes(m)) throw new StreamlabError(`unknown SASL mechanism '${m}'`, 'use plain, scram-sha-256 or scram-sha-512');
  }
  if (sasl.users.length === 0) throw new StreamlabError('SASL needs at least one user');
  for (const u of sasl.users) {
    if (!USERNAME.test(u.username)) throw new StreamlabError(`SASL user name '${u.username}' is not usable`, 'use 1-64 letters, digits, dots, underscores or dashes');
    if (!SCRAM_PASSWORD.test(u.password)) {
      throw new StreamlabError(`the password of SASL user ${u.username} is not usable here`, 'use 1-128 characters without spaces, quotes, commas, brackets, = or backslashes');
    }
  }
}

/** A Kafka cluster id: 16 random bytes, base64url, not starting with '-' (the tools would read it as an option). */
function kafkaClusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function jaasQuote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** java.util.Properties text: keys and values escaped so that what Kafka reads is what was written. */
function propertiesText(props: Record<string, string>): string {
  const escape = (s: string, key: boolean) =>
    s
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t')
      .replace(key ? /[=: #!]/g : /^[ #!]/g, (c) => `\\${c}`)
      .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return Object.entries(props).map(([k, v]) => `${escape(k, true)}=${escape(v, false)}`).join('\n') + '\n';
}

/** One argument of a java @argfile: quoted, with backslashes and quotes escaped. */
function javaArgFileQuote(arg: string): string {
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function writeSecretFile(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

function lastError(logFile: string): string {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n');
    return (lines.filter((l) => / (ERROR|FATAL) /.test(l)).pop() ?? lines.pop() ?? '').slice(0, 400);
  } catch {
    return 'no log';
  }
}

/**
 * Ports free on 127.0.0.1 right now, held all at once (so they differ) and then released. They are drawn below
 * Linux's ephemeral range (32768 and up), where port 0 would put them: a node restarted on its ports must not find
 * one taken by some client's outgoing connection in the meantime.
 */
async function freePorts(count: number): Promise<number[]> {
  const bind = (port: number) =>
    new Promise<net.Server | undefined>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(undefined));
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  const servers: net.Server[] = [];
  for (let tries = 0; servers.length < count && tries < count * 50; tries++) {
    const s = await bind(20_000 + Math.floor(Math.random() * 12_000));
    if (s) servers.push(s);
  }
  while (servers.length < count) servers.push((await bind(0))!);
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}
