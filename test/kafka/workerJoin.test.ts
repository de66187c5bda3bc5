/**
 * A join pipeline run as workers on a real Kafka: payments (6 partitions, keyed by payment id) enriched with card
 * profiles from a versioned table topic by a foreign key, exactly once, while payments arrive; one worker is killed
 * with SIGKILL mid-stream and another takes its partitions over. What a read_committed reader sees equals a brute
 * force over the input: every payment once, each with the card profile valid at its event time (or null).
 * And a pipeline file that cannot run as workers is refused in one line.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KafkaCluster } from '../../src/broker';
import { TopicAdmin } from '../../src/kafka';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { PipelineDefinition, checkPipeline } from '../../src/pipeline';
import { produceRaw, sleep } from '../support/broker';
import { RunningProcess, readTopic, startProcess } from '../support/pipelineProcess';

let cluster: KafkaCluster;
let brokers: string;
let dir: string;

before(async () => {
  cluster = await KafkaCluster.start({ brokers: 1, heapMb: 512 });
  brokers = cluster.bootstrapServers;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-worker-join-'));
});
after(async () => {
  await cluster?.stop({ fast: true });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// Event times relative to a whole minute an hour ago (a real Kafka deletes records older than its retention).
const T0 = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
const CARDS = 40;

/** Card c's profile version v: its limit changes every 10 minutes of event time; card 7 is deleted at 33 min 20 s. */
function profiles(): { card: string; time: number; value: { cardId: string; limit: number } | null }[] {
  const out: { card: string; time: number; value: { cardId: string; limit: number } | null }[] = [];
  for (let v = 0; v < 4; v++) {
    for (let c = 0; c < CARDS; c++) out.push({ card: `c${c}`, time: T0 + v * 600_000 + c * 1000, value: { cardId: `c${c}`, limit: 100 * (c + 1) + v } });
  }
  out.push({ card: 'c7', time: T0 + 2_000_000, value: null });
  return out;
}

function payment(i: number) {
  // Card 40 has no profile: a left join keeps its payments with null.
  return { id: `p${i}`, cardId: `c${(i * 13) % (CARDS + 1)}`, amount: (i * 37) % 500, time: T0 + i * 600 };
}

/** The profile of a card valid at time t (the latest version at or before t; a deletion ends it). */
function asOf(versions: ReturnType<typeof profiles>, card: string, t: number): object | null {
  let found: { time: number; value: object | null } | undefined;
  for (const v of versions) if (v.card === card && v.time <= t && (!found || v.time >= found.time)) found = v;
  return found?.value ?? null;
}

test('a stream-table join pipeline: exactly once across a SIGKILL, each payment with the card profile valid at its time', async (t) => {
  const admin = await TopicAdmin.connect({ brokers });
  await admin.createTopic('j-payments', 6);
  // A table's changelog is a compacted topic: the latest record of each key kept.
  await admin.createTopic('j-cards', 2, undefined, { compact: true });
  await admin.disconnect();
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
  const configs = kafka.admin();
  await configs.connect();
  const described = await configs.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'j-cards', configNames: ['cleanup.policy'] }], includeSynonyms: false });
  await configs.disconnect();
  assert.equal(described.resources[0]!.configEntries[0]!.configValue, 'compact');
  const table = profiles();
  await produceRaw({ brokers }, 'j-cards', table.map((p) => ({ key: p.card, value: p.value === null ? null : JSON.stringify(p.value), timestamp: p.time })));
  const definition: PipelineDefinition = {
    name: 'enrich-payments',
    input: { topic: 'j-payments', timeField: 'time' },
    join: { kind: 'left', table: { topic: 'j-cards', versioned: { history: '1d' } }, leftKey: 'cardId' },
    output: { topic: 'j-enriched', partitions: 3 },
  };
  const file = path.join(dir, 'join.json');
  fs.writeFileSync(file, JSON.stringify(definition, null, 2));
  const cli = path.join(__dirname, '..', '..', 'cli', 'main.js');
  const startWorker = (): RunningProcess => startProcess(cli, ['worker', file, '--group', 'jg', '--brokers', brokers, '--status', 'json', '--every', '200', '--session-timeout', '6000', '--fetch-max-bytes', '4096']);
  const a = startWorker();
  const b = startWorker();
  const input: ReturnType<typeof payment>[] = [];
  try {
    for (let chunk = 0; chunk < 10; chunk++) {
      const rows = Array.from({ length: 400 }, (_, k) => payment(chunk * 400 + k));
      input.push(...rows);
      await produceRaw({ brokers }, 'j-payments', rows.map((r) => ({ key: r.id, value: JSON.stringify(r) })));
      if (chunk === 3) {
        await a.waitFor((s) => Number(s.rowsOut) > 0, 'worker 1 writing joined payments', 60_000);
        a.child.kill('SIGKILL');
        await a.exited;
        t.diagnostic('killed worker 1 with SIGKILL mid-stream');
      }
      await sleep(300);
    }
    const out = await readTopic(brokers, 'j-enriched', { readCommitted: true, expected: input.length, quietMs: 4000, timeoutMs: 120_000 });
    const byId = new Map<string, Record<string, unknown>>();
    for (const r of out) {
      const v = r.value;
      assert.ok(!byId.has(v.id as string), `payment ${String(v.id)} written twice`);
      byId.set(v.id as string, v);
    }
    assert.equal(byId.size, input.length, 'every payment once');
    let nulls = 0;
    for (const p of input) {
      const expected = asOf(table, p.cardId, p.time);
      if (expected === null) nulls++;
      assert.deepEqual(byId.get(p.id), { ...p, 'j-cards': expected }, `payment ${p.id}`);
    }
    assert.ok(nulls > 0 && nulls < input.length / 4, `${nulls} payments found no profile (card 40, card 7 after its deletion, times before a card's first version)`);
    const status = b.last()!;
    assert.equal(status.tableKeys, CARDS - 1, 'the worker holds the table: 40 cards, one deleted');
  } finally {
    for (const w of [a, b]) if (w.child.exitCode === null) w.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited]);
  }
});

test('pipeline files that cannot run as workers are refused in one line', () => {
  const base = { name: 'p', input: { topic: 'in' }, output: { topic: 'out' } };
  assert.throws(() => checkPipeline({ ...base }, 'f.json'), /^StreamlabError: f\.json: a pipeline needs a window or a join: /);
  assert.throws(() => checkPipeline({ ...base, window: { kind: 'tumbling', size: '1s' }, join: { table: { topic: 't' } } }, 'f.json'), /a pipeline has a window or a join, not both/);
  assert.throws(() => checkPipeline({ ...base, join: { stream: { topic: 'd' }, within: '1m', grace: '0s' } }, 'f.json'), /^StreamlabError: f\.json: join\.stream: a stream-stream join cannot run as workers yet: run it in a notebook/);
  assert.throws(() => checkPipeline({ ...base, join: { table: { topic: 'out' } } }, 'f.json'), /join\.table\.topic is the output topic/);
  assert.throws(() => checkPipeline({ ...base, join: { kind: 'outer', table: { topic: 't' } } }, 'f.json'), /join\.kind 'outer' is not a stream-table join kind: use 'inner' or 'left'/);
  assert.throws(() => checkPipeline({ ...base, join: { tabel: { topic: 't' } } }, 'f.json'), /unknown field 'join\.tabel': did you mean 'join\.table'\?/);
});
