/// <reference lib="dom" />
/**
 * `streamlab run`, the headless notebook runner, as a user runs it: the real command, the real kernel over ZeroMQ,
 * the embedded broker. Parameters, an error cell, a timeout, background streams stopped at the end, and the HTML
 * export opened in headless Chromium with the chart's last frame visible (test-artifacts/runner-html.png).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker, TestBroker } from './support/broker';
import { CLI, openBrowser, screenshot, writeNotebook } from './support/lab';

let broker: TestBroker;
let dir: string;

before(async () => {
  ({ broker } = await startBroker({ writeState: true }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-run-'));
});
after(async () => {
  await broker.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stderr: string;
  seconds: number;
}

function run(args: string[], timeoutMs = 240_000): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`streamlab run did not end in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[] };
  execution_count: number | null;
  outputs: { output_type: string; data?: Record<string, unknown>; text?: string; ename?: string; evalue?: string }[];
}

function cells(file: string): Cell[] {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: Cell[] }).cells;
}

function tag(file: string, index: number, name: string): void {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: Cell[] };
  nb.cells[index]!.metadata.tags = [name];
  fs.writeFileSync(file, JSON.stringify(nb));
}

const text = (c: Cell) => c.outputs.map((o) => String(o.data?.['text/plain'] ?? o.text ?? '')).join('\n');

test('a notebook runs with parameters, its streams stop at the end, and its HTML shows the chart', async () => {
  const file = writeNotebook(dir, 'params.ipynb', [
    "const count = 100;\nconst topic = 'unused';",
    '%connect',
    'const written = await streamlab.session.generate(topic, { sensors: 3, count, seed: 3, startTime: Date.parse("2026-01-01T00:00:00Z") });\nwritten.readings',
    '%consume ${topic} --as readings --from earliest --time-field time'.replace('${topic}', 'run-sensors'),
    'await readings.caughtUp();\nreadings.metrics().records',
    '%plot readings --y value --by sensor --title "run chart"',
  ]);
  tag(file, 0, 'parameters');
  const r = await run([file, '--out', path.join(dir, 'out'), '--html', '-p', 'count=40', '-p', 'topic=run-sensors']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /with count=40, topic="run-sensors"/);
  assert.match(r.stderr, /\[7\/7\] ✓ %plot readings/);
  assert.match(r.stderr, /done: 7 cells run in .*; wrote .*out\/params\.ipynb and .*out\/params\.html/);
  const out = cells(path.join(dir, 'out', 'params.ipynb')).filter((c) => c.cell_type === 'code');
  assert.deepEqual(out[1]!.metadata.tags, ['injected-parameters'], 'the parameters go in a cell after the tagged one, as papermill does');
  assert.equal(out[1]!.source, 'const count = 40;\nconst topic = "run-sensors";');
  const readings = Number(text(out[3]!));
  assert.ok(readings > 30 && readings <= 40, `the notebook ran with count=40: ${readings} good readings`);
  assert.equal(text(out[5]!), String(readings), 'and the stream read them all');
  assert.deepEqual(out.map((c) => c.execution_count), [1, 2, 3, 4, 5, 6, 7]);
  // Stopped at the end: the stream's status line ends, and the chart keeps its last frame as an image.
  assert.match(text(out[4]!), /^■ readings \[stopped\]: consuming 'run-sensors'/);
  const chart = out[6]!.outputs.find((o) => o.data?.['application/vnd.streamlab.chart+json']);
  assert.ok(chart, 'a chart output');
  assert.equal(typeof chart.data!['image/png'], 'string', 'with its last frame as PNG');

  const session = await openBrowser();
  try {
    await session.page.goto(`file://${path.join(dir, 'out', 'params.html')}`);
    const image = await session.page.evaluate(() => {
      const img = [...document.images].find((i) => i.alt === 'chart');
      return img ? { w: img.naturalWidth, h: img.naturalHeight } : undefined;
    });
    assert.ok(image && image.w >= 400 && image.h >= 300, `the chart shows as an image: ${JSON.stringify(image)}`);
    await session.page.locator('img[alt="chart"]').scrollIntoViewIfNeeded();
    await screenshot(session.page, 'runner-html');
    assert.deepEqual(session.refused, [], 'the page reaches nothing');
  } finally {
    await session.close();
  }
});

test('a failing cell stops the run and exits 1, naming the cell and the error in one line', async () => {
  const file = writeNotebook(dir, 'fails.ipynb', ['const a = 1;\na', "throw new RangeError('the sensor id is out of range');", 'const never = 3;\nnever']);
  const r = await run([file]);
  assert.equal(r.code, 1);
  const last = r.stderr.trim().split('\n').pop()!;
  assert.equal(last, `streamlab: ${file}: cell 2 (throw new RangeError('the sensor id is out of range');) failed: RangeError: the sensor id is out of range`);
  const out = cells(path.join(dir, 'fails.executed.ipynb'));
  assert.equal(out[1]!.outputs[0]!.output_type, 'error', 'the error is in the saved notebook');
  assert.equal(out[2]!.execution_count, null, 'cells after the failure do not run');
  assert.deepEqual(out[2]!.outputs, []);
});

test('a cell past its timeout is interrupted and reported', async () => {
  const file = writeNotebook(dir, 'slow.ipynb', ['1 + 1', 'await new Promise((resolve) => setTimeout(resolve, 120_000));', '2 + 2']);
  const r = await run([file, '--timeout', '3']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[2\/3\] ✗ await new Promise.*timed out\)/);
  assert.match(r.stderr.trim().split('\n').pop()!, /cell 2 \(await new Promise.*\) ran past its timeout of 3 s and was interrupted: raise --timeout/);
  const out = cells(path.join(dir, 'slow.executed.ipynb'));
  assert.match(out[1]!.outputs.map((o) => `${o.ename}: ${o.evalue}`).join(''), /Interrupted/, 'the kernel interrupted the cell (it was not waited out)');
  assert.equal(out[2]!.execution_count, null, 'the cell after it did not run');
});

test('bad arguments are one line each', async () => {
  assert.match((await run([])).stderr, /^streamlab: which notebook\? none given: usage: streamlab run NOTEBOOK\.ipynb/m);
  assert.match((await run([path.join(dir, 'nope.ipynb')])).stderr, /^streamlab: no notebook at .*nope\.ipynb: give the path of an \.ipynb file$/m);
  const file = writeNotebook(dir, 'p.ipynb', ['1']);
  assert.match((await run([file, '-p', 'count'])).stderr, /^streamlab: parameter 'count' is not NAME=VALUE: write it as -p count=10/m);
  fs.writeFileSync(path.join(dir, 'bad.ipynb'), '{"cells": 3');
  assert.match((await run([path.join(dir, 'bad.ipynb')])).stderr, /^streamlab: .*bad\.ipynb is not a notebook: /m);
});

/**
 * `streamlab lab --headless` once, as on a fresh machine: a state folder of its own, so it starts its own embedded
 * broker (with this file's broker it would append to the topics the run before it wrote).
 */
function labHeadless(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-headless-state-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'lab', '--headless', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STREAMLAB_STATE_DIR: state } });
    child.on('exit', () => fs.rmSync(state, { recursive: true, force: true }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lab --headless did not end: ${stdout}${stderr}`));
    }, 300_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('`streamlab lab --headless` runs the anomaly notebook and prints what it found: the same figures on every run', async () => {
  const runs: Record<string, number>[] = [];
  for (let i = 1; i <= 2; i++) {
    const result = await labHeadless(path.join(dir, `headless-${i}`));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const figure = (name: string) => Number(new RegExp(`^${name}\\s+([\\d.,]+)$`, 'm').exec(result.stdout)?.[1]?.replace(/,/g, ''));
    const figures = Object.fromEntries(['windowsScored', 'labelledAnomalous', 'flagged', 'truePositives', 'precision', 'recall'].map((n) => [n, figure(n)]));
    assert.ok(figures.windowsScored! >= 500, result.stdout);
    assert.ok(figures.precision! >= 0.7 && figures.recall! >= 0.55, `precision ${figures.precision}, recall ${figures.recall}`);
    assert.ok(fs.existsSync(path.join(dir, `headless-${i}`, '02-anomaly-detection.html')));
    runs.push(figures);
  }
  // The same data (each run on a fresh broker) gives the same windows, the same model and the same verdicts,
  // whatever the partitions' interleaving.
  assert.deepEqual(runs[1], runs[0], 'run 2 equals run 1');
});
