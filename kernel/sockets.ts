/**
 * The kernel's five ZeroMQ sockets, bound as the connection file says. zeromq.js allows one pending send per
 * socket, so every socket's sends go through a queue of their own.
 */
import * as zmq from 'zeromq';

export interface ConnectionInfo {
  transport: string;
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

export class SerialSender {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly socket: zmq.Writable<zmq.MessageLike[]>) {}

  send(frames: Buffer[]): Promise<void> {
    const next = this.tail.then(() => this.socket.send(frames));
    // A failed send (a closing socket) must not block every later one.
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class KernelSockets {
  readonly shell = new zmq.Router();
  readonly control = new zmq.Router();
  readonly stdin = new zmq.Router();
  readonly iopub = new zmq.Publisher();
  readonly hb = new zmq.Reply();
  readonly shellOut = new SerialSender(this.shell);
  readonly controlOut = new SerialSender(this.control);
  readonly iopubOut = new SerialSender(this.iopub);

  constructor(private readonly info: ConnectionInfo) {
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) s.linger = 0;
  }

  async bind(): Promise<void> {
    const address = (port: number) => `${this.info.transport}://${this.info.ip}:${port}`;
    await Promise.all([
      this.shell.bind(address(this.info.shell_port)),
      this.control.bind(address(this.info.control_port)),
      this.stdin.bind(address(this.info.stdin_port)),
      this.iopub.bind(address(this.info.iopub_port)),
      this.hb.bind(address(this.info.hb_port)),
    ]);
    void this.echoHeartbeats();
  }

  close(): void {
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) if (!s.closed) s.close();
  }

  private async echoHeartbeats(): Promise<void> {
    try {
      for await (const frames of this.hb) await this.hb.send(frames);
    } catch {
      // the socket was closed on shutdown
    }
  }
}
