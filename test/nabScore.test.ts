/**
 * The NAB scorer against NAB's own published figures (standard profile), to 1e-6 with the published TP/FP/FN/TN:
 * - published results files scored: realKnownCause/ec2_request_latency_system_failure.csv for numenta (HTM,
 *   threshold 0.542187690735, raw 1.70586905384) and for windowedGaussian (threshold 1.0, raw 2.02150685678);
 * - all five realKnownCause files (ambient_temperature_system_failure, cpu_utilization_asg_misconfiguration,
 *   ec2_request_latency_system_failure, machine_temperature_system_failure, nyc_taxi) scored from our windowed
 *   Gaussian's output stored as NAB stores it (12 significant digits): NAB's published windowedGaussian per-file
 *   scores and counts, which checks the scorer and the baseline together.
 * Plus the scoring function's defining properties, the figures per category (with VUS-PR), and NAB's published
 * per-file scores read into the same per-category figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  STANDARD_PROFILE,
  publishedOn,
  readPublishedScores,
  type CategoryScore,
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

test('per category: raw sums, null/perfect and normalisation on the category\'s own files, VUS-PR means', () => {
  const windows = readWindows(path.join(DATA, 'combined_windows.json'));
  const { times, scores } = publishedEc2();
  // A second realKnownCause file, and an artificialNoAnomaly file (no windows): synthetic scores on NAB's timestamps.
  const nyc = readSeries(path.join(DATA, 'nyc_taxi.csv'), false);
  const flat = Array.from({ length: 400 }, (_, i) => Date.UTC(2014, 3, 1) + i * 300_000);
  const files = [
    { dataSet: EC2, detector: 'numenta', times, scores },
    { dataSet: 'realKnownCause/nyc_taxi.csv', detector: 'numenta', times: nyc.times, scores: nyc.values.map((v, i) => (i % 97 === 0 ? 0.9 : v / 1e5)) },
    { dataSet: 'artificialNoAnomaly/art_flatline.csv', detector: 'numenta', times: flat, scores: flat.map((_, i) => (i === 300 ? 1 : 0)) },
  ];
  const r = scoreSeries(files, windows, { threshold: 0.542187690735 });
  assert.deepEqual(r.categories.map((c) => c.category), ['artificialNoAnomaly', 'realKnownCause']);
  for (const c of r.categories) {
    const mine = r.files.filter((f) => f.dataSet.startsWith(`${c.category}/`));
    assert.equal(c.files, mine.length);
    assert.ok(Math.abs(c.score - mine.reduce((a, f) => a + f.score, 0)) < 1e-12, `${c.category}: the sum of its files`);
    for (const k of ['tp', 'fp', 'fn', 'tn', 'windows'] as const) assert.equal(c[k], mine.reduce((a, f) => a + f[k], 0), `${c.category} ${k}`);
    assert.equal(c.nullScore, -c.windows);
    assert.equal(c.perfectScore, c.windows);
  }
  assert.ok(Math.abs(r.categories.reduce((a, c) => a + c.score, 0) - r.score) < 1e-12, 'categories add up to the total');
  const [art, rkc] = r.categories as [CategoryScore, CategoryScore];
  assert.equal(art.windows, 0);
  assert.equal(art.normalized, null, 'no windows: normalisation undefined');
  assert.equal(art.vusPr, null, 'no anomalies: VUS-PR undefined');
  assert.ok(Math.abs(art.score - -0.11) < 1e-12, 'its raw score still counts (one FP before any window)');
  assert.equal(rkc.windows, 3 + 5);
  assert.ok(Math.abs(rkc.normalized! - (100 * (rkc.score + 8)) / 16) < 1e-9);
  const [ec2, taxi, flatline] = r.files;
  assert.equal(flatline!.vusPr, null);
  assert.ok(ec2!.vusPr! > 0 && ec2!.vusPr! < 1 && taxi!.vusPr! > 0 && taxi!.vusPr! < 1);
  assert.ok(Math.abs(rkc.vusPr! - (ec2!.vusPr! + taxi!.vusPr!) / 2) < 1e-12, 'category VUS-PR: mean over its files');
  assert.equal(r.vusPr, rkc.vusPr, 'corpus VUS-PR: mean over the files that have anomalies');
});

/** The NAB development corpus with NAB's published results: the repository's copy (data/nab). */
function sharedNab(): string {
  return path.join(ROOT, 'data', 'nab');
}

test('published numenta (HTM) scores on realKnownCause: the sum of the CSV rows, normalised by its 19 windows', () => {
  const nab = sharedNab()!;
  const windows = readWindows(path.join(nab, 'combined_windows.json'));
  const p = readPublishedScores(path.join(nab, 'results', 'numenta_standard_scores.csv'), windows, nab);
  assert.equal(p.detector, 'numenta');
  assert.equal(p.name, 'Numenta HTM');
  assert.deepEqual(p.thresholds, [0.542187690735]);
  assert.deepEqual(p.unchecked, [], 'every data CSV found: probation checked');
  const rkc = p.categories.find((c) => c.category === 'realKnownCause')!;
  // The seven realKnownCause rows of numenta_standard_scores.csv (Score column) and their windows in combined_windows.json.
  const raw = -0.758599859273 + -0.255718003788 + 1.70586905384 + 1.36013273774 + 2.43572773247 + -1.11370102385 + -1.29575982814;
  const windowsHere = 2 + 1 + 3 + 4 + 5 + 2 + 2; // ambient, cpu, ec2, machine, nyc_taxi, rogue_agent_key_hold, rogue_agent_key_updown
  assert.equal(rkc.files, 7);
  assert.equal(rkc.windows, windowsHere);
  assert.ok(Math.abs(rkc.score - raw) < 1e-9, `${rkc.score} vs ${raw}`);
  assert.equal(rkc.nullScore, -19);
  assert.equal(rkc.perfectScore, 19);
  const expected = (100 * (raw + 19)) / 38;
  assert.ok(rkc.normalized! > 0 && rkc.normalized! < 100);
  assert.ok(Math.abs(rkc.normalized! - expected) < 1e-9, `${rkc.normalized} vs ${expected}`);
  assert.equal(rkc.normalized!.toFixed(2), '55.47');
  assert.equal(rkc.vusPr, null, 'no per-row scores, no VUS-PR');
  const art = p.categories.find((c) => c.category === 'artificialNoAnomaly')!;
  assert.equal(art.normalized, null);
  assert.ok(Math.abs(p.all.score - p.categories.reduce((a, c) => a + c.score, 0)) < 1e-9);
  // On a subset of its files (as --compare takes them), and a data set it has no score for.
  const sub = publishedOn(p, [EC2, 'realAWSCloudwatch/grok_asg_anomaly.csv']);
  assert.deepEqual(sub.missing, ['realAWSCloudwatch/grok_asg_anomaly.csv']);
  assert.ok(Math.abs(sub.all.normalized! - (100 * (1.70586905384 + 3)) / 6) < 1e-9);
});

test('published scores: one-line errors for a missing column, an unlabelled data set, another profile, mixed detectors', () => {
  const windows = readWindows(path.join(DATA, 'combined_windows.json'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nab-published-'));
  const write = (name: string, text: string): string => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const noScore = write('a.csv', 'Detector,Profile,File,Threshold,TP,TN,FP,FN\nx,standard,realKnownCause/nyc_taxi.csv,1,0,0,0,0\n');
  assert.throws(() => readPublishedScores(noScore, windows, DATA), /a\.csv has no 'Score' column \(header: Detector,Profile,File,Threshold,TP,TN,FP,FN\): NAB's published scores have Detector,Profile,File,Threshold,Score,TP,TN,FP,FN,Total_Count$/);
  const unknown = write('b.csv', 'Detector,Profile,File,Threshold,Score,TP,TN,FP,FN,Total_Count\nx,standard,realNope/z.csv,1,0.5,0,0,0,0,10\n');
  assert.throws(() => readPublishedScores(unknown, windows, DATA, 'W.json'), /b\.csv line 2: data set 'realNope\/z\.csv' is not in W\.json: pass the combined_windows\.json/);
  const low = write('c.csv', 'Detector,Profile,File,Threshold,Score,TP,TN,FP,FN,Total_Count\nx,reward_low_FP_rate,realKnownCause/nyc_taxi.csv,1,0.5,0,0,0,0,10\n');
  assert.throws(() => readPublishedScores(low, windows, DATA), /profile 'reward_low_FP_rate' is not 'standard'/);
  assert.throws(() => readPublishedScores(path.join(FIXTURES, 'published_scores.csv'), windows, DATA), /published_scores\.csv line 7: detector 'windowedGaussian' is not 'numenta' of the lines above: pass one file per detector$/);
  // Data CSVs absent under the NAB dir: every window counts, and the figures say so.
  const totals = write('d.csv', 'Detector,Profile,File,Threshold,Score,TP,TN,FP,FN,Total_Count\nx,standard,realKnownCause/nyc_taxi.csv,1,0.5,0,0,0,0,10\nx,standard,Totals,,0.5,0,0,0,0,10\n');
  const p = readPublishedScores(totals, windows, dir);
  assert.deepEqual(p.unchecked, ['realKnownCause/nyc_taxi.csv']);
  assert.equal(p.all.windows, 5, 'the Totals line is not a file');
});
