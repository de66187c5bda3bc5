/** A trained model as plain data (topology, weights, spec, scaler) and back: for saving and for worker threads. */
import * as tf from '@tensorflow/tfjs';
import { StandardScaler, featureNames, type FeatureSpec } from './features';
import type { ModelKind } from './recipes';
import type { TrainedModel } from './trainedModel';

export interface ModelData {
  kind: ModelKind;
  spec: FeatureSpec;
  scaler: { mean: number[]; std: number[] };
  target?: { mean: number; std: number };
  threshold: number | null;
  topology: object;
  format?: string;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weights: ArrayBuffer;
}

export async function modelToData(m: TrainedModel): Promise<ModelData> {
  let out: ModelData | undefined;
  await m.model.save(
    tf.io.withSaveHandler(async (a) => {
      const weights = a.weightData === undefined ? new ArrayBuffer(0) : Array.isArray(a.weightData) ? tf.io.concatenateArrayBuffers(a.weightData) : a.weightData;
      out = { kind: m.kind, spec: m.spec, scaler: m.scaler.toJSON(), ...(m.target ? { target: m.target } : {}), threshold: Number.isFinite(m.threshold) ? m.threshold : null, topology: a.modelTopology as object, format: a.format, weightSpecs: a.weightSpecs ?? [], weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

export async function modelFromData(d: ModelData): Promise<TrainedModel> {
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: d.topology, weightSpecs: d.weightSpecs, weightData: d.weights, format: d.format }));
  return { kind: d.kind, model, spec: d.spec, names: featureNames(d.spec), scaler: new StandardScaler(d.scaler.mean, d.scaler.std), ...(d.target ? { target: d.target } : {}), threshold: d.threshold ?? Infinity };
}
