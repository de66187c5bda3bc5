/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Joins as a user meets them in JupyterLab: `streamlab lab` with its demo feed, a notebook in headless Chromium that
 * makes a table of sites from rows, joins the live sensor readings with it (`%join ... --show`) and windows the join
 * by a field of the table's side. The join's table ticks in place with the table's fields as dotted columns, the
 * window of the join closes windows per site, and the Streams panel lists the join with its kind.
 * Screenshots: test-artifacts/joins-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { BrowserSession, Lab, cellErrors, menu, onFailureScreenshot, openBrowser, openNotebook, screenshot, startLab, waitFor, waitForAllCellsRun, writeNotebook } from './support/lab';

const NOTEBOOK = 'joins.ipynb';

let lab: Lab;
let session: BrowserSession;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-joins-'));
  writeNotebook(dir, NOTEBOOK, [
    '%connect',
    // Reference data: sensors 0-5 have a site; 6 and 7 have none, so a left join keeps them with null.
    "const sites = await streamlab.session.table([0, 1, 2, 3, 4, 5].map((k) => ({ sensor: `sensor-${k}`, site: k < 3 ? 'north' : 'south', floor: k % 3 })), { key: 'sensor', name: 'sites' });",
    '%join sensors sites --left-key sensor --kind left --time-field time --show --as located',
    '%window located --tumbling 1s --by sites.site --agg count,mean(value) --show --as perSite',
  ]);
  lab = await startLab({ notebooks: dir, rate: 200, seed: 11 });
  session = await openBrowser();
});

after(async () => {
  await session?.close();
  await lab?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The rows of the n-th ticking grid on the page, as text. */
async function gridRows(page: Page, n: number): Promise<{ columns: string[]; rows: string[][]; caption: string }> {
  return page.evaluate((index) => {
    const grids = document.querySelectorAll('.streamlab-grid');
    const grid = grids[index];
    if (!grid) return { columns: [], rows: [], caption: '' };
    const columns = [...grid.querySelectorAll('thead th')].map((th) => (th.textContent ?? '').replace(/ [▲▼]$/, ''));
    const rows = [...grid.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
    const caption = grid.closest('.jp-OutputArea-output')?.textContent ?? '';
    return { columns, rows, caption };
  }, n);
}

test('a %join on the live feed ticks as a table with the table side as dotted columns; a window of it groups by site', async () => {
  const { page } = session;
  await openNotebook(page, lab, NOTEBOOK);
  await menu(page, 'Run', 'Run All Cells');
  await waitForAllCellsRun(page);
  assert.deepEqual(await cellErrors(page), [], 'no cell failed');
  const join = await onFailureScreenshot(page, 'joins-failed-table', async () => {
    await waitFor('joined rows in the table', async () => (await gridRows(page, 0)).rows.length >= 10, 30_000);
    return gridRows(page, 0);
  });
  for (const c of ['time', 'key', 'sensor', 'value', 'sites.site', 'sites.floor']) assert.ok(join.columns.includes(c), `column ${c} in ${JSON.stringify(join.columns)}`);
  assert.match(join.caption, /join 'located': the newest results · [\d,]+ in, [\d,]+ joined/);
  const site = join.columns.indexOf('sites.site');
  const sensor = join.columns.indexOf('sensor');
  for (const row of join.rows) {
    const k = Number(/sensor-(\d+)/.exec(row[sensor]!)?.[1]);
    assert.equal(row[site], k < 3 ? 'north' : k < 6 ? 'south' : '', `row of ${row[sensor]} has the site of its sensor (none for 6 and 7)`);
  }
  assert.match(join.rows[0]![join.columns.indexOf('time')]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'times read as dates');
  await waitFor('the join table to tick', async () => JSON.stringify((await gridRows(page, 0)).rows) !== JSON.stringify(join.rows), 15_000);
  await page.locator('.streamlab-grid').first().scrollIntoViewIfNeeded();
  await screenshot(page, 'joins-ticking-table');

  await waitFor('windows per site', async () => (await gridRows(page, 1)).rows.length >= 3, 30_000);
  const windows = await gridRows(page, 1);
  assert.equal(windows.columns[0], 'sites.site');
  const sitesSeen = new Set(windows.rows.map((r) => r[0]));
  assert.ok(sitesSeen.has('north') && sitesSeen.has('south'), JSON.stringify([...sitesSeen]));
  await page.locator('.streamlab-grid').nth(1).scrollIntoViewIfNeeded();
  await screenshot(page, 'joins-window-of-join');
  assert.deepEqual(session.refused, [], 'the page reached nothing but 127.0.0.1');
});
