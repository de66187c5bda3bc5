/**
 * A Confluent-compatible Schema Registry on this machine, for development and tests: Apicurio Registry (see
 * schemaRegistryDistribution.ts) in one JVM, in-memory storage (gone when it stops), its HTTP port and its
 * management port (health, metrics) both bound to 127.0.0.1 on ports picked at start. Like a Kafka node, the JVM is
 * watched by kafkaNodeProcess.ts, which kills it when this process dies.
 *
 *   const registry = await SchemaRegistryProcess.start();
 *   registry.confluentUrl   // http://127.0.0.1:PORT/apis/ccompat/v7: what Confluent clients call the registry URL
 *   await registry.stop();
 */
import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { StreamlabError } from '../errors';
import { FetchProgress } from './kafkaDistribution';
import { NODE_EXITED, NODE_STARTED, NodeLaunch } from './kafkaNodeProcess';
import { SchemaRegistryDistribution, schemaRegistryDistribution } from './schemaRegistryDistribution';

/** The path of Confluent's Schema Registry API on an Apicurio Registry. */
export const CONFLUENT_API_PATH = '/apis/ccompat/v7';

export interface SchemaRegistryOptions {
  /** HTTP port on 127.0.0.1; default a free one. */
  port?: number;
  /** Management port (health, metrics) on 127.0.0.1; default a free one. */
  managementPort?: number;
  /** JVM heap in MB. Default 256. */
  heapMb?: number;
  /** Where its log and temporary files go; default a new temporary folder, removed by stop(). */
  dataDir?: string;
  startTimeoutMs?: number;
  /** Status lines while fetching and starting. */
  progress?: FetchProgress;
  env?: NodeJS.ProcessEnv;
}

export class SchemaRegistryProcess {
  private stopped = false;
  private exitInfo: string | undefined;
  private readonly exited: Promise<void>;
  private readonly onExit = () => this.killNow();

  private constructor(
    readonly distribution: SchemaRegistryDistribution,
    readonly port: number,
    readonly managementPort: number,
    readonly dataDir: string,
    private readonly ownDataDir: boolean,
    private readonly supervisor: ChildProcess,
    /** The JVM's pid. */
    readonly pid: number,
  ) {
    this.exited = new Promise<void>((resolve) => {
      if (supervisor.exitCode !== null || supervisor.signalCode !== null) resolve();
      else supervisor.once('exit', () => resolve());
    });
    process.once('exit', this.onExit);
  }

  get version(): string {
    return this.distribution.version;
  }

  /** The server's root, http://127.0.0.1:PORT. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Confluent's Schema Registry API: the URL to give Confluent serializers and streamlab's registry client. */
  get confluentUrl(): string {
    return this.url + CONFLUENT_API_PATH;
  }

  get managementUrl(): string {
    return `http://127.0.0.1:${this.managementPort}`;
  }

  get logFile(): string {
    return path.join(this.dataDir, 'registry.log');
  }

  /** Whether the JVM still runs. */
  get running(): boolean {
    return !this.stopped && this.supervisor.exitCode === null && this.supervisor.signalCode === null && this.exitInfo === undefined;
  }

  static async start(options: SchemaRegistryOptions = {}): Promise<SchemaRegistryProcess> {
    for (const [name, port] of [['port', options.port], ['managementPort', options.managementPort]] as const) {
      if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new StreamlabError(`schema registry ${name} must be 1-65535, got ${port}`);
    }
    const began = Date.now();
    const distribution = await schemaRegistryDistribution({ env: options.env, progress: options.progress });
    const ownDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-registry-'));
    fs.mkdirSync(path.join(dataDir, 'tmp'), { recursive: true, mode: 0o700 });
    const [port, managementPort] = await freePorts([options.port, options.managementPort]);
    const heap = options.heapMb ?? 256;
    const logFile = path.join(dataDir, 'registry.log');
    const launch: NodeLaunch = {
      java: distribution.java,
      args: [
        `-Xms64m`,
        `-Xmx${heap}m`,
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Djava.io.tmpdir=${path.join(dataDir, 'tmp')}`,
        // Both listeners on the loopback only (Quarkus' defaults are 0.0.0.0, and 0.0.0.0:9000 for management).
        '-Dquarkus.http.host=127.0.0.1',
        `-Dquarkus.http.port=${port}`,
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${managementPort}`,
        // Files it may write (exports, snapshots) stay in its own folder, not /tmp.
        `-Dapicurio.import.work-dir=${path.join(dataDir, 'tmp')}`,
        `-Dapicurio.storage.snapshot.location=${path.join(dataDir, 'tmp')}`,
        // Nothing is sent anywhere: no telemetry export (its default, kept explicit).
        '-Dquarkus.otel.sdk.disabled=true',
        '-jar',
        path.join(distribution.home, 'quarkus-run.jar'),
      ],
      logFile,
      cwd: dataDir,
    };
    options.progress?.(`starting the Schema Registry (Apicurio Registry ${distribution.version}, Java ${distribution.javaVersion}) on 127.0.0.1:${port}`);
    const supervisor = spawn(process.execPath, [path.join(__dirname, 'kafkaNodeProcess.js'), JSON.stringify(launch)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      // Its own process group: a Jupyter interrupt (SIGINT to the kernel's group) must not reach the registry.
      detached: true,
    });
    let exitInfo: string | undefined;
    const lines = readline.createInterface({ input: supervisor.stdout! });
    const pid = await new Promise<number>((resolve, reject) => {
      supervisor.once('exit', (code) => reject(new StreamlabError(`the Schema Registry did not start: its supervisor exited with ${code}`)));
      lines.on('line', (line) => {
        if (line.startsWith(NODE_STARTED)) resolve((JSON.parse(line.slice(NODE_STARTED.length)) as { pid: number }).pid);
        else if (line.startsWith(NODE_EXITED)) {
          exitInfo = line.slice(NODE_EXITED.length);
          reject(new StreamlabError(`the Schema Registry did not start: java ${exitInfo}`));
        }
      });
    });
    const registry = new SchemaRegistryProcess(distribution, port, managementPort, dataDir, ownDataDir, supervisor, pid);
    lines.on('line', (line) => {
      if (line.startsWith(NODE_EXITED)) registry.exitInfo = line.slice(NODE_EXITED.length);
    });
    try {
      await registry.waitReady(options.startTimeoutMs ?? 120_000, began);
      return registry;
    } catch (e) {
      // The log stays for a look (its last relevant line is in the message); the folder is small.
      await registry.stop({ fast: true, keepLog: true });
      throw e;
    }
  }

  /** Stops the JVM (SIGTERM, then kill -9 after 15 s; at once with `fast`) and removes the folder it made. */
  async stop(options: { fast?: boolean; keepLog?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.supervisor.exitCode === null && this.supervisor.signalCode === null) {
      signal(this.pid, options.fast ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => signal(this.pid, 'SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', this.onExit);
    if (this.ownDataDir && !options.keepLog) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private killNow(): void {
    if (this.supervisor.pid !== undefined) signal(-this.supervisor.pid, 'SIGKILL');
    if (this.ownDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Until GET <confluentUrl>/subjects answers 200. */
  private async waitReady(timeoutMs: number, began: number): Promise<void> {
    const deadline = began + timeoutMs;
    for (;;) {
      const status = await httpStatus(`${this.confluentUrl}/subjects`).catch(() => undefined);
      if (status === 200) return;
      if (this.exitInfo !== undefined || this.supervisor.exitCode !== null) {
        throw new StreamlabError(`the Schema Registry stopped while starting (java ${this.exitInfo ?? 'exited'}): ${lastError(this.logFile)}`, `its log is ${this.logFile}`);
      }
      if (Date.now() > deadline) {
        throw new StreamlabError(`the Schema Registry did not answer on ${this.confluentUrl} within ${timeoutMs} ms (last: ${status === undefined ? 'no connection' : `HTTP ${status}`}; ${lastError(this.logFile)})`, `its log is ${this.logFile}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 2000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The last ERROR (or exception) line of the log, else its last line. */
function lastError(logFile: string): string {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n');
    const line = lines.filter((l) => / (ERROR|FATAL) |Exception|Error:/.test(l)).pop() ?? lines.pop() ?? '';
    return line.trim().slice(0, 400) || 'its log is empty';
  } catch {
    return 'no log';
  }
}

/** The given ports, or ports free on 127.0.0.1 right now for those not given (held together, so they differ). */
async function freePorts(wanted: (number | undefined)[]): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  try {
    for (const w of wanted) {
      if (w !== undefined) {
        ports.push(w);
        continue;
      }
      const s = net.createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
      servers.push(s);
      ports.push((s.address() as net.AddressInfo).port);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
  return ports;
}
