import os, sys
sys.path.insert(0, os.path.dirname(__file__))
from nbtools import code, md, write
write(os.path.join(os.path.dirname(__file__), '..', '..', 'notebooks', '03-predictive-maintenance.ipynb'), [
md("""# Predictive maintenance: a machine's temperature, a forecaster, and failures seen coming

Real data: the Numenta Anomaly Benchmark's `machine_temperature_system_failure` (an industrial machine's temperature sensor every 5 minutes, December 2013 to February 2014, with four labelled anomaly windows, the first a planned shutdown, the last a catastrophic failure). It is replayed into a topic and read back as a stream; a **forecaster** trained on the machine's first week predicts the next reading from the last hour, and a reading far from its forecast is flagged as it arrives. Which failure windows were flagged, and how early? Then NAB's own standard-profile score for the detector, next to streamlab's online likelihood detector."""),
code("%connect"),
md("""The series and NAB's labelled windows (copied into the repository's `data/nab`, MIT licence)."""),
code("""const file = '../data/nab/machine_temperature_system_failure.csv';
const series = streamlab.readTimeSeriesCsv(file);
const windows = streamlab.readWindows('../data/nab/combined_windows.json').get('realKnownCause/machine_temperature_system_failure.csv')!;
streamlab.frameFromColumns({ windowStart: windows.map((w) => w[0]), windowEnd: windows.map((w) => w[1]), hours: windows.map((w) => Math.round((w[1] - w[0]) / 3_600_000)) })"""),
md("""Into a topic, one record per reading with its own timestamp (kept for good: `retentionMs: -1`, since the readings are from 2013)."""),
code("""await streamlab.session.produce('machine-temperature', series.rows.map((r) => ({ time: r.time, value: r.values.value })), { timeField: 'time', createTopic: { partitions: 1, retentionMs: -1 } })"""),
md("""**History**: the machine's first week, loaded from the topic by event time (with a progress bar), to learn what normal looks like."""),
code("""const firstWeek = await streamlab.session.history('machine-temperature', { from: series.rows[0]!.time, to: series.rows[0]!.time + 7 * 86_400_000, timeField: 'time' });
firstWeek.frame.tail(3)"""),
md("""**The forecaster**: a small dense network over the last 12 readings (an hour), their changes and a rolling mean and spread, predicting the next reading. Its score is the absolute residual; the threshold is the 99.9th percentile of the residuals on its own training week."""),
code("""const forecaster = await streamlab.session.train(firstWeek.rows, {
  kind: 'forecaster',
  spec: { columns: ['value'], lags: 12, deltas: true, rolling: { window: 12 }, target: 'value' },
  layers: [32, 16],
  epochs: 80,
  percentile: 99.9,
  seed: 3,
});
forecaster"""),
md("""**Live**: the topic read back as a stream from its first record and drawn as a live chart; the scorer reads it too (with a consumer of its own, from the first record), scoring reading by reading (a reading's score uses only the readings before it), and marks the flagged readings on the chart."""),
code("%consume machine-temperature --as temperature --from earliest --time-field time --recent 30000"),
code('%plot temperature --y value --last 100d --title "machine temperature, flagged readings marked" --as chart'),
code("""const scorer = await streamlab.session.score('machine-temperature', forecaster.model, { consume: { from: 'earliest', timeField: 'time' }, chart, name: 'forecast-scorer', keep: 30_000 });
await scorer.until(series.rows.length);"""),
md("""**Which failures were seen coming?** For each labelled window: the first flagged reading inside it, and how long before the window's end (NAB's windows end after the labelled failure point, so an early flag is one well before the end)."""),
code("""const flaggedTimes = scorer.flaggedRows().map((r) => r.time as number).sort((a, b) => a - b);
const seen = windows.map(([start, end]) => {
  const first = flaggedTimes.find((t) => t >= start && t <= end);
  return { windowStart: start, windowEnd: end, firstFlagAt: first ?? null, hoursBeforeEnd: first === undefined ? null : Math.round((end - first) / 360_000) / 10 };
});
const caught = seen.filter((s) => s.firstFlagAt !== null).length;
// The notebook checks itself: CI runs it, and a forecaster that misses failures fails here.
if (caught < 3) throw new Error(`only ${caught} of the 4 labelled windows were flagged`);
streamlab.frameFromColumns({
  windowStart: seen.map((s) => s.windowStart),
  windowEnd: seen.map((s) => s.windowEnd),
  firstFlagAt: seen.map((s) => s.firstFlagAt),
  hoursBeforeEnd: seen.map((s) => s.hoursBeforeEnd),
})"""),
md("""**NAB's score** (standard profile, this file only; the threshold swept as NAB's optimiser does) for the forecaster's residuals, next to streamlab's online likelihood detector over the same stream. The scorer gave every reading a score; NAB wants one per row of the file, in order."""),
code("""// Threshold 0 flags every reading, so the scorer keeps every reading's score.
const scoreAll = await streamlab.session.score('machine-temperature', forecaster.model, { consume: { from: 'earliest', timeField: 'time' }, name: 'all-scores', threshold: 0, keep: 30_000 });
await scoreAll.until(series.rows.length);
const scores = new Map(scoreAll.flaggedRows().map((r) => [r.time as number, r.score as number]));
const times = series.rows.map((r) => r.time);
const likelihood = streamlab.createDetector('likelihood');
const dataSet = 'realKnownCause/machine_temperature_system_failure.csv';
const labels = new Map([[dataSet, windows]]);
const nab = streamlab.scoreSeries([
  { dataSet, detector: 'forecaster', times, scores: times.map((t) => scores.get(t) ?? 0) },
], labels);
const nabLikelihood = streamlab.scoreSeries([
  { dataSet, detector: 'likelihood', times, scores: series.rows.map((r) => likelihood.score(r.values.value!, r.time)) },
], labels);
streamlab.frameFromColumns({
  detector: ['forecaster (this notebook)', 'likelihood (streamlab, online)', "windowed Gaussian (NAB's published)", "HTM (NAB's published)"],
  rawScore: [nab.files[0]!.score, nabLikelihood.files[0]!.score, -4.0, 1.360],
  truePositives: [nab.files[0]!.tp, nabLikelihood.files[0]!.tp, null, null],
  falsePositives: [nab.files[0]!.fp, nabLikelihood.files[0]!.fp, null, null],
})"""),
code("%stop all"),
])
