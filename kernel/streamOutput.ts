/**
 * Cell code prints with console.log and process.stdout.write; a kernel must send that as stream messages on
 * iopub, attributed to the cell that printed it (or, for background work such as streams, to the last cell
 * run, as IPython does). Writes are coalesced per tick and bounded so a printing loop cannot flood the frontend.
 */
const FLUSH_BYTES = 64 * 1024;

export type StreamName = 'stdout' | 'stderr';
export type StreamSink = (name: StreamName, text: string) => void;

export class StreamOutput {
  private buffers: Record<StreamName, string> = { stdout: '', stderr: '' };
  private scheduled = false;
  private readonly originals: Record<StreamName, typeof process.stdout.write>;
  /** The process's real stderr, for the kernel's own diagnostics (never shown in a notebook). */
  readonly kernelLog: (line: string) => void;

  constructor(private readonly sink: StreamSink) {
    this.originals = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };
    const realStderr = this.originals.stderr;
    this.kernelLog = (line) => void realStderr(`[streamlab kernel] ${line}\n`);
  }

  capture(): void {
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = process[name];
      stream.write = ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown) => {
        this.write(name, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
        if (typeof done === 'function') process.nextTick(done as () => void);
        return true;
      }) as typeof stream.write;
    }
  }

  release(): void {
    this.flush();
    process.stdout.write = this.originals.stdout;
    process.stderr.write = this.originals.stderr;
  }

  write(name: StreamName, text: string): void {
    if (!text) return;
    this.buffers[name] += text;
    if (this.buffers[name].length >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    for (const name of ['stdout', 'stderr'] as const) {
      const text = this.buffers[name];
      if (!text) continue;
      this.buffers[name] = '';
      this.sink(name, text);
    }
  }
}
