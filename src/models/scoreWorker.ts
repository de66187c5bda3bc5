/**
 * A worker thread that scores batches for a StreamScorer, so a stream's scoring runs on a second core while the
 * main thread keeps consuming. It holds the model and the rows a batch's lags reach back to; it answers each batch
 * with its flagged rows and the counts.
 */
import { parentPort } from 'node:worker_threads';
import { quietTensorflow } from './backend';
import { modelFromData, type ModelData } from './modelTransfer';
import { StreamScorer } from './streamScorer';

type Message = { type: 'init'; model: ModelData; threshold?: number } | { type: 'batch'; id: number; rows: Record<string, unknown>[] };

quietTensorflow();
let scorer: StreamScorer | undefined;
let ready: Promise<void> | undefined;

parentPort!.on('message', (m: Message) => {
  if (m.type === 'init') {
    ready = modelFromData(m.model).then((model) => {
      scorer = new StreamScorer({ model, threshold: m.threshold, keep: 1 });
      parentPort!.postMessage({ type: 'ready', id: -1 });
    });
    return;
  }
  void ready!
    .then(async () => {
      const out = await scorer!.scoreBatch(m.rows);
      parentPort!.postMessage({ type: 'done', id: m.id, scored: out.length, flagged: out.filter((r) => r.isAnomaly), dropped: scorer!.metrics().dropped });
    })
    .catch((e: unknown) => parentPort!.postMessage({ type: 'error', id: m.id, message: (e as Error).message }));
});
