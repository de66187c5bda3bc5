/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * A real JupyterLab (the project's .venv, started by `streamlab lab`) in a real browser (Debian's Chromium driven by
 * playwright-core), for end-to-end tests of what users see. Everything runs on 127.0.0.1: the browser's requests to
 * any other address are refused and counted. Screenshots go to test-artifacts/ at the repository root.
 */
import { spawn, ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, Browser, Page } from 'playwright-core';

export const REPO = path.join(__dirname, '..', '..', '..');
export const CLI = path.join(REPO, 'dist', 'cli', 'main.js');
export const ARTIFACTS = path.join(REPO, 'test-artifacts');
const MARKER = 'STREAMLAB_LAB_TEST';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface Lab {
  url: string;
  /** Every process of this lab (server, kernels, broker) has it in its environment. */
  marker: string;
  port: number;
  token: string;
  notebooks: string;
  stateDir: string;
  log: () => string;
  /** Ctrl-C, as a user stops it; resolves with what was still running after that (then killed), [] when clean. */
  stop(): Promise<number[]>;
}

/** `streamlab lab` on a free port, serving `notebooks`, with its own state directory (broker record, Jupyter dirs). */
export async function startLab(options: { notebooks: string; rate?: number; seed?: number; demo?: boolean; timeoutMs?: number; env?: Record<string, string> }): Promise<Lab> {
  const port = await freePort();
  const token = crypto.randomBytes(12).toString('hex');
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-lab-'));
  const marker = path.basename(stateDir);
  const args = [CLI, 'lab', '--no-browser', '--port', String(port), '--token', token, '--notebooks', options.notebooks, '--rate', String(options.rate ?? 500), '--seed', String(options.seed ?? 42), ...(options.demo === false ? ['--no-demo'] : [])];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env, STREAMLAB_STATE_DIR: stateDir, STREAMLAB_BROKERS: '', STREAMLAB_LAB_LOG: '1', [MARKER]: marker },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`streamlab lab did not start in ${options.timeoutMs ?? 90_000} ms:\n${output}`)), options.timeoutMs ?? 90_000);
    const check = () => {
      if (/JupyterLab is serving/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`streamlab lab exited (${code}) before serving:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    marker,
    port,
    token,
    notebooks: options.notebooks,
    stateDir,
    log: () => output,
    stop: () => stopLab(child, marker, stateDir),
  };
}

async function stopLab(child: ChildProcess, marker: string, stateDir: string): Promise<number[]> {
  if (child.exitCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid, 'SIGINT');
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 20_000));
    if ((await Promise.race([exited.then(() => 'exited'), timeout])) === 'timeout') {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  // Kernels run in sessions of their own; anything left with our marker goes.
  const leftover = processesWithMarker(marker);
  for (const pid of leftover) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  fs.rmSync(stateDir, { recursive: true, force: true });
  return leftover;
}

/** Resident memory of a lab's processes together, bytes. */
export function labRss(lab: Lab): number {
  let total = 0;
  for (const pid of processesWithMarker(lab.marker)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

export function processesWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${MARKER}=${marker}`)) found.push(pid);
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

export interface BrowserSession {
  browser: Browser;
  page: Page;
  /** Requests to anything but 127.0.0.1, refused. */
  refused: string[];
  /** Errors the page logged. */
  consoleErrors: string[];
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1400, height: 1000 }): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: process.env.STREAMLAB_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport });
  const refused: string[] = [];
  const consoleErrors: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || ['data:', 'blob:', 'file:'].includes(url.protocol)) return route.continue();
    refused.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  return { browser, page, refused, consoleErrors, close: () => browser.close() };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** A notebook of code cells for the streamlab kernel, written to `dir/name`. */
export function writeNotebook(dir: string, name: string, cells: string[]): string {
  const nb = {
    cells: cells.map((source) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })),
    metadata: { kernelspec: { name: 'streamlab', display_name: 'TypeScript (streamlab)', language: 'typescript' }, language_info: { name: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

export async function openNotebook(page: Page, lab: Lab, name: string): Promise<void> {
  // ?reset: a fresh workspace, so notebooks a previous page had open are not reopened beside this one.
  await page.goto(`${lab.url}/lab/tree/${encodeURIComponent(name)}?reset&token=${lab.token}`);
  await page.waitForSelector('.jp-NotebookPanel .jp-Notebook', { timeout: 60_000 });
  await waitForKernelReady(lab, name);
  await waitForKernelIdle(page);
}

/** Shuts down the kernels of every session the server has (what a user's "Shut Down All Kernels" does). */
export async function shutdownAllKernels(lab: Lab): Promise<void> {
  const res = await fetch(`${lab.url}/api/sessions?token=${lab.token}`);
  for (const s of (await res.json()) as { id: string }[]) await fetch(`${lab.url}/api/sessions/${s.id}?token=${lab.token}`, { method: 'DELETE' });
}

/** The server's view: the notebook's session has a kernel that a browser is connected to and that is idle. */
export async function waitForKernelReady(lab: Lab, name: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${lab.url}/api/sessions?token=${lab.token}`).catch(() => undefined);
    if (res?.ok) {
      const sessions = (await res.json()) as { path: string; kernel?: { execution_state?: string; connections?: number } }[];
      const s = sessions.find((x) => x.path === name || x.path.endsWith(`/${name}`));
      last = JSON.stringify(s?.kernel ?? null);
      if (s?.kernel && s.kernel.execution_state === 'idle' && (s.kernel.connections ?? 0) > 0) return;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the kernel of ${name} was not ready in ${timeoutMs} ms (last: ${last})`);
}

/** The kernel indicator of the notebook says idle. */
export async function waitForKernelIdle(page: Page, timeoutMs = 120_000): Promise<void> {
  await page.waitForFunction(() => {
    const status = document.querySelector('.jp-NotebookPanel-toolbar .jp-KernelStatus, .jp-Toolbar-kernelStatus, .jp-NotebookPanel-toolbar [data-status]');
    const text = document.querySelector('.jp-StatusBar-TextItem')?.textContent ?? '';
    return (status?.getAttribute('data-status') ?? '') === 'idle' || /\| Idle/.test(text);
  }, undefined, { timeout: timeoutMs, polling: 250 });
}

/** A main-menu item, as a user clicks it: `menu('Run', 'Run All Cells')`. */
export async function menu(page: Page, top: string, item: string): Promise<void> {
  await page.locator(`.lm-MenuBar-itemLabel:text-is("${top}")`).click();
  await page.locator(`.lm-Menu-itemLabel:text-is("${item}")`).first().click();
}

/** Every code cell has run (an execution count, not `[*]`) and the kernel is idle. */
export async function waitForAllCellsRun(page: Page, timeoutMs = 180_000): Promise<void> {
  await onFailureScreenshot(page, 'failed-run-all', () => waitForAllCellsRunOrFail(page, timeoutMs));
}

/** Runs `step`; when it throws, saves a screenshot of the page as it was, then rethrows. */
export async function onFailureScreenshot<T>(page: Page, name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    await screenshot(page, name).catch(() => undefined);
    throw e;
  }
}

async function waitForAllCellsRunOrFail(page: Page, timeoutMs: number): Promise<void> {
  // Done when every cell has its execution count, or when a cell failed (the cells after it are then aborted).
  await page.waitForFunction(
    () => {
      const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map((p) => p.textContent ?? '');
      const failed = document.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]');
      return failed !== null || (prompts.length > 0 && prompts.every((p) => /\[\d+\]/.test(p)));
    },
    undefined,
    { timeout: timeoutMs, polling: 250 },
  );
  const errors = await cellErrors(page);
  if (errors.some((e) => /Error/.test(e))) throw new Error(`a cell failed: ${errors.join(' | ').slice(0, 500)}`);
  await waitForKernelIdle(page, timeoutMs);
}

/** Errors shown in cell outputs. */
export async function cellErrors(page: Page): Promise<string[]> {
  return page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]').allTextContents();
}

/** Polls `check` (a page read) every 250 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
