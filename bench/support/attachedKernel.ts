/**
 * A second Jupyter client on a kernel someone else started (JupyterLab's), from its connection file: enough to
 * time trivial cells while the notebook in the browser runs. Uses the tests' wire codec, on the shell channel only:
 * a cell's round trip is request to execute_reply. (Subscribing to iopub would mean decoding every output the
 * notebook gets, several MB a second in the naive benchmark, which is slower than the kernel produces them.)
 */
import fs from 'node:fs';
import crypto from 'node:crypto';
import * as zmq from 'zeromq';
import { ConnectionInfo, JupyterMessage, WireCodec } from '../../test/support/kernelClient';

export class AttachedKernel {
  private readonly codec: WireCodec;
  private readonly shell: zmq.Dealer;
  private readonly replies = new Map<string, (m: JupyterMessage) => void>();
  private closed = false;

  constructor(connectionFile: string) {
    const info = JSON.parse(fs.readFileSync(connectionFile, 'utf8')) as ConnectionInfo;
    this.codec = new WireCodec(info.key, crypto.randomUUID());
    this.shell = new zmq.Dealer({ linger: 0 });
    this.shell.connect(`tcp://127.0.0.1:${info.shell_port}`);
    void this.loop();
  }

  /** Runs a cell silently; resolves with the round trip (request to execute_reply), ms. */
  async time(code: string, timeoutMs = 30_000): Promise<number> {
    const header = this.codec.newHeader('execute_request');
    const started = performance.now();
    const reply = new Promise<JupyterMessage>((resolve) => this.replies.set(header.msg_id, resolve));
    await this.shell.send(this.codec.encode(header, {}, { code, silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no reply to '${code}' in ${timeoutMs} ms`)), timeoutMs)));
    try {
      await Promise.race([reply, timeout]);
    } finally {
      clearTimeout(timer);
      this.replies.delete(header.msg_id);
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
  }

  private async loop(): Promise<void> {
    try {
      for await (const frames of this.shell) {
        let m: JupyterMessage;
        try {
          m = this.codec.decode(frames as Buffer[], 'shell');
        } catch {
          continue;
        }
        this.replies.get(String(m.parent_header.msg_id ?? ''))?.(m);
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }
}
