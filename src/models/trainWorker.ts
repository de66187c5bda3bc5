/**
 * A worker thread that trains one recipe model, so the kernel's main thread keeps consuming live streams and
 * answering cells while the network learns (on two cores a training on the main thread left a consumer 7,440
 * records behind). It gets the scaled rows as transferred buffers and a shared stop flag, posts every epoch, and
 * answers with the best weights as plain model data.
 */
import { parentPort } from 'node:worker_threads';
import { StreamlabError } from '../errors';
import { lowerThreadPriority } from './threadPriority';
import { quietTensorflow, useBackend } from './backend';
import { autoencoder, classifier, forecaster } from './recipes';
import { fit } from './train';
import { layersModelToData } from './modelTransfer';
import type { TrainThreadReply, TrainThreadRequest } from './trainThread';

quietTensorflow();
lowerThreadPriority();

function rowsOf(flat: Float64Array, width: number): number[][] {
  const rows: number[][] = new Array(width === 0 ? 0 : flat.length / width);
  for (let i = 0; i < rows.length; i++) rows[i] = Array.from(flat.subarray(i * width, (i + 1) * width));
  return rows;
}

async function train(m: TrainThreadRequest): Promise<Extract<TrainThreadReply, { type: 'done' }>> {
  const backend = await useBackend(m.backend);
  const recipe = { inputs: m.x.width, seed: m.recipe.seed, learningRate: m.recipe.learningRate, ...(m.recipe.layers ? { layers: m.recipe.layers } : {}) };
  const model = m.recipe.kind === 'autoencoder' ? autoencoder(recipe) : m.recipe.kind === 'forecaster' ? forecaster(recipe) : classifier(recipe);
  const stop = new Int32Array(m.stop);
  const signal = new AbortController();
  const summary = await fit(model, rowsOf(m.x.data, m.x.width), rowsOf(m.y.data, m.y.width), m.validation ? { x: rowsOf(m.validation.x.data, m.validation.x.width), y: rowsOf(m.validation.y.data, m.validation.y.width) } : undefined, {
    ...m.options,
    chart: false,
    signal: signal.signal,
    // The flag is read after every batch, so a stop lands within one batch even while tfjs holds this thread.
    onBatch: () => {
      if (Atomics.load(stop, 0) === 1 && !signal.signal.aborted) signal.abort();
    },
    onEpoch: (log) => parentPort!.postMessage({ type: 'epoch', log } satisfies TrainThreadReply),
  });
  const data = await layersModelToData(model);
  model.dispose();
  return { type: 'done', summary: { ...summary, thread: 'worker' }, backend, model: data };
}

parentPort!.once('message', (m: TrainThreadRequest) => {
  train(m)
    .then((reply) => parentPort!.postMessage(reply, [reply.model.weights]))
    .catch((e: unknown) => {
      const err = e as Error;
      parentPort!.postMessage({ type: 'error', message: e instanceof StreamlabError ? e.problem : err.message, ...(e instanceof StreamlabError && e.hint ? { hint: e.hint } : {}) } satisfies TrainThreadReply);
    });
});
