/** Live streamlab charts: a renderer for the chart MIME type, streaming from the notebook's kernel. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { INotebookTracker } from '@jupyterlab/notebook';
import { CHART_MIME, PLOTLY_MIME } from '../../../protocol/messages';
import { ChartHost } from './chartHost';
import { ChartWidget } from './chartWidget';
import { PlotlyFigureWidget } from './plotlyFigureWidget';

export const chartsPlugin: JupyterFrontEndPlugin<void> = {
  id: '@streamlab/jupyterlab:charts',
  description: 'Live streaming charts from the streamlab kernel.',
  autoStart: true,
  requires: [IRenderMimeRegistry, INotebookTracker],
  activate: (_app: JupyterFrontEnd, rendermime: IRenderMimeRegistry, notebooks: INotebookTracker) => {
    const host = new ChartHost(notebooks);
    // Rank 0: ahead of the static fallbacks (plotly JSON, SVG, PNG) the same output carries. Safe: it draws data,
    // never runs code from the output, so it renders in untrusted (reopened, shared) notebooks too.
    rendermime.addFactory({ safe: true, mimeTypes: [CHART_MIME], defaultRank: 0, createRenderer: (options) => new ChartWidget(options, host) }, 0);
    // Plain plotly JSON (static figures), ahead of the SVG and PNG images that may come with it.
    if (!rendermime.mimeTypes.includes(PLOTLY_MIME)) {
      rendermime.addFactory({ safe: true, mimeTypes: [PLOTLY_MIME], defaultRank: 1, createRenderer: (options) => new PlotlyFigureWidget(options) }, 1);
    }
  },
};
