/**
 * A pipeline file run as workers of one consumer group on a real Kafka (one KRaft node), while records arrive: three
 * workers share six partitions, one is killed with SIGKILL mid-stream, a fourth joins later, one leaves with SIGTERM.
 * The windows a read_committed reader sees in the output topic equal a brute-force computation over the input and the
 * library run in one process: every window once, none missing, every aggregate exact.
 * And a worker that can never write its windows fails in one line once --task-timeout has passed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KafkaCluster } from '../../src/broker';
import { TopicAdmin } from '../../src/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { PipelineDefinition } from '../../src/pipeline';
import { Session } from '../../src/session';
import { tumbling, windowed } from '../../src/window';
import { produceRaw, sleep } from '../support/broker';
import { RunningProcess, readTopic, startProcess } from '../support/pipelineProcess';

let cluster: KafkaCluster;
let brokers: string;
let dir: string;

before(async () => {
  cluster = await KafkaCluster.start({ brokers: 1, heapMb: 512 });
  brokers = cluster.bootstrapServers;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-workers-'));
});
after(async () => {
  await cluster?.stop({ fast: true });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const SENSORS = 12;
const WINDOW_MS = 2000;
const T0 = Date.UTC(2026, 0, 1);

/** Record i: sensor i % 12, 20 ms of event time per round of sensors, up to 160 ms out of order (grace 500 ms). */
function record(i: number) {
  const sensor = `s${i % SENSORS}`;
  const time = T0 + Math.floor(i / SENSORS) * 20 + ((i * 7) % 5) * 40;
  return { sensor, time, v: (i * 31) % 1000 };
}

type Row = { sensor: string; windowStart: number; windowEnd: number; count: number; sum_v: number; min_v: number; max_v: number; invalid_v: number };

function bruteForce(records: ReturnType<typeof record>[]): Map<string, Row> {
  const out = new Map<string, Row>();
  for (const r of records) {
    const start = Math.floor(r.time / WINDOW_MS) * WINDOW_MS;
    const id = `${r.sensor}@${start}`;
    const w = out.get(id) ?? { sensor: r.sensor, windowStart: start, windowEnd: start + WINDOW_MS, count: 0, sum_v: 0, min_v: Infinity, max_v: -Infinity, invalid_v: 0 };
    w.count++;
    w.sum_v += r.v;
    w.min_v = Math.min(w.min_v, r.v);
    w.max_v = Math.max(w.max_v, r.v);
    out.set(id, w);
  }
  return out;
}

test('3 workers, one killed with SIGKILL, one joining late, one leaving: the output windows equal a brute-force computation and one process, each once', async (t) => {
  const admin = await TopicAdmin.connect({ brokers });
  await admin.createTopic('w-in', 6);
  await admin.disconnect();
  const definition: PipelineDefinition = {
    name: 'sensor-windows',
    input: { topic: 'w-in', timeField: 'time' },
    window: { kind: 'tumbling', size: '2s', grace: '500ms', keyBy: 'sensor', aggregates: ['count', 'sum(v)', 'min(v)', 'max(v)'] },
    output: { topic: 'w-out', partitions: 6 },
  };
  const file = path.join(dir, 'pipeline.json');
  fs.writeFileSync(file, JSON.stringify(definition, null, 2));
  const cli = path.join(__dirname, '..', '..', 'cli', 'main.js');
  const workers: RunningProcess[] = [];
  const startWorker = () => {
    const w = startProcess(cli, ['worker', file, '--group', 'wg', '--brokers', brokers, '--status', 'json', '--every', '200', '--session-timeout', '6000', '--fetch-max-bytes', '8192']);
    workers.push(w);
    return w;
  };
  const started = Date.now();
  const say = (line: string) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${line}`);

  const CHUNKS = 24;
  const PER_CHUNK = 1000;
  const input: ReturnType<typeof record>[] = [];
  const produceChunk = async (c: number) => {
    const chunk = Array.from({ length: PER_CHUNK }, (_, k) => record(c * PER_CHUNK + k));
    input.push(...chunk);
    await produceRaw({ brokers }, 'w-in', chunk.map((r) => ({ key: r.sensor, value: JSON.stringify(r) })));
  };
  try {
    // Three workers share the six partitions; then one is killed, one joins late and one leaves with SIGTERM.
    const [a, b, c] = [startWorker(), startWorker(), startWorker()];
    const held = (w: RunningProcess) => ((w.last()?.partitions ?? []) as { partition: number }[]).map((p) => p.partition);
    const holdAll = async (ws: RunningProcess[], what: string) => {
      const deadline = Date.now() + 60_000;
      while (!(ws.every((w) => held(w).length > 0) && new Set(ws.flatMap(held)).size === 6 && ws.flatMap(held).length === 6)) {
        if (Date.now() > deadline) throw new Error(`no ${what} within 60 s: ${JSON.stringify(ws.map(held))}`);
        await sleep(100);
      }
      return JSON.stringify(ws.map(held));
    };
    let d: RunningProcess | undefined;
    for (let chunk = 0; chunk < CHUNKS; chunk++) {
      await produceChunk(chunk);
      if (chunk === 6) {
        const shares = await holdAll([a, b, c], 'three workers sharing the partitions');
        const victimAt = await a.waitFor((s) => Number(s.windowsWritten) > 0, 'worker 1 writing windows');
        a.child.kill('SIGKILL');
        await a.exited;
        say(`workers 1, 2, 3 hold ${shares}; kill -9 worker 1 after ${victimAt.windowsWritten} windows`);
      }
      if (chunk === 12) {
        say(`workers 2, 3 hold ${await holdAll([b, c], "workers 2 and 3 taking worker 1's partitions over")}; worker 4 joins`);
        d = startWorker();
      }
      if (chunk === 18) {
        say(`workers 2, 3, 4 hold ${await holdAll([b, c, d!], 'worker 4 getting partitions')}; worker 2 leaves (SIGTERM)`);
        b.child.kill('SIGTERM');
        assert.equal(await b.exited, 0, `a SIGTERM stops a worker cleanly: ${b.stderr()}`);
      }
      await sleep(700);
    }
    // One record per sensor far enough ahead to close every window of the others (its own stays open).
    const closers = Array.from({ length: SENSORS }, (_, s) => ({ sensor: `s${s}`, time: T0 + 3_600_000, v: 0 }));
    await produceRaw({ brokers }, 'w-in', closers.map((r) => ({ key: r.sensor, value: JSON.stringify(r) })));
    say(`produced ${input.length} records (+${SENSORS} closers); workers 3, 4 hold ${await holdAll([c, d!], 'workers 3 and 4 taking worker 2\'s partitions over')}`);

    const expected = bruteForce(input);
    // The library in one process over the whole input gives the same windows as the brute force.
    const single = windowed({ window: tumbling('2s'), grace: '500ms', keyBy: 'sensor', time: 'time', aggregates: ['count', 'sum(v)', 'min(v)', 'max(v)'] });
    single.addBatch(input).flush();
    assert.deepEqual(new Map(single.closedRows().map((r) => [`${r.sensor}@${r.windowStart}`, r])), expected, 'one process agrees with the brute force');
    const out = await readTopic(brokers, 'w-out', { readCommitted: true, expected: expected.size, quietMs: 4000, timeoutMs: 120_000 });
    say(`read ${out.length} windows (expected ${expected.size})`);
    const seen = new Map<string, number>();
    for (const r of out) {
      const row = r.value as unknown as Row;
      const id = `${row.sensor}@${row.windowStart}`;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      assert.equal(r.key, row.sensor, 'output keyed by the window key');
      assert.deepEqual(row, expected.get(id), `window ${id}`);
    }
    const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    const missing = [...expected.keys()].filter((id) => !seen.has(id));
    assert.deepEqual({ twice: twice.slice(0, 10), missing: missing.slice(0, 10) }, { twice: [], missing: [] });
    assert.equal(out.length, expected.size);

    const survivors = [c, d!];
    const statuses = survivors.map((w) => w.last()!);
    say(`worker 3: ${statuses[0]!.transactions} transactions, ${statuses[0]!.rebalances} rebalances; worker 4: ${statuses[1]!.transactions} transactions, ${statuses[1]!.rebalances} rebalances`);
    assert.ok(Number(statuses[1]!.windowsWritten) > 0, 'the late joiner wrote windows of its own');

    // The group from a notebook: two members holding the six partitions between them; the committed positions wait
    // at the closers, the only records in open windows, so the lag is exactly the closers.
    const session = new Session();
    try {
      await session.connect({ brokers, embeddedFallback: false });
      const watch = await session.workerGroup('wg', 'w-in');
      const group = watch.status()!;
      await watch.stop();
      say(`group from the notebook: ${group.state}, ${group.members.length} members, lag ${group.lag}`);
      assert.equal(group.members.length, 2);
      assert.deepEqual(group.members.flatMap((m) => m.partitions).sort(), [0, 1, 2, 3, 4, 5]);
      assert.equal(group.lag, SENSORS);
    } finally {
      await session.close();
    }
    for (const w of survivors) w.child.kill('SIGTERM');
    const codes = await Promise.all(survivors.map((w) => w.exited));
    assert.deepEqual(codes, [0, 0], `SIGTERM stops workers cleanly: ${survivors.map((w) => w.stderr()).join(' | ')}`);
    for (const w of survivors) assert.equal(w.last()!.state, 'stopped');
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  }
});

test('a worker whose windows can never be written says why, leaves and exits 1; meanwhile its lag counts the unread records', async () => {
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  // Every window row is larger than the output topic accepts: no attempt can ever succeed.
  await kafkaAdmin.createTopics({
    topics: [
      { topic: 'stuck-in', numPartitions: 1 },
      { topic: 'stuck-out', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '40' }] },
    ],
    waitForLeaders: true,
  });
  await kafkaAdmin.disconnect();
  const RECORDS = 200;
  await produceRaw({ brokers }, 'stuck-in', Array.from({ length: RECORDS }, (_, i) => ({ key: `s${i % 4}`, value: JSON.stringify({ sensor: `s${i % 4}`, time: T0 + i * 1000, v: i }) })));
  const definition: PipelineDefinition = {
    name: 'never-written',
    input: { topic: 'stuck-in', timeField: 'time' },
    window: { kind: 'tumbling', size: '10s', keyBy: 'sensor', aggregates: ['count', 'sum(v)'] },
    output: { topic: 'stuck-out' },
  };
  const file = path.join(dir, 'stuck.json');
  fs.writeFileSync(file, JSON.stringify(definition));
  const cli = path.join(__dirname, '..', '..', 'cli', 'main.js');
  const worker = startProcess(cli, ['worker', file, '--group', 'stuck', '--brokers', brokers, '--status', 'json', '--every', '100', '--task-timeout', '4000']);
  try {
    const failing = await worker.waitFor((s) => typeof s.lastError === 'string' && Number(s.lag) > 0, 'a failed attempt with the lag shown', 60_000);
    assert.equal(failing.recordsIn, 0);
    assert.equal(failing.lag, RECORDS, `lag counts every unread record: ${JSON.stringify(failing)}`);
    assert.match(String(failing.lastError), /max\.message\.bytes/);
    const code = await Promise.race([worker.exited, sleep(60_000).then(() => 'still running')]);
    assert.equal(code, 1, `exits 1 once --task-timeout has passed: ${worker.stderr()}`);
    const lines = worker.stderr().trim().split('\n').filter((l) => l.startsWith('streamlab'));
    assert.equal(lines.length, 1, worker.stderr());
    assert.match(lines[0]!, /^streamlab: the worker of 'never-written' failed: partition 0 of 'stuck-in' cannot make progress: \d+ attempts in \d+ s failed \(first: sending a transaction to 'stuck-out': .*larger than the topic 'stuck-out' accepts.*raise the topic's max\.message\.bytes/);
    assert.equal(worker.last()!.state, 'failed');
  } finally {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  }
});
