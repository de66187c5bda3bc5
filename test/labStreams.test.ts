/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The Streams panel and the ticking tables end to end, as a user meets them: `streamlab lab` with its demo feed, a
 * notebook run in headless Chromium; the panel lists the notebook's streams with live rates, stops one with a
 * click (the kernel confirms), lists the cluster's topics and inserts a %consume cell that runs, and is right
 * again after a kernel restart; a `--show` table ticks in place and keeps the user's sort.
 * Screenshots: test-artifacts/streams-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { BrowserSession, Lab, REPO, cellErrors, menu, onFailureScreenshot, openBrowser, openNotebook, screenshot, startLab, waitFor, waitForAllCellsRun, waitForKernelIdle, writeNotebook } from './support/lab';

const NOTEBOOK = 'streams.ipynb';

let lab: Lab;
let session: BrowserSession;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-streams-'));
  writeNotebook(dir, NOTEBOOK, [
    '%connect',
    '%consume sensors --as readings --time-field time',
    '%window readings --tumbling 1s --by sensor --agg mean(value),count --as perSensor --show',
  ]);
  lab = await startLab({ notebooks: dir, rate: 400, seed: 7 });
  session = await openBrowser();
});

after(async () => {
  if (process.env.STREAMLAB_TEST_LOGS) fs.writeFileSync(path.join(REPO, 'test-artifacts', 'streams-lab.log'), lab?.log() ?? '');
  await session?.close();
  await lab?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface PanelRow {
  name: string;
  kind: string;
  state: string;
  rate: string;
  sparkline: boolean;
}

/** The panel's streams, as its table shows them. */
async function panelStreams(page: Page): Promise<PanelRow[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('#streamlab-streams .streamlab-stream')].map((card) => ({
      name: card.dataset.stream ?? '',
      kind: card.dataset.kind ?? '',
      state: card.dataset.state ?? '',
      rate: card.querySelector('.streamlab-stream-rate-value')?.textContent ?? '',
      sparkline: card.querySelector('polyline') !== null,
    })),
  );
}

async function panelText(page: Page, selector: string): Promise<string> {
  return (await page.locator(`#streamlab-streams ${selector}`).first().textContent()) ?? '';
}

function ratePerSecond(text: string): number {
  const m = /^([\d,.]+)\/s$/.exec(text.trim());
  return m ? Number(m[1]!.replace(/,/g, '')) : NaN;
}

/** The rows of the first ticking grid on the page, as text. */
async function gridRows(page: Page): Promise<{ columns: string[]; rows: string[][] }> {
  return page.evaluate(() => {
    const grid = document.querySelector('.streamlab-grid')!;
    const columns = [...grid.querySelectorAll('thead th')].map((th) => (th.textContent ?? '').replace(/ [▲▼]$/, ''));
    const rows = [...grid.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
    return { columns, rows };
  });
}

async function openPanel(page: Page): Promise<void> {
  const tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="streamlab-streams"]');
  await tab.waitFor({ timeout: 30_000 });
  if (!(await page.locator('#streamlab-streams').isVisible())) await tab.click();
  await page.locator('#streamlab-streams').waitFor({ state: 'visible' });
}

test('the panel lists the notebook\'s streams with live rates and sparklines', async () => {
  const { page } = session;
  await openNotebook(page, lab, NOTEBOOK);
  await menu(page, 'Run', 'Run All Cells');
  await waitForAllCellsRun(page);
  assert.deepEqual(await cellErrors(page), [], 'no cell failed');
  await openPanel(page);
  await onFailureScreenshot(page, 'streams-failed-list', () =>
    waitFor('both streams listed with a rate above zero and a sparkline', async () => {
      const rows = await panelStreams(page);
      const readings = rows.find((r) => r.name === 'readings');
      const windows = rows.find((r) => r.name === 'perSensor');
      // The demo feed writes 400 records/s: once past the first second's catch-up, the rate is the feed's.
      return !!readings && !!windows && Math.abs(ratePerSecond(readings.rate) - 400) < 120 && ratePerSecond(windows.rate) > 50 && readings.sparkline;
    }, 45_000),
  );
  const rows = await panelStreams(page);
  assert.deepEqual(rows.map((r) => [r.name, r.kind, r.state]), [['readings', 'consume', 'running'], ['perSensor', 'window', 'running']]);
  assert.match(await panelText(page, '.streamlab-streams-header'), /Kernel of streams\.ipynb/);
  await waitFor('the topics of the cluster', async () => (await page.locator('#streamlab-streams [data-topic="sensors"]').count()) === 1);
  const topic = page.locator('#streamlab-streams [data-topic="sensors"]');
  // The demo feed's topic: four partitions, each with its offsets shown.
  assert.equal(await topic.getAttribute('data-partitions'), '4');
  assert.ok(Number(await topic.getAttribute('data-messages')) > 0, 'sensors holds messages');
  assert.match((await topic.locator('.streamlab-stream-detail').first().textContent()) ?? '', /^offsets 0: [\d,]+–[\d,]+, 1: .*, 3: [\d,]+–[\d,]+$/);
  // Its format, detected from its newest values (the demo feed writes JSON; no registry here).
  await waitFor('the format of the topic', async () => (await topic.getAttribute('data-format')) === 'json', 20_000);
  assert.equal(await topic.locator('.streamlab-topic-format').textContent(), 'format json');
  await screenshot(page, 'streams-panel');
  assert.deepEqual(session.refused, [], 'the page reached nothing but 127.0.0.1');
});

test('a --show table ticks in place, newest windows first, and keeps the user\'s sort', async () => {
  const { page } = session;
  await page.locator('.streamlab-grid').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('.jp-OutputArea-output:has-text("LiveDisplay")').count(), 0, 'the cell shows the table, not the display object');
  await waitFor('closed windows in the table', async () => (await gridRows(page)).rows.length > 8, 20_000);
  const first = await gridRows(page);
  assert.deepEqual(first.columns.slice(0, 3), ['sensor', 'windowStart', 'windowEnd']);
  assert.match(first.rows[0]![1]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'window bounds read as ISO-8601 dates');
  await waitFor('the table to tick', async () => JSON.stringify((await gridRows(page)).rows) !== JSON.stringify(first.rows), 15_000);
  const column = first.columns.indexOf('mean_value');
  const header = page.locator('.streamlab-grid thead th').nth(column);
  await header.click();
  await header.click();
  assert.equal(await header.getAttribute('data-sort'), 'descending');
  const sortedBefore = await gridRows(page);
  await waitFor('another tick after sorting', async () => JSON.stringify((await gridRows(page)).rows) !== JSON.stringify(sortedBefore.rows), 15_000);
  const after = await gridRows(page);
  const means = after.rows.map((r) => Number(r[column]));
  assert.ok(means.length > 1, 'rows to compare');
  assert.deepEqual(means, [...means].sort((a, b) => b - a), 'still sorted by mean_value, descending, after the update');
  assert.equal(await page.locator('.streamlab-grid thead th').nth(column).getAttribute('data-sort'), 'descending', 'the sort mark stays');
  await page.locator('.streamlab-grid').first().scrollIntoViewIfNeeded();
  await screenshot(page, 'streams-ticking-table');
});

test('the panel\'s stop button stops a stream, and the kernel confirms it', async () => {
  const { page } = session;
  await page.locator('#streamlab-streams [data-stream="perSensor"] .streamlab-streams-stop').click();
  await onFailureScreenshot(page, 'streams-failed-stop', () =>
    waitFor('the kernel to confirm', async () => /^Stopped: perSensor$/.test(await panelText(page, '.streamlab-streams-message'))),
  );
  await waitFor('the row to go', async () => !(await panelStreams(page)).some((r) => r.name === 'perSensor'));
  assert.deepEqual((await panelStreams(page)).map((r) => r.name), ['readings']);
  // The stream's status line below its cell ends with its final state.
  await waitFor('the status line to say stopped', async () => /^■ perSensor \[stopped\]: /.test((await page.locator('.jp-OutputArea-output .streamlab-status:has-text("perSensor")').first().textContent({ timeout: 2000 })) ?? ''), 10_000);
  await screenshot(page, 'streams-stopped');
});

test('the panel\'s Consume action inserts a %consume cell that runs', async () => {
  const { page } = session;
  await page.locator('.jp-Notebook .jp-Cell').last().click();
  await page.keyboard.press('Escape');
  const before = await page.locator('.jp-Notebook .jp-CodeCell').count();
  await page.locator('#streamlab-streams [data-topic="sensors"] .streamlab-streams-insert-consume').click();
  await waitFor('a new cell', async () => (await page.locator('.jp-Notebook .jp-CodeCell').count()) === before + 1);
  const source = await page.locator('.jp-Notebook .jp-CodeCell').last().locator('.cm-content').textContent();
  assert.equal(source, '%consume sensors --as sensors --from earliest');
  // Ctrl+Enter runs it in place (Shift+Enter would add an empty cell that Run All leaves without a count).
  await page.keyboard.press('Control+Enter');
  await waitForKernelIdle(page);
  await waitFor('the new stream in the panel', async () => (await panelStreams(page)).some((r) => r.name === 'sensors' && r.kind === 'consume'));
  assert.deepEqual(await cellErrors(page), [], 'the inserted cell ran');
  await screenshot(page, 'streams-inserted');
});

test('after a kernel restart the panel is empty, then lists the streams the notebook starts again', async () => {
  const { page } = session;
  await menu(page, 'Kernel', 'Restart Kernel…');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await waitForKernelIdle(page);
  await onFailureScreenshot(page, 'streams-failed-restart', () =>
    waitFor('an empty panel that says so', async () => (await panelStreams(page)).length === 0 && /No streams run in this kernel/.test(await panelText(page, '.streamlab-streams-list')), 60_000),
  );
  // The status lines of the streams the old kernel ran no longer say running: they read as ended.
  // (perSensor was stopped from the panel before: its line says stopped, and stays so.)
  await onFailureScreenshot(page, 'streams-failed-ended', () =>
    waitFor('the old status lines to read as ended', async () => {
      const ended = await page.locator('.jp-OutputArea-output .streamlab-status[data-state="ended"]').allTextContents();
      return ended.some((t) => t.startsWith('■ readings [ended: its kernel is gone]: '));
    }, 20_000),
  );
  assert.equal(await page.locator('.jp-OutputArea-output .streamlab-status[data-state="running"]').count(), 0, 'no line of a gone kernel says running');
  await screenshot(page, 'streams-restarted');
  await menu(page, 'Run', 'Run All Cells');
  await waitForAllCellsRun(page);
  await waitFor('the streams again, running', async () => {
    const rows = await panelStreams(page);
    return ['readings', 'perSensor', 'sensors'].every((n) => rows.some((r) => r.name === n && ratePerSecond(r.rate) > 0));
  }, 60_000);
  // The new kernel's lines run.
  await waitFor('the new status lines, running', async () => (await page.locator('.jp-OutputArea-output .streamlab-status[data-state="running"]').count()) >= 2, 20_000);
});
