/**
 * Saves a trained model to a directory and loads it back, with no tfjs-node: the topology and weights go through a
 * custom tf.io handler to `model.json` and `weights.bin`; the spec, scaler, target scaling and threshold to
 * `streamlab.json`. A model loaded in a fresh process predicts exactly what the saved one did.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { StreamlabError } from '../errors';
import { StandardScaler, featureNames, type FeatureSpec } from './features';
import type { ModelKind } from './recipes';
import type { TrainedModel } from './trainedModel';

const FORMAT = 'streamlab-model/1';

interface SavedMeta {
  format: string;
  kind: ModelKind;
  spec: FeatureSpec;
  names: string[];
  scaler: { mean: number[]; std: number[] };
  target?: { mean: number; std: number };
  threshold: number | null;
  savedAt: string;
}

export async function saveModel(dir: string, m: TrainedModel): Promise<string> {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new StreamlabError(`cannot create ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'choose a writable directory');
  }
  await m.model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : Array.isArray(artifacts.weightData) ? tf.io.concatenateArrayBuffers(artifacts.weightData) : artifacts.weightData;
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(weights));
      const json = { modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const meta: SavedMeta = { format: FORMAT, kind: m.kind, spec: m.spec, names: m.names, scaler: m.scaler.toJSON(), ...(m.target ? { target: m.target } : {}), threshold: Number.isFinite(m.threshold) ? m.threshold : null, savedAt: new Date().toISOString() };
  fs.writeFileSync(path.join(dir, 'streamlab.json'), JSON.stringify(meta, null, 2));
  return dir;
}

export async function loadModel(dir: string): Promise<TrainedModel> {
  const read = (file: string): Buffer => {
    try {
      return fs.readFileSync(path.join(dir, file));
    } catch {
      throw new StreamlabError(`no ${file} in ${dir}`, 'load a directory written by saveModel (model.json, weights.bin, streamlab.json)');
    }
  };
  const meta = JSON.parse(read('streamlab.json').toString('utf8')) as SavedMeta;
  if (meta.format !== FORMAT) throw new StreamlabError(`${dir} holds format '${meta.format}', not ${FORMAT}`, 'save it again with this streamlab');
  const json = JSON.parse(read('model.json').toString('utf8')) as { modelTopology: object; format?: string; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const bin = read('weights.bin');
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData, format: json.format }));
  const names = featureNames(meta.spec);
  if (names.join(',') !== meta.names.join(',') || meta.scaler.mean.length !== names.length) throw new StreamlabError(`${dir}: its feature spec gives ${names.length} features, its scaler has ${meta.scaler.mean.length}`, 'the files do not belong together; save the model again');
  return { kind: meta.kind, model, spec: meta.spec, names, scaler: new StandardScaler(meta.scaler.mean, meta.scaler.std), ...(meta.target ? { target: meta.target } : {}), threshold: meta.threshold ?? Infinity };
}
