/**
 * The models library: training lowers the loss and is reproducible from its seed; a saved model loaded in a fresh
 * process predicts exactly the same; a scorer trained on normal sensor data finds injected spikes in a stream
 * (precision and recall asserted below); and NaN, a missing feature column, empty history and a model/feature
 * mismatch each fail in one clear line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { LiveChart, Session, attachNotebookOutput, frameFromColumns } from '../src';
import { StreamScorer, StandardScaler, buildFeatures, rowOf, loadModel, saveModel, scoreFeatures, summaryRows, trainModel, useBackend } from '../src/models';

const SPEC = { columns: ['value'], lags: 3, deltas: true };

/** A seeded sensor: a 50-row cycle plus noise, with +5 spikes at the given rows. */
function sensorRows(n: number, seed: number, spikes: readonly number[] = []): Record<string, unknown>[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const spike = new Set(spikes);
  return Array.from({ length: n }, (_, i) => ({ time: 1_700_000_000_000 + i * 1000, value: 20 + 3 * Math.sin((2 * Math.PI * i) / 50) + 0.3 * gauss() + (spike.has(i) ? 5 : 0) }));
}

test('training lowers the loss, keeps the best weights, and the same seed gives the same model', async () => {
  const rows = sensorRows(3000, 1);
  const a = await trainModel(rows, { kind: 'autoencoder', spec: SPEC, epochs: 15, patience: 3, seed: 7 });
  const h = a.summary.history;
  assert.ok(h[h.length - 1]!.loss < h[0]!.loss * 0.5, `loss ${h[0]!.loss} -> ${h[h.length - 1]!.loss}`);
  assert.ok(a.summary.bestValLoss! <= Math.min(...h.map((e) => e.valLoss!)) + 1e-12, 'the kept weights are the best epoch\'s');
  assert.equal(a.features.warmup, 3, 'three rows before the first full lag');
  assert.equal(a.summary.trainRows + a.summary.validationRows, 2997);
  assert.ok(['tensorflow', 'wasm', 'cpu'].includes(a.summary.backend));
  assert.match(summaryRows(a.summary).map((r) => r.join(': ')).join('\n'), /backend: (wasm|cpu|tensorflow)\nrows: 2,398 train, 599 validation \(split by time\)/);
  const b = await trainModel(rows, { kind: 'autoencoder', spec: SPEC, epochs: 15, patience: 3, seed: 7 });
  const x = buildFeatures(rows.slice(0, 50), SPEC).x;
  assert.deepEqual(scoreFeatures(b.model, x), scoreFeatures(a.model, x), 'same seed, same data: same scores');
  const f = await trainModel(rows, { kind: 'forecaster', spec: { columns: ['value'], lags: 8, target: 'value' }, epochs: 10, seed: 3 });
  assert.ok(f.summary.loss < 0.2, `forecaster loss ${f.summary.loss} (standardised target)`);
});

test('scoring uses a JavaScript forward pass for dense stacks that agrees with tfjs predict, and follows new weights', async () => {
  const rows = sensorRows(1000, 6);
  const { model } = await trainModel(rows, { kind: 'autoencoder', spec: SPEC, epochs: 2, seed: 2 });
  const x = buildFeatures(rows, SPEC).x;
  const scaled = model.scaler.transform(x);
  const viaTf = (model.model.predict(tf.tensor2d(scaled)) as tf.Tensor).arraySync() as number[][];
  const tfScores = viaTf.map((p, i) => p.reduce((a, v, j) => a + (v - scaled[i]![j]!) ** 2, 0) / p.length);
  const ours = scoreFeatures(model, x);
  ours.forEach((s, i) => assert.ok(Math.abs(s - tfScores[i]!) < 1e-4 * Math.max(1, tfScores[i]!), `row ${i}: ${s} vs ${tfScores[i]}`));
  model.model.setWeights(model.model.getWeights().map((w) => tf.zerosLike(w)));
  assert.ok(scoreFeatures(model, x.slice(0, 5)).every((s, i) => Math.abs(s - scaled[i]!.reduce((a, v) => a + v * v, 0) / scaled[i]!.length) < 1e-5), 'zeroed weights predict 0');
});

test('a saved model loaded in a fresh process predicts exactly the same', async () => {
  const rows = sensorRows(1500, 2);
  const { model } = await trainModel(rows, { kind: 'autoencoder', spec: SPEC, epochs: 5, seed: 11 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-model-'));
  await saveModel(dir, model);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'streamlab.json', 'weights.bin']);
  const probe = sensorRows(40, 99, [20]);
  const x = buildFeatures(probe, model.spec).x;
  const here = scoreFeatures(model, x);
  const script = `
    const m = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'models'))});
    (async () => {
      await m.useBackend(${JSON.stringify((await useBackend()).name)});
      const loaded = await m.loadModel(${JSON.stringify(dir)});
      const x = m.buildFeatures(${JSON.stringify(probe)}, loaded.spec).x;
      process.stdout.write(JSON.stringify({ scores: m.scoreFeatures(loaded, x), threshold: loaded.threshold }));
    })().catch((e) => { process.stderr.write(e.message); process.exit(1); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script]);
  const there = JSON.parse(stdout) as { scores: number[]; threshold: number };
  assert.deepEqual(there.scores, here);
  assert.equal(there.threshold, model.threshold);
  const again = await loadModel(dir);
  assert.deepEqual(again.scaler.toJSON(), model.scaler.toJSON());
});

test('a scorer trained on normal readings flags injected spikes in a stream: recall >= 0.95, precision >= 0.8', async () => {
  const { model } = await trainModel(sensorRows(4000, 3), { kind: 'autoencoder', spec: SPEC, epochs: 20, seed: 5, percentile: 99.9 });
  const spikes = Array.from({ length: 30 }, (_, k) => 60 + k * 97);
  const live = sensorRows(3000, 4, spikes);
  const scorer = new StreamScorer({ model, keep: 500 });
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < live.length; i += 250) out.push(...(await scorer.scoreBatch(live.slice(i, i + 250))));
  assert.equal(out.length, 3000 - 3, 'every row after the first full lag is scored once, across batch edges');
  const flaggedTimes = out.filter((r) => r.isAnomaly).map((r) => (Number(r.time) - 1_700_000_000_000) / 1000);
  // A spike at row i shows in the features of rows i..i+3 (its lags and delta).
  const near = (t: number) => spikes.some((s) => t >= s && t <= s + 3);
  const found = spikes.filter((s) => flaggedTimes.some((t) => t >= s && t <= s + 3)).length;
  const recall = found / spikes.length;
  const precision = flaggedTimes.filter(near).length / flaggedTimes.length;
  console.log(`injected ${spikes.length} spikes: recall ${recall.toFixed(3)}, precision ${precision.toFixed(3)} (${flaggedTimes.length} rows flagged, threshold ${model.threshold.toFixed(4)} = 99.9th percentile of training scores)`);
  assert.ok(recall >= 0.95, `recall ${recall}`);
  assert.ok(precision >= 0.8, `precision ${precision}`);
  assert.equal(scorer.metrics().flagged, flaggedTimes.length);
  assert.equal(scorer.flagged().shape[0], Math.min(500, flaggedTimes.length));
});

test('an interrupt stops training and keeps the best weights; a classifier learns labels; backends are chosen by name', async () => {
  const rows = sensorRows(3000, 8);
  const abort = new AbortController();
  const r = await trainModel(rows, { kind: 'autoencoder', spec: SPEC, epochs: 50, patience: 0, seed: 1, onEpoch: (e) => e.epoch === 3 && abort.abort(), signal: abort.signal });
  assert.equal(r.summary.interrupted, true);
  assert.ok(r.summary.epochs <= 4, `stopped after ${r.summary.epochs} epochs`);
  assert.ok(r.summary.bestEpoch >= 1 && r.summary.bestEpoch <= r.summary.epochs);
  // Labelled data: the label is whether the reading is above its cycle's mean.
  const labelled = rows.map((row) => ({ ...row, high: Number(row.value) > 20 ? 1 : 0 }));
  const c = await trainModel(labelled, { kind: 'classifier', spec: { columns: ['value'], target: 'high' }, epochs: 30, seed: 1 });
  const probe = buildFeatures(labelled.slice(-500), c.model.spec);
  const p = scoreFeatures(c.model, probe.x);
  const accuracy = p.filter((v, i) => (v >= 0.5 ? 1 : 0) === probe.y![i]).length / p.length;
  assert.ok(accuracy > 0.95, `logistic regression accuracy ${accuracy}`);
  assert.equal(c.model.threshold, 0.5);
  assert.equal((await useBackend('cpu')).name, 'cpu');
  await assert.rejects(useBackend('gpu' as 'cpu'), /^StreamlabError: unknown backend 'gpu': choose auto, tensorflow, wasm, cpu$/);
  // tfjs-node is no dependency (danfo's import of it is aliased to plain tfjs); where a user installed it, auto takes it.
  const native = await useBackend('tensorflow').then(
    () => true,
    (e: Error) => {
      assert.equal(e.message, "backend tensorflow cannot run here: tfjs-node is not installed (npm install @tensorflow/tfjs-node): use backend: 'auto' to take the fastest that works");
      return false;
    },
  );
  const auto = await useBackend();
  assert.equal(auto.name, native ? 'tensorflow' : 'wasm');
  if (!native) assert.match(auto.note, /tfjs-node is not installed/);
});

test('in a notebook, training draws its loss curves live; flagged rows reach a chart\'s markers; a DataFrame trains too', async () => {
  const shown: { bundle: Record<string, unknown>; update: boolean }[] = [];
  attachNotebookOutput({
    display: (bundle, _id, update) => shown.push({ bundle, update }),
    clear: () => undefined,
    openComm: (_target, _data) => ({ id: 'c', send: () => undefined, close: () => undefined, onMessage: () => undefined, onClose: () => undefined, closed: false }),
    registerCommTarget: () => undefined,
  });
  try {
    const epochs: number[] = [];
    const r = await trainModel(sensorRows(1500, 9), { kind: 'autoencoder', spec: SPEC, epochs: 4, patience: 0, onEpoch: (e) => epochs.push(e.epoch) });
    assert.deepEqual(epochs, [1, 2, 3, 4]);
    assert.ok(shown.length >= 1, 'the loss chart was shown below the cell');
    assert.ok(shown.some((d) => Object.keys(d.bundle).some((k) => /chart|plotly/.test(k))), `a chart bundle (${Object.keys(shown[0]!.bundle).join(', ')})`);
    const chart = new LiveChart({ kind: 'line', y: 'value' });
    const scorer = new StreamScorer({ model: r.model, chart });
    await scorer.scoreBatch(sensorRows(400, 10, [100, 200, 300]));
    assert.ok(scorer.metrics().flagged > 0);
    assert.equal(chart.metrics().markers, scorer.metrics().flagged);
    chart.stop();
  } finally {
    attachNotebookOutput(undefined);
  }
  const frame = frameFromColumns({ time: sensorRows(800, 11).map((r) => r.time), value: sensorRows(800, 11).map((r) => r.value) });
  const viaFrame = await new Session().train(frame, { kind: 'autoencoder', spec: SPEC, epochs: 2 });
  assert.equal(viaFrame.summary.trainRows + viaFrame.summary.validationRows, 797);
});

test('on its worker thread, a scorer decides the same rows with the same scores as in the caller, across batch edges', async () => {
  const rows = sensorRows(3000, 21, [700, 1500, 2200]);
  const spec = { columns: ['value'], lags: 4, rolling: { window: 6, stats: ['mean', 'std', 'max'] as const }, target: 'value', horizon: 2 };
  const { model } = await trainModel(rows.slice(0, 2000), { kind: 'forecaster', spec: { ...spec, rolling: { window: 6, stats: [...spec.rolling.stats] } }, epochs: 4, seed: 3, percentile: 99 });
  // Records as a consumer delivers them, in uneven batches; one value missing (the NaN rule) and one not a number.
  const records = rows.slice(2000).map((v, i) => ({ topic: 't', partition: 0, offset: i, key: null, timestamp: 0, time: v.time as number, value: i === 300 ? { time: v.time } : i === 301 ? { ...v, value: 'n/a' } : v }));
  const batches: (typeof records)[] = [];
  for (let i = 0, size = 1; i < records.length; i += size, size = (size * 7) % 193 + 1) batches.push(records.slice(i, i + size));
  const here = new StreamScorer({ model, thread: false, keep: 1000 });
  const decided: Record<string, unknown>[] = [];
  for (const b of batches) decided.push(...(await here.scoreBatch(b.map(rowOf))));
  let deliver: (batch: unknown[]) => void | Promise<void> = () => undefined;
  const threaded = await new StreamScorer({ model, keep: 1000 }).prepare();
  threaded.attach({ subscribe: (fn) => ((deliver = fn), () => undefined) });
  for (const b of batches) await deliver(b);
  await threaded.idle();
  const a = here.metrics();
  const b = threaded.metrics();
  assert.equal(a.scored + a.dropped, 1000 - 2, 'every row but the last two (their targets are yet to come) is decided once');
  assert.deepEqual([b.records, b.scored, b.dropped, b.flagged, b.errors], [a.records, a.scored, a.dropped, a.flagged, 0]);
  assert.ok(a.flagged > 0 && a.dropped > 10, `flagged ${a.flagged}, dropped ${a.dropped}`);
  const flaggedHere = decided.filter((r) => r.isAnomaly);
  const flaggedThere = threaded.flaggedRows();
  assert.deepEqual(flaggedThere.map((r) => r.time), flaggedHere.map((r) => r.time), 'the same rows, named by their own records');
  flaggedThere.forEach((r, i) => assert.ok(Math.abs((r.score as number) - (flaggedHere[i]!.score as number)) < 1e-9, `row ${i}: ${r.score} vs ${flaggedHere[i]!.score}`));
  await threaded.stop();
  // A batch without the model's column fails in one line, counted; the stream goes on.
  const lacking = await new StreamScorer({ model }).prepare();
  lacking.attach({ subscribe: (fn) => ((deliver = fn), () => undefined) });
  await deliver([{ topic: 't', partition: 0, offset: 0, key: null, timestamp: 0, time: 1, value: { temp: 3 } }]);
  await lacking.idle();
  assert.equal(lacking.metrics().errors, 1);
  assert.match(lacking.metrics().lastError!, /^feature column 'value' is not in the data \(columns: time, temp\): fix the spec's columns$/);
  await lacking.stop();
});

test('windowed results and records become rows for scoring', () => {
  assert.deepEqual(rowOf({ key: { sensor: 's1' }, windowStart: 0, windowEnd: 10_000, final: true, values: { mean_value: 3, count: 4 } }), { sensor: 's1', windowStart: 0, windowEnd: 10_000, time: 10_000, mean_value: 3, count: 4 });
  assert.deepEqual(rowOf({ topic: 't', partition: 0, offset: 5, key: null, timestamp: 1, time: 2, value: { value: 7 } }), { time: 2, value: 7 });
  assert.deepEqual(rowOf({ topic: 't', partition: 0, offset: 5, key: null, timestamp: 1, time: 2, value: 7 }), { time: 2, value: 7 });
});

test('NaN, a missing column, empty history and a model/feature mismatch each give one line', async () => {
  const rows = sensorRows(200, 5);
  const withNaN = rows.map((r, i) => (i % 10 === 0 ? { ...r, value: NaN } : i % 10 === 1 ? { time: r.time } : r));
  const f = buildFeatures(withNaN, SPEC);
  // Rows 10k and 10k+1 are bad; their lags reach rows up to 10k+4, so 5 rows in 10 drop (the first 3 count as warmup).
  assert.equal(f.dropped.notFinite, 97, 'a NaN or missing value drops its row and the 3 after it, counted');
  assert.equal(f.dropped.warmup, 3);
  assert.equal(f.x.length, 100);
  await assert.rejects(
    trainModel(rows.map((r) => ({ ...r, value: 'n/a' })), { kind: 'autoencoder', spec: SPEC, epochs: 1 }),
    /^StreamlabError: only 0 usable rows after features \(dropped: 197 not finite \(NaN or missing\), 3 before the first full lag\/window, 0 without a target\): load more history or use fewer lags$/,
  );
  assert.throws(() => buildFeatures(rows, { columns: ['valeu'] }), /^StreamlabError: feature column 'valeu' is not in the data \(columns: time, value\): did you mean 'value'\?$/);
  await assert.rejects(trainModel([], { kind: 'autoencoder', spec: SPEC }), /^StreamlabError: the history is empty: nothing to train on: produce data to the topic first, or widen the time range$/);
  const { model } = await trainModel(rows, { kind: 'autoencoder', spec: SPEC, epochs: 1 });
  assert.throws(() => scoreFeatures(model, [[1, 2, 3]]), /^StreamlabError: row 0 has 3 features where the model was trained on 5: build features with the model's own spec$/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-model-'));
  await saveModel(dir, model);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'streamlab.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'streamlab.json'), JSON.stringify({ ...meta, spec: { ...meta.spec, lags: 5 } }));
  await assert.rejects(loadModel(dir), /: its feature spec gives 7 features \(value, value_lag1, value_lag2, value_lag3, \.\.\.\), its names list says otherwise: save the model again/);
  await assert.rejects(loadModel(path.join(dir, 'nope')), /no streamlab.json in .*nope: load a directory written by saveModel/);
  assert.throws(() => StandardScaler.fit([]), /cannot fit a scaler to no rows/);
  await assert.rejects(trainModel(rows, { kind: 'forecaster', spec: SPEC }), /a forecaster needs spec.target, the column it predicts/);
});

test('a recipe learns on a worker thread, with the same weights as on the main thread; a stop lands there; a model of your own stays on the main thread', async () => {
  const rows = sensorRows(4000, 5);
  const threaded = await trainModel(rows, { kind: 'autoencoder', spec: SPEC, epochs: 6, patience: 0, seed: 4, chart: false });
  const here = await trainModel(rows, { kind: 'autoencoder', spec: SPEC, epochs: 6, patience: 0, seed: 4, chart: false, thread: false });
  assert.equal(threaded.summary.thread, 'worker');
  assert.equal(here.summary.thread, 'main');
  assert.deepEqual(threaded.summary.history, here.summary.history, 'the same losses, epoch by epoch');
  assert.deepEqual(threaded.model.model.getWeights().map((w) => Array.from(w.dataSync())), here.model.model.getWeights().map((w) => Array.from(w.dataSync())));
  assert.equal(threaded.model.threshold, here.model.threshold);
  assert.match(summaryRows(threaded.summary).find(([k]) => k === 'time')![1], /on a worker thread: live streams kept the main one/);
  // The main thread is free while the worker learns: its timers keep firing, where a training on the main thread
  // holds them (tfjs yields about every 125 ms at best). Compared in the same process, as a ratio.
  const timerRate = async (thread: boolean) => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const stop = new AbortController();
    const t0 = Date.now();
    const r = await trainModel(sensorRows(20_000, 6), { kind: 'autoencoder', spec: SPEC, epochs: 200, patience: 0, seed: 1, chart: false, thread, signal: stop.signal, onEpoch: (e) => e.epoch === 3 && stop.abort() });
    clearInterval(timer);
    assert.equal(r.summary.interrupted, true);
    assert.ok(r.summary.epochs < 10, `stopped after ${r.summary.epochs} of 200 epochs`);
    return (ticks * 1000) / (Date.now() - t0);
  };
  const onMain = await timerRate(false);
  const beside = await timerRate(true);
  assert.ok(beside > 2 * onMain, `timer ticks/s while training: ${beside.toFixed(1)} beside a worker thread, ${onMain.toFixed(1)} with training on the main thread`);
  // The compiled model that comes back can keep learning, as the main thread's does.
  assert.ok(threaded.model.model.optimizer, 'the model is compiled');
  const own = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [5] }), tf.layers.dense({ units: 5 })] });
  own.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const mine = await trainModel(rows, { kind: 'autoencoder', spec: SPEC, epochs: 2, chart: false, model: own });
  assert.equal(mine.summary.thread, 'main');
});
