/** The Streams panel in the left sidebar, following the current notebook. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';
import { StreamsPanel } from './streamsPanel';

// A wave over a baseline: a stream.
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24"><path class="jp-icon3" fill="none" stroke="#616161" stroke-width="2" d="M2 12c2.5-6 5-6 7.5 0s5 6 7.5 0 3.5-4 5-3M2 20h20"/></svg>';

export const streamsIcon = new LabIcon({ name: 'streamlab:streams', svgstr: ICON_SVG });

export const streamsPlugin: JupyterFrontEndPlugin<void> = {
  id: '@streamlab/jupyterlab:streams',
  description: 'The Streams panel: what runs in the kernel of the current notebook, and the topics of its cluster.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, notebooks: INotebookTracker, restorer: ILayoutRestorer | null) => {
    const panel = new StreamsPanel(notebooks);
    panel.title.icon = streamsIcon;
    app.shell.add(panel, 'left', { rank: 700 });
    restorer?.add(panel, panel.id);
  },
};
