/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The main job end to end: `streamlab lab` (what `bash scripts/dev.sh lab`, the README's first command, runs) serves
 * the example notebooks with the streamlab kernel and the extension; the quickstart runs in the browser with its
 * live charts, ticking table and the Streams panel; Ctrl-C leaves nothing running.
 * Screenshots: test-artifacts/quickstart-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserSession, Lab, REPO, cellErrors, menu, onFailureScreenshot, openBrowser, openNotebook, screenshot, startLab, waitForAllCellsRun } from './support/lab';

let lab: Lab | undefined;
let session: BrowserSession;
let dir: string;

before(async () => {
  // A copy: JupyterLab saves what it runs, and the committed notebooks keep their own outputs.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-quickstart-'));
  for (const f of fs.readdirSync(path.join(REPO, 'notebooks'))) if (f.endsWith('.ipynb')) fs.copyFileSync(path.join(REPO, 'notebooks', f), path.join(dir, f));
  lab = await startLab({ notebooks: dir, rate: 200, seed: 1 });
  session = await openBrowser();
});

after(async () => {
  await session?.close();
  await lab?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('JupyterLab serves the example notebooks with the streamlab kernel and the extension', async () => {
  const api = async (p: string) => (await fetch(`${lab!.url}${p}?token=${lab!.token}`)).json() as Promise<Record<string, any>>;
  const specs = await api('/api/kernelspecs');
  assert.ok(specs.kernelspecs.streamlab, `the streamlab kernel is installed: ${Object.keys(specs.kernelspecs).join(', ')}`);
  const contents = await api('/api/contents');
  const names = (contents.content as { name: string }[]).map((c) => c.name);
  assert.ok(names.includes('01-quickstart.ipynb') && names.includes('06-windows.ipynb'), names.join(', '));
  const { page } = session;
  await page.goto(`${lab!.url}/lab?reset&token=${lab!.token}`);
  await page.locator('.jp-SideBar .lm-TabBar-tab[data-id="streamlab-streams"]').waitFor({ timeout: 60_000 });
  assert.deepEqual(session.refused, [], 'the page reaches nothing but 127.0.0.1');
});

test('the quickstart runs in the browser: live charts, a ticking table, status lines that end when it stops its streams', async () => {
  const { page } = session;
  await openNotebook(page, lab!, '01-quickstart.ipynb');
  await menu(page, 'Run', 'Run All Cells');
  await waitForAllCellsRun(page);
  assert.deepEqual(await cellErrors(page), [], 'no cell failed');
  assert.equal(await page.locator('.streamlab-chart').count(), 2, 'two live charts');
  assert.ok((await page.locator('.streamlab-grid tbody tr').count()) > 0, 'a ticking table with rows');
  // Its last cell is %stop all: every status line ends stopped, and the panel says nothing runs.
  const statuses = await page.locator('.jp-OutputArea-output .streamlab-status').allTextContents();
  for (const name of ['feed', 'readings', 'perSensor']) {
    assert.ok(statuses.some((t) => t.startsWith(`■ ${name} [stopped]`)), `${name} ended stopped: ${statuses.join(' | ')}`);
  }
  await page.locator('.jp-SideBar .lm-TabBar-tab[data-id="streamlab-streams"]').click();
  await onFailureScreenshot(page, 'quickstart-failed-panel', () =>
    page.locator('#streamlab-streams .streamlab-streams-empty:has-text("No streams run in this kernel")').waitFor({ timeout: 30_000 }),
  );
  await page.locator('.streamlab-chart').first().scrollIntoViewIfNeeded();
  await screenshot(page, 'quickstart-charts');
});

test('Ctrl-C stops JupyterLab, its kernels, the broker and the demo feed: nothing is left running', async () => {
  const running = lab!;
  lab = undefined;
  const leftover = await running.stop();
  assert.deepEqual(leftover, [], `processes still running 20 s after Ctrl-C: ${leftover.join(', ')}`);
});
