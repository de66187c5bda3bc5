/**
 * Exactly-once on the embedded broker (librdkafka's mock, which has no transactions): refused at open with one line
 * that says what to do, never served at-least-once instead; and the option checks that need no broker.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
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
