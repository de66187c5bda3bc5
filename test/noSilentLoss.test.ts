/**
 * Issue 12: the eleven defects a bad-input probe found, one describe each, every test against the real thing (the
 * embedded broker, the `streamlab` command, the real engine). At the commit that added them (before any fix) 29 of
 * the 30 failed; the one that passed, "a DataFrame's missing cells (NaN) are written as null", pins the documented
 * rule that the sink's stricter checks must keep.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { EmbeddedBroker } from '../src/broker';
import { TopicAdmin, TopicSink, TopicSource, jsonDecoder, resolveConnection } from '../src/kafka';
import { JsonValue, StreamRecord } from '../src/record';
import { readTimeSeriesCsv } from '../src/demo';
import { Session } from '../src/session';
import { hopping, sessionWindow, sliding, tumbling, windowed } from '../src/window';
import { StreamlabError } from '../src/errors';
import { expandCell } from '../kernel/magics';
import { produceRaw, sleep, uniqueTopic } from './support/broker';

const CLI = path.join(__dirname, '..', 'cli', 'main.js');
const T0 = Date.parse('2026-03-01T00:00:00Z');

let broker: EmbeddedBroker;
before(async () => {
  // Recorded in the test run's own state dir, as `streamlab broker` does, so the CLI finds it.
  broker = await EmbeddedBroker.start({ writeState: true });
});
after(async () => {
  await broker.stop();
});

/** Runs the `streamlab` command; one still running after timeoutMs is ended (SIGTERM) and reported with code null. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

async function readAll<T = JsonValue>(topic: string, options: Partial<ConstructorParameters<typeof TopicSource<T>>[0]> = {}) {
  const source = new TopicSource<T>({ topic, from: 'earliest', connection: broker.connection, untilEnd: true, ...options });
  const reader = source.reader();
  await source.start();
  const records: StreamRecord<T>[] = [];
  for await (const r of reader) records.push(r);
  return { records, source };
}

async function topicExists(topic: string): Promise<boolean> {
  const admin = new TopicAdmin(resolveConnection(broker.connection));
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
}

/** One line: no newline, no stack frame. */
function oneLine(text: string): void {
  assert.ok(!/\n./.test(text.trim()), `one line: ${text}`);
  assert.ok(!/\bat .+:\d+:\d+/.test(text), `no stack frames: ${text}`);
}

describe('defect 1: a bad first record is a record like any other', () => {
  test('a non-numeric value in the first record is counted invalid; the window goes on', () => {
    const w = windowed({ window: tumbling('10s'), aggregates: ['mean(value)', 'count'] });
    w.add({ time: 0, value: 'x' });
    for (let i = 1; i <= 2000; i++) w.add({ time: i, value: 5 });
    w.flush();
    const rows = w.closedRows();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.count, 2001);
    assert.equal(rows[0]!.mean_value, 5);
    assert.equal(rows[0]!.invalid_value, 1);
    assert.equal(w.invalid.count, 1);
    assert.equal(w.metrics().lastError, undefined);
  });

  test('a first record with no time, or without a field the spec names, does not stop the window', () => {
    const w = windowed({ window: tumbling('10s'), keyBy: 'sensor', aggregates: ['max(value)'] });
    w.add({ sensor: 's1', value: 2 });
    w.add({ value: 3, time: 1 });
    w.add({ sensor: 's1', value: 4, time: 2 }).flush();
    assert.deepEqual(w.closedRows().map((r) => [r.sensor, r.max_value]), [[null, 3], ['s1', 4]]);
    assert.equal(w.invalid.counts().byReason['no-time'], 1);
  });

  test('attached to a source, a window whose first record is bad gets every good record', async () => {
    const topic = uniqueTopic('bad-first');
    await broker.createTopic(topic, 1);
    await produceRaw(broker.connection, topic, [
      { value: JSON.stringify({ time: T0, value: 'x' }) },
      ...Array.from({ length: 2000 }, (_, i) => ({ value: JSON.stringify({ time: T0 + 1 + i, value: 5 }) })),
    ]);
    const w = windowed({ window: tumbling('1h'), aggregates: ['mean(value)', 'count'] });
    const source = new TopicSource({ topic, from: 'earliest', connection: broker.connection, timeField: 'time', untilEnd: true });
    w.attach(source);
    await source.start();
    assert.equal(await source.done(), 'finished');
    w.flush();
    assert.equal(source.metrics().errors, 0, source.metrics().lastError);
    assert.deepEqual(w.closedRows().map((r) => [r.count, r.mean_value, r.invalid_value]), [[2001, 5, 1]]);
  });

  test('a field name no record has is reported once, with a suggestion, without failing', () => {
    const w = windowed({ window: tumbling('10s'), keyBy: 'sensr', aggregates: ['count'] });
    const warnings: string[] = [];
    w.onWarning((m) => warnings.push(m));
    for (let i = 0; i < 150; i++) w.add({ sensor: 's1', time: i, value: i });
    w.flush();
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /no record so far \(100\) has the field 'sensr' \(keyBy\).*did you mean 'sensor'\?/);
    oneLine(warnings[0]!);
    assert.equal(w.closedRows()[0]!.count, 150);
  });
});

describe('defect 2: a far-future event time is set aside, named, and does not move the watermark', () => {
  test('a record in the year 3000 does not make the next 1000 late', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const w = windowed({ window: tumbling('10s'), aggregates: ['count'], clock: () => now });
    w.add({ time: Date.parse('3000-01-01'), n: -1 });
    for (let i = 0; i < 1000; i++) w.add({ time: now - 60_000 + i * 50, n: i });
    const m = w.metrics();
    assert.equal(m.late, 0);
    assert.equal(m.lateDropped, 0);
    assert.equal(m.future, 1);
    assert.ok(m.watermark < now, `watermark ${new Date(m.watermark).toISOString()}`);
    assert.equal(w.future.list()[0]!.time, Date.parse('3000-01-01'));
    w.flush();
    assert.equal(w.closedRows().reduce((n, r) => n + (r.count as number), 0), 1000);
  });

  test('ahead of the highest event time and of the clock by more than futureLimit; configurable, or off', () => {
    const now = T0;
    const day = 86_400_000;
    const strict = windowed({ window: tumbling('1h'), aggregates: ['count'], clock: () => now, futureLimit: '1h' });
    strict.add({ time: now }).add({ time: now + 2 * 3_600_000 }).add({ time: now + 30 * 60_000 });
    assert.equal(strict.metrics().future, 1);
    // Replaying history: a gap of days in old data is ahead of the data, not of the clock.
    const replay = windowed({ window: tumbling('1h'), aggregates: ['count'], clock: () => now });
    replay.add({ time: now - 30 * day }).add({ time: now - 20 * day });
    assert.equal(replay.metrics().future, 0);
    const off = windowed({ window: tumbling('1h'), aggregates: ['count'], clock: () => now, futureLimit: false });
    off.add({ time: Date.parse('3000-01-01') });
    assert.equal(off.metrics().future, 0);
    assert.throws(() => windowed({ window: tumbling('1h'), futureLimit: '-1h' as never }), /futureLimit/);
  });

  test('through a session: the record is named by topic, partition, offset and time, and the notebook is told once', async () => {
    const topic = uniqueTopic('future');
    await broker.createTopic(topic, 1);
    const now = Date.now();
    await produceRaw(broker.connection, topic, [
      { value: JSON.stringify({ time: Date.parse('3000-01-01'), v: 0 }) },
      ...Array.from({ length: 1000 }, (_, i) => ({ value: JSON.stringify({ time: now - 100_000 + i * 10, v: 1 }) })),
      { value: JSON.stringify({ time: Date.parse('2999-01-01'), v: 0 }) },
    ]);
    const session = new Session();
    const problems: string[] = [];
    session.onProblem((m) => problems.push(m));
    await session.connect({ ...broker.connection, embeddedFallback: false });
    try {
      const w = await session.window(topic, { window: tumbling('10s'), aggregates: ['count'], consume: { from: 'earliest', timeField: 'time' }, name: 'fw' });
      const deadline = Date.now() + 20_000;
      while (w.metrics().records + w.metrics().future < 1002 && Date.now() < deadline) await sleep(100);
      const m = w.metrics();
      assert.equal(m.future, 2);
      assert.equal(m.lateDropped, 0);
      const first = w.future.list()[0]!;
      assert.equal((first.record as StreamRecord).offset, 0);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, new RegExp(`window 'fw': .*${topic}\\[0\\]@0 .*3000-01-01T00:00:00.000Z`));
      oneLine(problems[0]!);
    } finally {
      await session.close();
    }
  });
});

describe('defect 3: impossible times, invalid UTF-8 and binary keys are never passed on changed', () => {
  test('non-finite, out-of-range and seconds-as-milliseconds times are dead letters with a reason', async () => {
    const topic = uniqueTopic('times');
    await broker.createTopic(topic, 1);
    const bad = ['{"time":1e400}', '{"time":1e20}', '{"time":"1767225600"}', '{"time":-5}', '{"time":1767225600}', '{"time":"-5"}', '{"time":"5"}'];
    const binaryKey = Buffer.from([0xff, 0x00, 0xfe, 0x41]);
    await produceRaw(broker.connection, topic, [
      ...bad.map((value) => ({ value })),
      { value: Buffer.concat([Buffer.from('{"time":1767225600000,"s":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]) },
      { key: binaryKey, value: JSON.stringify({ time: T0, good: 1 }) },
      { key: 'text', value: JSON.stringify({ time: new Date(T0).toISOString(), good: 2 }) },
    ]);
    const { records, source } = await readAll(topic, { timeField: 'time' });
    assert.deepEqual(records.map((r) => r.value.good), [1, 2]);
    const m = source.metrics();
    assert.equal(m.deadLetters, bad.length + 1);
    assert.deepEqual(m.deadLettersByReason, { 'bad-time': bad.length, undecodable: 1 });
    const letters = source.deadLetters.list();
    assert.match(letters[0]!.error, /time field 'time' is Infinity/);
    assert.match(letters[2]!.error, /'1767225600'.*looks like epoch seconds.*timeUnit: 's'/);
    assert.match(letters[3]!.error, /-5/);
    assert.match(letters[bad.length]!.error, /not valid UTF-8/);
    for (const l of letters) oneLine(l.error);
    assert.ok(Buffer.isBuffer(records[0]!.key), 'a key that is not UTF-8 comes back as its bytes');
    assert.deepEqual(records[0]!.key, binaryKey);
    assert.equal(records[1]!.key, 'text');
  });

  test("timeUnit reads epoch seconds (and us, ns); 'bytes' keeps values that are not text", async () => {
    const topic = uniqueTopic('seconds');
    await broker.createTopic(topic, 1);
    await produceRaw(broker.connection, topic, [{ value: '{"time":1767225600}' }, { value: '{"time":"1767225600.5"}' }]);
    const { records } = await readAll(topic, { timeField: 'time', timeUnit: 's' });
    assert.deepEqual(records.map((r) => r.time), [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00.500Z')]);
    const raw = uniqueTopic('bytes');
    await broker.createTopic(raw, 1);
    await produceRaw(broker.connection, raw, [{ value: Buffer.from([0xff, 0xfe, 0x00]) }]);
    const bytes = await readAll<Buffer>(raw, { decoder: 'bytes', keyDecoder: 'bytes' });
    assert.deepEqual(bytes.records[0]!.value, Buffer.from([0xff, 0xfe, 0x00]));
    assert.equal(bytes.records[0]!.key, null);
  });
});

describe('defect 4: CSV replay reports every row it does not send, with its true line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  test('an unterminated quote loses its own line only', () => {
    const file = write('q.csv', 'timestamp,value\n2014-07-01 00:00:00,1\n"2014-07-01 00:10:00,2\n2014-07-01 00:20:00,3\n');
    const csv = readTimeSeriesCsv(file);
    assert.deepEqual(csv.rows.map((r) => [r.line, r.values.value]), [[2, 1], [4, 3]]);
    assert.equal(csv.rejected.length, 1);
    assert.equal(csv.rejected[0]!.line, 3);
    assert.match(csv.rejected[0]!.error, /unterminated quote/);
  });

  test('blank lines keep line numbers true', () => {
    const file = write('blank.csv', '\ntimestamp,value\n\n2014-07-01 00:00:00,1\n   \n2014-07-01 00:10:00,x\r\n\r\n2014-07-01 00:20:00,3');
    const csv = readTimeSeriesCsv(file);
    assert.deepEqual(csv.rows.map((r) => r.line), [4, 8]);
    assert.deepEqual(csv.rejected.map((r) => r.line), [6]);
  });

  test('`streamlab produce csv` sends the rows after a broken one and names the broken one', async () => {
    const topic = uniqueTopic('q');
    const file = write('q2.csv', 'timestamp,value\n2014-07-01 00:00:00,1\n"2014-07-01 00:10:00,2\n2014-07-01 00:20:00,3\n');
    const run = await cli(['produce', 'csv', file, '--topic', topic, '--speedup', 'max']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /replayed 2 of 3 rows/);
    assert.match(run.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:3: unterminated quote`));
    const { records } = await readAll(topic);
    assert.deepEqual(records.map((r) => r.value.value).sort(), [1, 3]);
  });
});

describe('defect 5: a second `streamlab broker` leaves the first one findable', () => {
  test('the second refuses with one line; the first stays recorded and usable', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'state-'));
    const env: NodeJS.ProcessEnv = { ...process.env, STREAMLAB_STATE_DIR: stateDir };
    delete env.STREAMLAB_BROKERS;
    const first = spawn(process.execPath, [CLI, 'broker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const firstExit = new Promise<number | null>((resolve) => first.on('exit', (code) => resolve(code)));
    try {
      const bootstrap = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: first.stdout! }).on('line', (line) => {
          const m = /bootstrap servers: (\S+)/.exec(line);
          if (m) resolve(m[1]!);
        });
        first.once('exit', () => reject(new Error('first broker exited early')));
      });
      const second = await cli(['broker'], env, 10_000);
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`a streamlab broker is already running \\(pid ${first.pid}, ${bootstrap}, recorded in`));
      oneLine(second.stderr);
      const topics = await cli(['topics'], env);
      assert.equal(topics.code, 0, topics.stderr);
      const state = JSON.parse(fs.readFileSync(path.join(stateDir, 'broker.json'), 'utf8')) as { pid: number };
      assert.equal(state.pid, first.pid);
    } finally {
      first.kill('SIGTERM');
      assert.equal(await firstExit, 0);
    }
    assert.equal(fs.existsSync(path.join(stateDir, 'broker.json')), false);
  });
});

describe('defect 6: stop() during start(), and the lifecycle after', () => {
  test('stop() while start() runs: start resolves stopped, nothing leaks, the process can exit', async () => {
    const topic = uniqueTopic('race');
    await broker.createTopic(topic, 2);
    // In a process of its own, which must end by itself: a leaked socket or timer would keep it alive.
    const script = `
      const { TopicSource } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'kafka'))});
      (async () => {
        const out = [];
        for (const delay of [0, 5, 20, 60]) {
          const s = new TopicSource({ topic: ${JSON.stringify(topic)}, connection: ${JSON.stringify(broker.connection)} });
          const started = s.start().then(() => 'resolved ' + s.state, (e) => 'rejected ' + e.message);
          await new Promise((r) => setTimeout(r, delay));
          await s.stop();
          out.push(await started);
        }
        console.log(JSON.stringify(out));
      })();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    assert.equal(code, 0, `the process ended by itself (${stderr.slice(-500)})`);
    const outcomes = JSON.parse(stdout) as string[];
    assert.equal(outcomes.length, 4);
    for (const o of outcomes) assert.match(o, /^resolved (stopped|running)$/, 'start() never rejects because of stop()');
    assert.equal(outcomes[0], 'resolved stopped');
  });

  test('start() after stop() says the stream was stopped; an untilEnd source finishes as finished', async () => {
    const topic = uniqueTopic('life');
    await broker.createTopic(topic, 1);
    await produceRaw(broker.connection, topic, [{ value: JSON.stringify({ i: 1 }) }]);
    const s = new TopicSource({ topic, connection: broker.connection });
    await s.start();
    await s.stop();
    await assert.rejects(s.start(), (e: Error) => /was stopped and cannot start again.*new TopicSource/.test(e.message));
    const { source } = await readAll(topic);
    assert.equal(await source.done(), 'finished');
    assert.equal(source.state, 'finished');
    const empty = new TopicSource({ topic, from: 'latest', connection: broker.connection, untilEnd: true });
    await empty.start();
    assert.equal(await empty.done(), 'finished');
  });
});

describe('defect 7: a sink call is sent whole or reported whole', () => {
  test('a circular or BigInt row: nothing is sent, and the error names the topic and the row', async () => {
    const topic = uniqueTopic('sink-all');
    const sink = await TopicSink.open({ topic, connection: broker.connection, createTopic: { partitions: 1 } });
    const circular: Record<string, unknown> = { a: 9 };
    circular.self = circular;
    await assert.rejects(sink.write([{ a: 1 }, circular, { a: 2 }]), (e: Error) => {
      assert.ok(e instanceof StreamlabError);
      assert.match(e.message, new RegExp(`producing to '${topic}': row 1: field 'self' is a circular reference`));
      oneLine(e.message);
      return true;
    });
    await assert.rejects(sink.write([{ a: 1 }, { a: 2n }]), /row 1: field 'a' is a BigInt/);
    await sink.close();
    assert.equal(sink.metrics().records, 0);
    const { records } = await readAll(topic);
    assert.equal(records.length, 0);
  });

  test("onInvalid: 'dead-letter' sends the good rows and keeps the bad ones, counted and named", async () => {
    const topic = uniqueTopic('sink-dl');
    const sink = await TopicSink.open({ topic, connection: broker.connection, createTopic: { partitions: 1 }, onInvalid: 'dead-letter' });
    await sink.write([{ a: 1 }, { a: 2n }, { a: 2 }]);
    await sink.close();
    assert.equal(sink.metrics().records, 2);
    assert.equal(sink.metrics().rejected, 1);
    assert.deepEqual(sink.rejected.list().map((r) => [r.row, r.error]), [[1, "field 'a' is a BigInt, which JSON cannot hold: convert it with Number() or String()"]]);
    const { records } = await readAll(topic);
    assert.deepEqual(records.map((r) => r.value.a), [1, 2]);
  });
});

describe('defect 8: the sink never changes a value without saying so', () => {
  test('NaN, Map, undefined and object keys are refused, naming the row and field', async () => {
    const topic = uniqueTopic('sink-values');
    const sink = await TopicSink.open({ topic, connection: broker.connection, createTopic: { partitions: 1 }, keyField: 'k' });
    await assert.rejects(sink.write([{ k: 'a', v: 1 }, { k: 'a', v: NaN }]), /row 1: field 'v' is NaN/);
    await assert.rejects(sink.write([{ k: 'a', m: new Map([[1, 2]]) }]), /row 0: field 'm' is a Map/);
    await assert.rejects(sink.write([{ k: 'a', v: undefined }]), /row 0: field 'v' is undefined/);
    await assert.rejects(sink.write([{ k: 'a', nested: { deep: [1, Infinity] } }]), /row 0: field 'nested.deep\[1\]' is Infinity/);
    await assert.rejects(sink.write([{ k: { id: 1 }, v: 1 }]), /row 0: key field 'k' is an object/);
    await sink.write([{ k: 7, d: new Date(T0) }]);
    await sink.close();
    const { records } = await readAll(topic);
    assert.deepEqual(records.map((r) => [r.key, r.value.d]), [['7', new Date(T0).toISOString()]]);
  });

  test("a DataFrame's missing cells (NaN) are written as null, the documented rule", async () => {
    const topic = uniqueTopic('sink-frame');
    const sink = await TopicSink.open({ topic, connection: broker.connection, createTopic: { partitions: 1 } });
    await sink.write({ columns: ['a', 'b'], values: [[1, NaN], [2, 3]] });
    await sink.close();
    const { records } = await readAll(topic);
    assert.deepEqual(records.map((r) => r.value), [{ a: 1, b: null }, { a: 2, b: 3 }]);
  });
});

describe('defect 9: keys group by value', () => {
  test('equal objects are one group under one key field; different ones stay apart under two', () => {
    const one = windowed({ window: tumbling('10s'), keyBy: 'k', aggregates: ['count'] });
    one.add({ k: { id: 1 }, time: 1 }).add({ k: { id: 1 }, time: 2 }).add({ k: { id: 2 }, time: 3 }).flush();
    assert.deepEqual(one.closedRows().map((r) => [r.k, r.count]), [[{ id: 1 }, 2], [{ id: 2 }, 1]]);
    const two = windowed({ window: tumbling('10s'), keyBy: ['k', 'j'], aggregates: ['count'] });
    two.add({ k: { id: 1 }, j: 1, time: 1 }).add({ k: { id: 2 }, j: 1, time: 2 }).add({ k: { id: 1 }, j: 1, time: 3 }).flush();
    assert.deepEqual(two.closedRows().map((r) => [r.k, r.count]), [[{ id: 1 }, 2], [{ id: 2 }, 1]]);
  });

  test('1 and "1", null and "null" stay apart under two key fields; key order inside an object does not matter', () => {
    const w = windowed({ window: tumbling('10s'), keyBy: ['a', 'b'], aggregates: ['count'] });
    w.add({ a: 1, b: null, time: 1 }).add({ a: '1', b: 'null', time: 2 }).add({ a: { x: 1, y: 2 }, b: 0, time: 3 }).add({ a: { y: 2, x: 1 }, b: 0, time: 4 }).flush();
    // Windows closing together come in key order: numbers, then objects, then strings.
    assert.deepEqual(w.closedRows().map((r) => [r.a, r.b, r.count]), [[1, null, 1], [{ x: 1, y: 2 }, 0, 2], ['1', 'null', 1]]);
  });
});

describe('defect 10: key state is bounded, warned about and shown', () => {
  for (const [kind, spec] of [['tumbling', tumbling('10s')], ['hopping', hopping('10s', '5s')], ['sliding', sliding('10s')], ['session', sessionWindow('10s')]] as const) {
    test(`${kind}: new keys past maxKeys are refused, counted and kept; a warning comes first`, () => {
      const w = windowed({ window: spec, keyBy: 'id', aggregates: ['count'], maxKeys: 1000, clock: () => 0 });
      const warnings: string[] = [];
      w.onWarning((m) => warnings.push(m));
      for (let i = 0; i < 2000; i++) w.add({ id: i, time: i % 100 });
      for (let i = 0; i < 10; i++) w.add({ id: i, time: 50 + i }); // known keys still count
      const m = w.metrics();
      assert.equal(m.keys, 1000);
      assert.equal(m.maxKeys, 1000);
      assert.equal(m.keysRefused, 1000);
      assert.equal(w.refused.list().length, 1000);
      assert.ok(m.stateBytes > 0);
      assert.equal(warnings.length, 2, warnings.join('\n'));
      assert.match(warnings[0]!, /holds 800 keys, 80 % of maxKeys 1000/);
      assert.match(warnings[1]!, /maxKeys 1000 reached: records of new keys are set aside/);
      assert.equal(m.records, 1010);
      assert.equal(m.received, 2010);
      w.flush();
      // Each record is in one tumbling window and one session; hopping and sliding windows overlap.
      if (kind === 'tumbling' || kind === 'session') assert.equal(w.closedRows().reduce((n, r) => n + (r.count as number), 0), 1010);
    });
  }

  test('there is a default bound, and %streams shows the state size of a window', async () => {
    assert.equal(windowed({ window: tumbling('10s') }).metrics().maxKeys, 100_000);
    const topic = uniqueTopic('state');
    await broker.createTopic(topic, 1);
    await produceRaw(broker.connection, topic, Array.from({ length: 500 }, (_, i) => ({ value: JSON.stringify({ time: T0 + i, id: i }) })));
    const session = new Session();
    await session.connect({ ...broker.connection, embeddedFallback: false });
    try {
      const w = await session.window(topic, { window: tumbling('1h'), keyBy: 'id', consume: { from: 'earliest', timeField: 'time' }, name: 'keys' });
      const deadline = Date.now() + 20_000;
      while (w.metrics().records < 500 && Date.now() < deadline) await sleep(100);
      const row = session.streams().find((s) => s.name === 'keys')!;
      assert.ok(row.memoryBytes >= w.metrics().stateBytes && w.metrics().stateBytes > 500 * 100, `memory ${row.memoryBytes}`);
    } finally {
      await session.close();
    }
  });
});

describe('defect 11: the small ones', () => {
  test('JSON null is "got null"', () => {
    assert.throws(() => jsonDecoder.decode(Buffer.from('null')), /expected a JSON object, got null/);
  });

  test('`--from earliset` suggests earliest, in the syntax of the CLI and of the magic', async () => {
    const run = await cli(['consume', 'anything', '--from', 'earliset']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /did you mean 'earliest'\?/);
    assert.doesNotMatch(run.stderr, /\{ ?offset/);
    assert.match(run.stderr, /offset:N/);
    oneLine(run.stderr);
    assert.throws(() => expandCell('%consume sensors --from earliset'), /did you mean earliest\?/);
  });

  test("'..' and internal topics are refused as topics to write to, before anything is created", async () => {
    await assert.rejects(TopicSink.open({ topic: '..', connection: broker.connection, createTopic: true }), /'\.\.' is not a valid topic name/);
    await assert.rejects(TopicSink.open({ topic: '__consumer_offsets', connection: broker.connection }), /'__consumer_offsets' is an internal topic/);
    await assert.rejects(TopicSink.open({ topic: 'a/b', connection: broker.connection, createTopic: true }), /not a valid topic name/);
    assert.equal(await topicExists('..'), false);
  });

  test('`produce csv` with a missing file creates no topic', async () => {
    const topic = uniqueTopic('nofile');
    const run = await cli(['produce', 'csv', '/nonexistent/x.csv', '--topic', topic]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot read CSV file \/nonexistent\/x.csv \(ENOENT\)/);
    assert.equal(await topicExists(topic), false);
  });
});
