/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Live charts in the browser: a real JupyterLab (`streamlab lab`) in headless Chromium, a chart fed from the kernel
 * at a fixed rate over 8 traces with a 5-minute window, measured for a few minutes, against the naive way (the
 * whole plotly figure re-sent through update_display_data on every tick) in the same run; then the same chart at
 * ten times the rate.
 *
 *   node dist/bench/chartBrowser.js [--seconds 300] [--rate 10000] [--high-rate 100000] [--naive-seconds 60]
 *
 * Figures: frames/s the browser painted (the chart's redraw events; plotly_afterplot for the naive figures),
 * kernel send to browser paint latency (p50/p95; streamlab from the chart's acknowledgements, naive from a timestamp in the figure), browser JS heap after a GC at
 * 1 minute and at the end, and the kernel's trivial-cell round trip (p50/p99) while it runs, against the same kernel
 * idle before the chart starts, both sampled alike (one cell at a time, CELL_GAP_MS apart). Without a GPU the
 * browser draws with SVG, as the extension chooses here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { openBrowser, openNotebook, startLab, writeNotebook, Lab, menu, waitForAllCellsRun, shutdownAllKernels, labRss } from '../test/support/lab';
import { AttachedKernel } from './support/attachedKernel';
import { feedCell, liveChartCells, numberFlags, quantile } from './support/chartFeed';

interface PhaseFigures {
  name: string;
  seconds: number;
  framesPerSecond: number;
  latencyP50?: number;
  latencyP95?: number;
  heapAt1MinMB?: number;
  heapAtEndMB?: number;
  cellP50: number;
  cellP99: number;
  pointsShown?: number;
  pointsIn?: number;
  /** The phase ended early: the lab's processes held more memory than the bench allows. */
  collapsedAfter?: number;
  peakLabRssMB: number;
}

/** Trivial cells, idle and under load alike, go one at a time this far apart. */
const CELL_GAP_MS = 150;
const IDLE_CELLS = 200;

/** The naive way can make the Jupyter server buffer gigabytes of figures; past this the phase ends, as collapsed. */
const LAB_RSS_LIMIT = 6 * 1024 ** 3;

async function kernelConnectionFile(lab: Lab, notebook: string): Promise<string> {
  const res = await fetch(`${lab.url}/api/sessions?token=${lab.token}`);
  const sessions = (await res.json()) as { path: string; kernel: { id: string } }[];
  const s = sessions.find((x) => x.path.endsWith(notebook));
  if (!s) throw new Error(`no session for ${notebook}`);
  return path.join(lab.stateDir, 'jupyter', 'runtime', `kernel-${s.kernel.id}.json`);
}

async function heapMB(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  return usedSize / 1048576;
}

/**
 * Counts redraws of every chart on the page: a streamlab chart's own event (its series may be on a canvas, which
 * plotly does not see), and plotly's afterplot for the naive figures, with the latency from the timestamp they carry.
 */
async function instrument(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __paints: number; __latencies: number[] };
    w.__paints = 0;
    w.__latencies = [];
    for (const chart of document.querySelectorAll('.streamlab-chart')) chart.addEventListener('streamlab-chart-drawn', () => w.__paints++);
    for (const gd of document.querySelectorAll('.js-plotly-plot') as NodeListOf<HTMLElement & { on?: (e: string, h: () => void) => void; layout?: { meta?: { sentAt?: number } } }>) {
      if (gd.closest('.streamlab-chart')) continue;
      gd.on?.('plotly_afterplot', () => {
        w.__paints++;
        const sent = gd.layout?.meta?.sentAt;
        if (typeof sent === 'number') w.__latencies.push(Date.now() - sent);
      });
    }
  });
}

/** Paints since the last call; a page too busy to answer in 30 s counts none (the naive way can get there). */
async function paints(page: Page): Promise<{ paints: number; latencies: number[] }> {
  const read = page.evaluate(() => {
    const w = window as unknown as { __paints: number; __latencies: number[] };
    const out = { paints: w.__paints, latencies: w.__latencies.splice(0) };
    w.__paints = 0;
    return out;
  });
  const timeout = new Promise<{ paints: number; latencies: number[] }>((resolve) => setTimeout(() => resolve({ paints: 0, latencies: [] }), 30_000));
  return Promise.race([read, timeout]);
}

/** A trivial cell's round trip; one that gets no reply in 30 s counts as 30 s. */
async function cell(kernel: AttachedKernel): Promise<number> {
  try {
    return await kernel.time('1', 30_000);
  } catch {
    return 30_000;
  }
}

async function runPhase(name: string, lab: Lab, seconds: number, cells: string[], liveChart: boolean): Promise<PhaseFigures> {
  const dir = lab.notebooks;
  const file = `${name}.ipynb`;
  writeNotebook(dir, file, cells);
  const browser = await openBrowser({ width: 1400, height: 900 });
  const { page } = browser;
  const cdp = await page.context().newCDPSession(page);
  try {
    await openNotebook(page, lab, file);
    const kernel = new AttachedKernel(await kernelConnectionFile(lab, file));
    // Idle first: the same kernel before anything streams, sampled as under load (a cell every CELL_GAP_MS).
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) await kernel.time('1');
    for (let i = 0; i < IDLE_CELLS; i++) {
      idle.push(await cell(kernel));
      await new Promise((r) => setTimeout(r, CELL_GAP_MS));
    }
    await menu(page, 'Run', 'Run All Cells');
    await waitForAllCellsRun(page);
    await page.waitForSelector(liveChart ? '.streamlab-chart-plot.js-plotly-plot' : '.streamlab-plotly-figure.js-plotly-plot', { timeout: 60_000 });
    await page.waitForTimeout(2000);
    await instrument(page);
    const busy: number[] = [];
    const latencies: number[] = [];
    let paintsTotal = 0;
    let heap1: number | undefined;
    const started = Date.now();
    let nextReport = started + 30_000;
    let peakRss = 0;
    let collapsedAfter: number | undefined;
    while (Date.now() - started < seconds * 1000) {
      busy.push(await cell(kernel));
      await new Promise((r) => setTimeout(r, CELL_GAP_MS));
      const rss = labRss(lab);
      peakRss = Math.max(peakRss, rss);
      if (rss > LAB_RSS_LIMIT) {
        collapsedAfter = Math.round((Date.now() - started) / 1000);
        process.stderr.write(`  ${name}: the lab's processes hold ${(rss / 1024 ** 3).toFixed(1)} GB after ${collapsedAfter} s: ending the phase\n`);
        break;
      }
      if (heap1 === undefined && Date.now() - started >= 60_000) {
        const p = await paints(page);
        paintsTotal += p.paints;
        latencies.push(...p.latencies);
        heap1 = await heapMB(cdp);
      }
      if (Date.now() > nextReport) {
        process.stderr.write(`  ${name}: ${Math.round((Date.now() - started) / 1000)} s\n`);
        nextReport += 30_000;
      }
    }
    const p = await paints(page);
    paintsTotal += p.paints;
    latencies.push(...p.latencies);
    const elapsed = (Date.now() - started) / 1000;
    const heapEnd = await heapMB(cdp);
    let figures: PhaseFigures = {
      name,
      seconds: Math.round(elapsed),
      framesPerSecond: paintsTotal / elapsed,
      latencyP50: latencies.length ? quantile(latencies, 0.5) : undefined,
      latencyP95: latencies.length ? quantile(latencies, 0.95) : undefined,
      heapAt1MinMB: heap1,
      heapAtEndMB: heapEnd,
      cellP50: quantile(busy, 0.5),
      cellP99: quantile(busy, 0.99),
      collapsedAfter,
      peakLabRssMB: peakRss / 1048576,
    };
    if (liveChart) {
      const read = async (expression: string) => Number(await kernel.evaluate(expression));
      figures = {
        ...figures,
        latencyP50: await read('chart.frontends().latencyP50'),
        latencyP95: await read('chart.frontends().latencyP95'),
        pointsShown: await read('chart.metrics().shown'),
        pointsIn: await read('chart.metrics().pointsIn'),
      };
    }
    await kernel.time('clearInterval((globalThis as any).__feed)', 120_000).catch(() => undefined);
    kernel.close();
    return { ...figures, idleP50: quantile(idle, 0.5), idleP99: quantile(idle, 0.99) } as PhaseFigures & { idleP50: number; idleP99: number };
  } finally {
    await browser.close();
    await shutdownAllKernels(lab);
  }
}

/** The naive way: every tick, the whole 5-minute figure as plotly JSON through update_display_data. */
function naiveCells(rate: number): string[] {
  return [
    [
      "const id = notebook.displayBundle({ 'application/vnd.plotly.v1+json': { data: [], layout: {} } });",
      'const xs: number[][] = Array.from({ length: 8 }, () => []); const ys: number[][] = Array.from({ length: 8 }, () => []);',
      '(globalThis as any).__sink = (rows: { time: number; sensor: string; value: number }[]) => {',
      "  for (const r of rows) { const k = Number(r.sensor.slice(1)); xs[k]!.push(r.time); ys[k]!.push(r.value); }",
      '  const cutoff = Date.now() - 300_000; for (let k = 0; k < 8; k++) { let n = 0; while (n < xs[k]!.length && xs[k]![n]! < cutoff) n++; if (n) { xs[k]!.splice(0, n); ys[k]!.splice(0, n); } }',
      "  notebook.displayBundle({ 'application/vnd.plotly.v1+json': { data: xs.map((x, k) => ({ type: 'scatter', mode: 'lines', name: 's' + k, x, y: ys[k] })), layout: { height: 360, xaxis: { type: 'date' }, meta: { sentAt: Date.now() } } } }, { id, update: true });",
      '};',
    ].join('\n'),
    feedCell(rate),
  ];
}

async function main(): Promise<void> {
  const o = numberFlags(process.argv.slice(2), { seconds: 300, rate: 10_000, highRate: 100_000, naiveSeconds: 60 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-chart-bench-'));
  const lab = await startLab({ notebooks: dir, demo: false });
  // Whatever happens to this process, the lab and its kernels go with it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void lab.stop().finally(() => process.exit(130));
    });
  }
  const results: (PhaseFigures & { idleP50?: number; idleP99?: number })[] = [];
  try {
    process.stderr.write(`chart bench: ${o.rate} points/s for ${o.seconds} s, naive for ${o.naiveSeconds} s, ${o.highRate} points/s for ${o.seconds} s\n`);
    results.push(await runPhase(`streamlab-${o.rate}`, lab, o.seconds, liveChartCells(o.rate), true));
    results.push(await runPhase(`naive-${o.rate}`, lab, o.naiveSeconds, naiveCells(o.rate), false));
    results.push(await runPhase(`streamlab-${o.highRate}`, lab, o.seconds, liveChartCells(o.highRate), true));
  } finally {
    await lab.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const f = (n: number | undefined, d = 0) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));
  console.log('phase                     s   frames/s  lat p50  lat p95  heap@1m  heap@end  cell p50  cell p99  idle p50  idle p99  p99/idle  shown  lab RSS MB');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(22)} ${String(r.seconds).padStart(4)} ${f(r.framesPerSecond, 1).padStart(9)} ${f(r.latencyP50).padStart(8)} ${f(r.latencyP95).padStart(8)} ${f(r.heapAt1MinMB, 1).padStart(8)} ${f(r.heapAtEndMB, 1).padStart(9)} ${f(r.cellP50, 1).padStart(9)} ${f(r.cellP99, 1).padStart(9)} ${f(r.idleP50, 1).padStart(9)} ${f(r.idleP99, 1).padStart(9)} ${f(r.cellP99 / (r.idleP99 ?? NaN), 2).padStart(9)} ${f(r.pointsShown).padStart(6)} ${f(r.peakLabRssMB).padStart(10)}${r.collapsedAfter !== undefined ? `  (collapsed after ${r.collapsedAfter} s)` : ''}`,
    );
  }
  const [live, naive, high] = results;
  if (live && naive) console.log(`streamlab/naive frames/s: ${(live.framesPerSecond / naive.framesPerSecond).toFixed(1)}x; heap growth 1m->end: streamlab ${f(((live.heapAtEndMB! - live.heapAt1MinMB!) / live.heapAt1MinMB!) * 100, 1)} %, naive ${f(((naive.heapAtEndMB! - naive.heapAt1MinMB!) / naive.heapAt1MinMB!) * 100, 1)} %`);
  if (live && high) console.log(`browser cost at ${o.highRate} vs ${o.rate} points/s: frames/s ${(high.framesPerSecond / live.framesPerSecond).toFixed(2)}x, latency p95 ${f(high.latencyP95)} vs ${f(live.latencyP95)} ms`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
