import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientLog, ConnectionOptions, TopicAdmin, TopicFormats, TopicSink, TopicSource, resolveConnection } from '../src/kafka';
import { StreamRecord, JsonValue } from '../src/record';
import { produceRaw, sleep, startBroker, TestBroker, uniqueTopic } from './support/broker';

let broker: TestBroker;
let connection: ConnectionOptions;

before(async () => {
  ({ broker, connection } = await startBroker());
});
after(async () => {
  await broker.stop();
});

const T0 = Date.parse('2026-03-01T00:00:00Z');

/** n JSON records spread round-robin over `partitions`, record i at time T0 + i s. */
function numbered(n: number, partitions: number) {
  return Array.from({ length: n }, (_, i) => ({
    value: JSON.stringify({ i, time: T0 + i * 1000 }),
    partition: i % partitions,
    timestamp: T0 + i * 1000,
  }));
}

const indexes = (records: StreamRecord<JsonValue>[]) => records.map((r) => r.value.i as number).sort((a, b) => a - b);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe('round trip', () => {
  test('every produced record arrives exactly once, with keys, partitions and offsets', async () => {
    const topic = uniqueTopic('roundtrip');
    await broker.createTopic(topic, 4);
    const sink = await TopicSink.open({ topic, connection, keyField: 'sensor', timeField: 'time', batchSize: 700 });
    const rows = Array.from({ length: 12_345 }, (_, i) => ({ sensor: `s${i % 9}`, i, time: T0 + i }));
    await sink.write(rows);
    await sink.close();
    assert.equal(sink.metrics().records, rows.length);

    const source = new TopicSource({ topic, from: 'earliest', connection, timeField: 'time' });
    const reader = source.reader();
    await source.start();
    const got = await reader.take(rows.length, 60_000);
    await sleep(300);
    assert.equal(reader.drain().length, 0, 'no record arrives twice');
    await source.stop();

    assert.deepEqual(indexes(got), range(0, rows.length));
    for (const r of got) {
      assert.equal(r.key, r.value.sensor);
      assert.equal(r.time, r.value.time);
      assert.equal(r.timestamp, r.value.time, 'the sink writes the time field as the Kafka timestamp');
    }
    const sameKeyPartitions = new Map<string, Set<number>>();
    for (const r of got) sameKeyPartitions.set(r.key as string, (sameKeyPartitions.get(r.key as string) ?? new Set()).add(r.partition));
    for (const [key, parts] of sameKeyPartitions) assert.equal(parts.size, 1, `key ${key} stays on one partition`);
    const m = source.metrics();
    assert.equal(m.records, rows.length);
    assert.equal(m.deadLetters, 0);
    assert.equal(m.lag, 0);
    assert.equal(m.state, 'stopped');
  });

  test('a Danfo DataFrame is written row by row, keyed by a column', async () => {
    const { DataFrame } = await import('danfojs-node');
    const topic = uniqueTopic('frame');
    const df = new DataFrame({ sensor: ['a', 'b', 'a'], value: [1.5, 2.5, 3.5] });
    const sink = await TopicSink.open({ topic, connection, keyField: 'sensor', createTopic: { partitions: 2 } });
    await sink.write(df);
    await sink.close();
    const source = new TopicSource({ topic, from: 'earliest', connection, untilEnd: true });
    const reader = source.reader();
    await source.start();
    const got: StreamRecord<JsonValue>[] = [];
    for await (const r of reader) got.push(r);
    assert.deepEqual(
      got.map((r) => [r.key, r.value.sensor, r.value.value]).sort(),
      [['a', 'a', 1.5], ['a', 'a', 3.5], ['b', 'b', 2.5]],
    );
  });
});

describe('start positions', () => {
  let topic: string;
  before(async () => {
    topic = uniqueTopic('positions');
    await broker.createTopic(topic, 3);
    await produceRaw(connection, topic, numbered(30, 3));
  });

  async function readAll(from: ConstructorParameters<typeof TopicSource>[0]['from']) {
    const source = new TopicSource({ topic, from, connection, untilEnd: true });
    const reader = source.reader();
    await source.start();
    const out: StreamRecord<JsonValue>[] = [];
    for await (const r of reader) out.push(r);
    assert.equal(await source.done(), 'finished');
    return out;
  }

  test('earliest reads the whole topic', async () => {
    assert.deepEqual(indexes(await readAll('earliest')), range(0, 30));
  });

  test('latest reads only records produced after the start', async () => {
    const topic = uniqueTopic('latest');
    await broker.createTopic(topic, 3);
    await produceRaw(connection, topic, numbered(30, 3));
    const source = new TopicSource({ topic, from: 'latest', connection });
    const reader = source.reader();
    await source.start();
    await produceRaw(connection, topic, numbered(36, 3).slice(30));
    const got = await reader.take(6, 30_000);
    await sleep(300);
    assert.equal(reader.drain().length, 0);
    await source.stop();
    assert.deepEqual(indexes(got), range(30, 36));
  });

  test('an offset applies per partition, or to all partitions', async () => {
    // partition p holds i = p, p+3, ... at offsets 0, 1, ...: offset 7 on every partition means i >= 21.
    assert.deepEqual(indexes(await readAll({ offset: 7 })), range(21, 30));
    const perPartition = await readAll({ offset: { 0: 9, 1: 8, 2: 9 } });
    assert.deepEqual(indexes(perPartition), [25, 27, 28, 29]);
  });

  test('a timestamp starts each partition at its first record at or after it', async () => {
    const got = await readAll({ timestamp: new Date(T0 + 15_500).toISOString() });
    assert.deepEqual(indexes(got), range(16, 30));
    assert.deepEqual(indexes(await readAll({ timestamp: T0 + 29_000 })), [29]);
  });
});

describe('dead letters', () => {
  test('malformed values and missing time fields are kept aside with their offsets; good records all arrive', async () => {
    const topic = uniqueTopic('dead');
    await broker.createTopic(topic, 2);
    const plan: { value: string | null; bad?: 'undecodable' | 'missing-time' | 'empty-value' }[] = [];
    for (let i = 0; i < 400; i++) {
      if (i % 37 === 5) plan.push({ value: `{"i": ${i}, "time": `, bad: 'undecodable' });
      else if (i % 41 === 7) plan.push({ value: JSON.stringify({ i, reading: 3 }), bad: 'missing-time' });
      else if (i === 200) plan.push({ value: null, bad: 'empty-value' });
      else if (i === 201) plan.push({ value: '[1,2]', bad: 'undecodable' });
      else plan.push({ value: JSON.stringify({ i, time: new Date(T0 + i).toISOString() }) });
    }
    // Each partition gets every other record, so record i sits at offset floor(i / 2) of partition i % 2.
    await produceRaw(connection, topic, plan.map((p, i) => ({ value: p.value, partition: i % 2 })));

    const source = new TopicSource({ topic, from: 'earliest', connection, timeField: 'time', untilEnd: true });
    const reader = source.reader();
    await source.start();
    const good: StreamRecord<JsonValue>[] = [];
    for await (const r of reader) good.push(r);

    const expectedBad = plan.flatMap((p, i) => (p.bad ? [{ i, reason: p.bad }] : []));
    const expectedGood = plan.flatMap((p, i) => (p.bad ? [] : [i]));
    assert.deepEqual(indexes(good), expectedGood);
    for (const r of good) assert.equal(r.time, T0 + (r.value.i as number), 'ISO time field parsed');

    const letters = source.deadLetters.list();
    assert.equal(source.deadLetters.total, expectedBad.length);
    assert.deepEqual(
      letters.map((d) => [d.partition, d.offset, d.reason]).sort(),
      expectedBad.map((b) => [b.i % 2, Math.floor(b.i / 2), b.reason]).sort(),
    );
    for (const d of letters) {
      assert.equal(d.topic, topic);
      assert.ok(d.error.length > 0 && !d.error.includes('\n'));
    }
    const broken = letters.find((d) => d.reason === 'undecodable' && d.preview.startsWith('{'))!;
    assert.match(broken.preview, /^\{"i": \d+, "time": $/);
    assert.equal(source.metrics().deadLettersByReason['missing-time'], expectedBad.filter((b) => b.reason === 'missing-time').length);
  });
});

describe('outages and backpressure', () => {
  test('a broker going down mid-stream and coming back loses and repeats nothing', async () => {
    const topic = uniqueTopic('outage');
    await broker.createTopic(topic, 4);
    await produceRaw(connection, topic, numbered(4000, 4));
    // Small fetches, so the client cannot have read the whole topic ahead before the outage (a real Kafka answers
    // a default fetch with all 4000 records).
    const source = new TopicSource({ topic, from: 'earliest', connection, fetchMaxBytes: 4096 });
    const reader = source.reader(200);
    await source.start();
    const got = await reader.take(1000, 30_000);

    clientLog.clear();
    await broker.setBrokerDown(1);
    // Keep reading what was already fetched while the broker is away, long enough for the consumer to give up
    // its retries and restart (the path where it must seek back to its positions).
    got.push(...(await drainFor(reader, 10_000)));
    assert.ok(got.length < 4000, 'the outage came mid-stream');
    assert.ok(clientLog.entries().some((e) => e.level === 'error'), 'the client saw the outage');
    await broker.setBrokerUp(1);
    await produceRaw(connection, topic, numbered(6000, 4).slice(4000));
    got.push(...(await reader.take(6000 - got.length, 90_000)));
    await sleep(500);
    got.push(...reader.drain());
    const m = source.metrics();
    await source.stop();

    assert.deepEqual(indexes(got), range(0, 6000), 'each record exactly once');
    assert.ok(m.restarts >= 1, `the consumer restarted (${m.restarts})`);
    assert.match(m.lastError ?? '', /cannot reach Kafka/);
    assert.equal(m.state, 'running');
  });

  test('a slow reader keeps the buffer under its bound and still gets every record', async () => {
    const topic = uniqueTopic('slow');
    await broker.createTopic(topic, 2);
    await produceRaw(connection, topic, numbered(3000, 2));
    const source = new TopicSource({ topic, from: 'earliest', connection });
    const reader = source.reader(64);
    await source.start();
    const got: StreamRecord<JsonValue>[] = [];
    let sawLag = false;
    while (got.length < 3000) {
      const r = await reader.next();
      if (!r) break;
      got.push(r);
      if (got.length % 50 === 0) {
        await sleep(5);
        const m = source.metrics();
        assert.ok(m.buffered <= 64, `buffer ${m.buffered} within its bound`);
        if (m.lag > 0) sawLag = true;
      }
    }
    const m = source.metrics();
    await source.stop();
    assert.deepEqual(indexes(got), range(0, 3000));
    assert.ok(m.bufferHighWater <= 64, `high water ${m.bufferHighWater} <= 64`);
    assert.equal(m.bufferHighWater, 64, 'the reader was really the bottleneck');
    assert.ok(sawLag, 'the source held back while the reader was slow');
  });

  test('latest(n) keeps only the newest records', async () => {
    const topic = uniqueTopic('recent');
    await broker.createTopic(topic, 1);
    await produceRaw(connection, topic, numbered(500, 1));
    const source = new TopicSource({ topic, from: 'earliest', connection, untilEnd: true, recentCapacity: 100 });
    await source.start();
    await source.done();
    assert.deepEqual(source.latest(1000).map((r) => r.value.i), range(400, 500));
    assert.deepEqual(source.latest(3).map((r) => r.value.i), [497, 498, 499]);
  });

  test('pause holds records back and resume lets them through', async () => {
    const topic = uniqueTopic('pause');
    await broker.createTopic(topic, 1);
    const source = new TopicSource({ topic, from: 'latest', connection });
    const reader = source.reader();
    await source.start();
    await source.pause();
    assert.equal(source.state, 'paused');
    await produceRaw(connection, topic, numbered(50, 1));
    await sleep(1500);
    assert.equal(reader.size, 0, 'nothing arrives while paused');
    await source.resume();
    assert.equal((await reader.take(50, 20_000)).length, 50);
    await source.stop();
  });
});

describe('formats detected from a sample', () => {
  test('JSON, numbers, text, binary, the wire format without a registry, mixed, and an empty topic; tombstones ignored', async () => {
    const wire = (id: number, payload: number[]) => Buffer.concat([Buffer.from([0, 0, 0, 0, id]), Buffer.from(payload)]);
    const topics: Record<string, { values: (string | Buffer | null)[]; expected: string }> = {
      json: { values: ['{"a":1}', '[1,2]', '{"b":"x"}'], expected: 'json' },
      num: { values: ['1.5', '-3', '42'], expected: 'number' },
      text: { values: ['hello', 'a,b,c', 'plain words'], expected: 'text' },
      bin: { values: [Buffer.from([0xff, 0xfe, 0x01]), Buffer.from([0x80, 0x81])], expected: 'binary' },
      wire: { values: [wire(7, [2, 4, 6]), wire(7, [8]), null], expected: 'wire format' },
      mixed: { values: ['{"a":1}', 'hello'], expected: 'mixed: json, text' },
      none: { values: [], expected: 'empty' },
    };
    const names = new Map(Object.keys(topics).map((k) => [k, uniqueTopic(`fmt-${k}`)]));
    for (const [k, t] of Object.entries(topics)) {
      await broker.createTopic(names.get(k)!, 1);
      if (t.values.length > 0) await produceRaw(connection, names.get(k)!, t.values.map((value) => ({ value, partition: 0 })));
    }
    const admin = await TopicAdmin.connect(connection);
    try {
      const summaries = await Promise.all([...names.values()].map((n) => admin.summary(n)));
      const formats = await new TopicFormats(resolveConnection(connection)).of(summaries);
      for (const [k, t] of Object.entries(topics)) assert.equal(formats.get(names.get(k)!)?.format, t.expected, k);
      const wireFormat = formats.get(names.get('wire')!)!;
      assert.deepEqual(wireFormat.schemaIds, [7]);
      assert.match(wireFormat.note ?? '', /configure a registry/);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('clear errors', () => {
  test('an unknown topic names the nearest existing one', async () => {
    const topic = uniqueTopic('spelling');
    await broker.createTopic(topic, 1);
    const source = new TopicSource({ topic: topic.replace('spelling', 'speling'), connection });
    await assert.rejects(source.start(), (e: Error) => {
      assert.match(e.message, /^consuming '.*speling.*': unknown topic '.*' at 127\.0\.0\.1:\d+: did you mean '.*spelling.*'\?$/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    assert.equal(source.state, 'failed');
  });

  test('a wrong broker address fails fast with one line', async () => {
    const source = new TopicSource({ topic: 'x', connection: { brokers: '127.0.0.1:1' } });
    await assert.rejects(source.start(), (e: Error) => {
      assert.match(e.message, /^consuming 'x': cannot reach Kafka at brokers 127\.0\.0\.1:1 \(from options\) \(connection refused\): check the broker/);
      assert.ok(!e.message.includes('\n') && !e.message.includes('    at '));
      return true;
    });
  });

  test('bad options fail before connecting', () => {
    assert.throws(() => new TopicSource({ topic: 't', decoder: 'jsn' as 'json', connection }), /unknown decoder 'jsn': use one of json, string, number, csv, bytes, avro, protobuf, jsonschema, auto \(did you mean 'json'\?\)/);
    assert.throws(() => new TopicSource({ topic: 't', from: 'begining' as 'earliest', connection }), /bad start position "begining"/);
    assert.throws(() => new TopicSource({ topic: 't', commit: true, connection }), /commit needs a named group/);
  });
});

async function drainFor<T>(reader: { drain(): T[] }, ms: number): Promise<T[]> {
  const out: T[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    out.push(...reader.drain());
    await sleep(50);
  }
  return out;
}
