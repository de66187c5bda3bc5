/** streamlab's JupyterLab extension: live charts, ticking tables, and the Streams panel. */
import { chartsPlugin } from './charts/plugin';
import { streamsPlugin } from './streams/plugin';
import { tablesPlugin } from './tables/plugin';

export default [chartsPlugin, tablesPlugin, streamsPlugin];
