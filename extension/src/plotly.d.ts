/** The parts of plotly.js the renderer uses (plotly.js-dist-min ships no types). */
declare module 'plotly.js-dist-min' {
  export interface PlotlyHTMLElement extends HTMLDivElement {
    on(event: string, handler: (event: any) => void): void;
    removeAllListeners?(event: string): void;
    layout?: Record<string, any>;
    data?: Record<string, any>[];
  }
  export function newPlot(root: HTMLElement, data: object[], layout?: object, config?: object): Promise<PlotlyHTMLElement>;
  export function react(root: HTMLElement, data: object[], layout?: object, config?: object): Promise<PlotlyHTMLElement>;
  export function purge(root: HTMLElement): void;
  export function toImage(root: HTMLElement | object, options: { format: 'png' | 'svg'; width?: number; height?: number; scale?: number }): Promise<string>;
  export const Plots: { resize(root: HTMLElement): void };
}
