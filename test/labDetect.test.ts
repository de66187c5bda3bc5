/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * %detect as a user meets it in JupyterLab: `streamlab lab` with its demo feed, a notebook in headless Chromium that
 * detects anomalies per sensor on the live readings, shows the detector's newest rows as a ticking table, plots its
 * scores, and lists what it flagged. The table carries the verdict columns (score, isAnomaly, reason, warmingUp) with
 * dates for times; the chart draws the score line, the threshold and a marker per flagged row; the flagged
 * rows say which part of the detector fired. Screenshots: test-artifacts/detect-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { BrowserSession, Lab, cellErrors, menu, onFailureScreenshot, openBrowser, openNotebook, screenshot, startLab, waitFor, waitForAllCellsRun, writeNotebook } from './support/lab';

const NOTEBOOK = 'detect.ipynb';

let lab: Lab;
let session: BrowserSession;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-detect-'));
  writeNotebook(dir, NOTEBOOK, [
    '%connect',
    '%detect sensors --y value --by sensor --detector sensor --quiet 50 --from earliest --as perSensor',
    'perSensor.show({ rows: 8 })',
    '%plot perSensor --title "scores per sensor" --as scores',
    // The feed (seeded, so the same readings every run) starts an anomaly about every 2,000 readings.
    'await perSensor.until(12_000, { timeoutMs: 120_000 });\nperSensor.flagged()',
    // Drawn after the detector has run: it starts from the rows the detector keeps, a line per sensor.
    '%plot perSensor --by sensor --as perKey',
  ]);
  lab = await startLab({ notebooks: dir, rate: 400, seed: 5 });
  session = await openBrowser();
});

after(async () => {
  await session?.close();
  await lab?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The first ticking grid on the page: its columns, rows and caption, as text. */
async function grid(page: Page): Promise<{ columns: string[]; rows: string[][]; caption: string }> {
  return page.evaluate(() => {
    const g = document.querySelector('.streamlab-grid');
    if (!g) return { columns: [], rows: [], caption: '' };
    const columns = [...g.querySelectorAll('thead th')].map((th) => (th.textContent ?? '').replace(/ [▲▼]$/, ''));
    const rows = [...g.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
    const caption = g.closest('.jp-OutputArea-output')?.textContent ?? '';
    return { columns, rows, caption };
  });
}

/** The score chart's traces as drawn: name, whether markers, points. */
async function chartTraces(page: Page, which = 0): Promise<{ name: string; marker: boolean; points: number }[]> {
  return page.evaluate((which) => {
    const gd = document.querySelectorAll('.streamlab-chart .streamlab-chart-plot')[which] as (HTMLElement & { data?: Record<string, unknown>[] }) | undefined;
    if (!gd) return [];
    if (gd.dataset.drawn) return (JSON.parse(gd.dataset.drawn) as { name: string; marker: boolean; points: number }[]).map(({ name, marker, points }) => ({ name, marker, points }));
    return (gd.data ?? []).map((t) => ({ name: String(t.name), marker: t.meta === 'marker', points: ((t.x as unknown[]) ?? []).length }));
  }, which);
}

test('%detect on the live feed: a ticking table of verdicts, a score chart with flagged markers, flagged rows with their reason', async () => {
  const { page } = session;
  await openNotebook(page, lab, NOTEBOOK);
  await menu(page, 'Run', 'Run All Cells');
  await waitForAllCellsRun(page);
  assert.deepEqual(await cellErrors(page), [], 'no cell failed');

  const table = await onFailureScreenshot(page, 'detect-failed-table', async () => {
    await waitFor('scored rows in the table', async () => (await grid(page)).rows.length >= 8, 30_000);
    return grid(page);
  });
  for (const c of ['time', 'sensor', 'value', 'score', 'isAnomaly', 'reason', 'warmingUp']) assert.ok(table.columns.includes(c), `column ${c} in ${JSON.stringify(table.columns)}`);
  assert.match(table.caption, /detector 'perSensor': anomalies in value per sensor with sensor \(warm-up 50 rows per key\) · [\d,]+ scored · [\d,]+ flagged/);
  assert.match(table.rows[0]![table.columns.indexOf('time')]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'times read as dates');
  await page.locator('.streamlab-grid').first().scrollIntoViewIfNeeded();
  await screenshot(page, 'detect-ticking-table');

  await waitFor('the score line, the threshold and the flagged markers', async () => {
    const traces = await chartTraces(page);
    return ['score', 'threshold'].every((n) => traces.some((t) => t.name === n && t.points > 0)) && traces.some((t) => t.marker && t.points > 0);
  }, 60_000);
  await page.locator('.streamlab-chart').first().scrollIntoViewIfNeeded();
  await screenshot(page, 'detect-score-chart');

  // The flagged cell's table: the flagged rows, each with the part that fired.
  const flagged = await page.evaluate(() => {
    const outputs = [...document.querySelectorAll('.jp-Cell')].at(-2)?.querySelectorAll('.jp-OutputArea-output table') ?? [];
    const t = outputs[outputs.length - 1];
    if (!t) return { columns: [] as string[], rows: [] as string[][] };
    const columns = [...t.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
    const rows = [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
    return { columns, rows };
  });
  const reason = flagged.columns.indexOf('reason');
  assert.ok(reason >= 0 && flagged.rows.length >= 1, `flagged rows with a reason column: ${JSON.stringify(flagged).slice(0, 400)}`);
  for (const row of flagged.rows) assert.match(row[reason]!, /^(level|daily\/weekly pattern|far from usual|new extreme|spike|stuck)$/, JSON.stringify(row));
  await page.locator('.jp-Cell').nth(-2).scrollIntoViewIfNeeded();
  await screenshot(page, 'detect-flagged');

  // The chart per key, drawn late: a score line for each of the 8 sensors from the rows the detector kept.
  await waitFor('a score line per sensor', async () => (await chartTraces(page, 1)).filter((t) => /^sensor-\d$/.test(t.name) && t.points > 0).length === 8, 30_000);
  assert.ok(!(await chartTraces(page, 1)).some((t) => t.name.includes('threshold')), 'no threshold line per key');
  await page.locator('.streamlab-chart').nth(1).scrollIntoViewIfNeeded();
  await screenshot(page, 'detect-per-key-chart');
  assert.deepEqual(session.refused, [], 'the page reached nothing but 127.0.0.1');
});
