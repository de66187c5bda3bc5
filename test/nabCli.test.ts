/**
 * `streamlab nab score` and `streamlab nab detect` as a user runs them: the published numenta results scored from a
 * results directory, and a detector run over a data directory through the embedded broker, whose results equal the
 * same detector run in process (the broker delivers every row, in order); the figures per category with VUS-PR, NAB's
 * published scores per category (`--published`) and beside ours (`--compare`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LikelihoodDetector, WindowedGaussian, formatNabTime, readSeries } from '../src/models';

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
  // VUS-PR per file and overall, and the per-category table (one category here: normalised on its 3 windows).
  assert.match(text.stdout, /windows\s+VUS-PR\n/);
  assert.match(text.stdout, /\nVUS-PR 0\.\d\d \(mean over files with anomalies\)\n/);
  assert.match(text.stdout, /\nrealKnownCause\s+1\s+3\s+1\.71\s+-3\.00\s+3\.00\s+78\.43\s+0\.\d\d\n/);
  assert.match(text.stdout, /Normalised per subset/);
  const json = await cli(['nab', 'score', dir, '--windows', WINDOWS, '--threshold', '0.542187690735', '--json']);
  const parsed = JSON.parse(json.stdout) as { score: number; vusPr: number; files: { tp: number; vusPr: number }[]; categories: { category: string; score: number; normalized: number; vusPr: number }[] };
  assert.ok(Math.abs(parsed.score - 1.70586905384) < 1e-6);
  assert.ok(parsed.vusPr > 0 && parsed.vusPr < 1);
  assert.equal(parsed.files[0]!.vusPr, parsed.vusPr);
  assert.deepEqual(parsed.categories.map((c) => c.category), ['realKnownCause']);
  assert.ok(Math.abs(parsed.categories[0]!.normalized - (100 * (1.70586905384 + 3)) / 6) < 1e-6);
  assert.equal(parsed.categories[0]!.vusPr, parsed.vusPr);
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
  // The likelihood detector by name: the default is now the ensemble.
  const detect = await cli(['nab', 'detect', dataDir, '--out', out, '--windows', WINDOWS, '--detector', 'likelihood']);
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

/** The NAB development corpus with NAB's published results: the repository's copy (data/nab). */
function sharedNab(): string {
  return path.join(ROOT, 'data', 'nab');
}
const SHARED = sharedNab();

test('nab score --published FILE prints a published detector per category; a .csv positional is the same', async () => {
  const numenta = path.join(SHARED!, 'results', 'numenta_standard_scores.csv');
  const windows = path.join(SHARED!, 'combined_windows.json');
  const text = await cli(['nab', 'score', '--published', numenta, '--windows', windows]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Numenta HTM \(numenta\): NAB's published standard-profile scores .*threshold 0\.542187690735\.\n/);
  assert.match(text.stdout, /\nrealKnownCause\s+7\s+19\s+2\.08\s+-19\.00\s+19\.00\s+55\.47\n/);
  assert.match(text.stdout, /\nartificialNoAnomaly\s+5\s+0\s+-0\.44\s+0\.00\s+0\.00\s+n\/a \(no windows\)\n/);
  assert.match(text.stdout, /\nall\s+35\s+80\s/);
  assert.match(text.stdout, /VUS-PR: n\/a \(VUS-PR needs per-row scores/);
  const positional = await cli(['nab', 'score', numenta, '--windows', windows]);
  assert.equal(positional.stdout, text.stdout);
  const json = await cli(['nab', 'score', '--published', numenta, '--published', path.join(SHARED!, 'results', 'ARTime_standard_scores.csv'), '--windows', windows, '--json']);
  const parsed = JSON.parse(json.stdout) as { detector: string; vusPr: null; categories: { category: string; normalized: number | null }[] }[];
  assert.deepEqual(parsed.map((p) => p.detector), ['numenta', 'ARTime']);
  assert.equal(parsed[0]!.vusPr, null);
  assert.ok(Math.abs(parsed[0]!.categories.find((c) => c.category === 'realKnownCause')!.normalized! - 55.4673) < 1e-3);
  const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nab-pub-')), 'x_standard_scores.csv');
  fs.writeFileSync(bad, 'Detector,Profile,File,Threshold,TP,TN,FP,FN\n');
  const missing = await cli(['nab', 'score', '--published', bad]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^streamlab: .*x_standard_scores\.csv has no 'Score' column \(header: Detector,Profile,File,Threshold,TP,TN,FP,FN\): NAB's published scores have Detector,Profile,File,Threshold,Score,TP,TN,FP,FN,Total_Count\n$/);
  const noDir = await cli(['nab', 'score', '--compare']);
  assert.match(noDir.stderr, /^streamlab: --compare needs a RESULTS_DIR to compare: usage: /);
});

test('nab score RESULTS_DIR --compare: one row per category beside the four published detectors', async () => {
  // Our windowed Gaussian on three realKnownCause files (stored as NAB stores scores) and a flat synthetic
  // artificialNoAnomaly file: at threshold 1.0 it is NAB's windowedGaussian, so its column must equal ours.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nab-compare-'));
  fs.mkdirSync(path.join(dir, 'realKnownCause'));
  fs.mkdirSync(path.join(dir, 'artificialNoAnomaly'));
  for (const name of ['ec2_request_latency_system_failure', 'machine_temperature_system_failure', 'nyc_taxi']) {
    const lines = fs.readFileSync(path.join(DATA, `${name}.csv`), 'utf8').trim().split('\n').slice(1);
    const d = new WindowedGaussian();
    const rows = lines.map((l) => `${l},${Number(d.score(Number(l.split(',')[1])).toPrecision(12))},0`);
    fs.writeFileSync(path.join(dir, 'realKnownCause', `wg_${name}.csv`), ['timestamp,value,anomaly_score,label', ...rows].join('\n'));
  }
  const flat = Array.from({ length: 500 }, (_, i) => `${formatNabTime(Date.UTC(2014, 3, 1) + i * 300_000)},20,0,0`);
  fs.writeFileSync(path.join(dir, 'artificialNoAnomaly', 'wg_art_flatline.csv'), ['timestamp,value,anomaly_score,label', ...flat].join('\n'));
  const text = await cli(['nab', 'score', dir, '--windows', WINDOWS, '--threshold', '1.0', '--compare']);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  const header = lines.findIndex((l) => l.startsWith('category'));
  assert.match(lines[header]!, /^category\s+files\s+ours raw\s+ours normalised\s+ours VUS-PR\s+ARTime\s+Numenta HTM\s+CAD OSE\s+Windowed Gaussian$/);
  const rows = lines.slice(header + 1);
  assert.deepEqual(rows.map((l) => l.split(/\s+/)[0]), ['artificialNoAnomaly', 'realKnownCause', 'all'], 'one row per category present, and all');
  assert.match(rows[0]!, /^artificialNoAnomaly\s+1\s+0\.00\s+n\/a \(no windows\)\s+n\/a\s+n\/a \(no windows\)/);
  const rkc = rows[1]!.split(/\s{2,}/);
  assert.equal(rkc[1], '3');
  assert.match(rkc[4]!, /^0\.\d\d$/, 'our VUS-PR');
  assert.equal(rkc[8], rkc[3], 'our windowed Gaussian normalises as NAB\'s published one on the same files');
  assert.match(lines.slice(0, header).join('\n'), /threshold 1\b.*NAB's thresholds \(ARTime 0\.317486, Numenta HTM 0\.542187690735, CAD OSE 0\.76552734375, Windowed Gaussian 1\)[\s\S]*Normalised per subset/);
  const json = await cli(['nab', 'score', dir, '--windows', WINDOWS, '--threshold', '1.0', '--compare', '--json']);
  const parsed = JSON.parse(json.stdout) as { ours: { vusPr: number; categories: { category: string; normalized: number | null }[] }; published: { name: string; categories: { category: string; normalized: number | null }[]; missing: string[] }[] };
  assert.deepEqual(parsed.published.map((p) => p.name), ['ARTime', 'Numenta HTM', 'CAD OSE', 'Windowed Gaussian']);
  assert.ok(parsed.ours.vusPr > 0 && parsed.ours.vusPr < 1);
  const ours = parsed.ours.categories.find((c) => c.category === 'realKnownCause')!.normalized!;
  const theirs = parsed.published[3]!.categories.find((c) => c.category === 'realKnownCause')!.normalized!;
  assert.ok(Math.abs(ours - theirs) < 1e-6, `${ours} vs ${theirs}`);
  assert.deepEqual(parsed.published[3]!.missing, []);
});
