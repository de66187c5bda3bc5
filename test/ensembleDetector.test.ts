/**
 * The default detector (EnsembleDetector): online, explainable, absorbs a level shift after flagging it once, and
 * holds its figures on the whole NAB development corpus (data/nab: 35 files, five categories).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DETECTORS, EnsembleDetector, WindowedGaussian, createDetector, defaultNabDir, readSeries, readWindows, scoreSeries } from '../src/models';

const NAB = defaultNabDir(path.join(__dirname, '..', '..'));
const FIVE_MINUTES = 300_000;
const START = Date.UTC(2024, 0, 1);

/** A seeded normal sample (Box-Muller over an LCG), so every run sees the same series. */
function normals(seed: number): () => number {
  let x = seed;
  const u = () => ((x = (x * 1103515245 + 12345) % 2147483648) + 1) / 2147483649;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/**
 * Five-minute readings with a daily rhythm (amplitude `daily`) and noise, plus `extra(i)`. Normal noise, or uniform
 * noise when testing a shift: normal noise sets a new record now and then for ever (a true 'new extreme', but not the
 * shift being flagged again).
 */
function readings(n: number, daily: number, extra: (i: number) => number, seed = 11, uniform = false, noise = 0.5): { times: number[]; values: number[] } {
  const g = normals(seed);
  let x = seed;
  const z = uniform ? () => 2 * ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) - 1 : g;
  const times = Array.from({ length: n }, (_, i) => START + i * FIVE_MINUTES);
  const values = times.map((_, i) => 10 + daily * Math.sin((2 * Math.PI * i) / 288) + noise * z() + extra(i));
  return { times, values };
}

function alerts(values: number[], times: number[], from = 0): { row: number; reason: string | undefined }[] {
  const d = new EnsembleDetector();
  const out: { row: number; reason: string | undefined }[] = [];
  values.forEach((v, i) => {
    const s = d.score(v, times[i]);
    if (s >= d.threshold && i >= from) out.push({ row: i, reason: d.reason });
  });
  return out;
}

test('every registered detector is online: the scores of a prefix do not change when more rows follow', () => {
  const { times, values } = readings(4000, 3, (i) => (i % 700 === 699 ? 6 : 0));
  for (const name of Object.keys(DETECTORS)) {
    const whole = createDetector(name);
    const all = values.map((v, i) => whole.score(v, times[i]));
    for (const cut of [1, 51, 1999]) {
      const part = createDetector(name);
      assert.deepEqual(values.slice(0, cut).map((v, i) => part.score(v, times[i])), all.slice(0, cut), `${name}, first ${cut} rows`);
    }
    assert.ok(all.every((s) => s >= 0 && s <= 1), `${name} scores lie in [0, 1]`);
  }
  assert.equal(Object.keys(DETECTORS)[0], 'ensemble', 'the ensemble is the default');
});

test('a level shift is flagged once, at its start, and is the new normal afterwards', () => {
  // With a daily rhythm the shift starts at the day's peak (row 4968), so the new level's later peaks are not records.
  for (const [daily, at, noise] of [
    [0, 5000, 0.5],
    [3, 4968, 0.1],
  ] as const) {
    const { times, values } = readings(9000, daily, (i) => (i >= at ? 4 : 0), 11, true, noise);
    const after = alerts(values, times, at - 10);
    assert.equal(after.length, 1, `daily amplitude ${daily}: alerts after the shift ${JSON.stringify(after)}`);
    assert.ok(after[0]!.row >= at && after[0]!.row <= at + 5, `flagged at row ${after[0]!.row}, the shift is at ${at}`);
    assert.ok(after[0]!.reason, 'the alert says which part fired');
  }
  // A downward shift too, on a series with no rhythm.
  const { times, values } = readings(9000, 0, (i) => (i >= 5000 ? -4 : 0), 5, true);
  const after = alerts(values, times, 4990);
  assert.deepEqual(after.map((a) => a.row), [5000]);
});

test('each alert says which part fired: a new extreme, and a value normal for the day but not for its hour', () => {
  const spike = readings(6000, 3, (i) => (i === 4000 ? 12 : 0));
  const a = alerts(spike.values, spike.times, 3000);
  assert.deepEqual(a, [{ row: 4000, reason: 'new extreme' }]);
  // Mid-range value (10, the daily mean) held for an hour at the daily peak: within the range seen, off the rhythm.
  const peak = 288 * 15 + 72; // the sine's top on day 15
  const offRhythm = readings(6000, 3, (i) => (i >= peak - 6 && i < peak + 6 ? -3 * Math.sin((2 * Math.PI * i) / 288) : 0));
  const b = alerts(offRhythm.values, offRhythm.times, 3000);
  assert.equal(b.length, 1, JSON.stringify(b));
  assert.ok(b[0]!.row >= peak - 6 && b[0]!.row < peak + 6, `flagged at ${b[0]!.row}, the dip spans ${peak - 6}..${peak + 5}`);
  assert.match(String(b[0]!.reason), /daily\/weekly pattern|level/);
  // Without times there is no rhythm to judge against, and the detector still works.
  const d = new EnsembleDetector();
  const untimed = spike.values.map((v) => d.score(v));
  assert.ok(untimed[4000]! >= d.threshold && d.warmupRows === 50);
});

test('the sensor detector flags a single-reading spike inside the range as a spike and a stuck run, which the default lets pass, and no record set by noise', () => {
  // Steady (uniform) noise around a level; a spike of 6 at row 1000 widens the range, so the spike of 4 at row 3000
  // is no new extreme; from row 5000, 40 identical readings.
  const { times, values } = readings(7000, 0, (i) => (i === 1000 ? 6 : i === 3000 ? 4 : 0), 3, true);
  for (let i = 5000; i < 5040; i++) values[i] = values[4999]!;
  const flagged = (name: string) => {
    const d = createDetector(name);
    return values.map((v, i) => ({ row: i, s: d.score(v, times[i]), reason: d.reason })).filter((x) => x.s >= d.threshold && x.row >= 2000);
  };
  assert.deepEqual(
    flagged('sensor').map(({ row, reason }) => ({ row, reason })),
    [
      { row: 3000, reason: 'spike' },
      { row: 5008, reason: 'stuck' },
    ],
  );
  assert.deepEqual(
    flagged('ensemble').map(({ row, reason }) => ({ row, reason })),
    [{ row: 3000, reason: 'far from usual' }],
    'the default is tuned on NAB, where stuck runs do not pay',
  );
  // Plain normal noise: the default takes its records for new extremes now and then; the sensor detector wants a
  // record to pass the range by a typical error, which noise does not.
  const noise = readings(7000, 0, () => 0, 11);
  const records = (name: string) => {
    const d = createDetector(name);
    return noise.values.map((v, i) => (d.score(v, noise.times[i]) >= d.threshold ? d.reason : undefined)).filter((r) => r !== undefined);
  };
  assert.ok(records('ensemble').length >= 2 && records('ensemble').every((r) => r === 'new extreme'), JSON.stringify(records('ensemble')));
  assert.deepEqual(records('sensor'), []);
});

test('quietRows: how soon a key may alert again, for the detectors that hold alerts back; nonsense refused in one line', () => {
  // Three spikes of 6, 30 rows apart, on steady noise: the default quiet period (3 % of rows seen: 60 here) holds the
  // later two back (the third's aftermath may alert once it ends); quietRows 10 lets each alert.
  const { times, values } = readings(2100, 0, (i) => (i === 2000 || i === 2030 || i === 2060 ? 6 : 0), 3, true);
  const alertRows = (settings: { quietRows?: number }) => {
    const d = createDetector('sensor', settings);
    return values.map((v, i) => (d.score(v, times[i]) >= d.threshold ? i : -1)).filter((i) => i >= 1500);
  };
  const held = alertRows({});
  assert.ok(held[0] === 2000 && !held.includes(2030) && !held.includes(2060), JSON.stringify(held));
  const quick = alertRows({ quietRows: 10 });
  assert.deepEqual(quick.slice(0, 3), [2000, 2030, 2060], JSON.stringify(quick));
  assert.ok(quick.every((i) => i <= 2070), 'and nothing once the spikes are over');
  assert.throws(() => createDetector('windowedGaussian', { quietRows: 10 }), /windowedGaussian has no quiet period/);
  assert.throws(() => createDetector('ensemble', { quietRows: -1 }), /quietRows must be a whole number >= 0, got -1/);
});

test('on the NAB development corpus the default detector beats Windowed Gaussian in every category and Numenta HTM overall', () => {
  const windows = readWindows(path.join(NAB, 'combined_windows.json'));
  const files: { dataSet: string; detector: string; times: number[]; scores: number[]; category: string }[] = [];
  for (const category of ['artificialNoAnomaly', 'realAdExchange', 'realKnownCause', 'realTraffic', 'realTweets']) {
    for (const name of fs.readdirSync(path.join(NAB, category)).filter((f) => f.endsWith('.csv')).sort()) {
      const s = readSeries(path.join(NAB, category, name), false);
      for (const [detector, d] of [['ensemble', new EnsembleDetector()], ['windowedGaussian', new WindowedGaussian()]] as const) {
        files.push({ dataSet: `${category}/${name}`, detector, category, times: s.times, scores: s.values.map((v, i) => d.score(v, s.times[i])) });
      }
    }
  }
  assert.equal(files.length / 2, 35);
  const score = (detector: string, category?: string) => {
    const mine = files.filter((f) => f.detector === detector);
    const threshold = scoreSeries(mine, windows).threshold;
    const subset = mine.filter((f) => (category ? f.category === category : f.category !== 'artificialNoAnomaly'));
    return scoreSeries(subset, windows, { threshold }).normalized;
  };
  // Numenta HTM's published per-file results on the 30 labelled files, normalised the same way.
  const htm = fs.readFileSync(path.join(NAB, 'results', 'numenta_standard_scores.csv'), 'utf8').split('\n').slice(1).map((l) => l.split(','));
  let raw = 0;
  let count = 0;
  for (const cells of htm) {
    const w = windows.get(cells[2] ?? '');
    if (!w || w.length === 0) continue;
    raw += Number(cells[4]);
    count += w.length;
  }
  const htmAll = (100 * (raw + count)) / (2 * count);
  const ours = score('ensemble');
  console.log(`ensemble ${ours.toFixed(1)}, Numenta HTM (published) ${htmAll.toFixed(1)}, windowed Gaussian ${score('windowedGaussian').toFixed(1)}`);
  for (const category of ['realAdExchange', 'realKnownCause', 'realTraffic', 'realTweets']) {
    const [e, g] = [score('ensemble', category), score('windowedGaussian', category)];
    console.log(`  ${category}: ensemble ${e.toFixed(1)}, windowed Gaussian ${g.toFixed(1)}`);
    assert.ok(e > g + 5, `${category}: ensemble ${e} vs windowed Gaussian ${g}`);
  }
  assert.ok(ours > htmAll - 0.5, `ensemble ${ours} vs Numenta HTM ${htmAll} on the 30 labelled files`);
});
