/** plotly.js is loaded on the first chart, as its own chunk, so JupyterLab starts no slower for it. */
export type Plotly = typeof import('plotly.js-dist-min');

let loading: Promise<Plotly> | undefined;

export function loadPlotly(): Promise<Plotly> {
  loading ??= import(/* webpackChunkName: "plotly" */ 'plotly.js-dist-min').then((m) => ((m as { default?: Plotly }).default ?? m) as Plotly);
  return loading;
}
