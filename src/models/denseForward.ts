/**
 * The forward pass of a small dense network in plain JavaScript. For the recipes' networks (a few hundred weights)
 * one tfjs predict() costs about a millisecond per call in fixed overhead, which on a stream's 500-record batches
 * is most of the scoring time; the same arithmetic here costs microseconds. Used only when every layer is a Dense
 * layer with an activation it knows; any other model goes through tfjs.
 */
import * as tf from '@tensorflow/tfjs';

interface DenseStep {
  kernel: Float32Array; // inputs x units, row-major as tfjs stores it
  bias: Float32Array | undefined;
  inputs: number;
  units: number;
  activation: string;
}

const KNOWN = new Set(['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'elu']);

export type DenseForward = (input: Float32Array, rows: number) => Float32Array;

/** A forward function for `model`, or undefined when it is not a plain stack of Dense layers. */
export function denseForward(model: tf.LayersModel): DenseForward | undefined {
  const steps: DenseStep[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer.getClassName() !== 'Dense') return undefined;
    const config = layer.getConfig() as { activation?: string; useBias?: boolean };
    const activation = config.activation ?? 'linear';
    if (!KNOWN.has(activation)) return undefined;
    const weights = layer.getWeights();
    const kernel = weights[0]!;
    const [inputs, units] = kernel.shape as [number, number];
    steps.push({ kernel: kernel.dataSync() as Float32Array, bias: weights[1] ? (weights[1].dataSync() as Float32Array) : undefined, inputs, units, activation });
  }
  if (steps.length === 0) return undefined;
  return (input, rows) => {
    let x = input;
    for (const s of steps) {
      const out = new Float32Array(rows * s.units);
      for (let r = 0; r < rows; r++) {
        const xo = r * s.inputs;
        const oo = r * s.units;
        for (let u = 0; u < s.units; u++) out[oo + u] = s.bias ? s.bias[u]! : 0;
        for (let i = 0; i < s.inputs; i++) {
          const v = x[xo + i]!;
          if (v === 0) continue;
          const ko = i * s.units;
          for (let u = 0; u < s.units; u++) out[oo + u] += v * s.kernel[ko + u]!;
        }
        activate(out, oo, s.units, s.activation);
      }
      x = out;
    }
    return x;
  };
}

function activate(a: Float32Array, offset: number, n: number, kind: string): void {
  switch (kind) {
    case 'relu':
      for (let i = offset; i < offset + n; i++) if (a[i]! < 0) a[i] = 0;
      return;
    case 'sigmoid':
      for (let i = offset; i < offset + n; i++) a[i] = 1 / (1 + Math.exp(-a[i]!));
      return;
    case 'tanh':
      for (let i = offset; i < offset + n; i++) a[i] = Math.tanh(a[i]!);
      return;
    case 'elu':
      for (let i = offset; i < offset + n; i++) if (a[i]! < 0) a[i] = Math.exp(a[i]!) - 1;
      return;
    case 'softmax': {
      let max = -Infinity;
      for (let i = offset; i < offset + n; i++) max = Math.max(max, a[i]!);
      let sum = 0;
      for (let i = offset; i < offset + n; i++) sum += a[i] = Math.exp(a[i]! - max);
      for (let i = offset; i < offset + n; i++) a[i] = a[i]! / sum;
      return;
    }
    default:
  }
}
