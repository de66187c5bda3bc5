/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Live charts end to end, as a user meets them: `streamlab lab` (the project's JupyterLab, the kernel and the
 * extension, the embedded broker and its demo feed), a notebook run in headless Chromium, charts that move, stay
 * bounded, show anomaly markers, pause and resume, keep a user's zoom, save their last frame into the file, show it
 * when reopened with no kernel, and show in nbconvert's HTML. Screenshots: test-artifacts/charts-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { BrowserSession, Lab, REPO, cellErrors, menu, openBrowser, openNotebook, screenshot, startLab, waitFor, waitForAllCellsRun, writeNotebook } from './support/lab';

const CHART_MIME = 'application/vnd.streamlab.chart+json';
const NOTEBOOK = 'charts.ipynb';
const POINTS_PER_TRACE = 2000;

let lab: Lab;
let session: BrowserSession;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-charts-'));
  writeNotebook(dir, NOTEBOOK, [
    '%connect',
    '%consume sensors --as readings --time-field time',
    `%plot readings --y value --by sensor --mark anomaly --last 30s --points ${POINTS_PER_TRACE} --title "readings" --as live`,
    '%window readings --tumbling 2s --by sensor --agg mean(value),max(value) --grace 1s --as perSensor',
    '%plot perSensor --y mean_value --title "2 s means" --as means',
    '%plot readings --kind hist --y value --last 20s --title "spread" --as spread',
  ]);
  lab = await startLab({ notebooks: dir, rate: 800, seed: 42 });
  session = await openBrowser();
});

after(async () => {
  if (process.env.STREAMLAB_TEST_LOGS) fs.writeFileSync(path.join(REPO, 'test-artifacts', 'charts-lab.log'), lab?.log() ?? '');
  await session?.close();
  await lab?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface ChartView {
  title: string;
  state: string;
  pointsIn: number;
  shown: number;
  traces: { name: string; marker: boolean; points: number; lastX: number }[];
  range: unknown[] | undefined;
  zoomed: boolean;
  layer: string;
  /** Pixels with ink on the series canvas (0 when plotly draws the series). */
  canvasInk: number;
}

/** What each chart on the page shows now, read from its status line and its plotly figure. */
async function charts(page: Page): Promise<ChartView[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('.streamlab-chart')].map((el) => {
      const status = el.querySelector('.streamlab-chart-status') as HTMLElement;
      const gd = el.querySelector('.streamlab-chart-plot') as HTMLElement & { data?: Record<string, any>[]; layout?: Record<string, any> };
      const xs = (t: Record<string, any>) => (t.x as (number | string)[]) ?? [];
      return {
        title: String(gd.layout?.title?.text ?? ''),
        state: status.dataset.state ?? '',
        pointsIn: Number(status.dataset.pointsIn ?? 0),
        shown: Number(status.dataset.shown ?? 0),
        // What the renderer drew, whichever layer drew it (a live line's series are on a canvas over plotly's axes).
        traces: gd.dataset.drawn
          ? (JSON.parse(gd.dataset.drawn) as { name: string; marker: boolean; points: number; lastX: number | null }[]).map((t) => ({ ...t, lastX: t.lastX ?? NaN }))
          : (gd.data ?? []).map((t) => ({ name: String(t.name), marker: t.meta === 'marker', points: xs(t).length, lastX: Number(xs(t)[xs(t).length - 1] ?? NaN) })),
        layer: gd.dataset.layer ?? '',
        canvasInk: (() => {
          const canvas = gd.querySelector('canvas.streamlab-chart-canvas') as HTMLCanvasElement | null;
          if (!canvas || canvas.style.display === 'none') return 0;
          const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          let ink = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) ink++;
          return ink;
        })(),
        range: gd.layout?.xaxis?.range ? [...gd.layout.xaxis.range] : undefined,
        zoomed: status.dataset.zoomed === 'true',
      };
    }),
  );
}

async function chartTitled(page: Page, title: string): Promise<ChartView> {
  const found = (await charts(page)).find((c) => c.title === title);
  assert.ok(found, `a chart titled '${title}' is on the page`);
  return found;
}

const chartLocator = (page: Page, title: string) => page.locator('.streamlab-chart', { has: page.locator(`.gtitle:text-is("${title}")`) });

test('a notebook runs all its cells and three live charts move, bounded, with anomaly markers', async () => {
  const { page } = session;
  await openNotebook(page, lab, NOTEBOOK);
  await menu(page, 'Run', 'Run All Cells');
  await waitForAllCellsRun(page);
  assert.deepEqual(await cellErrors(page), [], 'no cell failed');
  await waitFor('three live charts', async () => (await charts(page)).filter((c) => c.state === 'running').length === 3);

  const first = await chartTitled(page, 'readings');
  await waitFor('the readings chart to take in more points', async () => (await chartTitled(page, 'readings')).pointsIn > first.pointsIn + 500);
  await waitFor('an anomaly marker trace', async () => (await chartTitled(page, 'readings')).traces.some((t) => t.marker && t.points > 0), 60_000);
  await page.mouse.move(2, 2);
  await waitFor('the live series on the canvas layer', async () => (await chartTitled(page, 'readings')).layer === 'canvas');
  const live = await chartTitled(page, 'readings');
  assert.ok(live.canvasInk > 2000, `the canvas shows the lines (${live.canvasInk} pixels with ink)`);
  const series = live.traces.filter((t) => !t.marker);
  assert.equal(series.length, 8, `one trace per sensor: ${series.map((t) => t.name).join(', ')}`);
  for (const t of series) assert.ok(t.points > 0 && t.points <= POINTS_PER_TRACE, `${t.name}: ${t.points} points, bound ${POINTS_PER_TRACE}`);
  assert.ok(live.shown <= 8 * POINTS_PER_TRACE + 2000, `shown ${live.shown}`);

  const means = await chartTitled(page, '2 s means');
  await waitFor('window means to arrive', async () => (await chartTitled(page, '2 s means')).traces.some((t) => t.points >= 2), 30_000);
  assert.equal(means.traces.filter((t) => !t.marker).length <= 8, true);
  const spread = await chartTitled(page, 'spread');
  assert.ok(spread.traces.length >= 1 && spread.traces[0]!.points > 0, 'the histogram has bins');
  await screenshot(page, 'charts-live');
  assert.deepEqual(session.refused, [], 'the page reached nothing but 127.0.0.1');
});

test('pause stops a chart\'s updates and resume restarts them', async () => {
  const { page } = session;
  const chart = chartLocator(page, 'readings');
  await chart.locator('.streamlab-chart-pause').click();
  await waitFor('the chart to say paused', async () => (await chartTitled(page, 'readings')).state === 'paused');
  const paused = await chartTitled(page, 'readings');
  await new Promise((r) => setTimeout(r, 2500));
  const still = await chartTitled(page, 'readings');
  assert.deepEqual(still.traces.map((t) => t.lastX), paused.traces.map((t) => t.lastX), 'no new points drawn while paused');
  await screenshot(page, 'charts-paused');
  await chart.locator('.streamlab-chart-pause').click();
  await waitFor('updates after resume', async () => {
    const now = await chartTitled(page, 'readings');
    return now.state === 'running' && now.traces.some((t, i) => t.lastX > (paused.traces[i]?.lastX ?? Infinity));
  });
});

test('a user zoom survives updates, and a double-click follows the live edge again', async () => {
  const { page } = session;
  const chart = chartLocator(page, 'readings');
  const drag = chart.locator('.nsewdrag').first();
  const box = (await drag.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 8 });
  await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.5, { steps: 8 });
  await page.mouse.up();
  await waitFor('a zoomed x range', async () => (await chartTitled(page, 'readings')).zoomed);
  const zoomed = await chartTitled(page, 'readings');
  assert.equal(zoomed.layer, 'plotly', 'a chart being inspected is drawn by plotly (hover, legend clicks)');
  const pointsBefore = zoomed.pointsIn;
  await waitFor('more points to arrive while zoomed', async () => (await chartTitled(page, 'readings')).pointsIn > pointsBefore + 800);
  const later = await chartTitled(page, 'readings');
  assert.deepEqual(later.range, zoomed.range, 'the zoom is where the user left it');
  await screenshot(page, 'charts-zoomed');
  await drag.dblclick({ position: { x: box.width * 0.5, y: box.height * 0.5 } });
  await waitFor('following the live edge again', async () => {
    const now = await chartTitled(page, 'readings');
    return !now.zoomed && now.range !== undefined && String(now.range[1]) !== String(later.range![1]);
  });
});

test('a save writes each chart\'s last frame into the notebook as image/png', async () => {
  const { page } = session;
  // A fresh frame for the image: the renderer makes one at most every few seconds while live.
  await new Promise((r) => setTimeout(r, 6000));
  await menu(page, 'File', 'Save Notebook');
  await waitFor('the file to hold chart images', async () => chartOutputs().filter((o) => typeof o['image/png'] === 'string').length === 3, 30_000).catch((e: Error) => {
    throw new Error(`${e.message}; chart outputs hold: ${JSON.stringify(chartOutputs().map((o) => Object.keys(o)))}`);
  });
  for (const o of chartOutputs()) {
    const png = Buffer.from(String(o['image/png']), 'base64');
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', 'a real PNG');
    assert.ok(png.length > 5000, `an image of a chart, not a blank (${png.length} bytes)`);
    assert.ok(o['application/vnd.plotly.v1+json'], 'and plotly JSON of the frame');
  }
});

test('reopened with the kernel shut down, the notebook shows each chart\'s last frame', async () => {
  const { page } = session;
  await menu(page, 'Kernel', 'Shut Down Kernel');
  await page.waitForTimeout(1500);
  await page.reload();
  await page.waitForSelector('.streamlab-chart .main-svg', { timeout: 60_000 });
  await waitFor('static frames drawn', async () => (await charts(page)).length === 3 && (await charts(page)).every((c) => c.traces.some((t) => t.points > 0)));
  const views = await charts(page);
  for (const v of views) assert.equal(v.state, 'static', `${v.title}: shown from the saved frame`);
  await screenshot(page, 'charts-reopened');
});

test('nbconvert\'s HTML export shows the charts as images', async () => {
  const { page } = session;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-html-'));
  execFileSync(path.join(REPO, '.venv', 'bin', 'jupyter'), ['nbconvert', '--to', 'html', path.join(dir, NOTEBOOK), '--output-dir', out], { stdio: 'pipe' });
  const html = path.join(out, NOTEBOOK.replace(/\.ipynb$/, '.html'));
  await page.goto(`file://${html}`);
  const images = await page.evaluate(() => [...document.images].filter((i) => i.src.startsWith('data:image/png')).map((i) => ({ w: i.naturalWidth, h: i.naturalHeight })));
  assert.equal(images.length, 3, 'one image per chart');
  for (const i of images) assert.ok(i.w >= 400 && i.h >= 300, `a chart-sized image (${i.w}x${i.h})`);
  await page.locator('img').first().scrollIntoViewIfNeeded();
  await screenshot(page, 'charts-nbconvert');
  fs.rmSync(out, { recursive: true, force: true });
});

/** The chart outputs of the saved file ([] while the server is still writing it). */
function chartOutputs(): Record<string, unknown>[] {
  let nb;
  try {
    nb = JSON.parse(fs.readFileSync(path.join(dir, NOTEBOOK), 'utf8')) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
  } catch {
    return [];
  }
  return nb.cells.flatMap((c) => c.outputs ?? []).map((o) => o.data ?? {}).filter((d) => CHART_MIME in d);
}
