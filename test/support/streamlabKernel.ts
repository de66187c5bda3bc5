/** Test support: the real streamlab kernel process, started the way Jupyter starts it (its kernelspec argv). */
import path from 'node:path';
import { KernelProcess, JupyterMessage } from './kernelClient';
import { kernelSpec } from '../../kernel/install';

export function streamlabArgv(): string[] {
  return kernelSpec(path.join(__dirname, '..', '..', 'kernel', 'main.js')).argv;
}

export function startStreamlabKernel(env: Record<string, string> = {}): Promise<KernelProcess> {
  return KernelProcess.start({ argv: streamlabArgv(), env, startTimeoutMs: 30_000, requestTimeoutMs: 60_000 });
}

export function messagesOfType(iopub: JupyterMessage[], type: string): JupyterMessage[] {
  return iopub.filter((m) => m.header.msg_type === type);
}

/** The one error output of a cell (and the reply agrees with it). */
export function errorOf(result: { reply: JupyterMessage; iopub: JupyterMessage[] }): { ename: string; evalue: string; traceback: string[] } {
  const errors = messagesOfType(result.iopub, 'error');
  if (errors.length !== 1 || result.reply.content.status !== 'error') {
    throw new Error(`expected one error, got status ${String(result.reply.content.status)} and ${errors.length} error outputs`);
  }
  return errors[0]!.content as { ename: string; evalue: string; traceback: string[] };
}

export function resultData(result: { iopub: JupyterMessage[] }): Record<string, unknown> {
  const results = messagesOfType(result.iopub, 'execute_result');
  if (results.length !== 1) throw new Error(`expected one execute_result, got ${results.length}`);
  return results[0]!.content.data as Record<string, unknown>;
}

/** The comm_msg data the kernel sends on one comm, in order, as a queue a test awaits. */
export function collectComm(k: KernelProcess, commId: string) {
  const queue: Record<string, unknown>[] = [];
  const waiters: ((d: Record<string, unknown>) => void)[] = [];
  const off = k.on('iopub', (m) => {
    if (m.header.msg_type !== 'comm_msg' || m.content.comm_id !== commId) return;
    const w = waiters.shift();
    if (w) w(m.content.data);
    else queue.push(m.content.data);
  });
  return {
    next: (timeoutMs = 15_000) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const ready = queue.shift();
        if (ready) return resolve(ready);
        const timer = setTimeout(() => reject(new Error(`no comm_msg on ${commId} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((d) => {
          clearTimeout(timer);
          resolve(d);
        });
      }),
    stop: off,
  };
}
