/**
 * Training in a notebook: loss and validation loss per epoch (a live chart when a notebook is attached), early
 * stopping that keeps the best weights, an AbortSignal that stops training the same way, and a summary at the end.
 * Batches are taken in order (no shuffling), so a run is reproducible from its seed.
 */
import * as tf from '@tensorflow/tfjs';
import { StreamlabError } from '../errors';
import { formatCount, formatDuration, notebookOutput } from '../output';
import { LiveChart } from '../plot';
import { currentBackend } from './backend';

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  /** Epochs without a better validation loss before stopping; the best weights are kept. Default 5; 0 turns it off. */
  patience?: number;
  /** Stops training after the current batch, keeping the best weights. */
  signal?: AbortSignal;
  /** Called after every epoch. */
  onEpoch?: (e: EpochLog) => void;
  /** Called after every batch (a training thread reads its stop flag there). */
  onBatch?: () => void;
  /** Show a live loss chart when running in a notebook. Default true. */
  chart?: boolean;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  valLoss?: number;
}

export interface TrainSummary {
  readonly backend: string;
  readonly epochs: number;
  readonly bestEpoch: number;
  readonly loss: number;
  readonly valLoss?: number;
  readonly bestValLoss?: number;
  readonly stoppedEarly: boolean;
  readonly interrupted: boolean;
  readonly ms: number;
  readonly trainRows: number;
  readonly validationRows: number;
  readonly history: EpochLog[];
  /** Where the network learned: a worker thread (the kernel's main thread kept serving streams) or the main thread. */
  readonly thread?: 'worker' | 'main';
}

/** The live loss chart of a training in a notebook (shown), or undefined outside one. */
export function lossChart(validation: boolean): LiveChart | undefined {
  if (!notebookOutput()) return undefined;
  const chart = new LiveChart({ kind: 'line', x: 'epoch', y: validation ? ['loss', 'valLoss'] : ['loss'], title: 'training loss', points: 100_000 });
  chart.show();
  return chart;
}

/** Fits `model` to x -> y (an autoencoder passes y = x), validating on the later rows given as `validation`. */
export async function fit(
  model: tf.LayersModel,
  x: number[][],
  y: number[][],
  validation: { x: number[][]; y: number[][] } | undefined,
  options: TrainOptions = {},
): Promise<TrainSummary> {
  if (x.length === 0) throw new StreamlabError('no training rows', 'load more history, or check the dropped counts of the features');
  const inputs = (model.inputs[0]?.shape[1] ?? x[0]!.length) as number;
  if (x[0]!.length !== inputs) throw new StreamlabError(`the model takes ${inputs} features, the rows have ${x[0]!.length}`, 'build the model with inputs: features.names.length');
  const epochs = options.epochs ?? 50;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new StreamlabError(`epochs must be a whole number >= 1, got ${String(epochs)}`, 'e.g. epochs: 50');
  const patience = options.patience ?? 5;
  if (!(Number.isInteger(patience) && patience >= 0)) throw new StreamlabError(`patience must be a whole number >= 0, got ${String(patience)}`, 'e.g. patience: 5 (0: never stop early)');
  let diverged: EpochLog | undefined;
  const started = Date.now();
  const history: EpochLog[] = [];
  let best = { epoch: 0, value: Infinity, weights: undefined as tf.Tensor[] | undefined };
  let wait = 0;
  let stoppedEarly = false;
  let interrupted = false;
  const chart = options.chart !== false ? lossChart(validation !== undefined) : undefined;
  const xs = tf.tensor2d(x);
  const ys = tf.tensor2d(y);
  const vx = validation && validation.x.length > 0 ? tf.tensor2d(validation.x) : undefined;
  const vy = validation && validation.y.length > 0 ? tf.tensor2d(validation.y) : undefined;
  const onAbort = () => {
    interrupted = true;
    model.stopTraining = true;
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await model.fit(xs, ys, {
      epochs,
      batchSize: options.batchSize ?? 64,
      shuffle: false,
      verbose: 0,
      ...(vx && vy ? { validationData: [vx, vy] as [tf.Tensor, tf.Tensor] } : {}),
      callbacks: {
        onBatchEnd: async () => {
          options.onBatch?.();
          if (options.signal?.aborted) onAbort();
        },
        onEpochEnd: async (epoch, logs) => {
          // A stop cuts an epoch short: tfjs still ends it, with the loss of the batches done and no validation.
          // That is not an epoch of the model's history (nor of its chart), and its weights are not the best.
          if (interrupted && vx && logs?.val_loss === undefined) return;
          const log: EpochLog = { epoch: epoch + 1, loss: Number(logs?.loss), ...(logs?.val_loss !== undefined ? { valLoss: Number(logs.val_loss) } : {}) };
          history.push(log);
          if (!Number.isFinite(log.loss) || (log.valLoss !== undefined && !Number.isFinite(log.valLoss))) {
            // NaN or Infinity: the weights are lost and every later epoch too; stop and say so below.
            diverged = log;
            model.stopTraining = true;
            return;
          }
          chart?.push(log);
          options.onEpoch?.(log);
          const watched = log.valLoss ?? log.loss;
          if (watched < best.value) {
            best.weights?.forEach((w) => w.dispose());
            best = { epoch: log.epoch, value: watched, weights: model.getWeights().map((w) => w.clone()) };
            wait = 0;
          } else if (patience > 0 && ++wait >= patience) {
            stoppedEarly = true;
            model.stopTraining = true;
          }
        },
      },
    });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    xs.dispose();
    ys.dispose();
    vx?.dispose();
    vy?.dispose();
    chart?.stop();
  }
  if (diverged) {
    best.weights?.forEach((w) => w.dispose());
    throw new StreamlabError(
      `training diverged at epoch ${diverged.epoch}: the loss became ${diverged.loss}${diverged.valLoss !== undefined ? ` (validation ${diverged.valLoss})` : ''}`,
      'the features hold values too large or too spread to learn from; rescale or clip them, or lower learningRate',
    );
  }
  if (best.weights) {
    model.setWeights(best.weights);
    best.weights.forEach((w) => w.dispose());
  }
  const last = history[history.length - 1];
  return {
    backend: currentBackend(),
    epochs: history.length,
    bestEpoch: best.epoch,
    loss: last?.loss ?? NaN,
    ...(last?.valLoss !== undefined ? { valLoss: last.valLoss, bestValLoss: best.value } : {}),
    stoppedEarly,
    interrupted,
    ms: Date.now() - started,
    trainRows: x.length,
    validationRows: validation?.x.length ?? 0,
    history,
  };
}

/** The summary as table rows (label, value), for a notebook table or a terminal. */
export function summaryRows(s: TrainSummary): [string, string][] {
  return [
    ['backend', s.backend],
    ['rows', `${formatCount(s.trainRows)} train, ${formatCount(s.validationRows)} validation (split by time)`],
    ['epochs', `${s.epochs}${s.stoppedEarly ? ' (stopped early)' : ''}${s.interrupted ? ' (interrupted)' : ''}`],
    ['best epoch', String(s.bestEpoch)],
    ['loss', s.loss.toPrecision(4)],
    ...(s.valLoss !== undefined ? ([['validation loss', `${s.valLoss.toPrecision(4)} (best ${s.bestValLoss!.toPrecision(4)}, weights kept)`]] as [string, string][]) : []),
    ['time', `${formatDuration(s.ms)}${s.thread === 'worker' ? ' (on a worker thread: live streams kept the main one)' : ''}`],
  ];
}
