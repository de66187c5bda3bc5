/** streamlab's JupyterLab extension: live charts, ticking tables, the Streams panel, and status lines. */
import { chartsPlugin } from './charts/plugin';
import { streamsPlugin } from './streams/plugin';
import { tablesPlugin } from './tables/plugin';
import { statusPlugin } from './status/plugin';

export default [chartsPlugin, tablesPlugin, streamsPlugin, statusPlugin];
