/**
 * The replay that keeps worker windows exact, without a broker: a partition's records go through a WindowTask in
 * random batches, and at random points its owner crashes (the batch's output and position are lost, as an aborted
 * transaction loses them) and a new task restores from the last committed position and metadata and replays. What
 * was committed must equal, window for window and once each, what one engine computes over the whole partition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPipeline, WindowPipeline as Pipeline, WindowTask } from '../src/pipeline';
import { windowed } from '../src/window';
import type { StreamRecord, JsonValue } from '../src/record';
import { checkProperty, fc } from './support/fuzz';

const T0 = Date.UTC(2026, 0, 1);

function pipelineOf(kind: 'tumbling' | 'hopping', grace: number): Pipeline {
  return <Pipeline>checkPipeline({
    name: 'p',
    input: { topic: 'in' },
    window: { kind, size: 1000, ...(kind === 'hopping' ? { advance: 250 } : {}), grace, keyBy: 'k', aggregates: ['count', 'sum(v)', 'min(v)', 'max(v)', 'first(v)', 'last(v)'] },
    output: { topic: 'out' },
  });
}

function records(steps: { key: number; dt: number; back: number; v: number }[]): StreamRecord<JsonValue>[] {
  let clock = T0;
  return steps.map((s, offset) => {
    clock += s.dt;
    const time = clock - s.back;
    return { topic: 'in', partition: 0, offset, key: `k${s.key}`, timestamp: time, time, value: { k: `k${s.key}`, v: s.v } };
  });
}

/** Runs the partition with crashes; returns the committed rows and how many crashes happened. */
function runWithCrashes(pipeline: Pipeline, input: StreamRecord<JsonValue>[], batchSizes: number[], crashAt: (step: number) => boolean) {
  const committedRows: Record<string, unknown>[] = [];
  let committed: { offset: number; metadata: string | null } = { offset: 0, metadata: null };
  let task = new WindowTask(pipeline);
  task.restore(null);
  let position = 0;
  let step = 0;
  let crashed = 0;
  while (position < input.length) {
    const size = batchSizes[step % batchSizes.length]!;
    const batch = input.slice(position, position + size);
    const next = position + batch.length;
    const out = task.process(batch, next);
    if (crashAt(step++) && crashed < 20) {
      // The transaction is lost: a new owner restores from what was committed and replays from there.
      crashed++;
      task = new WindowTask(pipeline);
      task.restore(committed.metadata);
      position = committed.offset;
      continue;
    }
    committedRows.push(...(out.rows as Record<string, unknown>[]));
    assert.ok(out.commitOffset! <= next && out.commitOffset! >= committed.offset, 'the committed position never goes back');
    committed = { offset: out.commitOffset!, metadata: out.metadata ?? null };
    position = next;
  }
  return { committedRows, crashed };
}

function oneEngine(pipeline: Pipeline, input: StreamRecord<JsonValue>[]): Record<string, unknown>[] {
  const engine = windowed({ window: pipeline.window, keyBy: pipeline.keyBy, grace: pipeline.graceMs, aggregates: pipeline.definition.window!.aggregates, futureLimit: false, retain: { windows: 1_000_000 } });
  engine.addBatch(input);
  return engine.closedRows();
}

const canonical = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();

test('crashes at random points and replays from the committed position give exactly the windows of one run (tumbling and hopping, out of order, late records)', async () => {
  await checkProperty(
    'replayed windows are exact',
    fc.property(
      fc.constantFrom<'tumbling' | 'hopping'>('tumbling', 'hopping'),
      fc.constantFrom(0, 100, 400),
      // Event time moves 0-120 ms a record and may lag up to 600 ms (past the grace, so some records are late).
      fc.array(fc.record({ key: fc.integer({ min: 0, max: 3 }), dt: fc.integer({ min: 0, max: 120 }), back: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 600 })), v: fc.integer({ min: -50, max: 50 }) }), { minLength: 1, maxLength: 400 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      (kind, grace, steps, batchSizes, crashes) => {
        const pipeline = pipelineOf(kind, grace);
        const input = records(steps);
        const { committedRows } = runWithCrashes(pipeline, input, batchSizes, (step) => crashes[step % crashes.length]!);
        assert.deepEqual(canonical(committedRows), canonical(oneEngine(pipeline, input)));
      },
    ),
    200,
  );
});

test('an open window keeps the offset of its first record as the committed position, so a crash after a commit loses none of it', () => {
  const pipeline = pipelineOf('tumbling', 0);
  // Two records of one window, a crash after the first batch is committed, then the window closes.
  const input = records([{ key: 0, dt: 0, back: 0, v: 1 }, { key: 0, dt: 10, back: 0, v: 2 }, { key: 0, dt: 2000, back: 0, v: 3 }]);
  const { committedRows, crashed } = runWithCrashes(pipeline, input, [1], (step) => step === 1);
  assert.equal(crashed, 1);
  assert.deepEqual(canonical(committedRows), canonical(oneEngine(pipeline, input)));
  // Had the position been the end of the first batch, the replay would have started at record 1 and the window would
  // count 1 record, not 2: the first offset its open window holds is what makes it exact.
  const task = new WindowTask(pipeline);
  const out = task.process(input.slice(0, 1), 1);
  assert.equal(out.commitOffset, 0, 'an open window keeps its first record to replay');
});
