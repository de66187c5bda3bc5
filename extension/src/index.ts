/** streamlab's JupyterLab extension: live charts (the Streams panel comes next). */
import { chartsPlugin } from './charts/plugin';

export default [chartsPlugin];
