/**
 * A renderer for plotly's own JSON MIME type, so a figure a kernel sends as plain plotly JSON (a streamlab chart's
 * static frame in a notebook reopened elsewhere, or any kernel's plotly output) draws in JupyterLab without a
 * second extension. An update redraws in place (Plotly.react).
 */
import { Widget } from '@lumino/widgets';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { loadPlotly } from './plotlyLoader';

const CONFIG = { responsive: true, displaylogo: false };

export class PlotlyFigureWidget extends Widget implements IRenderMime.IRenderer {
  private plotted = false;

  constructor(private readonly options: IRenderMime.IRendererOptions) {
    super();
    this.addClass('streamlab-plotly-figure');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const figure = model.data[this.options.mimeType] as { data?: object[]; layout?: object; config?: object } | undefined;
    const plotly = await loadPlotly();
    await plotly.react(this.node, figure?.data ?? [], { height: 360, ...(figure?.layout ?? {}) }, { ...CONFIG, ...(figure?.config ?? {}) });
    this.plotted = true;
  }

  protected override onResize(): void {
    if (this.plotted) void loadPlotly().then((p) => p.Plots.resize(this.node));
  }

  override dispose(): void {
    if (this.plotted) void loadPlotly().then((p) => p.purge(this.node));
    super.dispose();
  }
}
