/// <reference lib="dom" />
/**
 * The prebuilt extension also loads in the oldest JupyterLab 4 it declares (4.0, in .cache/jupyterlab-4.0 from
 * scripts/install.sh): a chart goes live there too, with no errors from the extension in the page.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserSession, Lab, REPO, cellErrors, menu, openBrowser, openNotebook, screenshot, startLab, waitForAllCellsRun, writeNotebook } from './support/lab';

const JUPYTER_40 = path.join(REPO, '.cache', 'jupyterlab-4.0', 'bin', 'jupyter');
let lab: Lab;
let session: BrowserSession;
let dir: string;

before(async () => {
  assert.ok(fs.existsSync(JUPYTER_40), `JupyterLab 4.0 is installed at ${JUPYTER_40} (bash scripts/install.sh)`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-compat-'));
  writeNotebook(dir, 'compat.ipynb', ['%connect', '%consume sensors --as readings --time-field time', '%plot readings --y value --by sensor --last 20s --title "on 4.0" --as live']);
  lab = await startLab({ notebooks: dir, rate: 400, env: { STREAMLAB_JUPYTER: JUPYTER_40 } });
  session = await openBrowser();
});

after(async () => {
  await session?.close();
  await lab?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('JupyterLab 4.0 runs the extension: a live chart, no extension errors', async () => {
  const { page } = session;
  await openNotebook(page, lab, 'compat.ipynb');
  const version = await page.evaluate(() => document.body.getAttribute('data-jp-version') ?? (document.querySelector('#jupyter-config-data')?.textContent ?? ''));
  assert.match(version, /"appVersion": ?"4\.0\.|^4\.0\./, 'this is JupyterLab 4.0');
  await menu(page, 'Run', 'Run All Cells');
  await waitForAllCellsRun(page);
  assert.deepEqual(await cellErrors(page), []);
  await page.waitForFunction(() => Number((document.querySelector('.streamlab-chart-status') as HTMLElement | null)?.dataset.pointsIn ?? 0) > 200, undefined, { timeout: 60_000 });
  await screenshot(page, 'charts-jupyterlab-4.0');
  assert.deepEqual(session.consoleErrors.filter((e) => /streamlab/i.test(e)), []);
});
