/**
 * Model recipes on tfjs-layers, each one function with defaults and every knob exposed. Each layer's initializer
 * is seeded, so the same seed gives the same model.
 */
import * as tf from '@tensorflow/tfjs';
import { StreamlabError } from '../errors';

export type ModelKind = 'autoencoder' | 'forecaster' | 'classifier' | 'custom';

interface Common {
  /** Number of input features. */
  inputs: number;
  /** Seed of the weight initialisers. Default 1. */
  seed?: number;
  activation?: 'relu' | 'tanh' | 'elu' | 'sigmoid';
  learningRate?: number;
}

export interface AutoencoderOptions extends Common {
  /**
   * Widths of the hidden layers, encoder to decoder; the middle one is the bottleneck. Default [2n, n/2, 2n] for n
   * inputs (at least [4, 2, 4]): a bottleneck narrower than the input, so the network cannot learn the identity.
   */
  layers?: number[];
}

export interface ForecasterOptions extends Common {
  /** Hidden dense layers. Default [32, 16]. */
  layers?: number[];
  /** Values predicted. Default 1. */
  outputs?: number;
}

export interface ClassifierOptions extends Common {
  /** Hidden dense layers: [] is logistic regression, [16] a small MLP. Default []. */
  layers?: number[];
  /** Classes; 2 gives one sigmoid output. Default 2. */
  classes?: number;
}

function dense(units: number, seed: number, activation: string | undefined, inputs?: number): tf.layers.Layer {
  return tf.layers.dense({
    units,
    activation: activation as 'relu' | undefined,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: 'zeros',
    ...(inputs !== undefined ? { inputShape: [inputs] } : {}),
  });
}

function stack(o: Common, hidden: number[], outputs: number, outActivation: string | undefined): tf.Sequential {
  if (!(Number.isInteger(o.inputs) && o.inputs > 0)) throw new StreamlabError(`a model needs a positive number of inputs, got ${o.inputs}`);
  const seed = o.seed ?? 1;
  const model = tf.sequential();
  hidden.forEach((units, i) => model.add(dense(units, seed + i, o.activation ?? 'relu', i === 0 ? o.inputs : undefined)));
  model.add(dense(outputs, seed + hidden.length, outActivation, hidden.length === 0 ? o.inputs : undefined));
  return model;
}

/** Reconstructs its input through a bottleneck; its anomaly score is the reconstruction error. */
export function autoencoder(o: AutoencoderOptions): tf.Sequential {
  const wide = Math.max(4, 2 * o.inputs);
  const model = stack(o, o.layers ?? [wide, Math.max(2, Math.ceil(o.inputs / 2)), wide], o.inputs, undefined);
  model.compile({ optimizer: tf.train.adam(o.learningRate ?? 0.01), loss: 'meanSquaredError' });
  return model;
}

/** Predicts the target from lagged features; its anomaly score is the absolute residual. */
export function forecaster(o: ForecasterOptions): tf.Sequential {
  const model = stack(o, o.layers ?? [32, 16], o.outputs ?? 1, undefined);
  model.compile({ optimizer: tf.train.adam(o.learningRate ?? 0.01), loss: 'meanSquaredError' });
  return model;
}

/** Logistic regression or an MLP for labelled data (fraud, faults); its score is the probability of the positive class. */
export function classifier(o: ClassifierOptions): tf.Sequential {
  const classes = o.classes ?? 2;
  const binary = classes === 2;
  const model = stack(o, o.layers ?? [], binary ? 1 : classes, binary ? 'sigmoid' : 'softmax');
  model.compile({ optimizer: tf.train.adam(o.learningRate ?? 0.05), loss: binary ? 'binaryCrossentropy' : 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
