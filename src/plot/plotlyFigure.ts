/**
 * A chart as plotly sees it: the layout, the look of a series and of a marker trace, and the whole figure of a
 * snapshot. The kernel owns the look; the extension's renderer applies these templates to live frames, so a
 * chart looks the same live, in the static fallback, and in the saved image.
 */
import type { ChartSpec } from '../../protocol/messages';
import { plotlyText } from '../../protocol/dataText';
import type { SnapshotTrace } from './liveChart';

export type Json = Record<string, unknown>;

/** plotly's default colorway, named here so the static SVG uses the same colours. */
export const COLORWAY = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
/** Marker traces, one style each in order of appearance: flagged points must stand out from every series colour. */
export const MARKER_STYLES = [
  { color: '#d62728', symbol: 'circle-open' },
  { color: '#111111', symbol: 'x-thin-open' },
  { color: '#9467bd', symbol: 'diamond-open' },
  { color: '#ff7f0e', symbol: 'triangle-up-open' },
];

export function chartLayout(spec: ChartSpec, chartId: string): Json {
  return {
    // Titles may hold field names and keys: plotly reads markup in them, so they go in as text.
    title: spec.title ? { text: plotlyText(spec.title), x: 0.02, xanchor: 'left', font: { size: 15 } } : undefined,
    // The same uirevision on every update keeps a user's zoom and pan (plotly's documented way).
    uirevision: chartId,
    // 'allow': automargin already keeps tick labels inside the figure, and plotly's default check for labels past
    // its div measures every label on every redraw, a seventh of a live frame's fixed cost.
    xaxis: { type: spec.xType, title: { text: plotlyText(spec.xType === 'date' ? `${spec.xTitle} (UTC)` : spec.xTitle) }, automargin: true, ticklabeloverflow: 'allow' },
    yaxis: { title: { text: plotlyText(spec.yTitle) }, automargin: true, zeroline: false, ticklabeloverflow: 'allow' },
    margin: { l: 56, r: 16, t: spec.title ? 40 : 16, b: 48 },
    legend: { orientation: 'h', y: -0.22 },
    showlegend: true,
    bargap: spec.kind === 'hist' ? 0.02 : undefined,
    barmode: spec.kind === 'hist' ? 'overlay' : 'group',
    hovermode: 'closest',
    autosize: true,
    height: 360,
  };
}

export function traceTemplates(spec: ChartSpec): { series: Json; marker: Json; markerStyles: typeof MARKER_STYLES } {
  const series: Json =
    spec.kind === 'bar'
      ? { type: 'bar' }
      : spec.kind === 'hist'
        ? { type: 'bar', opacity: 0.6 }
        : spec.kind === 'scatter'
          ? { type: 'scatter', mode: 'markers', marker: { size: 4 } }
          : // Width 1: without a GPU the browser rasterises SVG in software, and a stroke of at most one pixel takes
            // its fast hairline path; at 1.5 px a dense min/max line cost a fifth of the live frame rate.
            { type: 'scatter', mode: 'lines', line: { width: 1 } };
  const marker: Json = { type: 'scatter', mode: 'markers', marker: { size: 7, line: { width: 1.5 } }, hoverinfo: 'x+y+text', meta: 'marker' };
  return { series, marker, markerStyles: MARKER_STYLES };
}

/** plotly's JSON MIME value for a snapshot: what JupyterLab without the extension, VS Code and nbviewer render. */
export function plotlyFigure(spec: ChartSpec, chartId: string, snapshot: { series: SnapshotTrace[]; markers: SnapshotTrace[] }): Json {
  const t = traceTemplates(spec);
  // plotly puts uids into CSS selectors, so they are plain tokens, not the trace ids (which hold user values).
  const data = [
    ...snapshot.series.map((s, i) => ({ ...t.series, uid: `t${i}`, name: plotlyText(s.name), x: s.x, y: s.y, ...(s.width ? { width: s.width } : {}) })),
    ...snapshot.markers.map((m, i) => ({ ...markerTrace(t.marker, i), uid: `m${i}`, name: plotlyText(m.name), x: m.x, y: m.y, text: m.text?.map(plotlyText) })),
  ];
  return { data, layout: chartLayout(spec, chartId) };
}

/** The marker template in the i-th marker style. */
export function markerTrace(template: Json, i: number): Json {
  const style = MARKER_STYLES[i % MARKER_STYLES.length]!;
  return { ...template, marker: { ...(template.marker as Json), color: style.color, symbol: style.symbol } };
}
