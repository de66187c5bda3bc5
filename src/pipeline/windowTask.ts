/**
 * The windows of one input partition as a read-process-write task, kept exact across crashes and partition moves by
 * replay from the committed position. Chosen over a compacted changelog topic because it needs nothing but the input
 * topic and the group's offsets: no second topic to create, size and keep consistent with the output, and no state
 * format to version; the price is a replay of at most one window span (plus grace) of input when a partition moves.
 *
 * How it stays exact: windows are written only when final (the watermark has passed them), each in the transaction
 * that commits the input position. The committed position is not the end of the batch but the first offset any
 * still-open window holds, so a new owner replays exactly the records of the open windows; with it goes the highest
 * event time seen (offset metadata), which the replay starts from, so that the windows already written are closed
 * (their replayed records are late and dropped: never written twice) and the watermark moves on from the same
 * place as it did for the previous owner. A partition's watermark depends only on its own records in offset order,
 * so the replay reproduces the previous owner's results exactly.
 */
import { windowOutputRow, type JsonValue, type StreamRecord } from '../record';
import type { PartitionTask, TaskOutput } from '../kafka';
import { AggregatesOption, WindowResult, WindowedStream, windowed } from '../window';
import type { WindowPipeline } from './pipelineFile';

interface CommittedState {
  /** Highest event time seen before the committed position's batch ended (epoch ms). */
  maxTime: number;
}

export class WindowTask implements PartitionTask {
  private readonly engine: WindowedStream;
  /** Input offsets still needed: the first offset of a record by the end of the last window it belongs to. */
  private readonly firstOffsetByEnd = new Map<number, number>();
  private results: WindowResult[] = [];
  private readonly sizeMs: number;
  private readonly advanceMs: number;
  private readonly graceMs: number;

  constructor(pipeline: WindowPipeline) {
    const w = pipeline.definition.window!;
    this.sizeMs = pipeline.window.sizeMs;
    this.advanceMs = pipeline.window.advanceMs;
    this.graceMs = pipeline.graceMs;
    this.engine = windowed({
      window: pipeline.window,
      keyBy: pipeline.keyBy,
      grace: pipeline.graceMs,
      aggregates: w.aggregates as AggregatesOption | undefined,
      // The bound on future times reads the clock, which a replay would read differently: off, for determinism.
      futureLimit: false,
      retain: { windows: 1 },
    });
    this.engine.subscribe((results) => {
      for (const r of results) if (r.final) this.results.push(r);
    });
  }

  restore(metadata: string | null): void {
    if (metadata === null || metadata === '') return;
    const state = JSON.parse(metadata) as CommittedState;
    if (Number.isFinite(state.maxTime)) this.engine.advanceTo(state.maxTime);
  }

  process(records: StreamRecord<JsonValue>[], nextOffset: number): TaskOutput {
    for (const r of records) {
      // The end of the last window this record falls in (tumbling: its only window).
      const end = Math.floor(r.time / this.advanceMs) * this.advanceMs + this.sizeMs;
      const first = this.firstOffsetByEnd.get(end);
      if (first === undefined || r.offset < first) this.firstOffsetByEnd.set(end, r.offset);
    }
    this.engine.addBatch(records);
    const watermark = this.engine.watermark;
    let commitOffset = nextOffset;
    for (const [end, first] of this.firstOffsetByEnd) {
      if (end <= watermark) this.firstOffsetByEnd.delete(end);
      else if (first < commitOffset) commitOffset = first;
    }
    const rows = this.results.map((r) => windowOutputRow(r));
    this.results = [];
    const maxTime = watermark + this.graceMs;
    return { rows, commitOffset, metadata: Number.isFinite(maxTime) ? JSON.stringify({ maxTime } satisfies CommittedState) : undefined };
  }

  metrics() {
    return this.engine.metrics();
  }
}
