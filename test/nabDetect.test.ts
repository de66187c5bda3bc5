/**
 * streamlab's detectors on NAB: online (a row's score uses only the rows before it), the windowed Gaussian baseline
 * equal to its definition, and the likelihood detector beating the baseline on the five realKnownCause files of
 * ../shared/data/nab (standard profile, each detector at its best threshold on these files).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { LikelihoodDetector, WindowedGaussian, createDetector, defaultNabDir, normalTail, readSeries, readWindows, scoreSeries } from '../src/models';

const NAB = defaultNabDir(path.join(__dirname, '..', '..'));
const FILES = ['ambient_temperature_system_failure', 'cpu_utilization_asg_misconfiguration', 'ec2_request_latency_system_failure', 'machine_temperature_system_failure', 'nyc_taxi'];

function series(seed: number, n: number): number[] {
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, (_, i) => 10 + Math.sin(i / 20) + rand() + (i % 500 === 499 ? 8 : 0));
}

test('detectors are online: the scores of a prefix do not change when more rows follow', () => {
  const values = series(7, 3000);
  const times = values.map((_, i) => Date.UTC(2020, 0, 1) + i * 300_000);
  for (const name of ['likelihood', 'windowedGaussian']) {
    const full = createDetector(name);
    const all = values.map((v, i) => full.score(v, times[i]));
    const part = createDetector(name);
    const prefix = values.slice(0, 1700).map((v, i) => part.score(v, times[i]));
    assert.deepEqual(prefix, all.slice(0, 1700), name);
    assert.ok(all.every((s) => s >= 0 && s <= 1), `${name} scores lie in [0, 1]`);
  }
});

test('the windowed Gaussian scores each value against the mean and spread of the window before it', () => {
  const values = series(3, 1000);
  const d = new WindowedGaussian({ windowSize: 200, stepSize: 10 });
  const window: number[] = [];
  let fitted: number[] = [];
  const pending: number[] = [];
  values.forEach((v, i) => {
    const mean = fitted.reduce((a, b) => a + b, 0) / fitted.length;
    const std = Math.sqrt(fitted.reduce((a, b) => a + (b - mean) ** 2, 0) / fitted.length) || 1e-6;
    const expected = fitted.length ? 1 - 2 * normalTail(Math.abs(v - mean) / std) : 0;
    assert.ok(Math.abs(d.score(v) - expected) < 1e-9, `row ${i}`);
    if (window.length < 200) {
      window.push(v);
      fitted = [...window];
    } else {
      pending.push(v);
      if (pending.length === 10) {
        window.splice(0, 10, ...[]);
        window.push(...pending.splice(0));
        fitted = [...window];
      }
    }
  });
  assert.throws(() => new WindowedGaussian({ windowSize: 1 }), /windowed Gaussian needs windowSize >= 2/);
  assert.throws(() => createDetector('likelyhood'), /unknown detector 'likelyhood': did you mean 'likelihood'\?/);
});

test('on the five realKnownCause files the likelihood detector beats the windowed Gaussian clearly', () => {
  const windows = readWindows(path.join(NAB, 'combined_windows.json'));
  const run = (name: string) => {
    const files = FILES.map((f) => {
      const s = readSeries(path.join(NAB, `${f}.csv`), false);
      const d = name === 'likelihood' ? new LikelihoodDetector() : new WindowedGaussian();
      return { dataSet: `realKnownCause/${f}.csv`, detector: name, times: s.times, scores: s.values.map((v, i) => d.score(v, s.times[i])) };
    });
    return scoreSeries(files, windows);
  };
  const ours = run('likelihood');
  const baseline = run('windowedGaussian');
  const line = (r: typeof ours) => `${r.files[0]!.detector}: total ${r.score.toFixed(3)} (normalised ${r.normalized.toFixed(1)}) at threshold ${r.threshold}; ${r.files.map((f) => `${f.dataSet.split('/')[1]} ${f.score.toFixed(3)}`).join(', ')}`;
  console.log(line(ours));
  console.log(line(baseline));
  assert.ok(ours.score > baseline.score + 5, `likelihood ${ours.score} vs windowed Gaussian ${baseline.score}`);
  assert.ok(ours.normalized > 60, `normalised ${ours.normalized} on these files (HTM's published results give 65.0 here)`);
});
