/**
 * The Streams panel's link to one kernel: a comm to its `streamlab.streams` target, watched (the kernel sends the
 * streams about once a second) only while the panel is visible, and reopened when the kernel restarts or the
 * notebook changes kernels. Listeners get every message; a kernel that is not streamlab closes the comm at once.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { ISessionContext } from '@jupyterlab/apputils';
import { STREAMS_COMM_TARGET } from '../../../protocol/messages';
import type { StreamsMessage, StreamsRequest } from '../../../protocol/messages';

export type LinkState = 'connecting' | 'connected' | 'not-streamlab' | 'no-kernel';

export class KernelStreams {
  private comm: Kernel.IComm | undefined;
  private kernel: Kernel.IKernelConnection | null = null;
  private watching = false;
  private disposed = false;
  state: LinkState = 'connecting';

  constructor(
    private readonly context: ISessionContext,
    private readonly onMessage: (m: StreamsMessage) => void,
    private readonly onState: (s: LinkState) => void,
  ) {
    context.kernelChanged.connect(this.reconnect, this);
    context.statusChanged.connect(this.onStatus, this);
    this.reconnect();
  }

  get name(): string {
    return this.context.path.split('/').pop() ?? this.context.path;
  }

  /** Watch (while the panel shows) or not. */
  watch(on: boolean): void {
    this.watching = on;
    this.send(on ? { request: 'watch', intervalMs: 1000 } : { request: 'unwatch' });
    if (on) this.send({ request: 'topics' });
  }

  send(request: StreamsRequest): void {
    if (!this.comm || this.comm.isDisposed) return;
    try {
      this.comm.send(request as unknown as Parameters<Kernel.IComm['send']>[0]);
    } catch {
      this.drop();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.context.kernelChanged.disconnect(this.reconnect, this);
    this.context.statusChanged.disconnect(this.onStatus, this);
    this.drop(true);
  }

  private onStatus(_: ISessionContext, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') this.drop();
    else if (status === 'idle' && !this.comm) this.reconnect();
  }

  private reconnect(): void {
    if (this.disposed) return;
    this.drop(true);
    this.kernel = this.context.session?.kernel ?? null;
    if (!this.kernel) return this.setState('no-kernel');
    this.setState('connecting');
    const comm = this.kernel.createComm(STREAMS_COMM_TARGET);
    this.comm = comm;
    comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => {
      if (this.state !== 'connected') this.setState('connected');
      this.onMessage(msg.content.data as unknown as StreamsMessage);
    };
    comm.onClose = () => {
      if (this.comm !== comm) return;
      this.comm = undefined;
      // Closed straight back: this kernel has no streamlab target.
      this.setState(this.state === 'connecting' ? 'not-streamlab' : 'connecting');
    };
    try {
      comm.open({});
    } catch {
      this.comm = undefined;
      return this.setState('no-kernel');
    }
    if (this.watching) this.watch(true);
  }

  private drop(quiet = false): void {
    const comm = this.comm;
    this.comm = undefined;
    if (comm && !comm.isDisposed) {
      try {
        comm.close();
      } catch {
        // the kernel went away first
      }
    }
    if (!quiet) this.setState('connecting');
  }

  private setState(s: LinkState): void {
    this.state = s;
    this.onState(s);
  }
}
