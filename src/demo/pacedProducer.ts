/**
 * Writes generated records to a sink at a target rate, in small batches, until a count, a deadline or an abort.
 * Pacing is by wall clock (not per-record sleeps) so the rate holds even when a batch takes a while to send.
 */
import { TopicSink } from '../kafka/topicSink';
import { GeneratedRaw } from './sensorGenerator';

export interface PacedProduceOptions {
  /** Records per second; Infinity sends as fast as the broker takes them. */
  rate: number;
  count?: number;
  signal?: AbortSignal;
  /** Called after every batch with the running total. */
  onProgress?: (sent: number) => void;
  /** How a batch is written (default: as raw records); a schema'd sink writes them as rows instead. */
  write?: (records: GeneratedRaw[]) => Promise<void>;
}

export async function producePaced(sink: TopicSink, next: () => GeneratedRaw, options: PacedProduceOptions): Promise<number> {
  const { rate, count = Infinity, signal } = options;
  const batch = Number.isFinite(rate) ? Math.max(1, Math.min(500, Math.round(rate / 20))) : 500;
  const started = Date.now();
  let sent = 0;
  while (sent < count && !signal?.aborted) {
    const n = Math.min(batch, count - sent);
    const records = [];
    for (let i = 0; i < n; i++) records.push(next());
    await (options.write ? options.write(records) : sink.writeRaw(records));
    await sink.flush();
    sent += n;
    options.onProgress?.(sent);
    if (Number.isFinite(rate)) {
      const due = started + (sent / rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await abortableSleep(wait, signal);
    }
  }
  return sent;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
