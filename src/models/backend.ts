/**
 * The tfjs backend models train and score on: the fastest that works here, named so a user knows what ran. tfjs-node
 * (native TensorFlow) when a user installed the real package, else WebAssembly, else plain JavaScript (cpu).
 * tfjs-node is never a dependency: danfo's own import of it is aliased to @tensorflow/tfjs in package.json, so a
 * package of that name resolving proves nothing; only a registered 'tensorflow' backend does.
 */
import * as tf from '@tensorflow/tfjs';
import { StreamlabError } from '../errors';

/**
 * Production mode: no debug checks, and no console banner from the cpu backend asking for tfjs-node in the middle of
 * a notebook's output (the backend choice already says, in the training summary, why tfjs-node is not used).
 */
export function quietTensorflow(): void {
  if (!tf.env().getBool('PROD')) tf.env().set('PROD', true);
}
quietTensorflow();

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendChoice {
  readonly name: BackendName;
  /** Why this one: what was tried before it and why it was passed over. */
  readonly note: string;
}

let wasmLoaded = false;

async function tryBackend(name: BackendName): Promise<string | undefined> {
  try {
    if (name === 'tensorflow') {
      require.resolve('@tensorflow/tfjs-node');
      require('@tensorflow/tfjs-node');
      if (!tf.findBackendFactory('tensorflow')) return 'tfjs-node is not installed (npm install @tensorflow/tfjs-node)';
    }
    if (name === 'wasm' && !wasmLoaded) {
      require('@tensorflow/tfjs-backend-wasm');
      wasmLoaded = true;
    }
    if (!(await tf.setBackend(name))) return `${name} did not initialise`;
    await tf.ready();
    return undefined;
  } catch (e) {
    return `${name} is unavailable (${(e as Error).message.split('\n')[0]})`;
  }
}

/**
 * Selects a backend: 'auto' takes the first of tensorflow, wasm, cpu that works; a name insists on that one and
 * fails in one line when it cannot run here.
 */
export async function useBackend(preference: 'auto' | BackendName = 'auto'): Promise<BackendChoice> {
  if (preference !== 'auto' && !BACKENDS.includes(preference)) {
    throw new StreamlabError(`unknown backend '${String(preference)}'`, `choose auto, ${BACKENDS.join(', ')}`);
  }
  if (preference !== 'auto') {
    const why = await tryBackend(preference);
    if (why) throw new StreamlabError(`backend ${preference} cannot run here: ${why}`, "use backend: 'auto' to take the fastest that works");
    return { name: preference, note: 'as asked' };
  }
  const passed: string[] = [];
  for (const name of BACKENDS) {
    const why = await tryBackend(name);
    if (!why) return { name, note: passed.length ? passed.join('; ') : 'fastest available' };
    passed.push(why);
  }
  throw new StreamlabError('no tfjs backend works here', passed.join('; '));
}

/** The backend in use now. */
export function currentBackend(): string {
  return tf.getBackend();
}
