/**
 * The NAB scorer against NAB's own published figures (standard profile), to 1e-6 with the published TP/FP/FN/TN:
 * - published results files scored: realKnownCause/ec2_request_latency_system_failure.csv for numenta (HTM,
 *   threshold 0.542187690735, raw 1.70586905384) and for windowedGaussian (threshold 1.0, raw 2.02150685678);
 * - all five realKnownCause files (ambient_temperature_system_failure, cpu_utilization_asg_misconfiguration,
 *   ec2_request_latency_system_failure, machine_temperature_system_failure, nyc_taxi) scored from our windowed
 *   Gaussian's output stored as NAB stores it (12 significant digits): NAB's published windowedGaussian per-file
 *   scores and counts, which checks the scorer and the baseline together.
 * Plus the scoring function's defining properties.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  STANDARD_PROFILE,
  defaultNabDir,
  parseNabTime,
  probationLength,
  readSeries,
  readWindows,
  scaledSigmoid,
  scoreAt,
  scoreSeries,
  sweepFile,
  sweepThresholds,
  windowRows,
} from '../src/models/nab';
import { WindowedGaussian } from '../src/models/detectors';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'nab');
const DATA = path.join(ROOT, 'test', 'data', 'nab');
const EC2 = 'realKnownCause/ec2_request_latency_system_failure.csv';

function published(): Map<string, { threshold: number; score: number; tp: number; tn: number; fp: number; fn: number }> {
  const lines = fs.readFileSync(path.join(FIXTURES, 'published_scores.csv'), 'utf8').trim().split('\n').slice(1);
  return new Map(
    lines.map((l) => {
      const c = l.split(',');
      return [`${c[0]} ${c[2]}`, { threshold: +c[3]!, score: +c[4]!, tp: +c[5]!, tn: +c[6]!, fp: +c[7]!, fn: +c[8]! }];
    }),
  );
}

/** A detector's published results for ec2_request_latency: the kept rows' scores on the data file's timestamps. */
function publishedEc2(detector = 'numenta'): { times: number[]; scores: number[] } {
  const data = readSeries(path.join(DATA, 'ec2_request_latency_system_failure.csv'), false);
  const kept = readSeries(path.join(FIXTURES, `${detector}_ec2_request_latency_system_failure.detections.csv`), true);
  const byTime = new Map(kept.times.map((t, i) => [t, kept.scores![i]!]));
  const scores = data.times.map((t) => byTime.get(t) ?? 0);
  assert.equal([...byTime.keys()].filter((t) => data.times.includes(t)).length, kept.times.length, 'every kept row is a row of the data file');
  return { times: data.times, scores };
}

test('the scorer reproduces NAB\'s published raw score for numenta on ec2_request_latency_system_failure to 1e-6', () => {
  const windows = readWindows(path.join(DATA, 'combined_windows.json'));
  const expected = published().get(`numenta ${EC2}`)!;
  const { times, scores } = publishedEc2();
  assert.equal(times.length, 4032);
  const result = scoreSeries([{ dataSet: EC2, detector: 'numenta', times, scores }], windows, { threshold: expected.threshold });
  const file = result.files[0]!;
  assert.ok(Math.abs(file.score - expected.score) < 1e-6, `raw score ${file.score} vs published ${expected.score}`);
  assert.deepEqual({ tp: file.tp, fp: file.fp, fn: file.fn, tn: file.tn }, { tp: expected.tp, fp: expected.fp, fn: expected.fn, tn: expected.tn });
  assert.equal(file.windows, 3);
  assert.equal(result.nullScore, -3);
  assert.equal(result.perfectScore, 3);
  assert.ok(Math.abs(result.normalized - (100 * (expected.score + 3)) / 6) < 1e-9);
  assert.equal(result.fullCorpus, false, 'one file is not the corpus');
});

test('the scorer reproduces NAB\'s published raw score for windowedGaussian on ec2_request_latency_system_failure to 1e-6', () => {
  const windows = readWindows(path.join(DATA, 'combined_windows.json'));
  const expected = published().get(`windowedGaussian ${EC2}`)!;
  const { times, scores } = publishedEc2('windowedGaussian');
  const file = scoreSeries([{ dataSet: EC2, detector: 'windowedGaussian', times, scores }], windows, { threshold: expected.threshold }).files[0]!;
  assert.ok(Math.abs(file.score - expected.score) < 1e-6, `raw score ${file.score} vs published ${expected.score}`);
  assert.deepEqual([file.tp, file.fp, file.fn, file.tn], [expected.tp, expected.fp, expected.fn, expected.tn]);
});

test('our windowed Gaussian, stored as NAB stores scores, gets NAB\'s published windowedGaussian score on all five realKnownCause files', () => {
  const nab = defaultNabDir(ROOT);
  const windows = readWindows(path.join(nab, 'combined_windows.json'));
  const table = published();
  const names = ['ambient_temperature_system_failure', 'cpu_utilization_asg_misconfiguration', 'ec2_request_latency_system_failure', 'machine_temperature_system_failure', 'nyc_taxi'];
  const files = names.map((n) => {
    const s = readSeries(path.join(nab, `${n}.csv`), false);
    const d = new WindowedGaussian();
    // NAB's results CSVs hold 12 significant digits, so a tail probability within 5e-13 of 1 reads back as 1.0.
    return { dataSet: `realKnownCause/${n}.csv`, detector: 'windowedGaussian', times: s.times, scores: s.values.map((v) => Number(d.score(v).toPrecision(12))) };
  });
  const result = scoreSeries(files, windows, { threshold: 1.0 });
  for (const f of result.files) {
    const expected = table.get(`windowedGaussian ${f.dataSet}`)!;
    assert.ok(Math.abs(f.score - expected.score) < 1e-6, `${f.dataSet}: ${f.score} vs published ${expected.score}`);
    assert.deepEqual([f.tp, f.fp, f.fn, f.tn], [expected.tp, expected.fp, expected.fn, expected.tn], f.dataSet);
  }
});

test('the threshold sweep agrees with scoring at each threshold, and the optimiser takes the best', () => {
  const windows = readWindows(path.join(DATA, 'combined_windows.json'));
  const { times, scores } = publishedEc2();
  const rows = sweepFile(scores, windowRows(times, windows.get(EC2)!, EC2), STANDARD_PROFILE);
  const sweep = sweepThresholds(rows, STANDARD_PROFILE);
  assert.equal(sweep[0]!.tp + sweep[0]!.fp, 0, 'the first threshold detects nothing');
  assert.equal(sweep[0]!.score, -3, 'nothing detected: -A_fn per window');
  for (const t of sweep) {
    const direct = scoreAt(rows, t.threshold, STANDARD_PROFILE);
    assert.ok(Math.abs(direct.score - t.score) < 1e-9, `threshold ${t.threshold}: sweep ${t.score} vs direct ${direct.score}`);
    assert.deepEqual([direct.tp, direct.fp, direct.fn, direct.tn], [t.tp, t.fp, t.fn, t.tn]);
  }
  const optimized = scoreSeries([{ dataSet: EC2, detector: 'numenta', times, scores }], windows);
  assert.equal(optimized.optimized, true);
  assert.equal(optimized.score, Math.max(...sweep.map((t) => t.score)));
});

test('the scoring function: scaled sigmoid, probation, earliest detection, FP by distance', () => {
  assert.ok(Math.abs(scaledSigmoid(-1) - 0.9866142981514305) < 1e-12);
  assert.equal(scaledSigmoid(0), 0);
  assert.equal(scaledSigmoid(3), -1);
  assert.equal(probationLength(4032), 604);
  assert.equal(probationLength(22695), 750, 'capped at 750 rows');
  // 100 rows (probation 15), one window rows 40-49.
  const times = Array.from({ length: 100 }, (_, i) => Date.UTC(2020, 0, 1) + i * 60_000);
  const windows = new Map([['c/f.csv', [[times[40]!, times[49]!] as [number, number]]]]);
  const score = (hits: number[]): number => {
    const s = times.map((_, i) => (hits.includes(i) ? 1 : 0));
    return scoreSeries([{ dataSet: 'c/f.csv', detector: 'd', times, scores: s }], windows, { threshold: 0.5 }).score;
  };
  assert.equal(score([]), -1, 'missed window: -A_fn');
  assert.ok(Math.abs(score([40]) - 1) < 1e-12, 'first row of the window: A_tp');
  assert.equal(score([40, 45]), score([40]), 'one TP per window, from its earliest detection');
  assert.ok(score([45]) < score([40]) && score([45]) > 0, 'later is worth less');
  assert.equal(score([5]), -1, 'probationary rows are not scored');
  assert.ok(Math.abs(score([20]) - (-1 - 0.11)) < 1e-12, 'FP before any window: -A_fp');
  assert.ok(score([50]) < -1 && score([50]) > -1.11, 'FP right after the window costs less than A_fp');
  assert.ok(score([51]) < score([50]), 'FP costs more further from the window');
  assert.ok(Math.abs(score([90]) - (-1 - 0.11)) < 1e-12, 'three window widths past: -A_fp');
});

test('bad inputs give one line each', () => {
  assert.throws(() => readWindows('/nonexistent/windows.json'), /no windows file at \/nonexistent\/windows.json: pass NAB/);
  const times = [parseNabTime('2020-01-01 00:00:00'), parseNabTime('2020-01-01 00:05:00')];
  assert.throws(() => windowRows(times, [[parseNabTime('2020-01-01 00:01:00'), times[1]!]], 'c/f.csv'), /window edge 2020-01-01 00:01:00 is not a timestamp of c\/f.csv/);
  assert.throws(() => scoreSeries([{ dataSet: 'c/x.csv', detector: 'd', times, scores: [0, 0] }], new Map()), /no windows for c\/x.csv/);
});
