/**
 * The forward pass of a small dense network in plain JavaScript. For the recipes' networks (a few hundred weights)
 * one tfjs predict() costs about a millisecond per call in fixed overhead, which on a stream's 500-record batches
 * is most of the scoring time; the same arithmetic here costs microseconds. Used only when every layer is a Dense
 * layer with an activation it knows; any other model goes through tfjs.
 */
import * as tf from '@tensorflow/tfjs';

interface DenseStep {
  /** units x inputs, row-major: each unit's weights side by side, so a unit's sum is one running dot product. */
  weights: Float64Array;
  bias: Float64Array;
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
    const tensors = layer.getWeights();
    const kernel = tensors[0]!.dataSync() as Float32Array; // inputs x units, as tfjs stores it
    const [inputs, units] = tensors[0]!.shape as [number, number];
    const weights = new Float64Array(units * inputs);
    for (let i = 0; i < inputs; i++) for (let u = 0; u < units; u++) weights[u * inputs + i] = kernel[i * units + u]!;
    const bias = tensors[1] ? Float64Array.from(tensors[1].dataSync() as Float32Array) : new Float64Array(units);
    steps.push({ weights, bias, inputs, units, activation });
  }
  if (steps.length === 0) return undefined;
  return unrolled(steps) ?? looped(steps);
}

/** Networks up to this many weights get a forward pass compiled with their weights in its code. */
const UNROLL_LIMIT = 4096;

/**
 * The forward pass as generated code: every weight a literal, every sum written out, no inner loops. The recipes'
 * networks have layers of 3 to 32 units, so loop overhead is most of a looped pass; compiled, V8 keeps each row's
 * activations in registers, about 4x faster here. The code holds only numbers from the model's own tensors.
 */
function unrolled(steps: DenseStep[]): DenseForward | undefined {
  if (steps.reduce((n, s) => n + s.weights.length, 0) > UNROLL_LIMIT) return undefined;
  if (steps.some((s) => s.activation === 'softmax')) return undefined;
  const first = steps[0]!;
  const last = steps.at(-1)!;
  const lines: string[] = [];
  let names = Array.from({ length: first.inputs }, (_, i) => `x${i}`);
  lines.push(...names.map((n, i) => `const ${n}=x[o+${i}];`));
  steps.forEach((s, l) => {
    const next: string[] = [];
    for (let u = 0; u < s.units; u++) {
      const terms = [literal(s.bias[u]!)];
      for (let i = 0; i < s.inputs; i++) if (s.weights[u * s.inputs + i] !== 0) terms.push(`${names[i]}*${literal(s.weights[u * s.inputs + i]!)}`);
      const name = `a${l}_${u}`;
      lines.push(`let ${name}=${terms.join('+')};`, activation(name, s.activation));
      next.push(name);
    }
    names = next;
  });
  lines.push(...names.map((n, u) => `y[p+${u}]=${n};`));
  const body = `const y=new Float32Array(rows*${last.units});for(let r=0;r<rows;r++){const o=r*${first.inputs},p=r*${last.units};${lines.join('')}}return y;`;
  return new Function('x', 'rows', body) as DenseForward;
}

function literal(v: number): string {
  return v < 0 ? `(${v})` : String(v);
}

function activation(name: string, kind: string): string {
  switch (kind) {
    case 'relu':
      return `if(${name}<0)${name}=0;`;
    case 'sigmoid':
      return `${name}=1/(1+Math.exp(-${name}));`;
    case 'tanh':
      return `${name}=Math.tanh(${name});`;
    case 'elu':
      return `if(${name}<0)${name}=Math.exp(${name})-1;`;
    default:
      return '';
  }
}

function looped(steps: DenseStep[]): DenseForward {
  return (input, rows) => {
    // Activations stay in doubles between layers (tfjs rounds them to float32; the scores differ below 1e-6).
    // One array type through every layer: a loop reading both float32 and float64 arrays runs several times slower.
    let x = Float64Array.from(input);
    for (const s of steps) {
      const out = new Float64Array(rows * s.units);
      const { weights, bias, inputs, units } = s;
      const relu = s.activation === 'relu';
      for (let r = 0; r < rows; r++) {
        const xo = r * inputs;
        const oo = r * units;
        for (let u = 0; u < units; u++) {
          let sum = bias[u]!;
          const wo = u * inputs;
          for (let i = 0; i < inputs; i++) sum += x[xo + i]! * weights[wo + i]!;
          out[oo + u] = relu && sum < 0 ? 0 : sum;
        }
        if (!relu) activate(out, oo, units, s.activation);
      }
      x = out;
    }
    return Float32Array.from(x);
  };
}

function activate(a: Float64Array, offset: number, n: number, kind: string): void {
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
