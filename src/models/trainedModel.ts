/**
 * A trained model with everything scoring needs: the network, the feature spec, the scaler fitted on the training
 * rows, and the anomaly threshold (a percentile of the training rows' scores, or a fixed value).
 */
import * as tf from '@tensorflow/tfjs';
import { StreamlabError } from '../errors';
import { useBackend, type BackendChoice, type BackendName } from './backend';
import { buildFeatures, StandardScaler, timeSplit, type FeatureRows, type FeatureSpec } from './features';
import { autoencoder, classifier, forecaster, type ModelKind } from './recipes';
import { fit, type TrainOptions, type TrainSummary } from './train';

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
}

export interface TrainResult {
  readonly model: TrainedModel;
  readonly summary: TrainSummary;
  readonly backend: BackendChoice;
  readonly features: FeatureRows['dropped'] & { rows: number; names: string[] };
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
  const scaler = StandardScaler.fit(split.train.map((r) => r.x));
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
  const summary = await fit(model, sx(split.train), ty(split.train), split.validation.length > 0 ? { x: sx(split.validation), y: ty(split.validation) } : undefined, o);
  const trained: TrainedModel = { kind: o.kind, model, spec, names: f.names, scaler, ...(target ? { target } : {}), threshold: Infinity };
  const trainScores = scoreFeatures(trained, split.train.map((r) => r.x), split.train.map((r) => r.y));
  trained.threshold = o.threshold ?? (o.kind === 'classifier' ? 0.5 : percentile(trainScores, o.percentile ?? 99));
  return { model: trained, summary, backend, features: { ...f.dropped, rows: f.x.length, names: f.names } };
}

/** Scores of unscaled feature rows: reconstruction error, absolute residual, or the positive class's probability. */
export function scoreFeatures(m: TrainedModel, x: number[][], y?: readonly number[]): number[] {
  if (x.length === 0) return [];
  const scaled = m.scaler.transform(x);
  return tf.tidy(() => {
    const out = m.model.predict(tf.tensor2d(scaled)) as tf.Tensor;
    const pred = out.arraySync() as number[][];
    if (m.kind === 'autoencoder') return pred.map((p, i) => p.reduce((a, v, j) => a + (v - scaled[i]![j]!) ** 2, 0) / p.length);
    if (m.kind === 'forecaster') {
      if (!y) throw new StreamlabError('a forecaster scores rows with their target values', 'build features with the model\'s spec (it names the target)');
      return pred.map((p, i) => Math.abs(p[0]! * m.target!.std + m.target!.mean - y[i]!));
    }
    return pred.map((p) => (p.length === 1 ? p[0]! : Math.max(...p.slice(1))));
  });
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
