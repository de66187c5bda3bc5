/**
 * A Jupyter client that talks to a real kernel process over real ZeroMQ sockets (wire protocol 5.3): what
 * `streamlab run` executes notebooks with, and what the tests and benchmarks drive the kernel with. Only 127.0.0.1
 * is ever connected to. It keeps its own wire codec and socket code rather than using the kernel's (wire.ts,
 * sockets.ts): a client that shares the kernel's code would share its bugs, and the tests would not see them.
 *
 *   const kernel = await KernelProcess.start({ argv: [..., '{connection_file}'] });
 *   const { reply, iopub } = await kernel.execute('1 + 1');
 *   await kernel.shutdown();
 *
 * Every wait is bounded and fails with one line naming the request, the awaited message type and the time waited.
 * Every incoming message's HMAC is checked; a bad one is never delivered: it fails whatever was waiting and is kept
 * in `protocolErrors`, so a test can assert there were none.
 */
import * as zmq from 'zeromq';
import { ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PROTOCOL_VERSION = '5.3';
const LOOPBACK = '127.0.0.1';
const DELIMITER = Buffer.from('<IDS|MSG>');

export type RequestChannel = 'shell' | 'control' | 'stdin';
export type Channel = RequestChannel | 'iopub';

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [extra: string]: unknown;
}

/** Content is whatever the kernel sent; tests narrow it with their assertions. */
export type Content = Record<string, any>;

export interface JupyterMessage {
  channel: Channel;
  header: MessageHeader;
  /** Empty object when the message has no parent. */
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Content;
  buffers: Buffer[];
}

export interface ConnectionInfo {
  transport: 'tcp';
  ip: typeof LOOPBACK;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: 'hmac-sha256';
  kernel_name: string;
}

/** A wait that ran out of time, or a kernel that went away while something waited on it. */
export class KernelClientError extends Error {
  override name = 'KernelClientError';
}

/** A message that breaks the wire protocol: bad signature, missing delimiter, unparsable frame, wrong reply type. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

// ---------------------------------------------------------------------------------------------------------------
// Wire format

/** Signs and parses messages for one session. Signatures cover header, parent, metadata and content, not buffers. */
export class WireCodec {
  constructor(
    private readonly key: string,
    readonly session: string,
    private readonly username = 'kernel-client',
  ) {}

  newHeader(msgType: string): MessageHeader {
    return {
      msg_id: crypto.randomUUID(),
      msg_type: msgType,
      session: this.session,
      username: this.username,
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    };
  }

  encode(
    header: MessageHeader,
    parent: Partial<MessageHeader>,
    content: Content,
    metadata: Record<string, unknown> = {},
    buffers: Buffer[] = [],
  ): Buffer[] {
    const parts = [header, parent, metadata, content].map((part) => Buffer.from(JSON.stringify(part), 'utf8'));
    return [DELIMITER, Buffer.from(this.sign(parts), 'ascii'), ...parts, ...buffers];
  }

  /** Throws ProtocolError for anything that is not a well-formed, correctly signed message. */
  decode(frames: Buffer[], channel: Channel): JupyterMessage {
    // Frames before the delimiter are routing identities (none on a dealer) or a pub/sub topic (iopub).
    const at = frames.findIndex((frame) => frame.equals(DELIMITER));
    if (at < 0) throw new ProtocolError(`${channel} message without the <IDS|MSG> delimiter (${frames.length} frames)`);
    if (frames.length < at + 6) throw new ProtocolError(`${channel} message with ${frames.length - at - 2} parts after the signature, want at least 4`);
    const parts = frames.slice(at + 2, at + 6);
    const signature = frames[at + 1].toString('ascii');
    const expected = this.sign(parts);
    const ok = signature.length === expected.length && crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
    if (!ok) {
      throw new ProtocolError(`bad HMAC signature on ${channel} message ${preview(parts[0])}: got "${signature.slice(0, 16)}…", want "${expected.slice(0, 16)}…"`);
    }
    const [header, parent, metadata, content] = parts.map((part, i) => parseJsonObject(part, channel, ['header', 'parent_header', 'metadata', 'content'][i]));
    if (typeof header.msg_type !== 'string' || typeof header.msg_id !== 'string') {
      throw new ProtocolError(`${channel} message header without msg_type/msg_id: ${preview(parts[0])}`);
    }
    return {
      channel,
      header: header as MessageHeader,
      parent_header: parent as Partial<MessageHeader>,
      metadata,
      content,
      buffers: frames.slice(at + 6),
    };
  }

  /** The spec says an empty key disables signing: the signature is then the empty string. */
  private sign(parts: Buffer[]): string {
    if (this.key === '') return '';
    const hmac = crypto.createHmac('sha256', this.key);
    for (const part of parts) hmac.update(part);
    return hmac.digest('hex');
  }
}

function parseJsonObject(frame: Buffer, channel: Channel, what: string): Content {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString('utf8'));
  } catch {
    throw new ProtocolError(`${channel} message ${what} is not JSON: ${preview(frame)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProtocolError(`${channel} message ${what} is not a JSON object: ${preview(frame)}`);
  }
  return value as Content;
}

function preview(frame: Buffer): string {
  const text = frame.toString('utf8');
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

// ---------------------------------------------------------------------------------------------------------------
// Connection file

/**
 * Ports the OS hands out for port 0, all held open at once so they are distinct. Another process can still take one
 * before the kernel binds it; that race is Jupyter's own and shows up as a kernel that exits at start.
 */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, LOOPBACK, () => resolve());
      });
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

export async function newConnectionInfo(kernelName = ''): Promise<ConnectionInfo> {
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freeLoopbackPorts(5);
  return {
    transport: 'tcp',
    ip: LOOPBACK,
    shell_port,
    iopub_port,
    stdin_port,
    control_port,
    hb_port,
    key: crypto.randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256',
    kernel_name: kernelName,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The kernel process and its sockets

export interface StartOptions {
  /** Command line; every '{connection_file}' in it is replaced by the path of the connection file. */
  argv: string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Spawn to first kernel_info_reply plus the iopub handshake. */
  startTimeoutMs?: number;
  /** Default bound for requests and executes. */
  requestTimeoutMs?: number;
  kernelName?: string;
}

export interface RequestOptions {
  timeoutMs?: number;
  metadata?: Record<string, unknown>;
  buffers?: Buffer[];
}

export interface ExecuteOptions {
  silent?: boolean;
  storeHistory?: boolean;
  userExpressions?: Record<string, string>;
  allowStdin?: boolean;
  stopOnError?: boolean;
  timeoutMs?: number;
}

export interface ExecuteResult {
  reply: JupyterMessage;
  /** Every iopub message whose parent is the execute_request, through status idle. */
  iopub: JupyterMessage[];
  /** Concatenated stream text, for assertions. */
  stdout: string;
  stderr: string;
}

export interface ShutdownResult {
  /** Absent when the kernel sent none within the timeout (then `replyError` says why). */
  reply?: JupyterMessage;
  replyError?: string;
  exitCode: number | null;
  signalCode: NodeJS.Signals | null;
  /** True when the kernel had to be SIGKILLed because it did not exit by itself in time. */
  forcedKill: boolean;
}

type Listener = (msg: JupyterMessage) => void;

interface PendingReply {
  description: string;
  expectedType: string;
  resolve: (msg: JupyterMessage) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface IopubWaiter {
  description: string;
  done: (msg: JupyterMessage) => boolean;
  resolve: (msgs: JupyterMessage[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const TAIL_BYTES = 8 * 1024;
/** Iopub messages kept for parents nobody has asked about yet (statuses of kernel_info probes, mostly). */
const MAX_BUFFERED_PARENTS = 500;
const MAX_BUFFERED_PER_PARENT = 10_000;
const IOPUB_PROBE_MS = 250;

/**
 * Kernels not closed yet. They live in process groups of their own (for interrupts), so nothing else kills them
 * when this process ends: it does so itself, and removes their connection files, at exit and on fatal signals.
 */
const liveKernels = new Set<KernelProcess>();
const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killLiveKernels(): void {
  for (const kernel of liveKernels) kernel.abandon();
}

function onFatalSignal(signal: NodeJS.Signals): void {
  // Another handler (e.g. `streamlab run` on Ctrl-C: interrupt the cell, save the notebook) owns the shutdown and
  // its kernels; the 'exit' hook still kills whatever is left.
  if (process.listenerCount(signal) > 1) return;
  killLiveKernels();
  // Re-raise, so the default (exit by that signal) still happens.
  {
    for (const s of FATAL_SIGNALS) process.off(s, onFatalSignal);
    process.kill(process.pid, signal);
  }
}

function trackKernel(kernel: KernelProcess): void {
  if (liveKernels.size === 0) {
    process.on('exit', killLiveKernels);
    for (const s of FATAL_SIGNALS) process.on(s, onFatalSignal);
  }
  liveKernels.add(kernel);
}

function untrackKernel(kernel: KernelProcess): void {
  if (!liveKernels.delete(kernel) || liveKernels.size > 0) return;
  process.off('exit', killLiveKernels);
  for (const s of FATAL_SIGNALS) process.off(s, onFatalSignal);
}

export class KernelProcess {
  readonly connection: ConnectionInfo;
  readonly connectionFile: string;
  /** Milliseconds from spawn to the first kernel_info_reply. */
  startupMs = NaN;
  /** Content of the first kernel_info_reply. */
  kernelInfo: Content = {};
  /** Every protocol violation seen, in order. A healthy session ends with none. */
  readonly protocolErrors: ProtocolError[] = [];
  /** Replies whose parent nobody was waiting for (late after a timeout, or never asked for). */
  readonly strayReplies: JupyterMessage[] = [];

  private readonly codec: WireCodec;
  private readonly child: ChildProcess;
  private readonly spawnedAt: number;
  private readonly defaultTimeoutMs: number;
  private readonly sockets: { shell: zmq.Dealer; control: zmq.Dealer; stdin: zmq.Dealer; iopub: zmq.Subscriber };
  private readonly sendChains = new Map<RequestChannel, Promise<void>>();
  private readonly pending = new Map<string, PendingReply>();
  private readonly iopubByParent = new Map<string, JupyterMessage[]>();
  private readonly iopubWaiters = new Map<string, IopubWaiter>();
  private readonly listeners = { iopub: new Set<Listener>(), stdin: new Set<Listener>() };
  private readonly exited: Promise<void>;
  private stdoutTail = '';
  private stderrTail = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private closed = false;

  private constructor(child: ChildProcess, connection: ConnectionInfo, connectionFile: string, spawnedAt: number, defaultTimeoutMs: number) {
    this.child = child;
    this.connection = connection;
    this.connectionFile = connectionFile;
    this.spawnedAt = spawnedAt;
    this.defaultTimeoutMs = defaultTimeoutMs;
    this.codec = new WireCodec(connection.key, crypto.randomUUID());
    trackKernel(this);

    child.stdout?.on('data', (chunk: Buffer) => (this.stdoutTail = keepTail(this.stdoutTail + chunk.toString('utf8'))));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderrTail = keepTail(this.stderrTail + chunk.toString('utf8'))));
    this.exited = new Promise<void>((resolve) => {
      const onGone = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exitInfo) return;
        this.exitInfo = { code, signal };
        this.failAll((what) => new KernelClientError(`kernel process exited (${describeExit(code, signal)}) while waiting for ${what}${this.lastStderrLine()}`));
        resolve();
      };
      child.once('exit', onGone);
      child.once('error', (err) => {
        this.stderrTail = keepTail(`${this.stderrTail}spawn failed: ${err.message}\n`);
        onGone(null, null);
      });
    });

    // Shell and stdin share a routing id: the kernel sends input_request to the identity of the execute_request.
    const routingId = `kc-${this.codec.session}`;
    this.sockets = {
      shell: new zmq.Dealer({ routingId, linger: 0 }),
      control: new zmq.Dealer({ linger: 0 }),
      stdin: new zmq.Dealer({ routingId, linger: 0 }),
      iopub: new zmq.Subscriber({ linger: 0 }),
    };
    this.sockets.iopub.subscribe();
    for (const channel of ['shell', 'control', 'stdin', 'iopub'] as const) {
      this.sockets[channel].connect(`tcp://${LOOPBACK}:${connection[`${channel}_port`]}`);
      void this.receiveLoop(channel);
    }
  }

  static async start(options: StartOptions): Promise<KernelProcess> {
    if (options.argv.length === 0) throw new Error('KernelProcess.start: empty argv');
    const connection = await newConnectionInfo(options.kernelName);
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'kernel-client-'));
    const connectionFile = path.join(dir, 'kernel.json');
    await fs.promises.writeFile(connectionFile, JSON.stringify(connection, null, 2), { mode: 0o600 });
    const argv = options.argv.map((arg) => arg.split('{connection_file}').join(connectionFile));
    const spawnedAt = performance.now();
    // Its own process group, like jupyter_client does, so an interrupt reaches a kernel started through a wrapper.
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const kernel = new KernelProcess(child, connection, connectionFile, spawnedAt, options.requestTimeoutMs ?? 30_000);
    try {
      await kernel.waitUntilReady(options.startTimeoutMs ?? 60_000);
    } catch (err) {
      await kernel.close();
      throw err;
    }
    return kernel;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Null while the process runs (and when it was killed by a signal: see `exitSignal`). */
  get exitCode(): number | null {
    return this.exitInfo?.code ?? null;
  }

  get exitSignal(): NodeJS.Signals | null {
    return this.exitInfo?.signal ?? null;
  }

  get hasExited(): boolean {
    return this.exitInfo !== null;
  }

  /** The last few KB the kernel wrote to its real stderr (not the iopub stream). */
  get stderr(): string {
    return this.stderrTail;
  }

  get stdout(): string {
    return this.stdoutTail;
  }

  on(event: 'iopub' | 'stdin', listener: Listener): () => void {
    this.listeners[event].add(listener);
    return () => this.off(event, listener);
  }

  off(event: 'iopub' | 'stdin', listener: Listener): void {
    this.listeners[event].delete(listener);
  }

  /** Sends a request and returns its msg_id without waiting; pair with `waitForReply`. */
  send(channel: RequestChannel, msgType: string, content: Content, options: RequestOptions = {}, parent: Partial<MessageHeader> = {}): string {
    this.assertOpen(`${msgType}`);
    const header = this.codec.newHeader(msgType);
    const frames = this.codec.encode(header, parent, content, options.metadata, options.buffers);
    // zeromq v6 allows one pending send per socket; a second concurrent one fails with EBUSY.
    const previous = this.sendChains.get(channel) ?? Promise.resolve();
    const next = previous.then(() => this.sockets[channel].send(frames)).catch((err: Error) => {
      if (!this.closed) this.failOne(header.msg_id, new KernelClientError(`could not send ${msgType} on ${channel}: ${err.message}`));
    });
    this.sendChains.set(channel, next);
    return header.msg_id;
  }

  /** Waits for the reply whose parent is `msgId`. Registered synchronously, so no reply can be missed. */
  waitForReply(msgId: string, msgType: string, channel: RequestChannel, timeoutMs = this.defaultTimeoutMs): Promise<JupyterMessage> {
    const expectedType = msgType.replace(/_request$/, '_reply');
    const description = `${expectedType} to ${msgType} ${msgId.slice(0, 8)} on ${channel}`;
    return new Promise<JupyterMessage>((resolve, reject) => {
      if (this.exitInfo) {
        reject(new KernelClientError(`kernel process already exited (${describeExit(this.exitInfo.code, this.exitInfo.signal)}) before ${description}${this.lastStderrLine()}`));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        reject(new KernelClientError(`timed out after ${timeoutMs} ms waiting for ${description}${this.lastStderrLine()}`));
      }, timeoutMs);
      this.pending.set(msgId, { description, expectedType, resolve, reject, timer });
    });
  }

  async request(channel: RequestChannel, msgType: string, content: Content = {}, options: RequestOptions = {}): Promise<JupyterMessage> {
    const msgId = this.send(channel, msgType, content, options);
    return this.waitForReply(msgId, msgType, channel, options.timeoutMs);
  }

  /** Runs a cell: execute_reply plus every iopub message for it through status idle, both within one timeout. */
  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const msgId = this.send('shell', 'execute_request', {
      code,
      silent: options.silent ?? false,
      store_history: options.storeHistory ?? true,
      user_expressions: options.userExpressions ?? {},
      allow_stdin: options.allowStdin ?? false,
      stop_on_error: options.stopOnError ?? true,
    });
    const [reply, iopub] = await Promise.all([
      this.waitForReply(msgId, 'execute_request', 'shell', timeoutMs),
      this.iopubFor(msgId, { timeoutMs, requestType: 'execute_request' }),
    ]);
    return { reply, iopub, stdout: streamText(iopub, 'stdout'), stderr: streamText(iopub, 'stderr') };
  }

  /**
   * The iopub messages whose parent is `msgId`, through the first one that satisfies `until` (default: status idle),
   * including those that arrived before this call.
   */
  iopubFor(msgId: string, options: { timeoutMs?: number; requestType?: string; until?: (msg: JupyterMessage) => boolean } = {}): Promise<JupyterMessage[]> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const done = options.until ?? isIdleStatus;
    const description = `iopub ${options.until ? 'message' : 'status idle'} for ${options.requestType ?? 'request'} ${msgId.slice(0, 8)}`;
    const buffered = this.iopubByParent.get(msgId) ?? [];
    const finishedAt = buffered.findIndex(done);
    if (finishedAt >= 0) {
      this.iopubByParent.delete(msgId);
      return Promise.resolve(buffered.slice(0, finishedAt + 1));
    }
    if (this.iopubWaiters.has(msgId)) return Promise.reject(new Error(`two waiters for ${description}`));
    return new Promise<JupyterMessage[]>((resolve, reject) => {
      if (this.exitInfo) {
        reject(new KernelClientError(`kernel process already exited before ${description}${this.lastStderrLine()}`));
        return;
      }
      const timer = setTimeout(() => {
        this.iopubWaiters.delete(msgId);
        const seen = (this.iopubByParent.get(msgId) ?? []).map(describeIopub).join(', ') || 'nothing';
        reject(new KernelClientError(`timed out after ${timeoutMs} ms waiting for ${description} (got: ${seen})${this.lastStderrLine()}`));
      }, timeoutMs);
      this.iopubWaiters.set(msgId, { description, done, resolve, reject, timer });
    });
  }

  /** Interrupt as `interrupt_mode: "signal"` kernels expect: SIGINT to the kernel's process group. */
  async interrupt(): Promise<void> {
    this.assertOpen('interrupt');
    if (this.exitInfo || this.child.pid === undefined) throw new KernelClientError('cannot interrupt: kernel process has exited');
    signalGroup(this.child.pid, 'SIGINT');
  }

  /** Interrupt as `interrupt_mode: "message"` kernels expect: interrupt_request on the control channel. */
  interruptRequest(timeoutMs?: number): Promise<JupyterMessage> {
    return this.request('control', 'interrupt_request', {}, { timeoutMs });
  }

  /** Sends an input_reply to an input_request that arrived on stdin (see `on('stdin', ...)`). */
  replyToInput(inputRequest: JupyterMessage, value: string): void {
    this.send('stdin', 'input_reply', { value }, {}, inputRequest.header);
  }

  /** One ping on a fresh REQ socket, so a lost echo cannot wedge a shared socket in the wrong state. */
  async heartbeat(timeoutMs = 5_000): Promise<boolean> {
    this.assertOpen('heartbeat');
    const socket = new zmq.Request({ linger: 0, receiveTimeout: timeoutMs, sendTimeout: timeoutMs });
    try {
      socket.connect(`tcp://${LOOPBACK}:${this.connection.hb_port}`);
      const ping = crypto.randomBytes(8);
      await socket.send(ping);
      const [echo] = await socket.receive();
      return echo.equals(ping);
    } catch {
      return false;
    } finally {
      socket.close();
    }
  }

  /**
   * shutdown_request on control, then waits for the process to exit; SIGKILLs its group if it does not in time.
   * Always releases sockets and the connection file.
   */
  async shutdown(options: { restart?: boolean; timeoutMs?: number } = {}): Promise<ShutdownResult> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    let reply: JupyterMessage | undefined;
    let replyError: string | undefined;
    if (!this.exitInfo && !this.closed) {
      try {
        reply = await this.request('control', 'shutdown_request', { restart: options.restart ?? false }, { timeoutMs });
      } catch (err) {
        replyError = (err as Error).message;
      }
    }
    const exitedInTime = await this.waitForExit(timeoutMs);
    if (!exitedInTime) {
      this.killNow();
      if (!(await this.waitForExit(5_000))) throw new KernelClientError(`kernel pid ${this.pid} still running 5000 ms after SIGKILL`);
    }
    await this.close();
    return { reply, replyError, exitCode: this.exitCode, signalCode: this.exitSignal, forcedKill: !exitedInTime };
  }

  /** Resolves true once the process has exited, false if it is still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (this.exitInfo) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([this.exited.then(() => true), timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** Kills the process group if still running, closes sockets, removes the connection file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.exitInfo) {
      this.killNow();
      await this.waitForExit(5_000);
    }
    this.closed = true;
    this.failAll((what) => new KernelClientError(`kernel client closed while waiting for ${what}`));
    for (const socket of Object.values(this.sockets)) socket.close();
    await fs.promises.rm(path.dirname(this.connectionFile), { recursive: true, force: true });
    untrackKernel(this);
  }

  /** Synchronous SIGKILL of the kernel's process group. */
  killNow(): void {
    if (this.exitInfo || this.child.pid === undefined) return;
    signalGroup(this.child.pid, 'SIGKILL');
  }

  /** close() for when this process is about to die and nothing async will run any more. */
  abandon(): void {
    this.killNow();
    fs.rmSync(path.dirname(this.connectionFile), { recursive: true, force: true });
  }

  // -------------------------------------------------------------------------------------------------------------

  /**
   * Repeats kernel_info_request until one is answered on shell and its status also shows up on iopub: a subscriber
   * only receives what is published after its subscription reaches the kernel, so the first replies can come before
   * iopub works.
   */
  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const remaining = Math.round(deadline - performance.now());
      if (remaining <= 0) throw new KernelClientError(`kernel answered kernel_info_request but no status for it reached iopub within ${timeoutMs} ms of start${this.lastStderrLine()}`);
      const msgId = this.send('shell', 'kernel_info_request', {});
      let reply: JupyterMessage;
      try {
        reply = await this.waitForReply(msgId, 'kernel_info_request', 'shell', remaining);
      } catch (err) {
        if (this.exitInfo) throw err;
        throw new KernelClientError(`no kernel_info_reply within ${timeoutMs} ms of start (kernel pid ${this.pid} still running)${this.lastStderrLine()}`);
      }
      if (Number.isNaN(this.startupMs)) {
        this.startupMs = performance.now() - this.spawnedAt;
        this.kernelInfo = reply.content;
      }
      try {
        await this.iopubFor(msgId, { timeoutMs: Math.min(IOPUB_PROBE_MS, remaining), requestType: 'kernel_info_request', until: (m) => m.header.msg_type === 'status' });
        return;
      } catch (err) {
        if (this.exitInfo) throw err;
      }
    }
  }

  private async receiveLoop(channel: Channel): Promise<void> {
    try {
      for await (const frames of this.sockets[channel]) {
        let msg: JupyterMessage;
        try {
          msg = this.codec.decode(frames, channel);
        } catch (err) {
          this.protocolViolation(err as Error);
          continue;
        }
        if (channel === 'iopub') this.onIopub(msg);
        else if (channel === 'stdin' && msg.header.msg_type === 'input_request') this.emit('stdin', msg);
        else this.onReply(msg);
      }
    } catch (err) {
      // The iterator ends quietly on close; anything else is a socket failure worth failing waiters for.
      if (!this.closed) this.failAll((what) => new KernelClientError(`${channel} socket failed (${(err as Error).message}) while waiting for ${what}`));
    }
  }

  private onReply(msg: JupyterMessage): void {
    const parentId = msg.parent_header.msg_id;
    const waiter = parentId === undefined ? undefined : this.pending.get(parentId);
    if (!waiter || parentId === undefined) {
      this.strayReplies.push(msg);
      if (this.strayReplies.length > 100) this.strayReplies.shift();
      return;
    }
    this.pending.delete(parentId);
    clearTimeout(waiter.timer);
    if (msg.header.msg_type !== waiter.expectedType) {
      const err = new ProtocolError(`wrong reply type: got ${msg.header.msg_type} on ${msg.channel}, want ${waiter.description}`);
      this.protocolErrors.push(err);
      waiter.reject(err);
      return;
    }
    waiter.resolve(msg);
  }

  private onIopub(msg: JupyterMessage): void {
    this.emit('iopub', msg);
    const parentId = msg.parent_header.msg_id;
    if (parentId === undefined) return;
    let list = this.iopubByParent.get(parentId);
    if (!list) {
      list = [];
      this.iopubByParent.set(parentId, list);
      if (this.iopubByParent.size > MAX_BUFFERED_PARENTS) {
        const oldest = this.iopubByParent.keys().next().value as string;
        if (!this.iopubWaiters.has(oldest)) this.iopubByParent.delete(oldest);
      }
    }
    list.push(msg);
    // A cell that keeps printing after its idle (tslab forwards late output to the last cell) must not grow this forever.
    if (list.length > MAX_BUFFERED_PER_PARENT) list.shift();
    const waiter = this.iopubWaiters.get(parentId);
    if (waiter && waiter.done(msg)) {
      this.iopubWaiters.delete(parentId);
      this.iopubByParent.delete(parentId);
      clearTimeout(waiter.timer);
      waiter.resolve(list);
    }
  }

  private emit(event: 'iopub' | 'stdin', msg: JupyterMessage): void {
    for (const listener of this.listeners[event]) listener(msg);
  }

  private protocolViolation(err: Error): void {
    const violation = err instanceof ProtocolError ? err : new ProtocolError(err.message);
    this.protocolErrors.push(violation);
    this.failAll((what) => new ProtocolError(`${violation.message} (while waiting for ${what})`));
  }

  private failOne(msgId: string, err: Error): void {
    const waiter = this.pending.get(msgId);
    if (!waiter) return;
    this.pending.delete(msgId);
    clearTimeout(waiter.timer);
    waiter.reject(err);
  }

  private failAll(errorFor: (what: string) => Error): void {
    for (const [msgId, waiter] of this.pending) {
      this.pending.delete(msgId);
      clearTimeout(waiter.timer);
      waiter.reject(errorFor(waiter.description));
    }
    for (const [msgId, waiter] of this.iopubWaiters) {
      this.iopubWaiters.delete(msgId);
      clearTimeout(waiter.timer);
      waiter.reject(errorFor(waiter.description));
    }
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new KernelClientError(`${what} on a closed kernel client`);
  }

  private lastStderrLine(): string {
    const lines = this.stderrTail.split('\n').map((line) => line.trim()).filter(Boolean);
    const last = lines[lines.length - 1];
    return last ? ` | kernel stderr: ${JSON.stringify(last.slice(0, 200))}` : '';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // No group (the child has left it, or it was never created): signal the process itself.
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

function keepTail(text: string): string {
  return text.length > TAIL_BYTES ? text.slice(-TAIL_BYTES) : text;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal ${signal}`;
  return code === null ? 'spawn failed' : `code ${code}`;
}

export function isIdleStatus(msg: JupyterMessage): boolean {
  return msg.header.msg_type === 'status' && msg.content.execution_state === 'idle';
}

function describeIopub(msg: JupyterMessage): string {
  return msg.header.msg_type === 'status' ? `status ${String(msg.content.execution_state)}` : msg.header.msg_type;
}

export function streamText(iopub: JupyterMessage[], name: 'stdout' | 'stderr'): string {
  return iopub
    .filter((msg) => msg.header.msg_type === 'stream' && msg.content.name === name)
    .map((msg) => String(msg.content.text))
    .join('');
}

/** The `text/plain` of every execute_result and display_data, for "did the value show up" assertions. */
export function displayedText(iopub: JupyterMessage[]): string[] {
  return iopub
    .filter((msg) => msg.header.msg_type === 'execute_result' || msg.header.msg_type === 'display_data')
    .map((msg) => String((msg.content.data as Record<string, unknown> | undefined)?.['text/plain'] ?? ''));
}
