/**
 * A trained model with everything scoring needs: the network, the feature spec, the scaler fitted on the training
 * rows, and the anomaly threshold (a percentile of the training rows' scores, or a fixed value).
 */
import * as tf from '@tensorflow/tfjs';
import { StreamlabError } from '../errors';
import { useBackend, type BackendChoice, type BackendName } from './backend';
import { buildFeatures, featureReach, StandardScaler, timeSplit, type FeatureRows, type FeatureSpec } from './features';
import { autoencoder, classifier, forecaster, type ModelKind } from './recipes';
import { fit, type TrainOptions, type TrainSummary } from './train';
import { fitInThread } from './trainThread';
import { denseForward, type DenseForward } from './denseForward';

export interface TrainedModel {
  readonly kind: ModelKind;
  readonly model: tf.LayersModel;
  readonly spec: FeatureSpec;
  readonly names: string[];
  readonly scaler: StandardScaler;
  /** Target scaling of a forecaster (residuals are reported in the target's units). */
  readonly target?: { mean: number; std: number };
  /** Scores at or above it are anomalies. */
  threshold: number;
}

export interface TrainModelOptions extends TrainOptions {
  kind: Exclude<ModelKind, 'custom'>;
  spec: FeatureSpec;
  /** Share of the latest rows kept for validation. Default 0.2. */
  validation?: number;
  /** Hidden layer widths of the recipe. */
  layers?: number[];
  seed?: number;
  learningRate?: number;
  /** The anomaly threshold: this percentile of the training rows' scores (default 99), or `threshold` as given. */
  percentile?: number;
  threshold?: number;
  backend?: 'auto' | BackendName;
  /** Your own compiled tf.LayersModel instead of the recipe (its input width must match the features). */
  model?: tf.LayersModel;
  /**
   * Train a recipe on a worker thread, so live streams keep the main thread (default true). Your own `model`
   * always trains on the main thread.
   */
  thread?: boolean;
}

export interface TrainResult {
  readonly model: TrainedModel;
  readonly summary: TrainSummary;
  readonly backend: BackendChoice;
  readonly features: FeatureRows['dropped'] & { rows: number; names: string[]; note?: string };
}

/**
 * A field that looks like the key of interleaved series (text, 2 to 1,000 values, the value changing from one row
 * to the next more often than not), when lags, deltas or rolling statistics would run across it: worth a word, since
 * such features mix sensors and a model of them flags a live stream at random.
 */
export function interleavedKey(rows: readonly Record<string, unknown>[], spec: FeatureSpec): string | undefined {
  if (spec.by !== undefined || featureReach(spec) === 0) return undefined;
  const sample = rows.slice(0, 2000);
  let best: { field: string; values: number } | undefined;
  for (const field of Object.keys(sample[0] ?? {})) {
    if (spec.columns.includes(field) || field === spec.target) continue;
    const values = new Set<string>();
    let switches = 0;
    let text = true;
    for (let i = 0; i < sample.length && text; i++) {
      const v = sample[i]![field];
      text = typeof v === 'string';
      values.add(String(v));
      if (i > 0 && v !== sample[i - 1]![field]) switches++;
    }
    if (!text || values.size < 2 || values.size > 1000 || switches < (sample.length - 1) / 2) continue;
    if (!best || values.size > best.values) best = { field, values: values.size };
  }
  return best?.field;
}

/** Features -> time split -> scaler on the training rows -> recipe -> fit -> threshold from training scores. */
export async function trainModel(rows: readonly Record<string, unknown>[], o: TrainModelOptions): Promise<TrainResult> {
  if (rows.length === 0) throw new StreamlabError('the history is empty: nothing to train on', 'produce data to the topic first, or widen the time range');
  const backend = await useBackend(o.backend ?? 'auto');
  const spec: FeatureSpec = o.kind === 'classifier' ? { ...o.spec, horizon: o.spec.horizon ?? 0 } : o.spec;
  if (o.kind !== 'autoencoder' && !spec.target) throw new StreamlabError(`a ${o.kind} needs spec.target, the column it predicts`, "e.g. spec: { columns: ['value'], lags: 8, target: 'value' }");
  const f = buildFeatures(rows, spec);
  if (f.x.length < 2) throw new StreamlabError(`only ${f.x.length} usable rows after features (${describeDropped(f)})`, 'load more history or use fewer lags');
  const split = timeSplit(f.x.map((x, i) => ({ x, y: f.y?.[i] ?? 0 })), o.validation ?? 0.2);
  if (o.kind === 'classifier') {
    const labels = f.y ?? [];
    const bad = labels.findIndex((v) => v !== 0 && v !== 1);
    if (bad >= 0) throw new StreamlabError(`a classifier learns labels 0 and 1, and '${spec.target}' holds ${labels[bad]} (${labels.filter((v) => v !== 0 && v !== 1).length} of ${labels.length} rows)`, `map it to 0/1 first (e.g. a column isFraud = label > 0 ? 1 : 0)`);
  }
  const scaler = StandardScaler.fit(split.train.map((r) => r.x), f.names);
  const sx = (part: { x: number[] }[]) => scaler.transform(part.map((r) => r.x));
  let target: { mean: number; std: number } | undefined;
  let ty = (part: { x: number[]; y: number }[]): number[][] => sx(part);
  if (o.kind === 'forecaster') {
    const ys = split.train.map((r) => r.y);
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    const std = Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / ys.length) || 1;
    target = { mean, std };
    ty = (part) => part.map((r) => [(r.y - mean) / std]);
  } else if (o.kind === 'classifier') {
    ty = (part) => part.map((r) => [r.y]);
  }
  const inputs = f.names.length;
  const recipe = { inputs, seed: o.seed, learningRate: o.learningRate, ...(o.layers ? { layers: o.layers } : {}) };
  const model = o.model ?? (o.kind === 'autoencoder' ? autoencoder(recipe) : o.kind === 'forecaster' ? forecaster(recipe) : classifier(recipe));
  const validation = split.validation.length > 0 ? { x: sx(split.validation), y: ty(split.validation) } : undefined;
  let summary: TrainSummary;
  if (o.model === undefined && o.thread !== false) {
    // A recipe learns on a worker thread and its best weights come back into the model built here (compiled, as
    // the main-thread path leaves it). A model of your own trains where it was built: its code cannot move.
    const trained = await fitInThread({ kind: o.kind, seed: o.seed, learningRate: o.learningRate, layers: o.layers }, backend.name, sx(split.train), ty(split.train), validation, o);
    model.setWeights(trained.model.getWeights());
    trained.model.dispose();
    summary = trained.summary;
  } else {
    summary = { ...(await fit(model, sx(split.train), ty(split.train), validation, o)), thread: 'main' };
  }
  const trained: TrainedModel = { kind: o.kind, model, spec, names: f.names, scaler, ...(target ? { target } : {}), threshold: Infinity };
  const trainScores = scoreFeatures(trained, split.train.map((r) => r.x), split.train.map((r) => r.y));
  trained.threshold = o.threshold ?? (o.kind === 'classifier' ? 0.5 : untiedThreshold(trainScores, o.percentile ?? 99));
  if (!Number.isFinite(trained.threshold)) throw new StreamlabError(`the anomaly threshold came out ${trained.threshold}: the training scores are not finite`, 'rescale the features, or give threshold: N');
  const key = interleavedKey(rows, spec);
  const note = key === undefined ? undefined : `the rows interleave values of '${key}', and the lags, deltas and rolling statistics run across them; to take them within each one, pass by: '${key}' (%train --by ${key})`;
  return { model: trained, summary, backend, features: { ...f.dropped, rows: f.x.length, names: f.names, ...(note ? { note } : {}) } };
}

/**
 * The percentile of the training scores, raised past a tie that holds far more rows than the percentile should
 * flag: scores at or above the threshold are anomalies, so with a constant feature (every score 0) a threshold of 0
 * would flag every row. Then it becomes the next higher score, or just above the tied one when none is higher.
 */
export function untiedThreshold(scores: readonly number[], p: number): number {
  const t = percentile(scores, p);
  const atOrAbove = scores.filter((s) => s >= t).length;
  const expected = Math.max(1, Math.ceil(scores.length * (1 - p / 100)));
  if (atOrAbove <= 2 * expected + 1) return t;
  const above = scores.filter((s) => s > t);
  return above.length > 0 ? Math.min(...above) : t + Math.max(Math.abs(t) * 1e-9, Number.MIN_VALUE);
}

/** Scores of unscaled feature rows: reconstruction error, absolute residual, or the positive class's probability. */
export function scoreFeatures(m: TrainedModel, x: number[][], y?: readonly number[]): number[] {
  const width = m.scaler.mean.length;
  const flat = new Float64Array(x.length * width);
  x.forEach((row, i) => {
    if (row.length !== width) throw new StreamlabError(`row ${i} has ${row.length} features where the model was trained on ${width}`, "build features with the model's own spec");
    flat.set(row, i * width);
  });
  return Array.from(scoreMatrix(m, flat, x.length, y));
}

/** scoreFeatures on a flat row-major matrix of `count` unscaled feature rows: the scoring path of live streams. */
export function scoreMatrix(m: TrainedModel, x: ArrayLike<number>, count: number, y?: ArrayLike<number>): Float64Array {
  const scores = new Float64Array(count);
  if (count === 0) return scores;
  const width = m.scaler.mean.length;
  if (x.length !== count * width) throw new StreamlabError(`the features have ${x.length / count} columns where the model was trained on ${width}`, "build features with the model's own spec");
  // One flat buffer in, one flat buffer out: nested arrays cost more than the network on a stream's batches.
  const flat = new Float32Array(count * width);
  const mean = m.scaler.mean;
  const std = m.scaler.std;
  for (let i = 0, at = 0; i < count; i++) for (let j = 0; j < width; j++, at++) flat[at] = (x[at]! - mean[j]!) / std[j]!;
  const pred = forwardOf(m.model)?.(flat, count) ?? tf.tidy(() => (m.model.predict(tf.tensor2d(flat, [count, width])) as tf.Tensor).dataSync());
  const outWidth = pred.length / count;
  if (m.kind === 'autoencoder') {
    for (let i = 0; i < count; i++) {
      let sum = 0;
      for (let j = 0; j < width; j++) sum += (pred[i * width + j]! - flat[i * width + j]!) ** 2;
      scores[i] = sum / width;
    }
  } else if (m.kind === 'forecaster') {
    if (!y) throw new StreamlabError('a forecaster scores rows with their target values', "build features with the model's spec (it names the target)");
    for (let i = 0; i < count; i++) scores[i] = Math.abs(pred[i * outWidth]! * m.target!.std + m.target!.mean - y[i]!);
  } else {
    for (let i = 0; i < count; i++) {
      if (outWidth === 1) scores[i] = pred[i]!;
      else {
        let best = -Infinity;
        for (let j = 1; j < outWidth; j++) best = Math.max(best, pred[i * outWidth + j]!);
        scores[i] = best;
      }
    }
  }
  return scores;
}

const forwards = new WeakMap<tf.LayersModel, { weights: object[]; forward: DenseForward | undefined }>();

/** The model's JavaScript forward pass, rebuilt when its weights were replaced (training, setWeights). */
function forwardOf(model: tf.LayersModel): DenseForward | undefined {
  // A variable keeps its identity when training assigns it; its data id is what changes.
  const weights = model.weights.map((w) => (w.read() as unknown as { dataId: object }).dataId);
  const cached = forwards.get(model);
  if (cached && cached.weights.length === weights.length && cached.weights.every((w, i) => w === weights[i])) return cached.forward;
  const forward = denseForward(model);
  forwards.set(model, { weights, forward });
  return forward;
}

export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new StreamlabError(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Infinity;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function describeDropped(f: Pick<FeatureRows, 'dropped'>): string {
  const d = f.dropped;
  return `dropped: ${d.notFinite} not finite (NaN or missing), ${d.warmup} before the first full lag/window, ${d.noTarget} without a target`;
}
