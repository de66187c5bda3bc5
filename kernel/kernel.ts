/**
 * The streamlab Jupyter kernel: answers the Jupyter protocol on its sockets and runs cells (magics expanded to
 * TypeScript, then tslab) in this process, next to the streams the cells started. Streams live in the library's
 * Session; the kernel only routes their output and stops them at shutdown.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ts from '@tslab/typescript-for-tslab';
import { Session, session as defaultSession, mimeBundleOf, MimeBundle, attachNotebookOutput, isShownAbove, PROCESS_RUN } from '../src';
import { Wire, Message, WireError } from './wire';
import { KernelSockets, ConnectionInfo, SerialSender } from './sockets';
import { TypeScriptRunner, CellError } from './typescriptRunner';
import { StreamOutput } from './streamOutput';
import { History, HistoryRequest } from './history';
import { CommManager } from './comms';
import { registerStreamsComm } from './streamsComm';
import { expandCell, expandCellForTooling, isMagicCell, completeMagic, inspectMagic, expandedOffset, MagicError, LIBRARY } from './magics';

type Content = Record<string, unknown>;

export interface KernelOptions {
  connectionFile: string;
  session?: Session;
  /** Where cells resolve relative imports and node_modules (the notebook's directory). */
  rootDir?: string;
}

const DIST_ROOT = path.resolve(__dirname, '..');
const TOPIC_CACHE_MS = 10_000;

export class StreamlabKernel {
  private readonly wire: Wire;
  private readonly sockets: KernelSockets;
  private readonly runner: TypeScriptRunner;
  private readonly output: StreamOutput;
  private readonly history = new History();
  private readonly comms: CommManager;
  private readonly session: Session;
  private executionCount = 0;
  /** The cell output goes to: the running cell, else the last one run (for background streams' messages). */
  private outputParent: Message | undefined;
  private readonly queue: Message[] = [];
  private working = false;
  private prelude: Promise<void> | undefined;
  private topicCache: { at: number; names: string[] } | undefined;
  private shuttingDown = false;

  constructor(options: KernelOptions) {
    const info = JSON.parse(fs.readFileSync(options.connectionFile, 'utf8')) as ConnectionInfo;
    this.wire = new Wire(info.key, info.signature_scheme);
    this.sockets = new KernelSockets(info);
    this.session = options.session ?? defaultSession;
    this.runner = new TypeScriptRunner(options.rootDir ?? process.cwd());
    this.output = new StreamOutput((name, text) => this.publish('stream', { name, text }));
    this.comms = new CommManager({ send: (type, content) => this.publish(type, content) });
  }

  async start(): Promise<void> {
    await this.sockets.bind();
    this.output.capture();
    attachNotebookOutput({
      display: (bundle, id, update) => this.display(bundle, id, update),
      clear: (wait) => this.publish('clear_output', { wait }),
      openComm: (target, data) => this.comms.open(target, data),
      registerCommTarget: (target, handler) => this.comms.registerTarget(target, handler),
    });
    // tslab's own display API (`import * as tslab from 'tslab'; tslab.display.html(...)`) writes through this hook.
    (require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown }).lastWriteDisplayData = (
      data: { data: MimeBundle; transient?: { display_id?: string } },
      update: boolean,
    ) => this.display(data.data, data.transient?.display_id, update);
    registerStreamsComm(this.comms, this.session);
    this.session.onProblem((message) => this.output.write('stderr', `streamlab: ${message}\n`));
    process.on('SIGINT', () => this.interrupt());
    process.on('unhandledRejection', (reason) => this.reportBackgroundError(reason));
    process.on('uncaughtException', (error) => this.reportBackgroundError(error));
    // kernel_info is answered at once; the first cell waits for the library to be imported.
    this.prelude = this.runPrelude();
    void this.serve(this.sockets.shell, this.sockets.shellOut, 'shell');
    void this.serve(this.sockets.control, this.sockets.controlOut, 'control');
  }

  private async runPrelude(): Promise<void> {
    const lib = JSON.stringify(path.join(DIST_ROOT, 'src', 'index'));
    const outcome = await this.runner.run(`import * as ${LIBRARY} from ${lib};\nimport { notebook } from ${lib};`);
    if (!outcome.ok) this.output.kernelLog(`the prelude failed: ${outcome.error.evalue}`);
  }

  private async serve(socket: KernelSockets['shell'], out: SerialSender, channel: 'shell' | 'control'): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: Message;
        try {
          msg = this.wire.decode(frames);
        } catch (e) {
          this.output.kernelLog(`${channel}: dropped a message: ${e instanceof WireError ? e.message : String(e)}`);
          continue;
        }
        void this.dispatch(msg, out, channel).catch((e: unknown) => this.output.kernelLog(`${channel} ${msg.header.msg_type} failed: ${String(e)}`));
      }
    } catch {
      // socket closed at shutdown
    }
  }

  private async dispatch(msg: Message, out: SerialSender, channel: 'shell' | 'control'): Promise<void> {
    const type = msg.header.msg_type;
    if (type === 'execute_request' && channel === 'shell') {
      this.queue.push(msg);
      void this.work(out);
      return;
    }
    this.publish('status', { execution_state: 'busy' }, msg);
    try {
      switch (type) {
        case 'kernel_info_request':
          await this.reply(out, msg, 'kernel_info_reply', this.kernelInfo());
          break;
        case 'is_complete_request':
          await this.reply(out, msg, 'is_complete_reply', this.isComplete(String(msg.content.code ?? '')));
          break;
        case 'complete_request':
          await this.reply(out, msg, 'complete_reply', await this.complete(String(msg.content.code ?? ''), Number(msg.content.cursor_pos ?? 0)));
          break;
        case 'inspect_request':
          await this.reply(out, msg, 'inspect_reply', this.inspect(String(msg.content.code ?? ''), Number(msg.content.cursor_pos ?? 0)));
          break;
        case 'history_request':
          await this.reply(out, msg, 'history_reply', { status: 'ok', history: this.history.query(msg.content as HistoryRequest) });
          break;
        case 'comm_info_request':
          await this.reply(out, msg, 'comm_info_reply', { status: 'ok', comms: this.comms.info(msg.content.target_name as string | undefined) });
          break;
        case 'comm_open':
          this.withParent(msg, () => this.comms.handleOpen(msg.content));
          break;
        case 'comm_msg':
          this.withParent(msg, () => this.comms.handleMessage(msg.content));
          break;
        case 'comm_close':
          this.comms.handleClose(msg.content);
          break;
        case 'interrupt_request':
          this.interrupt();
          await this.reply(out, msg, 'interrupt_reply', { status: 'ok' });
          break;
        case 'shutdown_request':
          await this.shutdown(out, msg);
          return;
        default:
          this.output.kernelLog(`${channel}: no handler for ${type}`);
      }
    } finally {
      // While a cell runs, a request handled beside it (a chart's comm traffic, completion) must not tell the
      // frontend the kernel is idle: JupyterLab shows any idle status as the kernel's. Its idle follows the cell's,
      // as it would from a kernel that handles one shell message at a time.
      if (this.working) this.idleAfterCell.push(msg);
      else this.publish('status', { execution_state: 'idle' }, msg);
    }
  }

  /** Idle statuses of requests handled while a cell ran, published once it ends. */
  private readonly idleAfterCell: Message[] = [];

  /**
   * The stop button: a training ends at its next batch, keeping its best weights, and its cell then finishes with
   * the model bound (as its summary says); anything else running in the cell is interrupted.
   */
  private interrupt(): void {
    if (this.session.interruptTraining().length === 0) this.runner.interrupt();
  }

  /** Runs queued cells one at a time. */
  private async work(out: SerialSender): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      await this.prelude;
      for (let msg = this.queue.shift(); msg; msg = this.queue.shift()) {
        this.publish('status', { execution_state: 'busy' }, msg);
        try {
          const failed = await this.execute(out, msg);
          const c = msg.content as { stop_on_error?: boolean };
          if (failed && c.stop_on_error !== false) await this.abortQueued(out);
        } finally {
          this.publish('status', { execution_state: 'idle' }, msg);
          for (const other of this.idleAfterCell.splice(0)) this.publish('status', { execution_state: 'idle' }, other);
        }
      }
    } finally {
      this.working = false;
      for (const other of this.idleAfterCell.splice(0)) this.publish('status', { execution_state: 'idle' }, other);
    }
  }

  /** Returns true when the cell failed. */
  private async execute(out: SerialSender, msg: Message): Promise<boolean> {
    const c = msg.content as { code?: string; silent?: boolean; store_history?: boolean; user_expressions?: Record<string, string> };
    const code = String(c.code ?? '');
    const silent = c.silent === true;
    const storeHistory = !silent && c.store_history !== false;
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    if (!silent) {
      this.outputParent = msg;
      this.publish('execute_input', { code, execution_count: count }, msg);
    }
    const { error, result, page } = await this.runCell(code, count, msg, silent);
    this.output.flush();
    if (storeHistory) this.history.add(count, code, result);
    if (error && !silent) this.publish('error', { ...error }, msg);
    const userExpressions = error ? {} : await this.evaluateUserExpressions(c.user_expressions ?? {});
    await this.reply(
      out,
      msg,
      'execute_reply',
      error
        ? { status: 'error', execution_count: count, ...error }
        : { status: 'ok', execution_count: count, user_expressions: userExpressions, payload: page === undefined ? [] : [{ source: 'page', data: { 'text/plain': page }, start: 0 }] },
    );
    return error !== undefined;
  }

  /** Runs one cell; `result` is the text of its value (for history), `page` help text for the pager. */
  private async runCell(code: string, count: number, msg: Message, silent: boolean): Promise<{ error?: CellError; result?: string; page?: string }> {
    let expanded;
    try {
      expanded = expandCell(code);
    } catch (e) {
      if (e instanceof MagicError) return { error: { ename: 'UsageError', evalue: e.message, traceback: [`UsageError: ${e.message}`] } };
      throw e;
    }
    // Help goes to the pager, as IPython's `?` does: JupyterLab shows it below the cell, or in its pager.
    if (expanded.help !== undefined) return { page: expanded.help };
    if (expanded.explain !== undefined) {
      const bundle: MimeBundle = { 'text/plain': expanded.explain, 'text/markdown': '```typescript\n' + expanded.explain + '\n```' };
      if (!silent) this.publish('display_data', { data: bundle, metadata: {}, transient: {} }, msg);
      return {};
    }
    const outcome = await this.runner.run(expanded.code, code);
    if (!outcome.ok) return { error: outcome.error };
    if (!outcome.hasValue || isShownAbove(outcome.value)) return {};
    const data = safeBundle(outcome.value);
    if (!silent) {
      this.output.flush();
      this.publish('execute_result', { execution_count: count, data, metadata: {} }, msg);
    }
    return { result: String(data['text/plain'] ?? '') };
  }

  private async evaluateUserExpressions(expressions: Record<string, string>): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [name, expression] of Object.entries(expressions)) {
      const outcome = await this.runner.run(String(expression));
      out[name] = outcome.ok
        ? { status: 'ok', data: outcome.hasValue ? safeBundle(outcome.value) : { 'text/plain': 'undefined' }, metadata: {} }
        : { status: 'error', ...outcome.error };
    }
    return out;
  }

  private async abortQueued(out: SerialSender): Promise<void> {
    for (let msg = this.queue.shift(); msg; msg = this.queue.shift()) {
      this.publish('status', { execution_state: 'busy' }, msg);
      await this.reply(out, msg, 'execute_reply', { status: 'aborted', execution_count: this.executionCount });
      this.publish('status', { execution_state: 'idle' }, msg);
    }
  }

  private kernelInfo(): Content {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require(path.join(DIST_ROOT, '..', 'package.json')) as { version: string };
    return {
      status: 'ok',
      protocol_version: '5.3',
      implementation: 'streamlab',
      implementation_version: pkg.version,
      language_info: {
        name: 'typescript',
        version: ts.version,
        mimetype: 'text/typescript',
        file_extension: '.ts',
        // JupyterLab picks its TypeScript highlighting from `mode`; the classic notebook needs name + typescript.
        codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true },
      },
      banner: `streamlab ${pkg.version}: TypeScript (tslab) with live Kafka streams. %help lists the magics.`,
      help_links: [{ text: 'streamlab magics: run %help', url: 'https://www.npmjs.com/package/streamlab' }],
      // Which kernel process this is: status lines carry it, so the extension can tell those of a gone kernel.
      streamlab: { run: PROCESS_RUN },
    };
  }

  private isComplete(code: string): Content {
    let expanded: string;
    try {
      expanded = expandCell(code).code;
    } catch {
      return { status: 'invalid' };
    }
    return this.runner.isComplete(expanded);
  }

  private async complete(code: string, cursor: number): Promise<Content> {
    const magic = await completeMagic(code, cursor, {
      topics: () => this.topicNames(),
      streams: () => this.session.streams().map((s) => s.name),
    });
    if (magic) return { status: 'ok', matches: magic.matches, cursor_start: magic.cursorStart, cursor_end: magic.cursorEnd, metadata: {} };
    // A half-typed magic on another line must not stop TypeScript completion on this one.
    const expanded = expandCellForTooling(code);
    const at = expandedOffset(code, cursor);
    const found = this.runner.complete(expanded, at);
    return { status: 'ok', matches: found.matches, cursor_start: cursor - (at - found.start), cursor_end: cursor + (found.end - at), metadata: {} };
  }

  private inspect(code: string, cursor: number): Content {
    let text = inspectMagic(code, cursor);
    if (text === undefined && !isMagicLineAt(code, cursor)) {
      text = this.runner.inspect(expandCellForTooling(code), expandedOffset(code, cursor));
    }
    return text === undefined ? { status: 'ok', found: false, data: {}, metadata: {} } : { status: 'ok', found: true, data: { 'text/plain': text }, metadata: {} };
  }

  /** Topic names for completion: only from a cluster already connected, and cached, so typing never waits long. */
  private async topicNames(): Promise<string[]> {
    if (!this.session.connected) return [];
    if (this.topicCache && Date.now() - this.topicCache.at < TOPIC_CACHE_MS) return this.topicCache.names;
    const names = await Promise.race([this.session.topicNames().catch(() => []), new Promise<string[]>((r) => setTimeout(() => r([]), 1500))]);
    this.topicCache = { at: Date.now(), names };
    return names;
  }

  private display(bundle: MimeBundle, displayId: string | undefined, update: boolean): void {
    this.output.flush();
    this.publish(update ? 'update_display_data' : 'display_data', { data: bundle, metadata: {}, transient: displayId ? { display_id: displayId } : {} });
  }

  private reportBackgroundError(reason: unknown): void {
    const e = reason as { name?: string; message?: string };
    this.output.write('stderr', `streamlab: background error (${e?.name ?? 'Error'}): ${e?.message ?? String(reason)}\n`);
  }

  private async shutdown(out: SerialSender, msg: Message): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const restart = msg.content.restart === true;
    await this.reply(out, msg, 'shutdown_reply', { status: 'ok', restart });
    this.publish('status', { execution_state: 'idle' }, msg);
    // Leave every consumer group before exiting, so a restart leaves no member behind on the broker.
    await this.session.close().catch((e: unknown) => this.output.kernelLog(`closing streams: ${String(e)}`));
    this.comms.closeAll();
    this.output.release();
    attachNotebookOutput(undefined);
    // Give the last iopub messages a moment to leave before the sockets close.
    await new Promise((r) => setTimeout(r, 50));
    this.sockets.close();
    this.runner.close();
    process.exit(0);
  }

  private withParent(msg: Message, action: () => void): void {
    const before = this.outputParent;
    this.outputParent = msg;
    try {
      action();
    } finally {
      this.outputParent = before ?? msg;
    }
  }

  private reply(out: SerialSender, parent: Message, type: string, content: Content): Promise<void> {
    return out.send(this.wire.encode(this.wire.create(type, content, parent)));
  }

  private publish(type: string, content: Content, parent?: Message): void {
    const message = this.wire.create(type, content, parent ?? this.outputParent, []);
    void this.sockets.iopubOut.send(this.wire.encode(message)).catch(() => undefined);
  }
}

function isMagicLineAt(code: string, cursor: number): boolean {
  const lineStart = code.lastIndexOf('\n', cursor - 1) + 1;
  return /^\s*%/.test(code.slice(lineStart)) && isMagicCell(code);
}

/** A value's bundle; a value whose display throws still shows as text, never fails the cell. */
function safeBundle(value: unknown): MimeBundle {
  try {
    return mimeBundleOf(value);
  } catch (e) {
    return { 'text/plain': `[display failed: ${(e as Error).message}]` };
  }
}
