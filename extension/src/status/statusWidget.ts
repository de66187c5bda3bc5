/**
 * A stream's status line, drawn from its parts (text only, never HTML from the output). A line whose kernel is
 * gone (restarted, shut down, or a notebook reopened on another kernel) reads as ended: a green "running" dot under
 * a cell whose stream no longer exists would be a lie. The kernel that wrote a line is known by its run id, which
 * the live kernel answers in its kernel_info (`streamlab.run`).
 */
import { Widget } from '@lumino/widgets';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { Kernel } from '@jupyterlab/services';
import type { StatusLineData } from '../../../protocol/messages';

const SYMBOL: Record<string, string> = { running: '●', starting: '○', open: '●', paused: '❚❚', reconnecting: '◌', finished: '✓', stopped: '■', closed: '■', failed: '✗', idle: '○' };
/** States of something still going: these are the ones a gone kernel turns into "ended". */
const GOING = new Set(['running', 'starting', 'open', 'paused', 'reconnecting', 'idle']);

/**
 * The run id of each kernel connection's current process, asked once (kernel_info) and forgotten when it restarts:
 * a connection object outlives restarts, and every status line under it would otherwise ask each second.
 */
const runs = new WeakMap<Kernel.IKernelConnection, Promise<string | undefined>>();

function runOf(kernel: Kernel.IKernelConnection): Promise<string | undefined> {
  let run = runs.get(kernel);
  if (!run) {
    run = kernel.requestKernelInfo().then(
      (reply) => (reply?.content as unknown as { streamlab?: { run?: string } } | undefined)?.streamlab?.run,
      () => undefined,
    );
    runs.set(kernel, run);
    const forget = (_: Kernel.IKernelConnection, status: Kernel.Status) => {
      if (status !== 'restarting' && status !== 'autorestarting' && status !== 'dead') return;
      runs.delete(kernel);
      kernel.statusChanged.disconnect(forget);
    };
    kernel.statusChanged.connect(forget);
  }
  return run;
}

export class StatusWidget extends Widget implements IRenderMime.IRenderer {
  private data: StatusLineData | undefined;
  private kernel: Kernel.IKernelConnection | null = null;
  private gone = false;
  /** The line itself, inside the output node JupyterLab classes (selectors and styles look for it there). */
  private readonly line = document.createElement('div');

  constructor(
    private readonly options: IRenderMime.IRendererOptions,
    private readonly kernelOf: (w: Widget) => Kernel.IKernelConnection | null,
  ) {
    super();
    this.line.className = 'streamlab-status';
    this.node.append(this.line);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.data = model.data[this.options.mimeType] as unknown as StatusLineData | undefined;
    this.draw();
    // Attached on first render: the notebook panel holding this output is known only then.
    requestAnimationFrame(() => void this.check());
  }

  protected override onAfterAttach(): void {
    void this.check();
  }

  override dispose(): void {
    this.kernel?.statusChanged.disconnect(this.onKernelStatus, this);
    super.dispose();
  }

  private async check(): Promise<void> {
    const d = this.data;
    if (!d || !GOING.has(d.state) || !this.isAttached) return;
    const kernel = this.kernelOf(this);
    if (kernel !== this.kernel) {
      this.kernel?.statusChanged.disconnect(this.onKernelStatus, this);
      this.kernel = kernel;
      kernel?.statusChanged.connect(this.onKernelStatus, this);
    }
    if (!kernel) return this.setGone(true);
    this.setGone((await runOf(kernel)) !== d.run);
  }

  private onKernelStatus(_: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') this.setGone(true);
  }

  private setGone(gone: boolean): void {
    if (gone === this.gone) return;
    this.gone = gone;
    this.draw();
  }

  private draw(): void {
    const d = this.data;
    if (!d) return;
    const ended = this.gone && GOING.has(d.state);
    const state = ended ? 'ended' : d.state;
    const node = this.line;
    node.dataset.state = state;
    node.replaceChildren();
    const symbol = document.createElement('span');
    symbol.className = 'streamlab-status-symbol';
    symbol.textContent = ended ? '■' : (SYMBOL[d.state] ?? '•');
    const name = document.createElement('b');
    name.textContent = d.name;
    node.append(symbol, ' ', name);
    if (state !== 'running' && state !== 'open') {
      const tag = document.createElement('span');
      tag.className = 'streamlab-status-state';
      tag.textContent = ` [${ended ? 'ended: its kernel is gone' : state}]`;
      node.append(tag);
    }
    node.append(`: ${d.doing}${d.counters.length ? ` · ${d.counters.join(' · ')}` : ''}`);
    if (d.problem) {
      const problem = document.createElement('span');
      problem.className = 'streamlab-status-problem';
      problem.textContent = ` · ${d.problem}`;
      node.append(problem);
    }
    node.title = ended ? 'The kernel that ran this stream has restarted or shut down: it no longer runs. Run the cell again to start it.' : '';
  }
}
