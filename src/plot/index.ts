/**
 * Live charts: a chart model fed by streams, windows, scores or code, bounded per trace, decimated to what a plot
 * can show (first/min/max/last per bucket), and streamed to notebook renderers as incremental frames paced by their
 * acknowledgements, with static fallbacks (plotly JSON, SVG, PNG) for every other frontend.
 */
export { LiveChart, ChartOptions, ChartMetrics, CHART_KINDS, SnapshotTrace } from './liveChart';
export { MinMaxGrid, decimateRange, Bucket } from './minMaxGrid';
export { LineTrace } from './lineTrace';
export { chartSvg, pngOf } from './staticImage';
export { plotlyFigure } from './plotlyFigure';
export { CHART_MIME, PLOTLY_MIME, CHART_COMM_TARGET } from '../../protocol/messages';
export type { ChartKind, ChartSpec, ChartStats, FrameMessage, TraceUpdate, ChartToKernel, KernelToChart } from '../../protocol/messages';
