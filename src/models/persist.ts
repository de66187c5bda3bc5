/**
 * Saves a trained model to a directory and loads it back, with no tfjs-node: the topology and weights go through a
 * custom tf.io handler to `model.json` and `weights.bin`; the spec, scaler, target scaling and threshold to
 * `streamlab.json`. A model loaded in a fresh process predicts exactly what the saved one did.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { StreamlabError } from '../errors';
import { StandardScaler, checkFeatureSpec, featureNames, type FeatureSpec } from './features';
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
  makeDirectory(dir);
  await m.model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : Array.isArray(artifacts.weightData) ? tf.io.concatenateArrayBuffers(artifacts.weightData) : artifacts.weightData;
      writeFile(dir, 'weights.bin', Buffer.from(weights));
      const json = { modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
      writeFile(dir, 'model.json', JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const meta: SavedMeta = { format: FORMAT, kind: m.kind, spec: m.spec, names: m.names, scaler: m.scaler.toJSON(), ...(m.target ? { target: m.target } : {}), threshold: Number.isFinite(m.threshold) ? m.threshold : null, savedAt: new Date().toISOString() };
  writeFile(dir, 'streamlab.json', JSON.stringify(meta, null, 2));
  return dir;
}

/**
 * Makes `dir` and its missing parents one level at a time. Node 20's own recursive mkdir loops forever under /proc
 * (it keeps retrying a parent that exists but cannot hold directories); this fails there with one line instead.
 */
function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(at);
    } catch {
      stat = undefined;
    }
    if (stat) {
      if (!stat.isDirectory()) throw new StreamlabError(`cannot save a model in ${dir}: ${at} is a file, not a directory`, 'choose another directory');
      break;
    }
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      throw new StreamlabError(`cannot create ${d} to save the model (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'choose a writable directory');
    }
  }
}

function writeFile(dir: string, file: string, data: string | Buffer): void {
  try {
    fs.writeFileSync(path.join(dir, file), data);
  } catch (e) {
    throw new StreamlabError(`cannot write ${path.join(dir, file)} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'choose a writable directory that has no folder of that name');
  }
}

const KINDS: readonly string[] = ['autoencoder', 'forecaster', 'classifier'];
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const numbers = (v: unknown): v is number[] => Array.isArray(v) && v.every(finite);

/**
 * Loads a directory written by saveModel, checking everything it reads against everything else (the spec's
 * features, the scaler, the network's input and output widths, the weights' size), so a model from mismatched or
 * damaged files fails with one line naming the directory and the mismatch instead of scoring garbage.
 */
export async function loadModel(dir: string): Promise<TrainedModel> {
  const bad = (what: string, fix = 'save the model again (saveModel writes model.json, weights.bin and streamlab.json together)') => new StreamlabError(`${dir}: ${what}`, fix);
  const read = (file: string): Buffer => {
    try {
      return fs.readFileSync(path.join(dir, file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new StreamlabError(code === 'ENOENT' ? `no ${file} in ${dir}` : `cannot read ${path.join(dir, file)} (${code ?? 'error'})`, 'load a directory written by saveModel (model.json, weights.bin, streamlab.json)');
    }
  };
  const parse = (file: string): unknown => {
    try {
      return JSON.parse(read(file).toString('utf8'));
    } catch (e) {
      if (e instanceof StreamlabError) throw e;
      throw bad(`${file} is not JSON (${oneLine((e as Error).message)})`);
    }
  };
  const meta = parse('streamlab.json') as Partial<SavedMeta> | null;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw bad('streamlab.json is not an object');
  if (meta.format !== FORMAT) throw bad(`streamlab.json holds format ${JSON.stringify(meta.format) ?? 'none'}, not ${FORMAT}`, 'save it again with this streamlab');
  if (typeof meta.kind !== 'string' || !KINDS.includes(meta.kind)) throw bad(`kind ${JSON.stringify(meta.kind) ?? 'missing'} is not one of ${KINDS.join(', ')}`);
  let names: string[];
  try {
    if (meta.spec === null || typeof meta.spec !== 'object' || !Array.isArray(meta.spec.columns) || meta.spec.columns.some((c) => typeof c !== 'string')) throw new Error('no list of columns');
    // Checked before names are built: a spec with lags of a billion would run the process out of memory.
    checkFeatureSpec(meta.spec);
    names = featureNames(meta.spec);
  } catch (e) {
    throw bad(`its feature spec is not one (${oneLine((e as Error).message)})`);
  }
  if (!Array.isArray(meta.names) || names.join('\u0000') !== meta.names.join('\u0000')) throw bad(`its feature spec gives ${names.length} features (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''}), its names list says otherwise`);
  const scaler = meta.scaler;
  if (!scaler || !numbers(scaler.mean) || !numbers(scaler.std) || scaler.mean.length !== names.length || scaler.std.length !== names.length) throw bad(`its scaler is not ${names.length} finite means and spreads`);
  if (scaler.std.some((v) => !(v > 0))) throw bad('its scaler has a spread of 0 or less, which would divide by zero');
  if (meta.target !== undefined && !(finite(meta.target?.mean) && finite(meta.target?.std) && meta.target.std > 0)) throw bad('its target scaling is not a finite mean and a positive spread');
  if (meta.threshold !== null && !finite(meta.threshold)) throw bad(`its threshold ${JSON.stringify(meta.threshold) ?? 'is missing'}; it must be a number (or null for none)`);
  const json = parse('model.json') as { modelTopology?: object; format?: string; weightsManifest?: { weights?: tf.io.WeightsManifestEntry[] }[] } | null;
  if (json === null || typeof json !== 'object' || typeof json.modelTopology !== 'object' || json.modelTopology === null || !Array.isArray(json.weightsManifest)) throw bad('model.json has no model topology and weights manifest');
  const weightSpecs = json.weightsManifest.flatMap((g) => (Array.isArray(g?.weights) ? g.weights : []));
  const expectedBytes = weightSpecs.reduce((n, w) => n + (Array.isArray(w?.shape) ? w.shape.reduce((a, b) => a * b, 1) : NaN) * 4, 0);
  const bin = read('weights.bin');
  if (bin.byteLength !== expectedBytes) throw bad(`weights.bin has ${bin.byteLength} bytes where model.json's ${weightSpecs.length} weights need ${expectedBytes}${bin.byteLength < expectedBytes ? ' (truncated?)' : ''}`);
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format }));
  } catch (e) {
    throw bad(`model.json and weights.bin do not make a network (${oneLine((e as Error).message)})`);
  }
  const inputs = model.inputs[0]?.shape[1];
  if (inputs !== names.length) throw bad(`the network takes ${inputs} inputs, and its feature spec gives ${names.length} features`, 'the files do not belong together; save the model again');
  const outputs = model.outputs[0]?.shape[1];
  const wanted = meta.kind === 'autoencoder' ? names.length : 1;
  if (outputs !== wanted) throw bad(`the network gives ${outputs} outputs, and a ${meta.kind} of ${names.length} features needs ${wanted}`, 'the files do not belong together; save the model again');
  return { kind: meta.kind as Exclude<ModelKind, 'custom'>, model, spec: meta.spec as FeatureSpec, names, scaler: new StandardScaler(scaler.mean, scaler.std), ...(meta.target ? { target: meta.target } : {}), threshold: meta.threshold ?? Infinity };
}

function oneLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 160)}...` : line;
}
