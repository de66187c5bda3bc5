/**
 * A worker thread that scores batches for a StreamScorer, so a stream's scoring runs on a second core while the
 * main thread keeps consuming. It holds the model and the rows a batch's lags reach back to; batches arrive as
 * numeric columns (transferred buffers) and it answers each with the row numbers and scores of the flagged rows.
 */
import { parentPort } from 'node:worker_threads';
import { quietTensorflow } from './backend';
import { lowerThreadPriority } from './threadPriority';
import { ColumnScorer } from './columnScorer';
import { modelFromData, type ModelData } from './modelTransfer';
import type { WorkerBatch, WorkerReply } from './streamScorer';

type Message = { type: 'init'; model: ModelData; threshold?: number } | WorkerBatch;

// MAX_IN_FLIGHT_RECORDS bounds how far behind the main thread's consumer scoring may fall before the stream waits.
quietTensorflow();
lowerThreadPriority();

let scorer: ColumnScorer | undefined;
let threshold = Infinity;
let ready: Promise<void> | undefined;

parentPort!.on('message', (m: Message) => {
  if (m.type === 'init') {
    ready = modelFromData(m.model).then((model) => {
      scorer = new ColumnScorer(model);
      threshold = m.threshold ?? model.threshold;
      parentPort!.postMessage({ type: 'ready', id: -1 } satisfies WorkerReply);
    });
    return;
  }
  void ready!
    .then(() => {
      const { rows, scores } = scorer!.score(m.columns, m.target, m.n, m.keys);
      let flagged = 0;
      for (let k = 0; k < scores.length; k++) if (scores[k]! >= threshold) flagged++;
      const flaggedRows = new Float64Array(flagged);
      const flaggedScores = new Float64Array(flagged);
      for (let k = 0, at = 0; k < scores.length; k++) {
        if (scores[k]! < threshold) continue;
        flaggedRows[at] = rows[k]!;
        flaggedScores[at++] = scores[k]!;
      }
      // Every verdict too when the main thread plots scores: two buffers handed over, not copied.
      const all = m.all ? { rows: Float64Array.from(rows), scores: Float64Array.from(scores) } : undefined;
      const reply: WorkerReply = { type: 'done', id: m.id, scored: rows.length, flaggedRows, flaggedScores, dropped: scorer!.dropped, ...(all ? { allRows: all.rows, allScores: all.scores } : {}) };
      parentPort!.postMessage(reply, [flaggedRows.buffer, flaggedScores.buffer, ...(all ? [all.rows.buffer, all.scores.buffer] : [])]);
    })
    .catch((e: unknown) => parentPort!.postMessage({ type: 'error', id: m.id, message: (e as Error).message } satisfies WorkerReply));
});
