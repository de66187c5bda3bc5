/**
 * Trains a recipe model on a worker thread (trainWorker.ts) and answers as fit() does: the live loss chart, onEpoch
 * and the stop signal stay on the calling thread, the network comes back with its best weights.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs';
import { StreamlabError } from '../errors';
import type { BackendChoice, BackendName } from './backend';
import { layersModelFromData, type LayersData } from './modelTransfer';
import type { ModelKind } from './recipes';
import { lossChart, type EpochLog, type TrainOptions, type TrainSummary } from './train';

interface Matrix {
  data: Float64Array;
  width: number;
}

export interface TrainThreadRequest {
  type: 'train';
  recipe: { kind: Exclude<ModelKind, 'custom'>; seed?: number; learningRate?: number; layers?: number[] };
  backend: 'auto' | BackendName;
  x: Matrix;
  y: Matrix;
  validation?: { x: Matrix; y: Matrix };
  options: { epochs?: number; batchSize?: number; patience?: number };
  /** One Int32: 1 asks the thread to stop after its current batch. */
  stop: SharedArrayBuffer;
}

export type TrainThreadReply =
  | { type: 'epoch'; log: EpochLog }
  | { type: 'done'; summary: TrainSummary; backend: BackendChoice; model: LayersData }
  | { type: 'error'; message: string; hint?: string };

function matrix(rows: readonly number[][]): Matrix {
  const width = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * width);
  rows.forEach((r, i) => data.set(r, i * width));
  return { data, width };
}

export interface ThreadTraining {
  model: tf.LayersModel;
  summary: TrainSummary;
  backend: BackendChoice;
}

export function fitInThread(
  recipe: TrainThreadRequest['recipe'],
  backend: 'auto' | BackendName,
  x: number[][],
  y: number[][],
  validation: { x: number[][]; y: number[][] } | undefined,
  options: TrainOptions,
): Promise<ThreadTraining> {
  const stop = new SharedArrayBuffer(4);
  const request: TrainThreadRequest = {
    type: 'train',
    recipe,
    backend,
    x: matrix(x),
    y: matrix(y),
    ...(validation && validation.x.length > 0 ? { validation: { x: matrix(validation.x), y: matrix(validation.y) } } : {}),
    options: { epochs: options.epochs, batchSize: options.batchSize, patience: options.patience },
    stop,
  };
  const chart = options.chart !== false ? lossChart(request.validation !== undefined) : undefined;
  const worker = new Worker(path.join(__dirname, 'trainWorker.js'));
  const onAbort = () => Atomics.store(new Int32Array(stop), 0, 1);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let settled = false;
  /** Once: the first answer (or failure) settles the training; the worker's exit after it means nothing more. */
  const finish = (): boolean => {
    if (settled) return false;
    settled = true;
    options.signal?.removeEventListener('abort', onAbort);
    chart?.stop();
    void worker.terminate();
    return true;
  };
  return new Promise<ThreadTraining>((resolve, reject) => {
    worker.on('message', (m: TrainThreadReply) => {
      if (m.type === 'epoch') {
        chart?.push(m.log);
        options.onEpoch?.(m.log);
      } else if (m.type === 'error') {
        if (finish()) reject(new StreamlabError(m.message, m.hint));
      } else if (finish()) {
        layersModelFromData(m.model).then((model) => resolve({ model, summary: m.summary, backend: m.backend }), reject);
      }
    });
    const failed = (why: string) => {
      if (finish()) reject(new StreamlabError(`the training thread failed: ${why}`, 'train with thread: false to run it on the main thread'));
    };
    worker.on('error', (e) => failed(e.message.split('\n')[0]!));
    // Out of memory, or killed: it ends without an answer, and the cell must not wait for one forever.
    worker.on('exit', (code) => failed(`it exited (code ${code}) before answering`));
    const buffers = [request.x.data.buffer, request.y.data.buffer, ...(request.validation ? [request.validation.x.data.buffer, request.validation.y.data.buffer] : [])];
    worker.postMessage(request, buffers as ArrayBuffer[]);
  });
}
