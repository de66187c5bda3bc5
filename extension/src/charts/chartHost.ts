/**
 * What chart renderers share in one JupyterLab page: the kernel of the notebook a renderer sits in, the live
 * renderers (so a save can write their last frames), and the page's WebGL budget.
 */
import type { Widget } from '@lumino/widgets';
import type { Kernel } from '@jupyterlab/services';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

/** Something that can write its current frame into its output, synchronously (a save is about to serialise). */
export interface StaticFrameWriter extends Widget {
  writeStaticFrame(): void;
}

/**
 * Browsers cap WebGL contexts per page (about 16 in Chromium; plotly.js#2333) and, without a GPU, WebGL is
 * software-rendered and slower than SVG: measured here, scattergl drew 8 x 2000 points at 3.8 fps where SVG drew
 * 33. So WebGL is used only with hardware acceleration, for traces that need it, and for a few charts a page.
 */
export class WebGlBudget {
  static readonly MAX_CONTEXTS = 8;
  static readonly MIN_POINTS_PER_TRACE = 5000;
  private inUse = 0;
  readonly hardware: boolean;

  constructor() {
    this.hardware = detectHardwareWebGl();
  }

  /** Whether a chart with this many points per trace should draw with WebGL; takes a context when it should. */
  take(pointsPerTrace: number): boolean {
    if (!this.hardware || pointsPerTrace < WebGlBudget.MIN_POINTS_PER_TRACE || this.inUse >= WebGlBudget.MAX_CONTEXTS) return false;
    this.inUse++;
    return true;
  }

  release(): void {
    this.inUse = Math.max(0, this.inUse - 1);
  }
}

function detectHardwareWebGl(): boolean {
  try {
    const canvas = document.createElement('canvas');
    const gl = (canvas.getContext('webgl') ?? canvas.getContext('experimental-webgl')) as WebGLRenderingContext | null;
    if (!gl) return false;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return !/swiftshader|llvmpipe|software|microsoft basic render/i.test(renderer);
  } catch {
    return false;
  }
}

export class ChartHost {
  readonly webgl = new WebGlBudget();
  private readonly live = new Set<StaticFrameWriter>();

  constructor(private readonly notebooks: INotebookTracker) {
    notebooks.widgetAdded.connect((_, panel) => this.watch(panel));
    notebooks.forEach((panel) => this.watch(panel));
  }

  /** The kernel of the notebook holding this widget, if it has one now. */
  kernelFor(widget: Widget): Kernel.IKernelConnection | null {
    const panel = this.panelOf(widget);
    return panel?.sessionContext.session?.kernel ?? null;
  }

  panelOf(widget: Widget): NotebookPanel | null {
    return this.notebooks.find((panel) => panel.node.contains(widget.node)) ?? null;
  }

  add(widget: StaticFrameWriter): void {
    this.live.add(widget);
  }

  remove(widget: StaticFrameWriter): void {
    this.live.delete(widget);
  }

  /**
   * A save serialises the notebook right after emitting 'started', with no chance to wait: each chart in it writes
   * the frame it has (its PNG is at most a few seconds old) so the saved file shows the chart anywhere.
   */
  private watch(panel: NotebookPanel): void {
    panel.context.saveState.connect((_, state) => {
      if (state !== 'started') return;
      for (const w of this.live) if (panel.node.contains(w.node)) w.writeStaticFrame();
    });
  }
}
