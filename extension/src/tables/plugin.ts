/** Sortable grids for streamlab's tables, ahead of the HTML table the same output carries for other frontends. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TABLE_MIME } from '../../../protocol/messages';
import { TableWidget } from './tableWidget';

export const tablesPlugin: JupyterFrontEndPlugin<void> = {
  id: '@streamlab/jupyterlab:tables',
  description: 'Sortable, ticking grids for tables from the streamlab kernel.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  activate: (_app: JupyterFrontEnd, rendermime: IRenderMimeRegistry) => {
    // Safe: it shows values as text and runs nothing, so it renders in untrusted (reopened, shared) notebooks too.
    rendermime.addFactory({ safe: true, mimeTypes: [TABLE_MIME], defaultRank: 0, createRenderer: (options) => new TableWidget(options) }, 0);
  },
};
