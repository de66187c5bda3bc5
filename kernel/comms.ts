/**
 * Jupyter comms: channels between a frontend (the streamlab JupyterLab extension) and objects in the kernel.
 * Frontends open comms to a registered target; kernel code can open comms too. Messages go out on iopub.
 */
import { randomUUID } from 'node:crypto';
import { CommData, OutputComm } from '../src';

export { CommData };

export interface CommOutput {
  send(msgType: 'comm_open' | 'comm_msg' | 'comm_close', content: Record<string, unknown>): void;
}

export class Comm implements OutputComm {
  private messageHandlers: ((data: CommData) => void)[] = [];
  private closeHandlers: ((data: CommData) => void)[] = [];
  closed = false;

  constructor(
    readonly id: string,
    readonly target: string,
    private readonly out: CommOutput,
    private readonly forget: (id: string) => void,
  ) {}

  send(data: CommData): void {
    if (this.closed) return;
    this.out.send('comm_msg', { comm_id: this.id, data });
  }

  close(data: CommData = {}): void {
    if (this.closed) return;
    this.out.send('comm_close', { comm_id: this.id, data });
    this.closedByPeer(data);
  }

  onMessage(handler: (data: CommData) => void): void {
    this.messageHandlers.push(handler);
  }

  onClose(handler: (data: CommData) => void): void {
    this.closeHandlers.push(handler);
  }

  /** @internal */
  received(data: CommData): void {
    for (const h of this.messageHandlers) h(data);
  }

  /** @internal */
  closedByPeer(data: CommData): void {
    if (this.closed && !this.closeHandlers.length) return;
    this.closed = true;
    this.forget(this.id);
    const handlers = this.closeHandlers.splice(0);
    for (const h of handlers) h(data);
  }
}

export type CommTarget = (comm: Comm, data: CommData) => void;

export class CommManager {
  private readonly targets = new Map<string, CommTarget>();
  private readonly comms = new Map<string, Comm>();

  constructor(private readonly out: CommOutput) {}

  registerTarget(name: string, target: CommTarget): void {
    this.targets.set(name, target);
  }

  /** A comm the kernel opens towards the frontend. */
  open(target: string, data: CommData = {}): Comm {
    const comm = this.track(randomUUID(), target);
    this.out.send('comm_open', { comm_id: comm.id, target_name: target, data });
    return comm;
  }

  /** comm_open from the frontend: an unknown target is closed straight back, as the protocol asks. */
  handleOpen(content: { comm_id?: string; target_name?: string; data?: CommData }): void {
    const id = String(content.comm_id ?? '');
    const targetName = String(content.target_name ?? '');
    const target = this.targets.get(targetName);
    if (!id || !target) {
      this.out.send('comm_close', { comm_id: id, data: { error: `no comm target '${targetName}' in this kernel` } });
      return;
    }
    target(this.track(id, targetName), content.data ?? {});
  }

  handleMessage(content: { comm_id?: string; data?: CommData }): void {
    this.comms.get(String(content.comm_id))?.received(content.data ?? {});
  }

  handleClose(content: { comm_id?: string; data?: CommData }): void {
    this.comms.get(String(content.comm_id))?.closedByPeer(content.data ?? {});
  }

  info(targetName?: string): Record<string, { target_name: string }> {
    const out: Record<string, { target_name: string }> = {};
    for (const [id, comm] of this.comms) if (!targetName || comm.target === targetName) out[id] = { target_name: comm.target };
    return out;
  }

  closeAll(): void {
    for (const comm of [...this.comms.values()]) comm.close();
  }

  private track(id: string, target: string): Comm {
    const comm = new Comm(id, target, this.out, (gone) => this.comms.delete(gone));
    this.comms.set(id, comm);
    return comm;
  }
}
