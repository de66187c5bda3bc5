import sys; sys.path.insert(0, __import__('os').path.dirname(__file__))
from nbtools import code, md, write
write(__import__('os').path.join(__import__('os').path.dirname(__file__), '..', '..', 'notebooks', '02-anomaly-detection.ipynb'), [
md("""# Anomaly detection on a live stream: Kafka -> windows -> micro-batches -> model -> anomaly topic

The classic pipeline in one notebook: readings arrive on `sensor-data`; a **10 s tumbling window per sensor** computes moving statistics (the Kafka Streams step); **micro-batches** hand the closed windows over every second (the Spark Structured Streaming step); an **autoencoder trained on the topic's history** scores each window as it closes (the MLlib step); flagged windows go to the topic **`anomaly-stream`**, to a table of `anomalyValue` and to markers on a live chart. At the end the verdicts are checked against the generator's own labels: precision and recall."""),
code("""// Parameters (streamlab run -p liveSeconds=60 ...)
const liveSeconds = 25;
const seed = 21;""", ['parameters']),
code("%connect"),
md("""**History**: 20 minutes of event time from 8 sensors (10 readings a second each), with labelled anomalies: spikes, drifts and stuck sensors, plus a few late and malformed records, as a real feed has."""),
code("""const historyStart = Date.parse('2026-03-01T00:00:00Z');
const history = await streamlab.session.generate('sensor-data', { count: 96_000, sensors: 8, ratePerSecond: 80, seed, startTime: historyStart, anomalyShare: 0.001 });
history"""),
md("""**The Kafka Streams step**: 10 s tumbling windows per sensor over the history, from the topic's first record. Mean, spread and extremes per window are the model's features: for a normal window they hang together (max and min sit a couple of standard deviations around the mean, whatever the sensor's level); a spike, a stuck sensor or a drift pulls them apart."""),
code("%window sensor-data --from earliest --time-field time --tumbling 10s --by sensor --agg mean(value),stddev(value),min(value),max(value),count --grace 5s --as historyWindows"),
code("""await historyWindows.caughtUp();
historyWindows.flush();
historyWindows.metrics()"""),
md("""**The model**: an autoencoder over the four window statistics, trained on the history's windows (split by time, the newest 20 % validating; the scaler fitted on the training rows only). Its score is the reconstruction error; the threshold is the 88th percentile of the training scores (about one window in eight of the history carries a labelled anomaly, so the threshold sits near that share). The loss curves update live while it trains."""),
code("""// Closed windows come in the order they close (window end, then sensor), the same on every read of the topic,
// so the same history trains the same model on every run (the seed does the rest).
const trained = await streamlab.session.train(historyWindows.closedRows(), {
  kind: 'autoencoder',
  spec: { columns: ['mean_value', 'stddev_value', 'min_value', 'max_value'] },
  layers: [8, 2, 8],
  epochs: 60,
  percentile: 88,
  seed,
});
trained"""),
code("%stop historyWindows"),
md("""**Live**: a consumer keeps the raw readings, the live windows follow it, and the scorer scores each window as it closes, sending flagged ones to `anomaly-stream`. Then the feed goes on from where the history ends (event time runs 50x faster than the clock here, so windows close several times a second). Each partition's records are judged by that partition's own event time, and `--idle-timeout 10s` lets a partition that has caught up hold the windows open for its next records for 10 s: so the live windows are the same on every run, whatever the order the partitions arrive in."""),
code("%consume sensor-data --as readings --time-field time --recent 200000"),
code("%window readings --tumbling 10s --by sensor --agg mean(value),stddev(value),min(value),max(value),count --grace 5s --idle-timeout 10s --as liveWindows"),
code('%plot liveWindows --y mean_value --by sensor --last 10m --title "10 s means per sensor, anomalies marked" --as means'),
code("const scorer = await streamlab.session.score(liveWindows, trained.model, { toTopic: 'anomaly-stream', chart: means, name: 'scorer', keep: 10_000 });"),
code("""const liveRecords = liveSeconds * 4000;
await streamlab.session.generate('sensor-data', { background: true, rate: 4000, count: liveRecords, sensors: 8, ratePerSecond: 80, seed: seed + 1, startTime: historyStart + 1_200_000, anomalyShare: 0.001, malformedShare: 0, name: 'feed' });"""),
md("""**The Spark step**: every second, the windows closed since the last batch arrive as a DataFrame (here: counted; any DataFrame code can go in the callback)."""),
code("""const batches: { rows: number; at: string }[] = [];
const trigger = liveWindows.microBatches('1s', (frame) => { batches.push({ rows: frame.shape[0], at: new Date().toISOString().slice(11, 19) }); });
await readings.until(liveRecords, { timeoutMs: (liveSeconds + 60) * 1000 });
// Every reading is in; once no partition holds the windows open (10 s after the last), the windows due have closed.
await liveWindows.until((m) => m.watermarkHeldBy === undefined, { timeoutMs: 60_000 });
await scorer.until(liveWindows.metrics().closedWindows);
await trigger.stop();
streamlab.frameFromColumns({ batch: batches.map((_, i) => i + 1), windows: batches.map((b) => b.rows), at: batches.map((b) => b.at) })"""),
code("%streams"),
md("""**`anomaly-stream`**: what the scorer sent, read back from the topic, as the seed's table of `anomalyValue` (the window's mean) with its score."""),
code("""await streamlab.session.stop('feed');
const sent = await streamlab.session.peekRecords('anomaly-stream', 2000);
const flagged = sent.filter((r) => r.value !== null && typeof r.value === 'object').map((r) => r.value as Record<string, number | string>);
streamlab.frameFromColumns({
  sensor: flagged.map((w) => w.sensor),
  windowStart: flagged.map((w) => w.windowStart),
  anomalyValue: flagged.map((w) => w.mean_value),
  score: flagged.map((w) => w.score),
}).head(15)"""),
md("""**How good is it?** A window is truly anomalous when one of its raw readings carries the generator's label. Precision: the share of flagged windows that are; recall: the share of labelled windows flagged. Plain TypeScript over the raw readings the consumer kept."""),
code("""const key = (sensor: unknown, start: number) => `${String(sensor)}@${start}`;
const labelled = new Set<string>();
const seen = new Set<string>();
for (const r of readings.latest(200_000)) {
  const start = Math.floor(r.time / 10_000) * 10_000;
  seen.add(key(r.value.sensor, start));
  if (r.value.anomaly) labelled.add(key(r.value.sensor, start));
}
const scored = liveWindows.closedRows().filter((w) => seen.has(key(w.sensor, w.windowStart as number)));
const flaggedRows = scorer.flaggedRows();
const flaggedKeys = new Set(flaggedRows.map((w) => key(w.sensor, w.windowStart as number)));
const truePositives = scored.filter((w) => flaggedKeys.has(key(w.sensor, w.windowStart as number)) && labelled.has(key(w.sensor, w.windowStart as number))).length;
const flaggedCount = scored.filter((w) => flaggedKeys.has(key(w.sensor, w.windowStart as number))).length;
const anomalousCount = scored.filter((w) => labelled.has(key(w.sensor, w.windowStart as number))).length;
const precision = truePositives / Math.max(1, flaggedCount);
const recall = truePositives / Math.max(1, anomalousCount);
const verdict = { windowsScored: scored.length, labelledAnomalous: anomalousCount, flagged: flaggedCount, truePositives, precision: Number(precision.toFixed(3)), recall: Number(recall.toFixed(3)) };
// The notebook checks itself: CI runs it, and a detector that got worse fails here.
if (scored.length < 500 || precision < 0.7 || recall < 0.55) throw new Error(`the detector fell short: ${JSON.stringify(verdict)}`);
verdict""", ['summary']),
code("%stop all"),
])
