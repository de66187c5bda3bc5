/**
 * Exactly-once on the embedded broker (librdkafka's mock, which has no transactions): refused at open with one line
 * that says what to do, never served at-least-once instead; and the option checks that need no broker.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReadProcessWrite, TopicSink, ConnectionOptions } from '../src/kafka';
import { StreamlabError } from '../src/errors';
import { TestBroker, startBroker } from './support/broker';

let broker: TestBroker;
let connection: ConnectionOptions;

before(async () => {
  ({ broker, connection } = await startBroker());
  await broker.createTopic('eo-mock-in', 2);
  await broker.createTopic('eo-mock-out', 2);
});
after(async () => {
  await broker?.stop();
});

function oneLine(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof StreamlabError, String(e));
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), e.message);
    return true;
  };
}

test('an exactlyOnce sink on the mock fails at open, naming the broker and the way out', async () => {
  await assert.rejects(TopicSink.open({ topic: 'eo-mock-out', connection, exactlyOnce: true }), oneLine(/exactly once: the broker at .* is librdkafka's mock .* no transactions: use a real Kafka .*drop exactlyOnce/));
  // The default stays at-least-once on the same broker.
  const sink = await TopicSink.open({ topic: 'eo-mock-out', connection });
  try {
    await sink.write({ n: 1 });
    await sink.flush();
    assert.equal(sink.metrics().exactlyOnce, false);
    await assert.rejects(sink.commit(), oneLine(/is not exactlyOnce/));
  } finally {
    await sink.close();
  }
});

test('a read-process-write pipeline on the mock fails at start in one line', async () => {
  const pipeline = new ReadProcessWrite({ input: 'eo-mock-in', output: 'eo-mock-out', groupId: 'g', connection, task: () => ({ process: () => ({ rows: [] }) }) });
  await assert.rejects(pipeline.start(), oneLine(/librdkafka's mock .* no transactions/));
});

test('transactional options are checked before connecting', () => {
  assert.throws(() => new TopicSink({ topic: 't', transactionalId: 'x' }), oneLine(/transactionalId but not exactlyOnce/));
  assert.throws(() => new TopicSink({ topic: 't', exactlyOnce: true, idempotent: false }), oneLine(/cannot be exactlyOnce without idempotence/));
  assert.throws(() => new ReadProcessWrite({ input: '', output: 'o', groupId: 'g', task: () => ({ process: () => ({ rows: [] }) }) }), oneLine(/needs input/));
});

test('`streamlab worker` on the mock exits 1 with one line; a bad pipeline file is named before connecting', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-worker-'));
  const cli = path.join(__dirname, '..', 'cli', 'main.js');
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child: ChildProcess = execFile(process.execPath, [cli, ...args], { timeout: 60_000 }, (_e, _out, stderr) => resolve({ code: child.exitCode, stderr }));
    });
  try {
    const file = path.join(dir, 'p.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'p', input: { topic: 'eo-mock-in' }, window: { kind: 'tumbling', size: '1s' }, output: { topic: 'eo-mock-out' } }));
    const mock = await run(['worker', file, '--brokers', broker.bootstrapServers]);
    assert.equal(mock.code, 1);
    assert.match(mock.stderr, /^streamlab: running 'eo-mock-in' -> 'eo-mock-out' exactly once: the broker at .* is librdkafka's mock .* no transactions: use a real Kafka/);
    assert.equal(mock.stderr.trim().split('\n').length, 1, mock.stderr);
    fs.writeFileSync(file, JSON.stringify({ name: 'p', input: { topic: 'a' }, window: { kind: 'session', size: '1s' }, output: { topic: 'b' } }));
    const bad = await run(['worker', file, '--brokers', '127.0.0.1:1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^streamlab: .*p.json: window.kind 'session' cannot run as workers/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
