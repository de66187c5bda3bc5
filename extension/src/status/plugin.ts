/** Status lines of streams, which read as ended once the kernel that ran them is gone. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { INotebookTracker } from '@jupyterlab/notebook';
import { STATUS_MIME } from '../../../protocol/messages';
import { StatusWidget } from './statusWidget';

export const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: '@streamlab/jupyterlab:status',
  description: "Stream status lines that know when their kernel is gone.",
  autoStart: true,
  requires: [IRenderMimeRegistry, INotebookTracker],
  activate: (_app: JupyterFrontEnd, rendermime: IRenderMimeRegistry, notebooks: INotebookTracker) => {
    const kernelOf = (w: { node: HTMLElement }) => notebooks.find((panel) => panel.node.contains(w.node))?.sessionContext.session?.kernel ?? null;
    // Safe: it shows text it builds itself, never HTML from the output, so it renders in untrusted notebooks too.
    rendermime.addFactory({ safe: true, mimeTypes: [STATUS_MIME], defaultRank: 0, createRenderer: (options) => new StatusWidget(options, kernelOf) }, 0);
  },
};
