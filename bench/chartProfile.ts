/// <reference lib="dom" />
/**
 * Where a live chart's frame time goes in the browser: the chart bench's live phase (a real JupyterLab in headless
 * Chromium, 8 traces fed at a fixed rate), with a Chrome trace and a CPU profile of the page for a few seconds.
 * chartBrowser.ts measures how fast; this says why, per thread and per function.
 *
 *   node dist/bench/chartProfile.js [--rate 10000] [--warm 15] [--seconds 5]
 *
 * Prints frames/s, each renderer thread's busy share, the main thread's time per frame by trace event (self time),
 * raster time per frame, and the JavaScript functions with the most self time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CDPSession } from 'playwright-core';
import { liveChartCells, numberFlags } from './support/chartFeed';
import { openBrowser, openNotebook, startLab, writeNotebook, menu, waitForAllCellsRun, shutdownAllKernels } from '../test/support/lab';

interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

async function trace(cdp: CDPSession, ms: number): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as TraceEvent[])));
  const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink,cc', transferMode: 'ReportEvents' });
  await new Promise((r) => setTimeout(r, ms));
  await cdp.send('Tracing.end');
  await done;
  return events;
}

/** Self time of complete events on the threads `keep` selects, by event name (ms). */
function selfTimes(events: TraceEvent[], keep: (thread: string) => boolean, threads: Map<string, string>): Map<string, number> {
  const xs = events.filter((e) => e.ph === 'X' && e.dur !== undefined && keep(threads.get(`${e.pid}:${e.tid}`) ?? '')).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const self = new Map<string, number>();
  const stacks = new Map<string, TraceEvent[]>();
  for (const e of xs) {
    const key = `${e.pid}:${e.tid}`;
    const stack = stacks.get(key) ?? [];
    stacks.set(key, stack);
    while (stack.length && stack[stack.length - 1]!.ts + stack[stack.length - 1]!.dur! <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.dur! / 1000);
    self.set(e.name, (self.get(e.name) ?? 0) + e.dur! / 1000);
    stack.push(e);
  }
  return self;
}

function top<K>(m: Map<K, number>, n: number): [K, number][] {
  return [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

async function main(): Promise<void> {
  const o = numberFlags(process.argv.slice(2), { rate: 10_000, warm: 15, seconds: 5 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-chart-profile-'));
  const lab = await startLab({ notebooks: dir, demo: false });
  try {
    writeNotebook(dir, 'profile.ipynb', liveChartCells(o.rate));
    const browser = await openBrowser({ width: 1400, height: 900 });
    const { page } = browser;
    const cdp = await page.context().newCDPSession(page);
    await openNotebook(page, lab, 'profile.ipynb');
    await menu(page, 'Run', 'Run All Cells');
    await waitForAllCellsRun(page);
    await page.waitForSelector('.streamlab-chart-plot.js-plotly-plot', { timeout: 60_000 });
    await page.waitForTimeout(o.warm * 1000);

    const events = await trace(cdp, o.seconds * 1000);
    const threads = new Map<string, string>();
    for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name) threads.set(`${e.pid}:${e.tid}`, e.args.name);
    const stamps = events.filter((e) => e.ph === 'X').map((e) => e.ts);
    const spanMs = (Math.max(...stamps) - Math.min(...stamps)) / 1000;
    const frames = events.filter((e) => e.ph === 'X' && e.name === 'FireAnimationFrame' && threads.get(`${e.pid}:${e.tid}`) === 'CrRendererMain').length;
    const busy = new Map<string, number>();
    for (const e of events) if (e.ph === 'X' && e.name === 'RunTask' && e.dur) busy.set(threads.get(`${e.pid}:${e.tid}`) ?? '?', (busy.get(threads.get(`${e.pid}:${e.tid}`) ?? '?') ?? 0) + e.dur / 1000);
    const raster = events.filter((e) => e.ph === 'X' && e.name === 'RasterTask').reduce((n, e) => n + (e.dur ?? 0) / 1000, 0);
    console.log(`${o.rate.toLocaleString('en-US')} points/s: ${frames} redraws in ${(spanMs / 1000).toFixed(1)} s of trace (${(frames / (spanMs / 1000)).toFixed(1)} a second; tracing slows the page)`);
    console.log(`raster ${(raster / Math.max(1, frames)).toFixed(1)} ms a redraw`);
    console.log('thread busy:');
    for (const [name, ms] of top(busy, 6)) console.log(`  ${(100 * ms / spanMs).toFixed(1).padStart(5)} %  ${name}`);
    console.log('main thread, ms a redraw by event (self time):');
    for (const [name, ms] of top(selfTimes(events, (t) => t === 'CrRendererMain', threads), 10)) console.log(`  ${(ms / Math.max(1, frames)).toFixed(1).padStart(6)}  ${name}`);

    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
    await page.waitForTimeout(o.seconds * 1000);
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, i) => {
      const f = byId.get(id)!.callFrame;
      const key = `${f.functionName || '(anonymous)'} ${path.basename(f.url).replace(/\.[0-9a-f]{16,}\.js.*$/, '.js')}${f.lineNumber >= 0 ? `:${f.lineNumber}` : ''}`;
      const dt = profile.timeDeltas[i] ?? 0;
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    });
    console.log('CPU profile, self time:');
    for (const [name, us] of top(self, 20)) console.log(`  ${(100 * us / total).toFixed(1).padStart(5)} %  ${name}`);
    await browser.close();
  } finally {
    await shutdownAllKernels(lab).catch(() => undefined);
    await lab.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
