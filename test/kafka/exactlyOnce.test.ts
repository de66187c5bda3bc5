/**
 * Exactly-once output on a real Kafka (one KRaft node): a transactional sink's commit and abort as a read_committed
 * reader sees them, and a read-process-write pipeline in a process of its own that is killed with SIGKILL mid-stream
 * and started again: every input record is in the output exactly once for a read_committed reader.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { KafkaCluster } from '../../src/broker';
import { TopicAdmin, TopicSink } from '../../src/kafka';
import { produceRaw } from '../support/broker';
import { readTopic, startProcess } from '../support/pipelineProcess';

let cluster: KafkaCluster;
let brokers: string;

before(async () => {
  cluster = await KafkaCluster.start({ brokers: 1, heapMb: 512 });
  brokers = cluster.bootstrapServers;
});
after(async () => {
  await cluster?.stop({ fast: true });
});

async function createTopics(...topics: [string, number][]): Promise<void> {
  const admin = await TopicAdmin.connect({ brokers });
  try {
    for (const [topic, partitions] of topics) await admin.createTopic(topic, partitions);
  } finally {
    await admin.disconnect();
  }
}

test('an exactlyOnce sink: committed rows are read once, aborted ones never (they are in the log, read_uncommitted sees them)', async () => {
  await createTopics(['tx-sink', 2]);
  const sink = await TopicSink.open({ topic: 'tx-sink', connection: { brokers }, exactlyOnce: true, keyField: 'k' });
  try {
    await sink.write([{ k: 'a', n: 1 }, { k: 'b', n: 2 }, { k: 'c', n: 3 }]);
    await sink.commit();
    await sink.write([{ k: 'a', n: 4 }, { k: 'b', n: 5 }]);
    await sink.flush(); // sends the two into a transaction and commits it: flush is commit with exactlyOnce
    await sink.write([{ k: 'x', n: 6 }, { k: 'y', n: 7 }]);
    await sink.commit().then(() => undefined); // committed too; now one that is aborted after it was sent:
    await sink.write(Array.from({ length: 600 }, (_, i) => ({ k: `z${i}`, n: 100 + i }))); // past batchSize: sent now
    await sink.abort();
    await sink.write([{ k: 'd', n: 8 }]);
  } finally {
    await sink.close(); // commits the last row
  }
  const m = sink.metrics();
  assert.equal(m.exactlyOnce, true);
  assert.equal(m.records, 8, 'records count once committed');
  assert.equal(m.aborted, 1);
  const committed = await readTopic(brokers, 'tx-sink', { readCommitted: true, expected: 8, quietMs: 2000 });
  assert.deepEqual(committed.map((r) => r.value.n).sort((a, b) => Number(a) - Number(b)), [1, 2, 3, 4, 5, 6, 7, 8]);
  const everything = await readTopic(brokers, 'tx-sink', { readCommitted: false, expected: 508, quietMs: 2000 });
  assert.equal(everything.length, 508, 'the aborted batch of 500 (sent at batchSize) is in the log, hidden; the 100 still queued were never sent');
});

test('read-process-write killed with SIGKILL mid-stream and restarted: each output record exactly once, none missing', async (t) => {
  const N = 15_000;
  const PARTITIONS = 3;
  await createTopics(['eo-in', PARTITIONS], ['eo-out', PARTITIONS]);
  await produceRaw({ brokers }, 'eo-in', Array.from({ length: N }, (_, i) => ({ key: `k${i % 97}`, value: JSON.stringify({ i }) })));
  const script = path.join(__dirname, '..', 'support', 'transformProcess.js');
  const args = [brokers, 'eo-in', 'eo-out', 'eo-group'];
  const started = Date.now();

  const first = startProcess(script, args);
  const atKill = await first.waitFor((s) => Number(s.rowsOut) >= N / 4, 'a quarter of the input processed', 90_000);
  first.child.kill('SIGKILL');
  await first.exited;
  t.diagnostic(`killed -9 after ${atKill.rowsOut} of ${N} records written in ${atKill.transactions} transactions`);
  assert.ok(Number(atKill.rowsOut) < N, 'the kill came mid-stream');

  const second = startProcess(script, args);
  try {
    // Done when the group's committed positions reach the end of every input partition.
    const admin = await TopicAdmin.connect({ brokers });
    try {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const ends = await admin.offsets('eo-in');
        const committed = await admin.committedOffsets('eo-group', 'eo-in');
        if (ends.every((e) => committed.get(e.partition) === e.high)) break;
        if (Date.now() > deadline) throw new Error(`the restarted pipeline did not finish: committed ${JSON.stringify([...committed])}, ends ${JSON.stringify(ends)}, status ${JSON.stringify(second.last())}, stderr ${second.stderr()}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await admin.disconnect();
    }
  } finally {
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, `a SIGTERM stops the pipeline cleanly: ${second.stderr()}`);
  }
  const afterRestart = second.last()!;
  t.diagnostic(`restart wrote ${afterRestart.rowsOut} records; pipeline time ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const out = await readTopic(brokers, 'eo-out', { readCommitted: true, expected: N });
  const seen = new Map<number, number>();
  for (const r of out) seen.set(r.value.i as number, (seen.get(r.value.i as number) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([i]) => i);
  const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !seen.has(i));
  assert.deepEqual({ twice: twice.slice(0, 10), missing: missing.slice(0, 10) }, { twice: [], missing: [] });
  assert.equal(out.length, N);
  for (const r of out) assert.equal(r.value.double, (r.value.i as number) * 2);
  // The records of the transaction the kill cut short are in the log, hidden from read_committed readers.
  const raw = await readTopic(brokers, 'eo-out', { readCommitted: false, expected: N, quietMs: 2000 });
  t.diagnostic(`read_uncommitted sees ${raw.length} records (${raw.length - N} aborted by the kill), read_committed ${out.length}`);
  assert.ok(Number(afterRestart.rowsOut) > 0 && Number(afterRestart.rowsOut) < N, 'the restart resumed from the committed positions, not from the start');
});
