/**
 * Broker faults on a real 3-node Kafka (replication factor 3, min.insync.replicas 2), while a producer writes and a
 * notebook session streams and windows the topic: kill -9 a partition leader, then the active controller; a clean
 * restart of one broker; one broker paused (SIGSTOP) past the broker and group session timeouts. After each fault the
 * stream must resume by itself; at the end every acknowledged record is in the log once, the stream delivered the
 * log exactly (every partition/offset once, no gap), the windows equal a brute-force count of the log, and the
 * notebook heard of each outage once and again when the stream was back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaCluster } from '../../src/broker';
import { clientLog, TopicSink, TopicSource } from '../../src/kafka';
import { Session } from '../../src/session';
import { tumbling } from '../../src/window';
import { StreamRecord, JsonValue } from '../../src/record';
import { sleep } from '../support/broker';

const TOPIC = 'faults';
const PARTITIONS = 3;
/** Event time is the time a record is produced; windows are 10 s, with 2 minutes of grace for a stalled partition. */
const WINDOW_MS = 10_000;

let cluster: KafkaCluster;
let admin: ReturnType<Kafka['admin']>;

before(async () => {
  cluster = await KafkaCluster.start({
    brokers: 3,
    heapMb: 512,
    // Fence a silent broker after 6 s (default 9 s) and drop a dead follower from the ISR as soon (default 30 s).
    brokerProperties: { 'broker.session.timeout.ms': 6000, 'broker.heartbeat.interval.ms': 1000, 'replica.lag.time.max.ms': 6000 },
  });
  admin = new Kafka({ brokers: cluster.internalBootstrapServers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
});
after(async () => {
  await admin?.disconnect().catch(() => undefined);
  await cluster?.stop({ fast: true });
});

async function partitionsOf(topic: string) {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId);
}

async function leaderOf(partition: number): Promise<number> {
  return (await partitionsOf(TOPIC)).find((p) => p.partitionId === partition)!.leader;
}

/** Waits until every partition of the topic has all three replicas in sync again. */
async function fullyReplicated(timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const parts = await partitionsOf(TOPIC);
      if (parts.every((p) => p.isr.length === 3 && p.leader >= 0)) return;
    } catch {
      // metadata from a node that is still coming back
    }
    if (Date.now() > deadline) throw new Error(`the ISR of '${TOPIC}' did not grow back to 3 within ${timeoutMs} ms`);
    await sleep(500);
  }
}

/** Writes record i = 0, 1, 2... to partition i % 3, in batches, retrying a failed batch until it is acknowledged. */
function startProducer(sink: TopicSink) {
  let next = 0;
  let acked = 0;
  let failures = 0;
  /** Ids of records whose flush failed and was resent: the only ones that may be in the log twice. */
  const resent = new Set<number>();
  let running = true;
  const done = (async () => {
    while (running) {
      const batch = Array.from({ length: 30 }, (_, k) => {
        const i = next + k;
        const time = Date.now();
        return { value: JSON.stringify({ i, time }), partition: i % PARTITIONS, timestamp: time };
      });
      await sink.writeRaw(batch);
      next += batch.length;
      // A failed flush keeps the batch queued; flushing again resends it (the idempotent producer keeps it single).
      for (;;) {
        try {
          await sink.flush();
          break;
        } catch {
          failures++;
          for (let k = 0; k < batch.length; k++) resent.add(next - batch.length + k);
          await sleep(200);
        }
      }
      acked = next;
      await sleep(80);
    }
  })();
  return {
    get acked() {
      return acked;
    },
    get failures() {
      return failures;
    },
    resent,
    async stop() {
      running = false;
      await done;
    },
  };
}

test('kill -9 a leader, then the controller; restart a broker; SIGSTOP one: nothing lost, twice only what was resent, windows exact, the notebook told', async () => {
  const session = new Session();
  const notices: string[] = [];
  session.onProblem((m) => {
    notices.push(`${new Date().toISOString()} ${m}`);
    process.stdout.write(`# notebook: ${notices.at(-1)}\n`);
  });
  await session.connect({ brokers: cluster.bootstrapServers, embeddedFallback: false });
  try {
    // The topic is empty, so the stream and its window see every record from the first.
    const live = await session.consume({ topic: TOPIC, name: 'live', from: 'earliest', timeField: 'time' });
    const got: StreamRecord<JsonValue>[] = [];
    live.subscribe((records) => {
      got.push(...records);
    });
    // Partitions are read independently: one whose leader is down falls behind the others for as long as the outage,
    // which the grace covers, so its records still count in their windows.
    const windows = await session.window('live', { window: tumbling('10s'), grace: '2m', aggregates: ['count', 'sum(i)', 'min(i)', 'max(i)'] });

    const sink = await TopicSink.open({ topic: TOPIC, connection: { brokers: cluster.bootstrapServers }, batchSize: 10_000 });
    assert.equal(sink.idempotent, true, 'a real cluster takes idempotent producers');
    const producer = startProducer(sink);
    const log: string[] = [];
    const say = (line: string) => {
      log.push(`${new Date().toISOString()} ${line}`);
      process.stdout.write(`# ${log.at(-1)}\n`);
    };

    /** The stream has caught up with what was acknowledged by now, and the producer got `more` records further. */
    const resumes = async (what: string, more = 300, timeoutMs = 150_000) => {
      const start = Date.now();
      const target = producer.acked + more;
      while (producer.acked < target || got.length < target) {
        if (Date.now() - start > timeoutMs) {
          const leaders = await partitionsOf(TOPIC).catch(() => []);
          throw new Error(
            `after ${what}: the stream has ${got.length} records, the producer ${producer.acked} acknowledged (state ${live.state})\n` +
              `partitions ${JSON.stringify(live.metrics().partitions)}\nleaders ${JSON.stringify(leaders)}\n${log.join('\n')}\n${notices.join('\n')}\n` +
              clientLog.entries().slice(-25).map((e) => `${e.time} ${e.level} ${e.namespace} ${e.message.slice(0, 300)}`).join('\n'),
          );
        }
        await sleep(200);
      }
      say(`${what}: resumed in ${((Date.now() - start) / 1000).toFixed(1)} s (${got.length} records)`);
    };

    try {
      await resumes('start', 600);
      const controller0 = cluster.activeController();

      // 1. kill -9 the leader of partition 0 (one that is not the controller, when there is one, so that the next
      //    fault is a different kind), then bring it back.
      let victim = await leaderOf(0);
      if (victim === controller0) {
        const other = (await partitionsOf(TOPIC)).find((p) => p.leader !== controller0);
        if (other) victim = other.leader;
      }
      say(`kill -9 node ${victim} (leader of a partition; controller is ${controller0})`);
      await cluster.kill(victim);
      await resumes(`kill -9 of leader ${victim}`);
      await cluster.startNode(victim);
      await fullyReplicated();
      await resumes(`restart of ${victim}`);

      // 2. kill -9 the active controller.
      const controller = cluster.activeController();
      say(`kill -9 node ${controller} (the active controller)`);
      await cluster.kill(controller);
      await resumes(`kill -9 of controller ${controller}`);
      assert.notEqual(cluster.activeController(), controller, 'another node took the quorum over');
      await cluster.startNode(controller);
      await fullyReplicated();
      await resumes(`restart of ${controller}`);

      // 3. a clean restart of one broker (the leader of partition 1).
      const restarted = await leaderOf(1);
      say(`clean restart of node ${restarted}`);
      await cluster.stopNode(restarted);
      await resumes(`stop of ${restarted}`);
      await cluster.startNode(restarted);
      await fullyReplicated();
      await resumes(`start of ${restarted}`);

      // 4. SIGSTOP the leader of partition 2 for 15 s: past the broker session (6 s) and the group session (10 s).
      const paused = await leaderOf(2);
      say(`SIGSTOP node ${paused}`);
      cluster.pause(paused);
      await sleep(15_000);
      cluster.resume(paused);
      say(`SIGCONT node ${paused}`);
      await resumes(`SIGSTOP of ${paused}`);
      await fullyReplicated();
    } finally {
      await producer.stop();
      await sink.close();
    }
    const acked = producer.acked;
    await resumes('the end', 0);
    await sleep(1000);

    // The log itself, read back from the start: every acknowledged record exactly once.
    const check = new TopicSource({ topic: TOPIC, from: 'earliest', connection: { brokers: cluster.bootstrapServers }, timeField: 'time', untilEnd: true });
    const reader = check.reader(1_000_000);
    await check.start();
    const stored: StreamRecord<JsonValue>[] = [];
    for await (const r of reader) stored.push(r);
    const ids = (rs: StreamRecord<JsonValue>[]) => rs.map((r) => r.value.i as number).sort((a, b) => a - b);
    // At least once: a send whose acknowledgement was lost with a broker is resent with new sequence numbers, which
    // the idempotent producer cannot match to the first (exactly once needs transactions). So every acknowledged
    // record is in the log, and a record is there twice only if its batch was resent.
    const seen = ids(stored);
    assert.deepEqual([...new Set(seen)], Array.from({ length: acked }, (_, i) => i), `every acknowledged record in the log (${producer.failures} failed sends were resent)`);
    const twice = seen.filter((id, k) => k > 0 && seen[k - 1] === id);
    assert.deepEqual(twice.filter((id) => !producer.resent.has(id)), [], `records twice in the log that were never resent (${twice.length} duplicates in all)`);

    // The stream delivered exactly the log: each partition/offset once, in order, no gap.
    const at = (rs: StreamRecord<JsonValue>[]) => rs.map((r) => `${r.partition}@${r.offset}=${r.value.i as number}`).sort();
    assert.equal(got.length, stored.length, 'no record delivered twice');
    assert.deepEqual(at(got), at(stored));
    for (let p = 0; p < PARTITIONS; p++) {
      const offsets = got.filter((r) => r.partition === p).map((r) => r.offset);
      assert.deepEqual(offsets, offsets.map((_, k) => k), `partition ${p}: offsets 0..${offsets.length - 1} in order`);
    }

    // Windows: exactly what a brute-force count of the log gives.
    windows.flush();
    const expected = new Map<number, { count: number; sum: number; min: number; max: number }>();
    for (const r of stored) {
      const i = r.value.i as number;
      const start = Math.floor((r.value.time as number) / WINDOW_MS) * WINDOW_MS;
      const w = expected.get(start) ?? { count: 0, sum: 0, min: Infinity, max: -Infinity };
      w.count++;
      w.sum += i;
      w.min = Math.min(w.min, i);
      w.max = Math.max(w.max, i);
      expected.set(start, w);
    }
    const rows = windows.closedRows().map((r) => [r.windowStart, r.count, r.sum_i, r.min_i, r.max_i]);
    assert.deepEqual(rows, [...expected].sort((a, b) => a[0] - b[0]).map(([s, w]) => [s, w.count, w.sum, w.min, w.max]));
    assert.equal(windows.metrics().late, 0, 'no record came late');

    // The notebook: each outage said once, then that the stream is back; nothing about a stop.
    const live_ = notices.filter((n) => /stream 'live'/.test(n));
    const kinds = live_.map((n) => (/lost its broker/.test(n) ? 'lost' : /is back/.test(n) ? 'back' : 'other'));
    assert.ok(!kinds.includes('other'), notices.join('\n'));
    for (let k = 0; k < kinds.length; k++) assert.equal(kinds[k], k % 2 === 0 ? 'lost' : 'back', `told once, then back:\n${notices.join('\n')}`);
    assert.ok(kinds.length === 0 || kinds.at(-1) === 'back', 'the last word is that it is back');
    assert.equal(live.state, 'running');
    process.stdout.write(`${log.join('\n')}\n${notices.join('\n')}\n${acked} records, ${producer.failures} failed sends retried\n`);

    // Stopping the stream deletes its private group on a real Kafka.
    const groupId = live.groupId;
    assert.ok((await admin.listGroups()).groups.some((g) => g.groupId === groupId), 'the stream has its group');
    await session.close();
    assert.ok(!(await admin.listGroups()).groups.some((g) => g.groupId === groupId), 'the group is deleted when the stream stops');
  } finally {
    await session.close();
  }
});

test("a record older than the topic's time retention is refused with one line, not deleted by Kafka minutes later", async () => {
  await admin.createTopics({ topics: [{ topic: 'retained', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(86_400_000) }] }], waitForLeaders: true });
  const sink = await TopicSink.open({ topic: 'retained', connection: { brokers: cluster.bootstrapServers }, timeField: 'time' });
  try {
    await sink.write({ n: 1, time: new Date(Date.now() - 3_600_000).toISOString() });
    await assert.rejects(sink.write({ n: 2, time: '2014-03-07T00:00:00Z' }), (e: Error) => {
      assert.equal(
        e.message,
        "producing to 'retained': row 0: timestamp 2014-03-07T00:00:00.000Z is older than the topic's retention (1 day), so Kafka would delete it within minutes: create the topic with retention.ms=-1 (createTopic: { retentionMs: -1 }; `streamlab produce csv` does) or write current timestamps: nothing of this call was sent; fix the row(s), or pass onInvalid: 'dead-letter' to send the others",
      );
      return true;
    });
  } finally {
    await sink.close();
  }
  const kept = await TopicSink.open({ topic: 'replayed', connection: { brokers: cluster.bootstrapServers }, timeField: 'time', createTopic: { partitions: 1, retentionMs: -1 } });
  await kept.write({ n: 3, time: '2014-03-07T00:00:00Z' });
  await kept.close();
  const { resources } = await admin.describeConfigs({ resources: [{ type: 2, name: 'replayed', configNames: ['retention.ms'] }], includeSynonyms: false });
  assert.equal(resources[0]!.configEntries[0]!.configValue, '-1');
});
