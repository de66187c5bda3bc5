/// <reference lib="dom" />
/**
 * The new user's walk of issue 25, replayed in a real JupyterLab (`streamlab lab` with its demo feed) in a real
 * browser: a fresh notebook from the launcher, cells typed as a user types them (magics found with %help and Tab),
 * a screenshot after each step into docs/screenshots/walk-*.png. Each step checks what it shows and the walk stops
 * at the first that does not hold, so the screenshots are of a walk that worked.
 *
 *   node dist/test/walk/newUserWalk.js [OUT_DIR=docs/screenshots]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO, openBrowser, startLab, waitFor, waitForKernelIdle, waitForKernelReady, type Lab } from '../support/lab';

const OUT = path.resolve(process.argv[2] ?? path.join(REPO, 'docs', 'screenshots'));

async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(OUT, `walk-${name}.png`);
  await page.screenshot({ path: file });
  console.log(`  ${path.relative(REPO, file)}`);
}

/**
 * The code cells `pick` chooses (by position and text), with their outputs, however tall: the window grows for the
 * picture. Returns the text of the cells pictured.
 */
async function shotCellsWhere(page: Page, name: string, pick: (index: number, cells: number, text: string) => boolean): Promise<string> {
  const file = path.join(OUT, `walk-${name}.png`);
  const viewport = page.viewportSize()!;
  await page.setViewportSize({ width: viewport.width, height: 3200 });
  await page.waitForTimeout(500);
  const cells = page.locator('.jp-Notebook .jp-CodeCell');
  const n = await cells.count();
  const boxes = [];
  let text = '';
  for (let i = 0; i < n; i++) {
    const cell = cells.nth(i);
    const t = await cell.innerText();
    if (!pick(i, n, t)) continue;
    await cell.scrollIntoViewIfNeeded();
    text += `${t}\n`;
    boxes.push((await cell.boundingBox())!);
  }
  if (boxes.length === 0) throw new Error(`no cell to picture for ${name}`);
  const top = Math.min(...boxes.map((b) => b.y));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  const left = Math.min(...boxes.map((b) => b.x));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  await page.screenshot({ path: file, clip: { x: left, y: Math.max(0, top - 8), width: right - left, height: Math.min(3200, bottom - top + 16) } });
  await page.setViewportSize(viewport);
  console.log(`  ${path.relative(REPO, file)}`);
  return text;
}

/** The last `count` cells that ran (Shift+Enter left an empty one below them). */
const shotCells = (page: Page, name: string, count = 1) => shotCellsWhere(page, name, (i, n) => i >= n - 1 - count && i < n - 1);

/** The code cells whose text matches `pattern`. */
const shotCellsMatching = (page: Page, name: string, pattern: RegExp) => shotCellsWhere(page, name, (_, __, text) => pattern.test(text));

/** The active cell's editor, empty, in edit mode. */
async function freshCell(page: Page): Promise<void> {
  const last = page.locator('.jp-Notebook .jp-Cell').last();
  const text = await last.locator('.cm-content').innerText();
  if (text.trim() !== '') {
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
  }
  await page.locator('.jp-Notebook .jp-Cell').last().locator('.cm-content').click();
}

/** Types a cell (as pasted: no auto-closed brackets) and runs it; resolves when its prompt has its number. */
async function run(page: Page, code: string, options: { wait?: boolean } = {}): Promise<void> {
  await freshCell(page);
  const index = (await page.locator('.jp-Notebook .jp-CodeCell').count()) - 1;
  await page.keyboard.insertText(code);
  // Back to the start, so a long line shows its beginning, as a user reading it would leave it.
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('Shift+Enter');
  if (options.wait !== false) await ranCell(page, index);
}

async function ranCell(page: Page, index: number): Promise<void> {
  await page.waitForFunction(
    (i) => /\[\d+\]/.test(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')[i]?.textContent ?? ''),
    index,
    { timeout: 300_000, polling: 250 },
  );
  await waitForKernelIdle(page, 240_000);
}

/** Text of the outputs of the n-th code cell from the end (1: the last one run). */
async function outputOf(page: Page, fromEnd: number): Promise<string> {
  const cells = page.locator('.jp-Notebook .jp-CodeCell');
  const n = await cells.count();
  return cells.nth(n - fromEnd).locator('.jp-OutputArea').innerText();
}

function expect(what: string, text: string, pattern: RegExp): void {
  if (!pattern.test(text)) throw new Error(`${what}: expected ${pattern}, the page shows: ${text.slice(0, 600)}`);
}

async function lastRunCell(page: Page): Promise<string> {
  // Shift+Enter left an empty cell below: the cell that ran is the one before it.
  return outputOf(page, 2);
}

async function walk(lab: Lab, page: Page): Promise<void> {
  await page.goto(`${lab.url}/lab?reset&token=${lab.token}`);
  await page.waitForSelector('.jp-LauncherCard', { timeout: 60_000 });
  console.log('1. a fresh notebook from the launcher');
  await page.locator('.jp-LauncherCard[title*="streamlab" i], .jp-LauncherCard:has-text("TypeScript")').first().click();
  await page.waitForSelector('.jp-NotebookPanel .jp-Notebook', { timeout: 60_000 });
  await waitForKernelReady(lab, 'Untitled.ipynb');
  await waitForKernelIdle(page, 120_000);
  await page.waitForTimeout(1000);
  await run(page, '%help');
  expect('%help', await lastRunCell(page), /%train/);
  await shot(page, '01-help');

  console.log('2. Tab completes magics and their options');
  await freshCell(page);
  await page.keyboard.type('%tr');
  await page.keyboard.press('Tab');
  await page.waitForSelector('.jp-Completer', { timeout: 15_000 }).catch(() => undefined);
  await page.waitForTimeout(500);
  await shot(page, '02-tab-magic');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('%train sensors --b');
  await page.keyboard.press('Tab');
  await page.waitForTimeout(800);
  await shot(page, '03-tab-option');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Backspace');

  console.log('3. look at the data; the features across sensors, and per sensor');
  await run(page, '%peek sensors -n 5');
  expect('%peek', await lastRunCell(page), /sensor/);
  await run(page, '%train sensors --columns value --lags 4 --deltas --percentile 99.5 --last 5000 --epochs 8 --time-field time --as d0');
  expect('%train without --by', await lastRunCell(page), /pass by: 'sensor' \(%train --by sensor\)/);
  await shotCells(page, '04-train-across-sensors-note', 1);
  await run(page, '%train sensors --columns value --lags 4 --deltas --by sensor --percentile 99.5 --last 5000 --epochs 8 --time-field time --as d4');
  const summary = await lastRunCell(page);
  expect('%train --by sensor', summary, /within each 'sensor'/);
  expect('%train --by sensor', summary, /on a worker thread/);
  await shotCells(page, '05-train-per-sensor', 1);

  console.log('4. score the live stream and plot the scores');
  await run(page, '%score sensors --model d4 --time-field time --as s4');
  await run(page, '%plot s4 --as scoreChart');
  await page.waitForTimeout(8000);
  expect('%plot s4', await lastRunCell(page), /score|threshold/);
  await shotCells(page, '06-scores-plotted', 2);

  console.log('5. a window of a running stream; fields that are not there');
  await run(page, '%consume sensors --time-field time --as readings');
  await run(page, '%window readings --tumbling 5s --by sensor --agg mean(value),count --as perSensor');
  await page.waitForTimeout(7000);
  expect('%window on a running stream', await lastRunCell(page), /partial/);
  await shotCells(page, '07-window-partial-first', 2);
  await run(page, '%window readings --tumbling 5s --by sensr --agg mean(valu) --as bad');
  expect('a misspelt field', await lastRunCell(page), /did you mean/);
  await run(page, '%plot readings --y sensor');
  expect('a text field plotted', await lastRunCell(page), /sensor/);
  await shotCells(page, '08-field-checks', 2);

  console.log('6. nested fields');
  await run(page, "%%produce devices --key device.id --create\nArray.from({ length: 60 }, (_, i) => ({ device: { id: `dev-${i % 3}`, site: 'north' }, time: Date.now() - (60 - i) * 1000, value: i }))");
  await run(page, '%window devices --from earliest --time-field time --tumbling 20s --by device.id --agg count,mean(value) --as perDevice');
  await page.waitForTimeout(3000);
  await run(page, 'perDevice.closed()');
  expect('a window by a dotted path', await lastRunCell(page), /dev-0[\s\S]*dev-1[\s\S]*dev-2/);
  await shotCells(page, '09-nested-fields', 3);

  console.log('7. a long training, stopped with the stop button, while the live streams go on');
  await run(page, '%train sensors --columns value --lags 4 --deltas --by sensor --epochs 300 --patience 0 --time-field time --as long', { wait: false });
  await waitFor('a few epochs', async () => /epoch/i.test(await page.locator('.jp-Notebook .jp-CodeCell').nth((await page.locator('.jp-Notebook .jp-CodeCell').count()) - 2).innerText()), 120_000);
  await page.waitForTimeout(6000);
  await shot(page, '10-training-running');
  await page.locator('.jp-NotebookPanel-toolbar [data-command="notebook:interrupt-kernel"], .jp-NotebookPanel-toolbar button[title*="Interrupt"]').first().click();
  await ranCell(page, (await page.locator('.jp-Notebook .jp-CodeCell').count()) - 2);
  expect('an interrupted training', await lastRunCell(page), /interrupted/);
  await run(page, '%streams');
  expect('%streams beside a training', await lastRunCell(page), /readings/);
  await shotCells(page, '11-training-interrupted', 2);

  console.log('8. stopping an upstream stops what it feeds');
  await run(page, '%stop readings');
  expect('%stop readings', await lastRunCell(page), /what it fed: perSensor/);
  await shotCells(page, '12-stop-cascades', 1);

  console.log('9. the kernel restarts: the old status lines read as ended');
  await page.keyboard.press('Escape');
  await page.locator('.jp-NotebookPanel-toolbar [data-command="notebook:restart-kernel"], .jp-NotebookPanel-toolbar button[title*="Restart"]').first().click();
  await page.locator('.jp-Dialog button.jp-mod-accept, .jp-Dialog button:has-text("Restart")').first().click();
  await page.waitForTimeout(3000);
  await waitForKernelIdle(page, 120_000);
  await page.waitForTimeout(2000);
  const ended = await shotCellsMatching(page, '13-after-restart', /%consume sensors|%score sensors/);
  expect('status lines after a restart', ended, /ended/);
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const notebooks = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-walk-'));
  const lab = await startLab({ notebooks, rate: 400, seed: 7 });
  const browser = await openBrowser({ width: 1400, height: 1100 });
  try {
    await walk(lab, browser.page);
    if (browser.refused.length > 0) throw new Error(`the page reached beyond 127.0.0.1: ${browser.refused.join(', ')}`);
  } catch (e) {
    await browser.page.screenshot({ path: path.join(OUT, 'walk-failed.png') }).catch(() => undefined);
    throw e;
  } finally {
    await browser.close();
    await lab.stop();
    fs.rmSync(notebooks, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
