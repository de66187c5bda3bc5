/**
 * A stream-table join of one input partition as a read-process-write task. The table is the worker's (every worker
 * holds all of it, as a Kafka Streams GlobalKTable), so the task holds no state of its own: each batch's results go
 * out in the transaction that commits the batch, and a new owner of the partition resumes after the last committed
 * batch. On a versioned table each record is looked up as of its event time, so a batch replayed after a crash gives
 * the results the aborted attempt would have given; on a plain table, the values the table holds at the replay.
 */
import type { JsonValue, StreamRecord } from '../record';
import type { PartitionTask, TaskOutput } from '../kafka';
import { KeyedTable, StreamTableJoin } from '../join';
import type { JoinPipeline } from './pipelineFile';

export class JoinTask implements PartitionTask {
  readonly join: StreamTableJoin;

  constructor(pipeline: JoinPipeline, table: KeyedTable) {
    this.join = new StreamTableJoin({ table, kind: pipeline.join.kind, key: pipeline.join.leftKey, name: pipeline.name });
  }

  process(records: StreamRecord<JsonValue>[]): TaskOutput {
    return { rows: this.join.join(records).map((r) => r.value as object) };
  }

  metrics() {
    return this.join.metrics();
  }
}
