/**
 * A second Jupyter client on a kernel someone else started (JupyterLab's), from its connection file: enough to
 * time trivial cells while the notebook in the browser runs. Uses the tests' wire codec; shell and iopub only.
 */
import fs from 'node:fs';
import crypto from 'node:crypto';
import * as zmq from 'zeromq';
import { ConnectionInfo, JupyterMessage, WireCodec } from '../../test/support/kernelClient';

export class AttachedKernel {
  private readonly codec: WireCodec;
  private readonly shell: zmq.Dealer;
  private readonly iopub: zmq.Subscriber;
  private readonly replies = new Map<string, (m: JupyterMessage) => void>();
  private readonly idles = new Map<string, () => void>();
  private closed = false;

  constructor(connectionFile: string) {
    const info = JSON.parse(fs.readFileSync(connectionFile, 'utf8')) as ConnectionInfo;
    this.codec = new WireCodec(info.key, crypto.randomUUID());
    this.shell = new zmq.Dealer({ linger: 0 });
    this.iopub = new zmq.Subscriber({ linger: 0 });
    this.iopub.subscribe();
    this.shell.connect(`tcp://127.0.0.1:${info.shell_port}`);
    this.iopub.connect(`tcp://127.0.0.1:${info.iopub_port}`);
    void this.loop(this.shell, 'shell');
    void this.loop(this.iopub, 'iopub');
  }

  /** Runs a cell silently; resolves with the round trip (request to reply and idle), ms. */
  async time(code: string, timeoutMs = 30_000): Promise<number> {
    const header = this.codec.newHeader('execute_request');
    const started = performance.now();
    const reply = new Promise<JupyterMessage>((resolve) => this.replies.set(header.msg_id, resolve));
    const idle = new Promise<void>((resolve) => this.idles.set(header.msg_id, resolve));
    await this.shell.send(this.codec.encode(header, {}, { code, silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no reply to '${code}' in ${timeoutMs} ms`)), timeoutMs)));
    try {
      await Promise.race([Promise.all([reply, idle]), timeout]);
    } finally {
      clearTimeout(timer);
      this.replies.delete(header.msg_id);
      this.idles.delete(header.msg_id);
    }
    return performance.now() - started;
  }

  /** Runs a cell and returns its execute_result's text (user_expressions keep it silent elsewhere). */
  async evaluate(expression: string, timeoutMs = 30_000): Promise<string> {
    const header = this.codec.newHeader('execute_request');
    const reply = new Promise<JupyterMessage>((resolve) => this.replies.set(header.msg_id, resolve));
    await this.shell.send(this.codec.encode(header, {}, { code: '', silent: true, store_history: false, user_expressions: { v: expression }, allow_stdin: false, stop_on_error: false }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no reply to '${expression}' in ${timeoutMs} ms`)), timeoutMs)));
    try {
      const m = await Promise.race([reply, timeout]);
      const v = (m.content.user_expressions as Record<string, { status: string; data?: Record<string, string>; evalue?: string }>).v!;
      if (v.status !== 'ok') throw new Error(`${expression}: ${v.evalue}`);
      return v.data!['text/plain']!;
    } finally {
      clearTimeout(timer);
      this.replies.delete(header.msg_id);
    }
  }

  close(): void {
    this.closed = true;
    this.shell.close();
    this.iopub.close();
  }

  private async loop(socket: zmq.Dealer | zmq.Subscriber, channel: 'shell' | 'iopub'): Promise<void> {
    try {
      for await (const frames of socket) {
        let m: JupyterMessage;
        try {
          m = this.codec.decode(frames as Buffer[], channel);
        } catch {
          continue;
        }
        const parent = String(m.parent_header.msg_id ?? '');
        if (channel === 'shell') this.replies.get(parent)?.(m);
        else if (m.header.msg_type === 'status' && m.content.execution_state === 'idle') this.idles.get(parent)?.();
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }
}
