/**
 * `streamlab nab score` and `streamlab nab detect` as a user runs them: the published numenta results scored from a
 * results directory, and a detector run over a data directory through the embedded broker, whose results equal the
 * same detector run in process (the broker delivers every row, in order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LikelihoodDetector, readSeries } from '../src/models';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const DATA = path.join(ROOT, 'test', 'data', 'nab');
const WINDOWS = path.join(DATA, 'combined_windows.json');

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, STREAMLAB_STATE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'nab-state-')) } });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

test('nab score prints each file\'s raw score and counts, and --json the same as data', async () => {
  // The published numenta results for ec2_request_latency, in NAB's layout (see test/fixtures/nab/README.md).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nab-results-'));
  const data = readSeries(path.join(DATA, 'ec2_request_latency_system_failure.csv'), false);
  const kept = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'nab', 'numenta_ec2_request_latency_system_failure.detections.csv'), 'utf8').trim().split('\n').slice(1);
  const score = new Map(kept.map((l) => [l.split(',')[0]!, l.split(',')[2]!]));
  const lines = fs.readFileSync(path.join(DATA, 'ec2_request_latency_system_failure.csv'), 'utf8').trim().split('\n').slice(1);
  assert.equal(lines.length, data.times.length);
  fs.mkdirSync(path.join(dir, 'realKnownCause'));
  fs.writeFileSync(
    path.join(dir, 'realKnownCause', 'numenta_ec2_request_latency_system_failure.csv'),
    ['timestamp,value,anomaly_score,label', ...lines.map((l) => `${l},${score.get(l.split(',')[0]!) ?? 0},0`)].join('\n'),
  );
  const text = await cli(['nab', 'score', dir, '--windows', WINDOWS, '--threshold', '0.542187690735']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /realKnownCause\/ec2_request_latency_system_failure\.csv\s+numenta\s+1\.705869\s+7\s+3\s+339\s+3079\s+3/);
  assert.match(text.stdout, /not the whole corpus/);
  const json = await cli(['nab', 'score', dir, '--windows', WINDOWS, '--threshold', '0.542187690735', '--json']);
  const parsed = JSON.parse(json.stdout) as { score: number; files: { tp: number }[] };
  assert.ok(Math.abs(parsed.score - 1.70586905384) < 1e-6);
  const both = await cli(['nab', 'score', dir, '--threshold', '0.5', '--optimize']);
  assert.equal(both.code, 1);
  assert.equal(both.stderr, 'streamlab: --threshold and --optimize exclude each other: give a threshold, or let --optimize find the best one\n');
  const missing = await cli(['nab', 'score', path.join(dir, 'nope'), '--windows', WINDOWS]);
  assert.match(missing.stderr, /^streamlab: no results directory at .*nope: pass a directory of <category>\/<detector>_<file>\.csv files\n$/);
});

test('nab detect replays each series through the embedded broker and writes NAB results that nab score reads', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nab-data-'));
  fs.copyFileSync(path.join(DATA, 'ec2_request_latency_system_failure.csv'), path.join(dataDir, 'ec2_request_latency_system_failure.csv'));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nab-out-'));
  const detect = await cli(['nab', 'detect', dataDir, '--out', out, '--windows', WINDOWS]);
  assert.equal(detect.code, 0, detect.stderr);
  assert.match(detect.stdout, /ec2_request_latency_system_failure\.csv: 4032 rows through topic nab-ec2_request_latency_system_failure-\d+/);
  const written = readSeries(path.join(out, 'realKnownCause', 'likelihood_ec2_request_latency_system_failure.csv'), true);
  const data = readSeries(path.join(DATA, 'ec2_request_latency_system_failure.csv'), false);
  const d = new LikelihoodDetector();
  const inProcess = data.values.map((v, i) => d.score(v, data.times[i]));
  assert.deepEqual(written.times, data.times);
  assert.deepEqual(written.scores, inProcess, 'the streamed run scores every row exactly as the in-process one');
  const scored = await cli(['nab', 'score', out, '--windows', WINDOWS]);
  assert.equal(scored.code, 0, scored.stderr);
  assert.match(scored.stdout, /ec2_request_latency_system_failure\.csv\s+likelihood\s+-?\d+\.\d{6}/);
  const bad = await cli(['nab', 'detect', dataDir, '--out', out, '--detector', 'gaussian']);
  assert.match(bad.stderr, /^streamlab: unknown detector 'gaussian'/);
});
