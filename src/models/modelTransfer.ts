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

/** A network alone (topology and weights) as plain data, for a thread to hand to another. */
export type LayersData = Pick<ModelData, 'topology' | 'format' | 'weightSpecs' | 'weights'>;

export async function layersModelToData(model: tf.LayersModel): Promise<LayersData> {
  let out: LayersData | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const weights = a.weightData === undefined ? new ArrayBuffer(0) : Array.isArray(a.weightData) ? tf.io.concatenateArrayBuffers(a.weightData) : a.weightData;
      out = { topology: a.modelTopology as object, ...(a.format !== undefined ? { format: a.format } : {}), weightSpecs: a.weightSpecs ?? [], weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

export function layersModelFromData(d: LayersData): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: d.topology, weightSpecs: d.weightSpecs, weightData: d.weights, format: d.format }));
}

export async function modelToData(m: TrainedModel): Promise<ModelData> {
  const layers = await layersModelToData(m.model);
  return { kind: m.kind, spec: m.spec, scaler: m.scaler.toJSON(), ...(m.target ? { target: m.target } : {}), threshold: Number.isFinite(m.threshold) ? m.threshold : null, ...layers };
}

export async function modelFromData(d: ModelData): Promise<TrainedModel> {
  const model = await layersModelFromData(d);
  return { kind: d.kind, model, spec: d.spec, names: featureNames(d.spec), scaler: new StandardScaler(d.scaler.mean, d.scaler.std), ...(d.target ? { target: d.target } : {}), threshold: d.threshold ?? Infinity };
}
