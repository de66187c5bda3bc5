/**
 * Starts the embedded broker in a child process (the mock cluster must not share a process with kafkajs) and
 * controls it. Used by tests, the demo and notebooks that have no Kafka of their own.
 */
import { spawn, ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { StreamlabError } from '../errors';
import { BrokerControl } from '../config';
import { BrokerStatus } from '../config';
import { BrokerHostOptions, DEFAULT_BROKER_OPTIONS } from './brokerHost';
import { READY_PREFIX } from './brokerProcess';

export interface EmbeddedBrokerOptions extends Partial<BrokerHostOptions> {
  /** Record the broker in the state file so other processes find it (default false). */
  writeState?: boolean;
  startTimeoutMs?: number;
}

export class EmbeddedBroker extends BrokerControl {
  private constructor(
    private readonly child: ChildProcess,
    readonly bootstrapServers: string,
    controlUrl: string,
  ) {
    super(controlUrl);
  }

  get brokers(): string[] {
    return this.bootstrapServers.split(',');
  }

  /** Connection options for clients of this broker (topic creation included). */
  get connection(): { brokers: string; embeddedControlUrl: string } {
    return { brokers: this.bootstrapServers, embeddedControlUrl: this.controlUrl };
  }

  static async start(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
    const hostOptions = { ...DEFAULT_BROKER_OPTIONS, ...options };
    const child = spawn(process.execPath, [path.join(__dirname, 'brokerProcess.js'), JSON.stringify(hostOptions)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group: Jupyter interrupts a kernel with SIGINT to the kernel's whole group, which must
      // not stop a broker the kernel started. It still ends with its parent, whose exit closes its stdin.
      detached: true,
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
    const lines = readline.createInterface({ input: child.stdout! });
    const status = await new Promise<BrokerStatus>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new StreamlabError(`the embedded broker did not start within ${options.startTimeoutMs ?? 15000} ms`));
      }, options.startTimeoutMs ?? 15000);
      lines.on('line', (line) => {
        if (!line.startsWith(READY_PREFIX)) return;
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(READY_PREFIX.length)) as BrokerStatus);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        const reason = stderr.trim().split('\n').pop() || `exit code ${code}`;
        reject(new StreamlabError(`the embedded broker failed to start: ${reason}`));
      });
    });
    return new EmbeddedBroker(child, status.bootstrapServers, status.controlUrl);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
